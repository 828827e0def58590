#!/usr/bin/env python3
"""Writes a pre-norm transformer encoder block as ONNX (onnx.helper, seeded weights) with one
input, and ONNX Runtime's output for it, for Loupe's tests and benchmarks.

    encoder_block.py OUT_DIR [--tokens 17] [--dim 64] [--heads 4] [--mlp 128] [--opset 20]
                     [--decomposed] [--seed 0] [--vit DEPTH [--image 224] [--patch 16] [--classes 10]]

The block is ViT's: LayerNorm → Linear (QKV) → Reshape → Transpose → Split → Q·Kᵀ·scale →
Softmax → ·V → Transpose → Reshape → Linear → residual Add → LayerNorm → Linear → GELU →
Linear → residual Add. `--decomposed` writes LayerNorm as ReduceMean/Sub/Pow/ReduceMean/
Add/Sqrt/Div/Mul/Add and GELU as x·0.5·(1 + erf(x/√2)), as opset-13 exports do.
With `--vit DEPTH` the file is a whole ViT instead: a patch-embedding Conv (stride = patch),
flatten to tokens, a class token (Concat), a position embedding (Add), DEPTH blocks, a final
LayerNorm, the class token taken out (Gather) and a linear head; the input is an image
[1, 3, image, image].
Files: model.onnx, x.npy (the input), y.npy (ONNX Runtime's output).
Exits 77 when onnx, numpy or onnxruntime is missing.
"""
import argparse
import os
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:
    print(f"missing module: {e.name}", file=sys.stderr)
    sys.exit(77)


