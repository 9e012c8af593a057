#!/bin/bash
# common.hg and common.svn as another user (§1.10), and installing the tool
# when it is missing (§1.6). Root only, in a sandbox: a throwaway user with
# a tmpfs /home; hg and svn hidden under an empty file and an apt-get in a
# tmpfs /usr/local/sbin that logs its arguments and un-hides them.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
command -v hg >/dev/null && command -v svnadmin >/dev/null ||
    { echo "SKIP: needs mercurial and subversion"; exit 77; }
in_sandbox "$@"
sandbox_tmpfs /home

export HGPLAIN=1 HGUSER=t
hg init "$T/src"
(cd "$T/src" && echo one >a && hg add -q a && hg commit -qm one)
svnadmin create "$T/repo"
svn -q mkdir -m trunk "file://$T/repo/trunk"
chmod -R a+rX "$T/src" "$T/repo"
add_user oavcs 4742
mkdir -m 0755 /home/oavcs && chown oavcs:oavcs /home/oavcs

# As the user: files are the user's; HOME is the user's.
st common.hg "{\"repo\": \"$T/src\", \"path\": \"/home/oavcs/hg\", \"user\": \"oavcs\"}"
expect_state_like true true "cloned $T/src into /home/oavcs/hg at tip \([0-9a-f]{12}\)"
[ "$(stat -c %U /home/oavcs/hg/a /home/oavcs/hg/.hg/store | sort -u)" = oavcs ] ||
    fail "the clone is not the user's"
st common.hg "{\"repo\": \"$T/src\", \"path\": \"/home/oavcs/hg\", \"user\": \"oavcs\"}"
expect_state_like true false "/home/oavcs/hg is at tip \([0-9a-f]{12}\), no changes"
# A directory the user cannot write: hg's own error.
st common.hg "{\"repo\": \"$T/src\", \"path\": \"/opt/hg\", \"user\": \"oavcs\"}"
expect_rc 1
expect_state_like false false "cannot clone $T/src into /opt/hg: hg clone exited with status 255: abort: .*"
st common.svn "{\"repo\": \"file://$T/repo/trunk\", \"path\": \"/home/oavcs/svn\", \"user\": \"oavcs\"}"
expect_state true true "checked out file://$T/repo/trunk into /home/oavcs/svn at r1"
[ "$(stat -c %U /home/oavcs/svn/.svn)" = oavcs ] || fail "the working copy is not the user's"
[ -d /home/oavcs/.subversion ] || fail "svn did not run with the user's HOME"
st common.svn "{\"repo\": \"file://$T/repo/trunk\", \"path\": \"/home/oavcs/svn\", \"user\": \"oavcs\"}"
expect_state true false "/home/oavcs/svn is at r1, no changes"
st common.svn "{\"repo\": \"file://$T/repo/trunk\", \"path\": \"/opt/svn\", \"user\": \"nosuch-oa\"}"
expect_state false false "user nosuch-oa does not exist"

# hg missing: the dry run would install it, a failed install fails, a
# real one installs mercurial and clones.
hide_tool "$(command -v hg)"
fake_apt_get 0 "$(command -v hg)"
st common.hg "{\"repo\": \"$T/src\", \"path\": \"$T/fresh\"}" dry
expect_state true true "would install hg, then clone $T/src into $T/fresh at tip"
expect_line out "^would install the package mercurial \(for hg\)$"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
fake_apt_get 100 "$(command -v hg)"
st common.hg "{\"repo\": \"$T/src\", \"path\": \"$T/fresh\"}"
expect_state false false "hg is not installed and cannot be: apt-get install mercurial exited with status 100"
fake_apt_get 0 "$(command -v hg)"
st common.hg "{\"repo\": \"$T/src\", \"path\": \"$T/fresh\"}"
expect_state_like true true "cloned $T/src into $T/fresh at tip \([0-9a-f]{12}\)"
grep -q 'install --no-install-recommends mercurial$' "$T/apt.log" || fail "apt-get: $(cat "$T/apt.log")"

# svn missing: the same with subversion; an existing working copy is
# updated after the install, which is a change of its own.
hide_tool "$(command -v svn)"
fake_apt_get 0 "$(command -v svn)"
st common.svn "{\"repo\": \"file://$T/repo/trunk\", \"path\": \"/home/oavcs/svn\"}" dry
expect_state true true "would install svn, then update /home/oavcs/svn"
fake_apt_get 0 "$(command -v svn)"
st common.svn "{\"repo\": \"file://$T/repo/trunk\", \"path\": \"$T/fresh-svn\"}"
expect_state true true "checked out file://$T/repo/trunk into $T/fresh-svn at r1"
expect_line out "^installing the package subversion \(for svn\)$"
