# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the tests of puppet, chef and mesos (once/115-129), sourced
# after lib.sh, in the sandbox: recording shims for the tools this machine
# does not have (a puppet server, chef, mesos). A shim is an executable
# first on the modules' PATH (/usr/local/bin, a tmpfs) that appends its
# name and arguments, one call a line, to $T/calls, then replays what the
# test prepared: the text of $T/shim/NAME.out (or NAME.out.N for its N-th
# call) on stdout, the text of $T/shim/NAME.err on stderr, and the exit
# status in $T/shim/NAME.rc (default 0).

# shim NAME...: installs a recording shim for each NAME.
shim() {
    [ -n "${OA_IN_SANDBOX:-}" ] || fail "shim outside the sandbox"
    mountpoint -q /usr/local/bin || sandbox_tmpfs /usr/local/bin
    mkdir -p "$T/shim"
    touch "$T/calls"
    for name in "$@"; do
        {
            echo '#!/bin/sh'
            echo "echo \"$name \$*\" >>'$T/calls'"
            echo "n=\$(grep -c '^$name ' '$T/calls')"
            echo "if [ -f '$T/shim/$name.out.'\$n ]; then cat '$T/shim/$name.out.'\$n"
            echo "elif [ -f '$T/shim/$name.out' ]; then cat '$T/shim/$name.out'; fi"
            echo "if [ -f '$T/shim/$name.err' ]; then cat '$T/shim/$name.err' >&2; fi"
            echo "exit \$(cat '$T/shim/$name.rc' 2>/dev/null || echo 0)"
        } >"/usr/local/bin/$name"
        chmod 0755 "/usr/local/bin/$name"
    done
}

# replay NAME STATUS [STDOUT [STDERR]]: what NAME's shim prints and exits
# with.
replay() {
    printf '%s' "${3:-}" >"$T/shim/$1.out"
    printf '%s' "${4:-}" >"$T/shim/$1.err"
    echo "$2" >"$T/shim/$1.rc"
}

# expect_calls TEXT: the shims were called exactly so, in order (one call a
# line); the record is cleared.
expect_calls() {
    diff -u <(printf '%s\n' "$1") "$T/calls" >"$T/calls.diff" 2>&1 ||
        fail "calls differ: $(cat "$T/calls.diff")"
    : >"$T/calls"
}
