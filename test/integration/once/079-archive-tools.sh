#!/bin/bash
# common.archive's tools (modules.md §1.6, §9.4): unzip installed when it is
# missing (dry run, failure, success), and .rar archives: the prerequisite
# named (unrar-free on Debian), the argv given to an unrar stand-in in both
# dialects, Debian's unrar-free (GNU options) and RARLAB's unrar
# ("x -o+ --"); then, where Debian's unrar-free is installed, a real .rar
# (a stored RAR 4 archive written by the test). Root only, in a sandbox:
# stand-ins in tmpfs over /usr/local/bin and /usr/local/sbin (first on the
# modules' PATH), installed tools hidden under an empty file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"
in_sandbox "$@"
sandbox_tmpfs /usr/local/bin

W="$T/www"
mkdir -p "$W" "$T/src/pkg"
echo hello >"$T/src/pkg/a.txt"
(cd "$T/src" && $PY -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.write("pkg/"); z.write("pkg/a.txt")' "$W/pkg.zip")
echo 'Rar! stand-in' >"$W/pkg.rar"
start_http "$W"

# unzip missing: the dry run names the package and installs nothing.
hide_tool /usr/bin/unzip
fake_apt_get 0 /usr/bin/unzip
st common.archive "{\"source\": \"$HTTP/pkg.zip\", \"path\": \"$T/zip\"}" dry
expect_state true true "would download $HTTP/pkg.zip and extract it in $T/zip"
expect_line out "^would install the package unzip \(for unzip\)$"
[ ! -s "$T/apt.log" ] || fail "the dry run ran apt-get: $(cat "$T/apt.log")"
# A failed install fails the state before any download.
fake_apt_get 100 /usr/bin/unzip
st common.archive "{\"source\": \"$HTTP/pkg.zip\", \"path\": \"$T/zip\"}"
expect_rc 1
expect_state false false "unzip is not installed and cannot be: apt-get install unzip exited with status 100"
if grep -q 'GET /pkg.zip' "$T/http.log"; then fail "downloaded before the tool was there"; fi
# Installed, then used.
fake_apt_get 0 /usr/bin/unzip
st common.archive "{\"source\": \"$HTTP/pkg.zip\", \"path\": \"$T/zip\"}"
expect_rc 0
expect_state true true "$HTTP/pkg.zip extracted in $T/zip (2 entries)"
expect_line out "^installing the package unzip \(for unzip\)$"
grep -q 'install --no-install-recommends unzip$' "$T/apt.log" || fail "apt-get: $(cat "$T/apt.log")"

# .rar: unrar made missing; Debian's package for it is unrar-free.
rar_tools=$(for p in /usr/bin/unrar /usr/bin/unrar-free; do [ ! -e "$p" ] || readlink -f "$p"; done | sort -u)
for p in $rar_tools; do hide_tool "$p"; done
st common.archive "{\"source\": \"$HTTP/pkg.rar\", \"path\": \"$T/rar\"}" dry
expect_state true true "would download $HTTP/pkg.rar and extract it in $T/rar"
expect_line out "^would install the package unrar-free \(for unrar\)$"
fake_apt_get 100
st common.archive "{\"source\": \"$HTTP/pkg.rar\", \"path\": \"$T/rar\"}"
expect_state false false "unrar is not installed and cannot be: apt-get install unrar-free exited with status 100"

# stand_in NAME: an unrar that logs its arguments and writes one file
# into its last argument (the destination).
stand_in() {
    cat >"/usr/local/bin/$1" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/unrar.log"
for last in "\$@"; do :; done
echo extracted >"\${last}from-rar.txt"
EOF
    chmod 0755 "/usr/local/bin/$1"
}
# Debian's unrar-free (unrar is its alternative link): GNU options.
stand_in unrar-free
ln -s unrar-free /usr/local/bin/unrar
st common.archive "{\"source\": \"$HTTP/pkg.rar\", \"path\": \"$T/rar\"}"
expect_rc 0
expect_state true true "$HTTP/pkg.rar extracted in $T/rar (1 entry)"
[ "$(sed -n 1,2p "$T/unrar.log" | tr '\n' ' ')" = "--extract --force " ] || fail "argv: $(cat "$T/unrar.log")"
[[ "$(sed -n 3p "$T/unrar.log")" == "$T/state/cache/archive-"*.rar ]] || fail "archive: $(cat "$T/unrar.log")"
[ "$(sed -n 4p "$T/unrar.log")" = "$T/rar/" ] || fail "destination: $(cat "$T/unrar.log")"
[ "$(cat "$T/rar/from-rar.txt")" = extracted ] || fail "nothing in $T/rar"
# RARLAB's unrar: its own syntax, options ended by --.
rm /usr/local/bin/unrar
stand_in unrar
st common.archive "{\"source\": \"$HTTP/pkg.rar\", \"path\": \"$T/rar2\"}"
expect_rc 0
expect_state true true "$HTTP/pkg.rar extracted in $T/rar2 (1 entry)"
[ "$(sed -n 1,3p "$T/unrar.log" | tr '\n' ' ')" = "x -o+ -- " ] || fail "argv: $(cat "$T/unrar.log")"
[ "$(sed -n 5p "$T/unrar.log")" = "$T/rar2/" ] || fail "destination: $(cat "$T/unrar.log")"

# A real .rar through Debian's unrar-free, when it is installed.
if [ -z "$rar_tools" ]; then
    echo "unrar-free is not installed: the real .rar extraction is not tested"
    exit 0
fi
for p in $rar_tools; do umount "$p"; done
rm /usr/local/bin/unrar
$PY - "$W/real.rar" <<'PY'
import struct, sys, zlib
def block(kind, flags, body):
    head = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head
out = b"Rar!\x1a\x07\x00" + block(0x73, 0, bytes(6))
for name, data in (("pkg/a.txt", b"hello\n"), ("pkg/b.txt", b"bee\n")):
    n = name.encode()
    # stored (0x30), host Unix, DOS time 2024-01-01, mode 0644
    body = struct.pack("<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), 0x58210000, 29,
                       0x30, len(n), 0o100644) + n
    out += block(0x74, 0x8000, body) + data
open(sys.argv[1], "wb").write(out + block(0x7B, 0x4000, b""))
PY
st common.archive "{\"source\": \"$HTTP/real.rar\", \"path\": \"$T/real\", \"checksum\": \"md5:$(md5sum "$W/real.rar" | cut -d' ' -f1)\"}"
expect_rc 0
expect_state true true "$HTTP/real.rar extracted in $T/real (3 entries)"
[ "$(cat "$T/real/pkg/b.txt")" = bee ] || fail "real.rar not extracted"
st common.archive "{\"source\": \"$HTTP/real.rar\", \"path\": \"$T/real\", \"checksum\": \"md5:$(md5sum "$W/real.rar" | cut -d' ' -f1)\"}"
expect_state true false "real.rar is already extracted in $T/real (md5 $(md5sum "$W/real.rar" | cut -d' ' -f1)), no changes"
