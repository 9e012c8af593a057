# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the linux.service and linux.supervisord tests (040-049),
# sourced after lib.sh: one state run through `opsagent exec-state`, so
# that the whole result (result, changed, comment) can be checked, and a
# supervisord setup in the test's directory.

# xs MODULE ID PARAMS [DRY]: runs one state with watch sums under $T/watch:
# the result object in $T/result, the output in $T/out, the status in $RC.
xs() {
    printf '{"id":"%s","module":"%s","parameter":%s,"dry_run":%s,"watch_dir":"%s"}' \
        "$2" "$1" "$3" "${4:-false}" "$T/watch" >"$T/req"
    exec_request "$T/req"
}

# expect_result RESULT CHANGED COMMENT: the last result, exactly.
expect_result() {
    /usr/bin/python3 - "$T/result" "$1" "$2" "$3" <<'PY' || fail "result: $(cat "$T/result")"
import json, sys
r = json.load(open(sys.argv[1]))
got = (r["result"], r["changed"], r["comment"])
want = (sys.argv[2] == "true", sys.argv[3] == "true", sys.argv[4])
if got != want:
    sys.exit("got %r, want %r" % (got, want))
PY
}

# expect_result_like RESULT CHANGED REGEX: the comment matches REGEX (Python
# syntax, whole comment); use re_quote for paths.
expect_result_like() {
    /usr/bin/python3 - "$T/result" "$1" "$2" "$3" <<'PY' || fail "result: $(cat "$T/result")"
import json, re, sys
r = json.load(open(sys.argv[1]))
want = (sys.argv[2] == "true", sys.argv[3] == "true")
if (r["result"], r["changed"]) != want or not re.fullmatch(sys.argv[4], r["comment"]):
    sys.exit("got %r, want %r and a comment matching %r" % (r, want, sys.argv[4]))
PY
}

# re_quote TEXT: TEXT with the regex characters our paths can hold escaped.
re_quote() {
    printf '%s' "$1" | sed 's/[.+*?()]/\\&/g'
}

# sv_setup: a supervisord config $conf in $sv (socket, log and pid file
# there too) with programs foo, a and b (group grp), broken (autostart off,
# its command missing) and an include of $sv/conf.d/*.conf. Each program
# writes its pid to $sv/NAME.pid. The daemon is shut down at exit.
sv_setup() {
    sv="$T/sv"
    conf="$sv/supervisord.conf"
    mkdir -p "$sv/conf.d"
    cat >"$sv/prog" <<EOF
#!/bin/sh
echo \$\$ >$sv/\$1.pid
exec sleep 1000
EOF
    chmod 755 "$sv/prog"
    sv_write_conf ""
    trap 'rc=$?; supervisorctl -c "$conf" shutdown >/dev/null 2>&1 || true; at_exit "$rc"' EXIT
}

# sv_write_conf EXTRA: (re)writes $conf; EXTRA goes into [program:foo].
sv_write_conf() {
    cat >"$conf" <<EOF
[unix_http_server]
file=$sv/sock

[supervisord]
logfile=$sv/supervisord.log
pidfile=$sv/supervisord.pid
childlogdir=$sv

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$sv/sock

[program:foo]
command=$sv/prog foo
startsecs=1
$1

[program:a]
command=$sv/prog a
startsecs=1

[program:b]
command=$sv/prog b
startsecs=1

[group:grp]
programs=a,b

[program:broken]
command=$sv/nonexistent
autostart=false
startretries=0

[include]
files=$sv/conf.d/*.conf
EOF
}

sv_ctl() {
    supervisorctl -c "$conf" "$@"
}

# sv_wait_running NAME...: until supervisorctl says RUNNING for each (20 s).
sv_wait_running() {
    local ok
    for _ in $(seq 200); do
        ok=1
        for n in "$@"; do
            sv_ctl status "$n" | grep -q ' RUNNING ' || ok=0
        done
        [ $ok = 1 ] && return 0
        sleep 0.1
    done
    fail "not running: $* ($(sv_ctl status))"
}

# sv_require: skips the test where Debian's supervisor is not installed
# (the module would install it, and tests never change the machine).
sv_require() {
    if ! command -v supervisord >/dev/null || ! command -v supervisorctl >/dev/null; then
        echo "SKIP: needs Debian's supervisor package"
        exit 77
    fi
}
