#!/usr/bin/env python3
"""Soak: `loupe score` once over a folder of 10,000 small photos, 1% of them bad.

Usage: soak.py LOUPE [--dir DIR] [--count N] [--bad N] [--preset NAME] [--input-shape SHAPE]
                      [--threads N] [--sample S] [--make-only]

Makes (once, kept as a cache in DIR, default /var/tmp/loupe-soak) N photos (default 10,000)
cut from the Kodak PNGs (KODAK, default /work/shared/data/kodak24; gradient images when
absent) at 160 to 320 pixels a side, 70% JPEG (quality 60 to 95, some progressive) and 30%
PNG (RGB, grey, palette), in 20 subfolders, and BAD (default 100) of them hostile: truncated
JPEGs and PNGs, empty files, text and random bytes named .jpg/.png, scrambled PNG data,
a PNG declaring 100000 x 100000 pixels, dangling *.jpg links, a FIFO named .jpg. Then runs
LOUPE score DIR/photos -o DIR/scores.csv with the bundled model, samples the process's
VmRSS from /proc every S seconds (default 2), and checks afterwards that every good photo
has exactly one score row, every bad one is listed (scores.errors.csv) and nothing else
failed. Prints photos/s, the resident memory near the start and near the end (the median
of the samples in the first and last 10% of the run after the model is loaded), the peak
(VmHWM), rows written and the failures; exit status 1 when a check fails or memory grew by
over 25% from start to end.
"""
import argparse
import csv
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time

import numpy as np
from PIL import Image

KODAK = os.environ.get("KODAK", "/work/shared/data/kodak24")


def sources():
    imgs = []
    if os.path.isdir(KODAK):
        for n in sorted(os.listdir(KODAK)):
            if n.endswith(".png"):
                imgs.append(Image.open(os.path.join(KODAK, n)).convert("RGB"))
    if not imgs:
        y, x = np.mgrid[0:512, 0:768]
        for k in range(8):
            a = np.stack([(x * (k + 1)) % 256, (y * (k + 2)) % 256, ((x + y) * (k + 3)) % 256], -1).astype(np.uint8)
            imgs.append(Image.fromarray(a, "RGB"))
    return imgs


