#!/bin/bash
# linux.cmd's shell is spawned by the agent itself, without an exec-state
# child in between (design.md allows it where it is equivalent), and the
# result is the one exec-state gives: same comments, output (warnings
# first), environment, working directory, stdin (/dev/null), exit status
# and signals. A state with `user` (or a dry run) still goes through
# exec-state. The shell's parent process tells which way it ran.
. "$(dirname "$0")/../lib.sh"

parent='xargs -0 echo </proc/$PPID/cmdline'
recipe r '[
  {"id": "direct", "module": "linux.cmd", "parameter": {"cmd": "'"$parent"'", "cwd": "/tmp"}},
  {"id": "as-user", "module": "linux.cmd", "parameter": {"cmd": "'"$parent"'", "cwd": "/tmp", "user": "'"$(id -un)"'"}},
  {"id": "same", "module": "linux.cmd", "parameter": {"cmd": "pwd; env | sort; cat; echo end", "cwd": "'"$T"'", "colour": 1,
     "env": [{"key": "X", "value": "1"}]}},
  {"id": "same-as-user", "module": "linux.cmd", "parameter": {"cmd": "pwd; env | sort; cat; echo end", "cwd": "'"$T"'", "colour": 1,
     "env": [{"key": "X", "value": "1"}], "user": "'"$(id -un)"'"}}
]'
agent once --json "$T/r.json" </dev/zero
expect_rc 0
direct=$(json_field 1 state_stdout)
[[ "$direct" == *" once "* && "$direct" != *exec-state* ]] || fail "not run by the agent: $direct"
[[ "$(json_field 2 state_stdout)" == *exec-state* ]] || fail "with user, not through exec-state: $(json_field 2 state_stdout)"
[ "$(json_field 3 state_comment)" = "$(json_field 4 state_comment)" ] || fail "comments differ"
[ "$(json_field 3 state_stdout)" = "$(json_field 4 state_stdout)" ] ||
    fail "output differs: $(json_field 3 state_stdout) --- $(json_field 4 state_stdout)"
out=$(json_field 3 state_stdout)
[[ "$out" == "ignoring unknown parameter 'colour'"$'\n'"$T"$'\n'* ]] || fail "warning first, then the cwd: $out"
[[ "$out" == *$'\nX=1\n'* && "$out" == *$'\nLANG=C.UTF-8\n'* ]] || fail "env: $out"
[[ "$out" == *$'\nend' ]] || fail "stdin is not /dev/null: $out"

# Failures: exit status, a signal, a shell that does not exist; the same
# words both ways (once stops at a failed state: one recipe each).
fails() {
    recipe f '[{"id": "f", "module": "linux.cmd", "parameter": {"cwd": "/tmp"'"$2"', '"$1"'}}]'
    agent once --json "$T/f.json"
    expect_rc 1
    json_field 1 state_comment
}
for extra in '' ', "user": "'"$(id -un)"'"'; do
    got=$(fails '"cmd": "exit 3"' "$extra")
    [ "$got" = 'Command "exit 3" exited with status 3' ] || fail "exit ($extra): $got"
    got=$(fails '"cmd": "kill -TERM $$"' "$extra")
    [ "$got" = 'Command "kill -TERM $$" killed by signal 15 (Terminated)' ] || fail "signal ($extra): $got"
    got=$(fails '"cmd": "true", "shell": "/nonexistent/sh"' "$extra")
    # Under valgrind, posix_spawn's child cannot hand the exec failure back
    # (see 014): where the agent spawns the shell itself (no user), its
    # absence shows as exit status 127.
    want="cannot execute for /nonexistent/sh: No such file or directory"
    [ -z "${OPSAGENT_WRAPPER:-}" ] || [ -n "$extra" ] || want='Command "true" exited with status 127'
    [ "$got" = "$want" ] || fail "no shell ($extra): $got"
done
