#!/usr/bin/env python3
"""Where a QDQ model's INT8 error comes from: weights against activations, and each
quantized activation on its own (issue 4's analysis of the fidelity bars).

For a model of fidelity.py (`orientation`, `baseline`) and a QDQ file of it (default: the
`loupe calibrate --method mse` file fidelity.py wrote), measured on the model's tensor
(logits / pooled features) over the 68 evaluation inputs against FP32, all by ONNX Runtime:

  int8           the QDQ file as it is;
  weights only   every activation QuantizeLinear -> DequantizeLinear pair removed (float
                 activations, int8 weights): the floor that weight rounding sets;
  isolated A     int8 weights and only activation A quantized, for every A: how much output
                 error A alone causes (SQNR of the model's tensor, dB; lower = worse);
  float top-k    the QDQ file with the k activations that cost most in isolation left in
                 float (k = 1, 2, 4, 8, 16): what mixed precision would buy.

ONNX Runtime runs these with graph optimisations off: with a pair removed next to a
Reshape, its QDQ propagation (1.32) writes a QuantizeLinear whose output_dtype contradicts
its zero point and refuses the model.

    python3 Bench/scripts/int8/sensitivity.py --model orientation [--qdq FILE] [--top 25]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fidelity  # noqa: E402
import photos  # noqa: E402


def without_pairs(model, keep):
    """Serialized copy of `model` with every activation Q->DQ pair removed except those
    quantizing a value in `keep` (weights, whose Q is folded into an int8 initializer,
    stay)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    prod = {o: n for n in g.node for o in n.output}
    rename, drop = {}, set()
    for n in g.node:
        if n.op_type != "DequantizeLinear":
            continue
        q = prod.get(n.input[0])
        if q is not None and q.op_type == "QuantizeLinear" and q.input[0] not in keep:
            rename[n.output[0]] = q.input[0]
            drop.update((id(n), id(q)))
    nodes = [n for n in g.node if id(n) not in drop]
    for n in nodes:
        for i, x in enumerate(n.input):
            while x in rename:
                x = rename[x]
            n.input[i] = x
    for o in g.output:
        while o.name in rename:  # a graph output that was a DequantizeLinear output
            o.name = rename[o.name]
    del g.node[:]
    g.node.extend(nodes)
    return m.SerializeToString()


def activations(model):
    """Values quantized by a QuantizeLinear whose input is computed or a graph input."""
    g = model.graph
    computed = {o for n in g.node for o in n.output} | {i.name for i in g.input}
    inits = {t.name for t in g.initializer}
    return [n.input[0] for n in g.node
            if n.op_type == "QuantizeLinear" and n.input[0] in computed and n.input[0] not in inits]


def run(serialized, tensor, inputs):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3
    sess = ort.InferenceSession(serialized, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run([tensor], {name: x})[0].reshape(1, -1) for x in inputs])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=sorted(fidelity.MODELS), default="orientation")
    p.add_argument("--qdq", type=Path, default=None, help="QDQ file (default: fidelity.py's loupe mse file)")
    p.add_argument("--cache", type=Path, default=photos.DEFAULT_CACHE)
    p.add_argument("--top", type=int, default=25, help="rows of the isolated table")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    spec = fidelity.MODELS[args.model]
    work = args.cache / "work"
    qdq_path = args.qdq or work / args.model / "loupe_mse.onnx"
    if not qdq_path.exists():
        raise SystemExit(f"sensitivity: {qdq_path} is missing: run fidelity.py first or give --qdq")
    files = fidelity.make_inputs(photos.load_manifest(args.cache), args.model, spec, work)["eval"]
    inputs = [np.load(f) for f in files]

    fp32 = onnx.load(str(spec["path"]))
    tensor = spec["tensor"](fp32)
    fp = onnx.ModelProto()
    fp.CopyFrom(fp32)
    fp.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    ref = run(fp.SerializeToString(), tensor, inputs)
    qdq = onnx.load(str(qdq_path))
    qt = spec["tensor"](qdq)
    qdq.graph.output.append(onnx.helper.make_tensor_value_info(qt, onnx.TensorProto.FLOAT, None))
    acts = activations(qdq)

    def measure(serialized):
        # The measured tensor is the last graph output (added above); removing the pair on
        # it renames it to the float value it quantized.
        name = onnx.load_from_string(serialized).graph.output[-1].name
        y = run(serialized, name, inputs)
        r = fidelity.metrics(ref, y, spec["classes"])
        return r

    def fmt(r):
        s = f"SQNR {r['sqnr_db_mean']:6.2f} dB  cosine {r['cosine_mean']:.4f}  PLCC {r['plcc']:.4f}"
        return s + (f"  top-1 {100 * r['top1_agreement']:.1f}%" if "top1_agreement" in r else "")

    print(f"{args.model}: {fidelity.MODELS[args.model]['what']}, {len(inputs)} evaluation inputs, "
          f"QDQ file {qdq_path.name}, {len(acts)} quantized activations")
    full = measure(qdq.SerializeToString())
    print(f"  int8                 {fmt(full)}")
    wonly = measure(without_pairs(qdq, set()))
    print(f"  weights only         {fmt(wonly)}", flush=True)
    iso = []
    for i, a in enumerate(acts):
        iso.append((measure(without_pairs(qdq, {a}))["sqnr_db_mean"], a))
        print(f"\r  isolated: {i + 1}/{len(acts)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    iso.sort()
    print(f"\n  activation alone (int8 weights + this activation; floor = weights only "
          f"{wonly['sqnr_db_mean']:.2f} dB), worst {args.top}:")
    for sq, a in iso[:args.top]:
        print(f"    {a:44s} {sq:6.2f} dB")
    print("\n  the worst k activations left in float, the rest int8:")
    for k in (1, 2, 4, 8, 16):
        if k > len(acts):
            break
        keep = set(acts) - {a for _, a in iso[:k]}
        print(f"    k = {k:2d}  {fmt(measure(without_pairs(qdq, keep)))}", flush=True)


if __name__ == "__main__":
    main()
