#!/bin/bash
# linux.mkfs in the sandbox: never formats a device that is busy (an image
# whose loop device is mounted or that is bound to a loop device at all, the
# loop device itself, a disk one of whose partitions is mounted), formats a real block device (a loop partition),
# and installs its tools only when it needs them (modules.md §1.6: e2fsprogs
# for ext*, xfsprogs only for xfs, util-linux for blkid), reporting the
# install, doing none in dry run, and failing when the install fails. The
# tools are hidden by bind-mounting /dev/null over them, and apt-get is a
# fake in a tmpfs /usr/local/sbin that "installs" by removing that mount.
# Loop devices are the one thing a mount namespace does not isolate: the
# test detaches the ones it attached.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../storage.sh"
need_storage_tools
in_sandbox "$@"

LOOPS=()
cleanup() {
    local l
    umount -q "$T/mnt" "$T/mnt2" 2>/dev/null || true
    for l in "${LOOPS[@]}"; do
        partx -d "$l" 2>/dev/null || true
        losetup -d "$l" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/mnt" "$T/mnt2"

# 1. An image whose loop device is mounted (mount -o loop).
img="$T/data.img"
image "$img" 64M
mke2fs -q -F -t ext4 "$img"
mount -o loop "$img" "$T/mnt"
loop=$(findmnt -n -o SOURCE --mountpoint "$T/mnt")
case "$loop" in /dev/loop*) ;; *) fail "mount -o loop gave '$loop'" ;; esac
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext3"}'
expect_state false false "refusing to format $img: $loop is mounted on $T/mnt"
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext3"}' --dry-run
expect_state false false "refusing to format $img: $loop is mounted on $T/mnt"
state linux.mkfs '{"device": "'"$loop"'", "fstype": "xfs"}'
expect_state false false "refusing to format $loop: $loop is mounted on $T/mnt"
# Nothing to do is not refused: the wanted type is there.
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext4"}'
expect_state true false "$img already holds ext4, no changes"
[ "$(fs_type "$img")" = ext4 ] || fail "the mounted image was formatted"
umount "$T/mnt"
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext3"}'
expect_state true true "formatted $img as ext3, replacing ext4"

# 2. A partitioned disk: a mounted partition makes the disk busy; the
#    partition itself is a block device mkfs formats.
disk="$T/disk.img"
image "$disk" 64M
mbr "$disk"
dev=$(losetup -f --show "$disk")
LOOPS+=("$dev")
partx -a "$dev"
for _ in $(seq 50); do [ -b "${dev}p1" ] && break; sleep 0.1; done
[ -b "${dev}p1" ] || fail "no partition device ${dev}p1"
mke2fs -q -F -t ext4 "${dev}p1"
mount "${dev}p1" "$T/mnt2"
state linux.mkfs '{"device": "'"$dev"'", "fstype": "ext4"}'
expect_state false false "refusing to format $dev: ${dev}p1 is mounted on $T/mnt2"
state linux.mkfs '{"device": "'"$disk"'", "fstype": "ext4"}'
expect_state false false "refusing to format $disk: ${dev}p1 is mounted on $T/mnt2"
state linux.mkfs '{"device": "'"${dev}p1"'", "fstype": "ext2"}'
expect_state false false "refusing to format ${dev}p1: ${dev}p1 is mounted on $T/mnt2"
umount "$T/mnt2"
# Bound to a loop device, the image may be in use through it.
state linux.mkfs '{"device": "'"$disk"'", "fstype": "ext4"}'
expect_state false false "refusing to format $disk: it is attached to $dev"
state linux.mkfs '{"device": "'"$dev"'", "fstype": "ext4"}'
expect_state false false "refusing to format $dev: it holds a dos partition table; format one of its partitions instead"
state linux.mkfs '{"device": "'"${dev}p1"'", "fstype": "ext2", "label": "part1"}'
expect_state true true "formatted ${dev}p1 as ext2 with label part1, replacing ext4"
[ "$(fs_type "${dev}p1")" = ext2 ] && [ "$(fs_label "${dev}p1")" = part1 ] || fail "partition not ext2/part1"
state linux.mkfs '{"device": "'"${dev}p1"'", "fstype": "ext2", "label": "part1"}'
expect_state true false "${dev}p1 already holds ext2, no changes"

