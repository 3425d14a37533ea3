#!/bin/sh
# Consumes an installed tessera with nothing but pkg-config and one compiler command line, then
# runs the program. tessera.pc must be on PKG_CONFIG_PATH:
#
#   PKG_CONFIG_PATH=<prefix>/share/pkgconfig tests/consumers/pkg_config/build.sh <output-dir>
#
# Cflags holds only the include directory; the C++ standard comes from the cxx_std variable, so
# a project on a newer standard keeps its own flag.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh <output-dir>}
mkdir -p "$out"
std=$(pkg-config --variable=cxx_std tessera)
cflags=$(pkg-config --cflags tessera)
set -x
# shellcheck disable=SC2086  # the flags are meant to be split
${CXX:-c++} $std $cflags -O1 "$here/../consumer.cpp" -o "$out/consumer"
"$out/consumer"
