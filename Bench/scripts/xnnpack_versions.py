#!/usr/bin/env python3
"""The same Loupe sources on Debian 12's XNNPACK (2022) and Debian 13's (2024), side by side.

The Debian 12 build runs on this machine; the Debian 13 build runs in the amd64 trixie
rootfs of scripts/board/rootfs.sh (native, no emulation) through scripts/board/chroot.sh.
For the challenge baseline at 1x3x720x1280 in FP32 and in INT8 (a `loupe calibrate` file,
MinMax on the committed Kodak photos; the kernels do not depend on the calibration), at each
thread count, `loupe bench --json` alternates the two builds for --rounds rounds; INT8 runs
once on Loupe's own int8 kernels (LOUPE_INT8_KERNELS unset) and once forced onto XNNPACK's
operators (LOUPE_INT8_KERNELS=xnnpack), where the two libraries differ most (the 2024 one has
AVX-512 VNNI int8 kernels). The table gives each build's median of the per-round medians,
every round in brackets, and the 2024 / 2022 ratio.

    swift build -c release --product loupe                  # the Debian 12 build
    scripts/board/arm64-check.sh  (or: swift build -c release --product loupe in chroot.sh amd64)
    python3 Bench/scripts/xnnpack_versions.py --bookworm .build/release/loupe \\
        --trixie /var/cache/loupe-board/build/trixie-amd64-release/release/loupe [--threads 1,2]
        [--runs 20] [--rounds 3] [--markdown]
The trixie binary's path must lie under the board cache's build folder (mounted in the rootfs
at the same path); the INT8 file is made there too.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROOT = REPO / "scripts" / "board" / "chroot.sh"
MODEL = REPO / "tools" / "models" / "challenge_baseline.onnx"
SHAPE = "1x3x720x1280"


def bench(cmd_prefix, loupe, model, threads, runs, env):
    args = [str(loupe), "bench", str(model), "--input-shape", SHAPE, "--threads", str(threads),
            "--runs", str(runs), "--warmup", "3", "--json"]
    if cmd_prefix:  # inside the rootfs: the environment is rebuilt by chroot.sh, so set it there
        args = cmd_prefix + ["env"] + [f"{k}={v}" for k, v in env.items()] + args
        out = subprocess.run(args, capture_output=True, text=True)
    else:
        out = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **env})
    if out.returncode != 0:
        sys.exit(f"xnnpack_versions: {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
    d = json.loads(line)
    return d["median_ms"], d["machine"].get("xnnpack_package")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bookworm", type=Path, required=True, help="loupe built on this machine (XNNPACK 2022)")
    p.add_argument("--trixie", type=Path, required=True, help="loupe built in the amd64 trixie rootfs (XNNPACK 2024)")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--images", type=Path, default=REPO / "Tests" / "Data" / "kodak")
    p.add_argument("--markdown", action="store_true")
    a = p.parse_args()
    cache = Path(os.environ.get("LOUPE_BOARD_CACHE", "/var/cache/loupe-board")) / "build"
    if not str(a.trixie.resolve()).startswith(str(cache)):
        sys.exit(f"xnnpack_versions: --trixie must lie under {cache} (mounted in the rootfs)")
    work = cache / "xnnpack-versions"
    work.mkdir(parents=True, exist_ok=True)
    model_fp32 = work / MODEL.name
    shutil.copyfile(MODEL, model_fp32)
    model_int8 = work / "challenge_baseline.int8.onnx"
    if not model_int8.is_file():
        cmd = [str(a.bookworm), "calibrate", str(model_fp32), "--images", str(a.images), "--count", "8",
               "--preset", "baseline", "--method", "minmax", "-o", str(model_int8)]
        print("xnnpack_versions: " + " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    prefix = [str(CHROOT), "amd64", "--"]
    cases = [("FP32", model_fp32, {}), ("INT8, own kernels", model_int8, {}),
             ("INT8, XNNPACK operators", model_int8, {"LOUPE_INT8_KERNELS": "xnnpack"})]
    threads = [int(t) for t in a.threads.split(",")]
    times = {}
    packages = {}
    for r in range(a.rounds):
        for t in threads:
            for name, model, env in cases:
                for build, pre, loupe in (("2022", None, a.bookworm), ("2024", prefix, a.trixie)):
                    ms, pkg = bench(pre, loupe, model, t, a.runs, env)
                    packages[build] = pkg
                    times.setdefault((name, t, build), []).append(ms)
                    print(f"xnnpack_versions: round {r + 1} t={t} {name} XNNPACK {build}: {ms:.1f} ms", flush=True)
    print(f"\nbookworm build: {packages.get('2022')}; trixie build: {packages.get('2024')}; runs {a.runs}, rounds {a.rounds}")
    rows = []
    for t in threads:
        for name, _, _ in cases:
            old, new = times[(name, t, "2022")], times[(name, t, "2024")]
            mo, mn = statistics.median(old), statistics.median(new)
            rows.append((t, name, f"{mo:.1f} ({', '.join(f'{x:.1f}' for x in old)})",
                         f"{mn:.1f} ({', '.join(f'{x:.1f}' for x in new)})", f"{mn / mo:.2f}×"))
    head = ("threads", "model", "XNNPACK 2022 ms", "XNNPACK 2024 ms", "2024 / 2022")
    if a.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in rows:
            print("| " + " | ".join(str(c) for c in row) + " |")
    else:
        for row in [head] + rows:
            print("  ".join(str(c) for c in row))


if __name__ == "__main__":
    main()
