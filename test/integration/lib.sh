# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the integration tests: each test is a bash script that runs the
# real opsagent binary ($OPSAGENT) and checks what a user would see: exit
# status, stdout lines, stderr lines. Sourced by every test script.
#
# Environment (set by ctest): OPSAGENT (the binary), OA_SOURCE_DIR; for the
# valgrind label also OPSAGENT_WRAPPER (a command put before the agent, split
# on blanks) and OA_TIME_FACTOR (how much slower the agent is behind it).
set -euo pipefail

: "${OPSAGENT:?OPSAGENT must name the opsagent binary}"
: "${OA_SOURCE_DIR:?OA_SOURCE_DIR must name the source tree}"

T=$(mktemp -d /tmp/oa-test.XXXXXX)
chmod 755 "$T"

# OA: the command that runs the agent, "${OA[@]}" ARGS...: $OPSAGENT behind
# $OPSAGENT_WRAPPER. For valgrind its report goes to $T/valgrind.PID.log, and
# a log that counts errors fails the test when it ends.
read -ra OA <<<"${OPSAGENT_WRAPPER:-}"
if [ "${#OA[@]}" -gt 0 ] && [ "$(basename "${OA[0]}")" = valgrind ]; then
    OA=("${OA[0]}" "--log-file=$T/valgrind.%p.log" "${OA[@]:1}")
fi
OA+=("$OPSAGENT")

# scaled SECONDS: SECONDS times $OA_TIME_FACTOR (default 1), for the waits of
# a test that a slow agent needs stretched.
scaled() {
    awk -v s="$1" -v f="${OA_TIME_FACTOR:-1}" 'BEGIN { print s * f }'
}

# at_exit [STATUS]: the EXIT trap (a script that sets its own calls it last,
# with the exit status).
at_exit() {
    local rc=${1:-$?} log
    for log in "$T"/valgrind.*.log; do
        [ -f "$log" ] || continue
        if grep -qE 'ERROR SUMMARY: [1-9]' "$log"; then
            echo "FAIL: valgrind errors in $log:" >&2
            cat "$log" >&2
            rc=1
        fi
    done
    rm -rf "$T"
    exit "$rc"
}
trap at_exit EXIT

# With -fno-sanitize-recover a sanitizer report ends the process, but the
# report itself is what we want to see when a test fails.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

fail() {
    echo "FAIL: $*" >&2
    if [ -f "$T/out" ]; then echo "--- stdout:" >&2; cat "$T/out" >&2; fi
    if [ -f "$T/err" ]; then echo "--- stderr:" >&2; cat "$T/err" >&2; fi
    exit 1
}

# agent ARGS...: runs opsagent, keeps stdout in $T/out, stderr in $T/err and
# the exit status in $RC. Never fails by itself.
agent() {
    set +e
    "${OA[@]}" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    no_sanitizer_report
}

no_sanitizer_report() {
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/err" "$T/out"; then
        fail "sanitizer report"
    fi
}

expect_rc() {
    [ "$RC" -eq "$1" ] || fail "exit status $RC, expected $1"
}

# expect_line FILE REGEX: some line of FILE matches REGEX (grep -E).
expect_line() {
    grep -qE -- "$2" "$T/$1" || fail "no line of $1 matches: $2"
}

expect_no_line() {
    if grep -qE -- "$2" "$T/$1"; then fail "a line of $1 matches: $2"; fi
}

# expect_lines FILE N: FILE has exactly N lines.
expect_lines() {
    local n
    n=$(wc -l <"$T/$1")
    [ "$n" -eq "$2" ] || fail "$1 has $n lines, expected $2"
}

# recipe NAME JSON: writes a recipe file $T/NAME.json.
recipe() {
    printf '%s\n' "$2" >"$T/$1.json"
}

# config NAME TEXT: writes a config file $T/NAME.conf.
config() {
    printf '%s\n' "$2" >"$T/$1.conf"
}