def build(tokens, dim, heads, mlp, opset, decomposed, seed, vit=0, image=224, patch=16, classes=10):
    rng = np.random.default_rng(seed)
    inits, nodes = [], []

    def const(name, value):
        # Shared constants (GELU's √2, 1, 0.5) are written once, whichever block asks first.
        if not any(t.name == name for t in inits):
            inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(name, shape, scale=0.05):
        return const(name, (rng.standard_normal(shape) * scale).astype(np.float32))

    def node(op, inputs, outputs=None, **attrs):
        name = f"{op}_{len(nodes)}"
        outputs = outputs or [name + "_out"]
        nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def axes(values):
        return const(f"axes_{len(inits)}", np.array(values, np.int64))

    def layer_norm(x, prefix):
        g = weight(prefix + "_g", [dim], 0.2)
        inits[-1] = numpy_helper.from_array(numpy_helper.to_array(inits[-1]) + 1, g)
        b = weight(prefix + "_b", [dim])
        if not decomposed:
            return node("LayerNormalization", [x, g, b], axis=-1, epsilon=1e-6)
        mean = node("ReduceMean", [x, axes([-1])] if opset >= 18 else [x], keepdims=1, **({} if opset >= 18 else {"axes": [-1]}))
        d = node("Sub", [x, mean])
        sq = node("Pow", [d, const(prefix + "_two", np.array(2, np.float32))])
        var = node("ReduceMean", [sq, axes([-1])] if opset >= 18 else [sq], keepdims=1, **({} if opset >= 18 else {"axes": [-1]}))
        std = node("Sqrt", [node("Add", [var, const(prefix + "_eps", np.array(1e-6, np.float32))])])
        return node("Add", [node("Mul", [node("Div", [d, std]), g]), b])

    def linear(x, prefix, n_in, n_out):
        return node("Add", [node("MatMul", [x, weight(prefix + "_w", [n_in, n_out])]), weight(prefix + "_b", [n_out])])

    def gelu(x):
        if not decomposed and opset >= 20:
            return node("Gelu", [x])
        e = node("Erf", [node("Div", [x, const("sqrt2", np.array(np.sqrt(2), np.float32))])])
        one = node("Add", [e, const("one", np.array(1, np.float32))])
        return node("Mul", [node("Mul", [x, one]), const("half", np.array(0.5, np.float32))])

    hd = dim // heads

    def block(x, p):
        h = layer_norm(x, p + "ln1")
        qkv = node("Reshape", [linear(h, p + "qkv", dim, 3 * dim), const(p + "qkv_shape", np.array([1, tokens, 3, heads, hd], np.int64))])
        qkv = node("Transpose", [qkv], perm=[2, 0, 3, 1, 4])
        split = [const(p + "split3", np.array([1, 1, 1], np.int64))] if opset >= 13 else []
        q, k, v = node("Split", [qkv] + split, [p + "q5", p + "k5", p + "v5"], axis=0, **({} if opset >= 13 else {"split": [1, 1, 1]}))
        sq = (lambda t: node("Squeeze", [t, axes([0])])) if opset >= 13 else (lambda t: node("Squeeze", [t], axes=[0]))
        q, k, v = sq(q), sq(k), sq(v)
        att = node("MatMul", [q, node("Transpose", [k], perm=[0, 1, 3, 2])])
        att = node("Softmax", [node("Mul", [att, const(p + "scale", np.array(hd ** -0.5, np.float32))])], axis=-1)
        o = node("Transpose", [node("MatMul", [att, v])], perm=[0, 2, 1, 3])
        o = node("Reshape", [o, const(p + "o_shape", np.array([1, tokens, dim], np.int64))])
        r1 = node("Add", [x, linear(o, p + "proj", dim, dim)])
        f = linear(gelu(linear(layer_norm(r1, p + "ln2"), p + "fc1", dim, mlp)), p + "fc2", mlp, dim)
        return node("Add", [r1, f])

    if not vit:
        node("Identity", [block("x", "")], ["y"])
        x_shape = [1, tokens, dim]
        y_shape = [1, tokens, dim]
    else:
        grid = image // patch
        assert tokens == grid * grid + 1, "--tokens must be (image/patch)^2 + 1 for --vit"
        e = node("Conv", ["x", weight("patch_w", [dim, 3, patch, patch], 0.02), weight("patch_b", [dim])],
                 kernel_shape=[patch, patch], strides=[patch, patch])
        e = node("Transpose", [node("Reshape", [e, const("flat", np.array([1, dim, grid * grid], np.int64))])], perm=[0, 2, 1])
        t = node("Concat", [weight("cls", [1, 1, dim]), e], axis=1)
        t = node("Add", [t, weight("pos", [1, tokens, dim], 0.02)])
        for i in range(vit):
            t = block(t, f"b{i}_")
        t = layer_norm(t, "norm")
        c = node("Gather", [t, const("zero_index", np.array(0, np.int64))], axis=1)
        node("Add", [node("MatMul", [c, weight("head_w", [dim, classes])]), weight("head_b", [classes])], ["y"])
        x_shape = [1, 3, image, image]
        y_shape = [1, classes]
    graph = helper.make_graph(nodes, "vit" if vit else "encoder_block",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model, rng.standard_normal(x_shape).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--tokens", type=int, default=17)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=128)
    ap.add_argument("--opset", type=int, default=20)
    ap.add_argument("--decomposed", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vit", type=int, default=0, metavar="DEPTH")
    ap.add_argument("--image", type=int, default=224)
    ap.add_argument("--patch", type=int, default=16)
    ap.add_argument("--classes", type=int, default=10)
    a = ap.parse_args()
    if a.vit:
        a.tokens = (a.image // a.patch) ** 2 + 1
    os.makedirs(a.out, exist_ok=True)
    model, x = build(a.tokens, a.dim, a.heads, a.mlp, a.opset, a.decomposed, a.seed, a.vit, a.image, a.patch, a.classes)
    path = os.path.join(a.out, "model.onnx")
    onnx.save(model, path)
    np.save(os.path.join(a.out, "x.npy"), x)
    y = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.save(os.path.join(a.out, "y.npy"), y)


if __name__ == "__main__":
    main()
