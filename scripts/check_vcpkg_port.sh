#!/usr/bin/env bash
# Installs tessera with vcpkg from this checkout, then builds and runs the consumer projects of
# tests/consumers/ against it: find_package in classic mode, pkg-config, and find_package in
# manifest mode. It also resolves the root vcpkg.json (the development dependencies).
#
#   scripts/check_vcpkg_port.sh <vcpkg-root> [--features eigen,openmp,...] [--system-deps]
#
# <vcpkg-root> is a git clone of the vcpkg registry (https://github.com/microsoft/vcpkg) with
# the vcpkg executable at its root (bootstrap-vcpkg.sh, or a vcpkg-tool build copied there).
#
# The port tested is ports/tessera with one change: its vcpkg_from_github call (the source of a
# release) is replaced by vcpkg_from_git on this repository's HEAD commit. Everything else is the
# shipped port. vcpkg builds the committed tree, so commit before running this.
#
# The features need eigen3, xsimd or zlib from the registry, whose sources vcpkg downloads. With
# --system-deps, stand-in ports satisfy those three dependencies without a download, by leaving
# them to Debian's packages (libeigen3-dev, libxsimd-dev with xtl-dev, zlib1g-dev), which
# tessera's build and the consumers then find on the system. This checks the port's feature
# logic offline; it does not build the registry's eigen3, xsimd or zlib.
#
# VCPKG_FORCE_SYSTEM_BINARIES=1 makes vcpkg use the machine's cmake, ninja and git instead of
# downloading its own; VCPKG_BINARY_SOURCES=clear keeps its binary cache from serving a build of
# an older commit. Both are set here.
set -euo pipefail

usage() { echo "usage: $0 <vcpkg-root> [--features a,b,...] [--system-deps]" >&2; exit 2; }
[ $# -ge 1 ] || usage
vcpkg_root=$(cd "$1" && pwd)
shift
features=""
system_deps=0
while [ $# -gt 0 ]; do
    case $1 in
        --features) features=${2:?--features needs a list}; shift 2 ;;
        --system-deps) system_deps=1; shift ;;
        *) usage ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
vcpkg="$vcpkg_root/vcpkg"
[ -x "$vcpkg" ] || { echo "check_vcpkg_port: $vcpkg is not an executable" >&2; exit 2; }
commit=$(git -C "$repo" rev-parse HEAD)
if [ -n "$(git -C "$repo" status --porcelain -- include CMakeLists.txt cmake ports LICENSE)" ]; then
    echo "check_vcpkg_port: warning: uncommitted changes; vcpkg builds commit $commit without them" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-vcpkg.XXXXXX")
trap 'rm -rf "$work"' EXIT
export VCPKG_FORCE_SYSTEM_BINARIES=1 VCPKG_BINARY_SOURCES=clear
triplet_dir() { find "$1" -mindepth 1 -maxdepth 1 -type d ! -name vcpkg | head -n 1; }
step() { printf '\n=== check_vcpkg_port: %s\n' "$*"; }
fail() { printf 'check_vcpkg_port: FAILED: %s\n' "$*" >&2; exit 1; }

step "overlay port: ports/tessera, source from $repo at $commit"
mkdir -p "$work/ports"
cp -r "$repo/ports/tessera" "$work/ports/tessera"
awk -v url="file://$repo" -v ref="$commit" '
    /^vcpkg_from_github\(/ { skipping = 1
        print "vcpkg_from_git("
        print "    OUT_SOURCE_PATH SOURCE_PATH"
        print "    URL \"" url "\""
        print "    REF " ref
        print ")"
        next }
    skipping && /^\)/ { skipping = 0; next }
    !skipping { print }' "$repo/ports/tessera/portfile.cmake" >"$work/ports/tessera/portfile.cmake"
grep -q '^vcpkg_from_git(' "$work/ports/tessera/portfile.cmake" && ! grep -q vcpkg_from_github "$work/ports/tessera/portfile.cmake" \
    || fail "could not replace vcpkg_from_github in the overlay"
diff -u "$repo/ports/tessera/portfile.cmake" "$work/ports/tessera/portfile.cmake" || true
overlays=(--overlay-ports="$work/ports")

