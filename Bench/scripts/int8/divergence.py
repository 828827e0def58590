#!/usr/bin/env python3
"""Where do Loupe and ONNX Runtime part on a QDQ model? Tensor by tensor, in graph order.

Every DequantizeLinear of an activation becomes a graph output too (the int8 ops around it
still run in int8 in both runtimes: a DQ feeding a graph output and the next op changes no
code), both runtimes run one input, and each tensor's difference is printed in codes of its
own scale: how many elements differ and by how many codes at most. Each runtime feeds its
own values forward, so the table shows where differences start and how they grow.
`--ort-as-written` turns ORT's graph optimizations off: it then runs each DQ → op → Q as
written, in float (the ONNX semantics), instead of fusing them into its int8 kernels.

    python3 Bench/scripts/int8/divergence.py MODEL.int8.onnx --input x.npy [--loupe .build/release/loupe]

Needs onnx, onnxruntime, numpy; writes into --work (default a temporary folder).
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

REPO = Path(__file__).resolve().parents[3]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", type=Path)
    p.add_argument("--input", type=Path, required=True, help=".npy for the model's single input")
    p.add_argument("--loupe", type=Path, default=REPO / ".build" / "release" / "loupe")
    p.add_argument("--work", type=Path, default=None)
    p.add_argument("--all", action="store_true", help="list tensors that agree too")
    p.add_argument("--ort-as-written", action="store_true",
                   help="ORT without graph optimizations: Q/DQ run as written, ops in float")
    args = p.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="loupe-divergence-"))
    work.mkdir(parents=True, exist_ok=True)

    m = onnx.load(str(args.model))
    inits = {i.name: i for i in m.graph.initializer}
    scales = {}
    for n in m.graph.node:
        if n.op_type == "DequantizeLinear" and n.input[0] not in inits and n.input[1] in inits:
            s = numpy_helper.to_array(inits[n.input[1]]).ravel()
            if s.size == 1:
                scales[n.output[0]] = float(s[0])
    have = {o.name for o in m.graph.output}
    for name in scales:
        if name not in have:
            m.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    probe = work / "probe.onnx"
    onnx.save(m, str(probe))

    x = np.load(args.input)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if args.ort_as_written:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(str(probe), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    ref = dict(zip(names, sess.run(None, {sess.get_inputs()[0].name: x})))
    out = work / "loupe"
    out.mkdir(exist_ok=True)
    r = subprocess.run([str(args.loupe), "run", str(probe), "--input", str(args.input), "--output-dir", str(out)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"loupe run exited {r.returncode}: {r.stderr.strip()[-1000:]}")
    files = {f.stem: f for f in out.glob("*.npy")}

    def loupe_value(name):
        f = files.get(name) or files.get(name.replace("/", "_"))
        return None if f is None else np.load(f).reshape(ref[name].shape)

    print(f"{'tensor':70s} {'differ':>9s} {'of':>9s} {'max codes':>9s}")
    for name in names:
        y = loupe_value(name)
        if y is None:
            print(f"{name[:70]:70s} (no Loupe output)")
            continue
        if name in scales:
            codes = np.abs(y.astype(np.float64) - ref[name]) / scales[name]
            differ, worst = int((codes > 0.5).sum()), float(codes.max())
            if differ or args.all:
                print(f"{name[-70:]:70s} {differ:9d} {codes.size:9d} {worst:9.0f}")
        else:
            c = float(np.corrcoef(y.ravel(), ref[name].ravel())[0, 1]) if y.size > 1 else float("nan")
            print(f"{name[-70:]:70s} graph output: corr {c:.6f}, max |diff| {float(np.abs(y - ref[name]).max()):.3g}")


if __name__ == "__main__":
    main()
