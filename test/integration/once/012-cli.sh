#!/bin/bash
# The command line: help, version, usage errors, and the commands that are
# not in this build yet, which say so plainly and exit non-zero.
. "$(dirname "$0")/../lib.sh"

agent --help
expect_rc 0
expect_line out '^  opsagent \[-c FILE\] \[-v\|-q\] once RECIPE\.json \[--dry-run\] \[--json\]'
agent --version
expect_rc 0
expect_line out '^opsagent [0-9]+\.[0-9]+\.[0-9]+$'
agent
expect_rc 64
agent frobnicate
expect_rc 64
expect_line err "unknown command 'frobnicate'"
agent once
expect_rc 64
expect_line err 'expected one recipe file'
agent once a.json b.json
expect_rc 64
agent once --bogus x.json
expect_rc 64

config good '[userdata]
ws_uri = ws://127.0.0.1:9/agent
app_id = app-1
[global]
state_dir = '"$T"'/state
[network]
instance_id = i-1
userdata ='
mkdir -p "$T/run"
printf '[global]\nruntime_dir = %s/run\n' "$T" >>"$T/good.conf"
for cmd in status stop; do
    agent -c "$T/good.conf" "$cmd"
    expect_rc 69
    expect_line err "opsagent: no agent is running \(nothing listens on $T/run/opsagent.sock"
done
agent -c "$T/good.conf" status --bogus
expect_rc 64
# check reports a backend it cannot reach and exits 1.
agent -c "$T/good.conf" check
expect_rc 1
expect_line err "check failed: connection to ws://127\.0\.0\.1:9/agent failed: cannot connect to 127\.0\.0\.1:9: connection refused"
config bad '[network]
keepalive = x'
agent -c "$T/bad.conf" run
expect_rc 78
