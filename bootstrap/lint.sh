#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Static analysis of the whole C tree; `bootstrap/dev.sh test` runs it.
#   bootstrap/lint.sh [--analyzer] BUILD_DIR
# BUILD_DIR is a clang build configured with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
# (dev.sh's build-clang): clang-tidy reads each file's flags from it.
# 1. clang-tidy with the committed .clang-tidy (test/.clang-tidy for the tests
#    and fuzz targets) on every C file the build compiles, once each, headers
#    under agent/, builtins/, proto/ and test/ included. Its clang-analyzer-*
#    checks (the path-sensitive static analyzer) cost about eight times all
#    the others (some 250 s of CPU against 35 s), so the test command leaves
#    them out; --analyzer runs them too. Both ways are clean.
# 2. cppcheck on every .c under agent/, builtins/, proto/ and test/: its
#    warning (undefined behaviour, leaks, bad frees, null dereferences),
#    performance and portability checks, not its style advice.
# Any finding fails the script. A finding that is wrong is silenced where it
# is, next to a comment saying why: NOLINTNEXTLINE(check) at the end of the
# comment before the line for clang-tidy, a comment of its own
# "/* cppcheck-suppress id */" right before the line for cppcheck.
set -eu
cd "$(dirname "$0")/.."
checks='-clang-analyzer-*'
if [ "${1:-}" = --analyzer ]; then
    checks=
    shift
fi
build=${1:?usage: bootstrap/lint.sh [--analyzer] BUILD_DIR}
jobs=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Each source once: the second agent of the update tests (opsagent_v2) and
# every fuzz replay target compile the same files again.
python3 - "$build/compile_commands.json" "$work/compile_commands.json" <<'PY'
import json, sys
seen, out = set(), []
for e in json.load(open(sys.argv[1])):
    if e["file"] not in seen:
        seen.add(e["file"])
        out.append(e)
json.dump(out, open(sys.argv[2], "w"))
PY
start=$(date +%s)
if ! run-clang-tidy -p "$work" -j "$jobs" -quiet ${checks:+"-checks=$checks"} >"$work/tidy.log" 2>&1; then
    # run-clang-tidy prints every command; the findings are what matters.
    sed 's/\x1b\[[0-9;]*m//g' "$work/tidy.log" | grep -v -e '^clang-tidy-[0-9]* ' \
        -e 'warnings generated' >&2 || true
    echo "clang-tidy: findings above" >&2
    exit 1
fi
echo "clang-tidy: clean ($(($(date +%s) - start)) s)"

# sys/queue.h is included by name so that cppcheck, which reads no system
# header, understands the TAILQ_* declarations.
start=$(date +%s)
queue=$(echo '#include <sys/queue.h>' | cc -E -x c - | sed -n 's|^# [0-9]* "\(.*/sys/queue\.h\)".*|\1|p' | head -n 1)
cppcheck --quiet --std=c11 --enable=warning,performance,portability --inline-suppr \
    --error-exitcode=1 -j "$jobs" -I proto -I agent -I builtins --include="$queue" \
    agent builtins proto test
echo "cppcheck: clean ($(($(date +%s) - start)) s)"
