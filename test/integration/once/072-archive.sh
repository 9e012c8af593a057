#!/bin/bash
# common.archive (modules.md §9.4) from a loopback http.server: every
# format (.tar.gz .tgz .gz .tar.bz2 .tbz .bz .tar .zip, a ?query ignored),
# md5 checksums given inline or as a checksum file, the sum kept under the
# state dir so that a second round downloads nothing, an overlay that keeps
# other files, dry runs, if-path-absent, and the failures: checksum
# mismatch (the download deleted), HTTP errors, an unsupported type,
# file://, a corrupt archive, an empty one (⚠ the destination is kept).
# Runs as the caller, touches only $T.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-sources.sh"

W="$T/www"
mkdir -p "$W" "$T/src/pkg/sub"
echo hello >"$T/src/pkg/a.txt"
echo below >"$T/src/pkg/sub/b.txt"
tar -czf "$W/pkg.tar.gz" -C "$T/src" pkg
cp "$W/pkg.tar.gz" "$W/pkg.tgz"
cp "$W/pkg.tar.gz" "$W/pkg.gz"
tar -cjf "$W/pkg.tar.bz2" -C "$T/src" pkg
cp "$W/pkg.tar.bz2" "$W/pkg.TBZ"
cp "$W/pkg.tar.bz2" "$W/pkg.bz"
tar -cf "$W/pkg.tar" -C "$T/src" pkg
(cd "$T/src" && $PY -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for n in ("pkg/", "pkg/a.txt", "pkg/sub/", "pkg/sub/b.txt"): z.write(n)' "$W/pkg.zip")
tar -czf "$W/empty.tar.gz" -T /dev/null
echo 'not an archive' >"$W/corrupt.tar.gz"
md5() { md5sum "$W/$1" | cut -d' ' -f1; }
# A checksum file as published: other files' sums first.
{
    echo "ffffffffffffffffffffffffffffffff  pkg.tar"
    echo "$(md5 pkg.zip)  pkg.zip"
} >"$W/SUMS.md5"
start_http "$W"
gets() { grep -c "\"GET /$1 " "$T/http.log" || true; }
D="$T/dest/pkg"
a() { printf '{"source": "%s", "path": "%s"%s}' "$HTTP/$1" "${2:-$D}" "${3:-}"; }

# .tar.gz with an inline md5: extracted, its sum kept (0600, by destination
# and archive name), the download gone.
st common.archive "$(a pkg.tar.gz "$D/" ", \"checksum\": \"md5:$(md5 pkg.tar.gz)\"")"
expect_rc 0
expect_state true true "$HTTP/pkg.tar.gz extracted in $D (4 entries)"
expect_line out "^downloading $HTTP/pkg.tar.gz$"
[ "$(cat "$D/pkg/sub/b.txt")" = below ] || fail "not extracted"
sum="$T/state/watch/archive-$(printf '%s\n%s' "$D" pkg.tar.gz | md5sum | cut -d' ' -f1).md5"
[ "$(cut -c1-32 "$sum")" = "$(md5 pkg.tar.gz)" ] || fail "no sum in $sum: $(ls -A "$T/state/watch")"
[ "$(stat -c %a "$sum")" = 600 ] || fail "sum mode $(stat -c %a "$sum")"
[ -z "$(ls -A "$T/state/cache")" ] || fail "the download was kept: $(ls -A "$T/state/cache")"

# Second round: the same md5 was extracted there, nothing is downloaded.
st common.archive "$(a pkg.tar.gz "$D" ", \"checksum\": \"MD5=$(md5 pkg.tar.gz | tr a-f A-F)\"")"
expect_state true false "pkg.tar.gz is already extracted in $D (md5 $(md5 pkg.tar.gz)), no changes"
[ "$(gets pkg.tar.gz)" = 1 ] || fail "downloaded again: $(gets pkg.tar.gz) GETs"

