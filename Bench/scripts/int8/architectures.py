#!/usr/bin/env python3
"""Do the challenge's other CNN families quantize without float islands?

For timm's GhostNet, EfficientNet-B0 and MobileNetV3-Large (seed-0 random weights: the
question is which ops the graphs hold, not accuracy), exported by PyTorch's TorchScript
exporter at opset 17 with a static 1x3x224x224 input, it:
  1. runs the float model in Loupe (`loupe run`) and ONNX Runtime on one Kodak photo;
  2. quantizes it with `loupe calibrate --images KODAK --count 4 --preset resize`;
  3. lists the nodes that still compute in float32 (`loupe inspect`'s list);
  4. runs Loupe's QDQ file in Loupe and in ONNX Runtime on the same photo (target:
     correlation >= 0.999 between them);
  5. the same for ONNX Runtime's own QDQ file (quant_pre_process, then quantize_static:
     QDQ, per-channel, int8 activations and weights, MinMax on the same 4 photos), which
     Loupe must load and run in int8 too.
Random-weight outputs are tiny and near-constant, so the agreement numbers only show that
the two runtimes compute the same graph, not quantization quality.

`--models slicenet` adds a small network defined here holding every form of Slice that
exports of these families produce: GhostNet's ghost module cut to an odd width
(`cat(...)[:, :13]`; timm's widths are multiples of 4, so its cuts take everything), a 2x2
space-to-depth by strided slices (Swin's patch merging, YOLO's Focus), a border crop and a
width flip (torch.flip, a Slice of step -1).

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

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
import photos  # noqa: E402

MODELS = ("ghostnet_100", "efficientnet_b0", "mobilenetv3_large_100")
LOCAL = ("slicenet",)


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


def slicenet(torch):
    nn = torch.nn

    class SliceNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU())
            self.primary = nn.Sequential(nn.Conv2d(16, 7, 1), nn.ReLU())
            self.cheap = nn.Sequential(nn.Conv2d(7, 7, 3, 1, 1, groups=7), nn.ReLU())
            self.merge = nn.Sequential(nn.Conv2d(4 * 13, 24, 1), nn.ReLU())
            self.head = nn.Linear(24, 10)

        def forward(self, x):
            x = self.stem(x)
            p = self.primary(x)
            g = torch.cat([p, self.cheap(p)], 1)[:, :13]
            s = torch.cat([g[:, :, 0::2, 0::2], g[:, :, 1::2, 0::2], g[:, :, 0::2, 1::2], g[:, :, 1::2, 1::2]], 1)
            s = self.merge(s)[:, :, 2:-2, 3:-3]
            s = torch.flip(s, dims=[3])
            return self.head(s.mean((2, 3)))

    return SliceNet()


def export(name, path):
    torch, timm = import_timm()
    torch.manual_seed(0)
    model = (slicenet(torch) if name == "slicenet" else timm.create_model(name, pretrained=False)).eval()
    with torch.no_grad():
        torch.onnx.export(model, (torch.randn(1, 3, 224, 224),), str(path), opset_version=17,
                          input_names=["input"], output_names=["output"], dynamo=False, do_constant_folding=True)


def photo_input(path):
    """The photo resized to 224x224 (bilinear), normalised as fidelity.py's inputs are."""
    return photos.normalize(np.asarray(Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR)))


def ort_quantize(fp32, out, photos):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.inputs = iter([{"input": photo_input(f)} for f in photos])

        def get_next(self):
            return next(self.inputs, None)

    pre = out.with_suffix(".pre.onnx")
    quant_pre_process(str(fp32), str(pre))
    quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)


def float_nodes(binary, model):
    """The nodes `loupe inspect` lists as computing in float32 in a quantized model."""
    text = loupe(binary, "inspect", model)
    if "stay float32" not in text:
        return []
    return [l.strip() for l in text.split("stay float32")[1].splitlines()[1:] if l.startswith("  ")]


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
    p.add_argument("--models", default=",".join(MODELS), help=f"timm names, or {', '.join(LOCAL)}")
    args = p.parse_args()
    work = args.work.expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    photos = sorted(args.kodak.glob("*.png"))
    x = photo_input(photos[4])
    rows = []
    for name in args.models.split(","):
        fp32, int8 = work / f"{name}.onnx", work / f"{name}.int8.onnx"
        export(name, fp32)
        row = {"model": name}
        try:
            row["fp32"] = compare(args.loupe, fp32, x, work)
            loupe(args.loupe, "calibrate", fp32, "--images", args.kodak, "--count", 4, "--preset", "resize",
                  "--method", "minmax", "-o", int8)
            row["float_nodes"] = float_nodes(args.loupe, int8)
            row["int8"] = compare(args.loupe, int8, x, work)
            ort8 = work / f"{name}.ort.onnx"
            ort_quantize(fp32, ort8, photos[:4])
            row["ort_float_nodes"] = float_nodes(args.loupe, ort8)
            row["ort_int8"] = compare(args.loupe, ort8, x, work)
        except RuntimeError as e:
            row["error"] = str(e)
        rows.append(row)
        print(row, flush=True)
    print("\n| model | FP32 Loupe vs ORT (corr, max diff / max) | float32 nodes in Loupe's QDQ model | "
          "Loupe vs ORT on it (corr) | float32 nodes in ORT's QDQ model | Loupe vs ORT on it (corr) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | — | error: {r['error'][:160]} | — | — | — |")
            continue
        c, d, m = r["fp32"]
        def nodes(key):
            ops = sorted({f.split()[0] for f in r[key]})  # "Op 'name': reason"
            return f"{len(r[key])}" + (f" ({', '.join(ops)})" if ops else "")
        print(f"| {r['model']} | {c:.6f}, {d / m:.1e} | {nodes('float_nodes')} | {r['int8'][0]:.6f} | "
              f"{nodes('ort_float_nodes')} | {r['ort_int8'][0]:.6f} |")


if __name__ == "__main__":
    main()
