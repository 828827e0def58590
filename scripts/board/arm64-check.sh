#!/usr/bin/env bash
# Loupe on arm64, from nothing, on an x86 machine: a Debian trixie arm64 rootfs run through
# qemu-user-static (rootfs.sh), Loupe built there under emulation with Debian's swiftlang
# and XNNPACK 2024, then the Kernels/ unit tests (every NEON variant against its scalar
# twin) under each emulated CPU:
#   cortex-a53  plain NEON        cortex-a76  + dot product        max  + SVE, i8mm
# Ends with the plain line `N passed, M failed` (test cases over all CPUs).
#   LOUPE_ARM64_CPUS="cortex-a53 max"   the CPUs to run under (default: all three)
#   LOUPE_ARM64_FILTER=REGEX            the `swift test --filter` (default: LoupeKernelsTests)
# Building under emulation is slow (about 17x native; tens of minutes for Loupe).
# Still to come: the real models against ONNX Runtime outputs computed on x86, the bundled
# samples' ranking, `loupe profile` MAC counts, and a cross build from the amd64 rootfs.
# Usage: scripts/board/arm64-check.sh      (as root)
set -euo pipefail
source "$(dirname "$0")/common.sh"
need_root
board="$(dirname "$0")"
start=$(date +%s)
"$board/rootfs.sh" arm64 >/dev/null
t_rootfs=$(( $(date +%s) - start ))

scratch="$LOUPE_BOARD_CACHE/build/trixie-arm64-emulated"
config="$scratch-config"
run() { "$board/chroot.sh" arm64 -- bash -c "cd '$LOUPE_REPO' && $*"; }

# Swift 6.0 and swift-protobuf: as in trixie-check.sh.
if ! out=$(run "swift package --scratch-path '$scratch' --config-path '$config' resolve" 2>&1); then
    grep -q "swift-protobuf.*incompatible tools version" <<<"$out" || { echo "$out" >&2; exit 1; }
    "$board/chroot.sh" arm64 -- bash "$LOUPE_REPO/scripts/board/protobuf-compat.sh" "$LOUPE_BOARD_CACHE/build/compat-arm64" "$config"
fi

t1=$(date +%s)
run "swift build --build-tests -Xcc -O2 --scratch-path '$scratch' --config-path '$config'"
t_build=$(( $(date +%s) - t1 ))

passed=0 failed=0
filter="${LOUPE_ARM64_FILTER:-LoupeKernelsTests}"
for cpu in ${LOUPE_ARM64_CPUS:-cortex-a53 cortex-a76 max}; do
    log="$scratch.$cpu.log"
    QEMU_CPU="$cpu" run "swift test --skip-build --scratch-path '$scratch' --config-path '$config' --filter '$filter'" \
        > "$log" 2>&1 || true
    p=$(grep -cE "^Test Case .* passed" "$log" || true)
    f=$(grep -cE "^Test Case .* failed" "$log" || true)
    # A crash ends the run without a line for the test that crashed: count it as failed.
    grep -qE "Executed [0-9]+ tests" "$log" || f=$((f + 1))
    echo "QEMU_CPU=$cpu: $filter: $p passed, $f failed (log: $log)"
    passed=$((passed + p)); failed=$((failed + f))
done
echo "arm64 under qemu: rootfs ${t_rootfs}s, build ${t_build}s, total $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
