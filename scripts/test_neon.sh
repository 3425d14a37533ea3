#!/usr/bin/env bash
# Cross-compiles the SIMD kernel tests for AArch64 and runs them under qemu user-mode emulation,
# so the NEON kernels are tested on an x86-64 machine. Two builds of the SIMD and distance tests
# (tests/test_simd_*.cpp and tests/test_distance_*.cpp):
#   - static, -O2, warnings as errors (runs without an AArch64 system root);
#   - AddressSanitizer + UndefinedBehaviorSanitizer, linked against the cross toolchain's
#     libraries (qemu -L), which reports any read past the end of an array.
# The tests run every level the emulated CPU supports: scalar and neon.
#
#   scripts/test_neon.sh
#
# Missing prerequisites are installed with apt-get on Debian/Ubuntu when run as root;
# elsewhere the script prints what to install. Outputs go to build/neon/.
set -euo pipefail
cd "$(dirname "$0")/.."

cxx=aarch64-linux-gnu-g++
sysroot=/usr/aarch64-linux-gnu
doctest_header=/usr/include/doctest/doctest.h
out=build/neon

find_qemu() {
    local q
    for q in qemu-aarch64-static qemu-aarch64; do
        if command -v "$q" >/dev/null 2>&1; then
            echo "$q"
            return
        fi
    done
}

. scripts/lib/prerequisites.sh
missing=()
command -v "$cxx" >/dev/null 2>&1 || missing+=(g++-aarch64-linux-gnu)
[ -n "$(find_qemu)" ] || missing+=(qemu-user-static)
[ -f "$doctest_header" ] || missing+=(doctest-dev)
ensure_packages test_neon.sh "Install an AArch64 cross g++ (C++20), qemu user-mode emulation for AArch64 and doctest, then run this script again." "${missing[@]}"
qemu=$(find_qemu)

# The cross compiler does not search the host's /usr/include: give it doctest alone.
mkdir -p "$out/include/doctest"
ln -sf "$doctest_header" "$out/include/doctest/doctest.h"

flags=(-std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror -Iinclude -isystem "$out/include")
sources=(tests/test_simd_*.cpp tests/test_distance_*.cpp tests/doctest_main.cpp)

echo "test_neon.sh: $("$cxx" --version | head -n1); $("$qemu" --version | head -n1)"

# Compiles every source with the given flags into objects under $1, as many at a time as there
# are cores (one compiler call per file; a single call compiles its files one after another).
# A failing compile stops the script (set -e on wait).
jobs=$(nproc 2>/dev/null || echo 2)
objects=()
compile_all() {
    local dir=$1 src obj
    shift
    local pids=()
    objects=()
    mkdir -p "$dir"
    for src in "${sources[@]}"; do
        obj="$dir/$(basename "${src%.cpp}").o"
        objects+=("$obj")
        "$cxx" "$@" -c "$src" -o "$obj" &
        pids+=($!)
        if [ "${#pids[@]}" -ge "$jobs" ]; then
            wait "${pids[0]}"
            pids=("${pids[@]:1}")
        fi
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
}

echo "test_neon.sh: static build"
compile_all "$out/static" "${flags[@]}"
"$cxx" -static "${objects[@]}" -o "$out/test_simd"
"$qemu" "$out/test_simd"

echo "test_neon.sh: AddressSanitizer + UndefinedBehaviorSanitizer build"
asan_flags=(-g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
compile_all "$out/asan" "${flags[@]}" "${asan_flags[@]}"
"$cxx" "${asan_flags[@]}" "${objects[@]}" -o "$out/test_simd_asan"
# LeakSanitizer cannot run under qemu user-mode emulation; the native ASan build checks leaks.
ASAN_OPTIONS=detect_leaks=0 "$qemu" -L "$sysroot" "$out/test_simd_asan"
