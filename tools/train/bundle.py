#!/usr/bin/env python3
"""Turns a trained scorer (train.py --export) into Loupe's bundled default model and
measures it through Loupe itself.

Steps, each printed as it runs:
  1. half storage: every float32 initializer of rank >= 2 (the conv and linear weights,
     99.9% of the bytes) is stored as float16 and widened by a Cast node, so the file is half
     the size while the arithmetic stays float32 (ONNX Runtime and Loupe both fold the Cast);
     1-D tensors (biases) stay float32. Writes <out>/loupe_iqa.onnx. A model that is already
     half-stored (no float32 initializer of rank >= 2, e.g. the bundled loupe_iqa.onnx itself)
     is copied byte for byte, and step 3 scores it once, as "fp32" (there is no float32-weight
     model to compare it with).
  2. INT8: `loupe calibrate` on `--count` TRAINING photos (never the held-out ones), spread
     over the quality range the scorer is meant for (`--calibration distorted`, the default:
     photo i clean or at one distortion and level, cycling through them, as `--uhd-iqa`
     stratifies its photos over MOS; `clean` = the photos as they are), `baseline` preset,
     `--method` (default mse), `--keep-fp32` (default auto: mixed precision, the
     layers whose int8 rounding the score is most sensitive to stay float, see
     Calibration/README.md) -> <out>/loupe_iqa.int8.onnx (standard QDQ). `--int8 FILE`
     skips this step and evaluates FILE (copied there) instead.
  3. deployed evaluation on the HELD-OUT photos: each photo at train.py's scale (short side
     720), clean and at levels 1..5 of every distortion of dataset.py, written as PNG and
     scored by `loupe score --preset baseline` (the real pipeline: decode, the preset's centre
     2:1 crop resized to 1280x720, the model) with the exported float32 model, the half-stored
     one and the INT8 one. The target of each image is targets.py's full-reference score on
     the region the preset looks at. Reports SRCC / PLCC against the targets, per distortion
     SRCC, the monotone rate (blur, noise, JPEG: score falls from each level to the next) and
     SRCC / PLCC between the models' scores.
Writes <work>/bundle.json with every number and the commands.

    python3 tools/train/bundle.py ~/.cache/loupe/train/seed0/model.onnx \\
        --loupe .build/release/loupe --out tools/models
"""
import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from PIL import Image
from scipy import stats

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import dataset  # noqa: E402
import targets as T  # noqa: E402

MONOTONE = ("blur", "noise", "jpeg")


def store_half(src, dst):
    """Copy of the ONNX model at `src` with rank >= 2 float32 initializers stored as float16
    behind a Cast to float32. Returns (bytes before, bytes after, largest |w| relative error,
    initializers converted); a model with none to convert is copied byte for byte."""
    m = onnx.load(str(src))
    g = m.graph
    if not any(i.data_type == onnx.TensorProto.FLOAT and len(i.dims) >= 2 for i in g.initializer):
        if Path(src).resolve() != Path(dst).resolve():
            shutil.copyfile(src, dst)
        return Path(src).stat().st_size, Path(dst).stat().st_size, 0.0, 0
    keep, casts, worst = [], [], 0.0
    for init in g.initializer:
        w = numpy_helper.to_array(init)
        if init.data_type != onnx.TensorProto.FLOAT or w.ndim < 2:
            keep.append(init)
            continue
        if np.abs(w).max() >= 65504:
            raise SystemExit(f"bundle: initializer {init.name} exceeds the float16 range")
        h = w.astype(np.float16)
        big = np.abs(w) > 1e-4  # relative error of the normal range (tiny weights underflow harmlessly)
        if big.any():
            worst = max(worst, float((np.abs(h.astype(np.float32) - w)[big] / np.abs(w[big])).max()))
        name16 = f"{init.name}::f16"
        keep.append(numpy_helper.from_array(h, name16))
        casts.append(helper.make_node("Cast", [name16], [init.name], to=onnx.TensorProto.FLOAT,
                                      name=f"{init.name}::widen"))
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(dst))
    return Path(src).stat().st_size, Path(dst).stat().st_size, worst, len(casts)


def run(cmd):
    print("$ " + " ".join(str(c) for c in cmd), flush=True)
    t = time.time()
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-4000:] + p.stderr[-4000:])
        raise SystemExit(f"bundle: {cmd[1]} exited {p.returncode}")
    return p.stdout, time.time() - t


def preset_region(a):
    """The region of `a` (H x W x 3) that the `baseline` preset resizes to 1280x720."""
    ref = dataset.int8_photos.imaging_reference
    h, w = a.shape[:2]
    return ref.crop(a, ref.baseline_box(w, h))


