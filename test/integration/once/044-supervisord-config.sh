#!/bin/bash
# linux.supervisord, continued (modules.md §4.2): the config is watched with
# its first sighting as a baseline, and a change runs reread + update
# (⚠ §D), which restarts only what changed; --dry-run of that; a program
# the daemon does not know yet (reread + add); supervisorctl's ERROR
# output failing the state while every name is still attempted; a config
# supervisord refuses; invalid parameters.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-services.sh"
sv_require
in_sandbox "$@"
sv_setup

P='{"config": "'"$conf"'", "name": ["foo", "grp"]}'
c=$(re_quote "$conf")

# The first run starts the daemon and takes the config's baseline.
xs linux.supervisord s "$P"
expect_rc 0
expect_result_like true true "supervisord started with $c; foo start(ing|ed); grp start(ing|ed)"
sv_wait_running foo grp:a grp:b
xs linux.supervisord s "$P"
expect_result true false "foo already running; grp already running"
pid=$(cat "$sv/foo.pid")
a_pid=$(cat "$sv/a.pid")

# foo's definition changes: a dry run only says so; the real run rereads
# and updates, which restarts foo and leaves the group alone.
sv_write_conf "environment=GREETING=hello"
xs linux.supervisord s "$P" true
expect_rc 0
expect_result true true "$conf changed: would reread and update; foo already running; grp already running"
[ "$(cat "$sv/foo.pid")" = "$pid" ] || fail "dry run updated foo"
xs linux.supervisord s "$P"
expect_rc 0
expect_result_like true true "$c changed: reread and updated; foo (starting|already running); grp already running"
expect_line out '^foo: updated process group$'
[ "$(cat "$sv/foo.pid")" != "$pid" ] || fail "foo was not restarted by update"
[ "$(cat "$sv/a.pid")" = "$a_pid" ] || fail "grp:a was restarted"
sv_wait_running foo
grep -q GREETING=hello "/proc/$(cat "$sv/foo.pid")/environ" || fail "foo runs the old definition"
xs linux.supervisord s "$P"
expect_result true false "foo already running; grp already running"

# A program supervisord does not know yet (in an included file, so the
# main config's sum stays): reread, then add.
cat >"$sv/conf.d/extra.conf" <<EOF
[program:extra]
command=$sv/prog extra
startsecs=0
EOF
xs linux.supervisord s '{"config": "'"$conf"'", "name": ["foo", "extra"]}'
expect_rc 0
expect_result true true "foo already running; extra added"
expect_line out '^extra: added process group$'
sv_wait_running extra

# Unknown everywhere, and a program that cannot start: supervisorctl's
# ERROR output is the comment, and every name is still attempted.
xs linux.supervisord s '{"config": "'"$conf"'", "name": ["nosuch", "broken", "foo"]}'
expect_rc 1
expect_result_like false true "ERROR: no such process/group: nosuch; broken: ERROR \([a-z ]+\); foo already running"

# A config supervisord refuses (no [supervisord] section).
bad="$T/bad.conf"
printf '[unix_http_server]\nfile=%s/bad.sock\n[supervisorctl]\nserverurl=unix://%s/bad.sock\n' \
    "$T" "$T" >"$bad"
xs linux.supervisord b '{"config": "'"$bad"'", "name": ["foo"]}'
expect_rc 1
expect_result false false "supervisord -c $bad exited with status 2"

# Invalid parameters.
xs linux.supervisord b '{"config": "sv.conf", "name": ["foo"]}'
expect_rc 1
expect_result false false "parameter 'config': 'sv.conf' is not an absolute path"
xs linux.supervisord b '{"config": "'"$T"'/none.conf", "name": ["foo"]}'
expect_rc 1
expect_result false false "supervisord config $T/none.conf: No such file or directory"
xs linux.supervisord b '{"config": "'"$T"'", "name": ["foo"]}'
expect_rc 1
expect_result false false "supervisord config $T: not a regular file"
xs linux.supervisord b '{"config": "'"$conf"'", "name": ["-x"]}'
expect_rc 1
expect_result false false "parameter 'name': '-x' is not a valid program or group name"
xs linux.supervisord b '{"config": "'"$conf"'"}'
expect_rc 1
expect_result false false "missing required parameter 'name'"
xs linux.supervisord b '{"name": ["foo"]}'
expect_rc 1
expect_result false false "missing required parameter 'config'"
