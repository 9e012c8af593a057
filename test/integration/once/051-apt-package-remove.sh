#!/bin/bash
# linux.apt.package removals and multi-item states (modules.md §5.0, §1.3):
# `removed` keeps the configuration file (dpkg "config-files"), `purged`
# clears it, also from that state; both are no-ops once done. Several
# entries in one state: removals run before installs, every entry is
# attempted, the comment names each one's outcome, and one failing package
# (a broken postinst) does not stop the others of its group.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-pkg.sh"
need_tools dpkg-deb dpkg-scanpackages
in_sandbox "$@"
pkg_sandbox

R="$T/repo"
mkdeb "$R" oa-test 1.0
mkdeb "$R" oa-test 2.0
mkdeb "$R" oa-extra 1.0
mkdeb "$R" oa-broken 1.0 'echo "postinst fails on purpose" >&2; exit 1'
index_repo "$R"
add_source "deb [trusted=yes] file:$R ./"
conf=/opt/oa-test/oa-test.conf

st linux.apt.package '{"name": {"oa-test": "", "oa-extra": "1.0"}}'
expect_state true true "installed: oa-test 2.0, oa-extra 1.0"
[ "$(count_lines out '^\+ apt-get .* install ')" = 1 ] || fail "expected one apt-get install for both"
expect_line out ' install oa-test oa-extra=1.0$'

# removed: the configuration file stays.
st linux.apt.package '{"name": [{"key": "oa-test", "value": "removed"}]}' dry
expect_state true true "would remove: oa-test"
expect_dpkg oa-test "install ok installed 2.0"
st linux.apt.package '{"name": [{"key": "oa-test", "value": "removed"}]}'
expect_state true true "removed: oa-test"
expect_dpkg oa-test "deinstall ok config-files 2.0"
[ -f "$conf" ] || fail "removed deleted the configuration file"
st linux.apt.package '{"name": [{"key": "oa-test", "value": "removed"}]}'
expect_state true false "already ok: oa-test (not installed); no changes"
expect_no_line out '^\+ '

# purged from "config-files": the configuration goes too.
st linux.apt.package '{"name": [{"key": "oa-test", "value": "purged"}]}' dry
expect_state true true "would purge: oa-test"
st linux.apt.package '{"name": [{"key": "oa-test", "value": "purged"}]}'
expect_state true true "purged: oa-test"
expect_dpkg oa-test unknown
[ ! -e "$conf" ] || fail "purged kept the configuration file"
st linux.apt.package '{"name": [{"key": "oa-test", "value": "purged"}]}'
expect_state true false "already ok: oa-test (not installed); no changes"
# purged of an installed package, and of one dpkg never saw.
st linux.apt.package '{"name": [{"key": "oa-extra", "value": "purged"}, {"key": "oa-never", "value": "purged"}]}'
expect_state true true "purged: oa-extra; already ok: oa-never (not installed)"
expect_dpkg oa-extra unknown

# Removals first, then installs, whatever the order of the entries.
st linux.apt.package '{"name": [{"key": "oa-test", "value": "1.0"}, {"key": "oa-extra", "value": "removed"}, {"key": "oa-extra2", "value": "removed"}]}'
expect_state true true "installed: oa-test 1.0; already ok: oa-extra (not installed), oa-extra2 (not installed)"
st linux.apt.package '{"name": [{"key": "oa-extra", "value": ""}]}'
st linux.apt.package '{"name": [{"key": "oa-test", "value": "latest"}, {"key": "oa-extra", "value": "removed"}]}'
expect_state true true "upgraded: oa-test 1.0 → 2.0; removed: oa-extra"
[ "$(grep -nE '^\+ apt-get .* remove oa-extra$' "$T/out" | cut -d: -f1)" -lt \
  "$(grep -nE '^\+ apt-get .* install oa-test$' "$T/out" | cut -d: -f1)" ] || fail "the removal did not run first"

# Every entry is attempted and named: unknown package, unknown version
# (one refresh for both), and a good one.
st linux.apt.package '{"name": [{"key": "oa-nope"}, {"key": "oa-test", "value": "7.0"}, {"key": "oa-extra"}]}'
expect_rc 1
expect_state false true "installed: oa-extra 1.0; failed: oa-nope (no such package in the package index), oa-test (version 7.0 is not available (available: 2.0, 1.0))"
[ "$(count_lines out '^\+ apt-get .* update$')" = 1 ] || fail "expected one refresh"
expect_dpkg oa-test "install ok installed 2.0"

# A package whose installation fails does not stop the rest of its group:
# the group call fails, then each package is attempted on its own.
st linux.apt.package '{"name": [{"key": "oa-broken"}, {"key": "oa-test", "value": "1.0"}]}'
expect_rc 1
expect_state false true "downgraded: oa-test 2.0 → 1.0; failed: oa-broken (apt-get install exited with status 100)"
expect_line out 'install oa-broken oa-test=1.0$'
expect_line out 'install oa-broken$'
expect_line out 'postinst fails on purpose'
expect_dpkg oa-test "install ok installed 1.0"
echo ok
