#!/usr/bin/env python3
"""Training data for Loupe's bundled scorer: licensed photographs, a split by
whole photo, random crops and synthetic distortions at graded strengths.

Photos (never committed; fetched and unpacked outside the repository):
  - Kodak24 (../shared/data/kodak24, PNG; Eastman Kodak, released for unrestricted usage);
  - the 38 photographs of Bench/scripts/int8/photos.py's curated PHOTOGRAPHS list from the
    Debian packages lomiri-wallpapers-16.04, lomiri-wallpapers-20.04, mate-backgrounds and
    plasma-workspace-wallpapers (CC-BY-4.0, CC-BY-SA-3.0/4.0, CC0-1.0, GPL-2+ as each
    package's debian/copyright says). The fetching (apt-get download + dpkg -x), the list
    and the licence lookup are that module's; this file imports it.

Split: by WHOLE photo, per collection, seeded (numpy RandomState(seed).permutation of the
sorted ids): a fraction `held_out` of the Kodak photos and the same fraction of the Debian
photographs are held out; no crop of a held-out photo is ever trained on. The default
0.33 holds out 8 + 13 = 21 photos, enough for the 20-photo monotonicity check.

Scale: every photo is first resized (Lanczos) so that its short side is 720 px, the scale
at which `loupe score` feeds the model (the `baseline` preset resizes to 1280x720), then
crops are cut from it. The challenge baseline is fully convolutional up to its global
average pool, so it can be trained on crops smaller than 720x1280 (384x384 by default) and
exported at 1x3x720x1280: only the number of pooled positions changes, not the weights.

Distortions (DISTORTIONS), each at levels 1..5 (level 0 = the clean crop), in
uint8 RGB -> uint8 RGB, deterministic given a numpy Generator (only noise draws from it):
  blur        Gaussian blur, sigma 0.6, 1.2, 2, 3.2, 5 px
  noise       additive Gaussian noise, sigma 4, 8, 14, 22, 34 grey levels, per channel
  jpeg        PIL JPEG at quality 55, 35, 20, 10, 4 (4:2:0)
  resample    downscale by 1.5, 2, 3, 4, 6 (box) then upscale back (bilinear)
  overexpose  linear-light gain 1.3, 1.7, 2.2, 3, 4 (sRGB decoded, clipped, re-encoded)
  underexpose linear-light gain 1/1.4, 1/2, 1/2.8, 1/4, 1/6
  contrast    blend toward the mean grey, contrast 0.75, 0.55, 0.4, 0.27, 0.15
  saturation  PIL ImageEnhance.Color 0.6, 0.35, 0.15, 0 (grey) then 2.6 (over-saturated)
              -- level 5 is deliberately the other direction, both are far from clean
  colorshift  white-balance cast: channel gains (1+a, 1, 1-a) or (1-a, 1, 1+a) (direction
              from the Generator), a = 0.08, 0.16, 0.25, 0.35, 0.5

    python3 tools/train/dataset.py [--cache DIR]   # prints the split and a sample's sizes
"""
import argparse
import functools
import importlib.util
import io
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _load_int8_photos():
    """Bench/scripts/int8/photos.py under another module name: tools/reference/photos.py
    (imported as `photos` by tools/models/make_baseline.py) must not be shadowed."""
    name = "loupe_int8_photos"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "Bench" / "scripts" / "int8" / "photos.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


int8_photos = _load_int8_photos()

DEFAULT_CACHE = int8_photos.DEFAULT_CACHE  # the packages are shared with the INT8 photo set
# the 24 Kodak PNGs beside the checkout (LOUPE_KODAK24 names another folder, e.g. from a git worktree)
KODAK_DIR = Path(os.environ.get("LOUPE_KODAK24", REPO.parent / "shared" / "data" / "kodak24"))
SHORT_SIDE = 720
LEVELS = 5

BLUR = [0.6, 1.2, 2.0, 3.2, 5.0]
NOISE = [4, 8, 14, 22, 34]
JPEG = [55, 35, 20, 10, 4]
RESAMPLE = [1.5, 2, 3, 4, 6]
OVER = [1.3, 1.7, 2.2, 3.0, 4.0]
UNDER = [1 / 1.4, 1 / 2, 1 / 2.8, 1 / 4, 1 / 6]
CONTRAST = [0.75, 0.55, 0.4, 0.27, 0.15]
SATURATION = [0.6, 0.35, 0.15, 0.0, 2.6]
COLORSHIFT = [0.08, 0.16, 0.25, 0.35, 0.5]


# ---------------------------------------------------------------- photos and split

def photo_sources(cache=DEFAULT_CACHE, kodak_dir=KODAK_DIR):
    """[{id, collection, file, licence, copyright}] for the 24 Kodak photos and the 38
    curated Debian photographs, sorted by id within each collection. Fetches the Debian
    packages into `cache` (int8 photos.py's fetch_packages) when they are missing."""
    cache = Path(cache).expanduser().resolve()
    if REPO in cache.parents or cache == REPO:
        raise SystemExit("dataset: --cache must be outside the repository (photos are never committed)")
    kodak = sorted(f for f in Path(kodak_dir).iterdir() if f.suffix.lower() in (".png", ".jpg"))
    if len(kodak) != 24:
        raise SystemExit(f"dataset: expected the 24 Kodak photos in {kodak_dir}, found {len(kodak)}")
    out = [{"id": f"kodak-{f.stem[-2:]}", "collection": "kodak24", "file": str(f),
            "licence": "Kodak Lossless True Color Image Suite: released for unrestricted usage",
            "copyright": "Eastman Kodak Company"} for f in kodak]
    versions = int8_photos.fetch_packages(cache)
    for pkg, rel in int8_photos.PHOTOGRAPHS:
        root = cache / "src" / pkg
        licence, copyright_ = int8_photos.licence_of(root, pkg, rel)
        stem = Path(rel).parts[3] if pkg == "plasma-workspace-wallpapers" else Path(rel).stem
        out.append({"id": f"{pkg}-{stem}", "collection": "debian", "package": pkg,
                    "version": versions[pkg], "path": rel, "file": str(root / rel),
                    "licence": licence, "copyright": copyright_})
    return out


