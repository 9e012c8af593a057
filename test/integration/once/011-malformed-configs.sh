#!/bin/bash
# Every malformed config gives one line naming file, line, key and what was
# expected, and exit status 78; run and check also need ws_uri and app_id.
. "$(dirname "$0")/../lib.sh"

recipe r '[{"module": "meta.comment", "parameter": {}}]'

# check NAME TEXT REGEX [COMMAND...]
check() {
    local name=$1 text=$2 re=$3
    shift 3
    printf '%s\n' "$text" >"$T/$name.conf"
    agent -c "$T/$name.conf" "${@:-once}" $([ $# -eq 0 ] && echo "$T/r.json")
    expect_rc 78
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$name: expected one line on stderr"
    expect_line err "ERROR +$T/$name\.conf$re"
    expect_lines out 0
}

check not-ini '[runtime
delay = 1' ':1: expected .\[section\]., .key = value. or a comment'
check no-equals '[runtime]
delay' ':2: expected .\[section\]., .key = value. or a comment'
check bad-duration '[network]
keepalive = soon' ':2: \[network\] keepalive = .soon.: expected a duration: a whole number, optionally followed by ms, s, min or h$'
check bad-unit '[runtime]
retry_wait = 5 days' ":2: \[runtime\] retry_wait = '5 days': expected a duration"
check range '[network]

connect_timeout = 2h' ':3: \[network\] connect_timeout = .2h.: expected a duration from 1 ms to 60 min$'
check bad-bool '[network]
insecure = maybe' ':2: \[network\] insecure = .maybe.: expected a boolean'
check bad-level '[global]
loglvl = LOUD' ':2: \[global\] loglvl = .LOUD.: expected one of DEBUG, INFO, NOTICE, WARNING, ERROR$'
check relative-path '[global]
state_dir = var/lib' ':2: \[global\] state_dir = .var/lib.: expected an absolute path$'
check small-output '[runtime]
output_limit = 10' ':2: \[runtime\] output_limit = .10.: expected a whole number from 256 to 67108864$'
check bad-wsuri '[userdata]
ws_uri = http://example.com/' ':2: \[userdata\] ws_uri = .http://example.com/.: expected a ws:// or wss:// URL with a host$'
check proxy-secret '[network]
proxy = ftp://user:hunter2@proxy:3128' ':2: \[network\] proxy = .\*\*\*.: expected an http://'
check salt-timeout '[salt]
timeout = -1' ':2: \[salt\] timeout = .-1.: expected a duration'
check cross '[network]
keepalive = 80
dead_after = 75' ': \[network\] keepalive must be shorter than dead_after$'
check long-line "[global]
$(printf 'x%.0s' $(seq 300)) = 1" ':2: line longer than 199 bytes$'
grep -q hunter2 "$T/err" && fail "a proxy password was logged"

check no-wsuri '[userdata]
app_id = app-1' ': \[userdata\] ws_uri is missing: expected a ws:// or wss:// URL of the backend$' run
check no-appid '[userdata]
ws_uri = wss://backend.example/agent' ': \[userdata\] app_id is missing' check

agent -c "$T/nonexistent.conf" once "$T/r.json"
expect_rc 78
expect_line err "nonexistent\.conf: cannot read the config file: No such file or directory"

# Unknown keys and sections, and the original agent's keys, are not errors.
config old '[global]
envroot = /opt/visualops/env
conf_path = /var/lib/visualops/opsagent
watch = /var/lib/visualops/opsagent/watch
loglvl = DEBUG
[userdata]
ws_uri = wss://api.visualops.io:443/agent/
app_id = app-123
[salt]
delay = 1
timeout = 20
srv_root = /srv
[network]
instance_id = i-123
colour = blue
[extras]
x = 1'
agent -v -c "$T/old.conf" once "$T/r.json"
expect_rc 0
expect_line err "WARNING .*old\.conf:15: unknown key colour in \[network\], ignoring"
expect_line err "WARNING .*old\.conf:17: unknown section \[extras\] \(key x\), ignoring"
expect_line err "DEBUG .*old\.conf:2: \[global\] envroot is kept for compatibility and not used"
