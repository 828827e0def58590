#!/usr/bin/env python3
"""Diagnostic: rewrites ops Loupe's importer does not represent yet into ops it does, to find
what a model needs *beyond* them (the next blockers). Not a fix: Loupe must import these ops.

  LayerNormalization(X, Scale, B; axis, epsilon)  -> ReduceMean, Sub, Mul, ReduceMean, Add,
                                                     Sqrt, Div, Mul, Add (opset-17 attribute axes)
  Split(X, split; axis)                           -> one Slice per output

Usage: python3 Bench/scripts/profile_models/decompose_for_diagnosis.py IN.onnx OUT.onnx
(run onnxruntime's basic optimizer first to fold shape arithmetic such as Mod on shapes).
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main(src, dst):
    m = onnx.load(src)
    g = m.graph
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    types = {}
    m2 = onnx.shape_inference.infer_shapes(m)
    for vi in list(m2.graph.value_info) + list(m2.graph.input):
        types[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    out_nodes, new_inits = [], []
    k = 0

    def const(name, arr):
        new_inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    for n in g.node:
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        p = f"{n.name or n.op_type}_{k}"
        k += 1
        if n.op_type == "LayerNormalization":
            rank = len(types[n.input[0]])
            axis = a.get("axis", -1) % rank
            axes = list(range(axis, rank))
            x = n.input[0]
            out_nodes += [
                helper.make_node("ReduceMean", [x], [p + "_mean"], axes=axes, keepdims=1),
                helper.make_node("Sub", [x, p + "_mean"], [p + "_d"]),
                helper.make_node("Mul", [p + "_d", p + "_d"], [p + "_d2"]),
                helper.make_node("ReduceMean", [p + "_d2"], [p + "_var"], axes=axes, keepdims=1),
                helper.make_node("Add", [p + "_var", const(p + "_eps", np.float32(a.get("epsilon", 1e-5)))], [p + "_ve"]),
                helper.make_node("Sqrt", [p + "_ve"], [p + "_std"]),
                helper.make_node("Div", [p + "_d", p + "_std"], [p + "_n"]),
            ]
            if len(n.input) > 2 and n.input[2]:
                out_nodes += [helper.make_node("Mul", [p + "_n", n.input[1]], [p + "_s"]),
                              helper.make_node("Add", [p + "_s", n.input[2]], [n.output[0]])]
            else:
                out_nodes.append(helper.make_node("Mul", [p + "_n", n.input[1]], [n.output[0]]))
        elif n.op_type == "Split":
            shape = types[n.input[0]]
            axis = a.get("axis", 0) % len(shape)
            if len(n.input) > 1 and n.input[1]:
                sizes = [int(s) for s in consts[n.input[1]]]
            else:
                sizes = [shape[axis] // len(n.output)] * len(n.output)
            start = 0
            for i, (o, s) in enumerate(zip(n.output, sizes)):
                out_nodes.append(helper.make_node(
                    "Slice", [n.input[0], const(f"{p}_s{i}", np.array([start], np.int64)),
                              const(f"{p}_e{i}", np.array([start + s], np.int64)),
                              const(f"{p}_a{i}", np.array([axis], np.int64))], [o]))
                start += s
        else:
            out_nodes.append(n)
    del g.node[:]
    g.node.extend(out_nodes)
    g.initializer.extend(new_inits)
    onnx.save(m, dst)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
