#!/bin/bash
# linux.lvm.pv for real, on loop devices in the sandbox, with an lvm.conf
# that shows LVM only this test's devices (storage.sh lvm_sandbox): a PV is
# created (dry run first), found again (no changes), its options reach
# pvcreate (data alignment, metadata size: read back with pvs); a device
# holding a filesystem is refused without `force` and wiped with it; a
# mounted device is refused even with force; several devices are each
# attempted and each reported; a device that is not a block device, one
# that does not exist, one LVM's filter hides and a pvcreate that fails are
# reported; and lvm2 is installed when its tools are missing (§1.6, with a
# fake apt-get), not in dry run, and its failure fails the state.
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
loop_image hidden 64M; H=$LOOP
lvm_sandbox "$A" "$B" "$C" "$D"

pv() { pvs --noheadings -o "$2" "$1" 2>/dev/null | tr -d ' '; }

# 1. Create, dry run first; then nothing to do.
state linux.lvm.pv '{"path": ["'"$A"'"]}' --dry-run
expect_state true true "would create physical volume $A"
expect_line out "^would run: pvcreate $A$"
[ -z "$(fs_type "$A")" ] || fail "the dry run wrote to $A"
state linux.lvm.pv '{"path": ["'"$A"'"]}'
expect_state true true "created physical volume $A"
expect_line out "^running: pvcreate $A$"
[ "$(fs_type "$A")" = LVM2_member ] || fail "$A is not a PV"
state linux.lvm.pv '{"path": ["'"$A"'"]}'
expect_state true false "$A is already a physical volume (in no volume group), no changes"
state linux.lvm.pv '{"path": "'"$A"'"}' --dry-run
expect_state true false "$A is already a physical volume (in no volume group), no changes"

# 2. A filesystem is refused without force, also in dry run.
mke2fs -q -F -t ext4 "$B"
state linux.lvm.pv '{"path": ["'"$B"'"]}'
expect_state false false "refusing to make a physical volume of $B: it holds ext4 (filesystem), and force is not set"
state linux.lvm.pv '{"path": ["'"$B"'"]}' --dry-run
expect_state false false "refusing to make a physical volume of $B: it holds ext4 (filesystem), and force is not set"
[ "$(fs_type "$B")" = ext4 ] || fail "$B was touched"

# 3. Several devices: each attempted, each reported; the state fails.
state linux.lvm.pv '{"path": ["'"$A"'", "'"$B"'", "'"$C"'"]}'
expect_state false true "$A is already a physical volume (in no volume group); refusing to make a physical volume of $B: it holds ext4 (filesystem), and force is not set; created physical volume $C"
[ "$(fs_type "$C")" = LVM2_member ] || fail "$C is not a PV"

# 4. force wipes it (-ff -y), and the options reach pvcreate (§10.3; the
#    recipes' spellings: "y" for a bool, a number for label-sector).
state linux.lvm.pv '{"path": ["'"$B"'"], "force": "y", "data-alignment": "1m", "metadata-size": "2m", "zero": "y", "metadata-ignore": "n", "label-sector": 1, "metadata-copies": "1", "metadata-type": "lvm2"}' --dry-run
expect_state true true "would create physical volume $B, wiping ext4 (filesystem)"
expect_line out "^would run: pvcreate -ff -y --zero y --dataalignment 1m --metadatasize 2m --metadatatype lvm2 --pvmetadatacopies 1 --metadataignore n --labelsector 1 $B$"
[ "$(fs_type "$B")" = ext4 ] || fail "the dry run wiped $B"
state linux.lvm.pv '{"path": ["'"$B"'"], "force": "y", "data-alignment": "1m", "metadata-size": "2m", "zero": "y", "metadata-ignore": "n", "label-sector": 1, "metadata-copies": "1", "metadata-type": "lvm2"}'
expect_state true true "created physical volume $B, wiping ext4 (filesystem)"
[ "$(fs_type "$B")" = LVM2_member ] || fail "$B is not a PV"
# 2m of metadata, then the first extent aligned on 1m (1.00m without options).
[ "$(pv "$B" pe_start)" = 3.00m ] || fail "data alignment: pe_start $(pv "$B" pe_start)"
[ "$(pv "$B" pv_mda_count)" = 1 ] || fail "metadata copies: $(pv "$B" pv_mda_count)"

# 5. Mounted: refused, force or not.
mke2fs -q -F -t ext4 "$D"
mount "$D" "$T/mnt"
state linux.lvm.pv '{"path": ["'"$D"'"], "force": true}'
expect_state false false "refusing to make a physical volume of $D: $D is mounted on $T/mnt"
umount "$T/mnt"

# 6. Not a block device, missing, hidden by LVM's filter, pvcreate failing
#    (a --uuid without --restorefile or --norestorefile).
state linux.lvm.pv '{"path": ["'"$T/a.img"'"]}'
expect_state false false "refusing to make a physical volume of $T/a.img: it is not a block device"
state linux.lvm.pv '{"path": ["/dev/oa-no-such-disk"]}'
expect_state false false "refusing to make a physical volume of /dev/oa-no-such-disk: it does not exist"
state linux.lvm.pv '{"path": ["'"$H"'"]}'
expect_state false false "cannot create physical volume $H: pvcreate exited with status 5"
[ -z "$(fs_type "$H")" ] || fail "LVM wrote to a device outside its filter"
state linux.lvm.pv '{"path": ["'"$D"'"], "force": true, "uuid": "not-a-uuid"}'
expect_comment "^cannot create physical volume $D: pvcreate exited with status [0-9]+$"
[ "$(fs_type "$D")" = ext4 ] || fail "a failed pvcreate changed $D"
state linux.lvm.pv '{"path": ["'"$A"'", "relative"]}'
expect_state false false "parameter 'path': 'relative' is not an absolute path"
state linux.lvm.pv '{"path": []}'
expect_state false false "missing required parameter 'path'"
# The quirks of the recipes (§I): keys the original did not know are warned about.
state linux.lvm.pv '{"path": ["'"$A"'"], "metadata size": "8", "data-alignment offset": "8k"}'
expect_state true false "$A is already a physical volume (in no volume group), no changes"
expect_line out "^ignoring unknown parameter 'metadata size'$"
expect_line out "^ignoring unknown parameter 'data-alignment offset'$"

# 7. lvm2 missing: installed (§1.6), not in dry run; a failed install fails.
sandbox_tmpfs /usr/local/sbin
fake_apt_get
hide lvm
echo lvm >"$T/provides.lvm2"
state linux.lvm.pv '{"path": ["'"$A"'"]}' --dry-run
expect_state true true "would install the package lvm2, then create physical volumes on $A where there are none"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
touch "$T/apt-fails"
state linux.lvm.pv '{"path": ["'"$A"'"]}'
expect_state false false "lvm is not installed and cannot be: apt-get install lvm2 exited with status 100"
rm "$T/apt-fails"
: >"$T/apt.log"
state linux.lvm.pv '{"path": ["'"$A"'"]}'
expect_state true true "installed the package lvm2; $A is already a physical volume (in no volume group)"
grep -q "install --no-install-recommends lvm2$" "$T/apt.log" || fail "apt-get log: $(cat "$T/apt.log")"
