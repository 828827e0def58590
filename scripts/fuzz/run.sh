#!/usr/bin/env bash
# Fuzzes one of Loupe's readers of untrusted files with libFuzzer, under AddressSanitizer.
#
# Usage: scripts/fuzz/run.sh TARGET SECONDS      TARGET: onnx, numpy, image, csv, or all
#                                                (all: each target for SECONDS in turn)
#        scripts/fuzz/run.sh TARGET FILE...      runs the target once on each file (a crash's
#                                                reproducer), no fuzzing
#
# Builds the Fuzz/ package (release, `--sanitize=fuzzer --sanitize=address`; the first build
# takes minutes), makes the seed corpus (scripts/fuzz/seeds.py: the repository's test files
# and small generated models, arrays, photos and tables), then runs the target. Work folder:
# $LOUPE_FUZZ_DIR (default Fuzz/.build/fuzz): seeds/, corpus/TARGET (what libFuzzer found
# worth keeping, kept between runs), artifacts/TARGET (crashing inputs), TARGET.log.
# Ends with one line per target: executions, executions per second, crashes found.
# libFuzzer stops at the first crash; LOUPE_FUZZ_KEEP_GOING=1 runs it in fork mode, which
# records each crash (and hang, and allocation over the cap) and goes on.
# Exit status: 0 when no crash was found, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

usage() { sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
[ $# -ge 2 ] || usage
target=$1
shift
case "$target" in
    onnx) targets=(onnx) ;; numpy) targets=(numpy) ;; image) targets=(image) ;; csv) targets=(csv) ;;
    all) targets=(onnx numpy image csv) ;;
    *) usage ;;
esac
binary() { case "$1" in onnx) echo FuzzONNX ;; numpy) echo FuzzNumPy ;; image) echo FuzzImage ;; csv) echo FuzzCSV ;; esac; }

work=${LOUPE_FUZZ_DIR:-$root/Fuzz/.build/fuzz}
mkdir -p "$work"

# Swift 6.3 drops the coverage instrumentation of `-sanitize=fuzzer` from modules compiled
# whole (-whole-module-optimization, as every release build is): without the explicit
# -sanitize-coverage, libFuzzer would see the C kernels' edges only and mutate blind.
build=(swift build --package-path Fuzz -c release --sanitize=fuzzer --sanitize=address
       -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,trace-cmp,pc-table)
echo "building the fuzz targets (Fuzz/, release, fuzzer + address sanitizer)" >&2
"${build[@]}" >&2
bin=$("${build[@]}" --show-bin-path)

# libFuzzer options shared by every target:
#   -timeout=25       one input taking longer is a finding (a hang), not a slow run
#   -rss_limit_mb     the process's memory cap; an input needing more is a finding
#                     (the ONNX target compiles with a 16 MiB memory limit, the image target
#                     caps photos at 16 MP, so valid inputs stay far below it)
#   -detect_leaks=0   LeakSanitizer would report the Swift runtime's metadata caches, which
#                     live for the whole process by design, as leaks of the first input;
#                     leaks are not what these targets look for (crashes, overflows, hangs)
common=(-timeout=25 -rss_limit_mb=3072 -detect_leaks=0 -print_final_stats=1)
# The same for the leak check AddressSanitizer runs at exit (it reported Foundation's file
# reading buffers as leaked).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# A Swift trap then reaches libFuzzer as a deadly signal at once: Swift's own backtracer would
# spend minutes symbolicating, and fights ASan over the crashed process's memory.
export SWIFT_BACKTRACE=enable=no

if [ -f "$1" ]; then
    # Reproduce: run the target once on each given file.
    exec "$bin/$(binary "${targets[0]}")" "${common[@]}" "$@"
fi
seconds=$1
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

rm -rf "$work/seeds"
python3 scripts/fuzz/seeds.py "$work/seeds"

status=0
summary=()
for t in "${targets[@]}"; do
    mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
    extra=()
    [ "$t" = onnx ] && [ -s "$work/seeds/onnx.dict" ] && extra+=("-dict=$work/seeds/onnx.dict")
    # Photos are small crops; a longer input only slows the decoder down.
    [ "$t" = image ] && extra+=(-max_len=16384)
    [ "$t" = onnx ] && extra+=(-max_len=16384)
    # Tables: room for many rows (libFuzzer's default is the largest seed, under 1 KiB).
    [ "$t" = csv ] && extra+=(-max_len=8192)
    [ "${LOUPE_FUZZ_KEEP_GOING:-0}" = 1 ] && extra+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    log="$work/$t.log"
    # Crashing inputs of earlier runs stay in artifacts/; this run's are those newer than this.
    touch "$work/artifacts/$t.start"
    echo "fuzzing $t for $seconds s (log: $log)" >&2
    set +e
    "$bin/$(binary "$t")" "${common[@]}" "${extra[@]}" -max_total_time="$seconds" \
        -artifact_prefix="$work/artifacts/$t/" "$work/corpus/$t" "$work/seeds/$t" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then
        # Fork mode prints no final stats: the last progress line has the totals.
        last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
        execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
        rate=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$last")
    fi
    crashes=$(find "$work/artifacts/$t" -type f -newer "$work/artifacts/$t.start" | wc -l)
    line="$t: ${execs:-?} executions in $seconds s, ${rate:-?} per second, corpus $(find "$work/corpus/$t" -type f | wc -l) files, $crashes new crashing input(s), libFuzzer exit $rc"
    summary+=("$line")
    if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
        status=1
        grep -m1 -E "ERROR: (AddressSanitizer|libFuzzer)|Fatal error|SUMMARY" "$log" >&2 || true
        find "$work/artifacts/$t" -type f -newer "$work/artifacts/$t.start" >&2
    fi
done
printf '%s\n' "${summary[@]}"
exit $status
