# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the install-script tests (test/integration/bootstrap/), sourced
# after lib.sh. The scripts run with ROOT=$R, a fresh folder under $T, so
# they need no root and change nothing outside it.

B=$OA_SOURCE_DIR/bootstrap
R=$T/root
mkdir -p "$R"

# run_script SCRIPT ARGS...: runs bootstrap/SCRIPT with ROOT=$R; stdout in
# $T/out, stderr in $T/err, the exit status in $RC.
run_script() {
    local script=$1
    shift
    set +e
    ROOT=$R sh "$B/$script" "$@" >"$T/out" 2>"$T/err"
    # shellcheck disable=SC2034 # read by lib.sh's expect_rc
    RC=$?
    set -e
    no_sanitizer_report
}

# expect_mode PATH MODE: PATH exists with this octal mode.
expect_mode() {
    [ -e "$1" ] || fail "$1 is missing"
    local m
    m=$(stat -c %a "$1")
    [ "$m" = "$2" ] || fail "$1 has mode $m, expected $2"
}

expect_absent() {
    if [ -e "$1" ] || [ -L "$1" ]; then fail "$1 exists"; fi
}

# snapshot: every path under $R with its inode, mode, size and mtime, so that
# two snapshots differ when anything was written, even with the same bytes.
snapshot() {
    (cd "$R" && find . -printf '%p %i %m %s %T@\n' | sort)
}

# agent_reads CONF: the agent loads CONF without an error or a warning about
# [userdata] (`once` on a one-state recipe loads the config first).
agent_reads() {
    recipe ok '[{"id": "c", "module": "meta.comment", "parameter": {}}]'
    agent -c "$1" once "$T/ok.json"
    expect_rc 0
    expect_no_line err 'ERROR|\[userdata\]|repeats line'
}
