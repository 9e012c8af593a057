#!/bin/bash
# A process that ignores SIGTERM is killed with SIGKILL after kill_grace.
. "$(dirname "$0")/../lib.sh"

marker="sleep 1000.$$$RANDOM"
config c '[runtime]
kill_grace = 500ms'
cat >"$T/r.json" <<JSON
{"state": [
  {"id": "stubborn", "module": "linux.cmd", "parameter": {
     "cmd": "trap '' TERM; (trap '' TERM; $marker) & wait; wait", "cwd": "/tmp", "timeout": "1"}}
]}
JSON
start=$(date +%s%N)
agent -c "$T/c.conf" once "$T/r.json"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1
expect_line out 'stubborn linux\.cmd FAILED [0-9]+ ms: timed out after 1 s$'
[ "$elapsed_ms" -ge 1400 ] || fail "reported after ${elapsed_ms} ms, before the grace period ended"
[ "$elapsed_ms" -lt "$(scaled 6000)" ] || fail "took ${elapsed_ms} ms"
sleep 0.2
if pgrep -f "$marker" >/dev/null; then
    pkill -9 -f "$marker" || true
    fail "a process ignoring SIGTERM survived"
fi
