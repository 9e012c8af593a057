#!/bin/bash
# common.pip.package (modules.md §6.1), continued from 074: a recipe run by
# `opsagent once`, whose children get a clean environment, so pip's own
# /etc/pip.conf points it at the local wheels, or PIP_INDEX_URL,
# PIP_FIND_LINKS and PIP_NO_INDEX, the only variables the agent passes on
# to its children besides sanitizer options; and python3-pip
# installed when pip is missing (§1.6; an apt-get stand-in un-hides pip),
# never pip's self-upgrade. Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
in_sandbox "$@"
pip_sandbox
n() { printf '{"name": %s}' "$1"; }
wheel oa-tiny 1.0
wheel oa-third 3.0
wheel oa-env 2.0

# Through `once`: the clean environment drops PIP_*; pip's own config
# points it at the wheels.
printf '[global]\nno-index = true\nfind-links = %s\n' "$T/wheels" >/etc/pip.conf
recipe r '[{"id": "pip", "module": "common.pip.package", "parameter": {"name": [{"key": "oa-tiny", "value": "1.0"}]}}]'
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "installed oa-tiny 1.0" ] || fail "once: $(json_field 1 state_comment)"
agent once --json "$T/r.json"
[ "$(json_field 1 state_comment)" = "oa-tiny 1.0 is installed, no changes" ] ||
    fail "once again: $(json_field 1 state_comment)"

# Without pip.conf, the agent's PIP_* reach pip through the clean
# environment (PyPI is not reachable here: without them this fails).
rm /etc/pip.conf
recipe e '[{"id": "pip", "module": "common.pip.package", "parameter": {"name": [{"key": "oa-env", "value": "2.0"}]}}]'
PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels" agent once --json "$T/e.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "installed oa-env 2.0" ] || fail "once with PIP_*: $(json_field 1 state_comment)"
printf '[global]\nno-index = true\nfind-links = %s\n' "$T/wheels" >/etc/pip.conf

# pip missing: python3-pip would be installed in a dry run, is installed
# in a real one (an apt-get stand-in un-hides pip), pip is never upgraded.
hide_tool /usr/bin/pip3 /usr/bin/pip
fake_apt_get 0 /usr/bin/pip3 /usr/bin/pip
st common.pip.package "$(n '[{"key": "oa-third"}]')" dry
expect_state true true "would install python3-pip, then pip install oa-third"
expect_line out "^would install the package python3-pip \(for pip3\)$"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
st common.pip.package "$(n '[{"key": "oa-third"}]')"
expect_rc 0
expect_state true true "installed oa-third 3.0"
expect_line out "^installing the package python3-pip \(for pip3\)$"
grep -q 'install --no-install-recommends python3-pip$' "$T/apt.log" || fail "apt-get: $(cat "$T/apt.log")"
expect_no_line out "install.*--upgrade pip"
