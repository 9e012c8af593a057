#!/bin/bash
# install.sh into a temporary ROOT from command-line values: the files, their
# modes and contents; a second run changes nothing and says so; a changed
# value changes only the config; a changed mode is put back.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../lib-bootstrap.sh
. "$(dirname "$0")/../lib-bootstrap.sh"

args=(--binary "$OPSAGENT" --app-id app-1 --ws-uri wss://backend.test/agent/ --version 2.0
    --base-remote https://dl.test/opsagent --gpg-key-uri https://dl.test/opsagent/key.asc)
run_script install.sh "${args[@]}"
expect_rc 0
expect_line out '^packages: skipped \(ROOT is set\)$'
expect_line out "^binary: installed $R/usr/bin/opsagent \\(opsagent [^)]+\\)$"
expect_line out "^config: created $R/etc/opsagent/opsagent.conf \\(ws_uri, app_id, version, base_remote, gpg_key_uri\\)$"
expect_line out "^unit: installed $R/etc/systemd/system/opsagent.service$"
expect_line out '^systemd: skipped \(ROOT is set\)$'
expect_line out '^done: 3 change\(s\)$'
[ ! -s "$T/err" ] || fail "install.sh wrote to stderr"

expect_mode "$R/usr/bin/opsagent" 755
expect_mode "$R/etc/opsagent" 700
expect_mode "$R/etc/opsagent/opsagent.conf" 600
expect_mode "$R/etc/systemd/system/opsagent.service" 644
cmp -s "$OPSAGENT" "$R/usr/bin/opsagent" || fail "the installed binary differs from $OPSAGENT"
cmp -s "$B/opsagent.service" "$R/etc/systemd/system/opsagent.service" || fail "the installed unit differs"
# Only these files: no token (the agent makes it), no /etc/opsagent.d, no .prev.
files=$(cd "$R" && find . -type f | sort | tr '\n' ' ')
[ "$files" = "./etc/opsagent/opsagent.conf ./etc/systemd/system/opsagent.service ./usr/bin/opsagent " ] ||
    fail "unexpected files: $files"

conf=$R/etc/opsagent/opsagent.conf
grep -v -e '^#' -e '^$' "$conf" >"$T/conf"
cat >"$T/want" <<'CONF'
[userdata]
ws_uri = wss://backend.test/agent/
app_id = app-1
version = 2.0
base_remote = https://dl.test/opsagent
gpg_key_uri = https://dl.test/opsagent/key.asc
CONF
diff -u "$T/want" "$T/conf" >&2 || fail "config contents"
agent_reads "$conf"

# The second run: nothing written, and it says so.
before=$(snapshot)
run_script install.sh "${args[@]}"
expect_rc 0
expect_line out "^binary: $R/usr/bin/opsagent is up to date"
expect_line out "^config: $R/etc/opsagent/opsagent.conf is up to date$"
expect_line out "^unit: $R/etc/systemd/system/opsagent.service is up to date$"
expect_line out '^nothing changed: opsagent is installed as wanted$'
expect_no_line out '^[a-z]+: (installed|created|updated)|^done:'
[ "$(snapshot)" = "$before" ] || fail "the second run changed files"

# A new value: only the config is rewritten (atomically: a new inode).
bin_inode=$(stat -c %i "$R/usr/bin/opsagent")
run_script install.sh --binary "$OPSAGENT" --app-id app-2
expect_rc 0
expect_line out "^config: updated $conf \\(app_id\\)$"
expect_line out '^done: 1 change\(s\)$'
[ "$(stat -c %i "$R/usr/bin/opsagent")" = "$bin_inode" ] || fail "the binary was rewritten"
grep -qx 'app_id = app-2' "$conf" || fail "app_id not updated"
grep -qx 'ws_uri = wss://backend.test/agent/' "$conf" || fail "ws_uri lost"
expect_mode "$conf" 600
# No temporary file left behind.
leftover=$(cd "$R" && find . -name '.opsagent-install.*')
[ -z "$leftover" ] || fail "temporary files left: $leftover"

# A new binary replaces the one a self-update kept as opsagent.prev (its
# rollback check must not put an older binary back); an unchanged one
# leaves it alone.
printf '#!/bin/sh\necho "opsagent 0.0.1-test"\n' >"$T/older"
chmod 755 "$T/older"
run_script install.sh --binary "$T/older"
expect_rc 0
cp "$OPSAGENT" "$R/usr/bin/opsagent.prev"
run_script install.sh --binary "$T/older"
expect_rc 0
expect_line out '^nothing changed'
[ -e "$R/usr/bin/opsagent.prev" ] || fail "opsagent.prev removed by a run that changed nothing"
run_script install.sh --binary "$OPSAGENT"
expect_rc 0
expect_line out "^binary: installed $R/usr/bin/opsagent"
expect_line out "^binary: removed $R/usr/bin/opsagent.prev \\(a self-update's previous binary\\)$"
expect_absent "$R/usr/bin/opsagent.prev"

# A mode changed by hand is put back, and that counts as a change.
chmod 644 "$conf"
chmod 700 "$R/usr/bin/opsagent"
run_script install.sh --binary "$OPSAGENT"
expect_rc 0
expect_line out "^binary: $R/usr/bin/opsagent mode set to 0755$"
expect_line out "^config: $conf mode set to 0600$"
expect_line out '^done: 2 change\(s\)$'
expect_mode "$conf" 600
expect_mode "$R/usr/bin/opsagent" 755

# Bad input fails before anything is written.
before=$(snapshot)
run_script install.sh --binary "$OPSAGENT" --ws-uri https://backend.test/
expect_rc 1
expect_line err 'ws_uri: expected a ws:// or wss:// URL'
run_script install.sh --binary "$OPSAGENT" --app-id 'a ;b'
expect_rc 1
expect_line err "would start a comment"
run_script install.sh --binary "$OPSAGENT" --app-id "$(printf 'x%.0s' {1..200})"
expect_rc 1
expect_line err 'too long for a config line'
printf 'not a program\n' >"$T/plain"
run_script install.sh --binary "$T/plain"
expect_rc 1
expect_line err 'not an executable file'
printf '#!/bin/sh\necho something else\n' >"$T/other"
chmod 755 "$T/other"
run_script install.sh --binary "$T/other"
expect_rc 1
expect_line err 'does not look like opsagent'
[ "$(snapshot)" = "$before" ] || fail "a failed run changed files"

# A new config needs app_id and ws_uri.
rm -rf "$R"
mkdir -p "$R"
run_script install.sh --binary "$OPSAGENT" --app-id only-this
expect_rc 1
expect_line err 'no \[userdata\] ws_uri: give --ws-uri'
expect_absent "$conf"
