#!/bin/bash
# SIGINT/SIGTERM during `opsagent once`: the first lets the running state end and
# stops before the next; a second one kills the running state.
. "$(dirname "$0")/../lib.sh"

# wait_began: until the running state has touched $T/began (the agent is in
# its loop, its signal handlers set, however slowly it started).
wait_began() {
    for _ in $(seq 1200); do
        [ -e "$T/began" ] && return 0
        sleep 0.05
    done
    fail "the state did not start: $(cat "$T/err")"
}

recipe r '{"state": [
  {"id": "slow", "module": "linux.cmd", "parameter": {"cmd": "touch '"$T"'/began; sleep 1; echo finished", "cwd": "/tmp"}},
  {"id": "next", "module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp"}}
]}'
"${OA[@]}" once "$T/r.json" >"$T/out" 2>"$T/err" &
pid=$!
wait_began
kill -TERM $pid
set +e; wait $pid; RC=$?; set -e
no_sanitizer_report
expect_rc 1
expect_line out '^\[1/2\] slow linux\.cmd ok [0-9]+ ms: Command "touch .*/began; sleep 1; echo finished" run$'
expect_line out '^\[2/2\] next linux\.cmd not run: stopped by a signal$'

rm -f "$T/began"
recipe long '{"state": [
  {"id": "long", "module": "linux.cmd", "parameter": {"cmd": "touch '"$T"'/began; sleep 60", "cwd": "/tmp"}}
]}'
start=$(date +%s%N)
"${OA[@]}" once "$T/long.json" >"$T/out" 2>"$T/err" &
pid=$!
wait_began
kill -INT $pid
sleep "$(scaled 0.2)"
kill -INT $pid
set +e; wait $pid; RC=$?; set -e
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
no_sanitizer_report
expect_rc 1
[ "$elapsed_ms" -lt "$(scaled 5000)" ] || fail "the second signal did not kill the state (${elapsed_ms} ms)"
expect_line out '^\[1/1\] long linux\.cmd not run: stopped by a signal$'
expect_line err 'killing the running state'
