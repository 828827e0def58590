#!/usr/bin/env bash
# Builds the loupe Debian package: a release build with the Swift runtime linked statically
# (--static-swift-stdlib: no toolchain needed where it is installed), the bundled scorer
# (FP32 and INT8) and sample photos under /usr/share/loupe, Depends read from the libraries
# the binary links (dpkg -S), so it names XNNPACK 2024's package on trixie and the 2022 one
# on bookworm.
#   host         this machine (Debian 12: XNNPACK 2022), with the swift on the PATH
#   amd64|arm64  the trixie rootfs of rootfs.sh (XNNPACK 2024, swiftlang); arm64 is
#                cross-compiled from the amd64 rootfs (board_cross_flags in common.sh), or
#                with LOUPE_ARM64_BUILD=emulated built in the arm64 rootfs under qemu-user
# Writes $LOUPE_BOARD_CACHE/deb/loupe_<version>_<arch>.deb and prints its path.
# Usage: scripts/board/deb.sh host|amd64|arm64      (as root)
set -euo pipefail
source "$(dirname "$0")/common.sh"
need_root
target="${1:-}"
board="$(dirname "$0")"
# run: a command where the package is installed (ldd, dpkg); build: where it is compiled.
cross=""
case "$target" in
    host) run() { (cd "$LOUPE_REPO" && bash -c "$*"); }; scratch="$LOUPE_BOARD_CACHE/build/host-release" ;;
    amd64|arm64)
        "$board/rootfs.sh" "$target" >/dev/null
        run() { "$board/chroot.sh" "$target" -- bash -c "cd '$LOUPE_REPO' && $*"; }
        scratch="$LOUPE_BOARD_CACHE/build/trixie-$target-release"
        if [ "$target" = arm64 ] && [ "${LOUPE_ARM64_BUILD:-cross}" = cross ]; then
            "$board/rootfs.sh" amd64 >/dev/null
            cross="$(board_cross_flags static)"
            scratch="$LOUPE_BOARD_CACHE/build/trixie-arm64-cross-release"
        fi ;;
    *) die "usage: $0 host|amd64|arm64" ;;
esac
config="$scratch-config"
mkdir -p "$config"
start=$(date +%s)
if [ -n "$cross" ]; then
    board_resolve amd64 "$scratch" "$config"
    LOUPE_BOARD_BIND="$(board_rootfs arm64)" "$board/chroot.sh" amd64 -- bash -c "cd '$LOUPE_REPO' &&
        swift build -c release --static-swift-stdlib --product loupe $cross --scratch-path '$scratch' --config-path '$config'"
    bin="$scratch/aarch64-unknown-linux-gnu/release/loupe"
else
    if [ "$target" = host ]; then
        (cd "$LOUPE_REPO" && swift package --scratch-path "$scratch" --config-path "$config" resolve)
    else
        board_resolve "$target" "$scratch" "$config"
    fi
    run "swift build -c release --static-swift-stdlib --product loupe --scratch-path '$scratch' --config-path '$config'"
    bin="$scratch/release/loupe"
fi
echo "release build${cross:+ (cross)}: $(( $(date +%s) - start ))s"

arch=$(run "dpkg --print-architecture")
# The version: the last tag if any, else 0.0, with the commit date and hash, and the Debian
# release it was built for (+deb12, +deb13): the bookworm and trixie packages of one commit
# depend on different XNNPACK packages, so they must not share a file name.
version=$(cd "$LOUPE_REPO" && { git describe --tags --abbrev=0 2>/dev/null || echo 0.0; })
version="${version#v}+git$(cd "$LOUPE_REPO" && git log -1 --format=%cd.%h --date=format:%Y%m%d)"
version="$version+deb$(run ". /etc/os-release && echo \$VERSION_ID")"
# Depends: the package of each shared library the binary needs, as dpkg knows it.
depends=$(run "ldd '$bin' | awk '/=> \\// {print \$3}' | xargs -r realpath | xargs -r dpkg -S 2>/dev/null |
               cut -d: -f1 | sort -u | grep -vE '^(libc6|libgcc-s1|libstdc\\+\\+6)$' | paste -sd, | sed 's/,/, /g'")
depends="libc6, libstdc++6${depends:+, $depends}"

pkg="$LOUPE_BOARD_CACHE/deb/loupe_${version}_${arch}"
rm -rf "$pkg"
install -D -m 0755 "$bin" "$pkg/usr/bin/loupe"
# The strip of the package's own architecture (this machine's may not read an arm64 binary).
run "strip --strip-unneeded '$pkg/usr/bin/loupe'"
install -D -m 0644 -t "$pkg/usr/share/loupe/models" "$LOUPE_REPO/tools/models/loupe_iqa.onnx" \
    "$LOUPE_REPO/tools/models/loupe_iqa.int8.onnx" "$LOUPE_REPO/tools/models/MODEL_CARD.md"
install -D -m 0644 -t "$pkg/usr/share/loupe/samples" "$LOUPE_REPO"/tools/models/samples/*
install -D -m 0644 "$LOUPE_REPO/README.md" "$pkg/usr/share/doc/loupe/README.md"
mkdir -p "$pkg/DEBIAN"
cat > "$pkg/DEBIAN/control" <<EOF
Package: loupe
Version: $version
Architecture: $arch
Maintainer: Loupe maintainers <loupe@localhost>
Depends: $depends
Section: graphics
Priority: optional
Installed-Size: $(du -sk "$pkg/usr" | cut -f1)
Description: photo-quality models on edge boards
 Imports ONNX image-quality models, optimizes them and runs them on XNNPACK and Loupe's
 own kernels. loupe score ranks photos with the bundled scorer
 (/usr/share/loupe/models); loupe profile and loupe bench measure models.
EOF
dpkg-deb --root-owner-group --build "$pkg" "$pkg.deb" >/dev/null
rm -rf "$pkg"
echo "Depends: $depends"
echo "$pkg.deb"
