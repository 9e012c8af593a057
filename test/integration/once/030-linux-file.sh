#!/bin/bash
# linux.file (modules.md §3.2): creation with missing parents (root, 0755),
# the default mode 0644, exact bytes, idempotency (changed false, "in the
# correct state"), dry runs that change nothing, content/mode/owner/group
# changes described old → new, an owner not given left as it is (⚠), a new
# file owned by root, no content → an empty file or the content left alone,
# a link replaced by a file, absent (file, link, tree, nothing, "/"), and the
# failures: a directory in the way, unknown user/group, bad mode, relative
# path, missing path. Root only, in a sandbox with a tmpfs on /tmp/test.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-files.sh"
in_sandbox "$@"
sandbox_tmpfs /tmp/test
umask 022
add_user oatest 4711
echo "oagroup:x:4712:" >>/etc/group

F=/tmp/test/a/b/f.txt

# Through a recipe: created with its parents, exact bytes, 0644 root:root.
recipe r '{"state": [{"id": "f", "module": "linux.file", "parameter": {
  "path": "/tmp/test/a/b/f.txt", "content": "line 1\nline 2 $name ${x}"}}]}'
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "File $F created, with 2 parent directories" ] ||
    fail "comment: $(json_field 1 state_comment)"
expect_content $F 'line 1
line 2 $name ${x}'
expect_attrs $F 644 root:root
expect_attrs /tmp/test/a 755 root:root
expect_attrs /tmp/test/a/b 755 root:root
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "File $F is in the correct state" ] ||
    fail "second run: $(json_field 1 state_comment)"

# The same through exec-state: nothing changed.
P='"path": "/tmp/test/a/b/f.txt", "content": "line 1\nline 2 $name ${x}"'
st linux.file "{$P}"
expect_rc 0
expect_state true false "File $F is in the correct state"
# A trailing slash and a mode spelled two ways change nothing either.
st linux.file '{"path": "/tmp/test/a/b/f.txt/", "mode": "644"}'
expect_state true false "File $F is in the correct state"
st linux.file '{"path": "/tmp/test/a/b/f.txt", "mode": "0644"}'
expect_state true false "File $F is in the correct state"

# Dry run of a change: reported, nothing written.
st linux.file '{"path": "/tmp/test/a/b/f.txt", "content": "new\n", "mode": "0600"}' dry
expect_state true true "would update $F (content, mode 0644 → 0600)"
expect_content $F 'line 1
line 2 $name ${x}'
expect_attrs $F 644 root:root

# Content and mode.
st linux.file '{"path": "/tmp/test/a/b/f.txt", "content": "new\n", "mode": "0600"}'
expect_state true true "File $F updated (content, mode 0644 → 0600)"
expect_content $F 'new
'
expect_attrs $F 600 root:root
[ -z "$(find /tmp/test/a/b -name '*.oa-*')" ] || fail "temporary files left: $(ls -A /tmp/test/a/b)"

# Owner and group; then content alone keeps them and the mode.
st linux.file '{"path": "/tmp/test/a/b/f.txt", "user": "oatest", "group": "oagroup"}' dry
expect_state true true "would update $F (owner root → oatest, group root → oagroup)"
expect_attrs $F 600 root:root
st linux.file '{"path": "/tmp/test/a/b/f.txt", "user": "oatest", "group": "oagroup"}'
expect_state true true "File $F updated (owner root → oatest, group root → oagroup)"
expect_attrs $F 600 oatest:oagroup
st linux.file '{"path": "/tmp/test/a/b/f.txt", "content": "newer"}'
expect_state true true "File $F updated (content)"
expect_content $F newer
expect_attrs $F 600 oatest:oagroup
# ⚠ owner absent: unchanged (the original forced root:root).
st linux.file '{"path": "/tmp/test/a/b/f.txt", "content": "newer"}'
expect_state true false "File $F is in the correct state"
expect_attrs $F 600 oatest:oagroup
# Numeric ids, content unchanged, one attribute back.
st linux.file '{"path": "/tmp/test/a/b/f.txt", "content": "newer", "user": 0, "mode": "0640"}'
expect_state true true "File $F updated (owner oatest → root, mode 0600 → 0640)"
expect_attrs $F 640 root:oagroup
# Set-id bits are part of the mode.
st linux.file '{"path": "/tmp/test/a/b/f.txt", "mode": "4755"}'
expect_state true true "File $F updated (mode 0640 → 4755)"
expect_attrs $F 4755 root:oagroup

# A new file with a user: that owner, the group root (⚠ new: root).
st linux.file '{"path": "/tmp/test/owned", "content": "x", "user": "oatest"}'
expect_state true true "File /tmp/test/owned created"
expect_attrs /tmp/test/owned 644 oatest:root
st linux.file '{"path": "/tmp/test/owned", "content": "x", "user": "oatest"}'
expect_state true false "File /tmp/test/owned is in the correct state"

# No content: a missing file is created empty; an existing one is left alone.
st linux.file '{"path": "/tmp/test/empty", "mode": "0600"}' dry
expect_state true true "would create /tmp/test/empty"
[ ! -e /tmp/test/empty ] || fail "the dry run created the file"
st linux.file '{"path": "/tmp/test/empty", "mode": "0600"}'
expect_state true true "File /tmp/test/empty created"
[ -f /tmp/test/empty ] && [ ! -s /tmp/test/empty ] || fail "not an empty file"
expect_attrs /tmp/test/empty 600 root:root
echo keep >/tmp/test/empty
st linux.file '{"path": "/tmp/test/empty"}'
expect_state true false "File /tmp/test/empty is in the correct state"
expect_content /tmp/test/empty 'keep
'

