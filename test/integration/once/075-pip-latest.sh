#!/bin/bash
# common.pip.package (modules.md §6.1), continued from 074 (local wheels,
# PIP_FIND_LINKS/PIP_NO_INDEX passed on): ⚠ `latest` upgrades (the original
# only checked presence), in a dry run too, then holds. Root only, in a
# sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
in_sandbox "$@"
pip_sandbox
n() { printf '{"name": %s}' "$1"; }
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels"
wheel oa-tiny 1.0
st common.pip.package "$(n '[{"key": "oa-tiny"}]')"
expect_state true true "installed oa-tiny 1.0"

# latest (⚠ the original only checked presence): upgrades, then holds.
wheel oa-tiny 1.1
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "latest"}]')" dry
expect_state true true "would upgrade oa-tiny 1.0 → 1.1"
[ "$(installed oa-tiny)" = "oa-tiny==1.0" ] || fail "the dry run upgraded"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "latest"}]')"
expect_state true true "upgraded oa-tiny 1.0 → 1.1"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "latest"}]')"
expect_state true false "oa-tiny 1.1 is the latest version, no changes"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "latest"}]')" dry
expect_state true false "oa-tiny 1.1 is the latest version, no changes"
