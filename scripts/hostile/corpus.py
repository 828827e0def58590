#!/usr/bin/env python3
"""Hostile-input corpus for the `loupe` command line: malformed models, huge declared shapes,
external data that points outside the model's folder, broken arrays, photos and tables, odd
photo folders. Each case is one `loupe` command with what it must do.

Usage: corpus.py OUT_DIR [--list]
Writes OUT_DIR/<case>/... (the files of each case) and OUT_DIR/cases.json, a list of
{"name", "group", "args", "expect", "message", "user", "why"}:
  args     the command after `loupe` (absolute paths)
  expect   the allowed exit statuses: 1 for a rejected model or input (the library throws a
           typed error, the command line prints it and exits 1); 3 for a folder whose bad
           photos are listed while the good ones are scored; 0 for odd but valid input
  message  a regular expression the output (stdout + stderr) must match: it names the node,
           value or file at fault
  user     "nobody" when the case needs an unprivileged user (unreadable files: root reads
           everything), else null
Nothing here is committed data: the runner (scripts/hostile/run.sh) makes the corpus in a
scratch folder each time. Needs onnx, numpy and Pillow (scripts/install-deps.sh --test).
"""
import io
import json
import os
import shutil
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
F = TensorProto.FLOAT
cases = []
OUT = None


def case_dir(name):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    return d


def add(name, group, args, expect, message, why, user=None):
    cases.append({"name": name, "group": group, "args": args, "expect": expect, "message": message,
                  "why": why, "user": user})


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def model_bytes(nodes, inputs, outputs, inits=(), opset=17, check=False):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m.SerializeToString()


def x_npy(d, shape=(1, 3, 8, 8), dtype=np.float32):
    p = os.path.join(d, "x.npy")
    np.save(p, np.ones(shape, dtype))
    return p


# ---------------------------------------------------------------------------------------------
# Models: `loupe run MODEL --input x.npy` must exit 1 naming the node (or the file).

def model_case(name, nodes, inputs, outputs, inits=(), message="", why="", shape=(1, 3, 8, 8), verb="run",
               expect=(1,), opset=17, extra=()):
    d = case_dir(name)
    p = os.path.join(d, "model.onnx")
    write(p, model_bytes(nodes, inputs, outputs, inits, opset))
    if verb == "run":
        args = ["run", p, "--input", x_npy(d, shape), "--output", os.path.join(d, "y.npy")]
    elif verb == "inspect":
        args = ["inspect", p]
    elif verb == "profile":
        args = ["profile", p, "--runs", "1", "--warmup", "0"]
    args += list(extra)
    add(name, "model", args, list(expect), message, why)


def relu_model():
    return model_bytes([helper.make_node("Relu", ["x"], ["y"], name="relu0")], [vi("x", [1, 3, 8, 8])],
                       [vi("y", [1, 3, 8, 8])])


def conv_model():
    r = np.random.default_rng(0)
    return model_bytes([helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv0", pads=[1, 1, 1, 1]),
                        helper.make_node("Relu", ["c"], ["y"], name="relu0")],
                       [vi("x", [1, 3, 8, 8])], [vi("y", [1, 4, 8, 8])],
                       [init("w", r.standard_normal((4, 3, 3, 3)).astype(np.float32)),
                        init("b", r.standard_normal(4).astype(np.float32))])


