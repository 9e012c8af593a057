#!/bin/bash
# linux.mount with real filesystems on loop devices, in the sandbox: a
# recipe that formats an image (linux.mkfs) and mounts it with `loop` and
# fstab, run twice by the agent (the second run changes nothing); the same
# mount named by LABEL= and UUID= (looked up with blkid); an unknown UUID
# failing before anything is unmounted; block devices compared by device
# number, another one replacing the first; dry runs. The loop devices this
# test attaches itself are detached at the end.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../storage.sh"
need_storage_tools
in_sandbox "$@"

mnt="$T/mnt"
LOOPS=()
cleanup() {
    local l
    while umount -q "$mnt" 2>/dev/null; do :; done
    for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$mnt"
img="$T/data.img"
image "$img" 64M
label="oa083-$$"

# 1. Format and mount in one recipe, run by the agent; then again.
recipe r '{"state": [
  {"id": "fs", "module": "linux.mkfs", "parameter": {"device": "'"$img"'", "fstype": "ext4", "label": "'"$label"'"}},
  {"id": "mount", "module": "linux.mount", "parameter": {"path": "'"$mnt"'", "device": "'"$img"'",
     "filesystem": "ext4", "opts": ["loop", "noatime"], "fstab": true, "pass": "2"}}
]}'
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "formatted $img as ext4 with label $label (it held no filesystem)" ] ||
    fail "mkfs: $(json_field 1 state_comment)"
[ "$(json_field 2 state_comment)" = "mounted $img on $mnt (ext4, loop,noatime); /etc/fstab: line added" ] ||
    fail "mount: $(json_field 2 state_comment)"
loop=$(findmnt -n -o SOURCE --mountpoint "$mnt")
case "$loop" in /dev/loop*) ;; *) fail "mounted from '$loop'" ;; esac
findmnt -n -o OPTIONS --mountpoint "$mnt" | grep -q noatime || fail "noatime not in effect"
[ "$(findmnt -n -o FSTYPE --mountpoint "$mnt")" = ext4 ] || fail "not ext4"
[ "$(tail -n 1 /etc/fstab)" = "$img $mnt ext4 loop,noatime 0 2" ] || fail "fstab: $(tail -n 1 /etc/fstab)"
echo data >"$mnt/file"
agent once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "$img already holds ext4, no changes" ] || fail "mkfs again: $(json_field 1 state_comment)"
[ "$(json_field 2 state_comment)" = "$mnt is already mounted from $img; /etc/fstab up to date; no changes" ] ||
    fail "mount again: $(json_field 2 state_comment)"
[ "$(cat "$mnt/file")" = data ] || fail "the data is gone"

# 2. The same filesystem named by LABEL= and UUID=.
uuid=$(fs_uuid "$img")
state linux.mount '{"path": "'"$mnt"'", "device": "LABEL='"$label"'", "filesystem": "ext4", "opts": "noatime"}'
expect_state true false "$mnt is already mounted from LABEL=$label; no changes"
state linux.mount '{"path": "'"$mnt"'", "device": "UUID='"$uuid"'", "filesystem": "ext4", "opts": "noexec"}'
expect_comment "^$mnt is already mounted from UUID=$uuid; options noexec not in effect \(mounted with rw,noatime\); a mounted filesystem is not remounted; no changes$"
state linux.mount '{"path": "'"$mnt"'", "device": "UUID=00000000-0000-4000-8000-000000000000", "filesystem": "ext4"}'
expect_state false false "cannot find the device UUID=00000000-0000-4000-8000-000000000000: blkid finds no such device"
[ "$(findmnt -n -o SOURCE --mountpoint "$mnt")" = "$loop" ] || fail "unmounted for an unknown UUID"
umount "$mnt"

# 3. Block devices: compared by device number; another one replaces it.
dev1=$(losetup -f --show "$img")
LOOPS+=("$dev1")
img2="$T/other.img"
image "$img2" 32M
mke2fs -q -F -t ext2 "$img2"
dev2=$(losetup -f --show "$img2")
LOOPS+=("$dev2")
state linux.mount '{"path": "'"$mnt"'", "device": "'"$dev1"'", "filesystem": "ext4"}' --dry-run
expect_state true true "would mount $dev1 on $mnt (ext4, defaults)"
[ -z "$(mounted_from "$mnt")" ] || fail "the dry run mounted"
state linux.mount '{"path": "'"$mnt"'", "device": "'"$dev1"'", "filesystem": "ext4"}'
expect_state true true "mounted $dev1 on $mnt (ext4, defaults)"
[ "$(cat "$mnt/file")" = data ] || fail "not the first image"
state linux.mount '{"path": "'"$mnt"'", "device": "'"$dev1"'", "filesystem": "ext4"}'
expect_state true false "$mnt is already mounted from $dev1; no changes"
state linux.mount '{"path": "'"$mnt"'", "device": "'"$dev1"'", "filesystem": "ext3"}'
expect_state true false "$mnt is already mounted from $dev1; it is mounted as ext4, not ext3; no changes"
# The image file of a mounted loop device counts as the same device.
state linux.mount '{"path": "'"$mnt"'", "device": "'"$img"'", "filesystem": "ext4", "opts": "loop"}'
expect_state true false "$mnt is already mounted from $img; no changes"
state linux.mount '{"path": "'"$mnt"'", "device": "'"$dev2"'", "filesystem": "ext2"}' --dry-run
expect_state true true "would unmount $dev1 from $mnt; would mount $dev2 on $mnt (ext2, defaults)"
state linux.mount '{"path": "'"$mnt"'", "device": "'"$dev2"'", "filesystem": "ext2"}'
expect_state true true "unmounted $dev1 from $mnt; mounted $dev2 on $mnt (ext2, defaults)"
[ "$(findmnt -n -o SOURCE --mountpoint "$mnt")" = "$dev2" ] || fail "not the second device"
[ ! -e "$mnt/file" ] || fail "still the first filesystem"

# 4. The wrong filesystem type: mount fails and says why; the old mount is gone
#    (unmounted first, as the original did), and the comment says so.
state linux.mount '{"path": "'"$mnt"'", "device": "'"$dev1"'", "filesystem": "xfs"}'
expect_state false true "unmounted $dev2 from $mnt; cannot mount $dev1 on $mnt: mount exited with status 32"
[ -z "$(mounted_from "$mnt")" ] || fail "something is mounted"
