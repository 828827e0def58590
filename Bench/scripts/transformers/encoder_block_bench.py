#!/usr/bin/env python3
"""Loupe against ONNX Runtime on one ViT encoder block (Tests/Tools/transformers/encoder_block.py),
FP32, at 1 and 2 threads: medians of interleaved runs, side by side in one run.

    python3 Bench/scripts/transformers/encoder_block_bench.py [--loupe .build/release/loupe]
        [--tokens 197] [--dim 384] [--heads 6] [--mlp 1536] [--rounds 3] [--runs 30]

The defaults are one block of vit_small_patch16_224 (12 of them make the encoder);
`--vit 12` measures the whole ViT-S/16 at 224x224 (patch embedding, class token, 12 blocks,
head of 1000 classes) instead.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def ort_median_ms(path, x, threads, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    for _ in range(3):
        s.run(None, {"x": x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        s.run(None, {"x": x})
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def loupe_median_ms(loupe, path, threads, runs):
    out = subprocess.run([loupe, "bench", path, "--threads", str(threads), "--runs", str(runs), "--warmup", "3", "--json"],
                         check=True, capture_output=True, text=True).stdout
    d = json.loads(out)
    return d["median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loupe", default=os.path.join(ROOT, ".build", "release", "loupe"))
    ap.add_argument("--tokens", type=int, default=197)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--mlp", type=int, default=1536)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--vit", type=int, default=0, metavar="DEPTH")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "Tools", "transformers", "encoder_block.py"), tmp,
                        "--tokens", str(a.tokens), "--dim", str(a.dim), "--heads", str(a.heads), "--mlp", str(a.mlp)]
                       + (["--vit", str(a.vit), "--classes", "1000"] if a.vit else []),
                       check=True)
        path = os.path.join(tmp, "model.onnx")
        x = np.load(os.path.join(tmp, "x.npy"))
        rows = []
        for threads in (1, 2):
            lo, ox = [], []
            for _ in range(a.rounds):
                lo.append(loupe_median_ms(a.loupe, path, threads, a.runs))
                ox.append(ort_median_ms(path, x, threads, a.runs))
            rows.append((threads, statistics.median(lo), statistics.median(ox)))
    what = f"ViT, {a.vit} blocks, 224x224" if a.vit else f"encoder block: {a.tokens} tokens"
    print(f"{what}, dim {a.dim}, {a.heads} heads, MLP {a.mlp}; onnxruntime {ort.__version__}")
    print("| threads | Loupe ms | ONNX Runtime ms | Loupe / ORT |")
    print("|---|---|---|---|")
    for t, l, o in rows:
        print(f"| {t} | {l:.2f} | {o:.2f} | {l / o:.2f} |")


if __name__ == "__main__":
    main()
