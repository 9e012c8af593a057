#!/bin/bash
# common.pip.package (modules.md §6.1). PyPI is out of reach, so the test
# builds tiny wheels itself (Debian's python3, zipfile; lib-sources.sh) and
# points pip at them through PIP_FIND_LINKS and PIP_NO_INDEX in the module's
# environment, which the module passes on to pip (the states run through
# `opsagent exec-state`). Covers: installed, names compared the PEP 503 way,
# dry runs, PEP 668's marker (--break-system-packages); 075-078 cover the
# rest.
# Root only, in a sandbox: pip writes into tmpfs over /usr/local/lib/pythonX.Y,
# /usr/local/bin and /root/.cache.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
in_sandbox "$@"
pip_sandbox
wheel oa-tiny 1.0
n() { printf '{"name": %s}' "$1"; }

# Passed on from the module's environment.
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels"

st common.pip.package "$(n '[{"key": "oa-tiny"}]')" dry
expect_state true true "would install oa-tiny"
[ -z "$(installed oa-tiny)" ] || fail "the dry run installed"

st common.pip.package "$(n '[{"key": "oa-tiny"}]')"
expect_rc 0
expect_state true true "installed oa-tiny 1.0"
[ "$(installed oa-tiny)" = "oa-tiny==1.0" ] || fail "pip list: $(installed oa-tiny)"
[ -f "/usr/local/lib/python$PYVER/dist-packages/oa_tiny/__init__.py" ] || fail "not in dist-packages"
expect_line out "^Looking in links: $T/wheels$"
if [ -e "/usr/lib/python$PYVER/EXTERNALLY-MANAGED" ]; then
    expect_line out "^/usr/lib/python$PYVER/EXTERNALLY-MANAGED exists \(PEP 668\): passing --break-system-packages to pip$"
fi

# Again, also under another spelling of the name: nothing to do.
st common.pip.package "$(n '[{"key": "oa-tiny", "value": null}]')"
expect_state true false "oa-tiny 1.0 is installed, no changes"
st common.pip.package "$(n '{"OA_Tiny": ""}')"
expect_state true false "OA_Tiny 1.0 is installed, no changes"
