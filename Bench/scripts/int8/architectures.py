#!/usr/bin/env python3
"""Do the challenge's other CNN families quantize without float islands? (issue 4)

For timm's GhostNet, EfficientNet-B0 and MobileNetV3-Large (seed-0 random weights: the
question is which ops the graphs hold, not accuracy), exported by PyTorch's TorchScript
exporter at opset 17 with a static 1x3x224x224 input, it:
  1. runs the float model in Loupe (`loupe run`) and ONNX Runtime on one Kodak photo;
  2. quantizes it with `loupe calibrate --images KODAK --count 4 --preset resize`;
  3. lists the nodes that still compute in float32 (`loupe inspect`'s list);
  4. runs Loupe's QDQ file in Loupe and in ONNX Runtime on the same photo (issue 4:
     correlation >= 0.999 between them).
Random-weight outputs are tiny and near-constant, so the agreement numbers only show that
the two runtimes compute the same graph, not quantization quality.

    python3 Bench/scripts/int8/architectures.py --loupe .build/release/loupe

Needs torch, timm, onnx, onnxruntime, Pillow; writes into --work (default
~/.cache/loupe/architectures), never into the repository.
"""
import argparse
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

REPO = Path(__file__).resolve().parents[3]
MODELS = ("ghostnet_100", "efficientnet_b0", "mobilenetv3_large_100")
MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


def import_timm():
    import torch
    # torchvision's compiled ops do not load against the CPU torch wheel; timm's model
    # definitions do not need them (tools/models/make_baseline.py does the same).
    try:
        import torchvision  # noqa: F401
    except (RuntimeError, OSError):
        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
    import timm
    return torch, timm


def export(name, path):
    torch, timm = import_timm()
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False).eval()
    with torch.no_grad():
        torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), str(path), opset_version=17,
                          input_names=["input"], output_names=["output"], dynamo=False, do_constant_folding=True)


def photo_input(path):
    img = np.asarray(Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.float64) / 255
    return ((img - MEAN) / STD).astype(np.float32).transpose(2, 0, 1)[None].copy()


def loupe(binary, *args):
    p = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"loupe {args[0]} exited {p.returncode}: {(p.stderr or p.stdout).strip()[-500:]}")
    return p.stdout


def compare(binary, model, x, work):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    ref = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0].ravel()
    np.save(work / "x.npy", x)
    loupe(binary, "run", model, "--input", work / "x.npy", "--output", work / "y.npy")
    y = np.load(work / "y.npy").ravel()
    return float(np.corrcoef(ref, y)[0, 1]), float(np.abs(ref - y).max()), float(np.abs(ref).max())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--loupe", type=Path, default=REPO / ".build" / "release" / "loupe")
    p.add_argument("--kodak", type=Path, default=REPO.parent / "shared" / "data" / "kodak24")
    p.add_argument("--work", type=Path, default=Path.home() / ".cache" / "loupe" / "architectures")
    p.add_argument("--models", default=",".join(MODELS))
    args = p.parse_args()
    work = args.work.expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    x = photo_input(sorted(args.kodak.glob("*.png"))[4])
    rows = []
    for name in args.models.split(","):
        fp32, int8 = work / f"{name}.onnx", work / f"{name}.int8.onnx"
        export(name, fp32)
        row = {"model": name}
        try:
            row["fp32"] = compare(args.loupe, fp32, x, work)
            loupe(args.loupe, "calibrate", fp32, "--images", args.kodak, "--count", 4, "--preset", "resize",
                  "--method", "minmax", "-o", int8)
            text = loupe(args.loupe, "inspect", int8)
            floats = [l.strip() for l in text.split("stay float32")[1].splitlines()[1:] if l.startswith("  ")] \
                if "stay float32" in text else []
            row["float_nodes"] = floats
            row["int8"] = compare(args.loupe, int8, x, work)
        except RuntimeError as e:
            row["error"] = str(e)
        rows.append(row)
        print(row, flush=True)
    print("\n| model | FP32 Loupe vs ORT (corr, max diff / max) | float32 nodes in the QDQ model | INT8 Loupe vs ORT on Loupe's QDQ (corr) |")
    print("|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | — | error: {r['error'][:160]} | — |")
            continue
        c, d, m = r["fp32"]
        ops = sorted({f.split()[0] for f in r["float_nodes"]})  # "Op 'name': reason"
        print(f"| {r['model']} | {c:.6f}, {d / m:.1e} | {len(r['float_nodes'])}"
              f"{' (' + ', '.join(ops) + ')' if ops else ''} | {r['int8'][0]:.6f} |")


if __name__ == "__main__":
    main()
