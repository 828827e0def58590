#!/usr/bin/env python3
"""Diagnostic: folds the training-mode BatchNormalization nodes that timm's ScaledStdConv2d
exports for weight standardization (BatchNormalization(training_mode=1) over the constant
weight reshaped to [1, out, fan_in], running-stat outputs unused) into plain constant weights,
with numpy, and writes the model next to the input as <name>_ws_folded.onnx.

This is what Loupe's importer/constant folding must do itself; the folded file only
shows what else the model needs once that is done. Nodes left dead (the ReduceMean chains that
fed the running statistics) are removed.

Usage: python3 Bench/scripts/profile_models/fold_weight_standardization.py Fixtures/profile/nf_regnet_b1.onnx
"""
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper


def main(path):
    m = onnx.load(path)
    g = m.graph
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    consts[n.output[0]] = numpy_helper.to_array(a.t)
        elif n.op_type == "Identity" and n.input[0] in consts:
            consts[n.output[0]] = consts[n.input[0]]
    folded = 0
    keep = []
    new_inits = []
    for n in g.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "BatchNormalization" and attrs.get("training_mode", 0) == 1 \
                and all(i in consts for i in n.input[:3]):
            x, scale, bias = (consts[i].astype(np.float64) for i in n.input[:3])
            axes = tuple(i for i in range(x.ndim) if i != 1)
            mean = x.mean(axis=axes, keepdims=True)
            var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
            shape = [1, -1] + [1] * (x.ndim - 2)
            y = (x - mean) / np.sqrt(var + attrs.get("epsilon", 1e-5)) * scale.reshape(shape) + bias.reshape(shape)
            new_inits.append(numpy_helper.from_array(y.astype(np.float32), n.output[0]))
            consts[n.output[0]] = y
            folded += 1
        else:
            keep.append(n)
    g.initializer.extend(new_inits)
    # Remove nodes whose outputs nobody reads (repeat until stable).
    while True:
        used = {o.name for o in g.output} | {i for n in keep for i in n.input}
        alive = [n for n in keep if any(o in used for o in n.output if o)]
        if len(alive) == len(keep):
            break
        keep = alive
    del g.node[:]
    g.node.extend(keep)
    used = {i for n in keep for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
    out = Path(path).with_name(Path(path).stem + "_ws_folded.onnx")
    onnx.save(m, str(out))
    print(f"folded {folded} training-mode BatchNormalization nodes -> {out} ({len(keep)} nodes)")


if __name__ == "__main__":
    main(sys.argv[1])