if [ "$system_deps" = 1 ]; then
    step "stand-in ports for eigen3, xsimd and zlib (Debian's packages)"
    for dep in eigen3 xsimd zlib; do
        mkdir -p "$work/system-ports/$dep"
        printf '{\n  "name": "%s",\n  "version-string": "system",\n  "description": "Stand-in: %s from the system packages"\n}\n' \
            "$dep" "$dep" >"$work/system-ports/$dep/vcpkg.json"
        printf 'set(VCPKG_POLICY_EMPTY_PACKAGE enabled)\n' >"$work/system-ports/$dep/portfile.cmake"
    done
    overlays+=(--overlay-ports="$work/system-ports")
fi

spec="tessera"
[ -z "$features" ] || spec="tessera[$features]"
step "vcpkg install $spec (classic mode)"
(cd "$work" && "$vcpkg" install "$spec" "${overlays[@]}" --x-install-root="$work/installed" \
    --x-buildtrees-root="$work/buildtrees" --x-packages-root="$work/packages") \
    || fail "vcpkg install $spec"
installed=$(triplet_dir "$work/installed")
for f in include/tessera/tessera.hpp include/tessera/version.hpp share/tessera/tessera-config.cmake \
         share/tessera/tessera-config-version.cmake share/tessera/usage share/tessera/copyright \
         share/pkgconfig/tessera.pc; do
    [ -f "$installed/$f" ] || fail "$f is missing from $installed"
done
[ ! -e "$installed/lib" ] && [ ! -e "$installed/debug/lib" ] || fail "a header-only port installed libraries"
echo "installed into $installed"

cp -r "$repo/tests/consumers" "$work/consumers"
expect=${features//,/;}
# OpenMP comes from the compiler, not from vcpkg; the consumer finds it the same way.
toolchain="$vcpkg_root/scripts/buildsystems/vcpkg.cmake"

step "consumer: find_package with the vcpkg toolchain (classic mode)"
cmake -S "$work/consumers/find_package" -B "$work/classic" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DVCPKG_MANIFEST_MODE=OFF \
    -DVCPKG_INSTALLED_DIR="$work/installed" -DTESSERA_EXPECT_COMPANIONS="$expect" \
    || fail "configuring the classic-mode consumer"
cmake --build "$work/classic" || fail "building the classic-mode consumer"
"$work/classic/consumer" || fail "running the classic-mode consumer"

step "consumer: pkg-config"
PKG_CONFIG_PATH="$installed/share/pkgconfig" "$work/consumers/pkg_config/build.sh" "$work/pkg_config" \
    || fail "the pkg-config consumer"

step "consumer: find_package in manifest mode"
manifest="$work/consumers/find_package"
baseline=$(git -C "$vcpkg_root" rev-parse HEAD)
if [ -z "$features" ]; then
    dependency='"tessera"'
else
    dependency="{ \"name\": \"tessera\", \"features\": [\"${features//,/\", \"}\"] }"
fi
cat >"$manifest/vcpkg.json" <<EOF
{
  "name": "tessera-consumer",
  "version": "0",
  "builtin-baseline": "$baseline",
  "dependencies": [ $dependency ]
}
EOF
overlay_json="\"$work/ports\""
[ "$system_deps" = 0 ] || overlay_json="$overlay_json, \"$work/system-ports\""
printf '{ "overlay-ports": [ %s ] }\n' "$overlay_json" >"$manifest/vcpkg-configuration.json"
cat "$manifest/vcpkg.json" "$manifest/vcpkg-configuration.json"
cmake -S "$manifest" -B "$work/manifest" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DTESSERA_EXPECT_COMPANIONS="$expect" \
    || fail "configuring the manifest-mode consumer (vcpkg installs tessera here)"
cmake --build "$work/manifest" || fail "building the manifest-mode consumer"
"$work/manifest/consumer" || fail "running the manifest-mode consumer"

step "the root vcpkg.json (development dependencies) resolves"
(cd "$repo" && "$vcpkg" install --dry-run --x-install-root="$work/dev-installed") \
    || fail "vcpkg could not plan the root manifest"

printf '\ncheck_vcpkg_port: tessera installs with vcpkg (%s) and all consumers work\n' "$spec"
