#!/usr/bin/env bash
# Builds tessera and runs its tests through a CMake workflow preset.
#
#   scripts/test.sh            GCC debug build (preset `dev`)
#   scripts/test.sh clang      Clang debug build
#   scripts/test.sh asan       GCC with AddressSanitizer and UndefinedBehaviorSanitizer
#   scripts/test.sh release    optimised build with the default compiler
#
# Missing prerequisites are installed with apt-get on Debian/Ubuntu when run as root;
# elsewhere the script prints what to install. Tests that need the public data sets read them
# from $TESSERA_DATA_DIR and are skipped without it (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}

case $preset in
    dev | asan) cxx=g++ compiler_pkg=g++ ;;
    clang) cxx=clang++ compiler_pkg=clang ;;
    release) cxx=${CXX:-c++} compiler_pkg=g++ ;;
    *) echo "usage: $0 [dev|clang|asan|release]" >&2; exit 2 ;;
esac

# Prints the Debian packages that are missing.
missing_packages() {
    command -v cmake >/dev/null 2>&1 || echo cmake
    command -v ninja >/dev/null 2>&1 || echo ninja-build
    if ! command -v "$cxx" >/dev/null 2>&1; then
        echo "$compiler_pkg"
        return
    fi
    local header package
    for header in doctest/doctest.h:doctest-dev benchmark/benchmark.h:libbenchmark-dev zlib.h:zlib1g-dev \
        simde/x86/avx512.h:libsimde-dev; do
        package=${header#*:}
        header=${header%%:*}
        printf '#include <%s>\n' "$header" | "$cxx" -x c++ -fsyntax-only - >/dev/null 2>&1 || echo "$package"
    done
}

. scripts/lib/prerequisites.sh
# shellcheck disable=SC2046  # one word per package
ensure_packages test.sh "Install CMake >= 3.25, Ninja, a C++20 compiler ($cxx), doctest, Google Benchmark, zlib and SIMDe with your system's package manager, then run this script again." $(missing_packages)

if [ -z "${TESSERA_DATA_DIR:-}" ]; then
    echo "test.sh: TESSERA_DATA_DIR is not set; tests on the public data sets will be skipped"
fi
require_cmake test.sh
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}
exec cmake --workflow --preset "$preset"
