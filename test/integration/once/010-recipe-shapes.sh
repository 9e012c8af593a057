#!/bin/bash
# The four recipe shapes of design.md all run; ids are made up where missing.
. "$(dirname "$0")/../lib.sh"

st='{"module": "linux.cmd", "parameter": {"cmd": "echo ok", "cwd": "/tmp"}}'
recipe bare "[$st, $st]"
recipe state "{\"state\": [$st]}"
recipe msg "{\"code\": \"RecipeMetadata\", \"recipe_version\": 7, \"module\": null, \"state\": [{\"id\": \"s1\", \"module\": \"meta.comment\", \"parameter\": {}}]}"
recipe comp "{\"component\": {\"a\": {\"state\": [$st]}, \"b\": {\"state\": [{\"id\": \"from-b\", \"module\": \"meta.comment\", \"parameter\": {}}]}}}"

agent once "$T/bare.json"
expect_rc 0
expect_line out '^\[1/2\] state-1 linux\.cmd ok'
expect_line out '^\[2/2\] state-2 linux\.cmd ok'
agent once "$T/state.json"
expect_rc 0
expect_line out '^\[1/1\] state-1 linux\.cmd ok'
agent once --json "$T/msg.json"
expect_rc 0
[ "$(json_field 1 recipe_version)" = 7 ] || fail "recipe_version of a RecipeMetadata file"
[ "$(json_field 1 state_comment)" = null ] || fail "meta.comment has a comment"
agent once "$T/comp.json"
expect_rc 0
expect_line out '^\[1/2\] state-1 linux\.cmd ok'
expect_line out '^\[2/2\] from-b meta\.comment ok'

# The original's light fixture: a bare array without ids (dry run: it would
# stop sshd).
agent once --dry-run "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/ide/linux.service.complex.ide.light.json"
expect_line out '^\[1/[0-9]+\] state-1 linux\.cmd ok [0-9]+ ms: would run: if \[ ! -f /tmp/run \]'

# A repeated id is accepted with a warning.
recipe dup '[{"id": "x", "module": "meta.comment", "parameter": {}}, {"id": "x", "module": "meta.comment", "parameter": {}}]'
agent once "$T/dup.json"
expect_rc 0
expect_line err "WARNING .*repeats the state id 'x'"
