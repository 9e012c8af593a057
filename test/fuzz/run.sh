#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Runs one libFuzzer target for a bounded time:
#     test/fuzz/run.sh TARGET SECONDS [BUILD_DIR]
# TARGET is fuzz_json, fuzz_cfg, ... (or json, cfg, ...); BUILD_DIR is a build
# configured with -DOPSAGENT_FUZZ=ON (default: build-fuzz next to the source).
# run-all.sh runs every target through this script.
#
# The fuzzer works on a fresh copy of test/fuzz/corpus/TARGET in
# BUILD_DIR/test/fuzz/work/TARGET, so the committed corpus stays as it is. To
# keep the new inputs that add coverage, merge them by hand:
#     BUILD_DIR/test/fuzz/TARGET -merge=1 test/fuzz/corpus/TARGET BUILD_DIR/test/fuzz/work/TARGET
# then rename the new files to their sha1sum. A crash is written to
# BUILD_DIR/test/fuzz/artifacts/TARGET/; commit it to the target's corpus as a
# regression input once it is fixed. Prints executions and coverage from
# libFuzzer's final stats; exits non-zero on a crash, a leak or a timeout.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 TARGET SECONDS [BUILD_DIR]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
target=fuzz_${1#fuzz_}
seconds=$2
build=$(cd "${3:-$here/../../build-fuzz}" && pwd)

# The largest input worth trying: above each parser's own limits (cfg: a line
# over inih's 200 bytes), small enough to keep the executions fast.
case $target in
fuzz_json) max_len=4096 dict=json.dict ;;
fuzz_recipe) max_len=16384 dict=json.dict ;;
fuzz_cfg) max_len=4096 dict=cfg.dict ;;
fuzz_child_result) max_len=4096 dict=json.dict ;;
fuzz_child_request) max_len=8192 dict=json.dict ;;
fuzz_params) max_len=4096 dict=json.dict ;;
fuzz_msg) max_len=16384 dict=msg.dict ;;
fuzz_http) max_len=20000 dict=http.dict ;;
fuzz_ws) max_len=4096 dict=ws.dict ;;
fuzz_userdata) max_len=4096 dict=userdata.dict ;;
fuzz_compat) max_len=1024 dict=compat.dict ;;
*)
    echo "$0: unknown target $target" >&2
    exit 2
    ;;
esac

bin=$build/test/fuzz/$target
if [ ! -x "$bin" ]; then
    echo "$0: $bin not found: configure $build with -DOPSAGENT_FUZZ=ON and build it" >&2
    exit 2
fi
work=$build/test/fuzz/work/$target
artifacts=$build/test/fuzz/artifacts/$target
log=$build/test/fuzz/work/$target.log
rm -rf "$work"
mkdir -p "$work" "$artifacts"
cp -R "$here/corpus/$target/." "$work/"

# The fuzz build compiles UBSan recoverable (OaSanitizers.cmake): without
# halt_on_error a runtime error is printed and the run goes on, unreported.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS

echo "$target: fuzzing for $seconds s (max_len $max_len), log in $log"
status=0
"$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -dict="$here/$dict" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" >"$log" 2>&1 || status=$?

# "#N DONE cov: C ft: F corp: ..." is the last status line of a clean run.
summary=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(echo "$summary" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
ft=$(echo "$summary" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
corp=$(echo "$summary" | sed -n 's/.*corp: \([^ ]*\).*/\1/p')
echo "$target: executions ${execs:-?}, coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}"

if [ "$status" -ne 0 ]; then
    echo "$target: FAILED (exit status $status); the end of the log:" >&2
    tail -n 40 "$log" >&2
    ls "$artifacts" >&2
    exit "$status"
fi