# Dry run of a file under missing parents creates nothing.
st linux.file '{"path": "/tmp/test/x/y/z", "content": "1"}' dry
expect_state true true "would create /tmp/test/x/y/z, with 2 parent directories"
[ ! -e /tmp/test/x ] || fail "the dry run created a parent"

# A link at path: managed content replaces the link, its target stays.
echo target >/tmp/test/target
ln -s /tmp/test/target /tmp/test/link
st linux.file '{"path": "/tmp/test/link", "content": "own\n"}'
expect_state true true "File /tmp/test/link created, replacing a symbolic link"
[ ! -L /tmp/test/link ] || fail "still a link"
expect_content /tmp/test/link 'own
'
expect_content /tmp/test/target 'target
'
# Without content, a link's file is managed through the link.
ln -s /tmp/test/target /tmp/test/link2
st linux.file '{"path": "/tmp/test/link2", "mode": "0600"}'
expect_state true true "File /tmp/test/link2 updated (mode 0644 → 0600)"
[ -L /tmp/test/link2 ] || fail "the link was replaced"
expect_attrs /tmp/test/target 600 root:root

# Failures, none of which touches anything.
mkdir /tmp/test/dir
st linux.file '{"path": "/tmp/test/dir", "content": "x"}'
expect_rc 1
expect_state false false "/tmp/test/dir is a directory"
st linux.file '{"path": "/tmp/test/nouser", "content": "x", "user": "nosuchuser"}'
expect_rc 1
expect_state false false "user nosuchuser does not exist"
st linux.file '{"path": "/tmp/test/nouser", "content": "x", "group": "nosuchgroup"}'
expect_state false false "group nosuchgroup does not exist"
st linux.file '{"path": "/tmp/test/nouser", "content": "x", "mode": "rw-r--r--"}'
expect_state false false "parameter 'mode': 'rw-r--r--' is not an octal mode"
[ ! -e /tmp/test/nouser ] || fail "a failed state created the file"
st linux.file '{"path": "relative/f", "content": "x"}'
expect_state false false "parameter 'path': 'relative/f' is not an absolute path"
st linux.file '{"content": "x"}'
expect_state false false "missing required parameter 'path'"
st linux.file '{"path": "/tmp/test/f2", "content": "x", "absent": "maybe"}'
expect_rc 1
st linux.file '{"path": "/tmp/test/f2", "colour": "blue"}'
expect_state true true "File /tmp/test/f2 created"
expect_line out "^ignoring unknown parameter 'colour'$"
mkdir -p /tmp/test/ro && mount -t tmpfs -o ro,mode=0755 ro /tmp/test/ro
st linux.file '{"path": "/tmp/test/ro/f", "content": "x"}'
expect_state false false "/tmp/test/ro/f: cannot create a temporary file: Read-only file system"
umount /tmp/test/ro

# absent: every other parameter is ignored (even an unknown user).
st linux.file '{"path": "/tmp/test/owned", "absent": true, "user": "nosuchuser"}' dry
expect_state true true "would remove /tmp/test/owned"
[ -e /tmp/test/owned ] || fail "the dry run removed the file"
st linux.file '{"path": "/tmp/test/owned", "absent": true, "user": "nosuchuser"}'
expect_state true true "Removed /tmp/test/owned"
[ ! -e /tmp/test/owned ] || fail "not removed"
st linux.file '{"path": "/tmp/test/owned", "absent": true}'
expect_state true false "/tmp/test/owned is already absent"
st linux.file '{"path": "/tmp/test/link2", "absent": "y"}'
expect_state true true "Removed /tmp/test/link2"
[ -f /tmp/test/target ] || fail "the link's target was removed"
st linux.file '{"path": "/tmp/test/a/", "absent": true}' dry
expect_state true true "would remove /tmp/test/a and everything below it"
st linux.file '{"path": "/tmp/test/a/", "absent": true}'
expect_state true true "Removed /tmp/test/a"
[ ! -e /tmp/test/a ] || fail "the tree is still there"
st linux.file '{"path": "/", "absent": true}'
expect_rc 1
expect_state false false "refusing to remove the root directory (/)"

# Failures on a read-only file system, the file left as it was.
mkdir -p /tmp/test/ro && mount -t tmpfs -o mode=0755 ro /tmp/test/ro
echo old >/tmp/test/ro/f
mount -o remount,ro /tmp/test/ro
st linux.file '{"path": "/tmp/test/ro/f", "content": "new"}'
expect_rc 1
expect_state false false "/tmp/test/ro/f: cannot create a temporary file: Read-only file system"
st linux.file '{"path": "/tmp/test/ro/f", "mode": "0600"}'
expect_state false false "/tmp/test/ro/f: cannot change the mode: Read-only file system"
st linux.file '{"path": "/tmp/test/ro/d/f", "content": "new"}'
expect_state false false "cannot create directory /tmp/test/ro/d: Read-only file system"
st linux.file '{"path": "/tmp/test/ro/f", "absent": true}'
expect_state false false "cannot remove /tmp/test/ro/f: Read-only file system"
expect_content /tmp/test/ro/f 'old
'
umount /tmp/test/ro
