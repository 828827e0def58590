#!/usr/bin/env bash
# Runs a command inside a board rootfs, with /proc, /sys, /dev and this repository mounted
# (at the same path as outside, so absolute links such as Fixtures/ still resolve; the
# target of Fixtures/ is mounted too). The mounts live in a private mount namespace
# (unshare), so they vanish when the command ends, however it ends.
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
binds=("$LOUPE_REPO" "$LOUPE_BOARD_CACHE/build")
if [ -L "$LOUPE_REPO/Fixtures" ] && [ -d "$LOUPE_REPO/Fixtures/" ]; then
    binds+=("$(readlink -f "$LOUPE_REPO/Fixtures")")
fi
mkdir -p "$LOUPE_BOARD_CACHE/build"
exec unshare --mount --propagation private -- bash -euc '
    root="$1"; shift; nb="$1"; shift
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    for ((i = 0; i < nb; i++)); do
        mkdir -p "$root$1"; mount --bind "$1" "$root$1"; shift
    done
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        PIP_BREAK_SYSTEM_PACKAGES=1 "$@"
' chroot-run "$root" "${#binds[@]}" "${binds[@]}" "$@"
