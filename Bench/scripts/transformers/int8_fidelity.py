#!/usr/bin/env python3
"""INT8 fidelity and speed of a transformer feature extractor: calibrate with `loupe calibrate`
on one set of images, then compare Loupe INT8 against Loupe FP32 on another set.

    python3 Bench/scripts/transformers/int8_fidelity.py [--model Fixtures/transformers/vit_small_features.onnx]
        [--photos Tests/Data/kodak] [--calibration 32] [--evaluation 64] [--loupe .build/release/loupe]

Images are 224x224 crops (4 per photo: the quadrants of the central square region, so a
768x512 photo gives 4 distinct views). Photos are split, not crops: the calibration crops come
from the first photos in sorted order and the evaluation crops from the others, so no photo is
in both sets. Each crop is written as a PNG; `loupe calibrate --images DIR --preset resize`
takes the calibration ones and `loupe run` feeds the evaluation ones, preprocessed as Loupe's
`resize` recipe does (Pillow bilinear to 224x224, ImageNet mean/std).

Reports: the cosine similarity of the INT8 and FP32 outputs (pooled features) per evaluation
image (min, median), and `loupe bench` medians of FP32 and INT8 at 1 thread, measured in
interleaved rounds.
"""
import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def crops(photo):
    img = Image.open(photo).convert("RGB")
    w, h = img.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    half = side // 2
    for dy in (0, half):
        for dx in (0, half):
            yield img.crop((left + dx, top + dy, left + dx + half, top + dy + half)).resize((224, 224), Image.BILINEAR)


def tensor(img):
    x = (np.asarray(img.resize((224, 224), Image.BILINEAR), dtype=np.float32) / 255.0 - MEAN) / STD
    return x.transpose(2, 0, 1)[None].copy()


def loupe_out(loupe, model, x_path, out_path, name):
    subprocess.run([loupe, "run", str(model), "--input", f"{name}={x_path}", "--output", str(out_path)], check=True,
                   capture_output=True)
    return np.load(out_path).ravel()


def bench(loupe, model, runs):
    out = subprocess.run([loupe, "bench", str(model), "--threads", "1", "--runs", str(runs), "--warmup", "2", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "Fixtures" / "transformers" / "vit_small_features.onnx"))
    ap.add_argument("--photos", default=str(ROOT / "Tests" / "Data" / "kodak"))
    ap.add_argument("--calibration", type=int, default=32)
    ap.add_argument("--evaluation", type=int, default=64)
    ap.add_argument("--loupe", default=str(ROOT / ".build" / "release" / "loupe"))
    ap.add_argument("--method", default=None, help="loupe calibrate --method")
    ap.add_argument("--calibrate-arg", action="append", default=[], help="extra argument for loupe calibrate (repeatable)")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    photos = sorted(p for p in Path(a.photos).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    calib_photos = photos[: (a.calibration + 3) // 4]
    eval_photos = photos[len(calib_photos):][: (a.evaluation + 3) // 4]
    if len(eval_photos) * 4 < a.evaluation:
        raise SystemExit(f"{len(photos)} photos give {len(eval_photos) * 4} evaluation crops, fewer than {a.evaluation}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "calib").mkdir()
        for p in calib_photos:
            for k, c in enumerate(crops(p)):
                c.save(tmp / "calib" / f"{p.stem}_{k}.png")
        int8 = tmp / "int8.onnx"
        cmd = [a.loupe, "calibrate", a.model, "--images", str(tmp / "calib"), "--count", str(a.calibration),
               "--preset", "resize", "--output", str(int8)]
        if a.method:
            cmd += ["--method", a.method]
        cmd += a.calibrate_arg
        subprocess.run(cmd, check=True, capture_output=True)
        import onnx
        meta = {p.key: p.value for p in onnx.load(str(int8), load_external_data=False).metadata_props}
        kept = {k: v for k, v in meta.items() if "keep" in k or "fp32" in k.lower()}
        cos = []
        for p in eval_photos:
            for k, c in enumerate(crops(p)):
                if len(cos) == a.evaluation:
                    break
                x = tmp / "x.npy"
                np.save(x, tensor(c))
                f = loupe_out(a.loupe, a.model, x, tmp / "f.npy", "input")
                q = loupe_out(a.loupe, int8, x, tmp / "q.npy", "input")
                cos.append(float(np.dot(f, q) / (np.linalg.norm(f) * np.linalg.norm(q))))
        fp32_ms, int8_ms = [], []
        for _ in range(a.rounds):
            fp32_ms.append(bench(a.loupe, a.model, 10))
            int8_ms.append(bench(a.loupe, int8, 10))
    print(f"model {Path(a.model).name}; calibration: {a.calibration} crops of {len(calib_photos)} photos; "
          f"evaluation: {len(cos)} crops of {len(eval_photos)} other photos; method {a.method or 'default'} "
          f"{' '.join(a.calibrate_arg)}")
    print(f"cosine(INT8, FP32): min {min(cos):.4f}, median {statistics.median(cos):.4f}, "
          f"{sum(c >= 0.99 for c in cos)}/{len(cos)} >= 0.99")
    for k, v in sorted(kept.items()):
        print(f"{k}: {v}")
    f, q = statistics.median(fp32_ms), statistics.median(int8_ms)
    print(f"loupe bench, 1 thread, medians of {a.rounds} interleaved rounds: FP32 {f:.1f} ms, INT8 {q:.1f} ms "
          f"(INT8/FP32 {q / f:.2f})")


if __name__ == "__main__":
    main()
