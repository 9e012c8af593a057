# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the tests of linux.group, linux.user, linux.cronjob and
# common.timezone (once/06x-*.sh), sourced after lib.sh: one state run
# through `opsagent exec-state`, so that result, changed and comment can be
# checked exactly, as the agent receives them on fd 3.

# run_state MODULE PARAMETER_JSON [dry]: runs one state; the result object
# goes to $T/result, its output to $T/out, stderr to $T/err, the exit
# status to $RC.
run_state() {
    local dry=false
    [ "${3:-}" = dry ] && dry=true
    printf '{"id":"s","module":"%s","parameter":%s,"dry_run":%s,"watch_dir":null}' \
        "$1" "$2" "$dry" >"$T/request"
    exec_request "$T/request"
}

# result_text: "result|changed|comment" of the last run_state.
result_text() {
    /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print("%s|%s|%s" % (str(r["result"]).lower(), str(r["changed"]).lower(), r["comment"]))' "$T/result" ||
        fail "no result object: $(cat "$T/result")"
}

# expect_state RESULT CHANGED COMMENT: the last run_state gave exactly this
# (true/false, true/false, the comment).
expect_state() {
    local got
    got=$(result_text)
    [ "$got" = "$1|$2|$3" ] || fail "state: '$got', expected '$1|$2|$3'"
    if [ "$1" = true ]; then expect_rc 0; else expect_rc 1; fi
}

# expect_state_re RESULT CHANGED REGEX: the same with a regex for the comment.
expect_state_re() {
    local got
    got=$(result_text)
    [[ "$got" =~ ^$1\|$2\|$3$ ]] || fail "state: '$got', expected '$1|$2|$3'"
    if [ "$1" = true ]; then expect_rc 0; else expect_rc 1; fi
}
