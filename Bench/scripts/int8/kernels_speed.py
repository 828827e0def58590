#!/usr/bin/env python3
"""INT8 kernel paths side by side: Loupe INT8 on its own int8 kernels, Loupe INT8 forced onto
XNNPACK (LOUPE_INT8_KERNELS=xnnpack), and ONNX Runtime's fastest INT8 (quantize_static QDQ,
u8 activations, s8 per-channel weights), on the challenge baseline at 720x1280, one script run.

The quantized files are made here from the photos of --images (default Tests/Data/kodak,
the committed Kodak photos), so that the script needs nothing from outside the repository:
  Loupe  `loupe calibrate MODEL --images DIR --count N --preset baseline --method minmax`
  ORT    quantize_static(per_channel=True, activations QUInt8, weights QInt8, MinMax) on the
         same photos through the `baseline` preset (photos.baseline_input), after
         quant_pre_process, as fidelity.py does.
Calibration changes ranges, not kernels: the times do not depend on it.

Timing as speed.py: each engine in its own process (`loupe bench --json`; ONNX Runtime
intra-op T, sequential, all optimisations), median of --runs after --warmup, and --rounds
rounds of the whole sequence so that drift on a shared machine hits every engine alike;
the table gives each engine's median over all its runs' medians, the ratio of those, and
the ratio within each round with their median (drift between rounds cancels in those).

    swift build -c release --product loupe
    python3 Bench/scripts/int8/kernels_speed.py [--threads 1,2] [--runs 30] [--warmup 5]
        [--rounds 2] [--paths auto,xnnpack] [--loupe PATH] [--work DIR] [--markdown]
--paths lists Loupe's int8 kernel paths to time: auto (LOUPE_INT8_KERNELS unset: the best
own kernels for the CPU) and any value of LOUPE_INT8_KERNELS (vnni512, avx2, scalar, xnnpack).
--also-loupe LABEL=PATH (repeatable) times another loupe build on the auto path in the same
rounds, e.g. the build before a change, so that its ratio comes from the same minutes.
"""
import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
import speed  # noqa: E402

MODEL = REPO / "tools" / "models" / "challenge_baseline.onnx"
SHAPE = [1, 3, 720, 1280]
DEFAULT_WORK = Path.home() / ".cache" / "loupe" / "int8-kernels"


def photos_of(folder, count):
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if len(files) < count:
        sys.exit(f"kernels_speed: {folder} has {len(files)} photos, fewer than --count {count}")
    step = len(files) / count
    return [files[int(i * step)] for i in range(count)]


def make_loupe_int8(loupe, images, count, out):
    if out.is_file():
        return
    cmd = [loupe, "calibrate", str(MODEL), "--images", str(images), "--count", str(count), "--preset", "baseline",
           "--method", "minmax", "-o", str(out)]
    print("kernels_speed: " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def make_ort_u8(photos, work, out):
    if out.is_file():
        return
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    import photos as photo_tools
    from fidelity import NpyReader
    files = []
    for i, p in enumerate(photos):
        f = work / f"calib_{i}.npy"
        if not f.is_file():
            np.save(f, photo_tools.baseline_input(p))
        files.append(f)
    pre = work / "ort_preprocessed.onnx"
    quant_pre_process(str(MODEL), str(pre))
    name = onnx.load(str(pre)).graph.input[0].name
    print(f"kernels_speed: ONNX Runtime quantize_static (QDQ, u8 activations, s8 per-channel weights) -> {out}",
          flush=True)
    quantize_static(str(pre), str(out), NpyReader(name, files), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax, extra_options={"CalibStridedMinMax": 4})


def loupe_path_bench(loupe, model, threads, runs, warmup, path):
    saved = os.environ.pop("LOUPE_INT8_KERNELS", None)
    if path != "auto":
        os.environ["LOUPE_INT8_KERNELS"] = path
    try:
        return speed.loupe_bench(loupe, model, threads, runs, warmup, SHAPE)
    finally:
        os.environ.pop("LOUPE_INT8_KERNELS", None)
        if saved is not None:
            os.environ["LOUPE_INT8_KERNELS"] = saved


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=Path, default=REPO / "Tests" / "Data" / "kodak")
    p.add_argument("--count", type=int, default=8)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--paths", default="auto,xnnpack")
    p.add_argument("--loupe")
    p.add_argument("--also-loupe", action="append", default=[], metavar="LABEL=PATH")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args()
    loupe = speed.find_loupe(args.loupe)
    if not loupe:
        sys.exit("kernels_speed: no loupe binary (swift build -c release --product loupe, or --loupe PATH)")
    work = args.work.expanduser()
    work.mkdir(parents=True, exist_ok=True)
    loupe_q = work / "baseline_loupe_minmax.onnx"
    ort_q = work / "baseline_ort_minmax_uint8.onnx"
    make_loupe_int8(loupe, args.images, args.count, loupe_q)
    make_ort_u8(photos_of(args.images, args.count), work, ort_q)

    paths = args.paths.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    medians = {}  # (threads, engine) -> [median per round]
    for rnd in range(args.rounds):
        for t in threads:
            engines = [(f"loupe int8 ({path})", lambda path=path: loupe_path_bench(loupe, loupe_q, t, args.runs,
                                                                                   args.warmup, path))
                       for path in paths]
            for spec in args.also_loupe:
                label, _, other = spec.partition("=")
                engines.append((f"loupe int8 (auto, {label})",
                                lambda other=other: loupe_path_bench(other, loupe_q, t, args.runs, args.warmup, "auto")))
            engines.append(("onnxruntime int8 (u8 act)", lambda: speed.ort_bench(ort_q, t, args.runs, args.warmup, SHAPE)))
            for name, fn in engines:
                r = fn()
                if "error" in r:
                    sys.exit(f"kernels_speed: {name} t={t}: {r['error']}")
                medians.setdefault((t, name), []).append(r["median_ms"])
                print(f"kernels_speed: round {rnd + 1} t={t} {name}: median {r['median_ms']:.1f} ms "
                      f"(min {r['min_ms']:.1f}, max {r['max_ms']:.1f}), peak RSS {r['peak_rss_mib']:.0f} MiB", flush=True)

    host = speed.machine()
    print()
    print(f"machine: {host.get('Model name', '?')} ({host.get('Architecture', '?')}, {host.get('CPU(s)', '?')} CPUs, "
          f"{host.get('isa', '')}); runs {args.runs}, warm-up {args.warmup}, rounds {args.rounds}")
    ort_name = "onnxruntime int8 (u8 act)"
    sep = " | " if args.markdown else "  "
    head = ["threads", "engine", "median ms per round", "median ms", "/ ORT INT8", "per-round ratios (median)"]
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
    else:
        print(sep.join(head))
    for t in threads:
        ort_ms = statistics.median(medians[(t, ort_name)])
        for (tt, name), ms in medians.items():
            if tt != t:
                continue
            m = statistics.median(ms)
            # Each round times every engine within seconds: its ratios cancel drift between rounds.
            ratios = [v / o for v, o in zip(ms, medians[(t, ort_name)])]
            cells = [str(t), name, ", ".join(f"{v:.1f}" for v in ms), f"{m:.1f}", f"{m / ort_ms:.2f}×",
                     ", ".join(f"{r:.2f}" for r in ratios) + f" ({statistics.median(ratios):.2f}×)"]
            print(("| " + " | ".join(cells) + " |") if args.markdown else sep.join(cells))


if __name__ == "__main__":
    main()
