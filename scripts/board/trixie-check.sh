#!/usr/bin/env bash
# Builds Loupe and runs its test suite in a Debian 13 (trixie) amd64 chroot: XNNPACK 2024
# (0.0~git20241108) and, by default, Debian's own swiftlang (Swift 6.0.3). The rootfs is
# made once by rootfs.sh; build folders live in $LOUPE_BOARD_CACHE/build (outside the
# repository). Ends with the build and test times and `swift test`'s summary.
#   LOUPE_BOARD_SWIFT=/opt/swift   build with that swift.org toolchain instead of swiftlang
#   extra arguments go to `swift test` (for example --filter LoupeRuntimeTests)
# Usage: scripts/board/trixie-check.sh [swift test arguments]     (as root)
set -euo pipefail
source "$(dirname "$0")/common.sh"
need_root
board="$(dirname "$0")"
t0=$(date +%s)
"$board/rootfs.sh" amd64 >/dev/null
t_rootfs=$(( $(date +%s) - t0 ))

swift_version=$("$board/chroot.sh" amd64 -- swift --version 2>/dev/null | grep -oE 'Swift version [0-9.]+' | cut -d' ' -f3)
scratch="$LOUPE_BOARD_CACHE/build/trixie-amd64-swift$swift_version"
config="$scratch-config"
echo "trixie amd64: Swift $swift_version, build folder $scratch"

# Swift 6.0 cannot read the manifest of swift-protobuf 1.39 (tools version 6.2). Where no
# older release is reachable (a machine whose GitHub mirror holds only the newest tag), the
# newest one is built from a local copy with a manifest Swift 6.0 reads, through a SwiftPM
# mirror setting kept in the build folder's configuration (never in the repository).
resolve() {
    "$board/chroot.sh" amd64 -- bash -c "cd '$LOUPE_REPO' && swift package --scratch-path '$scratch' --config-path '$config' resolve" 2>&1
}
if ! out=$(resolve); then
    if ! grep -q "swift-protobuf.*incompatible tools version" <<<"$out"; then echo "$out" >&2; exit 1; fi
    echo "no swift-protobuf release for Swift $swift_version is reachable: building a local copy for it"
    "$board/chroot.sh" amd64 -- bash "$LOUPE_REPO/scripts/board/protobuf-compat.sh" "$LOUPE_BOARD_CACHE/build/compat" "$config"
    resolve >/dev/null
fi

t1=$(date +%s)
"$board/chroot.sh" amd64 -- bash -c "cd '$LOUPE_REPO' && swift build --build-tests -Xcc -O2 --scratch-path '$scratch' --config-path '$config'"
t_build=$(( $(date +%s) - t1 ))

t2=$(date +%s)
rc=0
# The arguments quoted for the inner shell, so a filter such as 'A|B' reaches swift test whole.
args=""; (($#)) && args=$(printf '%q ' "$@")
"$board/chroot.sh" amd64 -- bash -c "cd '$LOUPE_REPO' && tools/fixtures/fetch.sh >/dev/null && swift test --skip-build --scratch-path '$scratch' --config-path '$config' $args" \
    > "$scratch.test.log" 2>&1 || rc=$?
t_test=$(( $(date +%s) - t2 ))
grep -E "Test Case .* failed|error:" "$scratch.test.log" | head -40 || true
grep -E "Executed [0-9]+ tests" "$scratch.test.log" | tail -1 || true
echo "trixie amd64, Swift $swift_version, XNNPACK 2024: rootfs ${t_rootfs}s, build ${t_build}s, tests ${t_test}s (log: $scratch.test.log)"
exit $rc
