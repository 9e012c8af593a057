#!/bin/bash
# common.pip.package (modules.md §6.1), continued from 074 (local wheels,
# PIP_FIND_LINKS/PIP_NO_INDEX passed on): a state with several entries
# carries on after a failure and names each outcome; removed; bad
# parameters. Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
in_sandbox "$@"
pip_sandbox
n() { printf '{"name": %s}' "$1"; }
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels"
wheel oa-tiny 1.0
wheel oa-other 2.0
st common.pip.package "$(n '[{"key": "oa-tiny"}]')"
expect_state true true "installed oa-tiny 1.0"

# Several entries: every one is attempted, each outcome named.
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "removed"}, {"key": "nosuchpkg"}, {"key": "oa-other"}]')"
expect_rc 1
expect_state false true "removed oa-tiny 1.0; nosuchpkg: pip install exited with status 1: ERROR: Could not find a version that satisfies the requirement nosuchpkg (from versions: none); installed oa-other 2.0"
[ -z "$(installed oa-tiny)" ] || fail "oa-tiny still installed"
[ "$(installed oa-other)" = "oa-other==2.0" ] || fail "oa-other not installed"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "removed"}, {"key": "oa-other"}]')"
expect_state true false "oa-tiny is not installed; oa-other 2.0 is installed, no changes"
st common.pip.package "$(n '[{"key": "oa-other", "value": "removed"}]')" dry
expect_state true true "would remove oa-other (now 2.0)"
[ "$(installed oa-other)" = "oa-other==2.0" ] || fail "the dry run removed"

# Bad parameters fail before pip runs.
st common.pip.package "$(n '[{"key": "-r", "value": ""}]')"
expect_state false false "parameter 'name': '-r' is not a package name"
st common.pip.package "$(n '[{"key": "oa-tiny", "value": "--index-url=http://x"}]')"
expect_state false false "parameter 'name': '--index-url=http://x' is not a version of oa-tiny"
st common.pip.package '{}'
expect_state false false "missing required parameter 'name'"
