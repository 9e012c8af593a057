# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the linux.mkfs and linux.mount tests (once/080-089), sourced
# after lib.sh. They run single states through `opsagent exec-state`, which
# returns `changed` as well as the result and comment, and inspect image
# files and mounts.

# need_storage_tools: skips the test (77) unless mke2fs, mkfs.xfs and blkid
# are installed; otherwise the module under test would install them, which
# a test must never do outside a sandbox (Debian: e2fsprogs, xfsprogs).
need_storage_tools() {
    local t
    for t in mke2fs mkfs.xfs blkid mount findmnt; do
        if ! PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$t" >/dev/null; then
            echo "SKIP: $t is not installed (e2fsprogs, xfsprogs, util-linux, mount)"
            exit 77
        fi
    done
}

# state MODULE PARAMETERS_JSON [--dry-run]: runs one state; sets RESULT,
# CHANGED (true/false) and COMMENT; its output is in $T/out and $T/err.
state() {
    local dry=false
    [ "${3:-}" = --dry-run ] && dry=true
    printf '{"id":"s","module":"%s","parameter":%s,"dry_run":%s}' "$1" "$2" "$dry" |
        "${OA[@]}" exec-state 3>"$T/result" >"$T/out" 2>"$T/err" || true
    no_sanitizer_report
    eval "$(/usr/bin/python3 - "$T/result" <<'PY'
import json, shlex, sys
r = json.load(open(sys.argv[1]))
print("RESULT=%s CHANGED=%s COMMENT=%s" % (str(r["result"]).lower(), str(r["changed"]).lower(),
                                           shlex.quote(r["comment"])))
PY
)"
}

# expect_state RESULT CHANGED COMMENT: the last state's outcome, exactly.
expect_state() {
    [ "$RESULT" = "$1" ] || fail "result $RESULT, expected $1 (comment: $COMMENT)"
    [ "$CHANGED" = "$2" ] || fail "changed $CHANGED, expected $2 (comment: $COMMENT)"
    [ "$COMMENT" = "$3" ] || fail "comment:
  got      '$COMMENT'
  expected '$3'"
}

# expect_comment REGEX: the last state's comment matches (grep -E).
expect_comment() {
    printf '%s\n' "$COMMENT" | grep -qE -- "$1" || fail "comment '$COMMENT' does not match: $1"
}

# fs_type IMAGE / fs_label IMAGE / fs_uuid IMAGE: what blkid's probe finds.
fs_type() { blkid -p -o value -s TYPE "$1" || true; }
fs_label() { blkid -p -o value -s LABEL "$1" || true; }
fs_uuid() { blkid -p -o value -s UUID "$1" || true; }

# image PATH SIZE: a sparse image file.
image() {
    rm -f "$1"
    truncate -s "$2" "$1"
}

# mbr IMAGE: writes a DOS partition table with one Linux partition from
# sector 2048 to the end (no fdisk needed).
mbr() {
    /usr/bin/python3 - "$1" <<'PY'
import os, struct, sys
path = sys.argv[1]
sectors = os.path.getsize(path) // 512
entry = struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x83, b"\0\0\0", 2048, sectors - 2048)
with open(path, "r+b") as f:
    f.seek(446)
    f.write(entry + b"\0" * 48 + b"\x55\xaa")
PY
}

# mounted_from MOUNTPOINT: "SOURCE OPTIONS" of the topmost mount there, or "".
mounted_from() {
    findmnt -n -o SOURCE,OPTIONS --mountpoint "$1" | tail -n 1 || true
}

# need_lvm_tools: skips the test (77) unless LVM's tools are installed
# (Debian: lvm2); the module would install them otherwise.
need_lvm_tools() {
    if ! PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v lvm >/dev/null; then
        echo "SKIP: lvm is not installed (Debian package lvm2)"
        exit 77
    fi
}

# loop_image NAME SIZE: a sparse image $T/NAME.img bound to a free loop
# device, whose name is printed; it is added to LOOPS for cleanup_loops.
# (Callers run it in the current shell: dev=$(loop_image a 64M) loses the
# LOOPS entry, so use `loop_image a 64M; dev=$LOOP`.)
LOOPS=()
loop_image() {
    image "$T/$1.img" "$2"
    LOOP=$(losetup -f --show "$T/$1.img")
    LOOPS+=("$LOOP")
}

# cleanup_loops: detaches the loop devices of loop_image (a mount namespace
# does not isolate them) and removes $T.
cleanup_loops() {
    local l
    for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
    rm -rf "$T"
}

# lvm_sandbox DEVICE...: a private /etc/lvm/lvm.conf (in the sandbox's copy
# of /etc) under which LVM sees only the given devices, never the host's
# disks, does not wait for udev (there is none in the sandbox) and keeps
# its locks and backups in $T. Device-mapper activation is switched off
# (global/activation = 0): this machine's kernel has no device-mapper, and
# with it off lvcreate writes the LV into the VG's metadata without
# activating it, which is what the tests can check here. LVM's run-time
# files (/run/lvm: hints, lvmpolld) go to a tmpfs, and hints are off.
lvm_sandbox() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "lvm_sandbox outside the sandbox"
    local d accept=""
    for d in "$@"; do accept="$accept\"a|^$d\$|\", "; done
    mountpoint -q /run/lvm || sandbox_tmpfs /run/lvm
    mkdir -p /etc/lvm "$T/lvm-lock" "$T/lvm-backup" "$T/lvm-archive"
    cat >/etc/lvm/lvm.conf <<CONF
devices {
    filter = [ $accept"r|.*|" ]
    global_filter = [ $accept"r|.*|" ]
    use_devicesfile = 0
    obtain_device_list_from_udev = 0
    external_device_info_source = "none"
    hints = "none"
}
activation {
    udev_sync = 0
    udev_rules = 0
    monitoring = 0
}
global {
    activation = 0
    locking_dir = "$T/lvm-lock"
    event_activation = 0
}
backup {
    backup_dir = "$T/lvm-backup"
    archive_dir = "$T/lvm-archive"
}
CONF
}

# hide TOOL: the tool disappears from every PATH directory (/dev/null bound
# over it, in the sandbox); `unhide TOOL` brings it back.
hide() {
    local p
    p=$(readlink -f "$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$1")")
    mount --bind /dev/null "$p"
    echo "$p" >"$T/hidden.$1"
}

# fake_apt_get: an apt-get in the sandbox's /usr/local/sbin (a tmpfs made
# by the caller) that logs its arguments to $T/apt.log, fails (status 100)
# while $T/apt-fails exists, and "installs" a package by unhiding the tool
# named in $T/provides.PACKAGE.
fake_apt_get() {
    cat >/usr/local/sbin/apt-get <<SH
#!/bin/sh
echo "apt-get \$*" >>"$T/apt.log"
case " \$* " in *" update "*) exit 0 ;; esac
if [ -e "$T/apt-fails" ]; then echo "E: Unable to locate package" >&2; exit 100; fi
for p in "\$@"; do
    if [ -e "$T/provides.\$p" ]; then umount "\$(cat "$T/hidden.\$(cat "$T/provides.\$p")")"; fi
done
echo "Setting up \$*"
SH
    chmod 755 /usr/local/sbin/apt-get
    : >"$T/apt.log"
}
