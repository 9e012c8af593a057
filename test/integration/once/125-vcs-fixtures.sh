#!/bin/bash
# The example recipes of common.hg and common.svn (basic/common.hg.json,
# basic/common.svn.json, complex/common.hg.complex.json,
# complex/common.svn.complex.json), in copies under
# fixtures/visualops-recipes/local/ whose repositories are local (@ORIGIN@
# holds a Mercurial repository hgview and a Subversion repository pysa
# instead of hg.logilab.org and GitHub's svn bridge); the complex copies
# leave out their yum/apt states, which only installed the tool. Each runs
# through `opsagent once` as written (paths under /tmp/test and /tmp/hg,
# tmpfs in a sandbox): every state succeeds, as annotated, and a second run
# changes nothing.
. "$(dirname "$0")/../lib.sh"
command -v hg >/dev/null && command -v svnadmin >/dev/null ||
    { echo "SKIP: needs mercurial and subversion"; exit 77; }
in_sandbox "$@"
made=()
for d in /tmp/test /tmp/hg; do [ -d "$d" ] || made+=("$d"); done
cleanup() {
    umount /tmp/test /tmp/hg 2>/dev/null || true
    for d in "${made[@]}"; do rmdir "$d" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
sandbox_tmpfs /tmp/test /tmp/hg

FIX="$OA_SOURCE_DIR/test/fixtures/visualops-recipes/local"
export HGPLAIN=1 HGUSER=t
hg init "$T/repos/hgview"
(cd "$T/repos/hgview" && echo '# hgview' >README && hg add -q README && hg commit -qm init)
svnadmin create "$T/repos/pysa"
svn -q mkdir -m init "file://$T/repos/pysa/pysa"

config c "[global]
state_dir = $T/state"
# run NAME COMMENT_REGEX...: one `once --json` of the fixture with @ORIGIN@
# filled in; every state succeeds with the given comments, in order.
run() {
    local name=$1 i=1
    shift
    sed "s|@ORIGIN@|$T/repos|g" "$FIX/$name" >"$T/$name"
    agent -c "$T/c.conf" once --json "$T/$name"
    expect_rc 0
    for want in "$@"; do
        [ "$(json_field $i state_result)" = true ] ||
            fail "$name state $i failed: $(json_field $i state_comment)"
        [[ "$(json_field $i state_comment)" =~ ^$want$ ]] ||
            fail "$name state $i: '$(json_field $i state_comment)', expected '$want'"
        i=$((i + 1))
    done
    expect_lines out $((i - 1))
}

run common.hg.json "cloned $T/repos/hgview into /tmp/test/hgview at tip \([0-9a-f]{12}\)"
run common.hg.json "/tmp/test/hgview is at tip \([0-9a-f]{12}\), no changes"
run common.svn.json "checked out file://$T/repos/pysa into /tmp/test/svn at r1"
run common.svn.json "/tmp/test/svn is at r1, no changes"
run common.hg.complex.json ".*" "cloned $T/repos/hgview into /tmp/hg/test at default \([0-9a-f]{12}\)"
# The recipe's linux.dir makes every file under /tmp/hg 0755, the clone's
# too: hg sees them as modified ('+'), and nothing is updated.
run common.hg.complex.json ".*" "/tmp/hg/test is at default \([0-9a-f]{12}\+\), no changes"
run common.svn.complex.json ".*" "/tmp/test/svn is at r1, no changes"
run common.svn.complex.json ".*" "/tmp/test/svn is at r1, no changes"
