#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Runs every libFuzzer target for a bounded time, JOBS at a time:
#     test/fuzz/run-all.sh SECONDS [BUILD_DIR [JOBS]]
# BUILD_DIR is a build configured with -DOPSAGENT_FUZZ=ON (default:
# build-fuzz next to the source) whose fuzz targets are built; CMake lists
# them in BUILD_DIR/test/fuzz/targets.txt. JOBS defaults to 2. The fuzz-all
# target and `bootstrap/dev.sh test` run this.
#
# Each target goes through run.sh, its output kept in
# BUILD_DIR/test/fuzz/work/TARGET.out so that two targets' lines do not mix;
# its figures (executions, coverage, features, corpus) are printed as it
# ends, with run.sh's report of a failure. Every target runs even when one
# fails; then the exit status is non-zero and the failed ones are named.
set -eu

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
    echo "usage: $0 SECONDS [BUILD_DIR [JOBS]]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
seconds=$1
build=$(cd "${2:-$here/../../build-fuzz}" && pwd)
jobs=${3:-2}
list=$build/test/fuzz/targets.txt
work=$build/test/fuzz/work

if [ ! -f "$list" ]; then
    echo "$0: $list not found: configure $build with -DOPSAGENT_FUZZ=ON" >&2
    exit 2
fi
mkdir -p "$work"
n=$(wc -l <"$list")
echo "fuzz: $n targets, $seconds s each, $jobs at a time"
start=$(date +%s)

# One target: run.sh's output to a file, its figures to stdout. An exit
# status of 1 (not 255) lets xargs start the other targets.
# shellcheck disable=SC2016 # expanded by the sh that xargs starts
one='out=$4/$1.out
if sh "$5/run.sh" "$1" "$2" "$3" >"$out" 2>&1; then
    grep ": executions" "$out"
else
    cat "$out"
    exit 1
fi'
status=0
xargs -P "$jobs" -I{} sh -c "$one" sh {} "$seconds" "$build" "$work" "$here" <"$list" || status=$?

failed=""
while read -r t; do
    grep -q ": executions" "$work/$t.out" 2>/dev/null && ! grep -q ": FAILED" "$work/$t.out" ||
        failed="$failed $t"
done <"$list"
echo "fuzz: $n targets in $(($(date +%s) - start)) s"
if [ "$status" -ne 0 ] || [ -n "$failed" ]; then
    echo "fuzz: FAILED:${failed:- (see above)}; crashes are in $build/test/fuzz/artifacts/" >&2
    exit 1
fi
