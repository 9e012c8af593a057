#!/bin/bash
# linux.mkfs (modules.md §10.1) on image files, which mke2fs and mkfs.xfs
# format and `blkid -p` reads like block devices: the complex fixture's
# ext2 → ext3 → ext4 → xfs sequence (each a reformat naming the old type),
# the identical second run changing nothing (the label is not compared),
# dry runs, labels, every parameter check, a tool failure leaving the old
# filesystem, and the refusals: a partition table, swap, several
# signatures. Nothing here changes the machine: every file is under $T.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../storage.sh"
need_storage_tools

img="$T/xvdf.img"
image "$img" 320M # mkfs.xfs wants at least 300 MB; the file is sparse

# 1. The complex fixture, run by the agent with /dev/xvdf replaced by the
#    image and its blkid checks turned into probes of the image.
/usr/bin/python3 - "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/complex/linux.mkfs.complex.json" \
    "$img" >"$T/fixture.json" <<'PY'
import json, sys
recipe = json.load(open(sys.argv[1]))
img = sys.argv[2]
for s in recipe["component"]["init"]["state"]:
    p = s["parameter"]
    if s["module"] == "linux.mkfs":
        p["device"] = img
    else:
        cmd = p["cmd"].replace("blkid ; blkid | grep /dev/xvdf", "blkid -p " + img)
        p["cmd"] = "blkid -p %s || true" % img if cmd == "blkid" else cmd
        p["cwd"] = "/tmp"
print(json.dumps(recipe))
PY
agent once --json "$T/fixture.json"
expect_rc 0
expect_lines out 11
[ "$(json_field 2 state_comment)" = "formatted $img as ext2 with label test1 (it held no filesystem)" ] ||
    fail "ext2: $(json_field 2 state_comment)"
[ "$(json_field 4 state_comment)" = "$img already holds ext2, no changes" ] ||
    fail "identical: $(json_field 4 state_comment)"
[ "$(json_field 6 state_comment)" = "formatted $img as ext3 with label test2, replacing ext2" ] ||
    fail "ext3: $(json_field 6 state_comment)"
[ "$(json_field 8 state_comment)" = "formatted $img as ext4 with label test3, replacing ext3" ] ||
    fail "ext4: $(json_field 8 state_comment)"
[ "$(json_field 10 state_comment)" = "formatted $img as xfs with label test4, replacing ext4" ] ||
    fail "xfs: $(json_field 10 state_comment)"
[ "$(json_field 8 state_stdout | head -n 1)" = "formatting $img as ext4 (it holds ext3)" ] || fail "ext4 output"
[ "$(fs_type "$img")" = xfs ] && [ "$(fs_label "$img")" = test4 ] || fail "not xfs/test4"

# 2. Idempotent: the same state again, and with another label (not compared).
uuid=$(fs_uuid "$img")
state linux.mkfs '{"device": "'"$img"'", "fstype": "xfs", "label": "test4"}'
expect_state true false "$img already holds xfs, no changes"
state linux.mkfs '{"device": "'"$img"'", "fstype": "xfs", "label": "other"}'
expect_state true false "$img already holds xfs, no changes"
[ "$(fs_uuid "$img")" = "$uuid" ] || fail "the filesystem was recreated"

# 3. Dry run: reports, changes nothing.
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext4", "label": "new"}' --dry-run
expect_state true true "would format $img as ext4 with label new, replacing xfs"
[ "$(fs_type "$img")" = xfs ] && [ "$(fs_uuid "$img")" = "$uuid" ] || fail "the dry run formatted"
state linux.mkfs '{"device": "'"$img"'", "fstype": "xfs"}' --dry-run
expect_state true false "$img already holds xfs, no changes"
image "$T/blank.img" 16M
state linux.mkfs '{"device": "'"$T/blank.img"'", "fstype": "ext3"}' --dry-run
expect_state true true "would format $T/blank.img as ext3 (it holds no filesystem)"
[ -z "$(fs_type "$T/blank.img")" ] || fail "the dry run formatted the blank image"

