#!/bin/bash
# uninstall.sh removes what install.sh added (the binary, the previous binary
# self-update keeps, the unit) and keeps the config and the state unless
# --purge; after --purge nothing is left. Both are idempotent.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../lib-bootstrap.sh
. "$(dirname "$0")/../lib-bootstrap.sh"

# An empty tree's folders, to tell what install.sh added.
mkdir -p "$R/etc/systemd/system" "$R/usr/bin" "$R/var/lib"
empty=$(snapshot | awk '{ print $1 }')

run_script install.sh --binary "$OPSAGENT" --app-id app-1 --ws-uri wss://backend.test/agent/
expect_rc 0
# What the agent and self-update add at run time.
cp "$OPSAGENT" "$R/usr/bin/opsagent.prev"
mkdir -p "$R/var/lib/opsagent/watch" "$R/run/opsagent"
chmod 700 "$R/var/lib/opsagent" "$R/run/opsagent"
printf '%064d\n' 0 >"$R/var/lib/opsagent/token"
chmod 400 "$R/var/lib/opsagent/token"
# A drop-in made with systemctl edit.
mkdir -p "$R/etc/systemd/system/opsagent.service.d"
printf '[Service]\nMemoryMax=50%%\n' >"$R/etc/systemd/system/opsagent.service.d/override.conf"

run_script uninstall.sh
expect_rc 0
expect_line out '^systemd: skipped \(ROOT is set\)$'
expect_line out "^removed the unit $R/etc/systemd/system/opsagent.service$"
expect_line out "^removed the binary $R/usr/bin/opsagent$"
expect_line out "^removed the previous binary $R/usr/bin/opsagent.prev$"
expect_line out "^kept $R/etc/opsagent/opsagent.conf \\(uninstall.sh --purge removes it\\)$"
expect_line out "^kept $R/var/lib/opsagent "
expect_line out '^done: 3 change\(s\)$'
expect_absent "$R/usr/bin/opsagent"
expect_absent "$R/usr/bin/opsagent.prev"
expect_absent "$R/etc/systemd/system/opsagent.service"
expect_mode "$R/etc/opsagent/opsagent.conf" 600
expect_mode "$R/var/lib/opsagent/token" 400
expect_mode "$R/etc/systemd/system/opsagent.service.d/override.conf" 644

before=$(snapshot)
run_script uninstall.sh
expect_rc 0
expect_line out '^nothing to do: opsagent is not installed$'
[ "$(snapshot)" = "$before" ] || fail "the second uninstall changed files"

run_script uninstall.sh --purge
expect_rc 0
expect_line out "^removed the drop-ins $R/etc/systemd/system/opsagent.service.d$"
expect_line out "^removed the config $R/etc/opsagent$"
expect_line out "^removed the state $R/var/lib/opsagent$"
expect_line out "^removed the runtime folder $R/run/opsagent$"
expect_line out '^done: 4 change\(s\)$'
# Nothing is left but the folders that were there before and /run.
left=$(snapshot | awk '{ print $1 }' | grep -vx -e './run')
[ "$left" = "$empty" ] || fail "left behind: $(comm -13 <(echo "$empty") <(echo "$left") | tr '\n' ' ')"

run_script uninstall.sh --purge
expect_rc 0
expect_line out '^nothing to do'

# install then uninstall --purge straight away: back to the empty tree.
run_script install.sh --binary "$OPSAGENT" --app-id app-1 --ws-uri wss://backend.test/agent/
expect_rc 0
run_script uninstall.sh --purge
expect_rc 0
left=$(snapshot | awk '{ print $1 }' | grep -vx -e './run')
[ "$left" = "$empty" ] || fail "left behind: $(comm -13 <(echo "$empty") <(echo "$left") | tr '\n' ' ')"

run_script uninstall.sh --bogus
expect_rc 1
expect_line err 'unknown argument: --bogus'
