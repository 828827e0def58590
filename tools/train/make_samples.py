#!/usr/bin/env python3
"""Writes the sample photos that ./demo.sh scores with the bundled model
(tools/models/samples/, committed: about 1 MB).

Two Kodak photos that train.py holds out with seed 0 (kodak-21, kodak-23: never trained
on), each clean and degraded by three of dataset.py's distortions at fixed levels (blur 3,
noise 3, JPEG 4) at the scale the model was trained at (dataset.load_photo: short side 720,
1080x720; at Kodak's own 768x512 the `baseline` preset would upscale the crop 1.9x, which
the model has not seen: see tools/models/MODEL_CARD.md). The distorted copies are made by the
same code as the training data. Clean and blurred/noisy copies are stored as JPEG quality
90 (4:2:0, small enough to commit), the JPEG copy as the distortion's own JPEG bytes. Kodak photos: released by
Eastman Kodak for unrestricted usage.

    python3 tools/train/make_samples.py            # needs ../shared/data/kodak24
"""
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dataset  # noqa: E402

PHOTOS = ["kodak-21", "kodak-23"]
VARIANTS = [("blur", 3), ("noise", 3), ("jpeg", 4)]
OUT = HERE.parents[1] / "tools" / "models" / "samples"


def main():
    sources = {s["id"]: s for s in dataset.photo_sources()}
    _, held = dataset.split(list(sources.values()), 0)
    held_ids = {s["id"] for s in held}
    OUT.mkdir(parents=True, exist_ok=True)
    for pid in PHOTOS:
        if pid not in held_ids:
            raise SystemExit(f"make_samples: {pid} is not held out with seed 0")
        img = dataset.load_photo(sources[pid]["file"])
        stem = "kodim" + pid[-2:]
        Image.fromarray(img).save(OUT / f"{stem}.jpg", quality=90, subsampling=2)
        for k, (name, level) in enumerate(VARIANTS):
            rng = np.random.default_rng([0, int(pid[-2:]), k])
            if name == "jpeg":  # keep the distortion's bytes rather than re-encoding them
                q = dataset.JPEG[level - 1]
                buf = io.BytesIO()
                Image.fromarray(img).save(buf, format="JPEG", quality=q, subsampling=2)  # as dataset.jpeg
                (OUT / f"{stem}-{name}{level}.jpg").write_bytes(buf.getvalue())
                continue
            out = dataset.distort(img, name, level, rng)
            Image.fromarray(out).save(OUT / f"{stem}-{name}{level}.jpg", quality=90, subsampling=2)
    for f in sorted(OUT.iterdir()):
        print(f"{f.name}: {f.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
