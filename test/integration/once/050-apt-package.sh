#!/bin/bash
# linux.apt.package (modules.md §5.0, §5.1) against a local Debian
# repository in the sandbox: a plain install refreshes the index only
# because the package is unknown; the second run changes nothing and runs
# no apt-get; an exact version goes down with --allow-downgrades; `latest`
# upgrades without a refresh while the index record is fresh and refreshes
# once it is an hour old; version comparisons pick the best version; a dry
# run changes nothing and says what it would do.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-pkg.sh"
need_tools dpkg-deb dpkg-scanpackages
in_sandbox "$@"
pkg_sandbox

R="$T/repo"
mkdeb "$R" oa-test 1.0
mkdeb "$R" oa-test 2.0
index_repo "$R"
add_source "deb [trusted=yes] file:$R ./"

pkg() { # pkg NAME VALUE [EXTRA]: linux.apt.package parameters
    printf '{"name": [{"key": "%s", "value": "%s"}]%s}' "$1" "$2" "${3:-}"
}
updates() { count_lines out '^\+ apt-get .* update$'; }
stamp="$T/state/pkg/apt-index"

# A dry run does not refresh the index: the package is not known yet.
st linux.apt.package "$(pkg oa-test '')" dry
expect_rc 0
expect_state true true "would install: oa-test (not in the local package index yet)"
expect_dpkg oa-test unknown
[ "$(updates)" = 0 ] || fail "the dry run refreshed the index"
[ ! -e "$stamp" ] || fail "the dry run recorded a refresh"

# Install: unknown to the index, so it is refreshed first, once.
st linux.apt.package "$(pkg oa-test '')"
expect_rc 0
expect_state true true "installed: oa-test 2.0"
expect_dpkg oa-test "install ok installed 2.0"
[ "$(cat /opt/oa-test/oa-test.conf)" = "oa-test 2.0" ] || fail "the package's file is missing"
[ "$(updates)" = 1 ] || fail "expected one index refresh"
expect_line out '^\+ apt-get -q -y -o DPkg::Lock::Timeout=300 -o DPkg::Options::=--force-confold -o DPkg::Options::=--force-confdef install oa-test$'
[ -f "$stamp" ] || fail "no record of the refresh in $stamp"
[ "$(stat -c %a "$T/state/pkg")" = 700 ] || fail "mode of $T/state/pkg"

# Idempotent: nothing to do, no package tool beyond the queries.
st linux.apt.package "$(pkg oa-test '')"
expect_state true false "already ok: oa-test 2.0; no changes"
expect_no_line out '^\+ '

# An exact version below: a downgrade, without refreshing (the index knows 1.0).
st linux.apt.package "$(pkg oa-test 1.0)" dry
expect_state true true "would downgrade: oa-test 2.0 → 1.0"
expect_dpkg oa-test "install ok installed 2.0"
st linux.apt.package "$(pkg oa-test 1.0)"
expect_state true true "downgraded: oa-test 2.0 → 1.0"
expect_dpkg oa-test "install ok installed 1.0"
expect_line out ' --allow-downgrades install oa-test=1.0$'
[ "$(updates)" = 0 ] || fail "refreshed for a known version"
st linux.apt.package "$(pkg oa-test '=1.0')"
expect_state true false "already ok: oa-test 1.0; no changes"

# latest: the index record is fresh, so no refresh.
st linux.apt.package "$(pkg oa-test latest)" dry
expect_state true true "would upgrade: oa-test 1.0 → 2.0"
st linux.apt.package "$(pkg oa-test latest)"
expect_state true true "upgraded: oa-test 1.0 → 2.0"
[ "$(updates)" = 0 ] || fail "latest refreshed a fresh index"
expect_dpkg oa-test "install ok installed 2.0"

# A new version in the repository: not seen while the record is fresh…
mkdeb "$R" oa-test 3.0
index_repo "$R"
st linux.apt.package "$(pkg oa-test latest)"
expect_state true false "already ok: oa-test 2.0; no changes"
expect_no_line out '^\+ '
# …and an hour later the index is refreshed, once, and 3.0 installed.
echo $(($(date +%s) - 3700)) >"$stamp"
st linux.apt.package "$(pkg oa-test latest)" dry
expect_state true false "already ok: oa-test 2.0; no changes"
expect_line out 'not refreshed in the last hour'
st linux.apt.package "$(pkg oa-test latest)"
expect_state true true "upgraded: oa-test 2.0 → 3.0"
[ "$(updates)" = 1 ] || fail "expected one refresh of the old index"
st linux.apt.package "$(pkg oa-test latest)"
expect_state true false "already ok: oa-test 3.0; no changes"
expect_no_line out '^\+ '

# Comparisons: satisfied as is, or the best version that satisfies.
st linux.apt.package "$(pkg oa-test '>= 2.0')"
expect_state true false "already ok: oa-test 3.0; no changes"
st linux.apt.package "$(pkg oa-test '<3.0')"
expect_state true true "downgraded: oa-test 3.0 → 2.0"
expect_dpkg oa-test "install ok installed 2.0"
st linux.apt.package "$(pkg oa-test '> 2.0')"
expect_state true true "upgraded: oa-test 2.0 → 3.0"
st linux.apt.package "$(pkg oa-test '<= 0.5')"
expect_rc 1
expect_state false false "failed: oa-test (version <= 0.5 is not available (available: 3.0, 2.0, 1.0))"
expect_dpkg oa-test "install ok installed 3.0"
echo "ok"
