#!/bin/bash
# linux.rpm.key (modules.md §5.6) with Debian's rpm and keys made with gpg,
# imported into an rpm database inside the sandbox (%_dbpath set in the
# sandbox's /etc/rpm/macros): the key's rpm name (gpg-pubkey-V-R) is known
# before importing, so a dry run names it and a second run imports nothing;
# a key from a URL (127.0.0.1) is downloaded through the agent's client
# once and remembered; unreadable paths, non-keys and a host without rpm
# fail with a reason.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-pkg.sh"
need_tools rpm gpg
in_sandbox "$@"
mkdir -p "$T/state" "$T/rpmdb" /etc/rpm
echo "%_dbpath $T/rpmdb" >/etc/rpm/macros
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
export GNUPGHOME="$T/g"
mkdir -m 700 "$GNUPGHOME"
trap 'rc=$?; gpgconf --kill gpg-agent 2>/dev/null; kill $http_pid 2>/dev/null; at_exit "$rc"' EXIT

# newkey FILE UID: a new ed25519 key, exported armoured; prints rpm's name for it.
newkey() {
    gpg --batch --quiet --passphrase '' --quick-gen-key "$2" ed25519 sign never 2>/dev/null
    gpg --armor --export "$2" >"$1"
    gpg --with-colons --show-keys "$1" 2>/dev/null | awk -F: '$1 == "pub" {
        printf "gpg-pubkey-%s-%08x\n", tolower(substr($5, 9)), $6 }'
}
K="$T/keys/one.asc"
mkdir -p "$T/keys" "$T/www"
N1=$(newkey "$K" "OA One <one@example.invalid>")
N2=$(newkey "$T/www/two.asc" "OA Two <two@example.invalid>")
[ -n "$N1" ] && [ -n "$N2" ] || fail "no key names"

st linux.rpm.key "{\"path\": \"$K\"}" dry
expect_rc 0
expect_state true true "would import the key $N1 from $K"
rpm -q gpg-pubkey >/dev/null 2>&1 && fail "the dry run imported"
st linux.rpm.key "{\"path\": \"$K\"}"
expect_state true true "imported the key $N1 from $K"
expect_line out "^\\+ rpm --import $K\$"
rpm -q "$N1" >/dev/null || fail "rpm does not have $N1: $(rpm -q gpg-pubkey)"
[ -e "$T/rpmdb/rpmdb.sqlite" ] || [ -e "$T/rpmdb/Packages" ] || fail "not the sandbox's rpm database"
st linux.rpm.key "{\"path\": \"$K\"}"
expect_state true false "the key $N1 of $K is already imported, no changes"
expect_no_line out '^\+ '
st linux.rpm.key "{\"path\": \"$K\"}" dry
expect_state true false "the key $N1 of $K is already imported, no changes"

# From a URL: downloaded once, then remembered.
/usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T/www" >"$T/http.log" 2>&1 &
http_pid=$!
for _ in $(seq 100); do
    HP=$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$T/http.log" | head -n 1)
    [ -n "$HP" ] && break
    sleep 0.1
done
[ -n "$HP" ] || fail "no HTTP server port"
U="http://127.0.0.1:$HP/two.asc"
st linux.rpm.key "{\"path\": \"$U\"}" dry
expect_state true true "would import the key $U"
[ "$(grep -c 'GET /two.asc' "$T/http.log")" = 0 ] || fail "the dry run downloaded"
st linux.rpm.key "{\"path\": \"$U\"}"
expect_state true true "imported the key $N2 from $U"
rpm -q "$N2" >/dev/null || fail "rpm does not have $N2"
[ -z "$(ls /tmp/opsagent-key.* 2>/dev/null)" ] || fail "the downloaded key was left behind"
st linux.rpm.key "{\"path\": \"$U\"}"
expect_state true false "the key $N2 of $U is already imported, no changes"
st linux.rpm.key "{\"path\": \"$U\"}" dry
expect_state true false "the key $N2 of $U is already imported, no changes"
[ "$(grep -c 'GET /two.asc' "$T/http.log")" = 1 ] || fail "expected one download"
st linux.rpm.key "{\"path\": \"http://127.0.0.1:$HP/none.asc\"}"
expect_rc 1
expect_line result "cannot download http://127.0.0.1:$HP/none.asc: .*404"

# Failures.
st linux.rpm.key '{"path": "keys/one.asc"}'
expect_state false false "parameter 'path': 'keys/one.asc' is neither an absolute path nor an http(s) URL"
st linux.rpm.key '{}'
expect_state false false "missing required parameter 'path'"
st linux.rpm.key "{\"path\": \"$T/nonexistent.asc\"}"
expect_state false false "cannot read $T/nonexistent.asc: No such file or directory"
echo "not a key" >"$T/junk.asc"
st linux.rpm.key "{\"path\": \"$T/junk.asc\"}"
expect_rc 1
expect_state false false "cannot import the key $T/junk.asc: rpm --import exited with status 1"
[ "$(rpm -q gpg-pubkey | wc -l)" = 2 ] || fail "keys: $(rpm -q gpg-pubkey)"

# Without rpm the module refuses (rpm hidden in the sandbox).
. /etc/os-release
for d in /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin; do
    [ -e "$d/rpm" ] && mount --bind /dev/null "$d/rpm"
done
st linux.rpm.key "{\"path\": \"$K\"}"
expect_state false false "module linux.rpm.key is not available on $PRETTY_NAME: rpm is not installed"
echo ok