def raw_file_cases():
    """Bytes that are not a model, or not a whole one."""
    good = conv_model()
    raw = {
        "onnx_empty": (b"", r"model\.onnx"),
        "onnx_garbage": (bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)), r"model\.onnx"),
        "onnx_text": (b"ir_version: 8\ngraph { node { op_type: \"Relu\" } }\n", r"model\.onnx"),
        "onnx_truncated_10": (good[: len(good) // 10], r"model\.onnx"),
        "onnx_truncated_50": (good[: len(good) // 2], r"model\.onnx"),
        "onnx_truncated_last_byte": (good[:-1], r"model\.onnx"),
        # graph (field 7) declared 2^62 bytes long
        "onnx_huge_length": (b"\x08\x08\x3a" + bytes([0xff] * 8) + b"\x3f" + b"\x00" * 16, r"model\.onnx"),
        # field 7 with wire type 0 (varint) instead of a length-delimited message
        "onnx_wrong_wire_type": (b"\x08\x08\x38\x05", r"model\.onnx"),
        # graph -> node -> attribute.g -> node -> ... nested 5000 deep
        "onnx_deep_nesting": (None, r"model\.onnx"),
        "onnx_is_png": (None, r"model\.onnx"),
        "onnx_is_npy": (None, r"model\.onnx"),
    }
    for name, (data, msg) in raw.items():
        d = case_dir(name)
        p = os.path.join(d, "model.onnx")
        if name == "onnx_deep_nesting":
            # GraphProto.node = 1, NodeProto.attribute = 5, AttributeProto.g = 6
            inner = b""
            for _ in range(5000):
                inner = _nest(inner)
            data = b"\x08\x08" + b"\x3a" + _varint(len(inner)) + inner
        elif name == "onnx_is_png":
            buf = io.BytesIO()
            Image.new("RGB", (4, 4)).save(buf, "PNG")
            data = buf.getvalue()
        elif name == "onnx_is_npy":
            buf = io.BytesIO()
            np.save(buf, np.ones((2, 2), np.float32))
            data = buf.getvalue()
        write(p, data)
        add(name, "model", ["run", p, "--input", x_npy(d), "--output", os.path.join(d, "y.npy")], [1], msg,
            "not a whole ONNX protobuf")
    # The same truncated model through inspect and profile.
    d = case_dir("onnx_truncated_inspect")
    write(os.path.join(d, "model.onnx"), good[: len(good) // 3])
    add("onnx_truncated_inspect", "model", ["inspect", os.path.join(d, "model.onnx")], [1],
        r"model\.onnx", "inspect of a truncated model")
    d = case_dir("onnx_truncated_profile")
    write(os.path.join(d, "model.onnx"), good[: len(good) // 3])
    add("onnx_truncated_profile", "model", ["profile", os.path.join(d, "model.onnx")], [1],
        r"model\.onnx", "profile of a truncated model")
    d = case_dir("onnx_missing_file")
    add("onnx_missing_file", "model", ["inspect", os.path.join(d, "nosuch.onnx")], [1], "nosuch.onnx",
        "a model path that does not exist")
    d = case_dir("onnx_is_folder")
    os.makedirs(os.path.join(d, "model.onnx"), exist_ok=True)
    add("onnx_is_folder", "model", ["inspect", os.path.join(d, "model.onnx")], [1], "model.onnx",
        "a folder given as the model")
    d = case_dir("onnx_dev_zero")
    add("onnx_dev_zero", "model", ["inspect", "/dev/zero"], [1], "/dev/zero", "a device given as the model")
    d = case_dir("onnx_fifo")
    os.mkfifo(os.path.join(d, "model.onnx"))
    add("onnx_fifo", "model", ["inspect", os.path.join(d, "model.onnx")], [1], "model.onnx",
        "a FIFO given as the model (nothing ever writes to it)")


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _nest(inner):
    # node { attribute { g { <inner> } } } as GraphProto bytes
    attr = b"\x0a\x01a" + b"\x32" + _varint(len(inner)) + inner + b"\xa0\x01\x05"  # name, g, type=GRAPH
    node = b"\x22\x04Loop" + b"\x2a" + _varint(len(attr)) + attr
    return b"\x0a" + _varint(len(node)) + node


def shape_cases():
    B = 1 << 20
    model_case("huge_input_2p20", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", [1, 1, B, B])], [vi("y", [1, 1, B, B])], message=r"graph input 'x'.*bytes|memory limit",
               why="1x1x2^20x2^20 float input: 4 TiB")
    G = 1 << 31
    model_case("huge_input_2p31_cubed", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", [G, G, G])], [vi("y", [G, G, G])], message=r"'x'.*overflow|overflow.*'x'|x.*bytes",
               why="[2^31,2^31,2^31]: the element count overflows 64 bits")
    model_case("huge_input_inspect", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", [G, G, G])], [vi("y", [G, G, G])], message=r"'x'", verb="inspect", expect=(0, 1),
               why="inspect reports the refusal in its table (exit 0) or exits 1; both name the input")
    model_case("negative_dim", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", [1, 3, -5, 8])], [vi("y", [1, 3, -5, 8])], message=r"'x'|-5",
               why="a negative dimension")
    model_case("wrong_input_shape", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", [1, 3, 8, 8])], [vi("y", [1, 3, 8, 8])], shape=(1, 3, 4, 4), message=r"'x'|x\.npy",
               why="the .npy does not have the model's input shape")
    model_case("wrong_input_rank", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", [1, 3, 8, 8])], [vi("y", [1, 3, 8, 8])], shape=(3, 8, 8), message=r"'x'|x\.npy",
               why="the .npy has rank 3, the model rank 4")
    d = case_dir("wrong_input_dtype")
    p = os.path.join(d, "model.onnx")
    write(p, relu_model())
    np.save(os.path.join(d, "x.npy"), np.ones((1, 3, 8, 8), np.int64))
    add("wrong_input_dtype", "model", ["run", p, "--input", os.path.join(d, "x.npy"), "--output", os.path.join(d, "y.npy")],
        [1], r"x\.npy.*'x'", "an int64 .npy for a float input: refused naming the file and the input")
    d = case_dir("wrong_input_name")
    p = os.path.join(d, "model.onnx")
    write(p, relu_model())
    add("wrong_input_name", "model", ["run", p, "--input", "nosuch=" + x_npy(d), "--output", os.path.join(d, "y.npy")],
        [1, 64], r"nosuch", "an --input name the model does not have")

    sc = init("scales", np.array([1, 1, 10000, 10000], np.float32))
    model_case("resize_scale_10000", [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="blow_up", mode="nearest")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [sc], message=r"blow_up", why="Resize scales 10000: 23 GiB output")
    model_case("resize_scale_nan", [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="nan_scale", mode="nearest")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("scales", np.array([1, 1, np.nan, 2], np.float32))],
               message=r"nan_scale", why="Resize scale NaN")
    model_case("resize_scale_negative", [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="neg_scale", mode="nearest")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("scales", np.array([1, 1, -2, 2], np.float32))],
               message=r"neg_scale", why="Resize scale -2")
    model_case("resize_scale_inf", [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="inf_scale", mode="linear")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("scales", np.array([1, 1, np.inf, 1], np.float32))],
               message=r"inf_scale", why="Resize scale +inf")
    model_case("resize_sizes_huge", [helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], name="big_sizes", mode="nearest")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("sizes", np.array([1, 3, 1 << 40, 1 << 40], np.int64))],
               message=r"big_sizes", why="Resize sizes 2^40 x 2^40")
    model_case("pad_1e5", [helper.make_node("Pad", ["x", "pads"], ["y"], name="pad_far")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("pads", np.array([0, 0, 10**5, 10**5, 0, 0, 10**5, 10**5], np.int64))],
               message=r"pad_far", why="Pad 10^5 on each side: 480 GB")
    model_case("pad_negative_past_size", [helper.make_node("Pad", ["x", "pads"], ["y"], name="pad_neg")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("pads", np.array([0, 0, -20, 0, 0, 0, 0, 0], np.int64))],
               message=r"pad_neg", why="a negative pad larger than the axis")
    model_case("pad_int64_min", [helper.make_node("Pad", ["x", "pads"], ["y"], name="pad_min")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)],
               [init("pads", np.array([0, 0, -(1 << 63), 0, 0, 0, 0, 0], np.int64))], message=r"pad_min", why="pad Int64.min")
    r = np.random.default_rng(0)
    w = r.standard_normal((4, 3, 3, 3)).astype(np.float32)
    P = 1 << 20
    model_case("conv_pads_2p20", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_far", pads=[P, P, P, P])],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", w)], message=r"conv_far", why="Conv pads 2^20")
    model_case("conv_pads_int64_max", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_max",
                                                        pads=[(1 << 63) - 1] * 4)],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", w)], message=r"conv_max", why="Conv pads Int64.max")
    model_case("conv_stride_0", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_s0", strides=[0, 0])],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", w)], message=r"conv_s0", why="Conv stride 0")
    model_case("conv_dilation_huge", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_dil", dilations=[1 << 40, 1 << 40])],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", w)], message=r"conv_dil", why="Conv dilation 2^40")
    model_case("conv_kernel_bigger_than_input", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_big")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", r.standard_normal((4, 3, 9, 9)).astype(np.float32))],
               message=r"conv_big", why="a 9x9 kernel over an 8x8 input without pads")
    model_case("conv_group_mismatch", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_grp", group=2)],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", w)], message=r"conv_grp", why="group 2 over 3 channels")
    model_case("conv_weight_channels", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_ch")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", r.standard_normal((4, 5, 3, 3)).astype(np.float32))],
               message=r"conv_ch", why="weights for 5 channels over a 3-channel input")
    model_case("convtranspose_output_padding", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="deconv_op",
                                                                 strides=[2, 2], output_padding=[1 << 30, 1 << 30])],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", r.standard_normal((3, 2, 2, 2)).astype(np.float32))],
               message=r"deconv_op", why="ConvTranspose output_padding 2^30")
    for op in ("MaxPool", "AveragePool"):
        model_case(f"{op.lower()}_pads_ge_kernel", [helper.make_node(op, ["x"], ["y"], name="pool_pad", kernel_shape=[2, 2],
                                                                     pads=[3, 3, 3, 3])],
                   [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"pool_pad", why=f"{op} pads 3 with a 2x2 kernel")
        model_case(f"{op.lower()}_kernel_0", [helper.make_node(op, ["x"], ["y"], name="pool_k0", kernel_shape=[0, 0])],
                   [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"pool_k0", why=f"{op} kernel 0x0")
        model_case(f"{op.lower()}_kernel_huge", [helper.make_node(op, ["x"], ["y"], name="pool_kbig", kernel_shape=[1 << 40, 1 << 40])],
                   [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"pool_kbig", why=f"{op} kernel 2^40")
    model_case("expand_huge", [helper.make_node("Expand", ["x", "shape"], ["y"], name="expand_big")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("shape", np.array([1 << 20, 3, 1 << 20, 8], np.int64))],
               message=r"expand_big", why="Expand to 2^20 x 3 x 2^20 x 8")
    model_case("expand_overflow", [helper.make_node("Expand", ["x", "shape"], ["y"], name="expand_ovf")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("shape", np.array([1 << 62, 3, 1 << 62, 8], np.int64))],
               message=r"expand_ovf", why="Expand to a size past 64 bits")
    model_case("constantofshape_huge", [helper.make_node("ConstantOfShape", ["shape"], ["c"], name="cos_big",
                                                         value=numpy_helper.from_array(np.array([1], np.float32))),
                                        helper.make_node("Add", ["x", "c"], ["y"], name="add0")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("shape", np.array([1 << 20, 3, 1 << 20, 8], np.int64))],
               message=r"cos_big|add0", why="ConstantOfShape 2^20 x 3 x 2^20 x 8")
    model_case("constantofshape_negative", [helper.make_node("ConstantOfShape", ["shape"], ["y"], name="cos_neg")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("shape", np.array([-1, 3], np.int64))],
               message=r"cos_neg", why="ConstantOfShape with a negative dimension")
    model_case("tile_huge", [helper.make_node("Tile", ["x", "reps"], ["y"], name="tile_big")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("reps", np.array([1, 1, 1 << 30, 1 << 30], np.int64))],
               message=r"tile_big", why="Tile 2^30 x 2^30")
    model_case("reshape_mismatch", [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape_bad")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("shape", np.array([5, 7], np.int64))],
               message=r"reshape_bad", why="Reshape 192 elements to 5x7")
    model_case("reshape_two_minus_one", [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape_mm")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("shape", np.array([-1, -1], np.int64))],
               message=r"reshape_mm", why="Reshape with two -1")
    model_case("slice_step_0", [helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"], name="slice_s0")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)],
               [init("st", np.array([0], np.int64)), init("en", np.array([8], np.int64)),
                init("ax", np.array([3], np.int64)), init("sp", np.array([0], np.int64))],
               message=r"slice_s0", why="Slice step 0")
    model_case("gather_index_out_of_range", [helper.make_node("Gather", ["x", "i"], ["y"], name="gather_oob", axis=1)],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("i", np.array([7], np.int64))],
               message=r"gather_oob", why="Gather index 7 on an axis of 3")
    model_case("concat_axis_out_of_range", [helper.make_node("Concat", ["x", "x"], ["y"], name="concat_ax", axis=9)],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"concat_ax", why="Concat axis 9 of rank 4")
    model_case("transpose_bad_perm", [helper.make_node("Transpose", ["x"], ["y"], name="tr_perm", perm=[0, 0, 1, 2])],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"tr_perm", why="Transpose perm with a repeat")
    model_case("split_sizes_wrong", [helper.make_node("Split", ["x", "s"], ["a", "b"], name="split_bad", axis=1)],
               [vi("x", [1, 3, 8, 8])], [vi("a", None), vi("b", None)], [init("s", np.array([2, 5], np.int64))],
               message=r"split_bad", why="Split sizes 2+5 of an axis of 3")
    model_case("softmax_axis", [helper.make_node("Softmax", ["x"], ["y"], name="sm_axis", axis=10)],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"sm_axis", why="Softmax axis 10 of rank 4")
    model_case("matmul_mismatch", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm_bad")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", np.ones((5, 2), np.float32))],
               message=r"mm_bad", why="MatMul 8 by 5")
    model_case("gemm_mismatch", [helper.make_node("Flatten", ["x"], ["f"], name="flat"),
                                 helper.make_node("Gemm", ["f", "w"], ["y"], name="gemm_bad")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [init("w", np.ones((7, 2), np.float32))],
               message=r"gemm_bad", why="Gemm 192 by 7")
    model_case("batchnorm_wrong_length", [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn_len")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)],
               [init(n, np.ones(5, np.float32)) for n in ("s", "b", "m", "v")], message=r"bn_len",
               why="BatchNormalization with 5 scales for 3 channels")
    model_case("depthtospace_block_0", [helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s_0", blocksize=0)],
               [vi("x", [1, 4, 8, 8])], [vi("y", None)], shape=(1, 4, 8, 8), message=r"d2s_0", why="DepthToSpace blocksize 0")
    model_case("unsupported_op", [helper.make_node("NonMaxSuppression", ["x", "x"], ["y"], name="nms0")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"nms0|NonMaxSuppression", why="an op Loupe does not run")
    model_case("unsupported_op_inspect", [helper.make_node("Relu", ["x"], ["r"], name="relu0"),
                                          helper.make_node("Einsum", ["r"], ["y"], name="einsum0", equation="ij->ji")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"einsum0|Einsum", verb="inspect", expect=(0, 1),
               why="inspect lists the op it cannot run (exit 0) or exits 1; both name it")
    model_case("unknown_domain", [helper.make_node("Relu", ["x"], ["y"], name="custom0", domain="com.example.secret")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"custom0|com\.example", why="an op of an unknown domain")
    model_case("loop_op", [helper.make_node("Loop", ["", ""], ["y"], name="loop0",
                                            body=helper.make_graph([], "body", [], []))],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"loop0|Loop", why="control flow")
    model_case("undefined_input", [helper.make_node("Add", ["x", "ghost"], ["y"], name="add_ghost")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"ghost", why="a node input nothing defines")
    model_case("cycle", [helper.make_node("Add", ["x", "b"], ["a"], name="add_a"),
                         helper.make_node("Relu", ["a"], ["b"], name="relu_b")],
               [vi("x", [1, 3, 8, 8])], [vi("a", None)], message=r"add_a|relu_b|'b'|cycle", why="a cycle a -> b -> a")
    model_case("duplicate_output", [helper.make_node("Relu", ["x"], ["y"], name="r1"),
                                    helper.make_node("Sigmoid", ["x"], ["y"], name="r2")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"'y'|r2", why="two nodes write 'y'")
    model_case("output_undefined", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", [1, 3, 8, 8])], [vi("z", None)], message=r"'z'", why="a graph output nothing computes")
    model_case("no_opset", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], opset=1, message=r"opset|relu0", expect=(0, 1),
               why="opset 1: Relu exists there, so it runs (exit 0) or is refused naming the opset")
    # An initializer whose raw bytes do not match its dims.
    t = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    t.raw_data = t.raw_data[:37]
    model_case("initializer_short_raw", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv0")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [t], message=r"'w'", why="an initializer with 37 of 432 bytes")
    t = TensorProto(name="w", data_type=F, dims=[1 << 40])
    model_case("initializer_huge_dims_empty", [helper.make_node("Add", ["x", "w"], ["y"], name="add0")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [t], message=r"'w'", why="an initializer declaring 2^40 floats, holding none")
    t = TensorProto(name="s", data_type=TensorProto.STRING, dims=[1], string_data=[b"hello"])
    model_case("string_tensor", [helper.make_node("Add", ["x", "s"], ["y"], name="add_str")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], [t], message=r"'s'|add_str|string", why="a string initializer")
    model_case("cast_to_string", [helper.make_node("Cast", ["x"], ["y"], name="cast_str", to=TensorProto.STRING)],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"cast_str", why="Cast to string")
    model_case("bad_attribute_type", [helper.make_node("Softmax", ["x"], ["y"], name="sm_str", axis="one")],
               [vi("x", [1, 3, 8, 8])], [vi("y", None)], message=r"sm_str", why="an int attribute given as a string")

    # 100,000 Relu nodes in a chain: valid; it must run (exit 0) in seconds, not recurse
    # off the stack nor take quadratic time.
    d = case_dir("relu_chain_100000")
    n = 100_000
    nodes = [helper.make_node("Relu", ["x" if i == 0 else f"t{i}"], ["y" if i == n - 1 else f"t{i + 1}"], name=f"relu{i}")
             for i in range(n)]
    p = os.path.join(d, "model.onnx")
    write(p, model_bytes(nodes, [vi("x", [1, 3, 8, 8])], [vi("y", [1, 3, 8, 8])]))
    add("relu_chain_100000", "model", ["run", p, "--input", x_npy(d), "--output", os.path.join(d, "y.npy")], [0], r"",
        "100,000 Relu nodes in a chain: valid, runs")
    add("relu_chain_100000_inspect", "model", ["inspect", p], [0], r"relu99999", "inspect of the chain lists every node")
    add("relu_chain_100000_profile", "model", ["profile", p, "--runs", "1", "--warmup", "0"], [0], r"",
        "profile of the chain")
    # 50,000 nodes deep of nested subgraphs is the protobuf case above; here a wide graph:
    # 20,000 outputs.
    d = case_dir("wide_20000_outputs")
    n = 20_000
    nodes = [helper.make_node("Relu", ["x"], [f"y{i}"], name=f"relu{i}") for i in range(n)]
    p = os.path.join(d, "model.onnx")
    write(p, model_bytes(nodes, [vi("x", [1, 3, 8, 8])], [vi(f"y{i}", [1, 3, 8, 8]) for i in range(n)]))
    add("wide_20000_outputs", "model", ["inspect", p], [0, 1], r"relu19999|y19999",
        "20,000 graph outputs: listed (exit 0) or refused naming one")

    # --memory-limit on a model that fits otherwise.
    d = case_dir("memory_limit_tiny")
    p = os.path.join(d, "model.onnx")
    write(p, conv_model())
    add("memory_limit_tiny", "model", ["run", p, "--input", x_npy(d), "--output", os.path.join(d, "y.npy"), "--memory-limit", "1K"],
        [1], r"memory limit", "a 1 KiB memory limit")


def external_cases():
    """`y = x + W`, W's two floats in an external file."""
    def ext_model(d, location, offset=None, length=None, dims=(2,)):
        w = TensorProto()
        w.name = "W"
        w.data_type = F
        w.dims.extend(dims)
        w.data_location = TensorProto.EXTERNAL
        for k, v in [("location", location), ("offset", offset), ("length", length)]:
            if v is not None:
                e = w.external_data.add()
                e.key, e.value = k, str(v)
        p = os.path.join(d, "model.onnx")
        write(p, model_bytes([helper.make_node("Add", ["x", "W"], ["y"], name="add_w")], [vi("x", [2])], [vi("y", [2])], [w]))
        np.save(os.path.join(d, "x.npy"), np.ones(2, np.float32))
        return p

    def ext(name, location, setup, message, why, offset=None, length=None, dims=(2,)):
        d = case_dir(name)
        os.makedirs(os.path.join(d, "m"), exist_ok=True)
        setup(os.path.join(d, "m"))
        p = ext_model(os.path.join(d, "m"), location, offset, length, dims)
        add(name, "external", ["run", p, "--input", os.path.join(d, "m", "x.npy"), "--output", os.path.join(d, "y.npy")],
            [1], message, why)

    weights = struct.pack("<2f", 1.5, -2.0)
    ext("ext_fifo", "w.bin", lambda m: os.mkfifo(os.path.join(m, "w.bin")), r"w\.bin", "external data in a FIFO")
    ext("ext_symlink_passwd", "w.bin", lambda m: os.symlink("/etc/passwd", os.path.join(m, "w.bin")), r"w\.bin",
        "external data: a link to /etc/passwd")
    ext("ext_folder_symlink_out", "sub/passwd", lambda m: os.symlink("/etc", os.path.join(m, "sub")), r"sub/passwd",
        "external data under a folder link leaving the model's folder")
    ext("ext_offset_int64_max", "w.bin", lambda m: write(os.path.join(m, "w.bin"), weights), r"w\.bin",
        "offset 2^63-1", offset=(1 << 63) - 1)
    ext("ext_offset_overflow", "w.bin", lambda m: write(os.path.join(m, "w.bin"), weights), r"w\.bin|offset",
        "offset 2^64+1 (past UInt64)", offset=(1 << 64) + 1)
    ext("ext_offset_negative", "w.bin", lambda m: write(os.path.join(m, "w.bin"), weights), r"w\.bin|offset",
        "offset -8", offset=-8)
    ext("ext_length_huge", "w.bin", lambda m: write(os.path.join(m, "w.bin"), weights), r"w\.bin|length",
        "length 2^62", length=1 << 62)
    ext("ext_absolute_path", "/etc/passwd", lambda m: None, r"/etc/passwd", "location /etc/passwd")
    ext("ext_dotdot", "../secret.bin", lambda m: write(os.path.join(os.path.dirname(m), "secret.bin"), weights),
        r"secret\.bin", "location ../secret.bin")
    ext("ext_dev_zero", "z", lambda m: os.symlink("/dev/zero", os.path.join(m, "z")), r"'?z'?", "external data: a link to /dev/zero")
    ext("ext_missing", "nosuch.bin", lambda m: None, r"nosuch\.bin", "external file missing")
    ext("ext_is_folder", "dir", lambda m: os.makedirs(os.path.join(m, "dir"), exist_ok=True), r"dir", "external data names a folder")
    ext("ext_too_short", "w.bin", lambda m: write(os.path.join(m, "w.bin"), weights[:5]), r"w\.bin", "a 5-byte external file for 8 bytes")
    ext("ext_huge_dims", "w.bin", lambda m: write(os.path.join(m, "w.bin"), weights), r"w\.bin|'W'", "dims 2^40 over an 8-byte file",
        dims=(1 << 40,))
    ext("ext_empty_location", "", lambda m: None, r"'W'|location", "an empty location")


def npy_cases():
    def npy(name, make, message, why, expect=(1,)):
        d = case_dir(name)
        p = os.path.join(d, "model.onnx")
        write(p, relu_model())
        x = make(d)
        add(name, "npy", ["run", p, "--input", x, "--output", os.path.join(d, "y.npy")], list(expect), message, why)

    def raw(data, fname="x.npy"):
        def make(d):
            write(os.path.join(d, fname), data)
            return os.path.join(d, fname)
        return make

    def header(h, body=b""):
        h = h.encode()
        pad = 64 - (10 + len(h) + 1) % 64
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h) + pad + 1) + h + b" " * pad + b"\n" + body

    good = io.BytesIO()
    np.save(good, np.ones((1, 3, 8, 8), np.float32))
    good = good.getvalue()

    def fifo(d):
        os.mkfifo(os.path.join(d, "x.npy"))
        return os.path.join(d, "x.npy")

    npy("npy_fifo", fifo, r"x\.npy", ".npy given as a FIFO (nothing writes to it)")
    npy("npy_dev_zero", lambda d: "/dev/zero", r"/dev/zero", ".npy given as /dev/zero")
    npy("npy_dev_zero_link", lambda d: (os.symlink("/dev/zero", os.path.join(d, "x.npy")), os.path.join(d, "x.npy"))[1],
        r"x\.npy", "a link to /dev/zero named x.npy")
    npy("npy_empty", raw(b""), r"x\.npy", "an empty .npy")
    npy("npy_truncated", raw(good[:200]), r"x\.npy", "a .npy cut inside its data")
    npy("npy_truncated_header", raw(good[:20]), r"x\.npy", "a .npy cut inside its header")
    npy("npy_bad_magic", raw(b"\x93NUMPZ" + good[6:]), r"x\.npy", "wrong magic")
    npy("npy_huge_shape", raw(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }")),
        r"x\.npy", "declares 2^80 floats")
    npy("npy_shape_overflow", raw(header("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 16), }")),
        r"x\.npy", "declares an element count past 64 bits")
    npy("npy_negative_shape", raw(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }")),
        r"x\.npy", "a negative dimension")
    npy("npy_garbage_header", raw(header("{'descr': '<f4', 'fortran_order': Fal")), r"x\.npy", "a header that is not a dict")
    npy("npy_header_len_past_end", raw(b"\x93NUMPY\x01\x00\xff\xff{'descr'"), r"x\.npy", "header length past the end")
    npy("npy_object_dtype", raw(header("{'descr': '|O', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", b"\0" * 1536)),
        r"x\.npy|O", "object dtype (pickles)")
    npy("npy_unicode_dtype", raw(header("{'descr': '<U4', 'fortran_order': False, 'shape': (2,), }", b"\0" * 32)),
        r"x\.npy|U4", "string dtype")
    npy("npy_fortran", raw(header("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3, 8, 8), }", b"\0" * 768)),
        r"x\.npy|fortran", "Fortran order", expect=(0, 1))
    npy("npy_version_9", raw(b"\x93NUMPY\x09\x00" + good[8:]), r"x\.npy", "format version 9")
    npy("npy_is_folder", lambda d: (os.makedirs(os.path.join(d, "x.npy"), exist_ok=True), os.path.join(d, "x.npy"))[1],
        r"x\.npy", "a folder given as the .npy")
    npy("npy_missing", lambda d: os.path.join(d, "nosuch.npy"), r"nosuch\.npy", "a .npy that does not exist")
    npy("npy_is_png", lambda d: _png_file(os.path.join(d, "x.npy")), r"x\.npy", "a PNG named x.npy")


def _png_bytes(w=64, h=48, mode="RGB", fmt="PNG", **kw):
    r = np.random.default_rng(w * 131 + h)
    a = r.integers(0, 256, (h, w, 3), dtype=np.uint8)
    img = Image.fromarray(a, "RGB")
    if mode != "RGB":
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_file(p):
    write(p, _png_bytes())
    return p


def _chunk(kind, data):
    import zlib
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def image_cases():
    """`loupe score FILE` with the bundled model: a photo that cannot be scored is listed and,
    none being scored, the exit status is 1."""
    import zlib
    png = _png_bytes()
    jpg = _png_bytes(fmt="JPEG", quality=90)

    def img(name, fname, data, message, why, expect=(1,)):
        d = case_dir(name)
        p = os.path.join(d, fname)
        if callable(data):
            data(p)
        else:
            write(p, data)
        add(name, "image", ["score", p], list(expect), message, why)

    img("png_truncated", "t.png", png[: len(png) // 2], r"t\.png", "a PNG cut in half")
    img("png_header_only", "t.png", png[:33], r"t\.png", "a PNG of its signature and IHDR only")
    bad = bytearray(png)
    for i in range(60, len(bad) - 20, 7):
        bad[i] ^= 0x5A
    img("png_corrupt_idat", "c.png", bytes(bad), r"c\.png", "a PNG with its compressed data scrambled")
    bad = bytearray(png)
    bad[29] ^= 0xFF  # IHDR CRC
    img("png_bad_crc", "c.png", bytes(bad), r"c\.png", "a PNG whose IHDR CRC is wrong", expect=(0, 1))
    sig = b"\x89PNG\r\n\x1a\n"
    ihdr = lambda w, h, depth=8, ctype=2: _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    # 100000 x 100000 declared, a tiny zlib stream of zeros: a decompression bomb if trusted.
    bomb = zlib.compress(b"\0" * (1 << 20), 9)
    img("png_huge_dimensions", "huge.png", sig + ihdr(100000, 100000) + _chunk(b"IDAT", bomb) + _chunk(b"IEND", b""),
        r"huge\.png", "IHDR 100000 x 100000 (30 GB of pixels)")
    img("png_max_dimensions", "max.png", sig + ihdr(0x7FFFFFFF, 0x7FFFFFFF) + _chunk(b"IDAT", bomb) + _chunk(b"IEND", b""),
        r"max\.png", "IHDR 2^31-1 x 2^31-1")
    img("png_zero_width", "zero.png", sig + ihdr(0, 10) + _chunk(b"IDAT", bomb) + _chunk(b"IEND", b""),
        r"zero\.png", "IHDR width 0")
    # 8000 x 8000 (64 MP, over the 16 MP... or within a cap) all-zero image: valid but large.
    img("png_bomb_64mp", "bomb.png", sig + ihdr(8000, 8000) + _chunk(b"IDAT", zlib.compress(b"\0" * (8000 * 3 + 1) * 8000, 9))
        + _chunk(b"IEND", b""), r"bomb\.png", "an 8000 x 8000 PNG of 190 KB: refused over a pixel cap, or scored", expect=(0, 1))
    # zTXt chunk that inflates to 1 GB.
    ztxt = _chunk(b"zTXt", b"k\0\0" + zlib.compress(b"A" * (256 << 20), 9))
    img("png_ztxt_bomb", "z.png", png[:33] + ztxt + png[33:], r"", "a 256 MB compressed text chunk: ignored, scored",
        expect=(0,))
    img("png_16bit", "deep.png", lambda p: Image.fromarray((np.random.default_rng(2).integers(0, 65535, (40, 50))).astype(np.uint16))
        .save(p), r"", "a 16-bit grey PNG: valid, scored", expect=(0,))
    img("png_palette_alpha", "pal.png", _png_bytes(mode="P"), r"", "a palette PNG: valid, scored", expect=(0,))
    img("png_la", "la.png", _png_bytes(mode="LA"), r"", "grey + alpha: valid, scored", expect=(0,))
    img("png_1x1", "one.png", _png_bytes(1, 1), r"", "a 1x1 photo: scored (resized up) or refused", expect=(0, 1))
    img("png_1x10000", "thin.png", _png_bytes(1, 10000), r"", "1 x 10000: scored or refused naming it", expect=(0, 1))
    img("jpeg_truncated", "t.jpg", jpg[: len(jpg) // 2], r"", "a JPEG cut in half: libjpeg pads it (scored, exit 0) or refused",
        expect=(0, 1))
    img("jpeg_header_only", "h.jpg", jpg[:200], r"h\.jpg", "a JPEG of its first 200 bytes")
    img("jpeg_soi_only", "s.jpg", b"\xff\xd8", r"s\.jpg", "a JPEG start marker and nothing more")
    bad = bytearray(jpg)
    for i in range(len(bad) // 3, len(bad) - 10, 5):
        bad[i] = 0xFF
    img("jpeg_corrupt_scan", "c.jpg", bytes(bad), r"", "a JPEG scan full of markers: decoded with warnings or refused",
        expect=(0, 1))
    # SOF0 claiming 65500 x 65500.
    i = jpg.find(b"\xff\xc0")
    big = bytearray(jpg)
    big[i + 5:i + 9] = struct.pack(">HH", 65500, 65500)
    img("jpeg_huge_dimensions", "huge.jpg", bytes(big), r"huge\.jpg", "SOF0 65500 x 65500 (4.3 GP)")
    zero = bytearray(jpg)
    zero[i + 5:i + 9] = struct.pack(">HH", 0, 0)
    img("jpeg_zero_dimensions", "zero.jpg", bytes(zero), r"zero\.jpg", "SOF0 0 x 0")
    img("jpeg_cmyk", "cmyk.jpg", lambda p: Image.new("CMYK", (40, 30), (10, 20, 30, 40)).save(p, "JPEG"), r"",
        "a CMYK JPEG: converted (scored) or refused naming it", expect=(0, 1))
    img("jpeg_progressive", "prog.jpg", _png_bytes(fmt="JPEG", progressive=True), r"", "progressive JPEG: valid", expect=(0,))
    img("jpeg_arithmetic_marker", "arith.jpg", jpg.replace(b"\xff\xc0", b"\xff\xc9", 1), r"", "SOF9 (arithmetic coding)",
        expect=(0, 1))
    # EXIF orientation 200 and an IFD whose next-IFD offset points at itself.
    exif = b"Exif\0\0" + b"MM\0\x2a\0\0\0\x08" + b"\0\x01" + b"\x01\x12\0\x03\0\0\0\x01\0\xc8\0\0" + b"\0\0\0\x08"
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    img("jpeg_exif_loop", "exif.jpg", jpg[:2] + app1 + jpg[2:], r"", "EXIF orientation 200, IFD chain looping on itself: scored",
        expect=(0,))
    exif = b"Exif\0\0" + b"II\x2a\0\xff\xff\xff\x7f"
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    img("jpeg_exif_offset_huge", "exif2.jpg", jpg[:2] + app1 + jpg[2:], r"", "EXIF IFD offset 2^31: scored", expect=(0,))
    img("zero_bytes_jpg", "empty.jpg", b"", r"empty\.jpg", "an empty .jpg")
    img("text_named_png", "note.png", b"this is not a photo\n" * 10, r"note\.png", "text named .png")
    img("gif_named_png", "anim.png", _png_bytes(fmt="GIF"), r"anim\.png", "a GIF named .png: refused or listed as skipped",
        expect=(1,))

    def fifo(p):
        os.mkfifo(p)
    img("photo_fifo", "pipe.jpg", fifo, r"pipe\.jpg", "a FIFO named pipe.jpg (nothing writes to it)")
    img("photo_dev_zero_link", "zero.jpg", lambda p: os.symlink("/dev/zero", p), r"zero\.jpg", "a link to /dev/zero named .jpg")
    d = case_dir("photo_dev_zero")
    add("photo_dev_zero", "image", ["score", "/dev/zero"], [1], r"/dev/zero", "/dev/zero given as a photo")
    d = case_dir("photo_missing")
    add("photo_missing", "image", ["score", os.path.join(d, "nosuch.jpg")], [1], r"nosuch\.jpg", "a photo that does not exist")

    # Scoring with a broken model named by --model: refused before any photo.
    d = case_dir("score_bad_model")
    write(os.path.join(d, "m.onnx"), b"\x08\x08\x3a\x05garb")
    write(os.path.join(d, "p.png"), png)
    add("score_bad_model", "image", ["score", os.path.join(d, "p.png"), "--model", os.path.join(d, "m.onnx")], [1],
        r"m\.onnx", "score with a truncated --model")
    d = case_dir("score_output_unwritable")
    write(os.path.join(d, "p.png"), png)
    add("score_output_unwritable", "image", ["score", os.path.join(d, "p.png"), "-o", os.path.join(d, "no", "such", "s.csv")],
        [1], r"s\.csv", "score -o into a folder that does not exist")
    d = case_dir("score_output_is_folder")
    write(os.path.join(d, "p.png"), png)
    os.makedirs(os.path.join(d, "out.csv"), exist_ok=True)
    add("score_output_is_folder", "image", ["score", os.path.join(d, "p.png"), "-o", os.path.join(d, "out.csv")],
        [1], r"out\.csv", "score -o naming a folder")
    d = case_dir("score_output_dev_full")
    write(os.path.join(d, "p.png"), png)
    add("score_output_dev_full", "image", ["score", os.path.join(d, "p.png"), "-o", "/dev/full"], [1, 64], r"/dev/full",
        "score -o /dev/full (every write fails: no space left)")
    d = case_dir("score_list_dev_zero")
    add("score_list_dev_zero", "image", ["score", "--list", "/dev/zero"], [1], r"/dev/zero", "--list /dev/zero")
    d = case_dir("score_list_missing_photos")
    write(os.path.join(d, "list.txt"), (os.path.join(d, "a.jpg") + "\n" + os.path.join(d, "b.png") + "\n").encode())
    add("score_list_missing_photos", "image", ["score", "--list", os.path.join(d, "list.txt")], [1], r"a\.jpg",
        "--list of photos that do not exist")
    d = case_dir("score_list_nul")
    write(os.path.join(d, "p.png"), png)
    write(os.path.join(d, "list.txt"), (os.path.join(d, "p.png") + "\n" + os.path.join(d, "q\0.png") + "\n").encode())
    add("score_list_nul", "image", ["score", "--list", os.path.join(d, "list.txt")], [1, 3], r"q",
        "a list line holding a NUL byte: listed as failed, the good photo scored (3), or refused (1)")


def folder_cases():
    """`loupe score DIR` over odd folders: the bad items are listed, the good photos scored."""
    png = _png_bytes()
    jpg = _png_bytes(fmt="JPEG")

    def folder(name, setup, expect, message, why, user=None):
        d = case_dir(name)
        top = os.path.join(d, "photos")
        os.makedirs(top, exist_ok=True)
        write(os.path.join(top, "good.png"), png)
        write(os.path.join(top, "good2.jpg"), jpg)
        setup(top)
        add(name, "folder", ["score", top], expect, message, why, user)

    folder("folder_loop_dot", lambda t: os.symlink(".", os.path.join(t, "loop")), [0], r"skipped: .*loop",
           "loop -> . : walked once, the extra path listed as skipped")
    folder("folder_loop_parent", lambda t: (os.makedirs(os.path.join(t, "a", "b"), exist_ok=True),
                                            os.symlink("../..", os.path.join(t, "a", "b", "up"))),
           [0], r"skipped: .*up", "a/b/up -> ../.. : a loop two levels up")
    folder("folder_mutual_links", lambda t: (os.makedirs(os.path.join(t, "x"), exist_ok=True), os.makedirs(os.path.join(t, "y"), exist_ok=True),
                                             os.symlink("../y", os.path.join(t, "x", "toy")), os.symlink("../x", os.path.join(t, "y", "tox"))),
           [0], r"skipped", "x/toy -> ../y, y/tox -> ../x")
    folder("folder_dangling_jpg", lambda t: os.symlink("nowhere.jpg", os.path.join(t, "gone.jpg")), [3], r"gone\.jpg",
           "a dangling link named gone.jpg: listed as failed, the rest scored")
    folder("folder_dangling_dir_link", lambda t: os.symlink("nowhere", os.path.join(t, "gone")), [0, 3], r"",
           "a dangling link without a photo name: ignored (0) or listed (3)")
    folder("folder_non_utf8_name", lambda t: write(os.path.join(t.encode(), b"bad\xff\xfe.jpg"), jpg), [3], r"bad",
           "a photo named with bytes that are not UTF-8: listed as failed")
    folder("folder_non_utf8_subfolder", lambda t: (os.makedirs(os.path.join(t.encode(), b"sub\xff"), exist_ok=True),
                                                   write(os.path.join(t.encode(), b"sub\xff", b"p.png"), png)),
           [3], r"sub", "a subfolder whose name is not UTF-8: listed as failed")

    def unreadable_dir(t):
        s = os.path.join(t, "locked")
        os.makedirs(s, exist_ok=True)
        write(os.path.join(s, "p.png"), png)
        os.chmod(s, 0)
    folder("folder_unreadable_subfolder", unreadable_dir, [3], r"locked", "a subfolder mode 000: listed as failed",
           user="nobody")

    def unreadable_file(t):
        p = os.path.join(t, "secret.jpg")
        write(p, jpg)
        os.chmod(p, 0)
    folder("folder_unreadable_file", unreadable_file, [3], r"secret\.jpg", "a photo mode 000: listed as failed", user="nobody")
    folder("folder_fifo_photo", lambda t: os.mkfifo(os.path.join(t, "pipe.jpg")), [3], r"pipe\.jpg",
           "a FIFO named pipe.jpg: listed, never opened for a blocking read")
    folder("folder_dev_zero_link", lambda t: os.symlink("/dev/zero", os.path.join(t, "zero.png")), [3], r"zero\.png",
           "a link to /dev/zero named zero.png")
    folder("folder_corrupt_photo", lambda t: write(os.path.join(t, "broken.jpg"), jpg[:100]), [3], r"broken\.jpg",
           "a truncated JPEG among good ones")
    folder("folder_text_as_png", lambda t: write(os.path.join(t, "fake.png"), b"hello"), [3], r"fake\.png",
           "text named fake.png among good ones")
    folder("folder_unsupported_formats", lambda t: (write(os.path.join(t, "a.webp"), b"RIFF\0\0\0\0WEBPVP8 "),
                                                    write(os.path.join(t, "b.gif"), _png_bytes(fmt="GIF")),
                                                    write(os.path.join(t, "c.bmp"), _png_bytes(fmt="BMP"))),
           [0], r"skipped: .*(a\.webp|b\.gif|c\.bmp)", "WebP, GIF, BMP: listed as skipped, the photos scored")
    folder("folder_other_files", lambda t: (write(os.path.join(t, "notes.txt"), b"x"), write(os.path.join(t, ".DS_Store"), b"\0" * 64)),
           [0], r"", "text files and dot files among photos: ignored")

    def deep(t):
        p = t
        for i in range(300):
            p = os.path.join(p, "d")
        try:
            os.makedirs(p, exist_ok=True)
            write(os.path.join(p, "deep.png"), png)
        except OSError:
            pass
    folder("folder_300_deep", deep, [0, 3], r"", "a photo 300 folders deep: scored or listed")

    def long_path(t):
        # past PATH_MAX (4096) through a chain of 200-byte names made with relative mkdir
        cwd = os.getcwd()
        os.chdir(t)
        try:
            for i in range(25):
                n = "n" * 200
                os.mkdir(n)
                os.chdir(n)
            write("far.png", png)
        finally:
            os.chdir(cwd)
    folder("folder_path_past_path_max", long_path, [0, 3], r"", "a photo at a path of over 5000 bytes: scored or listed")
    folder("folder_many_empty_jpgs", lambda t: [write(os.path.join(t, f"e{i:04}.jpg"), b"") for i in range(500)],
           [3], r"e0000\.jpg", "500 empty .jpg files among 2 good photos")

    for name, setup, msg, why in [
        ("folder_empty", lambda t: None, r"no JPEG or PNG", "an empty folder"),
        ("folder_only_text", lambda t: write(os.path.join(t, "a.txt"), b"x"), r"no JPEG or PNG", "a folder without photos"),
    ]:
        d = case_dir(name)
        top = os.path.join(d, "photos")
        os.makedirs(top, exist_ok=True)
        setup(top)
        add(name, "folder", ["score", top], [1], msg, why)
    d = case_dir("folder_only_bad")
    top = os.path.join(d, "photos")
    os.makedirs(top, exist_ok=True)
    write(os.path.join(top, "a.jpg"), b"\xff\xd8")
    write(os.path.join(top, "b.png"), png[:40])
    add("folder_only_bad", "folder", ["score", top], [1], r"a\.jpg", "a folder of broken photos only: all listed, exit 1")

    # calibrate over folders of bad photos.
    d = case_dir("calibrate_bad_photos")
    top = os.path.join(d, "photos")
    os.makedirs(top, exist_ok=True)
    write(os.path.join(top, "a.jpg"), b"\xff\xd8")
    write(os.path.join(top, "b.png"), png[:40])
    add("calibrate_bad_photos", "folder", ["calibrate", "BUNDLED_MODEL", "--images", top, "--count", "2", "-o",
                                           os.path.join(d, "q.onnx")], [1], r"a\.jpg|b\.png|photos",
        "calibrate with only broken photos: nothing written, exit 1")
    d = case_dir("calibrate_empty_folder")
    os.makedirs(os.path.join(d, "photos"), exist_ok=True)
    add("calibrate_empty_folder", "folder", ["calibrate", "BUNDLED_MODEL", "--images", os.path.join(d, "photos"), "-o",
                                             os.path.join(d, "q.onnx")], [1], r"photos", "calibrate over an empty folder")
    d = case_dir("calibrate_unsupported_model")
    p = os.path.join(d, "model.onnx")
    write(p, model_bytes([helper.make_node("NonMaxSuppression", ["x", "x"], ["y"], name="nms0")], [vi("x", [1, 3, 8, 8])], [vi("y", None)]))
    os.makedirs(os.path.join(d, "photos"), exist_ok=True)
    write(os.path.join(d, "photos", "p.png"), png)
    add("calibrate_unsupported_model", "model", ["calibrate", p, "--images", os.path.join(d, "photos"), "--count", "1", "-o",
                                                 os.path.join(d, "q.onnx")], [1], r"nms0|NonMaxSuppression",
        "calibrate a model with an op Loupe does not run")


def csv_cases():
    """Tables: rank (challenge results), eval --labels / --uhd-iqa / --predictions, merge."""
    def rank(name, data, message, why, expect=(1,)):
        d = case_dir(name)
        p = os.path.join(d, "entries.csv")
        if callable(data):
            data(p)
        else:
            write(p, data)
        add(name, "csv", ["rank", p], list(expect), message, why)

    H = b"name,srcc,plcc,krcc,mae,rmse\n"
    rank("rank_empty", b"", r"entries\.csv", "an empty table")
    rank("rank_header_only", H, r"entries\.csv", "a header without rows")
    rank("rank_unterminated_quote", H + b'"team,0.5,0.5,0.4,0.1,0.2\n', r"entries\.csv", "a quote never closed")
    rank("rank_not_number", H + b"team,zero,0.5,0.4,0.1,0.2\n", r"entries\.csv.*(line 2|srcc)|line 2", "srcc 'zero'")
    rank("rank_nan", H + b"team,nan,0.5,0.4,0.1,0.2\nb,0.1,0.5,0.4,0.1,0.2\n", r"line 2|srcc|nan", "srcc NaN")
    rank("rank_inf", H + b"team,inf,0.5,0.4,0.1,0.2\nb,0.1,0.5,0.4,0.1,0.2\n", r"line 2|srcc|inf", "srcc inf")
    rank("rank_ragged", H + b"team,0.5,0.5\n", r"line 2", "a short row")
    rank("rank_missing_column", b"name,srcc\nteam,0.5\n", r"plcc|column", "no plcc column")
    rank("rank_non_utf8", H + b"t\xff\xfeam,0.5,0.5,0.4,0.1,0.2\n", r"entries\.csv|UTF-8|line 2", "bytes that are not UTF-8",
         expect=(0, 1))
    rank("rank_nul_bytes", H + b"te\0am,0.5,0.5,0.4,0.1,0.2\n", r"", "a NUL in a name: ranked or refused", expect=(0, 1))
    rank("rank_huge_line", H + b"x" * (8 << 20) + b",0.5,0.5,0.4,0.1,0.2\n", r"", "an 8 MB name: ranked or refused",
         expect=(0, 1))
    rank("rank_many_columns", b",".join([b"c%d" % i for i in range(100000)]) + b"\n", r"entries\.csv|column",
         "100,000 columns, no metric column")
    rank("rank_crlf_bom", b"\xef\xbb\xbf" + H.replace(b"\n", b"\r\n") + b"team,0.5,0.5,0.4,0.1,0.2\r\nb,0.4,0.5,0.4,0.1,0.2\r\n",
         r"team", "BOM and CRLF: valid", expect=(0,))
    rank("rank_dev_zero", lambda p: os.symlink("/dev/zero", p), r"entries\.csv", "a link to /dev/zero")
    rank("rank_fifo", lambda p: os.mkfifo(p), r"entries\.csv", "a FIFO")
    rank("rank_folder", lambda p: os.makedirs(p), r"entries\.csv", "a folder")
    d = case_dir("rank_where_bad")
    write(os.path.join(d, "e.csv"), H + b"a,0.5,0.5,0.4,0.1,0.2\n")
    add("rank_where_bad", "csv", ["rank", os.path.join(d, "e.csv"), "--where", "nosuch=1"], [1, 64], r"nosuch",
        "--where on a column the table lacks")

    png = _png_bytes()

    def labels(name, table, message, why, expect=(1,), photos=True):
        d = case_dir(name)
        img = os.path.join(d, "img")
        os.makedirs(img, exist_ok=True)
        if photos:
            for i in range(3):
                write(os.path.join(img, f"p{i}.png"), _png_bytes(32 + i, 24))
        write(os.path.join(d, "labels.csv"), table)
        add(name, "csv", ["eval", "--labels", os.path.join(d, "labels.csv"), "--images", img, "--name-column", "image_name",
                          "--score-column", "MOS"], list(expect), message, why)

    labels("labels_missing_column", b"file,score\np0.png,1\n", r"image_name|MOS|column", "no image_name column")
    labels("labels_score_text", b"image_name,MOS\np0.png,good\np1.png,2\np2.png,3\n", r"line 2|good", "MOS 'good'")
    labels("labels_score_nan", b"image_name,MOS\np0.png,nan\np1.png,2\np2.png,3\n", r"line 2|nan|NaN", "MOS NaN")
    labels("labels_path_escape", b"image_name,MOS\n../../../../etc/passwd,1\np1.png,2\np2.png,3\n",
           r"passwd", "a name leading out of the image folder: listed (3) or refused (1)", expect=(1, 3))
    labels("labels_absolute", b"image_name,MOS\n/etc/passwd,1\np1.png,2\np2.png,3\n", r"passwd",
           "an absolute name: listed (3) or refused (1)", expect=(1, 3))
    labels("labels_missing_photos", b"image_name,MOS\nq0.png,1\nq1.png,2\nq2.png,3\n", r"q0\.png",
           "names with no photo")
    labels("labels_one_row", b"image_name,MOS\np0.png,1\n", r"labels\.csv|one|at least|2", "one photo: no correlation",
           expect=(1,))
    labels("labels_constant_scores", b"image_name,MOS\np0.png,1\np1.png,1\np2.png,1\n", r"", "every MOS equal: correlation undefined, "
           "reported as such (0) or refused (1)", expect=(0, 1))
    labels("labels_duplicate_names", b"image_name,MOS\np0.png,1\np0.png,2\np1.png,3\n", r"line 3.*p0\.png",
           "one photo labelled twice (it would count twice): refused naming the line and photo")

    def uhd(name, meta, message, why, expect=(1,)):
        d = case_dir(name)
        os.makedirs(os.path.join(d, "root"), exist_ok=True)
        if meta is not None:
            write(os.path.join(d, "root", "uhd-iqa-metadata.csv"), meta)
        add(name, "csv", ["eval", "--uhd-iqa", os.path.join(d, "root"), "--split", "validation"], list(expect), message, why)

    uhd("uhd_no_metadata", None, r"root|metadata", "a UHD-IQA root without metadata")
    uhd("uhd_huge_height", b"image_name,quality_mos,set,orig_width,orig_height\na.jpg,0.5,validation,3840,1" + b"9" * 96 + b"\n",
        r"orig_height|line 2", "orig_height of 97 digits")
    uhd("uhd_bad_header", b"\xff\xfe\x00\x00garbage\n", r"metadata|column|UTF", "metadata of garbage")
    d = case_dir("uhd_metadata_file_bad")
    write(os.path.join(d, "meta.csv"), b"image_name,quality_mos\n")
    os.makedirs(os.path.join(d, "root"), exist_ok=True)
    add("uhd_metadata_file_bad", "csv", ["eval", "--uhd-iqa", os.path.join(d, "root"), "--metadata", os.path.join(d, "meta.csv")],
        [1], r"meta\.csv|set|column|no photos|validation", "--metadata without a set column")

    def preds(name, data, message, why, expect=(1,)):
        d = case_dir(name)
        img = os.path.join(d, "img")
        os.makedirs(img, exist_ok=True)
        write(os.path.join(d, "labels.csv"), b"image_name,MOS\np0.png,1\np1.png,2\np2.png,3\n")
        write(os.path.join(d, "pred.csv"), data)
        add(name, "csv", ["eval", "--labels", os.path.join(d, "labels.csv"), "--images", img, "--name-column", "image_name",
                          "--score-column", "MOS", "--predictions", os.path.join(d, "pred.csv")], list(expect), message, why)

    preds("predictions_garbage", bytes(np.random.default_rng(5).integers(0, 256, 2000, dtype=np.uint8)), r"pred\.csv",
          "random bytes as predictions")
    preds("predictions_bad_score", b"path,score,ms\np0.png,high,1\n", r"pred\.csv|line 2|high", "score 'high'")
    preds("predictions_none_match", b"path,score,ms\nzz.png,0.5,1\n", r"p0\.png|no prediction|missing|zz", "no prediction for any photo")

    def merge(name, files, message, why, expect=(1,)):
        d = case_dir(name)
        paths = []
        for fname, data in files:
            p = os.path.join(d, fname)
            write(p, data)
            paths.append(p)
        add(name, "csv", ["merge"] + paths + ["-o", os.path.join(d, "out.csv")], list(expect), message, why)

    merge("merge_garbage", [("a.csv", b"\x00\x01\x02garbage\n")], r"a\.csv", "a score file of garbage")
    merge("merge_conflict", [("a.csv", b"path,score,ms\np.jpg,0.5,1\n"), ("b.csv", b"path,score,ms\np.jpg,0.9,1\n")],
          r"p\.jpg", "one photo with two different scores: refused (1) or reported", expect=(1, 3))
    merge("merge_bad_jsonl", [("a.jsonl", b'{"path": "p.jpg", "score": }\n{"path":\n')], r"a\.jsonl", "broken JSON lines")
    merge("merge_score_nan", [("a.csv", b"path,score,ms\np.jpg,nan,1\n")], r"a\.csv|line 2|nan", "a NaN score")


def cli_cases():
    d = case_dir("cli_threads_huge")
    p = os.path.join(d, "model.onnx")
    write(p, relu_model())
    # A link, not /dev/full itself: a loupe that renames a new file over the path (as root)
    # then replaces the link, not the device.
    os.symlink("/dev/full", os.path.join(d, "full.npy"))
    add("run_output_dev_full", "cli", ["run", p, "--input", x_npy(d), "--output", os.path.join(d, "full.npy")], [1],
        r"full\.npy", "run --output a link to /dev/full: the write fails (no space left), named; the device stays")
    write(os.path.join(d, "file"), b"x")
    add("run_output_dir_is_file", "cli", ["run", p, "--input", x_npy(d), "--output-dir", os.path.join(d, "file")], [1],
        r"file", "run --output-dir naming a file")
    add("profile_json_unwritable", "cli", ["profile", p, "--runs", "1", "--warmup", "0", "--json", os.path.join(d, "no", "p.json")],
        [1], r"p\.json", "profile --json into a folder that does not exist")
    add("merge_expect_missing", "cli", ["merge", os.path.join(d, "nosuch.csv"), "-o", os.path.join(d, "m.csv")], [1],
        r"nosuch\.csv", "merge of a score file that does not exist")
    add("cli_threads_huge", "cli", ["run", p, "--input", x_npy(d), "--threads", "100000"], [64], r"threads",
        "--threads 100000: a usage error")
    add("cli_memory_limit_zero", "cli", ["run", p, "--input", x_npy(d), "--memory-limit", "0"], [64], r"memory-limit|size",
        "--memory-limit 0: a usage error")
    add("cli_memory_limit_huge", "cli", ["run", p, "--input", x_npy(d), "--memory-limit", "1e30T"], [64], r"size",
        "--memory-limit 1e30T: a usage error")
    add("cli_shard_bad", "cli", ["score", d, "--shard", "5/3"], [64], r"shard|5/3", "--shard 5/3: a usage error")
    add("cli_input_shape_bad", "cli", ["run", p, "--input", x_npy(d), "--input-shape", "x=1,3,-8,8"], [1, 64], r"x|shape",
        "--input-shape with a negative dimension")
    add("cli_input_shape_huge", "cli", ["run", p, "--input", x_npy(d), "--input-shape", "x=1,3,99999999999,99999999999"], [1, 64],
        r"'x'|x|memory", "--input-shape of 10^22 elements")


# Cases where more than one outcome could be defended, with the one Loupe must give and why.
DECIDED = {
    "huge_input_inspect": (0, "inspect is a report: the refusal (overflowing size of 'x') is a line of its table, exit 0"),
    "unsupported_op_inspect": (0, "inspect is a report: 'not compiled: unsupported Einsum node', exit 0"),
    "wide_20000_outputs": (0, "20,000 graph outputs: valid, inspect lists them"),
    "wrong_input_name": (1, "an --input name the model lacks: rejected (1), naming the inputs it has"),
    "no_opset": (1, "opset 1 is below the supported 7...27: refused naming the node and opset"),
    "npy_fortran": (1, "Fortran order: refused (Loupe reads C order), saying how to convert"),
    "png_bad_crc": (1, "a PNG whose IHDR CRC is wrong: refused like libpng refuses it"),
    "png_bomb_64mp": (0, "an 8000 x 8000 PNG of 190 KB: under the 100 MP cap, decoded and scored within 500 MB"),
    "png_1x1": (0, "a 1x1 photo: valid, resized up and scored"),
    "png_1x10000": (0, "1 x 10000: valid, scored"),
    "jpeg_truncated": (1, "a JPEG cut in half: refused (libjpeg's 'premature end' is an error, not grey fill)"),
    "jpeg_corrupt_scan": (1, "a JPEG scan full of markers: refused (libjpeg warnings are errors)"),
    "jpeg_cmyk": (0, "a CMYK JPEG: converted to RGB and scored"),
    "jpeg_arithmetic_marker": (1, "SOF9 marker on Huffman data: refused"),
    "score_list_nul": (3, "a list line holding a NUL byte: listed as failed, the good photo scored (3)"),
    "folder_dangling_dir_link": (0, "a dangling link without a photo name: not a photo, ignored (0)"),
    "folder_300_deep": (0, "a photo 300 folders deep: found and scored"),
    "folder_path_past_path_max": (0, "a photo at a path over PATH_MAX (5000 bytes): found and scored"),
    "rank_non_utf8": (1, "a table that is not UTF-8: refused naming the file"),
    "rank_nul_bytes": (0, "a NUL inside a name: text like any other, ranked"),
    "rank_huge_line": (0, "an 8 MB name: valid, ranked in seconds"),
    "rank_where_bad": (1, "--where on a column the table lacks: rejected naming the column"),
    "labels_path_escape": (3, "a name leading out of the image folder: that photo is listed as failed, the rest scored (3)"),
    "labels_absolute": (3, "an absolute name: that photo is listed as failed, the rest scored (3)"),
    "labels_constant_scores": (0, "every MOS equal: the correlations are undefined and reported so, exit 0"),
    "merge_conflict": (3, "one photo with two different scores: the conflict is listed, exit 3"),
    "cli_input_shape_bad": (64, "--input-shape with a negative dimension: a usage error"),
    "cli_input_shape_huge": (64, "--input-shape of 10^22 elements: a usage error"),
}


def main():
    global OUT
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    OUT = os.path.abspath(sys.argv[1])
    if os.path.exists(OUT):
        # Unreadable folders made by an earlier run must be opened to be removed.
        for dirpath, dirnames, _ in os.walk(OUT):
            for n in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, n), 0o755)
                except OSError:
                    pass
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    raw_file_cases()
    shape_cases()
    external_cases()
    npy_cases()
    image_cases()
    folder_cases()
    csv_cases()
    cli_cases()
    for c in cases:
        if c["name"] in DECIDED:
            c["expect"], c["why"] = [DECIDED[c["name"]][0]], DECIDED[c["name"]][1]
    assert set(DECIDED) <= {c["name"] for c in cases}, "DECIDED names a case that does not exist"
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    print(f"{len(cases)} cases in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
