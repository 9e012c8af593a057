#!/bin/bash
# install.sh edits an existing config in place: only the [userdata] keys it
# is given change, every other line (comments, other sections, unknown keys,
# the original agent's keys) stays as it was. Values come from a cloud-init
# user data file (APP_ID=… lines, quotes, export, CRLF) and command-line
# options win over it.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../lib-bootstrap.sh
. "$(dirname "$0")/../lib-bootstrap.sh"

conf=$R/etc/opsagent/opsagent.conf
mkdir -p "$R/etc/opsagent"
cat >"$conf" <<'CONF'
; written by hand
[global]
loglvl = DEBUG
conf_path = /var/lib/visualops/opsagent

[userdata]
  app_id = old-app ; the old one
ws_uri=ws://old.test/agent/
version = 1.0
app_id = older-app

[network]
instance_id = i-0123456789
version = not-this-one

[module]
mod_repo = https://git.test/modules.git
CONF
chmod 600 "$conf"

# The user data as a backend fills it in (cloud-init.sh's head), with
# Windows line ends.
printf '%s\r\n' '#!/bin/sh' "APP_ID='app-ud'" 'export WS_URI="wss://ud.test/agent/"' \
    '  VERSION=3.1  ' 'BASE_REMOTE=https://dl.test/opsagent' "GPG_KEY_URI=''" \
    'echo APP_ID=not-this-one' >"$T/userdata"

run_script install.sh --binary "$OPSAGENT" --userdata "$T/userdata" --version 9.9
expect_rc 0
expect_line out "^config: updated $conf \\(ws_uri, app_id, version, base_remote, gpg_key_uri\\)$"
cat >"$T/want" <<'CONF'
; written by hand
[global]
loglvl = DEBUG
conf_path = /var/lib/visualops/opsagent

[userdata]
app_id = app-ud
ws_uri = wss://ud.test/agent/
version = 9.9
base_remote = https://dl.test/opsagent
gpg_key_uri =

[network]
instance_id = i-0123456789
version = not-this-one

[module]
mod_repo = https://git.test/modules.git
CONF
diff -u "$T/want" "$conf" >&2 || fail "config contents"
expect_mode "$conf" 600
agent_reads "$conf"

# The same values again: nothing changes.
before=$(snapshot)
run_script install.sh --binary "$OPSAGENT" --userdata "$T/userdata" --version 9.9
expect_rc 0
expect_line out '^nothing changed'
[ "$(snapshot)" = "$before" ] || fail "the second run changed files"

# Nothing given: an existing config is left alone.
run_script install.sh --binary "$OPSAGENT"
expect_rc 0
expect_line out "^config: $conf is up to date$"

# A config without a [userdata] section gets one at its end.
printf '[global]\nloglvl = INFO\n' >"$conf"
run_script install.sh --binary "$OPSAGENT" --app-id a1 --ws-uri ws://h.test/
expect_rc 0
printf '[global]\nloglvl = INFO\n\n[userdata]\nws_uri = ws://h.test/\napp_id = a1\n' >"$T/want"
diff -u "$T/want" "$conf" >&2 || fail "config with a new section"

# A user data file that the backend did not fill in is refused.
printf 'APP_ID=@{app_id}\n' >"$T/raw"
before=$(snapshot)
run_script install.sh --binary "$OPSAGENT" --userdata "$T/raw"
expect_rc 1
expect_line err 'APP_ID is still a template placeholder'
[ "$(snapshot)" = "$before" ] || fail "a refused run changed files"
run_script install.sh --binary "$OPSAGENT" --userdata "$T/missing"
expect_rc 1
expect_line err 'cannot read the user data file'