def split(sources, seed=0, held_out=0.33):
    """(train, held) lists of sources: by whole photo, per collection, seeded."""
    train, held = [], []
    for coll in sorted({s["collection"] for s in sources}):
        group = sorted((s for s in sources if s["collection"] == coll), key=lambda s: s["id"])
        order = np.random.RandomState(seed).permutation(len(group))
        k = int(round(held_out * len(group)))
        held_idx = set(order[:k].tolist())
        for i, s in enumerate(group):
            (held if i in held_idx else train).append(s)
    return train, held


@functools.lru_cache(maxsize=None)
def load_photo(path, short_side=SHORT_SIDE):
    """uint8 H x W x 3 RGB, resized (Lanczos) so that the short side is `short_side`."""
    img = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    w, h = img.size
    s = short_side / min(w, h)
    img = img.resize((max(short_side, round(w * s)), max(short_side, round(h * s))), Image.LANCZOS)
    return np.asarray(img)


def random_crop(img, size, rng):
    """A size x size crop at a uniform position, mirrored with probability 1/2."""
    h, w = img.shape[:2]
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    c = img[y:y + size, x:x + size]
    if rng.random() < 0.5:
        c = c[:, ::-1]
    return np.ascontiguousarray(c)


def grid_crops(img, size, count):
    """`count` deterministic crops along the long axis, centred on the short one (for
    evaluation)."""
    h, w = img.shape[:2]
    out = []
    for i in range(count):
        t = (i + 0.5) / count
        if w >= h:
            x, y = int(round(t * (w - size))), (h - size) // 2
        else:
            x, y = (w - size) // 2, int(round(t * (h - size)))
        out.append(np.ascontiguousarray(img[y:y + size, x:x + size]))
    return out


# ---------------------------------------------------------------- distortions

def _srgb_to_linear(x):
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(x):
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(np.maximum(x, 0), 1 / 2.4) - 0.055)


def _u8(x):
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def _exposure(img, gain):
    lin = _srgb_to_linear(img.astype(np.float64) / 255.0) * gain
    return _u8(_linear_to_srgb(np.clip(lin, 0, 1)) * 255.0)


def blur(img, level, rng):
    return np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(BLUR[level - 1])))


def noise(img, level, rng):
    return _u8(img.astype(np.float64) + rng.normal(0.0, NOISE[level - 1], img.shape))


def jpeg(img, level, rng):
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=JPEG[level - 1], subsampling=2)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def resample(img, level, rng):
    h, w = img.shape[:2]
    f = RESAMPLE[level - 1]
    small = Image.fromarray(img).resize((max(1, round(w / f)), max(1, round(h / f))), Image.BOX)
    return np.asarray(small.resize((w, h), Image.BILINEAR))


def overexpose(img, level, rng):
    return _exposure(img, OVER[level - 1])


def underexpose(img, level, rng):
    return _exposure(img, UNDER[level - 1])


def contrast(img, level, rng):
    x = img.astype(np.float64)
    return _u8(x.mean() + CONTRAST[level - 1] * (x - x.mean()))


def saturation(img, level, rng):
    return np.asarray(ImageEnhance.Color(Image.fromarray(img)).enhance(SATURATION[level - 1]))


def colorshift(img, level, rng):
    a = COLORSHIFT[level - 1]
    sign = 1.0 if rng.random() < 0.5 else -1.0
    gains = np.array([1 + sign * a, 1.0, 1 - sign * a])
    return _u8(img.astype(np.float64) * gains)


DISTORTIONS = {f.__name__: f for f in (blur, noise, jpeg, resample, overexpose, underexpose,
                                       contrast, saturation, colorshift)}


def distort(img, name, level, rng):
    """`img` (uint8 H x W x 3) degraded by distortion `name` at `level` (0 = unchanged)."""
    if level == 0:
        return img
    if not 1 <= level <= LEVELS:
        raise ValueError(f"level {level} not in 0..{LEVELS}")
    return DISTORTIONS[name](img, level, rng)


def ladder(crop, name, rng):
    """The crop at levels 0..LEVELS of one distortion: [LEVELS + 1] uint8 arrays."""
    return [distort(crop, name, lv, rng) for lv in range(LEVELS + 1)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--held-out", type=float, default=0.33)
    args = p.parse_args()
    sources = photo_sources(args.cache)
    train, held = split(sources, args.seed, args.held_out)
    print(f"{len(sources)} photos: {len(train)} train, {len(held)} held out (seed {args.seed})")
    print("held out: " + ", ".join(s["id"] for s in held))
    lic = {}
    for s in sources:
        lic[s["licence"]] = lic.get(s["licence"], 0) + 1
    print("licences: " + "; ".join(f"{k} x{v}" for k, v in sorted(lic.items())))
    rng = np.random.default_rng(args.seed)
    img = load_photo(held[0]["file"])
    crop = random_crop(img, 384, rng)
    for name in DISTORTIONS:
        ims = ladder(crop, name, rng)
        print(f"{name:12s} mean abs diff per level: "
              + " ".join(f"{np.abs(i.astype(int) - crop.astype(int)).mean():6.2f}" for i in ims))


if __name__ == "__main__":
    main()
