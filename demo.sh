#!/usr/bin/env bash
# Loupe's main job on the bundled default scorer (tools/models/loupe_iqa.onnx, see
# tools/models/MODEL_CARD.md): installs what is missing, builds in release mode, scores the
# bundled sample photos (two held-out Kodak photos, clean and blurred / noisy / JPEG-
# compressed) and prints them ranked, then shows where each node of the model runs and
# benchmarks it.
# Usage: ./demo.sh [--threads N]
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
swift build -c release --product loupe >/dev/null
LOUPE="$(swift build -c release --show-bin-path)/loupe"
MODEL=tools/models/loupe_iqa.onnx
echo "the bundled sample photos, ranked by the bundled scorer (no --model: the default)"
"$LOUPE" score tools/models/samples "$@"
"$LOUPE" inspect "$MODEL" | tail -n 4
"$LOUPE" bench "$MODEL" --runs 20 --warmup 3 "$@"