def write_eval_set(held, seed, folder):
    """PNG files of every held-out photo clean and distorted; returns [(file, photo id,
    distortion or None, level, target)]."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for pi, src in enumerate(held):
        clean = dataset.load_photo(src["file"])
        rng = np.random.default_rng([seed, 2_000_000 + pi])
        variants = [(None, 0, clean)]
        for name in dataset.DISTORTIONS:
            for lv in range(1, dataset.LEVELS + 1):
                variants.append((name, lv, dataset.distort(clean, name, lv, rng)))
        ref = preset_region(clean)[None]
        for name, lv, img in variants:
            f = folder / f"{src['id']}__{name or 'clean'}_{lv}.png"
            if not f.exists():
                Image.fromarray(img).save(f, compress_level=1)
            tgt = float(T.targets(ref, preset_region(img)[None])[0])
            rows.append((str(f), src["id"], name, lv, tgt))
        print(f"\reval set: {pi + 1}/{len(held)} photos", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return rows


def calibration_variant(i, seed):
    """(distortion or None, level) of the i-th calibration photo: the clean photo and each of
    dataset.DISTORTIONS in turn, at a level drawn from (seed, i), so that the calibration set
    covers the scorer's range of quality as the held-out set does (without its photos)."""
    names = [None] + list(dataset.DISTORTIONS)
    name = names[i % len(names)]
    if name is None:
        return None, 0
    return name, int(np.random.default_rng([seed, 3_000_000 + i]).integers(1, dataset.LEVELS + 1))


