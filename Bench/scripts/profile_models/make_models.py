#!/usr/bin/env python3
"""Exports the external-counter reference models of `loupe profile` and their MAC
counts as measured by counters that are not Loupe's own.

For each model it writes, into OUT_DIR (default Fixtures/profile/, gitignored):
  <name>.onnx   TorchScript ONNX exporter, opset 17, static input 1x3xHxW, eval mode,
                seed-0 random weights (pretrained weights are not needed to count MACs).
  <name>.json   {"input_shape", "macs_torch" (torch.utils.flop_counter FLOPs / 2),
                 "macs_by_op" (aten op -> MACs), "params_torch" (sum of p.numel()),
                 "macs_ptflops_aten" (when ptflops is installed), versions}

Models (timm):
  nf_regnet_b1                    num_classes=1, 1x3x720x720  (paper: 6.36 G)
  swin_tiny_patch4_window7_224    1x3x224x224                  (4.49 G, 4.48 G of it MatMul)

Usage: python3 Bench/scripts/profile_models/make_models.py [OUT_DIR] [--only NAME]
Needs torch, timm (python3 -m pip install timm ptflops). Tooling only: CI never runs it;
Loupe's tests skip the fixtures it makes when they are absent.
"""
import json
import sys
import types
from pathlib import Path

import torch

# torchvision's compiled ops (nms, ...) are not needed by timm's model definitions, and the
# PyPI torchvision wheel's extension does not load against a CPU-only torch wheel; its
# fake-op registrations would then fail at import (same workaround as tools/models/make_baseline.py).
try:
    import torchvision  # noqa: F401
except (RuntimeError, OSError):
    for _name in [m for m in sys.modules if m.startswith("torchvision")]:
        del sys.modules[_name]
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
    import torchvision  # noqa: F401
from torch.utils.flop_counter import FlopCounterMode

REPO = Path(__file__).resolve().parents[3]
MODELS = {
    "nf_regnet_b1": dict(kwargs=dict(num_classes=1), shape=(1, 3, 720, 720)),
    "swin_tiny_patch4_window7_224": dict(kwargs=dict(), shape=(1, 3, 224, 224)),
}


def count_torch(model, x):
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x)
    by_op = {str(k): v // 2 for k, v in counter.get_flop_counts()["Global"].items()}
    return counter.get_total_flops() // 2, by_op


def count_ptflops(model, shape):
    try:
        from ptflops import get_model_complexity_info
    except ImportError:
        return None
    try:
        macs, _ = get_model_complexity_info(model, tuple(shape[1:]), backend="aten", as_strings=False,
                                            print_per_layer_stat=False, verbose=False)
        return int(macs)
    except Exception as e:  # ptflops' aten backend is optional evidence
        print(f"  ptflops failed: {e}", file=sys.stderr)
        return None


def export(name, spec, out_dir):
    import timm
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False, **spec["kwargs"]).eval()
    x = torch.randn(*spec["shape"])
    macs, by_op = count_torch(model, x)
    params = sum(p.numel() for p in model.parameters())
    path = out_dir / f"{name}.onnx"
    with torch.no_grad():
        torch.onnx.export(model, (x,), str(path), opset_version=17, input_names=["input"],
                          output_names=["output"], dynamo=False, do_constant_folding=True)
    info = {
        "model": name, "input_shape": list(spec["shape"]), "macs_torch": macs, "macs_by_op": by_op,
        "params_torch": params, "macs_ptflops_aten": count_ptflops(model, spec["shape"]),
        "counter": "torch.utils.flop_counter.FlopCounterMode total FLOPs / 2 (conv, mm, bmm, addmm, sdpa)",
        "torch": torch.__version__, "timm": timm.__version__,
    }
    (out_dir / f"{name}.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"{name}: {macs / 1e9:.4f} GMACs (torch), params {params:,} -> {path}")


def main():
    args = sys.argv[1:]
    only = None
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1]
        del args[i:i + 2]
    out_dir = Path(args[0]) if args else REPO / "Fixtures" / "profile"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, spec in MODELS.items():
        if only is None or only == name:
            export(name, spec, out_dir)


if __name__ == "__main__":
    main()