# Dry run with a new version: says so, downloads and writes nothing.
echo v2 >"$T/src/pkg/a.txt"
tar -czf "$W/pkg.tar.gz" -C "$T/src" pkg
st common.archive "$(a pkg.tar.gz "$D" ", \"checksum\": \"md5:$(md5 pkg.tar.gz)\"")" dry
expect_state true true "would download $HTTP/pkg.tar.gz and extract it in $D"
[ "$(cat "$D/pkg/a.txt")" = hello ] || fail "the dry run extracted"
[ "$(gets pkg.tar.gz)" = 1 ] || fail "the dry run downloaded"
# The new md5 extracts as an overlay: files replaced, others kept.
echo mine >"$D/pkg/local.txt"
st common.archive "$(a pkg.tar.gz "$D" ", \"checksum\": \"md5:$(md5 pkg.tar.gz)\"")"
expect_state true true "$HTTP/pkg.tar.gz extracted in $D (4 entries)"
[ "$(cat "$D/pkg/a.txt")" = v2 ] || fail "a.txt not overwritten"
[ "$(cat "$D/pkg/local.txt")" = mine ] || fail "the overlay deleted local.txt"
# The destination removed: extracted again although the sum matches.
rm -rf "$D"
st common.archive "$(a pkg.tar.gz "$D" ", \"checksum\": \"md5:$(md5 pkg.tar.gz)\"")"
expect_state true true "$HTTP/pkg.tar.gz extracted in $D (4 entries)"

# Without a checksum: downloaded and extracted every round (documented).
st common.archive "$(a pkg.tar.gz "$T/nosum")"
expect_state true true "$HTTP/pkg.tar.gz extracted in $T/nosum (4 entries)"
st common.archive "$(a pkg.tar.gz "$T/nosum")"
expect_state true true "$HTTP/pkg.tar.gz extracted in $T/nosum (4 entries)"

# A checksum file, fetched every round; the line naming the archive wins.
st common.archive "$(a 'pkg.zip?dl=1' "$T/zip" ", \"checksum\": \"$HTTP/SUMS.md5\"")"
expect_state true true "$HTTP/pkg.zip?dl=1 extracted in $T/zip (4 entries)"
[ "$(cat "$T/zip/pkg/sub/b.txt")" = below ] || fail "zip not extracted"
st common.archive "$(a 'pkg.zip?dl=1' "$T/zip" ", \"checksum\": \"$HTTP/SUMS.md5\"")"
expect_state true false "pkg.zip is already extracted in $T/zip (md5 $(md5 pkg.zip)), no changes"
[ "$(gets SUMS.md5)" = 2 ] || fail "the checksum file was not fetched each round"

# Every other format (⚠ .tbz accepted, the suffix in any case).
for f in pkg.tgz pkg.gz pkg.tar.bz2 pkg.TBZ pkg.bz pkg.tar; do
    st common.archive "$(a "$f" "$T/fmt/$f")"
    expect_state true true "$HTTP/$f extracted in $T/fmt/$f (4 entries)"
    [ "$(cat "$T/fmt/$f/pkg/sub/b.txt")" = below ] || fail "$f not extracted"
done

# if-path-absent: an existing directory skips; a file does not count.
st common.archive "$(a pkg.tar "$T/guarded" ", \"if-path-absent\": [\"$T/nothere\", \"$T/src\"]")"
expect_state true false "skipped: $T/src exists"
[ ! -e "$T/guarded" ] || fail "extracted although skipped"
st common.archive "$(a pkg.tar "$T/guarded" ", \"if-path-absent\": \"$W/pkg.tar\"")"
expect_state true true "$HTTP/pkg.tar extracted in $T/guarded (4 entries)"

