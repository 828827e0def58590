#!/usr/bin/env python3
"""Where a QDQ model's INT8 error comes from: weights against activations, and each
quantized activation on its own (why a model misses the fidelity targets).

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

`--ranges` instead asks, per evaluation input, whether the calibrated ranges hold its
values: the float value of every quantized activation (all pairs removed) against its int8
range [(-128 - z) s, (127 - z) s] — how many activations exceed it, by how much at most, what
fraction of the values is clipped — beside the input's FP32 tensor norm (and the largest
norm among the calibration inputs) and the int8 file's cosine on it; worst `--top` inputs
by cosine, then the mean cosine of the inputs inside and outside the calibration norms.

ONNX Runtime runs these with graph optimisations off: with a pair removed next to a
Reshape, its QDQ propagation (1.32) writes a QuantizeLinear whose output_dtype contradicts
its zero point and refuses the model.

    python3 Bench/scripts/int8/sensitivity.py --model orientation [--qdq FILE] [--top 25]
    python3 Bench/scripts/int8/sensitivity.py --model baseline --ranges [--top 12]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
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


def activation_ranges(model):
    """{activation: (lowest, highest) float value its QuantizeLinear can represent}."""
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    acts, out = set(activations(model)), {}
    for n in model.graph.node:
        if n.op_type == "QuantizeLinear" and n.input[0] in acts:
            scale = float(init[n.input[1]])
            zero = int(init[n.input[2]]) if len(n.input) > 2 and n.input[2] else 0
            out[n.input[0]] = ((-128 - zero) * scale, (127 - zero) * scale)
    return out


def ranges_report(qdq, ref, calib_ref, y, ids, inputs, top):
    """Prints, for the `top` inputs with the lowest cosine, how far their float activations
    overshoot the QDQ file's int8 ranges (see the module docstring)."""
    ranges = activation_ranges(qdq)
    names = list(ranges)
    fm = onnx.ModelProto()
    fm.ParseFromString(without_pairs(qdq, set()))
    del fm.graph.output[:]
    fm.graph.output.extend(onnx.helper.make_tensor_value_info(a, onnx.TensorProto.FLOAT, None) for a in names)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.log_severity_level = 3
    sess = ort.InferenceSession(fm.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    feed = sess.get_inputs()[0].name
    cos = (ref * y).sum(1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(y, axis=1))
    norm = np.linalg.norm(ref, axis=1)
    calib_max = float(np.linalg.norm(calib_ref, axis=1).max())
    print(f"  FP32 tensor norm: calibration inputs {np.linalg.norm(calib_ref, axis=1).min():.1f}"
          f"..{calib_max:.1f}, evaluation inputs {norm.min():.1f}..{norm.max():.1f}")
    print(f"  {'input':44s} {'cosine':>7s} {'norm':>7s} {'over range':>10s} {'worst x':>8s} {'clipped':>8s}")
    for i in np.argsort(cos)[:top]:
        values = sess.run(names, {feed: inputs[i]})
        over, worst, clipped, total = 0, 0.0, 0, 0
        for a, v in zip(names, values):
            lo, hi = ranges[a]
            outside = (v > hi) | (v < lo)
            over += bool(outside.any())
            worst = max(worst, float(v.max()) / hi if hi > 0 else 0.0, float(v.min()) / lo if lo < 0 else 0.0)
            clipped += int(outside.sum())
            total += v.size
        print(f"  {ids[i]:44s} {cos[i]:7.4f} {norm[i]:7.1f} {over:4d}/{len(names):<5d} {worst:8.2f} "
              f"{100 * clipped / total:7.2f}%", flush=True)
    inside = norm <= calib_max
    print(f"  mean cosine: all {cos.mean():.4f}; the {inside.sum()} inputs within the calibration "
          f"norms {cos[inside].mean():.4f} (min {cos[inside].min():.4f}); the {(~inside).sum()} "
          f"beyond them {cos[~inside].mean() if (~inside).any() else float('nan'):.4f}")


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
    p.add_argument("--ranges", action="store_true",
                   help="per evaluation input: activations beyond the calibrated ranges (see above)")
    args = p.parse_args()
    spec = fidelity.MODELS[args.model]
    work = args.cache / "work"
    qdq_path = args.qdq or work / args.model / "loupe_mse.onnx"
    if not qdq_path.exists():
        raise SystemExit(f"sensitivity: {qdq_path} is missing: run fidelity.py first or give --qdq")
    split = fidelity.make_inputs(photos.load_manifest(args.cache), args.model, spec, work)
    files = split["eval"]
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
    if args.ranges:
        y = run(qdq.SerializeToString(), qt, inputs)
        calib_ref = run(fp.SerializeToString(), tensor, [np.load(f) for f in split["calib"]])
        print(f"{args.model}: {spec['what']}, QDQ file {qdq_path.name}, {len(acts)} quantized activations")
        ranges_report(qdq, ref, calib_ref, y, [f.stem for f in files], inputs, args.top)
        return

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
