#!/usr/bin/env bash
# Builds and runs tessera's demo programs, tessera_demo, fashion_mnist_knn, spam_filter and
# spambase_logreg (preset `demo`).
# It needs only a C++20 compiler, CMake >= 3.25 and Ninja, which are installed with apt-get on
# Debian/Ubuntu when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/prerequisites.sh
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
command -v "${CXX:-c++}" >/dev/null 2>&1 || missing+=(g++)
ensure_packages demo.sh "Install CMake >= 3.25, Ninja and a C++20 compiler, then run this script again." "${missing[@]}"
require_cmake demo.sh
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}
exec cmake --workflow --preset demo
