#!/bin/bash
# The internal exec-state sub-command speaks the child-process protocol:
# the request on stdin, the result on fd 3.
. "$(dirname "$0")/../lib.sh"

echo '{"id":"s","module":"linux.cmd","parameter":{"cmd":"echo hi","cwd":"/tmp"},"dry_run":false,"watch_dir":null}' |
    "${OA[@]}" exec-state 3>"$T/result" >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = hi ] || fail "output"
[ "$(cat "$T/result")" = '{"result":true,"comment":"Command \"echo hi\" run","changed":true}' ] ||
    fail "result: $(cat "$T/result")"

set +e
echo 'not json' | "${OA[@]}" exec-state 3>"$T/result" >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc 2
grep -q '"result":false,"comment":"invalid request on stdin: invalid JSON at byte' "$T/result" || fail "bad request: $(cat "$T/result")"

# Without fd 3 the result goes to stdout. (Not under valgrind: its log file
# shows through as fd 3 of the program it runs.)
[ -z "${OPSAGENT_WRAPPER:-}" ] || exit 0
set +e
echo '{"id":"s","module":"meta.comment","parameter":{}}' | "${OA[@]}" exec-state >"$T/out" 2>"$T/err" 3>&-
RC=$?
set -e
expect_rc 1
expect_line out "runs inside the agent"
