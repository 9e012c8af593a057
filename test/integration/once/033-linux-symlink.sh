#!/bin/bash
# linux.symlink (modules.md §3.4; source = what the link points to, target =
# the link): creation (the source stored exactly as given, need not exist),
# idempotency, dry runs, pointing an existing link elsewhere (replaced by a
# rename, keeping its owner when none is given, ⚠), the link's own owner
# and group (lchown; what it points to is untouched), `mode` accepted and
# ignored, the parent that must exist, a file or directory in the way, and
# absent (a link goes, ⚠ a file or directory fails, nothing there is fine).
# Root only, in a sandbox with a tmpfs on /tmp/test.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-files.sh"
in_sandbox "$@"
sandbox_tmpfs /tmp/test
add_user oatest 4711
echo "oagroup:x:4712:" >>/etc/group
echo data >/tmp/test/src
echo other >/tmp/test/src2

# expect_link PATH DEST OWNER:GROUP: PATH is a link holding DEST, owned so.
expect_link() {
    [ -L "$1" ] || fail "$1 is not a link"
    [ "$(readlink "$1")" = "$2" ] || fail "$1 -> $(readlink "$1"), expected $2"
    [ "$(stat -c %U:%G "$1")" = "$3" ] || fail "$1 owned by $(stat -c %U:%G "$1"), expected $3"
}

recipe r '{"state": [{"id": "l", "module": "linux.symlink", "parameter": {
  "source": "/tmp/test/src", "target": "/tmp/test/link"}}]}'
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "Created symlink /tmp/test/link -> /tmp/test/src" ] ||
    fail "comment: $(json_field 1 state_comment)"
expect_link /tmp/test/link /tmp/test/src root:root
agent once --json "$T/r.json"
[ "$(json_field 1 state_comment)" = "Symlink /tmp/test/link -> /tmp/test/src is in the correct state" ] ||
    fail "second run: $(json_field 1 state_comment)"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/link/"}'
expect_state true false "Symlink /tmp/test/link -> /tmp/test/src is in the correct state"

# Dry runs change nothing.
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/new"}' dry
expect_state true true "would create symlink /tmp/test/new -> /tmp/test/src"
[ ! -L /tmp/test/new ] || fail "the dry run created the link"
st linux.symlink '{"source": "/tmp/test/src2", "target": "/tmp/test/link"}' dry
expect_state true true "would point symlink /tmp/test/link to /tmp/test/src2 (now /tmp/test/src)"
expect_link /tmp/test/link /tmp/test/src root:root

# The link's own owner: lchown, the file it points to keeps its owner.
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/link", "user": "oatest", "group": "oagroup"}' dry
expect_state true true "would update symlink /tmp/test/link (owner root → oatest, group root → oagroup)"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/link", "user": "oatest", "group": "oagroup"}'
expect_state true true "Symlink /tmp/test/link updated (owner root → oatest, group root → oagroup)"
expect_link /tmp/test/link /tmp/test/src oatest:oagroup
[ "$(stat -c %U:%G /tmp/test/src)" = root:root ] || fail "the source was chowned"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/link", "user": "oatest", "group": "oagroup"}'
expect_state true false "Symlink /tmp/test/link -> /tmp/test/src is in the correct state"

# Pointing it elsewhere: replaced, the owner kept when none is given (⚠).
st linux.symlink '{"source": "/tmp/test/src2", "target": "/tmp/test/link"}'
expect_state true true "Symlink /tmp/test/link now points to /tmp/test/src2 (was /tmp/test/src)"
expect_link /tmp/test/link /tmp/test/src2 oatest:oagroup
[ -z "$(find /tmp/test -name '*.oa-*')" ] || fail "temporary links left: $(ls -A /tmp/test)"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/link", "user": "root"}'
expect_state true true "Symlink /tmp/test/link now points to /tmp/test/src (was /tmp/test/src2)"
expect_link /tmp/test/link /tmp/test/src root:oagroup