# json_field N FIELD: prints FIELD of the N-th JSON line of stdout (1-based).
json_field() {
    python3 - "$T/out" "$1" "$2" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
obj = json.loads(lines[int(sys.argv[2]) - 1])
v = obj[sys.argv[3]]
print(json.dumps(v) if not isinstance(v, str) else v)
PY
}

# exec_request FILE: runs `opsagent exec-state` (the child protocol) on the
# request in FILE: the result object in $T/result, the state's output in
# $T/out, stderr in $T/err, the exit status in $RC.
exec_request() {
    set +e
    "${OA[@]}" exec-state <"$1" 3>"$T/result" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    no_sanitizer_report
}

# st MODULE PARAMS_JSON [dry]: runs one state (id "t") through exec-state
# with $T/state as its state dir and no watch dir; see exec_request.
st() {
    local dry=false
    [ "${3:-}" = dry ] && dry=true
    printf '{"id":"t","module":"%s","parameter":%s,"dry_run":%s,"watch_dir":null,"state_dir":"%s"}' \
        "$1" "$2" "$dry" "$T/state" >"$T/request"
    exec_request "$T/request"
}

# result_field FIELD: a field of the last state's result object.
result_field() {
    /usr/bin/python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(str(v).lower() if isinstance(v, bool) else v)' "$T/result" "$1" ||
        fail "no result object: $(cat "$T/result")"
}

# expect_state RESULT CHANGED COMMENT: the last state's result, exactly.
expect_state() {
    local got
    got="$(result_field result) $(result_field changed) $(result_field comment)"
    [ "$got" = "$1 $2 $3" ] || fail "result '$got', expected '$1 $2 $3'"
}

# expect_state_like RESULT CHANGED REGEX: the same with a regex for the comment.
expect_state_like() {
    local got
    got="$(result_field result) $(result_field changed) $(result_field comment)"
    [[ "$got" =~ ^$1\ $2\ $3$ ]] || fail "result '$got', expected '$1 $2 $3'"
}

# in_sandbox: re-runs the calling test as root in new mount, pid and UTS
# (host name) namespaces with private copies of /etc and an empty /opt, so that it may
# create users and directories without touching the machine. Exits 77
# (skipped) where that is not possible.
in_sandbox() {
    if [ -n "${OA_IN_SANDBOX:-}" ]; then
        mount --make-rprivate /
        cp -a /etc "$T/etc"
        mount --bind "$T/etc" /etc
        mount -t tmpfs -o mode=0755 opsagent-test /opt
        return 0
    fi
    if [ "$(id -u)" -ne 0 ] || ! unshare --mount --uts --pid --fork --mount-proc true 2>/dev/null; then
        echo "SKIP: needs root and unshare (mount and pid namespaces)"
        exit 77
    fi
    rm -rf "$T"
    exec unshare --mount --uts --pid --fork --mount-proc env OA_IN_SANDBOX=1 bash "$0" "$@"
}

# sandbox_tmpfs DIR...: an empty tmpfs over each DIR (created if missing),
# in the sandbox only.
sandbox_tmpfs() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "sandbox_tmpfs outside the sandbox"
    for d in "$@"; do
        mkdir -p "$d"
        mount -t tmpfs -o mode=0755 opsagent-test "$d"
    done
}

# sandbox_copy DIR...: a private copy of each DIR bound over it, so that
# the test may change it (dpkg's database, apt's lists…).
sandbox_copy() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "sandbox_copy outside the sandbox"
    for d in "$@"; do
        local copy="$T/copy$(echo "$d" | tr / _)"
        mkdir -p "$d"
        cp -a "$d" "$copy"
        mount --bind "$copy" "$d"
    done
}

# add_user NAME UID: a throwaway user and group, in the sandbox's /etc only.
add_user() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "add_user outside the sandbox"
    echo "$1:x:$2:$2::/home/$1:/bin/sh" >>/etc/passwd
    echo "$1:x:$2:" >>/etc/group
}