# Failures.
st common.archive "$(a pkg.tar "$T/bad" ', "checksum": "md5:0123456789abcdef0123456789abcdef"')"
expect_rc 1
expect_state false false "checksum mismatch: expected 0123456789abcdef0123456789abcdef, got $(md5 pkg.tar)"
[ ! -e "$T/bad" ] || fail "extracted despite the mismatch"
[ -z "$(ls -A "$T/state/cache")" ] || fail "the bad download was kept"
st common.archive "$(a nothere.tar.gz "$T/bad")"
expect_state false false "cannot download $HTTP/nothere.tar.gz: HTTP 404 File not found"
st common.archive "$(a pkg.tar "$T/bad" ", \"checksum\": \"$HTTP/nothere.md5\"")"
expect_state false false "cannot fetch the checksum $HTTP/nothere.md5: HTTP 404 File not found"
st common.archive "$(a pkg.tar "$T/bad" ", \"checksum\": \"$HTTP/pkg.tar\"")"
expect_state false false "no md5 sum found in $HTTP/pkg.tar"
st common.archive "$(a corrupt.tar.gz "$T/corrupt")"
expect_rc 1
expect_state_like false true "cannot extract corrupt.tar.gz into $T/corrupt: tar exited with status 2: gzip: stdin: not in gzip format"
expect_line out "^tar: Error is not recoverable"
# An empty archive fails and keeps the destination and what it held.
mkdir -p "$T/keep" && echo kept >"$T/keep/old"
st common.archive "$(a empty.tar.gz "$T/keep")"
expect_state false false "nothing was extracted from $HTTP/empty.tar.gz into $T/keep"
[ "$(cat "$T/keep/old")" = kept ] || fail "the destination was not kept"
st common.archive "$(a pkg.7z "$T/bad")"
expect_state false false "unsupported archive type: $HTTP/pkg.7z"
st common.archive "{\"source\": \"file://$W/pkg.tar\", \"path\": \"$T/bad\"}"
expect_state false false "parameter 'source': file:// is not supported (http, https or ftp)"
st common.archive "{\"source\": \"ftp://127.0.0.1/pkg.tar\", \"path\": \"$T/bad\"}"
expect_state false false "cannot download ftp://127.0.0.1/pkg.tar: ftp:// is not supported; use http or https"
st common.archive "{\"source\": \"$HTTP/pkg.tar\", \"path\": \"relative\"}"
expect_state false false "parameter 'path': 'relative' is not an absolute path"
st common.archive "$(a pkg.tar "$T/bad" ', "checksum": "sha256:abc"')"
expect_state false false "parameter 'checksum': 'sha256:abc' is neither md5:<32 hex digits> nor the URL of a checksum file"
st common.archive "$(a pkg.tar "$T/bad" ', "if-path-absent": ["rel"]')"
expect_state false false "parameter 'if-path-absent': 'rel' is not an absolute path"
st common.archive "{\"path\": \"$T/bad\"}"
expect_state false false "missing required parameter 'source'"
[ ! -e "$T/bad" ] || fail "a failed state created $T/bad"
# A password in the URL is masked in the comment and the output.
U="${HTTP/http:\/\//http://deploy:s3cret@}"
st common.archive "{\"source\": \"$U/nothere.tar\", \"path\": \"$T/bad\"}"
expect_rc 1
expect_state_like false false "cannot download ${HTTP/http:\/\//http://deploy:\\*\\*\\*@}/nothere.tar: .*"
if grep -q s3cret "$T/out" "$T/err" "$T/result"; then fail "the password leaked"; fi

# Through `once` with a config: the state dir is the config's.
config c "[global]
state_dir = $T/state2"
recipe r "[{\"id\": \"arc\", \"module\": \"common.archive\", \"parameter\": $(a pkg.zip "$T/once" ", \"checksum\": \"md5:$(md5 pkg.zip)\"")}]"
agent -c "$T/c.conf" once --json "$T/r.json"
expect_rc 0
[ "$(json_field 1 state_comment)" = "$HTTP/pkg.zip extracted in $T/once (4 entries)" ] ||
    fail "once: $(json_field 1 state_comment)"
agent -c "$T/c.conf" once --json "$T/r.json"
[ "$(json_field 1 state_comment)" = "pkg.zip is already extracted in $T/once (md5 $(md5 pkg.zip)), no changes" ] ||
    fail "once, second run: $(json_field 1 state_comment)"
[ -n "$(ls "$T/state2/watch/")" ] || fail "no sum under the config's state dir"
