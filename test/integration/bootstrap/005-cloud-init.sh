#!/bin/bash
# cloud-init.sh, filled in like a backend does, downloads the bundle made by
# bundle.sh (through a fake curl that serves a folder and insists on
# https-only), checks its gpg signature and runs its install.sh into ROOT.
# A tampered bundle, a missing signature, a key with another fingerprint, an
# http:// BASE_REMOTE and an unfilled template all stop it before anything
# is installed.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../lib-bootstrap.sh
. "$(dirname "$0")/../lib-bootstrap.sh"

for tool in gpg gpgconf tar gzip; do
    command -v "$tool" >/dev/null || {
        echo "SKIP: $tool is missing"
        exit 77
    }
done
export GNUPGHOME=$T/signer
mkdir -m 0700 "$GNUPGHOME"
trap 'gpgconf --kill all >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
gpg --batch --quiet --passphrase '' --quick-gen-key 'opsagent test signer' ed25519 sign never 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$fpr" ] || fail "no test key"

# The download site: https://dl.test/ is $T/www/.
www=$T/www
mkdir -p "$www/opsagent/2.0" "$T/bin"
gpg --batch --armor --export >"$www/key.asc"
bundle=opsagent-linux-$(uname -m).tar.gz
sh "$B/bundle.sh" --sign "$OPSAGENT" "$www/opsagent/2.0" >"$T/out" 2>"$T/err" || fail "bundle.sh failed"
expect_line out "/$bundle\$"
tar -tzf "$www/opsagent/2.0/$bundle" | sort >"$T/list"
printf '%s\n' opsagent/ opsagent/install.sh opsagent/opsagent opsagent/opsagent.conf.example \
    opsagent/opsagent.service opsagent/uninstall.sh >"$T/want"
diff -u "$T/want" "$T/list" >&2 || fail "bundle contents"

cat >"$T/bin/curl" <<'CURL'
#!/bin/bash
# A fake curl: serves https://dl.test/PATH from $WWW/PATH.
out= url= proto= redir=
while [ $# -gt 0 ]; do
    case $1 in
    --output) out=$2; shift ;;
    --proto) proto=$2; shift ;;
    --proto-redir) redir=$2; shift ;;
    --connect-timeout | --max-time | --write-out) shift ;;
    -k | --insecure) echo "fake curl: certificate checks turned off" >&2; exit 99 ;;
    -*) ;;
    *) url=$1 ;;
    esac
    shift
done
echo "$url" >>"$WWW/../curl.log"
if [ "$proto" != =https ] || [ "$redir" != =https ]; then
    echo "fake curl: not https-only" >&2
    exit 98
fi
case $url in
https://dl.test/*) f=$WWW/${url#https://dl.test/} ;;
*) printf 000; echo "curl: (6) Could not resolve host" >&2; exit 6 ;;
esac
if [ -f "$f" ]; then
    cp "$f" "$out"
    printf 200
else
    printf 404
    echo "curl: (22) The requested URL returned error: 404" >&2
    exit 22
fi
CURL
chmod 755 "$T/bin/curl"
export WWW=$www OA_FETCH_TRIES=2 OA_FETCH_PAUSE=0

# userdata NAME [SED…]: cloud-init.sh filled in with the test values, then
# edited by the sed expressions.
userdata() {
    local name=$1
    shift
    sed -e 's|@{app_id}|app-ci|' -e 's|@{ws_uri}|wss://backend.test/agent/|' -e 's|@{version}|2.0|' \
        -e 's|@{remote}|https://dl.test/opsagent|' -e 's|@{gpg_key_uri}|https://dl.test/key.asc|' \
        "$@" "$B/cloud-init.sh" >"$T/$name"
}

# run_userdata NAME: runs it with the fake curl, installing into a fresh $R.
run_userdata() {
    rm -rf "$R" "$T/curl.log"
    mkdir -p "$R"
    set +e
    ROOT=$R PATH=$T/bin:$PATH sh "$T/$1" >"$T/out" 2>"$T/err"
    # shellcheck disable=SC2034 # read by lib.sh's expect_rc
    RC=$?
    set -e
}

nothing_installed() {
    [ -z "$(find "$R" -mindepth 1)" ] || fail "something was installed: $(find "$R" -mindepth 1 | head -3)"
}

