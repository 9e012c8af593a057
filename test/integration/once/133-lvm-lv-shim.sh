#!/bin/bash
# linux.lvm.lv where this machine cannot go: snapshots, mirrors, thin pools
# and thin volumes need device-mapper, which this kernel lacks. A recording
# shim first on PATH (the sandbox's /usr/local/sbin) stands in for vgs, lvs
# and lvcreate: it logs every command line, which the test compares word
# for word, and replays what LVM prints (report rows; lvcreate's messages
# and exit status 5 on failure). Proven here: the exact lvcreate command of
# every option and shape, the reports the module reads, the post-check, the
# handling of failures. Not proven: that LVM and the kernel accept them.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../storage.sh"
need_lvm_tools
in_sandbox "$@"
sandbox_tmpfs /usr/local/sbin

S="$T/shim"
mkdir -p "$S"
cat >/usr/local/sbin/lvm-shim <<SH
#!/bin/bash
# vgs, lvs, lvcreate: logs "NAME ARGS" and replays $S/*.
name=\${0##*/}
echo "\$name \$*" >>"$S/argv.log"
case \$name in
vgs) sed 's/^/  /' "$S/vgs" ;;
lvs)
    if [ -e "$S/lvs-fails" ]; then echo '  Reading VG vgtest failed.' >&2; exit 5; fi
    sed 's/^/  /' "$S/lvs" ;;
lvcreate)
    if [ -e "$S/lvcreate-fails" ]; then
        echo '  Volume group "vgtest" has insufficient free space (10 extents): 125 required.' >&2
        exit 5
    fi
    n=""
    while [ \$# -gt 0 ]; do [ "\$1" = -n ] && n=\$2; shift; done
    [ -e "$S/lvcreate-forgets" ] || cat "$S/creates" >>"$S/lvs"
    echo "  Logical volume \"\$n\" created."
    ;;
esac
SH
chmod 755 /usr/local/sbin/lvm-shim
for t in vgs lvs lvcreate; do ln -s lvm-shim "/usr/local/sbin/$t"; done
echo vgtest >"$S/vgs"
echo "vgtest|lvtest|500.00m" >"$S/lvs"

# lv PARAMS ROW [--dry-run]: one state, lvcreate adding ROW to lvs's report.
lv() {
    : >"$S/argv.log"
    echo "$2" >"$S/creates"
    state linux.lvm.lv "$1" "${3:-}"
}
# expect_argv LINE...: the command lines, in order, exactly.
expect_argv() {
    printf '%s\n' "$@" >"$T/want"
    diff -u "$T/want" "$S/argv.log" >&2 || fail "command lines differ"
}
VGS="vgs --noheadings --separator | -o vg_name"
LVS="lvs --noheadings --separator | -o vg_name,lv_name,lv_size"

# 1. A snapshot (complex/linux.lvm.lv.complex.json step 19); then no changes.
lv '{"name": "sstest", "vg-name": "vgtest", "le-size": "500M", "snapshot": "lvtest"}' "vgtest|sstest|500.00m" --dry-run
expect_state true true "would create logical volume vgtest/sstest, a snapshot of vgtest/lvtest"
expect_argv "$VGS" "$LVS"
lv '{"name": "sstest", "vg-name": "vgtest", "le-size": "500M", "snapshot": "lvtest"}' "vgtest|sstest|500.00m"
expect_state true true "created logical volume vgtest/sstest (500.00m), a snapshot of vgtest/lvtest"
expect_argv "$VGS" "$LVS" "lvcreate -n sstest -L 500M -s vgtest/lvtest" "$LVS"
expect_line out '^  Logical volume "sstest" created\.$'
lv '{"name": "sstest", "vg-name": "vgtest", "le-size": "500M", "snapshot": "lvtest"}' ""
expect_state true false "logical volume vgtest/sstest exists (500.00m), no changes"
expect_argv "$VGS" "$LVS"

# 2. A mirror over given PVs (step 14; le-size for the fixture's lv-size).
lv '{"name": "mirror", "vg-name": "vgtest", "le-size": "500M", "path": ["/dev/oa-pv1", "/dev/oa-pv2"], "contiguous": "n", "mirror-number": "1", "persistent": "n", "region-size": "512k", "type": "raid1"}' "vgtest|mirror|500.00m"
expect_state true true "created logical volume vgtest/mirror (500.00m)"
expect_argv "$VGS" "$LVS" "lvcreate -n mirror -L 500M --contiguous n --persistent n -m 1 --regionsize 512k --type raid1 vgtest /dev/oa-pv1 /dev/oa-pv2" "$LVS"

# 3. A thin pool, then a thin volume in it (no -L/-l: its virtual size).
lv '{"name": "pool", "vg-name": "vgtest", "le-size": "100M", "type": "thin-pool", "pool metadata size": "4M", "chunk-size": "64k", "discards": "passdown", "zero": "n"}' "vgtest|pool|100.00m"
expect_state true true "created logical volume vgtest/pool (100.00m)"
expect_argv "$VGS" "$LVS" "lvcreate -n pool -L 100M --chunksize 64k --discards passdown --poolmetadatasize 4M --type thin-pool --zero n vgtest" "$LVS"
lv '{"name": "thin1", "vg-name": "vgtest", "virtual-size": "1G", "thinpool": "pool"}' "vgtest|thin1|1.00g"
expect_state true true "created logical volume vgtest/thin1 (1.00g)"
expect_argv "$VGS" "$LVS" "lvcreate -n thin1 --thinpool pool --virtualsize 1G vgtest" "$LVS"

# 4. The activation options.
lv '{"name": "act", "vg-name": "vgtest", "le-number": "10", "minor-number": "200", "persistent": "y", "monitor": "n", "ignore-monitoring": "y", "no-udev-sync": "y", "available": "n", "autobackup": "n", "tag": ["a", "b"]}' "vgtest|act|40.00m"
expect_state true true "created logical volume vgtest/act (40.00m)"
expect_argv "$VGS" "$LVS" "lvcreate -n act -l 10 --minor 200 --persistent y --noudevsync --monitor n --ignoremonitoring -a n --autobackup n --addtag a --addtag b vgtest" "$LVS"

# 5. Failures: lvcreate exits 5; exits 0 but lvs does not list the LV; lvs fails.
touch "$S/lvcreate-fails"
lv '{"name": "big", "vg-name": "vgtest", "le-size": "500M"}' "vgtest|big|500.00m"
expect_state false false "cannot create logical volume vgtest/big: lvcreate exited with status 5"
expect_line err 'insufficient free space'
rm "$S/lvcreate-fails"
touch "$S/lvcreate-forgets"
lv '{"name": "ghost", "vg-name": "vgtest", "le-size": "8M"}' "vgtest|ghost|8.00m"
expect_state false true "lvcreate exited with status 0, but lvs does not list vgtest/ghost"
rm "$S/lvcreate-forgets"
touch "$S/lvs-fails"
lv '{"name": "any", "vg-name": "vgtest", "le-size": "8M"}' ""
expect_state false false "cannot list the volume groups and volumes: lvs exited with status 5"
expect_argv "$VGS" "$LVS"
