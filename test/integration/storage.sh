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
        "$OPSAGENT" exec-state 3>"$T/result" >"$T/out" 2>"$T/err" || true
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
