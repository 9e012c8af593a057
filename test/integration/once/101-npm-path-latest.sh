#!/bin/bash
# common.npm.package (modules.md §6.2), continued from 100 (the npm
# registry, is-number): `path` installs into <path>/node_modules (npm's
# --prefix, so a package.json in a folder above does not capture it);
# ⚠ `latest` upgrades only when `npm outdated` lists a newer version (the
# original only checked presence), in a dry run too, then holds; every
# entry of a state is attempted and a package the registry does not have
# fails the state with npm's reason.
# ctest-timeout: 300
# Root only, in a sandbox (npm's cache a tmpfs).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
. "$(dirname "$0")/../lib-lang.sh"
in_sandbox "$@"
npm_sandbox
A="$T/app"
mkdir -p "$A"
# A package.json above the folder: npm alone would install there.
echo '{"name": "outer", "version": "1.0.0"}' >"$T/package.json"
n() { printf '{"name": %s, "path": "%s"}' "$1" "$A"; }

st common.npm.package "$(n '{"is-number": "6.0.0"}')"
expect_rc 0
expect_state true true "installed is-number 6.0.0"
[ "$(npm_version "$A" is-number)" = 6.0.0 ] || fail "not in $A/node_modules"
[ ! -e "$T/node_modules" ] || fail "installed into the folder above"
[ -z "$(npm_version "$(npm root -g)/.." is-number)" ] || fail "installed globally"

# latest: a newer version exists, so it upgrades (a dry run says so first).
st common.npm.package "$(n '{"is-number": "latest"}')" dry
expect_state true true "would upgrade is-number 6.0.0 → 7.0.0"
[ "$(npm_version "$A" is-number)" = 6.0.0 ] || fail "the dry run upgraded"
st common.npm.package "$(n '{"is-number": "latest"}')"
expect_state true true "upgraded is-number 6.0.0 → 7.0.0"
[ "$(npm_version "$A" is-number)" = 7.0.0 ] || fail "not upgraded"
st common.npm.package "$(n '{"is-number": "latest"}')"
expect_state true false "is-number 7.0.0 is the latest version, no changes"
expect_no_line out "^(added|changed) "

# Every entry is attempted; an unknown package fails with npm's reason.
st common.npm.package "$(n '[{"key": "oa-no-such-package-x7q"}, {"key": "is-number", "value": "removed"}]')"
expect_rc 1
expect_state_like false true "npm install oa-no-such-package-x7q exited with status 1: npm error .*; removed is-number 7.0.0"
expect_line out "404"
[ -z "$(npm_version "$A" is-number)" ] || fail "not removed"
echo ok
