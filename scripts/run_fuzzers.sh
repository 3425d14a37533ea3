#!/usr/bin/env bash
# Runs every tessera fuzzer for a bounded time and fails if any of them finds a crash.
#
#   scripts/run_fuzzers.sh <build-dir> [seconds-each]      (default 60 s per fuzzer)
#
# <build-dir> is a build with TESSERA_BUILD_FUZZERS=ON (e.g. build/fuzz from the `fuzz`
# preset). Each fuzzer works on a temporary copy of tests/fuzz/corpus/fuzz_<name>/ (or
# corpus/<name>/), so nothing is written into the repository. Crash inputs are kept in
# <build-dir>/fuzz-artifacts/<fuzzer>/. FUZZ_MAX_LEN sets -max_len (default 8192);
# tests/fuzz/<fuzzer>.dict, if present, is passed as -dict.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 <build-dir> [seconds-each]" >&2
    exit 2
fi
build_dir=$(cd "$1" && pwd)
seconds=${2:-60}
max_len=${FUZZ_MAX_LEN:-8192}
repo=$(cd "$(dirname "$0")/.." && pwd)
fuzz_src="$repo/tests/fuzz"

shopt -s nullglob
sources=("$fuzz_src"/fuzz_*.cpp)
if [ ${#sources[@]} -eq 0 ]; then
    echo "run_fuzzers: no tests/fuzz/fuzz_*.cpp, nothing to run"
    exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
for src in "${sources[@]}"; do
    name=$(basename "$src" .cpp)
    exe=$(find "$build_dir" -type f -name "$name" -perm -u+x -print -quit)
    if [ -z "$exe" ]; then
        echo "run_fuzzers: $name was not built in $build_dir (configure with TESSERA_BUILD_FUZZERS=ON)" >&2
        failed+=("$name (not built)")
        continue
    fi
    corpus="$work/$name/corpus"
    artifacts="$build_dir/fuzz-artifacts/$name"
    mkdir -p "$corpus" "$artifacts"
    for seeds in "$fuzz_src/corpus/$name" "$fuzz_src/corpus/${name#fuzz_}"; do
        if [ -d "$seeds" ]; then cp -R "$seeds/." "$corpus/"; fi
    done
    args=(-max_total_time="$seconds" -max_len="$max_len" -timeout=25 -rss_limit_mb=2048
          -artifact_prefix="$artifacts/" -print_final_stats=1)
    if [ -f "$fuzz_src/$name.dict" ]; then args+=(-dict="$fuzz_src/$name.dict"); fi

    echo "=== $name: ${seconds}s, $(find "$corpus" -type f | wc -l) seed file(s)"
    if "$exe" "${args[@]}" "$corpus" >"$work/$name.log" 2>&1; then
        grep -E '^(stat::number_of_executed_units|#[0-9]+ *DONE)' "$work/$name.log" || true
    else
        tail -n 60 "$work/$name.log"
        echo "run_fuzzers: $name FAILED; crash input(s) in $artifacts/" >&2
        failed+=("$name")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "run_fuzzers: failures: ${failed[*]}" >&2
    exit 1
fi
echo "run_fuzzers: all ${#sources[@]} fuzzer(s) ran ${seconds}s each without a crash"
