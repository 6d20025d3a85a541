#!/bin/sh
# Builds the libFuzzer target fuzz_lines with clang in build-fuzz/ and runs it
# for FUZZ_SECONDS (default 60) on a working copy of the seed corpus, so that
# fuzz/corpus/ itself is never written to. libFuzzer's progress goes to
# build-fuzz/fuzz.log; on a crash its tail is printed and the input that caused
# it is kept in build-fuzz/artifacts/. Exits non-zero if anything is found.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
seconds=${FUZZ_SECONDS:-60}
log="$build/fuzz.log"
work="$build/corpus"
artifacts="$build/artifacts"

case $seconds in
'' | *[!0-9]*)
    echo "FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2
    exit 2
    ;;
esac
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
if ! cmake --build "$build" --target fuzz_lines -j "$(nproc)" >"$build/build.log" 2>&1; then
    cat "$build/build.log" >&2
    echo "building fuzz_lines failed" >&2
    exit 1
fi

# The working corpus keeps what earlier runs found; the seeds are added again.
mkdir -p "$work" "$artifacts"
cp "$root"/fuzz/corpus/* "$work"/

echo "fuzzing fuzz_lines for ${seconds}s (log: $log)"
status=0
"$build/bin/fuzz_lines" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict="$root/fuzz/fuzz_lines.dict" \
    -artifact_prefix="$artifacts/" "$work" "$root/fuzz/corpus" >"$log" 2>&1 || status=$?

if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz_lines failed (exit $status); inputs that crashed are in $artifacts/" >&2
    echo "replay one with: $build/bin/fuzz_lines $artifacts/FILE" >&2
    exit 1
fi
grep -E '^(Done |stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log" || true
echo "fuzz_lines: nothing found"