userdata good.sh
run_userdata good.sh
expect_rc 0
expect_line out "downloading https://dl.test/opsagent/2.0/$bundle\$"
expect_line out "signature good \\(key $fpr\\)"
expect_line out "^config: created $R/etc/opsagent/opsagent.conf \\(ws_uri, app_id, version, base_remote, gpg_key_uri\\)$"
expect_line out 'opsagent 2.0 installed$'
expect_mode "$R/usr/bin/opsagent" 755
expect_mode "$R/etc/opsagent/opsagent.conf" 600
expect_mode "$R/etc/systemd/system/opsagent.service" 644
cmp -s "$OPSAGENT" "$R/usr/bin/opsagent" || fail "the installed binary differs"
grep -v -e '^#' -e '^$' "$R/etc/opsagent/opsagent.conf" >"$T/conf"
printf '%s\n' '[userdata]' 'ws_uri = wss://backend.test/agent/' 'app_id = app-ci' 'version = 2.0' \
    'base_remote = https://dl.test/opsagent' 'gpg_key_uri = https://dl.test/key.asc' >"$T/want"
diff -u "$T/want" "$T/conf" >&2 || fail "config contents"
printf '%s\n' "https://dl.test/opsagent/2.0/$bundle" "https://dl.test/opsagent/2.0/$bundle.asc" \
    https://dl.test/key.asc >"$T/want"
diff -u "$T/want" "$T/curl.log" >&2 || fail "downloads"

# install.sh --userdata reads the same values back from the filled-in script.
cp -a "$R/etc/opsagent/opsagent.conf" "$T/conf.before"
run_script install.sh --binary "$OPSAGENT" --userdata "$T/good.sh"
expect_rc 0
expect_line out "^config: $R/etc/opsagent/opsagent.conf is up to date$"

# The signing key pinned by fingerprint (spaces and lower case allowed).
userdata pinned.sh -e "s|^GPG_KEY_FPR=''|GPG_KEY_FPR='$(echo "$fpr" | tr A-F a-f | sed 's/..../& /g')'|"
run_userdata pinned.sh
expect_rc 0
userdata wrongpin.sh -e "s|^GPG_KEY_FPR=''|GPG_KEY_FPR='0000000000000000000000000000000000000000'|"
run_userdata wrongpin.sh
expect_rc 1
expect_line err "FATAL: $bundle is signed by $fpr, not by 0{40}"
nothing_installed

# A bundle that is not the one signed.
cp "$www/opsagent/2.0/$bundle" "$T/bundle.good"
printf 'x' >>"$www/opsagent/2.0/$bundle"
run_userdata good.sh
expect_rc 1
expect_line err "FATAL: BAD signature on $bundle"
nothing_installed
cp "$T/bundle.good" "$www/opsagent/2.0/$bundle"

# No signature.
mv "$www/opsagent/2.0/$bundle.asc" "$T/asc"
run_userdata good.sh
expect_rc 1
expect_line err "FATAL: cannot download the signature https://dl.test/opsagent/2.0/$bundle.asc"
nothing_installed
mv "$T/asc" "$www/opsagent/2.0/$bundle.asc"

# Without GPG_KEY_URI only TLS protects the download, and it says so.
userdata nokey.sh -e "s|^GPG_KEY_URI=.*|GPG_KEY_URI=''|"
run_userdata nokey.sh
expect_rc 0
expect_line out 'WARNING: no GPG_KEY_URI: the bundle is checked by TLS only'
grep -qx 'base_remote = https://dl.test/opsagent' "$R/etc/opsagent/opsagent.conf" || fail "nokey config"
if grep -q gpg_key_uri "$R/etc/opsagent/opsagent.conf"; then fail "an empty gpg_key_uri was written"; fi

# A version that is not published: a 404 is final, no retries.
userdata noversion.sh -e 's|^VERSION=.*|VERSION=9.9|'
run_userdata noversion.sh
expect_rc 1
expect_line err "FATAL: cannot download https://dl.test/opsagent/9.9/$bundle"
[ "$(wc -l <"$T/curl.log")" -eq 1 ] || fail "a 404 was retried"
nothing_installed

# A host that does not answer is retried OA_FETCH_TRIES times.
userdata nohost.sh -e 's|^BASE_REMOTE=.*|BASE_REMOTE=https://nowhere.test|' -e "s|^GPG_KEY_URI=.*|GPG_KEY_URI=''|"
run_userdata nohost.sh
expect_rc 1
expect_line out 'failed \(HTTP 000\), attempt 1 of 2; retrying'
[ "$(wc -l <"$T/curl.log")" -eq 2 ] || fail "not retried"

# Plain http is refused before any download.
userdata http.sh -e 's|^BASE_REMOTE=.*|BASE_REMOTE=http://dl.test/opsagent|'
run_userdata http.sh
expect_rc 1
expect_line err "FATAL: BASE_REMOTE must be an https:// URL: 'http://dl.test/opsagent'"
[ ! -e "$T/curl.log" ] || fail "downloaded over http"

# The template as committed, not filled in.
cp "$B/cloud-init.sh" "$T/raw.sh"
run_userdata raw.sh
expect_rc 1
expect_line err 'FATAL: the user data was not filled in: @\{app_id\}'
nothing_installed
