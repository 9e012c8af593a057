#!/bin/bash
# common.pip.package (modules.md §6.1), continued from 074 (local wheels,
# PIP_FIND_LINKS/PIP_NO_INDEX passed on): a pinned version, down and
# up, the same release spelled longer, a version specifier left to pip, and
# a version the index does not have. Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
in_sandbox "$@"
pip_sandbox
n() { printf '{"name": %s}' "$1"; }
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels"
wheel oa-tiny 1.0
wheel oa-tiny 1.1
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "1.1"}]')"
expect_state true true "installed oa-tiny 1.1"

# A pinned version, down; the same release spelled longer is no change; a
# specifier lets pip decide.
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "1.0"}]')" dry
expect_state true true "would install oa-tiny==1.0 (now 1.1)"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "1.0"}]')"
expect_state true true "oa-tiny 1.1 → 1.0"
[ "$(installed oa-tiny)" = "oa-tiny==1.0" ] || fail "not downgraded"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "1.0.0"}]')"
expect_state true false "oa-tiny 1.0 is installed, no changes"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": ">=1.1"}]')"
expect_state true true "oa-tiny 1.0 → 1.1"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": ">=1.1"}]')"
expect_state true false "oa-tiny 1.1 is installed, no changes"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "9.9"}]')"
expect_rc 1
expect_state false false "oa-tiny: pip install exited with status 1: ERROR: Could not find a version that satisfies the requirement oa-tiny==9.9 (from versions: 1.0, 1.1)"
