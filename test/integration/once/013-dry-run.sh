#!/bin/bash
# --dry-run changes nothing: a command is never executed, it reports what it
# would run; guards are still evaluated.
. "$(dirname "$0")/../lib.sh"

recipe r '{"state": [
  {"id": "touch", "module": "linux.cmd", "parameter": {"cmd": "touch '"$T"'/made\necho second line", "cwd": "/tmp"}},
  {"id": "guarded", "module": "linux.cmd", "parameter": {"cmd": "touch '"$T"'/never", "cwd": "/tmp",
     "if-path-absent": ["/"]}}
]}'
agent once --dry-run --json "$T/r.json"
expect_rc 0
[ ! -e "$T/made" ] || fail "the dry run executed the command"
[ "$(json_field 1 state_comment)" = "would run: touch $T/made..." ] || fail "comment: $(json_field 1 state_comment)"
[ "$(json_field 2 state_comment)" = "skipped: / exists" ] || fail "guard: $(json_field 2 state_comment)"
