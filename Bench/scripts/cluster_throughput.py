#!/usr/bin/env python3
"""Throughput of `loupe score` per core, for sizing a job array.

Three layouts on the same photos, side by side in one run (runs interleaved, medians):
  1 task of 1 thread; 2 tasks of 1 thread at once (--shard 1/2 and 2/2); 1 task of 2 threads.
Wall seconds, photos/s and CPU seconds per photo (user + system of the scoring processes,
from wait4). The photos are 3840x2560 JPEGs (UHD-IQA's width) upscaled from the Kodak set.

    python3 Bench/scripts/cluster_throughput.py [--loupe .build/release/loupe] [--photos 24] [--runs 3]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_photos(folder, count):
    kodak = os.path.join(ROOT, "Tests", "Data", "kodak")
    names = sorted(f for f in os.listdir(kodak) if f.endswith(".jpg"))
    for i in range(count):
        im = Image.open(os.path.join(kodak, names[i % len(names)])).convert("RGB")
        im = im.resize((3840, 2560), Image.BICUBIC)
        im.save(os.path.join(folder, "p%03d.jpg" % i), quality=90)


def run_tasks(commands):
    """Starts every command at once; returns (wall seconds, CPU seconds of all of them)."""
    start = time.monotonic()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]
    cpu = 0.0
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            sys.exit("failed: %s\n%s" % (" ".join(p.args), p.stderr.read().decode()))
        cpu += usage.ru_utime + usage.ru_stime
    return time.monotonic() - start, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loupe", default=os.path.join(ROOT, ".build", "release", "loupe"))
    ap.add_argument("--model", default=os.path.join(ROOT, "tools", "models", "loupe_iqa.onnx"))
    ap.add_argument("--photos", type=int, default=24)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photos = os.path.join(tmp, "photos")
        os.makedirs(photos)
        make_photos(photos, args.photos)
        out = os.path.join(tmp, "out")
        os.makedirs(out)

        def score(extra, name):
            return [args.loupe, "score", photos, "--model", args.model, "-o", os.path.join(out, name)] + extra

        layouts = {
            "1 task, 1 thread": lambda: [score(["--threads", "1"], "a.csv")],
            "2 tasks of 1 thread": lambda: [score(["--threads", "1", "--shard", "1/2"], "b1.csv"),
                                            score(["--threads", "1", "--shard", "2/2"], "b2.csv")],
            "1 task, 2 threads": lambda: [score(["--threads", "2"], "c.csv")],
        }
        results = {k: [] for k in layouts}
        for _ in range(args.runs):
            for name, commands in layouts.items():
                for f in os.listdir(out):
                    os.remove(os.path.join(out, f))
                results[name].append(run_tasks(commands()))
    n = args.photos
    print("photos: %d JPEGs of 3840x2560; runs: %d (medians); cores: %d" % (n, args.runs, os.cpu_count()))
    print("| layout | wall s | photos/s | CPU s per photo |")
    print("|---|---|---|---|")
    for name, rs in results.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        print("| %s | %.2f | %.2f | %.3f |" % (name, wall, n / wall, cpu / n))


if __name__ == "__main__":
    main()
