#!/bin/bash
# A recipe whose second state fails: exit 1; the failure is named with its
# reason, on stdout and in one log line; the states after it are not run.
. "$(dirname "$0")/../lib.sh"

recipe r '{"state": [
  {"id": "first", "module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp"}},
  {"id": "second", "module": "linux.cmd", "parameter": {"cmd": "echo broken >&2; exit 3", "cwd": "/tmp"}},
  {"id": "third", "module": "linux.cmd", "parameter": {"cmd": "touch '"$T"'/third-ran", "cwd": "/tmp"}}
]}'
agent once "$T/r.json"
expect_rc 1
expect_lines out 3
expect_line out '^\[1/3\] first linux\.cmd ok '
expect_line out '^\[2/3\] second linux\.cmd FAILED [0-9]+ ms: Command "echo broken >&2; exit 3" exited with status 3$'
expect_line out '^\[3/3\] third linux\.cmd not run: an earlier state failed$'
expect_line err 'ERROR +1 of 3 states succeeded; state 2 \(second\) failed: Command .* exited with status 3$'
[ ! -e "$T/third-ran" ] || fail "the third state ran"

# The output of the failed state reaches the StateLog (stdout and stderr merged).
agent once --json "$T/r.json"
expect_rc 1
[ "$(json_field 2 state_result)" = false ] || fail "state_result of the second state"
[ "$(json_field 2 state_stdout)" = "broken" ] || fail "state_stdout: $(json_field 2 state_stdout)"
[ "$(json_field 3 state_result)" = null ] || fail "not-run state has a result"
