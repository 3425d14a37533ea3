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
    for header in doctest/doctest.h:doctest-dev benchmark/benchmark.h:libbenchmark-dev zlib.h:zlib1g-dev; do
        package=${header#*:}
        header=${header%%:*}
        printf '#include <%s>\n' "$header" | "$cxx" -x c++ -fsyntax-only - >/dev/null 2>&1 || echo "$package"
    done
}

missing=$(missing_packages | tr '\n' ' ')
missing=${missing% }
if [ -n "$missing" ]; then
    if [ -f /etc/debian_version ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: installing $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        # shellcheck disable=SC2086  # one word per package
        apt-get install -y $missing
    elif [ -f /etc/debian_version ]; then
        echo "test.sh: missing prerequisites; run:  sudo apt-get install -y $missing" >&2
        exit 1
    else
        echo "test.sh: missing prerequisites (Debian package names): $missing" >&2
        echo "Install CMake >= 3.25, Ninja, a C++20 compiler ($cxx), doctest, Google Benchmark and zlib" >&2
        echo "with your system's package manager, then run this script again." >&2
        exit 1
    fi
fi

if [ -z "${TESSERA_DATA_DIR:-}" ]; then
    echo "test.sh: TESSERA_DATA_DIR is not set; tests on the public data sets will be skipped"
fi
cmake_version=$(cmake --version | sed -n '1s/[^0-9]*\([0-9][0-9.]*\).*/\1/p')
if [ "$(printf '3.25\n%s\n' "$cmake_version" | sort -V | head -n1)" != 3.25 ]; then
    echo "test.sh: CMake >= 3.25 is needed (found $cmake_version); see https://cmake.org/download/" >&2
    exit 1
fi
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}
exec cmake --workflow --preset "$preset"
