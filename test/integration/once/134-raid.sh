#!/bin/bash
# linux.raid in the sandbox. This kernel has no md driver, so mdadm is a
# recording shim first on PATH (the sandbox's /usr/local/sbin): it logs
# every command line, which the test compares word for word, and replays
# what mdadm 4.2 prints (--detail of an array or "cannot open", the
# --detail --brief ARRAY line, --create's messages, a failing create).
# Everything else is real: the members are loop devices probed with blkid
# and checked against the mount table and sysfs (a member holding a
# filesystem or mounted is refused before mdadm runs), /etc/mdadm/mdadm.conf
# (the sandbox's copy of /etc) is really written, and mdadm is installed
# when missing (a fake apt-get).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../storage.sh"
need_storage_tools
in_sandbox "$@"
sandbox_tmpfs /usr/local/sbin

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
S="$T/md"
mkdir -p "$S"
UUID=4b4ac6b3:1b2e7e8f:2b7a2a48:6c1b9f9d
UUID2=9d3a0c11:5e2f4b7a:0c1d2e3f:a4b5c6d7
cat >"$T/mdadm" <<SH
#!/bin/bash
# mdadm 4.2, as far as linux.raid asks it: logs "mdadm ARGS", replays.
echo "mdadm \$*" >>"$S/argv.log"
uuid=$UUID
[ "\${@: -1}" = /dev/md0 ] || uuid=$UUID2
case "\$1 \$2" in
"--detail --brief")
    echo "ARRAY \$3 metadata=1.2 name=vm:0 UUID=\$uuid" ;;
"--detail "*)
    if [ ! -e "$S/\${2##*/}" ]; then echo "mdadm: cannot open \$2: No such file or directory" >&2; exit 1; fi
    cat <<DETAIL
\$2:
           Version : 1.2
     Creation Time : Mon Jan  1 00:00:00 2024
        Raid Level : raid\$(cat "$S/\${2##*/}")
        Array Size : 64512 (63.00 MiB 66.06 MB)
      Raid Devices : 2
     Total Devices : 2
       Persistence : Superblock is persistent

             State : clean 
    Active Devices : 2

              Name : vm:0  (local to host vm)
              UUID : \$uuid
            Events : 17

    Number   Major   Minor   RaidDevice State
       0       7        0        0      active sync   $A
       1       7        1        1      active sync   $B
DETAIL
    ;;
"--create "*)
    if [ -e "$S/create-fails" ]; then echo "mdadm: RUN_ARRAY failed: Invalid argument" >&2; exit 1; fi
    level=\$(printf '%s\n' "\$@" | sed -n '/^-l$/{n;p}')
    echo "\$level" >"$S/\${2##*/}"
    echo "mdadm: array \$2 started." >&2 ;;
*) echo "mdadm: unexpected command line" >&2; exit 2 ;;
esac
SH
chmod 755 "$T/mdadm"
cp "$T/mdadm" /usr/local/sbin/mdadm
CONF=/etc/mdadm/mdadm.conf
rm -f "$CONF"
LINE="ARRAY /dev/md0 metadata=1.2 name=vm:0 UUID=$UUID"

raid() {
    : >"$S/argv.log"
    state linux.raid "$@"
}
expect_argv() {
    printf '%s\n' "$@" >"$T/want"
    diff -u "$T/want" "$S/argv.log" >&2 || fail "command lines differ"
}

# 1. Create, dry run first; then no changes.
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}' --dry-run
expect_state true true "would create RAID array /dev/md0 (level 1) from $A, $B; would add it to $CONF"
expect_argv "mdadm --detail /dev/md0"
expect_line out "^would run: mdadm --create /dev/md0 --run --force -l 1 -n 2 $A $B$"
[ ! -e "$CONF" ] || fail "the dry run wrote $CONF"
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}'
expect_state true true "created RAID array /dev/md0 (raid1, 2 devices, clean) from $A, $B; added its ARRAY line to $CONF"
expect_argv "mdadm --detail /dev/md0" "mdadm --create /dev/md0 --run --force -l 1 -n 2 $A $B" \
    "mdadm --detail /dev/md0" "mdadm --detail --brief /dev/md0"
[ "$(cat "$CONF")" = "$LINE" ] || fail "mdadm.conf: $(cat "$CONF")"
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}'
expect_state true false "RAID array /dev/md0 exists (raid1, 2 devices, clean), no changes"
expect_argv "mdadm --detail /dev/md0" "mdadm --detail --brief /dev/md0"

