#!/bin/bash
# linux.group (modules.md §7.1): created with and without gid and
# system-group, a no-op when it exists, the gid changed with groupmod, a dry
# run that changes nothing, a gid held by another group refused, invalid
# parameters refused, groupadd's own refusal reported with its output, the
# fixture's `system` key warned about. Root only, in a sandbox (private /etc).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-accounts.sh"
in_sandbox "$@"

gid_of() { getent group "$1" | cut -d: -f3; }

# The basic fixture: required parameters only.
agent once --json "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic/linux.group.json"
expect_rc 0
gid=$(gid_of Dev)
[ -n "$gid" ] || fail "group Dev was not created"
[ "$(json_field 1 state_comment)" = "Group Dev created (gid $gid)" ] || fail "comment: $(json_field 1 state_comment)"
[ "$(json_field 1 state_stdout)" = "running: groupadd -- Dev" ] || fail "output: $(json_field 1 state_stdout)"

# Again: nothing to do.
run_state linux.group '{"groupname": "Dev"}'
expect_state true false "Group Dev is up to date (gid $gid)"
[ ! -s "$T/out" ] || fail "output of a no-op: $(cat "$T/out")"
run_state linux.group "{\"groupname\": \"Dev\", \"gid\": $gid}"
expect_state true false "Group Dev is up to date (gid $gid)"

# Dry run of a change and of a creation: nothing happens.
cp /etc/group "$T/group.before"
run_state linux.group '{"groupname": "Dev", "gid": "600"}' dry
expect_state true true "would change the gid of group Dev from $gid to 600"
run_state linux.group '{"groupname": "Ops", "gid": "700", "system-group": "y"}' dry
expect_state true true "would create group Ops with gid 700 (system group)"
cmp -s /etc/group "$T/group.before" || fail "the dry run changed /etc/group"

# The gid changes.
run_state linux.group '{"groupname": "Dev", "gid": "600"}'
expect_state true true "Group Dev: gid $gid → 600"
expect_line out '^running: groupmod -g 600 -- Dev$'
[ "$(gid_of Dev)" = 600 ] || fail "gid of Dev: $(gid_of Dev)"
run_state linux.group '{"groupname": "Dev", "gid": "600"}'
expect_state true false "Group Dev is up to date (gid 600)"

# Full parameters; system-group applies at creation, with the gid given.
run_state linux.group '{"groupname": "Ops", "gid": "700", "system-group": true}'
expect_state true true "Group Ops created (gid 700)"
expect_line out '^running: groupadd -g 700 -r -- Ops$'
# Without a gid, a system group gets one from the system range.
run_state linux.group '{"groupname": "sysops", "system-group": "y"}'
expect_state_re true true "Group sysops created \\(gid [0-9]+\\)"
[ "$(gid_of sysops)" -lt 1000 ] || fail "system group sysops got gid $(gid_of sysops)"
run_state linux.group '{"groupname": "plain", "system-group": "n"}'
expect_state_re true true "Group plain created \\(gid [0-9]+\\)"
[ "$(gid_of plain)" -ge 1000 ] || fail "group plain got gid $(gid_of plain)"

# A gid that another group holds.
run_state linux.group '{"groupname": "Dev", "gid": "0"}'
expect_state false false "cannot change the gid of group Dev: gid 0 is already used by group root"
run_state linux.group '{"groupname": "Qa", "gid": "700"}'
expect_state false false "cannot create group Qa: gid 700 is already used by group Ops"
getent group Qa >/dev/null && fail "group Qa was created"
[ "$(gid_of Dev)" = 600 ] || fail "gid of Dev changed to $(gid_of Dev)"

# Invalid parameters: nothing is run.
run_state linux.group '{"gid": "1"}'
expect_state false false "missing required parameter 'groupname'"
run_state linux.group '{"groupname": "Qa", "gid": "abc"}'
expect_state false false "parameter 'gid': expected a whole number from 0 to 4294967294, got 'abc'"
run_state linux.group '{"groupname": "-r"}'
expect_state false false "parameter 'groupname': '-r' is not a valid name"
run_state linux.group '{"groupname": "a:b"}'
expect_state false false "parameter 'groupname': 'a:b' is not a valid name"
run_state linux.group '{"groupname": "Qa", "system-group": "maybe"}'
expect_state_re false false "parameter 'system-group': expected a boolean.*"

# groupadd's own refusal (a name longer than 32 characters): its message is
# in the output, its status in the comment.
long=abcdefghijklmnopqrstuvwxyz0123456789
run_state linux.group "{\"groupname\": \"$long\"}"
expect_state false false "cannot create group $long: groupadd exited with status 3"
expect_line out "^running: groupadd -- $long\$"
expect_line err "groupadd: '$long' is not a valid group name"

# The complex fixture's `system` key (§I) is warned about, not mapped.
run_state linux.group '{"groupname": "Dev", "gid": "600", "system": false}'
expect_state true false "Group Dev is up to date (gid 600)"
expect_line out "^ignoring unknown parameter 'system'$"
