#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Makes the bundle that cloud-init.sh downloads and installs:
#   OUTDIR/opsagent-linux-ARCH.tar.gz   with opsagent/{opsagent, install.sh,
#                                       uninstall.sh, opsagent.service,
#                                       opsagent.conf.example}
#   OUTDIR/opsagent-linux-ARCH.tar.gz.asc  (with --sign) a detached, armored
#                                       gpg signature
# Publish both under BASE_REMOTE/VERSION/. ARCH is `uname -m` of the machine
# the binary is for (--arch when it is not this one).
set -eu

usage() {
    echo "Usage: bundle.sh [--arch ARCH] [--sign [--key KEYID]] BINARY OUTDIR" >&2
    exit 64
}

arch=$(uname -m)
sign=0
key=
while [ $# -gt 0 ]; do
    case $1 in
    --arch)
        [ $# -ge 2 ] || usage
        arch=$2
        shift
        ;;
    --sign) sign=1 ;;
    --key)
        [ $# -ge 2 ] || usage
        key=$2
        shift
        ;;
    -*) usage ;;
    *) break ;;
    esac
    shift
done
[ $# -eq 2 ] || usage
binary=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

[ -x "$binary" ] || {
    echo "bundle.sh: $binary is not executable" >&2
    exit 1
}
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/opsagent"
cp "$binary" "$stage/opsagent/opsagent"
cp "$here/install.sh" "$here/uninstall.sh" "$here/opsagent.service" "$here/opsagent.conf.example" \
    "$stage/opsagent/"
chmod 0755 "$stage/opsagent/opsagent" "$stage/opsagent/install.sh" "$stage/opsagent/uninstall.sh"
chmod 0644 "$stage/opsagent/opsagent.service" "$stage/opsagent/opsagent.conf.example"
tarball=$out/opsagent-linux-$arch.tar.gz
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$tarball" opsagent
if [ "$sign" = 1 ]; then
    gpg --batch --yes --armor --detach-sign ${key:+--local-user "$key"} -o "$tarball.asc" "$tarball"
fi
echo "$tarball"