# 2. mdadm.conf converges: a missing line is added to what is there, a
#    stale line for the device replaced; dry run says so and writes nothing.
printf '# mdadm.conf\nHOMEHOST <system>\nMAILADDR root\n' >"$CONF"
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}' --dry-run
expect_state true true "RAID array /dev/md0 exists (raid1, 2 devices, clean); would add its ARRAY line to $CONF"
[ "$(wc -l <"$CONF")" = 3 ] || fail "the dry run wrote $CONF"
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}'
expect_state true true "RAID array /dev/md0 exists (raid1, 2 devices, clean); added its ARRAY line to $CONF"
[ "$(cat "$CONF")" = "$(printf '# mdadm.conf\nHOMEHOST <system>\nMAILADDR root\n%s' "$LINE")" ] || fail "mdadm.conf: $(cat "$CONF")"
printf 'ARRAY /dev/md0 UUID=00000000:00000000:00000000:00000000\nMAILADDR root\n' >"$CONF"
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}'
expect_state true true "RAID array /dev/md0 exists (raid1, 2 devices, clean); replaced its stale ARRAY line in $CONF"
[ "$(cat "$CONF")" = "$(printf '%s\nMAILADDR root' "$LINE")" ] || fail "mdadm.conf: $(cat "$CONF")"

# 3. Members are checked before mdadm runs: a filesystem, a mount.
mke2fs -q -F -t ext4 "$C"
raid '{"device-name": "/dev/md1", "level": "0", "devices": ["'"$D"'", "'"$C"'"]}'
expect_state false false "refusing to use $C for RAID array /dev/md1: it holds ext4 (filesystem)"
expect_argv "mdadm --detail /dev/md1"
mke2fs -q -F -t ext2 "$D"
mount "$D" "$T/mnt"
raid '{"device-name": "/dev/md1", "level": "0", "devices": ["'"$D"'"]}' --dry-run
expect_state false false "refusing to use $D for RAID array /dev/md1: $D is mounted on $T/mnt"
umount "$T/mnt"
raid '{"device-name": "/dev/md1", "level": "0", "devices": ["'"$A"'", "/dev/oa-no-such-disk"]}'
expect_state false false "refusing to use /dev/oa-no-such-disk for RAID array /dev/md1: it does not exist"

# 4. arguments ({k, v} → --k=v, {k} → --k, spares counted out of -n), and
#    a create that fails.
wipefs -q -a "$C" "$D"
raid '{"device-name": "/dev/md/data", "level": "5", "devices": ["'"$A"'", "'"$B"'", "'"$C"'", "'"$D"'"], "arguments": [{"key": "metadata", "value": "1.2"}, {"key": "assume-clean"}, {"key": "spare-devices", "value": "1"}, {"key": "chunk", "value": 64}]}'
expect_state true true "created RAID array /dev/md/data (raid5, 2 devices, clean) from $A, $B, $C, $D; added its ARRAY line to $CONF"
expect_argv "mdadm --detail /dev/md/data" \
    "mdadm --create /dev/md/data --run --force -l 5 -n 3 --metadata=1.2 --assume-clean --spare-devices=1 --chunk=64 $A $B $C $D" \
    "mdadm --detail /dev/md/data" "mdadm --detail --brief /dev/md/data"
[ "$(cat "$CONF")" = "$(printf '%s\nMAILADDR root\nARRAY /dev/md/data metadata=1.2 name=vm:0 UUID=%s' "$LINE" "$UUID2")" ] ||
    fail "mdadm.conf: $(cat "$CONF")"
touch "$S/create-fails"
raid '{"device-name": "/dev/md2", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}'
expect_state false false "cannot create RAID array /dev/md2: mdadm --create exited with status 1"
expect_line err "^mdadm: RUN_ARRAY failed: Invalid argument$"
rm "$S/create-fails"
raid '{"device-name": "/dev/sdb", "level": "1", "devices": ["'"$A"'"]}'
expect_state false false "parameter 'device-name': '/dev/sdb' is not an md device (/dev/mdN)"
raid '{"device-name": "/dev/md3", "level": "1", "devices": ["'"$A"'"], "arguments": {"level": "5"}}'
expect_state false false "parameter 'arguments': --level is set by the module itself (from 'device-name', 'level' and 'devices')"
[ ! -s "$S/argv.log" ] || fail "mdadm ran for invalid parameters"

# 5. mdadm missing: installed (§1.6), not in dry run; a failed install fails.
rm /usr/local/sbin/mdadm
if PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v mdadm >/dev/null; then hide mdadm; fi
fake_apt_get
# This apt-get "installs" mdadm by putting the shim back.
sed -i "s|^echo \"Setting up|case \" \\\$* \" in *\" mdadm \"*) cp $T/mdadm /usr/local/sbin/mdadm ;; esac\n&|" /usr/local/sbin/apt-get
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}' --dry-run
expect_state true true "would install the package mdadm, then create RAID array /dev/md0 unless it exists"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get"
touch "$T/apt-fails"
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}'
expect_state false false "mdadm is not installed and cannot be: apt-get install mdadm exited with status 100"
rm "$T/apt-fails"
raid '{"device-name": "/dev/md0", "level": "1", "devices": ["'"$A"'", "'"$B"'"]}'
expect_state true true "installed the package mdadm; RAID array /dev/md0 exists (raid1, 2 devices, clean)"
grep -q "install --no-install-recommends mdadm$" "$T/apt.log" || fail "apt-get log: $(cat "$T/apt.log")"
