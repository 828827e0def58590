#!/usr/bin/env bash
# Runs a command inside a board rootfs, with /proc, /sys, /dev and this repository mounted
# (at the same path as outside, so absolute links such as Fixtures/ still resolve; the
# target of Fixtures/ is mounted too). The mounts live in a private mount namespace
# (unshare), so they vanish when the command ends, however it ends.
# LOUPE_BOARD_SWIFT=DIR (a swift.org toolchain, such as /opt/swift) is mounted too and its
# usr/bin goes first on the PATH, in place of the rootfs's own swiftlang.
# LOUPE_BOARD_BIND="DIR..." mounts those folders too, at the same paths (the arm64 rootfs,
# as the sysroot of a cross build from the amd64 one).
# QEMU_CPU, when set, reaches the command (qemu-user picks the emulated arm64 CPU from it).
# Usage: scripts/board/chroot.sh ARCH|--root DIR [--] [command...]   (default: bash)
set -euo pipefail
source "$(dirname "$0")/common.sh"
need_root
if [ "${1:-}" = "--root" ]; then root="$2"; shift 2
else
    case "${1:-}" in amd64|arm64) ;; *) die "usage: $0 amd64|arm64|--root DIR [--] [command...]" ;; esac
    root="$(board_rootfs "$1")"; shift
    [ -f "$root/.loupe-rootfs" ] || die "no rootfs at $root: run scripts/board/rootfs.sh first"
fi
[ "${1:-}" = "--" ] && shift
(($#)) || set -- bash
binds=("$LOUPE_REPO" "$LOUPE_BOARD_CACHE/build" "$LOUPE_BOARD_CACHE/deb")
if [ -L "$LOUPE_REPO/Fixtures" ] && [ -d "$LOUPE_REPO/Fixtures/" ]; then
    binds+=("$(readlink -f "$LOUPE_REPO/Fixtures")")
fi
# The machine's git URL rewrites (a local mirror of GitHub, for SwiftPM's dependencies)
# apply inside too: /etc/gitconfig is copied in and local mirror folders are mounted.
gitconfig=""
if [ -f /etc/gitconfig ]; then
    gitconfig=/etc/gitconfig
    while read -r key _; do
        dir="${key#url.}"; dir="${dir%.insteadof}"
        [ -d "$dir" ] || continue
        dir="$(cd "$dir" && pwd)"
        [[ " ${binds[*]} " == *" $dir "* ]] || binds+=("$dir")
    done < <(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null || true)
fi
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -n "${LOUPE_BOARD_SWIFT:-}" ]; then
    [ -x "$LOUPE_BOARD_SWIFT/usr/bin/swift" ] || die "no toolchain at LOUPE_BOARD_SWIFT=$LOUPE_BOARD_SWIFT"
    LOUPE_BOARD_SWIFT="$(cd "$LOUPE_BOARD_SWIFT" && pwd)"
    binds+=("$LOUPE_BOARD_SWIFT")
    path="$LOUPE_BOARD_SWIFT/usr/bin:$path"
fi
for dir in ${LOUPE_BOARD_BIND:-}; do
    [ -d "$dir" ] || die "LOUPE_BOARD_BIND: no folder $dir"
    binds+=("$(cd "$dir" && pwd)")
done
mkdir -p "$LOUPE_BOARD_CACHE/build" "$LOUPE_BOARD_CACHE/deb"
export gitconfig path
exec unshare --mount --propagation private -- bash -euc '
    root="$1"; shift; nb="$1"; shift
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    for ((i = 0; i < nb; i++)); do
        mkdir -p "$root$1"; mount --bind "$1" "$root$1"; shift
    done
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    [ -z "$gitconfig" ] || cp "$gitconfig" "$root/etc/gitconfig"
    # The machine'"'"'s CA bundle (it may hold a proxy'"'"'s CA) joined to the rootfs'"'"'s own, for pip.
    bundle=/etc/ssl/certs/loupe-ca-bundle.crt
    cat /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt" > "$root$bundle" 2>/dev/null || true
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
        PATH="$path" \
        PIP_BREAK_SYSTEM_PACKAGES=1 PIP_CERT="$bundle" SSL_CERT_FILE="$bundle" REQUESTS_CA_BUNDLE="$bundle" \
        ${QEMU_CPU:+QEMU_CPU="$QEMU_CPU"} "$@"
' chroot-run "$root" "${#binds[@]}" "${binds[@]}" "$@"
