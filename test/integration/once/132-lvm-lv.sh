#!/bin/bash
# linux.lvm.lv against real LVM on loop devices in the sandbox. This
# kernel has no device-mapper, so the sandbox's lvm.conf switches
# activation off (storage.sh lvm_sandbox): lvcreate then writes the LV into
# the VG's metadata without activating it, and what the tests check is that
# metadata, read back with lvs: an LV by size (-L) and by extents (-l, a
# percentage, on a given PV only), dry run first; found again (no changes,
# the size not compared); stripes, tags, permission, read-ahead and
# contiguous allocation reaching lvcreate; a missing VG, a missing origin
# and a missing size refused; a real lvcreate failure (a snapshot, which
# needs device-mapper) reported.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../storage.sh"
need_storage_tools
need_lvm_tools
in_sandbox "$@"

trap cleanup_loops EXIT
loop_image a 64M; A=$LOOP
loop_image b 64M; B=$LOOP
lvm_sandbox "$A" "$B"
lv() { lvs --noheadings -o "$2" "$1" 2>/dev/null | tr -d ' '; }
state linux.lvm.vg '{"name": "vgtest", "path": ["'"$A"'", "'"$B"'"]}'
expect_state true true "created volume group vgtest on $A, $B"

# 1. By size; dry run first; then no changes, whatever the size asked.
state linux.lvm.lv '{"name": "lv1", "vg-name": "vgtest", "le-size": "8M"}' --dry-run
expect_state true true "would create logical volume vgtest/lv1"
expect_line out "^would run: lvcreate -n lv1 -L 8M vgtest$"
[ -z "$(lv vgtest lv_name)" ] || fail "the dry run created an LV"
state linux.lvm.lv '{"name": "lv1", "vg-name": "vgtest", "le-size": "8M"}'
expect_state true true "created logical volume vgtest/lv1 (8.00m)"
[ "$(lv vgtest/lv1 lv_size)" = 8.00m ] || fail "lv1: $(lv vgtest/lv1 lv_size)"
state linux.lvm.lv '{"name": "lv1", "vg-name": "vgtest", "le-size": "16M"}'
expect_state true false "logical volume vgtest/lv1 exists (8.00m), no changes"
state linux.lvm.lv '{"name": "lv1", "vg-name": "vgtest", "le-number": "2"}' --dry-run
expect_state true false "logical volume vgtest/lv1 exists (8.00m), no changes"

# 2. By extents, a percentage of the free space of one PV (path).
state linux.lvm.lv '{"name": "half", "vg-name": "vgtest", "le-number": "50%PVS", "path": ["'"$B"'"]}'
expect_state true true "created logical volume vgtest/half (28.00m)"
expect_line out "^running: lvcreate -n half -l 50%PVS vgtest $B$"
[ "$(lv vgtest/half devices)" = "$B(0)" ] || fail "half is on $(lv vgtest/half devices)"

# 3. Options (§10.5) read back from the metadata.
state linux.lvm.lv '{"name": "striped", "vg-name": "vgtest", "le-size": "8M", "stripe-number": "2", "stripe-size": "64", "tag": "lvtag", "permission": "r", "readahead": "256", "contiguous": "n", "autobackup": "y", "allocation-policy": "normal", "zero": "n"}'
expect_state true true "created logical volume vgtest/striped (8.00m)"
expect_line out "^running: lvcreate -n striped -L 8M --contiguous n -i 2 -I 64 --permission r --readahead 256 --zero n --autobackup y --addtag lvtag --alloc normal vgtest$"
[ "$(lv vgtest/striped stripes)" = 2 ] || fail "stripes: $(lv vgtest/striped stripes)"
[ "$(lv vgtest/striped stripe_size)" = 64.00k ] || fail "stripe size: $(lv vgtest/striped stripe_size)"
[ "$(lv vgtest/striped lv_tags)" = lvtag ] || fail "tags: $(lv vgtest/striped lv_tags)"
[ "$(lv vgtest/striped lv_permissions)" = read-only ] || fail "permission: $(lv vgtest/striped lv_permissions)"
[ "$(lv vgtest/striped lv_read_ahead)" = 128.00k ] || fail "read-ahead: $(lv vgtest/striped lv_read_ahead)"

# 4. Refusals before lvcreate, and in dry run what is not there yet.
state linux.lvm.lv '{"name": "x", "vg-name": "nosuch", "le-size": "8M"}'
expect_state false false "cannot create logical volume nosuch/x: volume group nosuch does not exist"
state linux.lvm.lv '{"name": "x", "vg-name": "nosuch", "le-size": "8M"}' --dry-run
expect_state true true "would create logical volume nosuch/x; volume group nosuch does not exist (yet)"
state linux.lvm.lv '{"name": "snap", "vg-name": "vgtest", "le-size": "8M", "snapshot": "nosuch"}'
expect_state false false "cannot create logical volume vgtest/snap: the origin vgtest/nosuch of the snapshot does not exist"
# lv-size is the fixtures' spelling that the original ignored too (§I).
state linux.lvm.lv '{"name": "x", "vg-name": "vgtest", "lv-size": "8M"}'
expect_state false false "missing required parameter 'le-size' or 'le-number'"
expect_line out "^ignoring unknown parameter 'lv-size'$"
state linux.lvm.lv '{"name": "x", "vg-name": "vgtest", "le-size": "8M", "le-number": "2"}'
expect_state false false "parameters 'le-size' and 'le-number' exclude each other"

# 5. lvcreate failing: a snapshot needs device-mapper, which is off.
state linux.lvm.lv '{"name": "snap", "vg-name": "vgtest", "le-size": "8M", "snapshot": "lv1"}'
expect_comment "^cannot create logical volume vgtest/snap: lvcreate exited with status [0-9]+$"
[ "$RESULT $CHANGED" = "false false" ] || fail "result $RESULT $CHANGED"
expect_line out "^running: lvcreate -n snap -L 8M -s vgtest/lv1$"
[ -z "$(lv vgtest/snap lv_name)" ] || fail "snap exists"
# Too big for the VG.
state linux.lvm.lv '{"name": "big", "vg-name": "vgtest", "le-size": "1G"}'
expect_comment "^cannot create logical volume vgtest/big: lvcreate exited with status [0-9]+$"
