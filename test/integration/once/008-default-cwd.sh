#!/bin/bash
# Without cwd, linux.cmd runs in /opt/visualops/tmp and creates it (as the
# original did). In a sandbox: /opt is a private tmpfs there.
. "$(dirname "$0")/../lib.sh"
in_sandbox "$@"

recipe r '[{"module": "linux.cmd", "parameter": {"cmd": "pwd"}}]'
agent once --dry-run "$T/r.json"
expect_rc 0
[ ! -e /opt/visualops ] || fail "dry run created the directory"
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_stdout)" = "/opt/visualops/tmp" ] || fail "cwd: $(json_field 1 state_stdout)"
[ -d /opt/visualops/tmp ] || fail "not created"
