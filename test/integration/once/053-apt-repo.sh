#!/bin/bash
# linux.apt.repo (modules.md §5.3): /etc/apt/sources.list.d/<name>.list
# written verbatim, root:root 0644, atomically; ".list" added unless there;
# a dry run writes nothing; a changed file marks the apt index stale, so the
# next `latest` refreshes it (apt-get update works with the new `file:`
# source) while an unchanged one does not; invalid names fail.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-pkg.sh"
need_tools dpkg-deb dpkg-scanpackages
in_sandbox "$@"
pkg_sandbox

D=/etc/apt/sources.list.d
mkdeb "$T/one" oa-test 1.0
index_repo "$T/one"
mkdeb "$T/two" oa-test 2.0
index_repo "$T/two"
stamp="$T/state/pkg/apt-index"
repo() { printf '{"name": "%s", "content": "%s"}' "$1" "$2"; }
line1="deb [trusted=yes] file:$T/one ./"

st linux.apt.repo "$(repo oa-one "$line1\\n")" dry
expect_state true true "would create $D/oa-one.list"
[ ! -e "$D/oa-one.list" ] || fail "the dry run wrote the file"
st linux.apt.repo "$(repo oa-one "$line1\\n")"
expect_state true true "$D/oa-one.list: created"
[ "$(stat -c '%a %U:%G' "$D/oa-one.list")" = "644 root:root" ] || fail "attributes"
printf '%s\n' "$line1" | cmp -s - "$D/oa-one.list" || fail "content: $(cat "$D/oa-one.list")"
st linux.apt.repo "$(repo oa-one "$line1\\n")"
expect_state true false "$D/oa-one.list is up to date, no changes"
st linux.apt.repo "$(repo oa-one.list "$line1\\n")"
expect_state true false "$D/oa-one.list is up to date, no changes"

# The index is refreshed for the unknown package; the record is kept.
st linux.apt.package '{"name": {"oa-test": "latest"}}'
expect_state true true "installed: oa-test 1.0"
[ -f "$stamp" ] || fail "no index record"
# An unchanged repository leaves the record alone.
st linux.apt.repo "$(repo oa-one "$line1\\n")"
[ -f "$stamp" ] || fail "an unchanged repository marked the index stale"
# A new repository marks it stale: `latest` refreshes and finds 2.0.
st linux.apt.repo "$(repo oa-two "deb [trusted=yes] file:$T/two ./\\n")" dry
[ -f "$stamp" ] || fail "the dry run marked the index stale"
st linux.apt.repo "$(repo oa-two "deb [trusted=yes] file:$T/two ./\\n")"
expect_state true true "$D/oa-two.list: created"
[ ! -e "$stamp" ] || fail "the index is not marked stale"
st linux.apt.package '{"name": {"oa-test": "latest"}}'
expect_state true true "upgraded: oa-test 1.0 → 2.0"
[ "$(count_lines out '^\+ apt-get .* update$')" = 1 ] || fail "expected one refresh"
expect_dpkg oa-test "install ok installed 2.0"

# Content, mode and owner are all managed; a dry run reports them.
st linux.apt.repo "$(repo oa-two "# disabled\\n")" dry
expect_state true true "would update $D/oa-two.list: content changed"
st linux.apt.repo "$(repo oa-two "# disabled\\n")"
expect_state true true "$D/oa-two.list: content changed"
[ "$(cat "$D/oa-two.list")" = "# disabled" ] || fail "content not replaced"
chmod 600 "$D/oa-two.list"
chown 1:1 "$D/oa-two.list"
st linux.apt.repo "$(repo oa-two "# disabled\\n")"
expect_state true true "$D/oa-two.list: mode 0600 → 0644, owner 1:1 → root:root"
[ "$(stat -c '%a %U:%G' "$D/oa-two.list")" = "644 root:root" ] || fail "attributes not fixed"
# Content without a final newline is written as it is.
st linux.apt.repo "$(repo oa-two "# no newline")"
printf '# no newline' | cmp -s - "$D/oa-two.list" || fail "a newline was added"

# A name apt ignores is written, with a warning.
st linux.apt.repo "$(repo 'my repo' "# x\\n")"
expect_state true true "$D/my repo.list: created"
expect_line out "^warning: apt ignores $D/my repo.list"

# Invalid names and a missing content fail before anything is written.
st linux.apt.repo "$(repo ../evil "x")"
expect_state false false "parameter 'name': '../evil' is not a file name"
st linux.apt.repo "$(repo .. "x")"
expect_state false false "parameter 'name': '..' is not a file name"
st linux.apt.repo '{"name": "oa-three"}'
expect_state false false "missing required parameter 'content'"
[ ! -e "$D/oa-three.list" ] || fail "wrote a file for an invalid state"

# The original's fixture, through `once`: it only writes the file.
config c "[global]
state_dir = $T/state
runtime_dir = $T/run"
agent -c "$T/c.conf" once --json "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic/linux.apt.repo.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "$D/opscode.list: created" ] || fail "fixture: $(json_field 1 state_comment)"
[ "$(cat "$D/opscode.list")" = "deb http://apt.opscode.com/ precise-0.10 main" ] || fail "fixture content"
echo ok
