#!/bin/bash
# linux.cmd parameters and the shared validation: guards, shell, cmd as an
# array, timeout checks, unknown parameters, missing or mistyped ones.
. "$(dirname "$0")/../lib.sh"

touch "$T/present"
recipe r '{"state": [
  {"id": "guards-pass", "module": "linux.cmd", "parameter": {"cmd": "echo ran", "cwd": "/tmp",
     "if-path-present": ["'"$T"'/present", "'"$T"'"], "if-path-absent": "'"$T"'/absent"}},
  {"id": "guard-present", "module": "linux.cmd", "parameter": {"cmd": "echo no", "cwd": "/tmp",
     "if-path-present": ["'"$T"'/present", "'"$T"'/absent"]}},
  {"id": "array-cmd", "module": "linux.cmd", "parameter": {"cmd": ["echo one", "echo two"], "cwd": "/tmp"}},
  {"id": "bash", "module": "linux.cmd", "parameter": {"cmd": "echo ${BASH_VERSION:+bash}", "shell": "/bin/bash", "cwd": "/tmp"}},
  {"id": "unknown-param", "module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp", "colour": "blue"}},
  {"id": "timeout-number", "module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp", "timeout": 5}}
]}'
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_stdout)" = "ran" ] || fail "guards-pass"
[ "$(json_field 2 state_comment)" = "skipped: $T/absent does not exist" ] || fail "guard-present"
[ "$(json_field 3 state_stdout)" = "one
two" ] || fail "array-cmd: $(json_field 3 state_stdout)"
[ "$(json_field 4 state_stdout)" = "bash" ] || fail "shell"
[ "$(json_field 5 state_stdout)" = "ignoring unknown parameter 'colour'" ] || fail "unknown parameter"

# bad CASE PARAMETERS COMMENT
bad() {
    recipe "$1" '[{"module": "linux.cmd", "parameter": '"$2"'}]'
    agent once --json "$T/$1.json"
    expect_rc 1
    [ "$(json_field 1 state_comment)" = "$3" ] || fail "$1: $(json_field 1 state_comment)"
}
bad missing-cmd '{"cwd": "/tmp"}' "missing required parameter 'cmd'"
bad empty-cmd '{"cmd": ""}' "missing required parameter 'cmd'"
bad object-cmd '{"cmd": {"a": 1}}' "parameter 'cmd': expected a line of text (string or number), got object"
bad bad-env '{"cmd": "true", "env": 5}' "parameter 'env': expected a list of {\"key\",\"value\"} objects, got number"
bad bad-timeout '{"cmd": "true", "timeout": "soon"}' "parameter 'timeout': expected a whole number from 1 to 2592000, got 'soon'"
bad zero-timeout '{"cmd": "true", "timeout": "0"}' "parameter 'timeout': expected a whole number from 1 to 2592000, got '0'"
bad relative-cwd '{"cmd": "true", "cwd": "tmp"}' "parameter 'cwd': 'tmp' is not an absolute path"
bad relative-guard '{"cmd": "true", "cwd": "/tmp", "if-path-absent": ["x"]}' "parameter 'if-path-absent': 'x' is not an absolute path"
bad relative-shell '{"cmd": "true", "cwd": "/tmp", "shell": "bash"}' "parameter 'shell': 'bash' is not an absolute path"
# Under valgrind (the valgrind label), posix_spawn's CLONE_VM child runs as
# a plain fork, which cannot hand the exec failure back: the agent sees the
# child's exit status 127 instead.
if [ -z "${OPSAGENT_WRAPPER:-}" ]; then
    bad missing-shell '{"cmd": "true", "cwd": "/tmp", "shell": "/nonexistent/sh"}' "cannot execute for /nonexistent/sh: No such file or directory"
else
    bad missing-shell '{"cmd": "true", "cwd": "/tmp", "shell": "/nonexistent/sh"}' 'Command "true" exited with status 127'
fi

recipe unknown '[{"id": "u", "module": "linux.teleport", "parameter": {}}]'
agent once "$T/unknown.json"
expect_rc 1
expect_line out "^\[1/1\] u linux\.teleport FAILED [0-9]+ ms: unknown module 'linux\.teleport'$"
