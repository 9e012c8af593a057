#!/bin/bash
# systemd-analyze verify accepts the unit as install.sh installs it, with the
# binary in place (verify --root checks ExecStart= against the tree), and
# the unit says what the agent relies on.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../lib-bootstrap.sh
. "$(dirname "$0")/../lib-bootstrap.sh"

command -v systemd-analyze >/dev/null || {
    echo "SKIP: systemd-analyze is missing (Debian package systemd)"
    exit 77
}

run_script install.sh --binary "$OPSAGENT" --app-id app-1 --ws-uri wss://backend.test/agent/
expect_rc 0
# The targets the unit names come from the system's unit folder.
for d in /usr/lib/systemd/system /lib/systemd/system; do
    if [ -f "$d/multi-user.target" ]; then
        mkdir -p "$R/usr/lib/systemd"
        cp -a "$d" "$R/usr/lib/systemd/"
        break
    fi
done
[ -f "$R/usr/lib/systemd/system/multi-user.target" ] || fail "no system unit folder to verify against"

verify() {
    set +e
    systemd-analyze verify --man=no --generators=no --root="$R" opsagent.service >"$T/out" 2>&1
    # shellcheck disable=SC2034 # read by lib.sh's expect_rc
    RC=$?
    set -e
}
verify
expect_rc 0
[ ! -s "$T/out" ] || fail "systemd-analyze verify printed something"

# Without the binary, verify says so: it really looked at the installed tree.
mv "$R/usr/bin/opsagent" "$T/moved"
verify
expect_rc 1
expect_line out 'Command /usr/bin/opsagent is not executable'
mv "$T/moved" "$R/usr/bin/opsagent"

# What the agent and its self-update rely on.
u=$R/etc/systemd/system/opsagent.service
for line in 'Type=notify' 'NotifyAccess=main' 'ExecStartPre=-/usr/bin/opsagent.prev rollback-check' \
    'ExecStart=/usr/bin/opsagent run' 'Restart=always' 'RestartPreventExitStatus=75 78' \
    'WatchdogSec=60' 'StateDirectory=opsagent' 'StateDirectoryMode=0700' \
    'RuntimeDirectory=opsagent' 'RuntimeDirectoryMode=0700' 'KillMode=mixed' 'KillSignal=SIGTERM' \
    'OOMPolicy=continue' 'WantedBy=multi-user.target'; do
    grep -qxF "$line" "$u" || fail "the unit has no line '$line'"
done
# Settings that would keep a configuration agent from managing the host.
if grep -E '^(NoNewPrivileges|ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|ReadOnlyPaths|ProtectHostname|PrivateNetwork|CapabilityBoundingSet|SystemCallFilter|RestrictSUIDSGID)=' "$u" >"$T/out"; then
    fail "the unit restricts what states may do"
fi
