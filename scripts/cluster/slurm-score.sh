#!/usr/bin/env bash
# Scores a photo collection as a Slurm job array: N tasks, task i scores shard i+1 of N
# (loupe score --shards N reads SLURM_ARRAY_TASK_ID), each into OUT_DIR/scores-<i>.csv.
#
#   scripts/cluster/slurm-score.sh [--wait] [--tasks IDS] [--threads T] [--loupe PATH] \
#       PHOTOS MODEL N OUT_DIR [-- SBATCH_OPTION...]
#
#   PHOTOS   a folder (each task walks it) or a photo list, one path per line (nothing walked:
#            the better choice for large collections)
#   MODEL    the ONNX scoring model, e.g. tools/models/loupe_iqa.onnx
#   N        number of array tasks (0..N-1)
#   OUT_DIR  task outputs and logs (slurm-<job>_<task>.log)
#   --wait       wait for the array, then join the outputs:
#                loupe merge OUT_DIR/scores-*.csv -o OUT_DIR/merged.csv --expect PHOTOS
#                (exit 0 complete, 3 photos failed or missing: listed)
#   --tasks IDS  submit only these tasks (e.g. 2 or 1,3): a cancelled or failed task run again
#                continues its output (--resume)
#   --threads T  threads (and CPUs) per task, default 1
#   --loupe PATH the loupe executable (default $LOUPE, else .build/release/loupe,
#                .build/debug/loupe, loupe on PATH)
# Prints the job id. Options after -- go to sbatch (partition, time limit, account...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
wait=0 tasks_only="" threads=1 loupe=${LOUPE:-}
while [ $# -gt 0 ]; do
    case $1 in
        --wait) wait=1; shift ;;
        --tasks) tasks_only=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --loupe) loupe=$2; shift 2 ;;
        --) break ;;
        -*) echo "unknown option $1" >&2; exit 64 ;;
        *) break ;;
    esac
done
[ $# -ge 4 ] || { sed -n '2,24p' "$0" >&2; exit 64; }
photos=$1 model=$2 n=$3 out=$4
shift 4
[ "${1:-}" = "--" ] && shift
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive number, not '$n'" >&2; exit 64; }
[ -e "$photos" ] || { echo "no such photo list or folder: $photos" >&2; exit 1; }
[ -f "$model" ] || { echo "no such model: $model" >&2; exit 1; }
if [ -z "$loupe" ]; then
    for c in "$root/.build/release/loupe" "$root/.build/debug/loupe" "$(command -v loupe || true)"; do
        if [ -n "$c" ] && [ -x "$c" ]; then loupe=$c; break; fi
    done
fi
[ -n "$loupe" ] && [ -x "$loupe" ] || { echo "no loupe executable: build it (swift build -c release) or give --loupe" >&2; exit 1; }
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
mkdir -p "$out"
out=$(cd "$out" && pwd)
loupe=$(abs "$loupe")
model=$(abs "$model")
# The folder or list as given, so that output paths read the same as a single `loupe score` run.
array=${tasks_only:-0-$((n - 1))}
job=$(sbatch --parsable --array="$array" --cpus-per-task="$threads" \
    --output="$out/slurm-%A_%a.log" "$@" \
    "$here/score-task.sbatch" "$loupe" "$photos" "$model" "$n" "$out" "$threads")
job=${job%%;*}
echo "$job"
if [ "$wait" = 1 ]; then
    # sbatch --wait would also do, but polling keeps working when the caller's session is short-lived.
    while [ -n "$(squeue -h -j "$job" -o %i 2>/dev/null)" ]; do sleep 2; done
    shopt -s nullglob
    "$loupe" merge "$out"/scores-*.csv -o "$out/merged.csv" --expect "$photos"
fi
