#!/bin/bash
# linux.dir (modules.md §3.3): several paths in one state, each created with
# its missing parents (every directory created gets user, group and mode;
# 0755 root by default, whatever the umask; existing parents untouched);
# idempotency; dry runs; attributes of an existing directory (an owner not
# given is left alone, ⚠); recursive (directories and regular files get the
# attributes, links are neither changed nor followed, the files get the
# directories' mode as in the original); recursive off or without
# attributes; a link to a directory; every path attempted when one fails;
# absent (trees, nothing there, "/"); unknown user, relative path. Root
# only, in a sandbox with a tmpfs on /tmp/test.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-files.sh"
in_sandbox "$@"
sandbox_tmpfs /tmp/test
umask 077
add_user oatest 4711
echo "oagroup:x:4712:" >>/etc/group

# Through a recipe: two paths, parents created with the same attributes.
recipe r '{"state": [{"id": "d", "module": "linux.dir", "parameter": {
  "path": ["/tmp/test/d1/a/b/", "/tmp/test/d2"], "user": "oatest", "group": "oagroup",
  "mode": "0750"}}]}'
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "Created /tmp/test/d1/a/b, with 2 parent directories; created /tmp/test/d2" ] ||
    fail "comment: $(json_field 1 state_comment)"
for d in d1 d1/a d1/a/b d2; do expect_attrs /tmp/test/$d 750 oatest:oagroup; done
expect_attrs /tmp/test 755 root:root
agent once --json "$T/r.json"
[ "$(json_field 1 state_comment)" = "Directory /tmp/test/d1/a/b is in the correct state; directory /tmp/test/d2 is in the correct state" ] ||
    fail "second run: $(json_field 1 state_comment)"
