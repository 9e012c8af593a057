# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the tests of the OS package modules (once/050-059), sourced
# after lib.sh: a sandboxed dpkg/apt, local Debian repositories built with
# dpkg-deb and dpkg-scanpackages (package dpkg-dev) served through `file:`
# sources, and single states run through `opsagent exec-state`, whose fd 3
# result has result, changed and comment.

# need_tools TOOL...: skips the test (77) when a tool it needs is missing
# (dpkg-dev for dpkg-scanpackages, rpm for rpm and rpmbuild, gnupg).
need_tools() {
    for t in "$@"; do
        command -v "$t" >/dev/null || { echo "SKIP: needs $t"; exit 77; }
    done
}

# pkg_sandbox: call after in_sandbox. dpkg's database, apt's state and
# debconf's database become private copies, apt's cache and the logs are
# empty tmpfs (the real cache is large), the only package source is the one
# the test adds, and apt runs none of the machine's hooks. The packages
# install under /opt, a tmpfs.
pkg_sandbox() {
    dpkg_copy
    sandbox_copy /var/lib/apt /var/cache/debconf
    sandbox_tmpfs /var/cache/apt /var/log
    rm -rf /var/lib/apt/lists/*
    rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
    # No hooks of the machine's apt configuration (appstream, PackageKit)
    # may run from the sandbox.
    printf '#clear %s;\n' APT::Update::Pre-Invoke APT::Update::Post-Invoke \
        APT::Update::Post-Invoke-Success DPkg::Pre-Invoke DPkg::Post-Invoke \
        DPkg::Pre-Install-Pkgs >/etc/apt/apt.conf.d/99opsagent-test
    mkdir -p "$T/state"
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
}

# dpkg_copy: a private copy of dpkg's database bound over it, taken while
# no package manager is at work on the machine (a copy made in the middle of
# someone's apt-get would carry half-configured packages and pending
# triggers, which the tests' apt-get would then try to finish).
dpkg_copy() {
    local copy="$T/copy_var_lib_dpkg"
    for _ in $(seq 120); do
        rm -rf "$copy"
        cp -a /var/lib/dpkg "$copy"
        if [ -z "$(dpkg --admindir="$copy" --audit 2>&1)" ] &&
            ! dpkg-query --admindir="$copy" -W -f '${db:Status-Abbrev}\n' | grep -qvE '^(ii|rc) ' &&
            [ -z "$(find "$copy/updates" -type f -name '[0-9]*')" ] &&
            [ ! -s "$copy/triggers/Unincorp" ]; then
            mount --bind "$copy" /var/lib/dpkg
            return 0
        fi
        sleep 1
    done
    fail "dpkg's database stayed busy for two minutes"
}

# mkdeb DIR NAME VERSION [POSTINST [TEMPLATES]]: builds
# DIR/NAME_VERSION_all.deb, which installs the configuration file
# /opt/oa-test/NAME.conf ("NAME VERSION"). POSTINST, when given, is the body
# of a shell postinst script; TEMPLATES the package's debconf templates.
mkdeb() {
    local dir=$1 name=$2 version=$3 root
    root=$(mktemp -d "$T/deb.XXXXXX")
    mkdir -p "$root/DEBIAN" "$root/opt/oa-test"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: opsagent tests <t@example.invalid>\nDescription: opsagent test package\n' \
        "$name" "$version" >"$root/DEBIAN/control"
    echo "/opt/oa-test/$name.conf" >"$root/DEBIAN/conffiles"
    echo "$name $version" >"$root/opt/oa-test/$name.conf"
    if [ -n "${4:-}" ]; then
        printf '#!/bin/sh\n%s\n' "$4" >"$root/DEBIAN/postinst"
        chmod 755 "$root/DEBIAN/postinst"
    fi
    if [ -n "${5:-}" ]; then printf '%s\n' "$5" >"$root/DEBIAN/templates"; fi
    mkdir -p "$dir"
    dpkg-deb -Zgzip --root-owner-group -b "$root" "$dir/${name}_${version}_all.deb" >/dev/null
    rm -rf "$root"
}

# index_repo DIR [SUITE [NOTAUTOMATIC]]: Packages, Packages.gz and a Release
# file naming SUITE (for apt's target release); NOTAUTOMATIC=yes gives the
# suite priority 100, like backports.
index_repo() {
    local dir=$1 suite=${2:-oa-main}
    (
        cd "$dir"
        dpkg-scanpackages -m . /dev/null 2>/dev/null >Packages
        gzip -9kf Packages
        {
            printf 'Suite: %s\nCodename: %s\nDate: %s\n' "$suite" "$suite" "$(date -Ru)"
            if [ "${3:-}" = yes ]; then printf 'NotAutomatic: yes\nButAutomaticUpgrades: yes\n'; fi
            printf 'SHA256:\n'
            for f in Packages Packages.gz; do
                printf ' %s %s %s\n' "$(sha256sum $f | cut -d' ' -f1)" "$(stat -c %s $f)" "$f"
            done
        } >Release
    )
}

# add_source LINE: one more line of the sandbox's only sources file.
add_source() {
    echo "$1" >>/etc/apt/sources.list.d/oa-test.list
}

# dpkg_status NAME: dpkg's "Status Version" of NAME, or "unknown".
dpkg_status() {
    dpkg-query -W -f '${Status} ${Version}' "$1" 2>/dev/null || echo "unknown"
}

# expect_dpkg NAME TEXT: dpkg's status and version of NAME.
expect_dpkg() {
    local got
    got=$(dpkg_status "$1")
    [ "$got" = "$2" ] || fail "$1: dpkg says '$got', expected '$2'"
}

# count_lines FILE REGEX: how many lines of $T/FILE match.
count_lines() {
    grep -cE -- "$2" "$T/$1" || true
}
