#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Removes what install.sh installed: stops and disables the service, removes
# the unit, /usr/bin/opsagent and /usr/bin/opsagent.prev (kept by
# self-update). With --purge also the config (/etc/opsagent), the state
# (/var/lib/opsagent: token, watch sums, module repo), /run/opsagent and the
# unit's drop-ins. The runtime libraries stay (other software may use them).
# Idempotent: a second run finds nothing to do and says so.
# ROOT=DIR works below DIR instead of / and runs no systemctl.
set -eu

usage() {
    cat <<'EOF'
Usage: uninstall.sh [--purge] [--now] [--no-systemd] [--unit-dir DIR]
  --purge           also remove /etc/opsagent, /var/lib/opsagent, /run/opsagent
                    and the unit's drop-in folder
  --now             stop now: the running state's process group is killed
                    (default: the running state finishes first)
  --no-systemd      no systemctl (no stop, disable, daemon-reload)
  --unit-dir DIR    where install.sh put the unit (default /etc/systemd/system)
Environment: ROOT=DIR removes below DIR and implies --no-systemd.
EOF
}

say() { printf '%s\n' "$*"; }
die() {
    printf 'uninstall.sh: %s\n' "$*" >&2
    exit 1
}

ROOT=${ROOT:-}
ROOT=${ROOT%/}
purge=0
now=0
do_systemd=1
unit_dir=/etc/systemd/system
changes=0

while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        usage
        exit 0
        ;;
    --purge) purge=1 ;;
    --now) now=1 ;;
    --no-systemd) do_systemd=0 ;;
    --unit-dir)
        [ $# -ge 2 ] || die "--unit-dir needs a value"
        unit_dir=$2
        shift
        ;;
    *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
    shift
done

if [ -n "$ROOT" ]; then
    do_systemd=0
elif [ "$(id -u)" -ne 0 ]; then
    die "run as root (or set ROOT=DIR to remove below DIR)"
fi

unit=$ROOT$unit_dir/opsagent.service
wants=$ROOT/etc/systemd/system/multi-user.target.wants/opsagent.service

# remove PATH WHAT: removes a file or folder if it is there.
remove() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        rm -rf -- "$1"
        say "removed $2 $1"
        changes=$((changes + 1))
    fi
}

if [ "$do_systemd" = 1 ] && command -v systemctl >/dev/null; then
    if [ -d /run/systemd/system ] && systemctl is-active --quiet opsagent.service; then
        if [ "$now" = 1 ] && [ -x /usr/bin/opsagent ]; then
            # Stop "now" through the control socket; the stop below then
            # cancels the restart that Restart=always would schedule.
            /usr/bin/opsagent stop >/dev/null 2>&1 || true
        fi
        if [ "$now" = 1 ]; then
            say "service: stopping now"
        else
            say "service: stopping (a running state finishes first; --now does not wait)"
        fi
        systemctl stop opsagent.service || die "systemctl stop opsagent failed"
        changes=$((changes + 1))
    fi
    if systemctl is-enabled --quiet opsagent.service 2>/dev/null; then
        systemctl disable --quiet opsagent.service || die "systemctl disable opsagent failed"
        say "service: disabled"
        changes=$((changes + 1))
    fi
elif [ "$do_systemd" = 1 ]; then
    say "systemd: systemctl not found, skipped"
else
    say "systemd: skipped${ROOT:+ (ROOT is set)}"
fi

before=$changes
# A link left by an enable whose unit file was already gone.
remove "$wants" "the link"
remove "$unit" "the unit"
[ "$purge" = 0 ] || remove "$unit.d" "the drop-ins"
if [ "$do_systemd" = 1 ] && [ "$changes" != "$before" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload || die "systemctl daemon-reload failed"
    systemctl reset-failed opsagent.service 2>/dev/null || true
    say "systemd: daemon-reload"
fi

remove "$ROOT/usr/bin/opsagent" "the binary"
remove "$ROOT/usr/bin/opsagent.prev" "the previous binary"

if [ "$purge" = 1 ]; then
    remove "$ROOT/etc/opsagent" "the config"
    remove "$ROOT/var/lib/opsagent" "the state"
    remove "$ROOT/run/opsagent" "the runtime folder"
else
    for kept in "$ROOT/etc/opsagent/opsagent.conf" "$ROOT/var/lib/opsagent"; do
        [ ! -e "$kept" ] || say "kept $kept (uninstall.sh --purge removes it)"
    done
fi

if [ "$changes" = 0 ]; then
    say "nothing to do: opsagent is not installed"
else
    say "done: $changes change(s)"
fi
