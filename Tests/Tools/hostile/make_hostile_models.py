"""Writes small hostile ONNX models into OUT_DIR, for trying `loupe` by hand:

    python3 Tests/Tools/hostile/make_hostile_models.py /tmp/hostile
    for f in /tmp/hostile/*.onnx; do loupe inspect "$f"; done

Each file is a few kilobytes (the Relu chain 2-3 MB) but asks for something the compiler
must refuse with a message, not a crash or a hang: terabyte activations, sizes whose byte
count overflows, pool pads not smaller than the kernel, external data through symbolic
links, a FIFO or a device. The unit tests build the same graphs in Swift; this script is
not run by the test suite.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "hostile-models"
os.makedirs(OUT, exist_ok=True)
N = helper.make_node


def vi(name, shape):
    return helper.make_tensor_value_info(name, TP.FLOAT, shape)


def save(name, nodes, inputs, outputs, inits=(), folder=OUT):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, os.path.join(folder, name + ".onnx"))


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def floats(name, values):
    return numpy_helper.from_array(np.array(values, np.float32), name)


# Declared sizes: 4 TiB, and an element count that overflows 64 bits.
save("input_4tib", [N("Relu", ["x"], ["y"])], [vi("x", [1, 1, 1 << 20, 1 << 20])], [vi("y", None)])
save("input_overflow", [N("Relu", ["x"], ["y"])], [vi("x", [1 << 31] * 3)], [vi("y", None)])
# Inferred sizes from tiny inputs.
save("resize_10000", [N("Resize", ["x", "", "s"], ["y"], name="resize")], [vi("x", [1, 3, 2, 2])], [vi("y", None)],
     [floats("s", [1, 1, 10000, 10000])])
save("pad_1e5", [N("Pad", ["x", "p"], ["y"], name="pad")], [vi("x", [1, 1, 2, 2])], [vi("y", None)],
     [ints("p", [0, 0, 100000, 100000, 0, 0, 100000, 100000])])
save("conv_pads_2e20", [N("Conv", ["x", "w"], ["y"], name="conv", pads=[1 << 20] * 4)], [vi("x", [1, 1, 2, 2])],
     [vi("y", None)], [floats("w", np.ones((1, 1, 1, 1)))])
save("expand_huge", [N("Expand", ["c", "s"], ["e"], name="expand"), N("Add", ["x", "e"], ["y"])],
     [vi("x", [1, 1, 1, 1])], [vi("y", None)], [floats("c", [1]), ints("s", [1, 1, 1 << 16, 1 << 16])])
save("constant_of_shape_huge", [N("ConstantOfShape", ["s"], ["c"], name="cos"), N("Add", ["x", "c"], ["y"])],
     [vi("x", [1, 1, 1, 1])], [vi("y", None)], [ints("s", [1, 1, 1 << 16, 1 << 16])])
# ONNX forbids pads >= kernel: half the windows would lie wholly in the padding.
save("avgpool_pads_ge_kernel", [N("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], pads=[3, 3, 3, 3])],
     [vi("x", [1, 1, 4, 4])], [vi("y", None)])
# 100,000 Relu nodes: passes that rebuild graph-wide maps per node take hours.
chain = [N("Relu", ["x" if i == 0 else f"r{i - 1}"], [f"r{i}"], name=f"relu{i}") for i in range(100_000)]
save("relu_chain_100k", chain, [vi("x", [1, 8])], [vi("r99999", None)])


def external(folder, location):
    """`y = x + W`, W's 2 floats stored at `location` relative to the model's folder."""
    os.makedirs(folder, exist_ok=True)
    w = TP(name="W", data_type=TP.FLOAT, dims=[2])
    w.data_location = TP.EXTERNAL
    e = w.external_data.add()
    e.key, e.value = "location", location
    save("model", [N("Add", ["x", "W"], ["y"])], [vi("x", [2])], [vi("y", [2])], [w], folder=folder)


def link(path, target):
    if not os.path.lexists(path):
        os.symlink(target, path)


d = os.path.join(OUT, "external_file_link")
external(d, "weights.bin")
link(os.path.join(d, "weights.bin"), "/etc/passwd")
d = os.path.join(OUT, "external_folder_link")
external(d, "d/passwd")
link(os.path.join(d, "d"), "/etc")
d = os.path.join(OUT, "external_device")
external(d, "zero.bin")
link(os.path.join(d, "zero.bin"), "/dev/zero")
d = os.path.join(OUT, "external_fifo")
external(d, "pipe.bin")
if not os.path.exists(os.path.join(d, "pipe.bin")):
    os.mkfifo(os.path.join(d, "pipe.bin"))
print("wrote hostile models to", OUT)
