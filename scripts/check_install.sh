#!/usr/bin/env bash
# Checks that tessera can be consumed the ways README.md describes, with the projects in
# tests/consumers/: installed (find_package, also with the optional dependencies hidden, and
# pkg-config with a plain compiler command line), add_subdirectory, and FetchContent (from a
# file:// archive and from SOURCE_DIR). Each builds and runs tests/consumers/consumer.cpp.
# Everything happens in a temporary directory; any failure stops the script with an error.
#
#   scripts/check_install.sh          (uses $CXX if set, else the default compiler)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
consumers="$repo/tests/consumers"

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

step() { printf '\n=== check_install: %s\n' "$*"; }
fail() { printf 'check_install: FAILED: %s\n' "$*" >&2; exit 1; }

# Configures, builds and runs tests/consumers/<project> in $work/<name>; extra arguments go to
# cmake.
consume() {
    local project=$1 name=$2
    shift 2
    cmake -S "$consumers/$project" -B "$work/$name" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@" \
        || fail "configuring the consumer ($name)"
    cmake --build "$work/$name" || fail "building the consumer ($name)"
    "$work/$name/consumer" || fail "running the consumer ($name)"
}

step "every place that states the version agrees with include/tessera/version.hpp"
version_part() { sed -n "s/^#define TESSERA_VERSION_$1 \([0-9]*\).*/\1/p" "$repo/include/tessera/version.hpp"; }
header_version="$(version_part MAJOR).$(version_part MINOR).$(version_part PATCH)"
for manifest in vcpkg.json ports/tessera/vcpkg.json; do
    stated=$(sed -n 's/^ *"version[-a-z]*": *"\([^"]*\)".*/\1/p' "$repo/$manifest" | head -n 1)
    [ "$stated" = "$header_version" ] \
        || fail "$manifest says version '$stated', include/tessera/version.hpp says $header_version"
done
grep -q "^## $header_version\b" "$repo/CHANGELOG.md" || fail "CHANGELOG.md has no '## $header_version' section"
echo "ok: version $header_version in version.hpp, both vcpkg manifests and CHANGELOG.md"

step "install tessera into $prefix"
cmake -S "$repo" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$prefix" \
    || fail "configuring tessera"
cmake --build "$work/build" || fail "building tessera"
cmake --install "$work/build" || fail "installing tessera"

cmakedir="$prefix/share/cmake/tessera"
for f in include/tessera/version.hpp include/tessera/tessera.hpp \
         share/cmake/tessera/tessera-config.cmake share/cmake/tessera/tessera-config-version.cmake \
         share/cmake/tessera/tessera-targets.cmake share/pkgconfig/tessera.pc; do
    [ -f "$prefix/$f" ] || fail "$f is missing from the install"
done
companions=()
for f in "$cmakedir"/tessera-*-targets.cmake; do
    [ -e "$f" ] || continue
    case $f in *-targets-*.cmake) continue ;; esac
    name=${f##*/tessera-}
    companions+=("${name%-targets.cmake}")
done
expected=$(IFS=';'; echo "${companions[*]:-}")
echo "installed companion targets: ${expected:-none}"

step "find_package(tessera CONFIG REQUIRED)"
consume find_package find_package -DCMAKE_PREFIX_PATH="$prefix" -DTESSERA_EXPECT_COMPANIONS="$expected"

step "find_package without Eigen, xsimd, OpenMP or zlib on the machine"
consume find_package find_package_bare -DCMAKE_PREFIX_PATH="$prefix" -DTESSERA_EXPECT_NO_COMPANIONS=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_Eigen3=ON -DCMAKE_DISABLE_FIND_PACKAGE_xsimd=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_OpenMP=ON -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON

step "a version request of the next major version is refused"
next_major=$(($(version_part MAJOR) + 1))
mkdir -p "$work/version_probe"
cat >"$work/version_probe/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(version_probe LANGUAGES CXX)
find_package(tessera $next_major.0 CONFIG QUIET)
if(tessera_FOUND)
  message(FATAL_ERROR "tessera $next_major.0 was accepted")
endif()
find_package(tessera \${tessera_probe_version} CONFIG REQUIRED)
EOF
version=$(sed -n 's/^Version: //p' "$prefix/share/pkgconfig/tessera.pc")
cmake -S "$work/version_probe" -B "$work/version_probe/build" "${generator[@]}" \
    -DCMAKE_PREFIX_PATH="$prefix" -Dtessera_probe_version="$version" >/dev/null \
    || fail "version check (find_package(tessera $next_major.0) must fail, $version must succeed)"
echo "ok: $next_major.0 refused, $version accepted"

step "pkg-config"
command -v pkg-config >/dev/null 2>&1 || fail "pkg-config is not installed (apt-get install pkg-config)"
export PKG_CONFIG_PATH="$prefix/share/pkgconfig"
echo "pkg-config: version $(pkg-config --modversion tessera), cflags: $(pkg-config --cflags tessera)"
"$consumers/pkg_config/build.sh" "$work/pkg_config" || fail "the pkg-config consumer"

step "add_subdirectory"
consume add_subdirectory add_subdirectory -DTESSERA_SOURCE_DIR="$repo"

step "FetchContent from a file:// archive"
archive="$work/tessera-src.tar.gz"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # What a release would hold: tracked files plus new files that are not ignored.
    # shellcheck disable=SC2016  # $f is expanded by the inner sh
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh \
        | tar --null -T - -czf "$archive") || fail "packing the sources"
else
    tar -C "$repo" --exclude=./build --exclude=./.git -czf "$archive" . || fail "packing the sources"
fi
sha=$(sha256sum "$archive" | cut -d' ' -f1)
consume fetchcontent fetch_url -DTESSERA_FETCH_URL="file://$archive" \
    -DTESSERA_FETCH_SHA256="$sha"

step "FetchContent with SOURCE_DIR"
consume fetchcontent fetch_source_dir -DTESSERA_SOURCE_DIR="$repo"

printf '\ncheck_install: all ways of consuming tessera work\n'
