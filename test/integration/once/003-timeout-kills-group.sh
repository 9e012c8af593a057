#!/bin/bash
# A state that outlives its timeout is killed with its whole process group
# (grandchildren included) and reported as timed out.
. "$(dirname "$0")/../lib.sh"

marker="sleep 1000.$$$RANDOM"
# The timeout stretches with a slow agent (valgrind), whose child needs time
# to start the command at all.
to=$(scaled 1)
# A grandchild in the background, and a great-grandchild under another shell.
cat >"$T/r.json" <<JSON
{"state": [
  {"id": "sleepy", "module": "linux.cmd", "parameter": {
     "cmd": "$marker & sh -c '$marker' & echo started; wait", "cwd": "/tmp", "timeout": "$to"}},
  {"id": "after", "module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp"}}
]}
JSON
start=$(date +%s%N)
agent once "$T/r.json"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1
expect_line out "^\\[1/2\\] sleepy linux\\.cmd FAILED [0-9]+ ms: timed out after $to s\$"
expect_line out '^\[2/2\] after linux\.cmd not run'
# Reported as soon as the group is gone, not after the 10 s grace period.
[ "$elapsed_ms" -lt $((to * 1000 + $(scaled 2000))) ] || fail "took ${elapsed_ms} ms for a $to s timeout"
sleep 0.2
if pgrep -f "$marker" >/dev/null; then
    pkill -9 -f "$marker" || true
    fail "grandchildren survived the timeout"
fi
agent once --json "$T/r.json"
[ "$(json_field 1 state_stdout)" = "started" ] || fail "output before the timeout was lost"