# 4. Without a label, with a trailing '/', and numbers as the parameters' types allow.
state linux.mkfs '{"device": "'"$T/blank.img/"'", "fstype": "ext4"}'
expect_state true true "formatted $T/blank.img as ext4 (it held no filesystem)"
[ "$(fs_type "$T/blank.img")" = ext4 ] && [ -z "$(fs_label "$T/blank.img")" ] || fail "ext4 without label"
state linux.mkfs '{"device": "'"$T/blank.img"'", "fstype": "ext2", "label": 42}'
expect_state true true "formatted $T/blank.img as ext2 with label 42, replacing ext4"
[ "$(fs_label "$T/blank.img")" = 42 ] || fail "numeric label"

# 5. Parameter checks: nothing is touched.
bad() {
    state linux.mkfs "$1"
    expect_state false false "$2"
}
bad '{"fstype": "ext4"}' "missing required parameter 'device'"
bad '{"device": "", "fstype": "ext4"}' "missing required parameter 'device'"
bad '{"device": "'"$img"'"}' "missing required parameter 'fstype'"
bad '{"device": "'"$img"'", "fstype": "btrfs"}' "parameter 'fstype': 'btrfs' is not one of ext2, ext3, ext4, xfs"
bad '{"device": "'"$img"'", "fstype": "EXT4"}' "parameter 'fstype': 'EXT4' is not one of ext2, ext3, ext4, xfs"
bad '{"device": "xvdf", "fstype": "ext4"}' "parameter 'device': 'xvdf' is not an absolute path"
bad '{"device": "'"$T/missing"'", "fstype": "ext4"}' "device $T/missing: No such file or directory"
bad '{"device": "'"$T"'", "fstype": "ext4"}' "device $T is neither a block device nor a file"
bad '{"device": "/dev/null", "fstype": "ext4"}' "device /dev/null is neither a block device nor a file"
bad '{"device": ["'"$img"'"], "fstype": "ext4"}' "parameter 'device': expected a line of text (string or number), got array"
[ "$(fs_uuid "$img")" = "$uuid" ] || fail "a rejected state touched the image"

# Unknown parameters are named in the output and otherwise ignored.
state linux.mkfs '{"device": "'"$img"'", "fstype": "xfs", "fs": "ext4"}'
expect_state true false "$img already holds xfs, no changes"
grep -qx "ignoring unknown parameter 'fs'" "$T/out" || fail "no warning for 'fs'"

# 6. A tool failure: 16 MB is too small for xfs; the ext2 filesystem stays.
state linux.mkfs '{"device": "'"$T/blank.img"'", "fstype": "xfs"}'
expect_state false false "cannot format $T/blank.img as xfs: mkfs.xfs exited with status 1"
grep -q "Filesystem must be larger than 300MB" "$T/out" "$T/err" || fail "mkfs.xfs's message is not in the output"
[ "$(fs_type "$T/blank.img")" = ext2 ] || fail "the failed format changed the image"

# 7. Refusals: never format over anything but a filesystem.
image "$T/disk.img" 64M
mbr "$T/disk.img"
state linux.mkfs '{"device": "'"$T/disk.img"'", "fstype": "ext4"}'
expect_state false false "refusing to format $T/disk.img: it holds a dos partition table; format one of its partitions instead"
image "$T/swap.img" 16M
mkswap -q "$T/swap.img"
state linux.mkfs '{"device": "'"$T/swap.img"'", "fstype": "ext4"}'
expect_state false false "refusing to format $T/swap.img: it holds swap (other), not a filesystem"
[ "$(fs_type "$T/swap.img")" = swap ] || fail "the swap signature is gone"
# An ISO 9660 volume descriptor inside an ext4 filesystem: blkid is ambivalent.
image "$T/two.img" 16M
mke2fs -q -F -t ext4 "$T/two.img"
printf '\001CD001\001' | dd of="$T/two.img" bs=1 seek=32768 conv=notrunc status=none
state linux.mkfs '{"device": "'"$T/two.img"'", "fstype": "xfs"}'
expect_state false false "refusing to format $T/two.img: blkid finds several signatures on it (see wipefs $T/two.img)"

# 8. The basic fixture as it is: its disk does not exist here (skipped where
#    it does, so that no real disk is ever touched).
if [ ! -e /dev/xvdf ]; then
    agent once --json "$OA_SOURCE_DIR/test/fixtures/visualops-recipes/basic/linux.mkfs.json"
    expect_rc 1
    [ "$(json_field 1 state_comment)" = "device /dev/xvdf: No such file or directory" ] ||
        fail "basic fixture: $(json_field 1 state_comment)"
fi
