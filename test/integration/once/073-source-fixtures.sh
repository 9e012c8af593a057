#!/bin/bash
# The example recipes of common.git and common.archive (basic/common.git.json,
# basic/common.archive.json, complex/common.archive.complex.json), in copies
# under fixtures/visualops-recipes/local/ whose URLs point at local sources:
# @PORT@ is a loopback http.server serving stand-ins for the WordPress and
# git archives (same names and layout; their md5 sums replace the originals'
# as @MD5_LATEST_ZIP@ / @MD5_GIT_TGZ@, the complex recipe's checksum file is
# served next to its zip), @ORIGIN@ a folder with a bare phpRedisAdmin.git.
# Each runs through `opsagent once` as written (paths under /tmp/test, here a
# tmpfs in a sandbox): every state succeeds, as annotated, and a second run
# changes nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
in_sandbox "$@"

# /tmp/test is a tmpfs in the sandbox; the empty mount point is removed
# again when this test made it.
made_tmp_test=false
[ -d /tmp/test ] || made_tmp_test=true
cleanup() {
    for p in "${SRC_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    umount /tmp/test 2>/dev/null || true
    if $made_tmp_test; then rmdir /tmp/test 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
sandbox_tmpfs /tmp/test

FIX="$OA_SOURCE_DIR/test/fixtures/visualops-recipes/local"
W="$T/www"
mkdir -p "$W/files" "$T/src/wordpress/wp-admin" "$T/src/git-1.8.3.2/t"
echo '<?php /* stand-in */' >"$T/src/wordpress/index.php"
echo 'admin' >"$T/src/wordpress/wp-admin/index.php"
echo 'all:' >"$T/src/git-1.8.3.2/Makefile"
echo 'test' >"$T/src/git-1.8.3.2/t/README"
mkzip() { (cd "$T/src" && $PY -c 'import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for d, _, fs in os.walk(sys.argv[2]):
        z.write(d + "/")
        for f in fs: z.write(os.path.join(d, f))' "$1" "$2"); }
mkzip "$W/latest.zip" wordpress
mkzip "$W/wordpress-3.9.1.zip" wordpress
# wordpress.org's .md5 files hold the bare sum, without a newline.
printf '%s' "$(md5sum "$W/wordpress-3.9.1.zip" | cut -d' ' -f1)" >"$W/wordpress-3.9.1.zip.md5"
tar -czf "$W/files/git-1.8.3.2.tar.gz" -C "$T/src" git-1.8.3.2
start_http "$W"

git init -q -b master "$T/work"
(cd "$T/work" && echo '<?php' >index.php && git add index.php &&
    git -c user.name=t -c user.email=t@example.org commit -qm init)
git clone -q --bare "$T/work" "$T/repos/phpRedisAdmin.git"

# local_fixture NAME: the fixture with its placeholders filled in, as $T/NAME.
local_fixture() {
    sed -e "s|@PORT@|${HTTP##*:}|g" -e "s|@ORIGIN@|$T/repos|g" \
        -e "s|@MD5_LATEST_ZIP@|$(md5sum "$W/latest.zip" | cut -d' ' -f1)|g" \
        -e "s|@MD5_GIT_TGZ@|$(md5sum "$W/files/git-1.8.3.2.tar.gz" | cut -d' ' -f1)|g" \
        "$FIX/$1" >"$T/$1"
    if grep -q '@[A-Z_0-9]*@' "$T/$1"; then fail "placeholder left in $1"; fi
}
config c "[global]
state_dir = $T/state"
# run NAME COMMENT_REGEX...: one `once --json`; every state succeeds with
# the given comments, in order.
run() {
    local name=$1 i=1
    shift
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

local_fixture common.git.json
run common.git.json "cloned file://$T/repos/phpRedisAdmin.git into /tmp/test/git/phpRedisAdmin at [0-9a-f]{7}"
[ -f /tmp/test/git/phpRedisAdmin/index.php ] || fail "not cloned"
run common.git.json "/tmp/test/git/phpRedisAdmin is at master \([0-9a-f]{7}\), no changes"

local_fixture common.archive.json
run common.archive.json "$HTTP/latest.zip extracted in /tmp/test/wordpress \(4 entries\)"
[ -f /tmp/test/wordpress/wordpress/wp-admin/index.php ] || fail "latest.zip not extracted"
run common.archive.json "latest.zip is already extracted in /tmp/test/wordpress \(md5 [0-9a-f]{32}\), no changes"

local_fixture common.archive.complex.json
run common.archive.complex.json \
    "$HTTP/wordpress-3.9.1.zip extracted in /tmp/test/archive/wordpress \(4 entries\)" \
    "$HTTP/files/git-1.8.3.2.tar.gz extracted in /tmp/test/archive/git \(4 entries\)"
[ -f /tmp/test/archive/git/git-1.8.3.2/t/README ] || fail "the git archive is not extracted"
run common.archive.complex.json \
    "wordpress-3.9.1.zip is already extracted in /tmp/test/archive/wordpress \(md5 [0-9a-f]{32}\), no changes" \
    "git-1.8.3.2.tar.gz is already extracted in /tmp/test/archive/git \(md5 [0-9a-f]{32}\), no changes"
