"""Makes small QDQ models with ONNX Runtime's quantize_static, for FoldQuantization tests.

    python3 make_ort_qdq.py OUT_DIR

Writes into OUT_DIR (never into the repository):
  float.onnx        a small conv net (conv+relu, depthwise+hardswish, 1x1 conv, residual
                    add, maxpool, squeeze-excite mul/sigmoid, concat, GAP, flatten, gemm)
  qdq_u8.onnx       quantize_static QDQ, per_channel=True, QUInt8 activations, QInt8 weights
  qdq_s8.onnx       the same with QInt8 activations
  input.bin         one float32 input [1,3,32,32] (little-endian raw), seeded
  ort_u8.bin, ort_s8.bin   ONNX Runtime's outputs [1,10] of the two QDQ models on input.bin
Exit status 3 when onnx/onnxruntime are missing (the test then skips).
"""
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import onnxruntime as ort
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
except ImportError as e:  # pragma: no cover
    print(f"missing python package: {e}")
    sys.exit(3)

SHAPE = [1, 3, 32, 32]


def build(path):
    rng = np.random.default_rng(0)
    inits, nodes = [], []

    def w(name, shape, scale=None):
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        s = scale if scale is not None else 1.0 / np.sqrt(fan_in)
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * s).astype(np.float32), name))
        return name

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    conv = lambda x, o, wn, bn, k, g=1, s=1: node(
        "Conv", [x, wn, bn], o, kernel_shape=[k, k], pads=[k // 2] * 4, group=g, strides=[s, s])
    c1 = conv("x", "c1", w("w1", [16, 3, 3, 3]), w("b1", [16], 0.1), 3, s=2)
    r1 = node("Relu", [c1], "r1")
    d2 = conv(r1, "d2", w("w2", [16, 1, 3, 3]), w("b2", [16], 0.1), 3, g=16)
    h2 = node("HardSwish", [d2], "h2")
    c3 = conv(h2, "c3", w("w3", [16, 16, 1, 1]), w("b3", [16], 0.1), 1)
    a3 = node("Add", [c3, r1], "a3")
    p3 = node("MaxPool", [a3], "p3", kernel_shape=[2, 2], strides=[2, 2])
    # squeeze-excite
    g4 = node("GlobalAveragePool", [p3], "g4")
    s4 = conv(g4, "s4", w("w4", [8, 16, 1, 1]), w("b4", [8], 0.1), 1)
    s4r = node("Relu", [s4], "s4r")
    s5 = conv(s4r, "s5", w("w5", [16, 8, 1, 1]), w("b5", [16], 0.1), 1)
    s5s = node("Sigmoid", [s5], "s5s")
    m5 = node("Mul", [p3, s5s], "m5")
    c6 = conv(m5, "c6", w("w6", [8, 16, 3, 3]), w("b6", [8], 0.1), 3)
    c6r = node("Relu", [c6], "c6r")
    cat = node("Concat", [m5, c6r], "cat", axis=1)
    g7 = node("GlobalAveragePool", [cat], "g7")
    f7 = node("Flatten", [g7], "f7", axis=1)
    node("Gemm", [f7, w("w8", [10, 24]), w("b8", [10], 0.1)], "y", transB=1)
    graph = helper.make_graph(
        nodes, "ort_qdq_fixture",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


class Reader(CalibrationDataReader):
    def __init__(self):
        rng = np.random.default_rng(1)
        self.batches = iter([{"x": rng.uniform(-1, 1, SHAPE).astype(np.float32)} for _ in range(8)])

    def get_next(self):
        return next(self.batches, None)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    fp = os.path.join(out, "float.onnx")
    build(fp)
    x = np.random.default_rng(2).uniform(-1, 1, SHAPE).astype(np.float32)
    x.tofile(os.path.join(out, "input.bin"))
    for tag, act in [("u8", QuantType.QUInt8), ("s8", QuantType.QInt8)]:
        path = os.path.join(out, f"qdq_{tag}.onnx")
        quantize_static(fp, path, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=act, weight_type=QuantType.QInt8)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        sess.run(None, {"x": x})[0].astype(np.float32).tofile(os.path.join(out, f"ort_{tag}.bin"))


if __name__ == "__main__":
    main()
