# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the tests of linux.file, linux.dir and linux.symlink
# (once/030-039), sourced after lib.sh. `once --json` shows result and
# comment but not `changed`, so single states also run through
# `opsagent exec-state` (the child protocol), whose fd 3 result has all three.

# expect_attrs PATH MODE OWNER:GROUP: what stat says of PATH (not following links).
expect_attrs() {
    local got
    got=$(stat -c '%a %U:%G' -- "$1")
    [ "$got" = "$2 $3" ] || fail "$1: '$got', expected '$2 $3'"
}

# expect_content PATH TEXT: PATH holds exactly TEXT (printf %s, no newline added).
expect_content() {
    printf '%s' "$2" >"$T/expected"
    cmp -s "$T/expected" "$1" || fail "$1 holds '$(cat "$1")', expected '$2'"
}