# A new link with a user: that owner, the group root (⚠ new: root).
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/owned", "user": "oatest"}'
expect_state true true "Created symlink /tmp/test/owned -> /tmp/test/src"
expect_link /tmp/test/owned /tmp/test/src oatest:root

# The source is stored exactly as given and need not exist; mode is ignored.
st linux.symlink '{"source": "../nowhere/x/", "target": "/tmp/test/rel", "mode": "0755"}'
expect_state true true "Created symlink /tmp/test/rel -> ../nowhere/x/"
expect_link /tmp/test/rel ../nowhere/x/ root:root
expect_line out "^ignoring parameter 'mode': symbolic links have no mode$"
st linux.symlink '{"source": "../nowhere/x", "target": "/tmp/test/rel"}'
expect_state true true "Symlink /tmp/test/rel now points to ../nowhere/x (was ../nowhere/x/)"

# Failures.
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/no/link"}'
expect_rc 1
expect_state false false "parent directory /tmp/test/no of /tmp/test/no/link does not exist"
st linux.symlink '{"source": "/tmp/test/src2", "target": "/tmp/test/src"}'
expect_state false false "/tmp/test/src: a file exists where the symlink should be"
mkdir /tmp/test/dir
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/dir"}'
expect_state false false "/tmp/test/dir: a directory exists where the symlink should be"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/x", "user": "nosuchuser"}'
expect_state false false "user nosuchuser does not exist"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/x", "group": "nosuchgroup"}'
expect_state false false "group nosuchgroup does not exist"
st linux.symlink '{"source": "/tmp/test/src", "target": "x"}'
expect_state false false "parameter 'target': 'x' is not an absolute path"
st linux.symlink '{"target": "/tmp/test/x"}'
expect_state false false "missing required parameter 'source'"
st linux.symlink '{"source": "/tmp/test/src"}'
expect_state false false "missing required parameter 'target'"
[ ! -e /tmp/test/x ] && [ ! -L /tmp/test/x ] || fail "a failed state created a link"

# absent: only a link is removed (⚠ the original removed anything).
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/link", "absent": true}' dry
expect_state true true "would remove symlink /tmp/test/link"
[ -L /tmp/test/link ] || fail "the dry run removed the link"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/link", "absent": true}'
expect_state true true "Removed symlink /tmp/test/link"
[ ! -L /tmp/test/link ] && [ -f /tmp/test/src ] || fail "not removed, or its source removed"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/link", "absent": true}'
expect_state true false "Symlink /tmp/test/link is already absent"
st linux.symlink '{"source": "x", "target": "/tmp/test/src", "absent": true}'
expect_rc 1
expect_state false false "/tmp/test/src is not a symbolic link; not removing it"
st linux.symlink '{"source": "x", "target": "/tmp/test/dir", "absent": true}'
expect_state false false "/tmp/test/dir is not a symbolic link; not removing it"
[ -f /tmp/test/src ] && [ -d /tmp/test/dir ] || fail "absent removed a file or directory"

# A read-only file system.
mkdir -p /tmp/test/ro && mount -t tmpfs -o mode=0755 ro /tmp/test/ro
ln -s /tmp/test/src /tmp/test/ro/link
mount -o remount,ro /tmp/test/ro
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/ro/new"}'
expect_rc 1
expect_state false false "cannot create symlink /tmp/test/ro/new: Read-only file system"
st linux.symlink '{"source": "/tmp/test/src2", "target": "/tmp/test/ro/link"}'
expect_state false false "cannot create a symbolic link next to /tmp/test/ro/link: Read-only file system"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/ro/link", "user": "oatest"}'
expect_state false false "/tmp/test/ro/link: cannot change the owner: Read-only file system"
st linux.symlink '{"source": "/tmp/test/src", "target": "/tmp/test/ro/link", "absent": true}'
expect_state false false "cannot remove /tmp/test/ro/link: Read-only file system"
expect_link /tmp/test/ro/link /tmp/test/src root:root
umount /tmp/test/ro
