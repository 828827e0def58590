#!/usr/bin/env bash
# Loupe's main job on the bundled default model: installs what is missing, builds in
# release mode, shows where each node of the challenge baseline (MobileNetV3-Large + head,
# 720×1280) runs, and benchmarks it. Usage: ./demo.sh [--threads N]
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
swift build -c release --product loupe >/dev/null
LOUPE="$(swift build -c release --show-bin-path)/loupe"
MODEL=tools/models/challenge_baseline.onnx
"$LOUPE" inspect "$MODEL" | tail -n 8
"$LOUPE" bench "$MODEL" --runs 20 --warmup 3 "$@"
