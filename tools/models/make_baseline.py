#!/usr/bin/env python3
"""Builds and exports the AIM 2024 UHD-IQA challenge baseline used by Loupe's tests and
benchmarks: torchvision MobileNetV3-Large `features` + global average pool +
Linear(960, 256) + ReLU + Linear(256, 1) = 3,218,225 parameters, exported by PyTorch's
TorchScript ONNX exporter at opset 17 with a static input 1x3x720x1280.

Weights: torch.manual_seed(0) initialisation (weights=None). BatchNorm running statistics
are then re-estimated on photos (train mode, momentum=None = cumulative average, on the 14
landscape Kodak photos and their mirror images at 720x1280) so that activations have
realistic ranges, then the model is put in eval mode and exported; the exporter folds each
BatchNorm into its Conv.

Usage: python3 tools/models/make_baseline.py [OUT.onnx]
Needs torch and torchvision (CPU is enough); CI does not run this: the output is committed
as tools/models/challenge_baseline.onnx.
"""
import sys
import types
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "reference"))
import photos  # noqa: E402

# torchvision's compiled ops (nms, ...) are not needed for the model definition, and the
# PyPI torchvision wheel's extension does not load against a CPU-only torch wheel; its
# fake-op registrations would then fail at import.
try:
    import torchvision  # noqa: F401
except (RuntimeError, OSError):
    for name in [m for m in sys.modules if m.startswith("torchvision")]:
        del sys.modules[name]
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
    import torchvision  # noqa: F401
from torchvision.models import mobilenet_v3_large  # noqa: E402

EXPECTED_PARAMS = 3_218_225
H, W = 720, 1280


def build():
    torch.manual_seed(0)
    return nn.Sequential(
        mobilenet_v3_large(weights=None).features,
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(1),
        nn.Linear(960, 256),
        nn.ReLU(),
        nn.Linear(256, 1),
    )


def reestimate_batchnorm(model, batch_size=4):
    landscape = [n for n in photos.kodak_photos() if photos.load_rgb(n).size == (768, 512)]
    images = [photos.baseline_input(n, H, W, flip=f) for n in landscape for f in (False, True)]
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative moving average over all batches
    model.train()
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            model(torch.from_numpy(np.concatenate(images[i:i + batch_size])))
    model.eval()
    return len(images)


def main(argv):
    out = Path(argv[0]) if argv else HERE / "challenge_baseline.onnx"
    model = build()
    n_params = sum(p.numel() for p in model.parameters())
    if n_params != EXPECTED_PARAMS:
        raise SystemExit(f"parameter count {n_params} != {EXPECTED_PARAMS}")
    n_images = reestimate_batchnorm(model)
    x = torch.from_numpy(photos.baseline_input(photos.BASELINE_PHOTOS[0], H, W))
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(
        model, (x,), str(out),
        opset_version=17,
        input_names=["input"],
        output_names=["score"],
        do_constant_folding=True,
        dynamo=False,
    )
    m = onnx.load(str(out))
    onnx.checker.check_model(m)
    sizes = {t.name: int(np.prod(t.dims)) for t in m.graph.initializer}
    onnx_params = sum(sizes.values())
    # The exporter stores equal constants once (the zero-initialised squeeze-excite biases)
    # and re-creates the copies with Identity nodes.
    aliased = sum(sizes[n.input[0]] for n in m.graph.node if n.op_type == "Identity" and n.input[0] in sizes)
    # Folding a BatchNorm of C channels into a bias-free conv turns 2C parameters (scale,
    # shift) into C (the conv's new bias); nothing else changes.
    bn_channels = sum(mod.num_features for mod in model.modules() if isinstance(mod, nn.BatchNorm2d))
    if onnx_params + aliased + bn_channels != n_params:
        raise SystemExit(f"exported {onnx_params} + {aliased} aliased parameters; expected "
                         f"{n_params} - {bn_channels} folded BatchNorm channels")
    ops = {}
    for node in m.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    print(f"parameters: {n_params} (torch) = {onnx_params} ONNX initializer elements + {aliased} shared "
          f"through Identity + {bn_channels} removed by BatchNorm folding")
    print(f"BatchNorm re-estimated on {n_images} images; score on {photos.BASELINE_PHOTOS[0]}: {y.item():.6f}")
    print(f"ops: {dict(sorted(ops.items()))}")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
