# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the tests of linux.file, linux.dir and linux.symlink
# (once/030-039), sourced after lib.sh. `once --json` shows result and
# comment but not `changed`, so single states also run through
# `opsagent exec-state` (the child protocol), whose fd 3 result has all three.

# st MODULE PARAMS_JSON [dry]: runs one state through exec-state; the result
# object in $T/result, the state's output in $T/out, stderr in $T/err.
st() {
    local dry=false
    [ "${3:-}" = dry ] && dry=true
    printf '{"id":"t","module":"%s","parameter":%s,"dry_run":%s,"watch_dir":null}' \
        "$1" "$2" "$dry" >"$T/request"
    set +e
    "$OPSAGENT" exec-state <"$T/request" 3>"$T/result" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    no_sanitizer_report
}

# expect_state RESULT CHANGED COMMENT: the last st's result, exactly.
expect_state() {
    local got
    got=$(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("%s %s %s" % (str(r["result"]).lower(), str(r["changed"]).lower(), r["comment"]))
' "$T/result") || fail "no result object: $(cat "$T/result")"
    [ "$got" = "$1 $2 $3" ] || fail "result '$got', expected '$1 $2 $3'"
}

# expect_attrs PATH MODE OWNER:GROUP: what stat says of PATH (not following links).
expect_attrs() {
    local got
    got=$(stat -c '%a %U:%G' -- "$1")
    [ "$got" = "$2 $3" ] || fail "$1: '$got', expected '$2 $3'"
}

# expect_content PATH TEXT: PATH holds exactly TEXT (printf %s, no newline added).
expect_content() {
    printf '%s' "$2" >"$T/expected"
    cmp -s "$T/expected" "$1" || fail "$1 holds '$(cat "$1")', expected '$2'"
}
