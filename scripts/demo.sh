#!/usr/bin/env bash
# Builds and runs tessera's demo program (preset `demo`). It needs only a C++20 compiler,
# CMake >= 3.25 and Ninja, which are installed with apt-get on Debian/Ubuntu when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v ninja >/dev/null 2>&1 || missing="$missing ninja-build"
command -v "${CXX:-c++}" >/dev/null 2>&1 || missing="$missing g++"
missing=${missing# }
if [ -n "$missing" ]; then
    if [ -f /etc/debian_version ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "demo.sh: installing $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        # shellcheck disable=SC2086  # one word per package
        apt-get install -y $missing
    else
        echo "demo.sh: missing: $missing (Debian package names); install them, e.g." >&2
        echo "    sudo apt-get install -y $missing" >&2
        exit 1
    fi
fi

cmake_version=$(cmake --version | sed -n '1s/[^0-9]*\([0-9][0-9.]*\).*/\1/p')
if [ "$(printf '3.25\n%s\n' "$cmake_version" | sort -V | head -n1)" != 3.25 ]; then
    echo "demo.sh: CMake >= 3.25 is needed (found $cmake_version); see https://cmake.org/download/" >&2
    exit 1
fi
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}
exec cmake --workflow --preset demo
