#!/usr/bin/env bash
# Makes (once) a Debian trixie root filesystem for ARCH (amd64 or arm64) with what building
# and testing Loupe needs: Debian's swiftlang (Swift 6.0.3), XNNPACK 2024 and pthreadpool,
# libpng, TurboJPEG, git, python3 with the test references (NumPy, SciPy, Pillow, onnx,
# ONNX Runtime). Kept in $LOUPE_BOARD_CACHE (default
# /var/cache/loupe-board)/trixie-ARCH; a finished rootfs is reused, a half-made one is
# redone. Prints the rootfs path on its last line.
# arm64 on an x86 machine runs debootstrap's second stage and apt through qemu-user-static
# (installed and registered with binfmt_misc here when missing).
# Usage: scripts/board/rootfs.sh ARCH      (as root)
set -euo pipefail
source "$(dirname "$0")/common.sh"
need_root
arch="${1:-}"
case "$arch" in amd64|arm64) ;; *) die "usage: $0 amd64|arm64" ;; esac
root="$(board_rootfs "$arch")"
# Bump when the package list below changes: a rootfs of an older version gets the
# packages again (apt-get install is idempotent) instead of a new debootstrap.
stamp_version=3
if [ -f "$root/.loupe-rootfs" ] && [ "$(cat "$root/.loupe-rootfs")" = "$stamp_version" ]; then
    echo "$root"; exit 0
fi
start=$(date +%s)
mirror="$(board_mirror)"
echo "rootfs: $LOUPE_BOARD_SUITE $arch from $mirror into $root"

have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
host_pkgs=(debootstrap)
host_arch="$(dpkg --print-architecture)"
if [ "$arch" != "$host_arch" ]; then host_pkgs+=(qemu-user-static binfmt-support); fi
missing=(); for p in "${host_pkgs[@]}"; do have "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$arch" != "$host_arch" ]; then
    # Containers often start without binfmt_misc mounted; qemu-user-static's entries have
    # the F flag, so the interpreter is found from inside the chroot too.
    [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 ||
        die "qemu-aarch64 is not registered with binfmt_misc"
fi

if [ -f "$root/.loupe-rootfs" ]; then
    mv "$root" "$root.partial"   # an older version: packages only
    t_debootstrap=0
else
    rm -rf "$root" "$root.partial"
    mkdir -p "$LOUPE_BOARD_CACHE"
    debootstrap --arch="$arch" --variant=minbase --include=ca-certificates \
        "$LOUPE_BOARD_SUITE" "$root.partial" "$mirror"
    t_debootstrap=$(( $(date +%s) - start ))
fi

cp /etc/resolv.conf "$root.partial/etc/resolv.conf"
# Trixie's libxnnpack-dev does not pull libpthreadpool-dev, which its header includes;
# linking the Swift runtime statically (deb.sh) needs libstdc++'s development files.
pkgs=(swiftlang git libxnnpack-dev libpthreadpool-dev libpng-dev libturbojpeg0-dev libstdc++-14-dev
      python3 python3-pip python3-numpy python3-scipy python3-pil)
"$(dirname "$0")/chroot.sh" --root "$root.partial" -- bash -euc "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends ${pkgs[*]} >/dev/null
    apt-get clean
    swift --version"
# The Python references of the tests (ONNX Runtime, the pinned onnx), as ./test.sh installs
# them; trixie packages NumPy, SciPy and Pillow, pip adds the rest.
"$(dirname "$0")/chroot.sh" --root "$root.partial" -- "$LOUPE_REPO/scripts/install-deps.sh" --test
echo "$stamp_version" > "$root.partial/.loupe-rootfs"
mv "$root.partial" "$root"
echo "rootfs: debootstrap ${t_debootstrap}s, total $(( $(date +%s) - start ))s, $(du -sh "$root" | cut -f1)"
echo "$root"
