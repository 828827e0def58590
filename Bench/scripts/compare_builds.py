#!/usr/bin/env python3
"""Two builds of loupe side by side: are their outputs the same bits, and is either faster?

For a refactor that must not change behaviour. Each model gets one seeded float32 input
(its declared shape; symbolic dimensions need --shape) run through both binaries with
`loupe run` at 1 and 2 threads; the .npy outputs are compared byte for byte. Then
`loupe bench` alternates the two binaries, ROUNDS rounds, and the table gives the median
of the per-round medians with every round in brackets (the machine is shared: compare the
two columns of one run, never numbers across runs).

    swift build -c release --product loupe        # in each of the two checkouts
    python3 Bench/scripts/compare_builds.py OLD/.build/release/loupe NEW/.build/release/loupe \\
        tools/models/challenge_baseline.onnx tools/models/loupe_iqa.int8.onnx ...

Exit status 1 when any output differs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import onnx


def input_shape(model, override):
    if override:
        return [int(d) for d in override.split("x")]
    inputs = onnx.load(model, load_external_data=False).graph.input
    dims = inputs[0].type.tensor_type.shape.dim
    if any(not d.HasField("dim_value") for d in dims):
        sys.exit(f"compare_builds: {model} has symbolic input dimensions; give --shape")
    return [d.dim_value for d in dims]


def bench_ms(binary, model, threads, runs):
    out = subprocess.run([binary, "bench", model, "--threads", str(threads), "--runs", str(runs), "--warmup", "3",
                          "--json", "--no-progress"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["median_ms"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("models", nargs="+")
    p.add_argument("--shape", help="input shape for every model, e.g. 1x3x224x224 (default: the declared one)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--threads", default="1", help="bench thread counts, comma-separated (default 1)")
    args = p.parse_args()

    differ = False
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            name = os.path.splitext(os.path.basename(model))[0]
            x = np.random.default_rng(7).standard_normal(input_shape(model, args.shape)).astype(np.float32)
            xpath = os.path.join(tmp, f"{name}.x.npy")
            np.save(xpath, x)
            for threads in (1, 2):
                outs = []
                for tag, binary in (("old", args.old), ("new", args.new)):
                    y = os.path.join(tmp, f"{name}.{tag}.{threads}.npy")
                    subprocess.run([binary, "run", model, "--input", xpath, "--output", y, "--threads", str(threads)],
                                   capture_output=True, check=True)
                    with open(y, "rb") as f:
                        outs.append(f.read())
                same = outs[0] == outs[1]
                differ |= not same
                print(f"{name}, {threads} thread(s): outputs {'identical' if same else 'DIFFER'}", flush=True)
            for threads in [int(t) for t in args.threads.split(",")]:
                ms = {"old": [], "new": []}
                for _ in range(args.rounds):
                    for tag, binary in (("old", args.old), ("new", args.new)):
                        ms[tag].append(bench_ms(binary, model, threads, args.runs))
                rows.append((name, threads, ms))

    print()
    print("| model | threads | old: median of round medians (ms) | new (ms) | new / old |")
    print("|---|---|---|---|---|")
    for name, threads, ms in rows:
        o, n = statistics.median(ms["old"]), statistics.median(ms["new"])
        fmt = lambda v: ", ".join(f"{t:.1f}" for t in v)
        print(f"| {name} | {threads} | {o:.1f} ({fmt(ms['old'])}) | {n:.1f} ({fmt(ms['new'])}) | {n / o:.2f} |")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
