#!/usr/bin/env python3
"""Reference for Loupe's imaging (Sources/LoupeImaging): Pillow + numpy.

Used by Tests/LoupeImagingTests through a subprocess; every output goes into the directory
given on the command line (a temp dir), never into the working tree.

  reference.py presets IN.npy OUTDIR SEED
      every preset of Preset.swift on the RGB8 image IN.npy (H x W x 3 uint8); writes
      OUTDIR/<preset>_v<view>_i<input>.npy (uint8 H x W x 3, before normalization).
  reference.py resize SPEC.json
      SPEC: [{"in": npy, "out": npy, "width": w, "height": h, "filter": "bilinear"|"box"}]
      Pillow Image.resize of each.
  reference.py make-images OUTDIR
      test images: PNGs of every colour type, bit depth and interlace (own encoder: Pillow
      cannot write 2/4/16-bit or interlaced PNGs) with the expected RGB8; JPEGs (subsampling,
      gray, progressive, CMYK, DCT-scaled) and the 8 EXIF orientations with Pillow's decode
      (exif_transpose, draft) as expected. Writes OUTDIR/manifest.json.

Recipes and RNG are documented in Preset.swift; integer arithmetic everywhere so sizes and
positions are identical in both languages.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

M64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & M64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


# ---- building blocks (Preset+Recipes.swift) ----------------------------------------------

def resize(a, w, h, box=None, flt=Image.BILINEAR):
    im = Image.fromarray(a)
    if box is not None:
        x, y, bw, bh = box
        im = im.crop((x, y, x + bw, y + bh))
    return np.asarray(im.resize((w, h), flt))


def covering_size(w, h, mw, mh):
    if mw * h >= mh * w:
        return mw, (h * mw + w - 1) // w
    return (w * mh + h - 1) // h, mh


def covering(a, mw, mh):
    h, w = a.shape[:2]
    if w >= mw and h >= mh:
        return a
    cw, ch = covering_size(w, h, mw, mh)
    return resize(a, cw, ch)


def centered(cw, ch, w, h):
    return ((w - cw) // 2, (h - ch) // 2, cw, ch)


def crop(a, box):
    x, y, w, h = box
    return a[y:y + h, x:x + w]


def baseline_box(w, h):
    """The region (x, y, w, h) of a w x h image that the `baseline` preset resizes to
    1280x720: the centre 1920x960, or the largest centred 2:1 region of a smaller image."""
    cw, ch = 1920, 960
    if w < cw or h < ch:
        ch = max(1, min(h, w // 2))
        cw = min(w, 2 * ch)
    return centered(cw, ch, w, h)


def baseline(a):
    h, w = a.shape[:2]
    return resize(a, 1280, 720, baseline_box(w, h))


def fragments(a, grid, patch, seed):
    h, w = a.shape[:2]
    side = grid * patch
    rng = SplitMix64(seed)
    out = np.zeros((side, side, 3), np.uint8)
    for gy in range(grid):
        y0, y1 = gy * h // grid, (gy + 1) * h // grid
        for gx in range(grid):
            x0, x1 = gx * w // grid, (gx + 1) * w // grid
            dy = rng.below(y1 - y0 - patch + 1)
            dx = rng.below(x1 - x0 - patch + 1)
            out[gy * patch:(gy + 1) * patch, gx * patch:(gx + 1) * patch] = \
                a[y0 + dy:y0 + dy + patch, x0 + dx:x0 + dx + patch]
    return out


def sjtu(a, seed):
    big = covering(a, 480, 480)
    h, w = big.shape[:2]
    return [resize(a, 480, 480), fragments(big, 15, 32, seed), crop(big, centered(480, 480, w, h))]


def ciplab(a):
    h, w = a.shape[:2]
    out = []
    for target in (None, 960, 256):
        size = (w, h) if target is None else (target, max(1, (h * target + w // 2) // w))
        if size[0] < 224 or size[1] < 224:
            size = covering_size(w, h, 224, 224)
        scaled = a if size == (w, h) else resize(a, *size)
        out.append(crop(scaled, centered(224, 224, scaled.shape[1], scaled.shape[0])))
    return out


def clip_iqa(a, seed):
    a = covering(a, 3, 3)
    h, w = a.shape[:2]
    cw, ch = w // 3, h // 3
    cells = [((k % 3) * cw, (k // 3) * ch, cw, ch) for k in range(9)]
    views = [resize(a, 224, 224)] + [resize(a, 224, 224, c) for c in cells]
    rng = SplitMix64(seed)
    p = list(range(9))
    for i in range(8, 0, -1):
        j = rng.below(i + 1)
        p[i], p[j] = p[j], p[i]
    mosaic = np.zeros((3 * ch, 3 * cw, 3), np.uint8)
    for k, cell in enumerate(p):
        ox, oy = (k % 3) * cw, (k // 3) * ch
        mosaic[oy:oy + ch, ox:ox + cw] = crop(a, cells[cell])
    views.append(resize(mosaic, 224, 224))
    return views


def nf_regnets(a):
    h, w = a.shape[:2]
    out = []
    for k in (1, 2, 3):
        ch = max(1, min(h, w // k))
        cw = min(w, k * ch)
        out.append(resize(a, 384 * k, 384, centered(cw, ch, w, h)))
    return out


def presets(a, seed):
    """views x inputs per preset name (Preset.rawValue)."""
    return {
        "baseline": [[baseline(a)]],
        "sjtu": [sjtu(a, seed)],
        "gs-piqa": [[fragments(covering(a, 384, 384), 16, 24, seed)]],
        "ciplab": [ciplab(a)],
        "clip-iqa": [[v] for v in clip_iqa(a, seed)],
        "nf-regnets": [nf_regnets(a)],
    }


# ---- PNG encoder (all colour types, bit depths, Adam7) ----------------------------------

def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _pack_rows(samples, depth):
    """samples: h x (w*channels) ints -> list of row bytes at `depth` bits per sample."""
    rows = []
    for r in samples:
        if depth == 16:
            rows.append(np.asarray(r, ">u2").tobytes())
        elif depth == 8:
            rows.append(np.asarray(r, np.uint8).tobytes())
        else:
            per = 8 // depth
            vals = list(r) + [0] * (-len(r) % per)
            out = bytearray()
            for i in range(0, len(vals), per):
                b = 0
                for v in vals[i:i + per]:
                    b = (b << depth) | int(v)
                out.append(b)
            rows.append(bytes(out))
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def encode_png(samples, color_type, depth, interlace=False, palette=None, trns=None):
    """samples: h x w x channels integer array (palette: indices, channels 1)."""
    h, w, c = samples.shape
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for (x0, y0, dx, dy) in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in _pack_rows(sub.reshape(sub.shape[0], -1), depth):
            raw += b"\x00" + row  # filter type 0
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        out += _chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        out += _chunk(b"tRNS", trns)
    return out + _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b"")


def synthetic(w, h, seed):
    """Gradients plus seeded noise, uint8 H x W x 3."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 255 // max(w + h - 2, 1)], -1)
    noise = rng.integers(-40, 41, size=(h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def make_pngs(out, manifest):
    rng = np.random.default_rng(7)
    w, h = 37, 29  # odd sizes: partial bytes at low depths, every Adam7 pass non-trivial
    for interlace in (False, True):
        tag = "i" if interlace else "n"
        cases = []
        for depth in (1, 2, 4, 8, 16):
            s = rng.integers(0, 1 << depth, size=(h, w, 1))
            rgb = (s * 255 // ((1 << depth) - 1)) if depth <= 8 else (s >> 8)
            cases.append((f"gray{depth}", 0, depth, s, np.repeat(rgb, 3, -1), None, None))
        for depth in (8, 16):
            s = rng.integers(0, 1 << depth, size=(h, w, 3))
            keep = s if depth == 8 else s >> 8
            cases.append((f"rgb{depth}", 2, depth, s, keep, None, None))
            s4 = rng.integers(0, 1 << depth, size=(h, w, 4))
            keep4 = s4[..., :3] if depth == 8 else s4[..., :3] >> 8
            cases.append((f"rgba{depth}", 6, depth, s4, keep4, None, None))
            s2 = rng.integers(0, 1 << depth, size=(h, w, 2))
            g = s2[..., :1] if depth == 8 else s2[..., :1] >> 8
            cases.append((f"graya{depth}", 4, depth, s2, np.repeat(g, 3, -1), None, None))
        for depth in (1, 2, 4, 8):
            n = 1 << depth
            pal = rng.integers(0, 256, size=(n, 3))
            s = rng.integers(0, n, size=(h, w, 1))
            cases.append((f"palette{depth}", 3, depth, s, pal[s[..., 0]], pal, bytes([0, 128])))
        s = rng.integers(0, 256, size=(h, w, 3))
        cases.append(("rgb8_trns", 2, 8, s, s, None, struct.pack(">HHH", 1, 2, 3)))
        for name, ct, depth, s, expect, pal, trns in cases:
            path = os.path.join(out, f"{name}_{tag}.png")
            with open(path, "wb") as f:
                f.write(encode_png(s, ct, depth, interlace, pal, trns if ct == 3 or name.endswith("trns") else None))
            exp = os.path.join(out, f"{name}_{tag}.expected.npy")
            np.save(exp, np.asarray(expect, np.uint8))
            # Pillow agrees with the rule except for 16-bit gray (it clips "I;16" to 255).
            if not name.startswith("gray16"):
                pil = np.asarray(Image.open(path).convert("RGB"))
                assert np.array_equal(pil, expect), f"rule differs from Pillow for {name}"
            manifest["png"].append({"file": path, "expected": exp})


def make_jpegs(out, manifest, kodak):
    src = synthetic(173, 117, 3)
    sources = [("synthetic", Image.fromarray(src))]
    if kodak:
        sources.append(("kodim", Image.open(kodak).convert("RGB")))
    for sname, im in sources:
        variants = [("444", dict(subsampling=0)), ("422", dict(subsampling=1)), ("420", dict(subsampling=2)),
                    ("progressive", dict(progressive=True)), ("gray", None), ("cmyk", None)]
        for vname, kw in variants:
            path = os.path.join(out, f"{sname}_{vname}.jpg")
            if vname == "gray":
                im.convert("L").save(path, quality=90)
            elif vname == "cmyk":
                im.convert("CMYK").save(path, quality=90)
            else:
                im.save(path, quality=90, **kw)
            dec = Image.open(path)
            exp = os.path.join(out, f"{sname}_{vname}.expected.npy")
            np.save(exp, np.asarray(dec.convert("RGB")))
            manifest["jpeg"].append({"file": path, "expected": exp, "scale": 1})
            if vname in ("420", "444"):
                for d in (2, 4, 8):
                    dec = Image.open(path)
                    W, H = dec.size
                    dec.draft("RGB", (W // d, H // d))
                    got = np.asarray(dec.convert("RGB"))
                    assert got.shape[:2] == ((H + d - 1) // d, (W + d - 1) // d), (got.shape, d)
                    exp = os.path.join(out, f"{sname}_{vname}_d{d}.expected.npy")
                    np.save(exp, got)
                    manifest["jpeg"].append({"file": path, "expected": exp, "scale": d})
    base = Image.fromarray(synthetic(61, 40, 5))
    for o in range(1, 9):
        path = os.path.join(out, f"orient{o}.jpg")
        exif = Image.Exif()
        exif[0x0112] = o
        base.save(path, quality=95, exif=exif.tobytes())
        exp = os.path.join(out, f"orient{o}.expected.npy")
        np.save(exp, np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB")))
        manifest["orientation"].append({"file": path, "expected": exp, "orientation": o})


def main(argv):
    cmd = argv[1]
    if cmd == "presets":
        a = np.load(argv[2])
        out, seed = argv[3], int(argv[4])
        for name, views in presets(a, seed).items():
            for v, inputs in enumerate(views):
                for i, img in enumerate(inputs):
                    np.save(os.path.join(out, f"{name}_v{v}_i{i}.npy"), np.ascontiguousarray(img))
    elif cmd == "resize":
        for job in json.load(open(argv[2])):
            flt = {"bilinear": Image.BILINEAR, "box": Image.BOX}[job["filter"]]
            np.save(job["out"], resize(np.load(job["in"]), job["width"], job["height"], flt=flt))
    elif cmd == "make-images":
        out = argv[2]
        kodak = argv[3] if len(argv) > 3 else None
        manifest = {"png": [], "jpeg": [], "orientation": []}
        make_pngs(out, manifest)
        make_jpegs(out, manifest, kodak)
        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
    elif cmd == "synthetic":
        w, h, seed, path = int(argv[2]), int(argv[3]), int(argv[4]), argv[5]
        a = synthetic(w, h, seed)
        if path.endswith(".npy"):
            np.save(path, a)
        else:
            Image.fromarray(a).save(path, quality=92) if path.endswith(".jpg") else Image.fromarray(a).save(path)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
