#!/bin/sh
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for half
# of FUZZ_SECONDS (default 60, so 30 s each), one after the other:
#   fuzz_lines         the request path: framer, request_parse, responses
#   fuzz_request_diff  request_parse's fast path against its cJSON path
# Each runs on a working copy of its seed corpus (fuzz/corpus/, fuzz/corpus_diff/),
# so that the seeds themselves are never written to. libFuzzer's progress goes
# to build-fuzz/TARGET.log; on a crash its tail is printed and the input that
# caused it is kept in build-fuzz/artifacts/TARGET/. Exits non-zero if anything
# is found.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
seconds=${FUZZ_SECONDS:-60}

case $seconds in
'' | *[!0-9]*)
    echo "FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2
    exit 2
    ;;
esac
each=$((seconds / 2))
[ "$each" -ge 1 ] || each=1
if ! command -v clang >/dev/null 2>&1; then
    echo "clang not found: the fuzzer needs clang and libclang-rt-14-dev" >&2
    exit 2
fi

mkdir -p "$build"
if ! CC=clang cmake --log-level=WARNING -S "$root" -B "$build" -DFUZZ=ON \
    -DCMAKE_BUILD_TYPE=Release >"$build/configure.log" 2>&1; then
    cat "$build/configure.log" >&2
    echo "configuring $build failed" >&2
    exit 1
fi
if ! cmake --build "$build" --target fuzz_lines fuzz_request_diff -j "$(nproc)" \
    >"$build/build.log" 2>&1; then
    cat "$build/build.log" >&2
    echo "building the fuzz targets failed" >&2
    exit 1
fi

# run_target TARGET SEEDS: fuzzes TARGET for $each seconds from the seed directory SEEDS.
run_target() {
    target=$1
    seeds=$2
    log="$build/$target.log"
    # The working corpus keeps what earlier runs found; the seeds are added again.
    work="$build/corpus/$target"
    artifacts="$build/artifacts/$target"
    mkdir -p "$work" "$artifacts"
    cp "$seeds"/* "$work"/

    echo "fuzzing $target for ${each}s (log: $log)"
    status=0
    "$build/bin/$target" -max_total_time="$each" -max_len=8192 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -dict="$root/fuzz/fuzz_lines.dict" \
        -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1 || status=$?

    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "$target failed (exit $status); inputs that crashed are in $artifacts/" >&2
        echo "replay one with: $build/bin/$target $artifacts/FILE" >&2
        exit 1
    fi
    grep -E '^(Done |stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log" || true
    echo "$target: nothing found"
}

run_target fuzz_lines "$root/fuzz/corpus"
run_target fuzz_request_diff "$root/fuzz/corpus_diff"
