#!/bin/bash
# The README's "Inspecting with journalctl" commands against a real
# systemd-journald, started in the sandbox on tmpfs (/run/systemd,
# /run/log, /var/log/journal): the agent's stderr is a journal stream
# (systemd-cat, with JOURNAL_STREAM naming it as systemd would), and
# journalctl finds one state's lines by STATE_ID, a round's by
# RECIPE_VERSION, the failures with -p err. Only `-u opsagent` needs the
# unit's cgroup, which a sandbox does not have: SYSLOG_IDENTIFIER stands in.
. "$(dirname "$0")/../lib.sh"
in_sandbox "$@"
for t in /lib/systemd/systemd-journald journalctl systemd-cat; do
    command -v "$t" >/dev/null || { echo "SKIP: $t is missing (Debian package systemd)"; exit 77; }
done

sandbox_tmpfs /run/systemd /run/log /var/log/journal
mkdir -p /run/systemd/journal
/lib/systemd/systemd-journald >"$T/journald.log" 2>&1 &
journald=$!
trap 'rc=$?; kill $journald 2>/dev/null || true; at_exit "$rc"' EXIT
for _ in $(seq 50); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.1; done
[ -S /run/systemd/journal/stdout ] || fail "journald did not start: $(cat "$T/journald.log")"

recipe r '{"code": "RecipeMetadata", "recipe_version": 42, "state": [
  {"id": "good", "module": "linux.cmd", "parameter": {"cmd": "true", "cwd": "/tmp"}},
  {"id": "bad-one", "module": "linux.cmd", "parameter": {"cmd": "echo oops; exit 7", "cwd": "/tmp"}}
]}'
# -v: the per-state info lines go to the journal too.
systemd-cat -t opsagent env OPSAGENT="$OPSAGENT" R="$T/r.json" bash -c \
    'export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec "$OPSAGENT" -v once "$R" 2>&1' || true

# journald writes asynchronously: wait for the round's last line.
jc() { journalctl --no-pager -o cat "$@" >"$T/out" 2>"$T/err" || true; }
for _ in $(seq 50); do
    jc SYSLOG_IDENTIFIER=opsagent
    grep -q '1 of 2 states succeeded' "$T/out" && break
    sleep 0.1
done
expect_line out '1 of 2 states succeeded; state 2 \(bad-one\) failed'
no_sanitizer_report

# One state's lines, and only those.
jc SYSLOG_IDENTIFIER=opsagent STATE_ID=bad-one
expect_line out '^state 2/2 bad-one \(linux.cmd\) failed in [0-9]+ ms: Command "echo oops; exit 7" exited with status 7$'
expect_no_line out 'good'
jc SYSLOG_IDENTIFIER=opsagent STATE_ID=good
expect_line out 'good'
expect_no_line out 'bad-one'
# A round's lines, by recipe version and by module.
jc SYSLOG_IDENTIFIER=opsagent RECIPE_VERSION=42
expect_line out 'bad-one'
expect_line out 'good'
jc SYSLOG_IDENTIFIER=opsagent RECIPE_VERSION=41
[ ! -s "$T/out" ] || fail "RECIPE_VERSION=41 matched: $(cat "$T/out")"
jc SYSLOG_IDENTIFIER=opsagent MODULE=linux.cmd
expect_line out 'bad-one'
# Failures only: the failed state and the summary, at err.
jc SYSLOG_IDENTIFIER=opsagent -p err
expect_line out '^state 2/2 bad-one \(linux.cmd\) failed'
expect_line out '^1 of 2 states succeeded'
expect_no_line out 'good'
# The journal fields, and no source location of the agent's own code.
journalctl --no-pager -o verbose SYSLOG_IDENTIFIER=opsagent STATE_ID=bad-one >"$T/out"
expect_line out '^ *PRIORITY=3$'
expect_line out '^ *MODULE=linux.cmd$'
expect_line out '^ *_TRANSPORT=journal$'
expect_no_line out 'CODE_FILE='
