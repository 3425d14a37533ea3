# Sourced by tessera's scripts: installs missing prerequisites or says exactly how to.

# ensure_packages SCRIPT ELSEWHERE PACKAGE...
# With no PACKAGE, does nothing. On Debian/Ubuntu as root, installs the Debian PACKAGEs with
# apt-get; on Debian otherwise, prints the apt-get command and exits; elsewhere prints the
# package names and ELSEWHERE (what to install with the system's package manager) and exits.
ensure_packages() {
    local script=$1 elsewhere=$2
    shift 2
    [ $# -gt 0 ] || return 0
    if [ -f /etc/debian_version ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "$script: installing $*"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y "$@"
    elif [ -f /etc/debian_version ]; then
        echo "$script: missing prerequisites; run:  sudo apt-get install -y $*" >&2
        exit 1
    else
        echo "$script: missing prerequisites (Debian package names): $*" >&2
        echo "$elsewhere" >&2
        exit 1
    fi
}

# require_cmake SCRIPT: exits unless CMake >= 3.25 is on the PATH.
require_cmake() {
    local version
    version=$(cmake --version | sed -n '1s/[^0-9]*\([0-9][0-9.]*\).*/\1/p')
    if [ "$(printf '3.25\n%s\n' "$version" | sort -V | head -n1)" != 3.25 ]; then
        echo "$1: CMake >= 3.25 is needed (found $version); see https://cmake.org/download/" >&2
        exit 1
    fi
}
