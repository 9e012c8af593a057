#!/bin/bash
# linux.mount (modules.md §10.2) with bind mounts of scratch directories in
# the sandbox's mount namespace, and the sandbox's own /etc/fstab: dry run,
# mount, the second run changing nothing, options not applied to a mounted
# filesystem (and said so), another device unmounted first, fstab written
# atomically with its mode kept (one line per mount point, duplicates
# dropped, a symlinked or missing fstab, "False" as a string, false never
# removing a line), every parameter check, a busy unmount and a failing
# mount, and the complex fixture's state with its `dev` typo.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../storage.sh"
need_storage_tools
in_sandbox "$@"

vol="$T/volume" vol2="$T/volume2" dst="$T/dest"
cleanup() {
    while umount -q "$dst" 2>/dev/null; do :; done
    umount -q "$T/dest2" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$vol" "$vol2" "$dst" "$T/dest2"
echo foo >"$vol/foo"
echo foo2 >"$vol2/foo"
chmod 0640 /etc/fstab
cp -p /etc/fstab "$T/fstab.orig"
ro_mount='{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "opts": ["bind", "ro"], "fstab": "True"}'

# 1. Dry run: nothing mounted, fstab untouched.
state linux.mount "$ro_mount" --dry-run
expect_state true true "would mount $vol on $dst (none, bind,ro); /etc/fstab: line would be added"
[ -z "$(mounted_from "$dst")" ] || fail "the dry run mounted"
cmp -s /etc/fstab "$T/fstab.orig" || fail "the dry run changed /etc/fstab"

# 2. Mount, read-only, and the fstab line appended, mode kept, no temp file.
state linux.mount "$ro_mount"
expect_state true true "mounted $vol on $dst (none, bind,ro); /etc/fstab: line added"
[ "$(cat "$dst/foo")" = foo ] || fail "the bind mount does not show the volume"
if touch "$dst/bar" 2>/dev/null; then fail "the bind mount is writable"; fi
[ "$(tail -n 1 /etc/fstab)" = "$vol $dst none bind,ro 0 0" ] || fail "fstab: $(tail -n 1 /etc/fstab)"
[ "$(head -n -1 /etc/fstab)" = "$(cat "$T/fstab.orig")" ] || fail "fstab: other lines changed"
[ "$(stat -c %a /etc/fstab)" = 640 ] || fail "fstab mode $(stat -c %a /etc/fstab)"
[ -z "$(find /etc -maxdepth 1 -name 'fstab.oa-*')" ] || fail "a temporary file was left in /etc"

# 3. Idempotent, also with a trailing '/', and in dry run.
state linux.mount "$ro_mount"
expect_state true false "$dst is already mounted from $vol; /etc/fstab up to date; no changes"
state linux.mount '{"path": "'"$dst/"'", "device": "'"$vol"'", "filesystem": "none", "opts": "bind,ro", "fstab": true}'
expect_state true false "$dst is already mounted from $vol; /etc/fstab up to date; no changes"
state linux.mount "$ro_mount" --dry-run
expect_state true false "$dst is already mounted from $vol; /etc/fstab up to date; no changes"
[ "$(grep -c " $dst " /etc/fstab)" = 1 ] || fail "more than one fstab line"

# 4. Other options: not applied to the mounted filesystem, and said so;
#    fstab "False" (module.json's default, a string) leaves fstab alone.
state linux.mount '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "opts": "bind,ro,noexec", "fstab": "False"}'
[ "$RESULT/$CHANGED" = true/false ] || fail "other options: $RESULT/$CHANGED: $COMMENT"
expect_comment "^$dst is already mounted from $vol; options noexec not in effect \(mounted with ro,[a-z,]+\); a mounted filesystem is not remounted; no changes$"
[ "$(tail -n 1 /etc/fstab)" = "$vol $dst none bind,ro 0 0" ] || fail "fstab changed with fstab False"
if findmnt -n -o OPTIONS --mountpoint "$dst" | grep -q noexec; then fail "remounted"; fi
# With fstab: the line is rewritten (dump and pass too).
state linux.mount '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "opts": ["bind,ro", "noexec"], "fstab": "y", "dump": "1", "pass": 2}'
[ "$RESULT/$CHANGED" = true/true ] || fail "fstab update: $RESULT/$CHANGED: $COMMENT"
expect_comment "; a mounted filesystem is not remounted; /etc/fstab: line updated \(was: $vol $dst none bind,ro 0 0\)$"
[ "$(tail -n 1 /etc/fstab)" = "$vol $dst none bind,ro,noexec 1 2" ] || fail "fstab: $(tail -n 1 /etc/fstab)"
[ "$(stat -c %a /etc/fstab)" = 640 ] || fail "fstab mode after the update"
# fstab false or absent never removes the line.
state linux.mount '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "opts": "bind,ro", "fstab": false}'
expect_state true false "$dst is already mounted from $vol; no changes"
grep -qx "$vol $dst none bind,ro,noexec 1 2" /etc/fstab || fail "fstab false removed the line"

# 5. Another device on the mount point: unmounted first (dry run, then for real).
old_src=$(findmnt -n -o SOURCE --mountpoint "$dst")
state linux.mount '{"path": "'"$dst"'", "device": "'"$vol2"'", "filesystem": "none", "opts": "bind"}' --dry-run
expect_state true true "would unmount $old_src from $dst; would mount $vol2 on $dst (none, bind)"
[ "$(cat "$dst/foo")" = foo ] || fail "the dry run changed the mount"
state linux.mount '{"path": "'"$dst"'", "device": "'"$vol2"'", "filesystem": "none", "opts": "bind"}'
expect_state true true "unmounted $old_src from $dst; mounted $vol2 on $dst (none, bind)"
[ "$(cat "$dst/foo")" = foo2 ] || fail "not the second volume"
[ "$(findmnt -n --mountpoint "$dst" | wc -l)" = 1 ] || fail "mounts stacked on $dst"
touch "$dst/writable" || fail "a plain bind mount is read-only"

# 6. A busy mount point cannot be unmounted: the state fails, nothing changes.
(cd "$dst" && exec sleep 60) &
busy=$!
src2=$(findmnt -n -o SOURCE --mountpoint "$dst")
state linux.mount '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "opts": "bind"}'
expect_state false false "cannot unmount $src2 from $dst: umount exited with status 32"
grep -q "target is busy" "$T/out" "$T/err" || fail "umount's message is not in the output"
kill "$busy"
wait "$busy" 2>/dev/null || true
[ "$(cat "$dst/foo")" = foo2 ] || fail "the busy mount changed"

# 7. A failing mount: a directory is no ext4 device.
state linux.mount '{"path": "'"$T/dest2"'", "device": "'"$vol"'", "filesystem": "ext4"}'
expect_state false false "cannot mount $vol on $T/dest2: mount exited with status 32"
[ -z "$(mounted_from "$T/dest2")" ] || fail "mounted anyway"

# 8. fstab: duplicates dropped, a symlink followed, a missing file created.
umount "$dst"
cp -p "$T/fstab.orig" /etc/fstab
printf '%s\n' "$vol2 $dst none bind 0 0" "# keep me" "$vol $dst/ none bind,ro 0 0" >>/etc/fstab
state linux.mount "$ro_mount"
expect_state true true "mounted $vol on $dst (none, bind,ro); /etc/fstab: line updated (was: $vol2 $dst none bind 0 0); /etc/fstab: 1 other line for the mount point removed"
[ "$(cat /etc/fstab)" = "$(cat "$T/fstab.orig")
$vol $dst none bind,ro 0 0
# keep me" ] || fail "fstab after the duplicates: $(cat /etc/fstab)"
umount "$dst"
mv /etc/fstab /etc/fstab.real
ln -s fstab.real /etc/fstab
state linux.mount '{"path": "'"$dst"'", "device": "'"$vol2"'", "filesystem": "none", "opts": ["bind"], "fstab": 1}'
expect_state true true "mounted $vol2 on $dst (none, bind); /etc/fstab: line updated (was: $vol $dst none bind,ro 0 0)"
[ -L /etc/fstab ] || fail "the fstab symlink was replaced"
grep -qx "$vol2 $dst none bind 0 0" /etc/fstab.real || fail "the symlink's target was not updated"
rm /etc/fstab /etc/fstab.real
state linux.mount '{"path": "'"$dst"'", "device": "'"$vol2"'", "filesystem": "none", "opts": ["bind"], "fstab": true}'
expect_state true true "$dst is already mounted from $vol2; /etc/fstab: line added"
[ "$(cat /etc/fstab)" = "$vol2 $dst none bind 0 0" ] || fail "new fstab: $(cat /etc/fstab)"
[ "$(stat -c '%a %U' /etc/fstab)" = "644 root" ] || fail "new fstab mode $(stat -c '%a %U' /etc/fstab)"

# 9. Parameter checks, before anything is touched.
bad() {
    state linux.mount "$1"
    expect_state false false "$2"
}
bad '{"device": "'"$vol"'", "filesystem": "none"}' "missing required parameter 'path'"
bad '{"path": "'"$dst"'", "filesystem": "none"}' "missing required parameter 'device'"
bad '{"path": "'"$dst"'", "device": "'"$vol"'"}' "missing required parameter 'filesystem'"
bad '{"path": "dest", "device": "'"$vol"'", "filesystem": "none"}' "parameter 'path': 'dest' is not an absolute path"
bad '{"path": "'"$T/nowhere"'", "device": "'"$vol"'", "filesystem": "none"}' "mount point $T/nowhere does not exist"
bad '{"path": "'"$dst"'", "device": "'"$T/nothing"'", "filesystem": "none", "opts": "bind"}' "device $T/nothing does not exist"
bad '{"path": "'"$dst"'", "device": "-oremount", "filesystem": "none"}' "parameter 'device': '-oremount' may not start with '-'"
bad '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "-v"}' "parameter 'filesystem': '-v' may not start with '-'"
bad '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "dump": "x"}' "parameter 'dump': expected a whole number from 0 to 2147483647, got 'x'"
bad '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "pass": "-1"}' "parameter 'pass': expected a whole number from 0 to 2147483647, got '-1'"
bad '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "fstab": "maybe"}' "parameter 'fstab': expected a boolean (true/false, \"yes\"/\"no\", \"y\"/\"n\", 1/0), got string"
bad '{"path": "'"$dst"'", "device": "'"$vol"'", "filesystem": "none", "opts": {"a": 1}}' "parameter 'opts': expected an array of strings (or one string), got object"
[ "$(cat "$dst/foo")" = foo2 ] || fail "a rejected state changed the mount"

# 10. The complex fixture's mount state names the device `dev` (modules.md
#     §I): a warning and a missing 'device', run by the agent.
/usr/bin/python3 - "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/complex/linux.mount.complex.json" \
    "$T" >"$T/fixture.json" <<'PY'
import json, sys
states = json.load(open(sys.argv[1]))["component"]["init"]["state"]
mount = [s for s in states if s["module"] == "linux.mount"]
for s in mount:
    s["parameter"]["path"] = s["parameter"]["path"].replace("/tmp/", sys.argv[2] + "/")
    s["parameter"]["dev"] = s["parameter"]["dev"].replace("/tmp/", sys.argv[2] + "/")
print(json.dumps({"state": mount}))
PY
agent once --json "$T/fixture.json"
expect_rc 1
[ "$(json_field 1 state_comment)" = "missing required parameter 'device'" ] || fail "fixture: $(json_field 1 state_comment)"
# The same state with `device` and its destination's typo fixed.
sed -e 's/"dev"/"device"/' -e "s|$T/dst|$T/dest2|" "$T/fixture.json" >"$T/fixed.json"
agent once --json "$T/fixed.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "mounted $T/volume on $T/dest2 (none, bind,ro)" ] || fail "fixed fixture: $(json_field 1 state_comment)"
[ "$(cat "$T/dest2/foo")" = foo ] || fail "fixed fixture: not mounted"

# 11. The mount tool is installed when missing (package mount on Debian):
#     hidden under /dev/null, with a fake apt-get that "installs" it.
umount "$T/dest2"
sandbox_tmpfs /usr/local/sbin
mount_bin=$(readlink -f "$(PATH=/usr/bin:/bin command -v mount)")
cat >/usr/local/sbin/apt-get <<SH
#!/bin/sh
echo "apt-get \$*" >>"$T/apt.log"
umount "$mount_bin"
SH
chmod 755 /usr/local/sbin/apt-get
mount --bind /dev/null "$mount_bin"
state linux.mount '{"path": "'"$T/dest2"'", "device": "'"$vol"'", "filesystem": "none", "opts": "bind"}' --dry-run
expect_state true true "would install the package mount; would mount $vol on $T/dest2 (none, bind)"
[ ! -e "$T/apt.log" ] || fail "the dry run ran apt-get"
state linux.mount '{"path": "'"$T/dest2"'", "device": "'"$vol"'", "filesystem": "none", "opts": "bind"}'
expect_state true true "installed the package mount; mounted $vol on $T/dest2 (none, bind)"
grep -q "install --no-install-recommends mount$" "$T/apt.log" || fail "apt-get log: $(cat "$T/apt.log")"

# 12. The basic fixture as it is: its mount point does not exist here.
if [ ! -e /mnt/data ] && [ ! -e /dev/xvdb ]; then
    agent once --json "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic/linux.mount.json"
    expect_rc 1
    [ "$(json_field 1 state_comment)" = "mount point /mnt/data does not exist" ] ||
        fail "basic fixture: $(json_field 1 state_comment)"
fi
