# Shared by the scripts in scripts/board/ (sourced, not run).
# LOUPE_BOARD_CACHE: where root filesystems, build folders and packages live (outside the
# repository, so `git clean` and `swift package reset` never throw away a 3 GB rootfs).
LOUPE_BOARD_CACHE="${LOUPE_BOARD_CACHE:-/var/cache/loupe-board}"
LOUPE_BOARD_SUITE="${LOUPE_BOARD_SUITE:-trixie}"
LOUPE_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The Debian mirror this machine's apt already uses (so a machine behind a proxy or with a
# local mirror keeps using it); LOUPE_DEBIAN_MIRROR overrides it.
board_mirror() {
    if [ -n "${LOUPE_DEBIAN_MIRROR:-}" ]; then echo "$LOUPE_DEBIAN_MIRROR"; return; fi
    local m
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | tr -d ' ')
    echo "${m:-http://deb.debian.org/debian}"
}

board_rootfs() { echo "$LOUPE_BOARD_CACHE/$LOUPE_BOARD_SUITE-$1"; }

die() { echo "error: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mounts need it)"; }
