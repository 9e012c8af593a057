#!/bin/bash
# common.npm.package (modules.md §6.2) through `opsagent once`, whose
# children get a clean environment: NODE_EXTRA_CA_CERTS still reaches npm
# (a host behind a TLS-intercepting proxy needs it); the original's
# fixtures (express) in a dry run; npm installed from the distribution when
# it is missing (§1.6; an apt-get stand-in un-hides it), never the
# original's download piped into a shell.
# ctest-timeout: 300
# Root only, in a sandbox.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
. "$(dirname "$0")/../lib-lang.sh"
in_sandbox "$@"
npm_sandbox
FIX="$OA_SOURCE_DIR/test/fixtures/visualops-recipes"
A="$T/app"
mkdir -p "$A"

recipe r "[{\"id\": \"npm\", \"module\": \"common.npm.package\", \"parameter\": {\"name\": [{\"key\": \"is-number\", \"value\": \"7.0.0\"}], \"path\": \"$A\"}}]"
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "installed is-number 7.0.0" ] || fail "once: $(json_field 1 state_comment)"
agent once --json "$T/r.json"
[ "$(json_field 1 state_comment)" = "is-number 7.0.0 is installed, no changes" ] ||
    fail "once again: $(json_field 1 state_comment)"

# The fixtures, in dry runs (express is large); the npm state is the last.
for f in basic/common.npm.package.json combo/combo.8.json; do
    agent once --dry-run --json "$FIX/$f"
    line=$(wc -l <"$T/out")
    [ "$(json_field "$line" state_comment)" = "would install express" ] ||
        fail "$f: $(json_field "$line" state_comment)"
done

# npm missing: the distribution's package is installed (a stand-in).
hide_tool "$(readlink -f "$(command -v npm)")"
fake_apt_get 0 "$(readlink -f "$(command -v npm)")"
st common.npm.package "{\"name\": {\"is-number\": \"7.0.0\"}, \"path\": \"$A\"}" dry
expect_state true true "would install npm, then npm install is-number"
expect_line out "^would install the package npm \(for npm\)$"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
st common.npm.package "{\"name\": {\"is-number\": \"7.0.0\"}, \"path\": \"$A\"}"
expect_state true true "is-number 7.0.0 is installed"
expect_line out "^installing the package npm \(for npm\)$"
grep -q 'install --no-install-recommends npm$' "$T/apt.log" || fail "apt-get: $(cat "$T/apt.log")"
expect_no_line out "curl|install\.sh"
echo ok
