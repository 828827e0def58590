#!/usr/bin/env bash
# Loupe's main job on the bundled default model: installs what is missing, builds in
# release mode, shows where each node of the challenge baseline (MobileNetV3-Large + head,
# 720×1280) runs, benchmarks it, and scores the bundled Kodak photos with the `baseline`
# preset. The bundled model has untrained (seed-0) weights until the default scorer lands:
# its scores show the pipeline working, not photo quality.
# Usage: ./demo.sh [--threads N]
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
swift build -c release --product loupe >/dev/null
LOUPE="$(swift build -c release --show-bin-path)/loupe"
MODEL=tools/models/challenge_baseline.onnx
"$LOUPE" inspect "$MODEL" | tail -n 4
"$LOUPE" bench "$MODEL" --runs 20 --warmup 3 "$@"
echo "scores of the bundled photos (untrained seed-0 weights: not a quality judgement yet)"
"$LOUPE" score Tests/Data/kodak --model "$MODEL" --preset baseline "$@"