def make_photos(top, count, bad, seed=1):
    """Returns (good relative paths, bad relative paths)."""
    rng = random.Random(seed)
    src = sources()
    good, hostile = [], []
    bad_at = set(rng.sample(range(count), bad))
    for i in range(count):
        sub = f"set{i % 20:02}"
        os.makedirs(os.path.join(top, sub), exist_ok=True)
        img = src[rng.randrange(len(src))]
        w = rng.randint(160, 320)
        h = rng.randint(160, 320)
        # a random crop at a random scale, resized to w x h
        cw = rng.randint(w, img.width)
        ch = min(img.height, max(h, int(cw * h / w)))
        x0 = rng.randint(0, img.width - cw)
        y0 = rng.randint(0, img.height - ch)
        photo = img.crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.BILINEAR)
        is_jpeg = rng.random() < 0.7
        name = f"p{i:05}.{'jpg' if is_jpeg else 'png'}"
        rel = os.path.join(sub, name)
        path = os.path.join(top, rel)
        buf = io.BytesIO()
        if is_jpeg:
            photo.save(buf, "JPEG", quality=rng.randint(60, 95), progressive=rng.random() < 0.2)
        else:
            mode = rng.choice(["RGB", "RGB", "L", "P"])
            (photo if mode == "RGB" else photo.convert(mode)).save(buf, "PNG")
        data = buf.getvalue()
        if i in bad_at:
            kind = len(hostile) % 10
            if kind == 0:
                data = data[: len(data) // 2]  # truncated in the middle of the image data
            elif kind == 1:
                data = data[: min(len(data), 100)]  # cut inside the headers
            elif kind == 2:
                data = b""
            elif kind == 3:
                data = b"not a photo at all\n" * 20
            elif kind == 4:
                data = bytes(rng.getrandbits(8) for _ in range(3000))
            elif kind == 5:
                # a PNG signature, then an IHDR of 100000 x 100000
                import struct
                import zlib
                ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
                data = (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr
                        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF))
                name = name.rsplit(".", 1)[0] + ".png"
            elif kind == 6:
                # the first half kept, the rest overwritten with 0xFF bytes (markers / garbage)
                data = data[: len(data) // 2] + b"\xff" * (len(data) - len(data) // 2)
            elif kind == 7:
                name = name.rsplit(".", 1)[0] + ".jpg"
                rel = os.path.join(sub, name)
                os.symlink("nowhere.jpg", os.path.join(top, rel))
                hostile.append(rel)
                continue
            elif kind == 8:
                name = name.rsplit(".", 1)[0] + ".jpg"
                rel = os.path.join(sub, name)
                os.mkfifo(os.path.join(top, rel))
                hostile.append(rel)
                continue
            else:
                data = data[:8]  # the signature alone
            rel = os.path.join(sub, name)
            path = os.path.join(top, rel)
            hostile.append(rel)
        else:
            good.append(rel)
        with open(path, "wb") as f:
            f.write(data)
    return good, hostile


def vm(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("loupe")
    ap.add_argument("--dir", default="/var/tmp/loupe-soak")
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--bad", type=int, default=100)
    ap.add_argument("--preset")
    ap.add_argument("--input-shape")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sample", type=float, default=2.0)
    ap.add_argument("--make-only", action="store_true", help="make the photos and stop")
    a = ap.parse_args()

    top = os.path.join(a.dir, "photos")
    manifest = os.path.join(a.dir, "manifest.json")
    key = {"count": a.count, "bad": a.bad, "version": 1}
    m = None
    if os.path.exists(manifest):
        with open(manifest) as f:
            m = json.load(f)
        if m.get("key") != key:
            m = None
    if m is None:
        print(f"making {a.count} photos ({a.bad} bad) in {top}", file=sys.stderr)
        if os.path.exists(top):
            subprocess.run(["rm", "-rf", top], check=True)
        os.makedirs(top)
        t0 = time.time()
        good, bad = make_photos(top, a.count, a.bad)
        m = {"key": key, "good": good, "bad": bad}
        with open(manifest, "w") as f:
            json.dump(m, f)
        print(f"made in {time.time() - t0:.0f} s", file=sys.stderr)
    good, bad = m["good"], m["bad"]
    if a.make_only:
        return

    out = os.path.join(a.dir, "scores.csv")
    errors = os.path.join(a.dir, "scores.errors.csv")
    for p in (out, errors):
        if os.path.exists(p):
            os.remove(p)
    cmd = [a.loupe, "score", top, "-o", out, "--threads", str(a.threads)]
    if a.preset:
        cmd += ["--preset", a.preset]
    if a.input_shape:
        cmd += ["--input-shape", a.input_shape]
    print("command: " + " ".join(cmd), file=sys.stderr)
    log = open(os.path.join(a.dir, "score.log"), "w")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    samples = []  # (seconds, VmRSS MB, rows written so far)
    hwm = 0.0
    while proc.poll() is None:
        rss = vm(proc.pid, "VmRSS")
        h = vm(proc.pid, "VmHWM")
        if h:
            hwm = max(hwm, h)
        try:
            rows = os.path.getsize(out)
        except OSError:
            rows = 0
        if rss:
            samples.append((time.monotonic() - start, rss, rows))
        time.sleep(a.sample)
    wall = time.monotonic() - start
    status = proc.returncode
    log.close()

    # Rows: each good photo exactly once, each bad one listed once among the failures.
    scored = {}
    with open(out, newline="") as f:
        for row in csv.DictReader(f):
            scored.setdefault(row["path"], []).append(row["score"])
    failed = {}
    if os.path.exists(errors):
        with open(errors, newline="", encoding="utf-8", errors="surrogateescape") as f:
            for row in csv.DictReader(f):
                failed.setdefault(row["path"], []).append(row["error"])
    goodp = {os.path.join(top, g) for g in good}
    badp = {os.path.join(top, b) for b in bad}
    problems = []
    missing = sorted(goodp - set(scored))
    twice = sorted(p for p, v in scored.items() if len(v) > 1)
    extra_scored = sorted(set(scored) - goodp)
    unlisted = sorted(badp - set(failed))
    wrongly_failed = sorted(set(failed) - badp)
    for what, items in [("good photos not scored", missing), ("photos scored more than once", twice),
                        ("bad files scored", extra_scored), ("bad files not listed", unlisted),
                        ("good photos listed as failed", wrongly_failed)]:
        if items:
            problems.append(f"{len(items)} {what}: {items[:5]}")

    # Memory: the samples of the first and last 10% of the run, once the model is loaded
    # (the first sample after the first row was written).
    loaded = [s for s in samples if s[2] > 0]
    n = max(1, len(loaded) // 10)
    rss_start = statistics.median(s[1] for s in loaded[:n]) if loaded else float("nan")
    rss_end = statistics.median(s[1] for s in loaded[-n:]) if loaded else float("nan")
    if loaded and rss_end > rss_start * 1.25:
        problems.append(f"resident memory grew from {rss_start:.0f} MB to {rss_end:.0f} MB")
    if status != 3:
        problems.append(f"exit status {status}, expected 3 (some photos failed and were listed)")

    kinds = {}
    for p, reasons in failed.items():
        r = reasons[0]
        r = r.split(": ", 1)[-1] if p in r else r
        kinds[r[:70]] = kinds.get(r[:70], 0) + 1
    total = sum(len(v) for v in scored.values())
    print(f"photos: {len(good)} good + {len(bad)} bad in {top}")
    print(f"exit status {status}; wall {wall:.0f} s; {total / wall:.2f} photos/s scored ({(total + len(failed)) / wall:.2f} files/s)")
    print(f"rows written: {total} scores, {sum(len(v) for v in failed.values())} failures")
    print(f"VmRSS near start {rss_start:.0f} MB, near end {rss_end:.0f} MB, peak (VmHWM) {hwm:.0f} MB; "
          f"{len(samples)} samples every {a.sample:g} s")
    print("RSS over time (s, MB): " + ", ".join(f"{t:.0f}:{r:.0f}" for t, r, _ in samples[:: max(1, len(samples) // 12)]))
    print("failures listed, by reason:")
    for r, c in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {c:4}  {r}")
    if problems:
        print("FAILED: " + "; ".join(problems))
        sys.exit(1)
    print("ok: every good photo scored exactly once, every bad one listed, memory flat")


if __name__ == "__main__":
    main()
