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

# The cross build of arm64 from the amd64 rootfs: Debian's amd64 swiftlang (its clang and
# LLVM have the AArch64 backend, and it ships ld.lld) targets aarch64-unknown-linux-gnu with
# the arm64 rootfs as sysroot, taking the arm64 swiftlang's Swift modules, runtime and
# static stdlib from there (-resource-dir: lib/swift, or lib/swift_static for
# --static-swift-stdlib, as the driver looks there for static-stdlib-args.lnk once a
# resource directory is given). SwiftPM's --sdk reaches clang as --sysroot but not
# swift-frontend as -sdk, without which the Glibc module map is laid over the host's
# /usr/include ("missing required module 'SwiftGlibc'"), so -sdk is passed too. A shared
# runtime gets the rpath where it lives on the board.
# Run the build with LOUPE_BOARD_BIND="$(board_rootfs arm64)" so the sysroot is mounted.
# Usage: board_cross_flags [static]
board_cross_flags() {
    local sysroot flags
    sysroot="$(board_rootfs arm64)"
    flags="--triple aarch64-unknown-linux-gnu --sdk $sysroot -Xswiftc -sdk -Xswiftc $sysroot -Xswiftc -use-ld=lld"
    if [ "${1:-}" = static ]; then
        echo "$flags -Xswiftc -resource-dir -Xswiftc $sysroot/usr/libexec/swift/lib/swift_static"
    else
        echo "$flags -Xswiftc -resource-dir -Xswiftc $sysroot/usr/libexec/swift/lib/swift" \
             "-Xlinker -rpath -Xlinker /usr/libexec/swift/lib/swift/linux"
    fi
}

# Resolves the package for a build folder inside a rootfs, with the swift-protobuf copy of
# protobuf-compat.sh where Swift 6.0 reads no release's manifest (see trixie-check.sh).
# Usage: board_resolve ARCH SCRATCH CONFIG
board_resolve() {
    local arch="$1" scratch="$2" config="$3" out board
    board="$(dirname "${BASH_SOURCE[0]}")"
    mkdir -p "$config"
    # A copy made earlier for this architecture is reused: the checkout's Package.resolved
    # (shared by every build folder) may already pin swift-protobuf to it.
    local compat="$LOUPE_BOARD_CACHE/build/compat-$arch/swift-protobuf"
    if [ -d "$compat/.git" ] && [ ! -f "$config/mirrors.json" ]; then
        printf '{\n  "object" : [\n    {\n      "mirror" : "%s",\n      "original" : "https://github.com/apple/swift-protobuf"\n    }\n  ],\n  "version" : 1\n}\n' \
            "$compat" > "$config/mirrors.json"
    fi
    if ! out=$("$board/chroot.sh" "$arch" -- bash -c "cd '$LOUPE_REPO' && swift package --scratch-path '$scratch' --config-path '$config' resolve" 2>&1); then
        # The checkout's Package.resolved pinning a local copy (made for another cache)
        # reads as malformed without the mirror: a new copy and its mirror mend it.
        grep -qE "swift-protobuf.*incompatible tools version|Package.resolved file is corrupted" <<<"$out" ||
            { echo "$out" >&2; return 1; }
        "$board/chroot.sh" "$arch" -- bash "$LOUPE_REPO/scripts/board/protobuf-compat.sh" "$LOUPE_BOARD_CACHE/build/compat-$arch" "$config"
    fi
}
