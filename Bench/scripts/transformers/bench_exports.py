#!/usr/bin/env python3
"""Loupe against ONNX Runtime on the transformer exports of export_models.py, FP32, at 1 and
2 threads: medians of interleaved rounds, side by side in one run.

    python3 Bench/scripts/transformers/bench_exports.py [--loupe .build/release/loupe]
        [--dir Fixtures/transformers] [--models swin_tiny vit_small ...] [--rounds 3] [--runs 20]

Loupe's time is `loupe bench --json`'s median (inference only, inputs already in place);
ONNX Runtime's the median of `session.run` on the same inputs (all graph optimizations on,
intra-op threads as given, one inter-op thread).
"""
import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[3]


def ort_median_ms(path, feeds, threads, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    for _ in range(3):
        s.run(None, feeds)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        s.run(None, feeds)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def loupe_median_ms(loupe, path, threads, runs, extra):
    out = subprocess.run([loupe, "bench", str(path), "--threads", str(threads), "--runs", str(runs), "--warmup", "3",
                          "--json"] + extra, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loupe", default=str(ROOT / ".build" / "release" / "loupe"))
    ap.add_argument("--dir", default=str(ROOT / "Fixtures" / "transformers"))
    ap.add_argument("--models", nargs="*", default=["swin_tiny", "vit_small"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--loupe-arg", action="append", default=[], help="extra argument for loupe bench (repeatable)")
    a = ap.parse_args()
    d = Path(a.dir)
    print(f"onnxruntime {ort.__version__}; medians of {a.rounds} interleaved rounds of {a.runs} runs")
    print("| model | threads | Loupe ms | ONNX Runtime ms | Loupe / ORT |")
    print("|---|---|---|---|---|")
    for name in a.models:
        info = json.loads((d / f"{name}.json").read_text())
        feeds = {k: np.load(d / f"{name}.input.{k}.npy") for k in info["inputs"]}
        path = d / f"{name}.onnx"
        for threads in (1, 2):
            lo, ox = [], []
            for _ in range(a.rounds):
                lo.append(loupe_median_ms(a.loupe, path, threads, a.runs, a.loupe_arg))
                ox.append(ort_median_ms(path, feeds, threads, a.runs))
            l, o = statistics.median(lo), statistics.median(ox)
            print(f"| {name} | {threads} | {l:.2f} | {o:.2f} | {l / o:.2f} |", flush=True)


if __name__ == "__main__":
    main()
