#!/usr/bin/env bash
# Scores a collection on a real one-node Slurm cluster (brought up on loopback under a
# temporary folder by slurm-local.sh, torn down at the end; every wait is bounded) and checks the result against
# one `loupe score` process:
#   - 200 photos (crops of the Kodak set, in subfolders) and 3 corrupt ones, 4-task array
#     through slurm-score.sh with a photo list;
#   - task 1 cancelled with scancel once it has scored a few photos, resubmitted alone: it
#     resumes (rows kept, none scored twice);
#   - loupe merge: every photo once, the same scores (same text, so the same bits) as the
#     single process, the corrupt photos listed, nothing missing, exit 3 (some failed).
# Ends with the line `N passed, M failed`; exit 1 when anything failed.
# Needs root, python3 with Pillow, and a built loupe (LOUPE, default .build/debug/loupe);
# installs slurm-wlm and munge when missing (scripts/install-deps.sh --cluster).
set -uo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --cluster >/dev/null || { echo "FAILED: installing slurm-wlm and munge"; echo "0 passed, 1 failed"; exit 1; }
root=$(pwd)
loupe=${LOUPE:-$root/.build/debug/loupe}
model=$root/tools/models/loupe_iqa.onnx
passed=0 failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
bad() { echo "FAILED: $1"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || return 1
        sleep 0.1
    done
}
# Finished rows of a score file (a row cut off by a kill has no newline and is not counted).
rows() { if [ -f "$1" ]; then tail -n +2 "$1" | wc -l; else echo 0; fi; }

[ -x "$loupe" ] || { bad "no loupe executable at $loupe (swift build first)"; finish; }
tmp=$(mktemp -d /tmp/loupe-slurm-check.XXXXXX)
chmod 711 "$tmp"   # munged runs as the munge user under it
cluster=$tmp/cluster
# Sourced: the daemons are children of this shell, which reaps them when they stop.
source scripts/cluster/slurm-local.sh
cleanup() { slurm_local_down "$cluster" || true; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Photos: 200 different crops, then three that cannot be decoded.
photos=$tmp/photos
python3 - "$root/Tests/Data/kodak" "$photos" <<'PY' || { bad "making the photos (python3 with Pillow)"; finish; }
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
kodak = sorted(f for f in os.listdir(src) if f.endswith(".jpg"))
for i in range(200):
    im = Image.open(os.path.join(src, kodak[i % len(kodak)])).convert("RGB")
    x, y = (i * 37) % (im.width - 320), (i * 23) % (im.height - 240)
    folder = os.path.join(dst, "roll%d" % (i % 5))
    os.makedirs(folder, exist_ok=True)
    im.crop((x, y, x + 320, y + 240)).save(os.path.join(folder, "p%03d.jpg" % i), quality=85 + i % 10)
data = open(os.path.join(src, kodak[0]), "rb").read()
open(os.path.join(dst, "roll0", "truncated.jpg"), "wb").write(data[: len(data) // 3])
open(os.path.join(dst, "roll1", "zero.jpg"), "wb").close()
open(os.path.join(dst, "roll2", "text.jpg"), "w").write("not a photo\n")
PY
find "$photos" -type f | LC_ALL=C sort > "$tmp/list.txt"
[ "$(wc -l < "$tmp/list.txt")" = 203 ] && ok "203 photos made" || bad "expected 203 photos, found $(wc -l < "$tmp/list.txt")"

if ! slurm_local_up "$cluster" >/dev/null; then
    bad "one-node Slurm cluster did not start (logs above)"
    finish
fi
ok "slurmctld and slurmd up on loopback ($(sinfo -h -o '%c CPUs, %T'))"

# The array, with task 1 cancelled part-way.
out=$tmp/out
job=$(scripts/cluster/slurm-score.sh --loupe "$loupe" "$tmp/list.txt" "$model" 4 "$out") \
    && ok "4-task array submitted (job $job)" || { bad "sbatch failed"; finish; }
if wait_for 240 bash -c "[ \$(tail -n +2 '$out/scores-1.csv' 2>/dev/null | grep -c .) -ge 3 ]"; then
    scancel "${job}_1"
    ok "task 1 cancelled after $(rows "$out/scores-1.csv") photos"
else
    bad "task 1 did not score 3 photos within 240 s: $(cat "$out"/slurm-*_1.log 2>/dev/null)"
fi
wait_for 400 bash -c "[ -z \"\$(squeue -h -j $job -o %i)\" ]" && ok "array finished" || bad "array still running after 400 s: $(squeue)"
kept=$(rows "$out/scores-1.csv")

job2=$(timeout 400 scripts/cluster/slurm-score.sh --loupe "$loupe" --tasks 1 --wait "$tmp/list.txt" "$model" 4 "$out" 2>"$tmp/merge1.err" | head -1)
log2=$out/slurm-${job2}_1.log
if grep -q "resume: $kept photos already scored" "$log2" && ! grep -q ", 0 to go" "$log2"; then
    ok "task 1 resubmitted resumed: $(grep -o 'resume: .*' "$log2")"
else
    bad "task 1 did not resume its $kept rows: $(cat "$log2" 2>/dev/null)"
fi
dups=$(tail -n +2 "$out/scores-1.csv" | cut -d, -f1 | sort | uniq -d | wc -l)
[ "$dups" = 0 ] && ok "no photo of task 1 scored twice" || bad "$dups photos of task 1 scored twice"

# One process over the folder, then the merge of the array's outputs.
"$loupe" score "$photos" --model "$model" -o "$tmp/single.csv" 2>"$tmp/single.err"
rc=$?
[ "$rc" = 3 ] && ok "single process: exit 3 (3 corrupt photos)" || bad "single process exit $rc: $(tail -5 "$tmp/single.err")"
"$loupe" merge "$out"/scores-*.csv -o "$tmp/merged.csv" --expect "$tmp/list.txt" 2>"$tmp/merge.err"
rc=$?
summary=$(tail -1 "$tmp/merge.err")
[ "$rc" = 3 ] && ok "merge: exit 3 (corrupt photos listed)" || bad "merge exit $rc: $(cat "$tmp/merge.err")"
[[ "$summary" == *"200 scored, 3 failed, 0 missing, 0 duplicate(s), 0 conflict(s), 0 truncated file(s)" ]] \
    && ok "merge: $summary" || bad "merge summary: $summary"
if cmp -s <(cut -d, -f1,2 "$tmp/merged.csv" | LC_ALL=C sort) <(cut -d, -f1,2 "$tmp/single.csv" | LC_ALL=C sort); then
    ok "merged scores equal the single process's, photo by photo, to the last digit"
else
    bad "merged scores differ: $(diff <(cut -d, -f1,2 "$tmp/merged.csv" | LC_ALL=C sort) <(cut -d, -f1,2 "$tmp/single.csv" | LC_ALL=C sort) | head -5)"
fi
if cmp -s <(LC_ALL=C sort "$tmp/merged.errors.csv") <(LC_ALL=C sort "$tmp/single.errors.csv"); then
    ok "the same 3 photos listed as failed, for the same reasons"
else
    bad "failures differ: $(diff "$tmp/merged.errors.csv" "$tmp/single.errors.csv")"
fi
finish