# 2b. An LVM physical volume, made for real by pvcreate on a loop device
#     (LVM restricted to it, storage.sh lvm_sandbox), is not a filesystem:
#     refused, also in dry run. (A RAID member cannot be made here: this
#     kernel has no md driver.)
if PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v pvcreate >/dev/null; then
    loop_image pv 64M
    lvm_sandbox "$LOOP"
    pvcreate -q "$LOOP" >/dev/null 2>&1 || fail "pvcreate $LOOP"
    state linux.mkfs '{"device": "'"$LOOP"'", "fstype": "ext4"}'
    expect_state false false "refusing to format $LOOP: it holds LVM2_member (raid), not a filesystem"
    state linux.mkfs '{"device": "'"$LOOP"'", "fstype": "xfs"}' --dry-run
    expect_state false false "refusing to format $LOOP: it holds LVM2_member (raid), not a filesystem"
    [ "$(fs_type "$LOOP")" = LVM2_member ] || fail "the PV was formatted"
else
    echo "lvm2 is not installed: the LVM member case is not run"
fi

# 3. Prerequisites. hide TOOL: the tool disappears from every PATH directory.
sandbox_tmpfs /usr/local/sbin
hide() {
    local p
    p=$(readlink -f "$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$1")")
    mount --bind /dev/null "$p"
    echo "$p" >"$T/hidden.$1"
}
cat >/usr/local/sbin/apt-get <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$T/apt.log"
case " \$* " in *" update "*) exit 0 ;; esac
if [ -e "$T/apt-fails" ]; then echo "E: Unable to locate package" >&2; exit 100; fi
for p in "\$@"; do
    case "\$p" in
    xfsprogs) umount "\$(cat "$T/hidden.mkfs.xfs")" ;;
    e2fsprogs) umount "\$(cat "$T/hidden.mke2fs")" ;;
    util-linux) umount "\$(cat "$T/hidden.blkid")" ;;
    esac
done
echo "Setting up \$*"
EOF
chmod 755 /usr/local/sbin/apt-get
: >"$T/apt.log"
big="$T/big.img"
image "$big" 320M

hide mkfs.xfs
# ext* never needs xfsprogs.
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext4"}'
expect_state true true "formatted $img as ext4, replacing ext3"
[ ! -s "$T/apt.log" ] || fail "something was installed for ext4: $(cat "$T/apt.log")"
state linux.mkfs '{"device": "'"$big"'", "fstype": "xfs"}' --dry-run
expect_state true true "would install the package xfsprogs; would format $big as xfs (it holds no filesystem)"
grep -qx "would install the package xfsprogs (for mkfs.xfs)" "$T/out" || fail "dry-run output"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
touch "$T/apt-fails"
state linux.mkfs '{"device": "'"$big"'", "fstype": "xfs"}'
expect_state false false "mkfs.xfs is not installed and cannot be: apt-get install xfsprogs exited with status 100"
[ -z "$(fs_type "$big")" ] || fail "formatted without mkfs.xfs"
rm "$T/apt-fails"
: >"$T/apt.log"
state linux.mkfs '{"device": "'"$big"'", "fstype": "xfs"}'
expect_state true true "installed the package xfsprogs; formatted $big as xfs (it held no filesystem)"
grep -qx "installing the package xfsprogs (for mkfs.xfs)" "$T/out" || fail "install output"
grep -q "install --no-install-recommends xfsprogs$" "$T/apt.log" || fail "apt-get log: $(cat "$T/apt.log")"
[ "$(fs_type "$big")" = xfs ] || fail "not xfs after the install"

# A tool only needed to format is not installed when nothing is to be done.
hide mke2fs
: >"$T/apt.log"
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext4"}'
expect_state true false "$img already holds ext4, no changes"
[ ! -s "$T/apt.log" ] || fail "installed e2fsprogs for nothing"
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext2"}'
expect_state true true "installed the package e2fsprogs; formatted $img as ext2, replacing ext4"
grep -q "install --no-install-recommends e2fsprogs$" "$T/apt.log" || fail "apt-get log: $(cat "$T/apt.log")"

# blkid itself (util-linux), in dry run and for real.
hide blkid
: >"$T/apt.log"
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext3"}' --dry-run
expect_state true true "would install the package util-linux, then format $img as ext3 unless it holds ext3 already"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
state linux.mkfs '{"device": "'"$img"'", "fstype": "ext3"}'
expect_state true true "installed the package util-linux; formatted $img as ext3, replacing ext2"
