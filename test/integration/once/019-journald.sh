#!/bin/bash
# Under journald ($JOURNAL_STREAM names stderr): every stderr line starts with
# the <N> priority prefix, and the lines about a state go through the native
# journal protocol with RECIPE_VERSION, STATE_ID and MODULE, so that
# `journalctl -u opsagent STATE_ID=…` finds them. A fake journal socket in the
# sandbox receives them.
. "$(dirname "$0")/../lib.sh"
in_sandbox "$@"

sandbox_tmpfs /run/systemd
mkdir -p /run/systemd/journal
/usr/bin/python3 - "$T/journal.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab") as out:
    while True:
        data = s.recv(1 << 20)
        out.write(data + b"\n--\n")
        out.flush()
PY
receiver=$!
for _ in $(seq 50); do [ -e "$T/journal.out.ready" ] && break; sleep 0.1; done

recipe r '{"code": "RecipeMetadata", "recipe_version": 42, "state": [
  {"id": "good", "module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp"}},
  {"id": "bad-one", "module": "linux.cmd", "parameter": {"cmd": "exit 7", "cwd": "/tmp"}}
]}'
: >"$T/err"
JOURNAL_STREAM="$(stat -c '%d:%i' "$T/err")" "${OA[@]}" -v once "$T/r.json" >"$T/out" 2>>"$T/err" || true
sleep 0.3
kill $receiver
no_sanitizer_report

# stderr: every line starts with a priority.
[ -s "$T/err" ] || fail "nothing on stderr"
if grep -qvE '^<[0-7]>' "$T/err"; then fail "a stderr line without <N>"; fi
expect_line err '^<3>1 of 2 states succeeded; state 2 \(bad-one\) failed'
# The state lines went to the journal, with their fields.
grep -q 'STATE_ID=bad-one' "$T/journal.out" || fail "no STATE_ID field: $(cat "$T/journal.out")"
grep -q 'MODULE=linux.cmd' "$T/journal.out" || fail "no MODULE field"
grep -q 'RECIPE_VERSION=42' "$T/journal.out" || fail "no RECIPE_VERSION field"
grep -q 'PRIORITY=3' "$T/journal.out" || fail "the failed state is not at err priority"
grep -q 'SYSLOG_IDENTIFIER=opsagent' "$T/journal.out" || fail "no SYSLOG_IDENTIFIER"
grep -q 'MESSAGE=state 2/2 bad-one (linux.cmd) failed' "$T/journal.out" || fail "no message"
# …and not on stderr a second time.
expect_no_line err 'state 2/2 bad-one \(linux.cmd\) failed'
