#!/usr/bin/env python3
"""Exports the challenge's transformer architectures to ONNX, with an input and ONNX
Runtime's output for each, so Loupe can be checked and benchmarked against them.

For each model it writes, into OUT_DIR (default Fixtures/transformers/, gitignored):
  <name>.onnx          the export (random seed-0 weights: pretrained weights are not needed
                       to check numbers or speed)
  <name>.input.<graph input>.npy     one seeded input per graph input (float32, N(0,1))
  <name>.expected.<graph output>.npy ONNX Runtime's outputs (CPU, 1 thread) on those inputs
  <name>.json          {"inputs", "outputs", "macs_torch" (torch.utils.flop_counter/2),
                        "exporter", "opset", versions}

Models (timm unless said):
  swin_tiny                swin_tiny_patch4_window7_224, TorchScript exporter opset 17
  swin_tiny_dynamo         the same through torch.export (dynamo=True)
  swin_base_384            swin_base_patch4_window12_384, opset 17
  vit_small                vit_small_patch16_224, opset 17 (LayerNormalization op)
  vit_small_features       the same without its classifier: the pooled 384-d feature (INT8 fidelity)
  vit_small_opset13        the same at opset 13 (LayerNorm and GELU written out of elementary ops)
  clip_vit_b16             vit_base_patch16_clip_quickgelu_224 (CLIP ViT-B/16 image tower, QuickGELU)
  deit_tiny_distilled      deit_tiny_distilled_patch16_224 (two tokens, two heads averaged)
  mobilevit_s              mobilevit_s at 256x256
  sjtu                     three Swin-T feature branches on three inputs, concatenated into a
                           2-layer MLP (the challenge winner's layout)
  mnv3_transformer         MobileNetV3-Large features at 384x640 + torch.nn.TransformerEncoderLayer
                           over the feature-map tokens + mean + linear

Usage: python3 Bench/scripts/transformers/export_models.py [OUT_DIR] [--only NAME ...]
Needs torch, timm, onnxscript (dynamo), onnx, onnxruntime. Tooling only: CI never runs it;
Loupe's tests skip the fixtures it makes when they are absent.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parents[3]


def timm_model(name, fused_attention=True, **kwargs):
    import timm
    import timm.layers
    # Opset 13 has no scaled_dot_product_attention: timm then writes attention as its own
    # MatMul/Softmax/MatMul, which is what older exports of these models hold.
    timm.layers.set_fused_attn(fused_attention)
    return timm.create_model(name, pretrained=False, **kwargs)


class SJTUStyle(nn.Module):
    """Three Swin-T branches (resized image, fragment mosaic, centre crop), pooled features
    concatenated into a 2-layer MLP."""

    def __init__(self):
        super().__init__()
        self.branches = nn.ModuleList(
            [timm_model("swin_tiny_patch4_window7_224", num_classes=0) for _ in range(3)])
        self.head = nn.Sequential(nn.Linear(3 * 768, 256), nn.GELU(), nn.Linear(256, 1))

    def forward(self, resized, fragments, crop):
        feats = [b(x) for b, x in zip(self.branches, (resized, fragments, crop))]
        return self.head(torch.cat(feats, dim=1))


class MobileNetTransformer(nn.Module):
    """MobileNetV3 feature map -> 1x1 projection -> tokens -> TransformerEncoderLayer -> mean -> score."""

    def __init__(self, dim=256):
        super().__init__()
        self.backbone = timm_model("mobilenetv3_large_100", features_only=True, out_indices=(4,))
        self.project = nn.Conv2d(960, dim, 1)
        self.encoder = nn.TransformerEncoderLayer(d_model=dim, nhead=8, dim_feedforward=4 * dim,
                                                  batch_first=True, dropout=0.0)
        self.score = nn.Linear(dim, 1)

    def forward(self, x):
        f = self.project(self.backbone(x)[0])
        tokens = f.flatten(2).transpose(1, 2)
        return self.score(self.encoder(tokens).mean(dim=1))


def spec(name):
    """(module factory, input shapes, input names, opset, dynamo)"""
    one = ["input"]
    table = {
        "swin_tiny": (lambda: timm_model("swin_tiny_patch4_window7_224"), [(1, 3, 224, 224)], one, 17, False),
        "swin_tiny_dynamo": (lambda: timm_model("swin_tiny_patch4_window7_224"), [(1, 3, 224, 224)], one, 18, True),
        "swin_base_384": (lambda: timm_model("swin_base_patch4_window12_384"), [(1, 3, 384, 384)], one, 17, False),
        "vit_small": (lambda: timm_model("vit_small_patch16_224"), [(1, 3, 224, 224)], one, 17, False),
        "vit_small_features": (lambda: timm_model("vit_small_patch16_224", num_classes=0), [(1, 3, 224, 224)], one, 17,
                               False),
        "vit_small_opset13": (lambda: timm_model("vit_small_patch16_224", fused_attention=False), [(1, 3, 224, 224)], one, 13, False),
        "clip_vit_b16": (lambda: timm_model("vit_base_patch16_clip_quickgelu_224"), [(1, 3, 224, 224)], one, 17, False),
        "deit_tiny_distilled": (lambda: timm_model("deit_tiny_distilled_patch16_224"), [(1, 3, 224, 224)], one, 17, False),
        "mobilevit_s": (lambda: timm_model("mobilevit_s"), [(1, 3, 256, 256)], one, 17, False),
        "sjtu": (SJTUStyle, [(1, 3, 224, 224)] * 3, ["resized", "fragments", "crop"], 17, False),
        "mnv3_transformer": (MobileNetTransformer, [(1, 3, 384, 640)], one, 17, False),
    }
    return table[name]


NAMES = ["swin_tiny", "swin_tiny_dynamo", "swin_base_384", "vit_small", "vit_small_features", "vit_small_opset13", "clip_vit_b16",
         "deit_tiny_distilled", "mobilevit_s", "sjtu", "mnv3_transformer"]


def count_macs(model, xs):
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*xs)
    return counter.get_total_flops() // 2


def export(name, out_dir):
    import onnxruntime as ort
    # PyTorch's fused "fast path" of TransformerEncoderLayer in eval mode is one aten op no
    # exporter knows; the ordinary path exports as MatMul/Softmax/LayerNorm.
    torch.backends.mha.set_fastpath_enabled(False)
    factory, shapes, input_names, opset, dynamo = spec(name)
    torch.manual_seed(0)
    model = factory().eval()
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    txs = [torch.from_numpy(x) for x in xs]
    path = out_dir / f"{name}.onnx"
    with torch.no_grad():
        if dynamo:
            program = torch.onnx.export(model, tuple(txs), dynamo=True, opset_version=opset,
                                        input_names=input_names, output_names=["output"])
            program.save(str(path))
        else:
            torch.onnx.export(model, tuple(txs), str(path), opset_version=opset, input_names=input_names,
                              output_names=["output"], dynamo=False, do_constant_folding=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(session.get_inputs(), xs)}
    outputs = session.run(None, feeds)
    for key, x in feeds.items():
        np.save(out_dir / f"{name}.input.{key}.npy", x)
    for o, y in zip(session.get_outputs(), outputs):
        np.save(out_dir / f"{name}.expected.{o.name}.npy", y)
    with torch.no_grad():
        torch_out = model(*txs).numpy()
    info = {"model": name, "inputs": {k: list(v.shape) for k, v in feeds.items()},
            "outputs": [o.name for o in session.get_outputs()], "macs_torch": count_macs(model, txs),
            "exporter": "torch.export" if dynamo else "torchscript", "opset": opset,
            "torch_vs_ort_max_abs": float(np.max(np.abs(torch_out - outputs[0]))),
            "torch": torch.__version__, "onnxruntime": ort.__version__}
    (out_dir / f"{name}.json").write_text(json.dumps(info, indent=1) + "\n")
    print(f"{name}: {path} ({path.stat().st_size / 1e6:.1f} MB), {info['macs_torch'] / 1e9:.3f} G MACs (torch)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=str(REPO / "Fixtures" / "transformers"))
    parser.add_argument("--only", nargs="*", choices=NAMES)
    args = parser.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in args.only or NAMES:
        try:
            export(name, out)
        except Exception as e:  # one architecture's exporter failure should not stop the others
            print(f"{name}: export failed: {type(e).__name__}: {e}", file=sys.stderr)
            failed.append(name)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