def write_calibration_set(chosen, seed, distorted, folder):
    """PNG files of the chosen training photos (distorted or clean), and no other file in
    `folder` (loupe calibrate reads the whole folder); returns their names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i, s in enumerate(chosen):
        name, lv = calibration_variant(i, seed) if distorted else (None, 0)
        f = folder / f"{s['id']}__{name or 'clean'}_{lv}.png"
        if not f.exists():
            img = dataset.load_photo(s["file"])
            if name is not None:
                img = dataset.distort(img, name, lv, np.random.default_rng([seed, 4_000_000 + i]))
            Image.fromarray(img).save(f, compress_level=1)
        names.append(f.name)
    for stale in folder.iterdir():  # left by a run with another --count or --seed
        if stale.name not in names:
            stale.unlink()
    return names


def read_scores(path):
    with open(path) as f:
        return {r["path"]: float(r["score"]) for r in csv.DictReader(f)}


def judge(rows, scores):
    pred = np.array([scores[r[0]] for r in rows])
    tgt = np.array([r[4] for r in rows])
    res = {"n": len(rows), "srcc": float(stats.spearmanr(pred, tgt)[0]),
           "plcc": float(stats.pearsonr(pred, tgt)[0]),
           "rmse": float(np.sqrt(((pred - tgt) ** 2).mean()))}
    res["srcc_per_distortion"] = {}
    for name in dataset.DISTORTIONS:
        idx = [i for i, r in enumerate(rows) if r[2] in (name, None)]
        res["srcc_per_distortion"][name] = float(stats.spearmanr(pred[idx], tgt[idx])[0])
    by = {(r[1], r[2], r[3]): scores[r[0]] for r in rows}
    falls = total = 0
    for pid in sorted({r[1] for r in rows}):
        for name in MONOTONE:
            seq = [by[(pid, None, 0)]] + [by[(pid, name, lv)] for lv in range(1, dataset.LEVELS + 1)]
            falls += sum(a > b for a, b in zip(seq, seq[1:]))
            total += len(seq) - 1
    res["monotone_rate"] = falls / total
    res["monotone_pairs"] = [falls, total]
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", type=Path, help="train.py --export output (float32 ONNX)")
    p.add_argument("--loupe", type=Path, default=REPO / ".build" / "release" / "loupe")
    p.add_argument("--out", type=Path, default=REPO / "tools" / "models")
    p.add_argument("--work", type=Path, default=Path.home() / ".cache" / "loupe" / "bundle")
    p.add_argument("--seed", type=int, default=0, help="train.py's seed (the split)")
    p.add_argument("--count", type=int, default=32, help="calibration photos (training split)")
    p.add_argument("--calibration", choices=("distorted", "clean"), default="distorted",
                   help="calibration photos spread over the quality range (default) or clean")
    p.add_argument("--method", default="mse")
    p.add_argument("--keep-fp32", default="auto", help="loupe calibrate --keep-fp32 (none, auto, auto:DB, NODE,...)")
    p.add_argument("--int8", type=Path, help="evaluate this INT8 file instead of calibrating one (step 2 skipped)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--eval-photos", type=int, default=0, help="only N held-out photos, evenly spaced (0 = all; a quick check)")
    args = p.parse_args()
    work = args.work.expanduser().resolve()
    if REPO in work.parents or work == REPO:
        raise SystemExit("bundle: --work must be outside the repository")
    work.mkdir(parents=True, exist_ok=True)
    loupe = args.loupe.resolve()
    summary = {"source_model": str(args.model), "seed": args.seed}

    fp32 = args.model.expanduser().resolve()
    half = args.out / "loupe_iqa.onnx"
    int8 = args.out / "loupe_iqa.int8.onnx"
    args.out.mkdir(parents=True, exist_ok=True)
    before, after, worst, converted = store_half(fp32, half)
    already_half = converted == 0
    summary["half_storage"] = {"fp32_bytes": before, "bytes": after, "max_rel_weight_error": worst,
                               "initializers_converted": converted, "source_already_half_stored": already_half}
    if already_half:
        print(f"half storage: {fp32} has no float32 weight to convert (already half-stored): copied as is; "
              f"'fp32' below is this model")
    else:
        print(f"half storage: {before:,} -> {after:,} bytes (largest relative weight change {worst:.2e})")

    train, held = dataset.split(dataset.photo_sources(), args.seed)
    calib = work / f"calibration-{args.calibration}"
    chosen = dataset.int8_photos.evenly_spaced(train, args.count)
    calib_files = write_calibration_set(chosen, args.seed, args.calibration == "distorted", calib)
    cmd = [loupe, "calibrate", half, "--images", calib, "--count", args.count, "--preset", "baseline",
           "--method", args.method, "--keep-fp32", args.keep_fp32, "--threads", args.threads, "-o", int8]
    if args.int8:
        if args.int8.resolve() != int8.resolve():
            shutil.copyfile(args.int8, int8)
        summary["int8"] = {"file": str(args.int8.resolve()), "bytes": int8.stat().st_size}
        print(f"int8: {args.int8} ({int8.stat().st_size:,} bytes), not calibrated here")
    else:
        _, secs = run(cmd)
        summary["int8"] = {"command": " ".join(str(c) for c in cmd), "seconds": secs,
                           "bytes": int8.stat().st_size, "calibration_photos": calib_files}
        print(f"int8: {int8.stat().st_size:,} bytes, calibrated in {secs:.0f}s")

    if args.eval_photos:
        held = dataset.int8_photos.evenly_spaced(held, args.eval_photos)
    rows = write_eval_set(held, args.seed, work / "held-out")
    summary["eval_set"] = {"photos": [s["id"] for s in held], "images": len(rows)}
    results = {}
    models = (("fp32", half), ("int8", int8)) if already_half else (("fp32", fp32), ("half", half), ("int8", int8))
    for label, model in models:
        out = work / f"scores-{label}.csv"
        cmd = [loupe, "score", work / "held-out", "--model", model, "--preset", "baseline",
               "--threads", args.threads, "-o", out]
        out.unlink(missing_ok=True)
        _, secs = run(cmd)
        scores = read_scores(out)
        res = judge(rows, scores)
        res.update(seconds=secs, command=" ".join(str(c) for c in cmd))
        results[label] = res
        print(f"{label}: SRCC {res['srcc']:.4f} PLCC {res['plcc']:.4f} monotone {res['monotone_rate']:.3f} "
              f"({secs:.0f}s for {len(rows)} images)", flush=True)
        results[label]["scores"] = [scores[r[0]] for r in rows]
    for a, b in ((("fp32", "int8"),) if already_half else (("fp32", "half"), ("fp32", "int8"), ("half", "int8"))):
        x, y = np.array(results[a]["scores"]), np.array(results[b]["scores"])
        summary[f"{a}_vs_{b}"] = {"srcc": float(stats.spearmanr(x, y)[0]), "plcc": float(stats.pearsonr(x, y)[0]),
                                  "max_abs_diff": float(np.abs(x - y).max())}
        print(f"{a} vs {b}: SRCC {summary[f'{a}_vs_{b}']['srcc']:.5f} max |diff| {summary[f'{a}_vs_{b}']['max_abs_diff']:.4f}")
    for r in results.values():
        del r["scores"]
    summary["results"] = results
    (work / "bundle.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {half}, {int8}, {work / 'bundle.json'}")


if __name__ == "__main__":
    main()
