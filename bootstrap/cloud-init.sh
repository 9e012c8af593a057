#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# opsagent user data: the script a cloud instance runs once, as root, at its
# first boot (cloud-init runs user data that starts with #! as a script; its
# output goes to /var/log/cloud-init-output.log).
#
# The backend fills in the five values below, as it did for the original
# agent's user data (same @{...} placeholders; the lines stay in the
# APP_ID=... form that install.sh --userdata and the agent read back).
#
# What it does:
#  1. downloads ${BASE_REMOTE}/${VERSION}/opsagent-linux-$(uname -m).tar.gz
#     with curl, https only (redirects too), the certificate and host name
#     checked against the system's CA bundle; a few retries while the
#     network comes up;
#  2. if GPG_KEY_URI is set: downloads the key (https) and the detached
#     signature <bundle>.asc, and checks it with gpg --verify in a throwaway
#     keyring; a bad or missing signature stops everything. With
#     GPG_KEY_FPR set as well, the signing key must have that fingerprint
#     (otherwise the key is trusted because it came over https from
#     GPG_KEY_URI). Without GPG_KEY_URI only TLS protects the download;
#  3. unpacks the bundle (opsagent/: the binary, install.sh, uninstall.sh,
#     opsagent.service, opsagent.conf.example; bootstrap/bundle.sh makes it)
#     and runs its install.sh with the values below. The whole bundle is
#     signed, so the installer and the unit that run as root are verified
#     along with the binary.
# POSIX sh. Exits non-zero, with a line saying why, on any failure.

APP_ID='@{app_id}'
WS_URI='@{ws_uri}'
VERSION='@{version}'
BASE_REMOTE='@{remote}'
GPG_KEY_URI='@{gpg_key_uri}'
# Optional: the 40-hex-digit fingerprint of the primary key that must sign
# the bundle (spaces allowed).
GPG_KEY_FPR=''

set -eu
umask 022

log() { printf 'opsagent user data: %s\n' "$*"; }
die() {
    log "FATAL: $*" >&2
    exit 1
}

# Download attempts per file, and the pause before the n-th retry (n times
# this many seconds).
FETCH_TRIES=${OA_FETCH_TRIES:-8}
FETCH_PAUSE=${OA_FETCH_PAUSE:-5}

for v in "$APP_ID" "$WS_URI" "$VERSION" "$BASE_REMOTE" "$GPG_KEY_URI" "$GPG_KEY_FPR"; do
    case $v in *'@{'*) die "the user data was not filled in: $v" ;; esac
done
[ -n "$APP_ID" ] || die "APP_ID is empty"
[ -n "$VERSION" ] || die "VERSION is empty"
case $WS_URI in ws://?* | wss://?*) ;; *) die "WS_URI must be a ws:// or wss:// URL: '$WS_URI'" ;; esac
case $BASE_REMOTE in https://?*) ;; *) die "BASE_REMOTE must be an https:// URL: '$BASE_REMOTE'" ;; esac
case $GPG_KEY_URI in '' | https://?*) ;; *) die "GPG_KEY_URI must be an https:// URL: '$GPG_KEY_URI'" ;; esac
if [ -z "${ROOT:-}" ] && [ "$(id -u)" -ne 0 ]; then
    die "must run as root"
fi

# need COMMAND PACKAGE: installs the package that brings COMMAND if missing.
need() {
    command -v "$1" >/dev/null && return 0
    [ -z "${ROOT:-}" ] || die "$1 is missing"
    log "installing $2 (for $1)"
    if command -v apt-get >/dev/null; then
        apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
                install --no-install-recommends "$2" >/dev/null
    elif command -v dnf >/dev/null; then
        dnf -y -q install "$2"
    else
        yum -y -q install "$2"
    fi || die "cannot install $2"
}
need curl curl
need tar tar
need gzip gzip
[ -z "$GPG_KEY_URI" ] || need gpg gpg

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# fetch URL FILE: https only, certificates checked (curl's default, never -k).
# A 4xx answer is final; anything else is retried.
fetch() {
    i=1
    while :; do
        code=$(curl --silent --show-error --fail --location --proto '=https' --proto-redir '=https' \
            --tlsv1.2 --connect-timeout 20 --max-time 600 --write-out '%{http_code}' \
            --output "$2" "$1") && return 0
        case $code in 4??) [ "$code" = 408 ] || [ "$code" = 429 ] || return 1 ;; esac
        [ "$i" -lt "$FETCH_TRIES" ] || return 1
        log "download of $1 failed (HTTP ${code:-none}), attempt $i of $FETCH_TRIES; retrying"
        sleep $((i * FETCH_PAUSE))
        i=$((i + 1))
    done
}

bundle=opsagent-linux-$(uname -m).tar.gz
url=${BASE_REMOTE%/}/$VERSION/$bundle
log "downloading $url"
fetch "$url" "$tmp/$bundle" || die "cannot download $url"

if [ -n "$GPG_KEY_URI" ]; then
    fetch "$url.asc" "$tmp/$bundle.asc" || die "cannot download the signature $url.asc"
    fetch "$GPG_KEY_URI" "$tmp/key" || die "cannot download the key $GPG_KEY_URI"
    mkdir -m 0700 "$tmp/gnupg"
    gpg --batch --quiet --no-autostart --homedir "$tmp/gnupg" --import "$tmp/key" 2>"$tmp/gpg.err" ||
        die "cannot read the key from $GPG_KEY_URI: $(cat "$tmp/gpg.err")"
    if ! gpg --batch --no-autostart --homedir "$tmp/gnupg" --status-fd 1 \
        --verify "$tmp/$bundle.asc" "$tmp/$bundle" >"$tmp/gpg.status" 2>"$tmp/gpg.err"; then
        die "BAD signature on $bundle: $(cat "$tmp/gpg.err")"
    fi
    # VALIDSIG's last field is the primary key's fingerprint.
    fpr=$(awk '$1 == "[GNUPG:]" && $2 == "VALIDSIG" { print $NF }' "$tmp/gpg.status")
    [ -n "$fpr" ] || die "gpg gave no valid signature for $bundle"
    if [ -n "$GPG_KEY_FPR" ]; then
        want=$(printf '%s' "$GPG_KEY_FPR" | tr -d ' ' | tr a-f A-F)
        [ "$fpr" = "$want" ] || die "$bundle is signed by $fpr, not by $want"
    fi
    log "signature good (key $fpr)"
else
    log "WARNING: no GPG_KEY_URI: the bundle is checked by TLS only"
fi

mkdir "$tmp/b"
tar -xzf "$tmp/$bundle" -C "$tmp/b" --no-same-owner || die "cannot unpack $bundle"
b=$tmp/b/opsagent
if [ ! -f "$b/install.sh" ] || [ ! -f "$b/opsagent" ]; then
    die "$bundle has no opsagent/install.sh and opsagent/opsagent"
fi

set -- --binary "$b/opsagent" --app-id "$APP_ID" --ws-uri "$WS_URI" --version "$VERSION" \
    --base-remote "$BASE_REMOTE"
[ -z "$GPG_KEY_URI" ] || set -- "$@" --gpg-key-uri "$GPG_KEY_URI"
sh "$b/install.sh" "$@" || die "install.sh failed"
log "opsagent $VERSION installed"
