#!/usr/bin/env bash
# Builds Loupe and its tests with AddressSanitizer (Swift and C) and UndefinedBehaviorSanitizer
# (the C kernels, codecs and XNNPACK glue: swiftc has no -sanitize=undefined on Linux, so the
# C targets get clang's -fsanitize=undefined, whose handlers the ASan runtime provides), then
# runs the test suite, or the part of it given, under them.
#
# Usage: scripts/sanitize/asan.sh [swift test arguments]
#   scripts/sanitize/asan.sh                                   every test target, one process
#   scripts/sanitize/asan.sh --filter 'LoupeKernelsTests|LoupeImagingTests'
#   scripts/sanitize/asan.sh --parts [TARGET...]               every test target (or those
#                                                              named) in a process of its own
#
# --parts runs the whole suite one test target at a time, so that an ASan report (which
# stops its process) costs only the rest of that target, and ends with a table: per target
# the exit status, tests run, failures, ASan/LSan and UBSan reports and minutes; logs in
# .build-asan/parts/TARGET.log.
#
# Build folder: .build-asan (the normal .build is left alone). The fixtures and Python
# references are those of ./test.sh (run it once first). An ASan report stops the test
# process, so the last test named is the one at fault; UBSan reports are counted and the run
# goes on. Known reports that are not Loupe's are listed, each with its reason, in asan.supp,
# lsan.supp (LeakSanitizer, at exit) and ubsan.supp. Log: .build-asan/asan.log. Ends with the
# test result and the number of UBSan reports; exit status 1 when either is bad.
# Not part of ./test.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/scripts/sanitize
flags=(--sanitize=address -Xcc -fsanitize=undefined --scratch-path .build-asan)

swift build --build-tests "${flags[@]}" || exit 1
log=$root/.build-asan/asan.log
export ASAN_OPTIONS="suppressions=$here/asan.supp:detect_leaks=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="suppressions=$here/ubsan.supp:print_stacktrace=1:halt_on_error=0"
# The Swift backtracer would take over ASan's crash reports.
export SWIFT_BACKTRACE=enable=no

if [ "${1:-}" = --parts ]; then
    shift
    targets=("$@")
    if [ ${#targets[@]} = 0 ]; then
        # Every test target of the manifest, in its order.
        mapfile -t targets < <(sed -n 's/.*\.testTarget(name: "\([A-Za-z]*\)".*/\1/p' Package.swift)
    fi
    mkdir -p .build-asan/parts
    rows=()
    all=0
    for t in "${targets[@]}"; do
        plog=.build-asan/parts/$t.log
        started=$(date +%s)
        swift test --skip-build "${flags[@]}" --filter "^$t\." >"$plog" 2>&1
        rc=$?
        minutes=$(awk -v s="$started" -v e="$(date +%s)" 'BEGIN { printf "%.1f", (e - s) / 60 }')
        # XCTest's summary, "Executed N tests, with [K tests skipped and] M failures (U
        # unexpected)"; the last one is the total.
        summary=$(grep -E 'Executed [0-9]+ tests?, with' "$plog" | tail -1)
        executed=$(sed -nE 's/.*Executed ([0-9]+) test.*/\1/p' <<<"$summary")
        failures=$(sed -nE 's/.* ([0-9]+) failures? .*/\1/p' <<<"$summary")
        ub=$(grep -c 'runtime error:' "$plog" || true)
        asan=$(grep -c '^==[0-9]*==ERROR: \(AddressSanitizer\|LeakSanitizer\)' "$plog" || true)
        rows+=("$(printf '%-24s %4s %8s %8s %6s %6s %7s' "$t" "$rc" "${executed:-?}" "${failures:-?}" "$asan" "$ub" "$minutes")")
        echo "${rows[-1]}" >&2
        if [ "$rc" != 0 ] || [ "$ub" != 0 ] || [ "$asan" != 0 ]; then all=1; fi
    done
    printf '%-24s %4s %8s %8s %6s %6s %7s\n' target exit tests failures asan ubsan minutes
    printf '%s\n' "${rows[@]}"
    exit $all
fi

swift test --skip-build "${flags[@]}" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
ub=$(grep -c 'runtime error:' "$log" || true)
asan=$(grep -c '^==[0-9]*==ERROR: \(AddressSanitizer\|LeakSanitizer\)' "$log" || true)
echo "swift test exit $status; AddressSanitizer/LeakSanitizer reports: $asan; UBSan reports: $ub (log: $log)"
[ "$status" = 0 ] && [ "$ub" = 0 ] && [ "$asan" = 0 ]
