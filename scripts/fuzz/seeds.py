#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (Fuzz/): small valid files of every kind each reader
takes, so that libFuzzer starts from inputs that reach deep into the parsers.

Usage: seeds.py OUT_DIR
Writes OUT_DIR/{onnx,numpy,image,csv}/ and OUT_DIR/onnx.dict. Uses the repository's test
files and generates the rest with onnx, numpy and Pillow (the test references that
scripts/install-deps.sh --test installs); a kind whose module is missing keeps only the
repository's files and says so.
"""
import io
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def onnx_seeds(out):
    """One small model per op family the importer maps, plus a QDQ int8 model."""
    try:
        import numpy as np
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as e:
        print(f"seeds: onnx: {e}; no ONNX seeds generated", file=sys.stderr)
        return []
    F = TensorProto.FLOAT

    def model(name, nodes, inputs, outputs, inits=(), opset=17):
        g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        write(os.path.join(out, name + ".onnx"), m.SerializeToString())

    def vi(name, shape, t=F):
        return helper.make_tensor_value_info(name, t, shape)

    def init(name, a):
        return numpy_helper.from_array(np.asarray(a), name)

    r = np.random.default_rng(0)
    w = lambda *s: r.standard_normal(s).astype(np.float32)
    x4 = vi("x", [1, 3, 8, 8])
    model("conv_relu", [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
                        helper.make_node("Relu", ["c"], ["y"])],
          [x4], [vi("y", [1, 4, 4, 4])], [init("w", w(4, 3, 3, 3)), init("b", w(4))])
    model("depthwise_clip", [helper.make_node("Conv", ["x", "w"], ["c"], group=3, pads=[1, 1, 1, 1]),
                             helper.make_node("Clip", ["c", "lo", "hi"], ["y"])],
          [x4], [vi("y", [1, 3, 8, 8])], [init("w", w(3, 1, 3, 3)), init("lo", np.float32(0)), init("hi", np.float32(6))])
    model("convtranspose", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2])],
          [x4], [vi("y", [1, 2, 16, 16])], [init("w", w(3, 2, 2, 2))])
    model("bn_pool", [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["n"]),
                      helper.make_node("MaxPool", ["n"], ["p"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
                      helper.make_node("AveragePool", ["p"], ["a"], kernel_shape=[2, 2], count_include_pad=1),
                      helper.make_node("GlobalAveragePool", ["a"], ["y"])],
          [x4], [vi("y", [1, 3, 1, 1])],
          [init("s", w(3)), init("b", w(3)), init("m", w(3)), init("v", np.abs(w(3)) + 1)])
    model("gemm_softmax", [helper.make_node("Flatten", ["x"], ["f"]),
                           helper.make_node("Gemm", ["f", "w", "b"], ["g"], transB=1),
                           helper.make_node("Softmax", ["g"], ["y"], axis=-1)],
          [x4], [vi("y", [1, 5])], [init("w", w(5, 192)), init("b", w(5))])
    model("matmul_layernorm", [helper.make_node("MatMul", ["t", "w"], ["m"]),
                               helper.make_node("LayerNormalization", ["m", "s", "b"], ["n"], axis=-1),
                               helper.make_node("Gelu", ["n"], ["y"], domain="")],
          [vi("t", [1, 6, 8])], [vi("y", [1, 6, 4])], [init("w", w(8, 4)), init("s", w(4)), init("b", w(4))], opset=20)
    model("resize_pad", [helper.make_node("Resize", ["x", "", "sc"], ["r"], mode="linear"),
                         helper.make_node("Pad", ["r", "pads"], ["y"], mode="reflect")],
          [x4], [vi("y", [1, 3, 18, 18])],
          [init("sc", np.array([1, 1, 2, 2], np.float32)), init("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))])
    model("shape_reshape", [helper.make_node("Shape", ["x"], ["s"]),
                            helper.make_node("Gather", ["s", "i"], ["n"], axis=0),
                            helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
                            helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
                            helper.make_node("Reshape", ["x", "shape"], ["y"])],
          [x4], [vi("y", [1, 192])],
          [init("i", np.int64(0)), init("ax", np.array([0], np.int64)), init("m1", np.array([-1], np.int64))])
    model("transpose_slice_split", [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
                                    helper.make_node("Slice", ["t", "st", "en", "axs", "sp"], ["s"]),
                                    helper.make_node("Split", ["s", "parts"], ["a", "b"], axis=2),
                                    helper.make_node("Add", ["a", "b"], ["y"])],
          [x4], [vi("y", [1, 4, 4, 3])],
          [init("st", np.array([0, 0], np.int64)), init("en", np.array([8, 8], np.int64)),
           init("axs", np.array([1, 2], np.int64)), init("sp", np.array([2, 1], np.int64)),
           init("parts", np.array([4, 4], np.int64))])
    model("elementwise", [helper.make_node("Mul", ["x", "k"], ["m"]),
                          helper.make_node("Sub", ["m", "k"], ["s"]),
                          helper.make_node("Div", ["s", "k"], ["d"]),
                          helper.make_node("Sigmoid", ["d"], ["g"]),
                          helper.make_node("Max", ["g", "d"], ["mx"]),
                          helper.make_node("Sin", ["mx"], ["y"])],
          [x4], [vi("y", [1, 3, 8, 8])], [init("k", w(1, 3, 1, 1))])
    model("reduce_where_cast", [helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=1),
                                helper.make_node("Greater", ["x", "m"], ["c"]),
                                helper.make_node("Where", ["c", "x", "m"], ["wv"]),
                                helper.make_node("Cast", ["wv"], ["y"], to=TensorProto.INT32)],
          [x4], [vi("y", [1, 3, 8, 8], TensorProto.INT32)], [init("axes", np.array([2, 3], np.int64))], opset=18)
    model("constant_expand", [helper.make_node("ConstantOfShape", ["shape"], ["c"],
                                               value=helper.make_tensor("v", F, [1], [0.5])),
                              helper.make_node("Expand", ["c", "shape2"], ["e"]),
                              helper.make_node("Add", ["x", "e"], ["y"])],
          [x4], [vi("y", [1, 3, 8, 8])],
          [init("shape", np.array([1, 3, 1, 1], np.int64)), init("shape2", np.array([1, 3, 8, 8], np.int64))])
    model("space_to_depth", [helper.make_node("SpaceToDepth", ["x"], ["s"], blocksize=2),
                             helper.make_node("DepthToSpace", ["s"], ["y"], blocksize=2)],
          [x4], [vi("y", [1, 3, 8, 8])])
    model("symbolic_input", [helper.make_node("Relu", ["x"], ["y"])],
          [vi("x", ["batch", 3, "h", "w"])], [vi("y", ["batch", 3, "h", "w"])])
    # QDQ: int8 activations and per-channel int8 weights around a Conv, as calibrate writes.
    model("qdq_conv", [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
                       helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
                       helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], axis=0),
                       helper.make_node("Conv", ["xd", "wd"], ["c"], pads=[1, 1, 1, 1]),
                       helper.make_node("QuantizeLinear", ["c", "ys", "yz"], ["cq"]),
                       helper.make_node("DequantizeLinear", ["cq", "ys", "yz"], ["y"])],
          [x4], [vi("y", [1, 4, 8, 8])],
          [init("xs", np.float32(0.02)), init("xz", np.int8(0)), init("ys", np.float32(0.05)), init("yz", np.int8(0)),
           init("wq", r.integers(-127, 127, (4, 3, 3, 3)).astype(np.int8)), init("ws", np.full(4, 0.01, np.float32)),
           init("wz", np.zeros(4, np.int8))])
    # Op and attribute names for libFuzzer's dictionary: the mutator then splices real names.
    names = sorted({s.name for s in onnx.defs.get_all_schemas()})
    attrs = ["kernel_shape", "strides", "pads", "dilations", "group", "axis", "axes", "perm", "keepdims", "mode",
             "transA", "transB", "alpha", "beta", "epsilon", "blocksize", "to", "value", "auto_pad", "ceil_mode",
             "count_include_pad", "coordinate_transformation_mode", "nearest_mode", "split", "starts", "ends"]
    return names + attrs


def numpy_seeds(out):
    for f in sorted(os.listdir(os.path.join(ROOT, "Tests/Data/npy"))):
        shutil.copy(os.path.join(ROOT, "Tests/Data/npy", f), os.path.join(out, f))
    try:
        import numpy as np
    except ImportError as e:
        print(f"seeds: numpy: {e}; only the repository's .npy files", file=sys.stderr)
        return
    arrays = {"f4_1x3x4x4": np.arange(48, dtype=np.float32).reshape(1, 3, 4, 4),
              "f2_2x2": np.ones((2, 2), np.float16), "f8_3": np.array([1.5, -2, np.nan]),
              "i8_1x2": np.array([[1, -1]], np.int64), "u1_0": np.zeros((0,), np.uint8),
              "b1_2x2": np.array([[True, False], [False, True]]), "i4_big_header": np.zeros((1,) * 20, np.int32)}
    for name, a in arrays.items():
        buf = io.BytesIO()
        np.save(buf, a)
        write(os.path.join(out, name + ".npy"), buf.getvalue())


def image_seeds(out):
    try:
        from PIL import Image
    except ImportError as e:
        print(f"seeds: Pillow: {e}; one repository JPEG only", file=sys.stderr)
        shutil.copy(os.path.join(ROOT, "tools/models/samples/kodim23-jpeg4.jpg"), os.path.join(out, "sample.jpg"))
        return
    # Small crops of a real photo: the decoders' work grows with the pixels, and small inputs
    # give the fuzzer more executions.
    photo = Image.open(os.path.join(ROOT, "Tests/Data/kodak/kodim23.jpg")).convert("RGB").crop((300, 200, 340, 230))

    def save(name, im, **kw):
        buf = io.BytesIO()
        im.save(buf, **kw)
        write(os.path.join(out, name), buf.getvalue())

    save("rgb420.jpg", photo, format="JPEG", quality=80)
    save("rgb444.jpg", photo, format="JPEG", quality=90, subsampling=0)
    save("rgb422.jpg", photo, format="JPEG", quality=70, subsampling=1)
    save("progressive.jpg", photo, format="JPEG", progressive=True)
    save("gray.jpg", photo.convert("L"), format="JPEG")
    save("cmyk.jpg", photo.convert("CMYK"), format="JPEG")
    for orientation in (3, 6, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        save(f"exif{orientation}.jpg", photo, format="JPEG", exif=exif.tobytes())
    save("rgb.png", photo, format="PNG")
    save("rgba.png", photo.convert("RGBA"), format="PNG")
    save("gray.png", photo.convert("L"), format="PNG")
    save("gray_alpha.png", photo.convert("LA"), format="PNG")
    save("bilevel.png", photo.convert("1"), format="PNG")
    save("palette.png", photo.convert("P", palette=Image.ADAPTIVE, colors=16), format="PNG", transparency=0)
    save("gray16.png", photo.convert("I;16"), format="PNG")
    save("tiny.png", photo.crop((0, 0, 1, 1)), format="PNG")


def csv_seeds(out):
    for f in sorted(os.listdir(os.path.join(ROOT, "Tests/Data/aim2024"))):
        if f.endswith(".csv"):
            shutil.copy(os.path.join(ROOT, "Tests/Data/aim2024", f), os.path.join(out, f))
    files = {
        "uhdiqa_metadata.csv": "image_name,quality_mos,set,subset,orig_width,orig_height\n"
                               "1.jpg,0.52,training,exclusive,3840,2160\n2.jpg,0.61,validation,,2160,3840\n"
                               "3.jpg,0.4,test,exclusive,4000,3000\n",
        "labels.csv": "image_name,MOS,c1\r\n\"a, b.jpg\",3.5,1\r\nc.jpg,4.25,2\r\n",
        "scores.csv": "path,score,ms\n/p/a.jpg,0.5123,12.5\n\"/p/b,c.jpg\",0.4,\n/p/d.jpg,,\n",
        "errors.csv": "path,error\n/p/x.jpg,\"cannot read image: truncated \"\"file\"\"\"\n",
        "results.csv": "name,srcc,plcc,krcc,mae,rmse,n\nSJTU,0.8731,0.8862,0.6985,0.0334,0.0453,2000\n"
                       "team b,0.5,0.6,0.4,0.05,0.07,2000\n",
        "scores.jsonl": "{\"path\":\"/p/a.jpg\",\"score\":0.5,\"ms\":3.25}\n{\"path\":\"/p/b.jpg\",\"error\":\"bad\"}\n",
    }
    for name, text in files.items():
        write(os.path.join(out, name), text.encode())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    for kind in ("onnx", "numpy", "image", "csv"):
        os.makedirs(os.path.join(root, kind), exist_ok=True)
    words = onnx_seeds(os.path.join(root, "onnx"))
    with open(os.path.join(root, "onnx.dict"), "w") as f:
        for word in words:
            f.write(f'"{word}"\n')
    numpy_seeds(os.path.join(root, "numpy"))
    image_seeds(os.path.join(root, "image"))
    csv_seeds(os.path.join(root, "csv"))
    for kind in ("onnx", "numpy", "image", "csv"):
        print(f"seeds: {kind}: {len(os.listdir(os.path.join(root, kind)))} files", file=sys.stderr)


if __name__ == "__main__":
    main()
