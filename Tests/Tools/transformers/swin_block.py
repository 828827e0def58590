#!/usr/bin/env python3
"""Writes one shifted-window attention block of Swin (stage 1 layout, 14x14 tokens of dim 96,
3 heads, window 7, shift 3) as ONNX with onnx.helper and seeded weights, and ONNX Runtime's
output for it, for Loupe's tests.

    swin_block.py OUT_DIR

What it exercises: torch.roll written as Slice+Concat (shift and shift back), the 6-D window
partition and reverse (Reshape → Transpose [0,1,3,2,4,5] → Reshape), batched attention over
windows, the relative position bias gathered from a constant table by constant indices, and
the constant shifted-window mask broadcast over heads. Files: model.onnx, x.npy ([1, 196, 96]),
y.npy. Exits 77 when onnx, numpy or onnxruntime is missing.
"""
import os
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto as T, helper as h, numpy_helper as nh
except ImportError as e:
    print(f"missing module: {e.name}", file=sys.stderr)
    sys.exit(77)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
H = W = 14; C = 96; heads = 3; w = 7; shift = 3; hd = C // heads; N = w * w; nW = (H // w) * (W // w)
inits, nodes = [], []
def const(n, v):
    inits.append(nh.from_array(np.asarray(v), n)); return n
def wt(n, shape, s=0.05): return const(n, (rng.standard_normal(shape) * s).astype(np.float32))
def node(op, ins, **a):
    n = f"{op}_{len(nodes)}"; nodes.append(h.make_node(op, ins, [n], name=n, **a)); return n
def i64(n, v): return const(n, np.array(v, np.int64))
x = "x"  # [1, H*W, C]
ln = node("LayerNormalization", [x, const("g1", np.ones(C, np.float32)), wt("b1", [C])], axis=-1, epsilon=1e-5)
t = node("Reshape", [ln, i64("s_bhwc", [1, H, W, C])])
# torch.roll(shifts=(-shift,-shift), dims=(1,2)) as Slice+Concat
def roll(t, axis, k, size, tag):
    a = node("Slice", [t, i64(f"st{tag}a", [k]), i64(f"en{tag}a", [size]), i64(f"ax{tag}a", [axis])])
    b = node("Slice", [t, i64(f"st{tag}b", [0]), i64(f"en{tag}b", [k]), i64(f"ax{tag}b", [axis])])
    return node("Concat", [a, b], axis=axis)
t = roll(roll(t, 1, shift, H, "h"), 2, shift, W, "w")
# window partition: [1, H/w, w, W/w, w, C] -> transpose [0,1,3,2,4,5] -> [nW, N, C]
t = node("Reshape", [t, i64("s6", [1, H // w, w, W // w, w, C])])
t = node("Transpose", [t], perm=[0, 1, 3, 2, 4, 5])
t = node("Reshape", [t, i64("swin", [nW, N, C])])
qkv = node("Add", [node("MatMul", [t, wt("qkv_w", [C, 3 * C])]), wt("qkv_b", [3 * C])])
qkv = node("Transpose", [node("Reshape", [qkv, i64("s_qkv", [nW, N, 3, heads, hd])])], perm=[2, 0, 3, 1, 4])
q = node("Gather", [qkv, i64("i0", 0)], axis=0); k = node("Gather", [qkv, i64("i1", 1)], axis=0); v = node("Gather", [qkv, i64("i2", 2)], axis=0)
att = node("MatMul", [node("Mul", [q, const("scale", np.array(hd ** -0.5, np.float32))]), node("Transpose", [k], perm=[0, 1, 3, 2])])
# relative position bias: table [(2w-1)^2, heads] gathered by a constant index -> [N, N, heads] -> [heads, N, N]
table = wt("rpb_table", [(2 * w - 1) ** 2, heads], 0.02)
coords = np.stack(np.meshgrid(np.arange(w), np.arange(w), indexing="ij")).reshape(2, -1)
rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0) + (w - 1)
idx = (rel[:, :, 0] * (2 * w - 1) + rel[:, :, 1]).reshape(-1)
bias = node("Gather", [table, i64("rpi", idx)], axis=0)
bias = node("Transpose", [node("Reshape", [bias, i64("s_b", [N, N, heads])])], perm=[2, 0, 1])
att = node("Add", [att, node("Unsqueeze", [bias, i64("ax0", [0])])])
# shifted-window mask [nW, 1, N, N] (constant) added per window
img = np.zeros((H, W)); cnt = 0
for hs in (slice(0, -w), slice(-w, -shift), slice(-shift, None)):
    for ws in (slice(0, -w), slice(-w, -shift), slice(-shift, None)):
        img[hs, ws] = cnt; cnt += 1
mw = img.reshape(H // w, w, W // w, w).transpose(0, 2, 1, 3).reshape(-1, N)
mask = np.where(mw[:, None, :] - mw[:, :, None] != 0, -100.0, 0.0).astype(np.float32)[:, None]
att = node("Add", [att, const("mask", mask)])
att = node("Softmax", [att], axis=-1)
o = node("Reshape", [node("Transpose", [node("MatMul", [att, v])], perm=[0, 2, 1, 3]), i64("s_o", [nW, N, C])])
o = node("Add", [node("MatMul", [o, wt("proj_w", [C, C])]), wt("proj_b", [C])])
# window reverse + roll back
o = node("Reshape", [o, i64("s6b", [1, H // w, W // w, w, w, C])])
o = node("Reshape", [node("Transpose", [o], perm=[0, 1, 3, 2, 4, 5]), i64("s_bhwc2", [1, H, W, C])])
o = roll(roll(o, 1, H - shift, H, "H"), 2, W - shift, W, "W")
o = node("Reshape", [o, i64("s_tok", [1, H * W, C])])
nodes.append(h.make_node("Add", [x, o], ["y"], name="residual"))
g = h.make_graph(nodes, "swin_block", [h.make_tensor_value_info("x", T.FLOAT, [1, H * W, C])], [h.make_tensor_value_info("y", T.FLOAT, [1, H * W, C])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)]); onnx.checker.check_model(m); onnx.save(m, os.path.join(out, "model.onnx"))
xv = rng.standard_normal((1, H * W, C)).astype(np.float32); np.save(os.path.join(out, "x.npy"), xv)
np.save(os.path.join(out, "y.npy"), ort.InferenceSession(os.path.join(out, "model.onnx")).run(None, {"x": xv})[0])