st linux.dir '{"path": ["/tmp/test/d1/a/b", "/tmp/test/d2"], "user": "oatest", "group": "oagroup", "mode": "750"}'
expect_state true false "Directory /tmp/test/d1/a/b is in the correct state; directory /tmp/test/d2 is in the correct state"
[ "$(cat "$T/out")" = "directory /tmp/test/d1/a/b is in the correct state
directory /tmp/test/d2 is in the correct state" ] || fail "output: $(cat "$T/out")"

# Defaults: 0755 root:root although the umask is 077; a single path as a string.
st linux.dir '{"path": "/tmp/test/plain/sub"}' dry
expect_state true true "would create /tmp/test/plain/sub, with 1 parent directory"
[ ! -e /tmp/test/plain ] || fail "the dry run created a directory"
st linux.dir '{"path": "/tmp/test/plain/sub"}'
expect_state true true "Created /tmp/test/plain/sub, with 1 parent directory"
expect_attrs /tmp/test/plain 755 root:root
expect_attrs /tmp/test/plain/sub 755 root:root
st linux.dir '{"path": ["/tmp/test/plain/sub"]}'
expect_state true false "Directory /tmp/test/plain/sub is in the correct state"

# An existing directory: only what is given changes.
st linux.dir '{"path": ["/tmp/test/d2"], "mode": "0700"}' dry
expect_state true true "would update /tmp/test/d2 (mode 0750 → 0700)"
expect_attrs /tmp/test/d2 750 oatest:oagroup
st linux.dir '{"path": ["/tmp/test/d2"], "mode": "0700"}'
expect_state true true "Updated /tmp/test/d2 (mode 0750 → 0700)"
expect_attrs /tmp/test/d2 700 oatest:oagroup
st linux.dir '{"path": ["/tmp/test/d2"], "user": "root"}'
expect_state true true "Updated /tmp/test/d2 (owner oatest → root)"
expect_attrs /tmp/test/d2 700 root:oagroup

# recursive: a tree with a file, a subdirectory and a link to a file outside.
mkdir -p /tmp/test/r/sub
echo x >/tmp/test/r/sub/f
echo y >/tmp/test/r/f2
echo z >/tmp/test/outside
ln -s /tmp/test/outside /tmp/test/r/link
chmod 0700 /tmp/test/r /tmp/test/r/sub
chmod 0600 /tmp/test/r/sub/f /tmp/test/outside
chmod 0644 /tmp/test/r/f2
R='"path": ["/tmp/test/r"], "user": "oatest", "mode": "0755", "recursive": true'
st linux.dir "{$R}" dry
expect_state true true "would update /tmp/test/r (owner root → oatest, mode 0700 → 0755); would update owner and mode of 3 entries under /tmp/test/r"
expect_attrs /tmp/test/r/sub/f 600 root:root
st linux.dir "{$R}"
expect_state true true "Updated /tmp/test/r (owner root → oatest, mode 0700 → 0755); updated owner and mode of 3 entries under /tmp/test/r"
for p in r r/sub r/sub/f r/f2; do expect_attrs /tmp/test/$p 755 oatest:root; done
[ "$(stat -c %U /tmp/test/r/link)" = root ] || fail "the link was chowned"
expect_attrs /tmp/test/outside 600 root:root
st linux.dir "{$R}"
expect_state true false "Directory /tmp/test/r is in the correct state"
# Only the entries below that differ are counted.
chmod 0600 /tmp/test/r/sub/f
st linux.dir "{$R}"
expect_state true true "Updated mode of 1 entry under /tmp/test/r"
expect_attrs /tmp/test/r/sub/f 755 oatest:root
# recursive off (or "n"), or no attribute given: the tree is left alone.
chmod 0600 /tmp/test/r/sub/f
st linux.dir '{"path": ["/tmp/test/r"], "mode": "0755", "recursive": "n"}'
expect_state true false "Directory /tmp/test/r is in the correct state"
st linux.dir '{"path": ["/tmp/test/r"], "recursive": "y"}'
expect_state true false "Directory /tmp/test/r is in the correct state"
expect_attrs /tmp/test/r/sub/f 600 oatest:root
# The fixture's shape (complex/linux.dir.json step 7): group too, 0777.
st linux.dir '{"path": ["/tmp/test/r"], "absent": false, "recursive": true, "mode": "0777", "user": "oatest", "group": "oagroup"}'
expect_state true true "Updated /tmp/test/r (group root → oagroup, mode 0755 → 0777); updated group and mode of 3 entries under /tmp/test/r"
expect_attrs /tmp/test/r/sub/f 777 oatest:oagroup

# A link to a directory counts as the directory; a dangling one does not.
ln -s /tmp/test/d2 /tmp/test/dl
st linux.dir '{"path": ["/tmp/test/dl"], "mode": "0711"}'
expect_state true true "Updated /tmp/test/dl (mode 0700 → 0711)"
expect_attrs /tmp/test/d2 711 root:oagroup
ln -s /tmp/test/nowhere /tmp/test/dangling
st linux.dir '{"path": ["/tmp/test/dangling"]}'
expect_rc 1
expect_state false false "/tmp/test/dangling is a dangling symbolic link, not a directory"

# Every path is attempted; the state fails if one does.
echo file >/tmp/test/file
st linux.dir '{"path": ["/tmp/test/file", "relative", "/tmp/test/ok"]}'
expect_rc 1
expect_state false true "/tmp/test/file exists and is not a directory; 'relative' is not an absolute path; created /tmp/test/ok"
[ -d /tmp/test/ok ] || fail "the last path was not created"
st linux.dir '{"path": ["/tmp/test/file/sub"]}'
expect_state false false "Cannot create directory /tmp/test/file: Not a directory"

# Unknown user or group, bad mode: nothing is touched.
st linux.dir '{"path": ["/tmp/test/nouser"], "user": "nosuchuser"}'
expect_state false false "user nosuchuser does not exist"
st linux.dir '{"path": ["/tmp/test/nouser"], "group": "nosuchgroup"}'
expect_state false false "group nosuchgroup does not exist"
st linux.dir '{"path": ["/tmp/test/nouser"], "mode": "999"}'
expect_state false false "parameter 'mode': '999' is not an octal mode"
[ ! -e /tmp/test/nouser ] || fail "a failed state created the directory"
st linux.dir '{"mode": "0755"}'
expect_state false false "missing required parameter 'path'"

# absent: trees go, links are not followed, nothing there is fine, "/" is refused.
st linux.dir '{"path": ["/tmp/test/d1", "/tmp/test/none", "/tmp/test/dl"], "absent": true}' dry
expect_state true true "would remove /tmp/test/d1; /tmp/test/none is already absent; would remove /tmp/test/dl"
[ -d /tmp/test/d1/a/b ] || fail "the dry run removed a tree"
st linux.dir '{"path": ["/tmp/test/d1", "/tmp/test/none", "/tmp/test/dl"], "absent": true, "user": "nosuchuser"}'
expect_state true true "Removed /tmp/test/d1; /tmp/test/none is already absent; removed /tmp/test/dl"
[ ! -e /tmp/test/d1 ] && [ ! -e /tmp/test/dl ] || fail "not removed"
[ -d /tmp/test/d2 ] || fail "the link's target was removed"
st linux.dir '{"path": ["/tmp/test/d1"], "absent": true}'
expect_state true false "/tmp/test/d1 is already absent"
st linux.dir '{"path": ["/", "/tmp/test/r"], "absent": true}'
expect_rc 1
expect_state false true "Refusing to remove the root directory (/); removed /tmp/test/r"
[ -f /tmp/test/outside ] || fail "a file outside the tree was removed"

# A read-only file system: each failure names the path and the reason.
mkdir -p /tmp/test/ro && mount -t tmpfs -o mode=0755 ro /tmp/test/ro
mkdir -p /tmp/test/ro/d/sub && chmod 0755 /tmp/test/ro/d && chmod 0700 /tmp/test/ro/d/sub
mount -o remount,ro /tmp/test/ro
st linux.dir '{"path": ["/tmp/test/ro/new", "/tmp/test/ro/d"], "mode": "0755", "recursive": true}'
expect_rc 1
expect_state false false "Cannot create directory /tmp/test/ro/new: Read-only file system; /tmp/test/ro/d/sub: cannot change the mode: Read-only file system"
st linux.dir '{"path": ["/tmp/test/ro/d"], "mode": "0700", "recursive": true}'
expect_state false false "/tmp/test/ro/d: cannot change the mode: Read-only file system"
st linux.dir '{"path": ["/tmp/test/ro/d"], "absent": true}'
expect_state false false "Cannot remove /tmp/test/ro/d/sub: Read-only file system"
umount /tmp/test/ro
