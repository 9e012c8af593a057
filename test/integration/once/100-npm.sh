#!/bin/bash
# common.npm.package (modules.md §6.2), globally (-g), for real against the
# npm registry with a tiny package (is-number, no dependencies, no
# executables); skipped where the registry cannot be reached. Covers:
# installed at a version, a no-op that uses no network (the version and a
# range are checked here, npm ls only), dry runs, removal, and the
# parameters refused before npm runs. 101 covers `path`, `latest` and
# failures, 102 `once`, the fixtures and the prerequisite.
# ctest-timeout: 300
# Root only, in a sandbox: npm's global folder is a private copy, its cache
# a tmpfs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
. "$(dirname "$0")/../lib-lang.sh"
in_sandbox "$@"
npm_sandbox
G=$(npm root -g)
n() { printf '{"name": %s}' "$1"; }

st common.npm.package "$(n '{"is-number": "6.0.0"}')" dry
expect_state true true "would install is-number 6.0.0"
[ -z "$(npm_version "$G/.." is-number)" ] || fail "the dry run installed"

st common.npm.package "$(n '{"is-number": "6.0.0"}')"
expect_rc 0
expect_state true true "installed is-number 6.0.0"
[ "$(npm_version "$G/.." is-number)" = 6.0.0 ] || fail "not in $G"

# Satisfied: the exact version, then a range, then any version; npm ls only.
st common.npm.package "$(n '[{"key": "is-number", "value": "6.0.0"}]')"
expect_state true false "is-number 6.0.0 is installed, no changes"
expect_lines out 0
st common.npm.package "$(n '{"is-number": "^6.0.0 || >=7"}')"
expect_state true false "is-number 6.0.0 is installed, no changes"
st common.npm.package "$(n '[{"key": "is-number"}]')" dry
expect_state true false "is-number 6.0.0 is installed, no changes"

# A range it does not meet: npm installs the best match (7.0.0).
st common.npm.package "$(n '{"is-number": ">=7.0.0 <8"}')" dry
expect_state true true "would install is-number >=7.0.0 <8 (now 6.0.0)"
st common.npm.package "$(n '{"is-number": ">=7.0.0 <8"}')"
expect_state true true "is-number 6.0.0 → 7.0.0"
[ "$(npm_version "$G/.." is-number)" = 7.0.0 ] || fail "not upgraded"

# Removed, then already gone.
st common.npm.package "$(n '{"is-number": "removed"}')" dry
expect_state true true "would remove is-number (now 7.0.0)"
st common.npm.package "$(n '{"is-number": "removed"}')"
expect_state true true "removed is-number 7.0.0"
[ -z "$(npm_version "$G/.." is-number)" ] || fail "still installed"
st common.npm.package "$(n '{"is-number": "removed"}')"
expect_state true false "is-number is not installed, no changes"

# Refused before npm runs.
st common.npm.package "$(n '{"-g": ""}')"
expect_state false false "parameter 'name': '-g' is not a package name"
st common.npm.package "$(n '{"is-number": "--registry=http://x"}')"
expect_state false false "parameter 'name': '--registry=http://x' is not a version of is-number"
st common.npm.package '{"name": {"is-number": ""}, "path": "relative/dir"}'
expect_state false false "parameter 'path': 'relative/dir' is not an absolute path"
st common.npm.package "{\"name\": {\"is-number\": \"\"}, \"path\": \"$T/nope\"}"
expect_state false false "$T/nope is not a directory"
st common.npm.package '{"path": "/srv"}'
expect_state false false "missing required parameter 'name'"
echo ok
