#!/bin/bash
# SIGINT/SIGTERM in once mode: the first lets the running state finish and
# stops before the next; a second one kills the running state.
. "$(dirname "$0")/../lib.sh"

recipe r '{"state": [
  {"id": "slow", "module": "linux.cmd", "parameter": {"cmd": "sleep 1; echo finished", "cwd": "/tmp"}},
  {"id": "next", "module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp"}}
]}'
"$OPSAGENT" once "$T/r.json" >"$T/out" 2>"$T/err" &
pid=$!
sleep 0.3
kill -TERM $pid
set +e; wait $pid; RC=$?; set -e
no_sanitizer_report
expect_rc 1
expect_line out '^\[1/2\] slow linux\.cmd ok [0-9]+ ms: Command "sleep 1; echo finished" run$'
expect_line out '^\[2/2\] next linux\.cmd not run: stopped by a signal$'

recipe long '{"state": [
  {"id": "long", "module": "linux.cmd", "parameter": {"cmd": "sleep 60", "cwd": "/tmp"}}
]}'
start=$(date +%s%N)
"$OPSAGENT" once "$T/long.json" >"$T/out" 2>"$T/err" &
pid=$!
sleep 0.3
kill -INT $pid
sleep 0.2
kill -INT $pid
set +e; wait $pid; RC=$?; set -e
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
no_sanitizer_report
expect_rc 1
[ "$elapsed_ms" -lt 5000 ] || fail "the second signal did not kill the state (${elapsed_ms} ms)"
expect_line out '^\[1/1\] long linux\.cmd not run: stopped by a signal$'
expect_line err 'killing the running state'
