#!/bin/bash
# A state's output is capped at output_limit: the head and the tail are kept
# and the cut is marked.
. "$(dirname "$0")/../lib.sh"

config c '[runtime]
output_limit = 1000'
recipe r '{"state": [
  {"id": "chatty", "module": "linux.cmd", "parameter": {
     "cmd": "echo FIRST-LINE; head -c 200000 /dev/zero | tr \"\\\\0\" x; echo; echo LAST-LINE",
     "cwd": "/tmp"}}
]}'
agent -c "$T/c.conf" once --json "$T/r.json"
expect_rc 0
out=$(json_field 1 state_stdout)
case "$out" in FIRST-LINE*) ;; *) fail "the head is missing" ;; esac
case "$out" in *LAST-LINE) ;; *) fail "the tail is missing" ;; esac
echo "$out" | grep -qE '^\[\.\.\. [0-9]+ bytes of output cut \.\.\.\]$' || fail "no cut marker"
len=${#out}
[ "$len" -le 1100 ] || fail "output is $len bytes, limit 1000 (+ marker)"
cut=$(echo "$out" | sed -nE 's/^\[\.\.\. ([0-9]+) bytes of output cut \.\.\.\]$/\1/p')
# 11 + 200000 + 1 + 10 bytes written, 1000 kept.
[ "$cut" -eq $((11 + 200000 + 1 + 10 - 1000)) ] || fail "cut $cut bytes"

# A gigabyte of output neither blocks nor grows the agent.
recipe big '{"state": [
  {"id": "flood", "module": "linux.cmd", "parameter": {
     "cmd": "head -c 1073741824 /dev/zero", "cwd": "/tmp"}}
]}'
/usr/bin/time -f '%M' -o "$T/rss" "$OPSAGENT" -c "$T/c.conf" once "$T/big.json" >"$T/out" 2>"$T/err" || fail "flood failed"
rss_kb=$(tail -n1 "$T/rss")
[ "$rss_kb" -lt 200000 ] || fail "peak RSS ${rss_kb} KiB while capturing 1 GiB"
