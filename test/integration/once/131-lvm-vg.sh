#!/bin/bash
# linux.lvm.vg for real, on loop devices in the sandbox (storage.sh
# lvm_sandbox): a VG is created over a PV and a blank device (vgcreate
# makes it a PV), dry run first; found again (no changes, and the devices
# not in it are named: membership is not reconciled); every option reaches
# vgcreate (read back with vgs); a device of another VG, a device holding a
# filesystem or mounted, an invalid name and a failing vgcreate are refused
# or reported, without touching the devices.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../storage.sh"
need_storage_tools
need_lvm_tools
in_sandbox "$@"

cleanup() {
    umount -q "$T/mnt" 2>/dev/null || true
    cleanup_loops
}
trap cleanup EXIT
mkdir -p "$T/mnt"
loop_image a 64M; A=$LOOP
loop_image b 64M; B=$LOOP
loop_image c 64M; C=$LOOP
loop_image d 64M; D=$LOOP
loop_image e 64M; E=$LOOP
lvm_sandbox "$A" "$B" "$C" "$D" "$E"
vg() { vgs --noheadings -o "$2" "$1" 2>/dev/null | tr -d ' '; }

# 1. Create (A is a PV already, B is blank), dry run first; then no changes.
state linux.lvm.pv '{"path": ["'"$A"'"]}'
expect_state true true "created physical volume $A"
state linux.lvm.vg '{"name": "data", "path": ["'"$A"'", "'"$B"'"]}' --dry-run
expect_state true true "would create volume group data on $A, $B"
expect_line out "^would run: vgcreate data $A $B$"
[ -z "$(vg data vg_name)" ] || fail "the dry run created the VG"
[ -z "$(fs_type "$B")" ] || fail "the dry run wrote to $B"
state linux.lvm.vg '{"name": "data", "path": ["'"$A"'", "'"$B"'"]}'
expect_state true true "created volume group data on $A, $B"
[ "$(vg data pv_count)" = 2 ] || fail "data has $(vg data pv_count) PVs"
state linux.lvm.vg '{"name": "data", "path": ["'"$A"'", "'"$B"'"]}'
expect_state true false "volume group data exists (on $A, $B), no changes"
state linux.lvm.vg '{"name": "data", "path": ["'"$A"'", "'"$C"'"]}' --dry-run
expect_state true false "volume group data exists (on $A, $B); not in it: $C (members are not changed), no changes"
[ "$(vg data pv_count)" = 2 ] || fail "membership changed"

# 2. Refusals: a PV of another VG; a filesystem; a mounted device; a bad name.
state linux.lvm.vg '{"name": "other", "path": ["'"$C"'", "'"$A"'"]}'
expect_state false false "refusing to create volume group other: $A belongs to volume group data"
[ -z "$(fs_type "$C")" ] || fail "$C was touched"
mke2fs -q -F -t ext4 "$D"
state linux.lvm.vg '{"name": "other", "path": ["'"$C"'", "'"$D"'"]}'
expect_state false false "refusing to use $D for volume group other: it holds ext4 (filesystem)"
mount "$D" "$T/mnt"
state linux.lvm.vg '{"name": "other", "path": ["'"$D"'"]}' --dry-run
expect_state false false "refusing to use $D for volume group other: $D is mounted on $T/mnt"
umount "$T/mnt"
[ "$(fs_type "$D")" = ext4 ] && [ -z "$(fs_type "$C")" ] || fail "a refused state touched a device"
state linux.lvm.vg '{"name": "-data", "path": ["'"$C"'"]}'
expect_state false false "parameter 'name': '-data' is not a valid LVM name (letters, digits, + _ . -; not starting with '-')"
state linux.lvm.vg '{"name": "other"}'
expect_state false false "missing required parameter 'path'"

# 3. vgcreate itself failing (an extent size LVM refuses).
state linux.lvm.vg '{"name": "other", "path": ["'"$C"'"], "pe-size": "3k"}'
expect_comment "^cannot create volume group other: vgcreate exited with status [0-9]+$"
[ "$RESULT $CHANGED" = "false false" ] || fail "result $RESULT $CHANGED"
[ -z "$(vg other vg_name)" ] || fail "other exists"

# 4. Every option (§10.4), in the recipes' encodings; clustered "n" is not
#    passed on, only an explicit true would be.
state linux.lvm.vg '{"name": "opts", "path": ["'"$C"'", "'"$E"'"], "pe-size": "8M", "max-lv-number": "16", "max-pv-number": 8, "metadata-type": "lvm2", "metadata-copies": "1", "autobackup": "y", "tag": ["t1", "t2"], "allocation-policy": "contiguous", "clustered": "n"}'
expect_state true true "created volume group opts on $C, $E"
expect_line out "^running: vgcreate --maxlogicalvolumes 16 --maxphysicalvolumes 8 --metadatatype lvm2 --vgmetadatacopies 1 --physicalextentsize 8M --autobackup y --addtag t1 --addtag t2 --alloc contiguous opts $C $E$"
[ "$(vg opts vg_extent_size)" = 8.00m ] || fail "extent size $(vg opts vg_extent_size)"
[ "$(vg opts max_lv)" = 16 ] && [ "$(vg opts max_pv)" = 8 ] || fail "max lv/pv $(vg opts max_lv)/$(vg opts max_pv)"
[ "$(vg opts vg_tags)" = t1,t2 ] || fail "tags $(vg opts vg_tags)"
[ "$(vg opts vg_allocation_policy)" = contiguous ] || fail "policy $(vg opts vg_allocation_policy)"
[ "$(vg opts vg_mda_copies)" = 1 ] || fail "metadata copies $(vg opts vg_mda_copies)"
[ -f "$T/lvm-backup/opts" ] || fail "autobackup: no backup of opts"
