#!/usr/bin/env python3
"""Where an INT8 model's time goes, by layer family, for one or more loupe builds side by side:
runs `loupe profile MODEL --json` with each binary (alternating, --rounds times) and sums the
per-layer milliseconds by the kernel that ran them (1x1 conv + Gemm, depthwise, an
expansion streamed into its depthwise step, the first windowed conv, the squeeze-excite multiply, the input's quantization and transpose, the rest). Medians over rounds.

    python3 Bench/scripts/int8/profile_families.py MODEL.onnx OLD_LOUPE NEW_LOUPE [--threads 1]
        [--runs 10] [--rounds 3] [--input-shape 1x3x720x1280]
"""
import argparse
import json
import statistics
import subprocess
import tempfile
from collections import defaultdict


def family(placement):
    if "rows streamed" in placement:
        return "1x1 expansion + depthwise, streamed"
    if "dwconv" in placement:
        return "depthwise 3x3 / 5x5"
    if "im2col" in placement:
        return "first conv (im2col + GEMM)"
    if "gemm" in placement or "convolution2d_nhwc_qc8" in placement or "fully_connected" in placement:
        return "1x1 conv + Gemm"
    if "mul_channels" in placement or "multiply_nd_qs8" in placement:
        return "squeeze-excite multiply"
    if "transpose" in placement or "nchw_to_nhwc" in placement or "convert_nc_f32_qs8" in placement:
        return "input: QuantizeLinear + NCHW -> NHWC"
    return "other"


def profile(loupe, model, args):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([loupe, "profile", model, "--input-shape", args.input_shape, "--runs", str(args.runs),
                        "--threads", str(args.threads), "--json", f.name], check=True, stdout=subprocess.DEVNULL)
        d = json.load(open(f.name))
    fams = defaultdict(float)
    for layer in d["layers"]:
        fams[family(layer.get("placement", ""))] += layer.get("ms") or 0
    fams["whole model (median)"] = d["ms"]["median"]
    return fams


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("loupe", nargs="+")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--input-shape", default="1x3x720x1280")
    args = ap.parse_args()
    got = {b: defaultdict(list) for b in args.loupe}
    for _ in range(args.rounds):
        for b in args.loupe:
            for k, v in profile(b, args.model, args).items():
                got[b][k].append(v)
    keys = sorted({k for b in got for k in got[b]}, key=lambda k: (k.startswith("whole"), k))
    print("| family | " + " | ".join(args.loupe) + " |")
    print("|---|" + "---|" * len(args.loupe))
    for k in keys:
        print(f"| {k} | " + " | ".join(f"{statistics.median(got[b][k]):.1f}" if got[b][k] else "—"
                                      for b in args.loupe) + " |")


if __name__ == "__main__":
    main()
