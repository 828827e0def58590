#!/usr/bin/env bash
# Builds Loupe with ThreadSanitizer (`--sanitize=thread`) and runs its threaded paths at
# 2 and 4 threads: `loupe run`, `bench`, `score` (decoding the next photo while the model
# runs), `calibrate` (observers updated on several threads) on the bundled model and
# photos, then the test targets that drive the same paths from the library.
#
# Usage: scripts/sanitize/tsan.sh
#
# Build folder: .build-tsan. XNNPACK, pthreadpool and libjpeg/libpng are Debian's
# uninstrumented libraries: TSan sees the memory accesses of Loupe's own kernels that
# pthreadpool runs on its workers, and the pool's fork and join through Loupe's annotations
# (loupe_pool_sync_* in Sources/CXNNPACK). Reports that are not Loupe's would be listed in
# tsan.supp, each with its reason. Ends with the number of reports; exit status 1 when there
# is one. Not part of ./test.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/scripts/sanitize
flags=(--sanitize=thread --scratch-path .build-tsan)

swift build --build-tests "${flags[@]}" || exit 1
bin=$(swift build "${flags[@]}" --show-bin-path)
log=$root/.build-tsan/tsan.log
: >"$log"
# The Swift backtracer would take over a crash report.
export SWIFT_BACKTRACE=enable=no
export TSAN_OPTIONS="suppressions=$here/tsan.supp:halt_on_error=0:exitcode=66:second_deadlock_stack=1:log_path=$root/.build-tsan/tsan-report"
rm -f "$root"/.build-tsan/tsan-report.*
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=tools/models/loupe_iqa.onnx
photos=tools/models/samples
status=0
step() {
    echo "== $*" | tee -a "$log"
    "$@" >>"$log" 2>&1
    local rc=$?
    if [ "$rc" -ne 0 ]; then echo "   exit $rc" | tee -a "$log"; status=1; fi
}
python3 -c "import numpy as np; np.save('$work/x.npy', np.random.default_rng(0).random((1, 3, 720, 1280), np.float32))" \
    || { echo "python3 with numpy is needed (scripts/install-deps.sh --test)"; exit 1; }
for t in 2 4; do
    step "$bin/loupe" run "$model" --threads "$t" --input "$work/x.npy" --output "$work/y.npy"
    step "$bin/loupe" bench "$model" --threads "$t" --runs 2 --warmup 1
    step "$bin/loupe" score --threads "$t" "$photos"
    step "$bin/loupe" calibrate "$model" --threads "$t" --images "$photos" --count 2 -o "$work/q$t.onnx"
    step "$bin/loupe" score --threads "$t" --model tools/models/loupe_iqa.int8.onnx "$photos"
done
# The library's own threaded tests: the batch scorer's pipeline, executors at 2+ threads.
step swift test --skip-build "${flags[@]}" --filter 'BatchTests|ExecutorTests|Int8ModelTests'
reports=$(cat "$root"/.build-tsan/tsan-report.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
echo "ThreadSanitizer reports: $reports (in $root/.build-tsan/tsan-report.*; command output in $log)"
[ "$reports" = 0 ] || status=1
exit $status
