#!/bin/bash
# A state runs with a clean environment (PATH, LANG, HOME… plus its env),
# never the agent's own, in its cwd.
. "$(dirname "$0")/../lib.sh"

mkdir "$T/work"
recipe r '{"state": [
  {"id": "env", "module": "linux.cmd", "parameter": {
     "cmd": "pwd; echo \"A=$A B=$B C=${C-unset} LANG=$LANG\"; env | grep -c OA_AGENT_SECRET || true",
     "cwd": "'"$T"'/work",
     "env": [{"key": "A", "value": "1"}, {"key": "B", "value": "two words"},
             {"key": "C", "value": ""}, {"key": "", "value": "x"}]}},
  {"id": "env-string", "module": "linux.cmd", "parameter": {
     "cmd": "echo \"$WORLD\"", "cwd": "/tmp", "env": "WORLD=world"}},
  {"id": "no-cwd", "module": "linux.cmd", "parameter": {
     "cmd": "true", "cwd": "'"$T"'/missing"}}
]}'
OA_AGENT_SECRET=do-not-leak agent once --json "$T/r.json"
expect_rc 1
[ "$(json_field 1 state_stdout)" = "$T/work
A=1 B=two words C=unset LANG=C.UTF-8
0" ] || fail "environment: $(json_field 1 state_stdout)"
[ "$(json_field 2 state_stdout)" = "world" ] || fail "env as a string"
[ "$(json_field 3 state_comment)" = "working directory $T/missing is not available" ] ||
    fail "missing cwd: $(json_field 3 state_comment)"
