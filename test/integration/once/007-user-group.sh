#!/bin/bash
# user and group: the command runs with that user's ids and environment;
# an unknown user or group fails the state. Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
in_sandbox "$@"

add_user oatest 4711
echo "oagroup:x:4712:" >>/etc/group
recipe r '{"state": [
  {"id": "as-user", "module": "linux.cmd", "parameter": {
     "cmd": "id -un; id -u; id -g; echo \"$HOME $USER\"", "cwd": "/tmp", "user": "oatest"}},
  {"id": "as-group", "module": "linux.cmd", "parameter": {
     "cmd": "id -g", "cwd": "/tmp", "user": "oatest", "group": "oagroup"}},
  {"id": "no-user", "module": "linux.cmd", "parameter": {
     "cmd": "true", "cwd": "/tmp", "user": "nosuchuser"}}
]}'
agent once --json "$T/r.json"
expect_rc 1
[ "$(json_field 1 state_stdout)" = "oatest
4711
4711
/home/oatest oatest" ] || fail "as-user: $(json_field 1 state_stdout)"
[ "$(json_field 2 state_stdout)" = "4712" ] || fail "as-group: $(json_field 2 state_stdout)"
[ "$(json_field 3 state_comment)" = "user nosuchuser does not exist" ] ||
    fail "no-user: $(json_field 3 state_comment)"

recipe g '[{"module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp", "group": "nogroup-x"}}]'
agent once "$T/g.json"
expect_rc 1
expect_line out 'FAILED [0-9]+ ms: group nogroup-x does not exist$'
