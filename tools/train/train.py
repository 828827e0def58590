#!/usr/bin/env python3
"""Trains the AIM 2024 UHD-IQA challenge baseline (tools/models/make_baseline.py's build():
MobileNetV3-Large features + global average pool + Linear(960,256) + ReLU + Linear(256,1))
from scratch by synthetic-distortion learning, for Loupe's bundled scorer.

Each step draws `--groups` ladders: a random crop (`--crop`, default 384x384, mirrored at
random) of a random TRAINING photo (dataset.py: split by whole photo), one random
distortion of dataset.DISTORTIONS, at levels 0..5, so a batch holds 6 x groups crops. The
target of each crop is targets.py's full-reference score against the clean crop mapped to
UHD-IQA's MOS range (0.29..0.89). Loss = MSE(prediction, target) + --rank-weight x pairwise
hinge ranking loss within each ladder. Adam, cosine learning-rate decay, BatchNorm in
training mode. The weights start from build()'s torch.manual_seed(0) initialisation (no
ImageNet weights are available here); --seed drives the data and everything after build().
The baseline is fully convolutional up to its global pool, so training on crops smaller
than 720x1280 and exporting at 1x3x720x1280 is sound (only the pooled area changes).

Evaluation after each epoch, on HELD-OUT photos only: `--eval-crops` fixed crops per photo
(`--eval-crop` px, spread along the long axis), each clean and at levels 1..5 of every
distortion; SRCC and PLCC (scipy.stats) of the predictions against the targets, per
distortion SRCC, and the sanity rate: the fraction of adjacent-level pairs
(blur, noise, jpeg) whose predicted score falls as the strength rises.

Writes under --out (default ~/.cache/loupe/train/<run name>; never in the repository):
checkpoint.pt (model + optimizer state, args, metrics), metrics.json, and with --export
the ONNX model at 1x3x720x1280, opset 17, input `input`, output `score` (exactly as
make_baseline.py exports), checked with onnx.checker and against onnxruntime on a held-out
photo through the `baseline` preset when onnxruntime is installed.

    python3 tools/train/train.py --smoke --export ~/.cache/loupe/train/smoke/model.onnx
    python3 tools/train/train.py --epochs 30 --export ~/.cache/loupe/train/full/model.onnx
"""
import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from scipy import stats

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tools" / "models"))
import dataset  # noqa: E402  (loads Bench/scripts/int8/photos.py as loupe_int8_photos)
import targets as T  # noqa: E402
import make_baseline  # noqa: E402  (build(), and the torchvision-import workaround)

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
MONOTONE = ("blur", "noise", "jpeg")


def to_input(crops):
    """uint8 [N,H,W,3] numpy -> ImageNet-normalised float32 [N,3,H,W], the `baseline`
    preset's normalisation (x/255 - mean) / std in RGB order."""
    x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float() / 255.0
    return (x - MEAN) / STD


def train_batch(photos, args, epoch, step):
    """A batch of `args.groups` ladders of `args.levels` distinct levels each (drawn from
    0..5), deterministic in (seed, epoch, step)."""
    rng = np.random.default_rng([args.seed, epoch, step])
    names = list(dataset.DISTORTIONS)
    crops, refs, groups = [], [], []
    for g in range(args.groups):
        src = photos[int(rng.integers(len(photos)))]
        clean = dataset.random_crop(dataset.load_photo(src["file"]), args.crop, rng)
        name = names[int(rng.integers(len(names)))]
        levels = sorted(rng.choice(dataset.LEVELS + 1, size=args.levels, replace=False).tolist())
        lad = [dataset.distort(clean, name, lv, rng) for lv in levels]
        crops += lad
        refs += [clean] * len(lad)
        groups += [g] * len(lad)
    crops, refs = np.stack(crops), np.stack(refs)
    return crops, T.targets(refs, crops), torch.tensor(groups)


def eval_set(photos, args):
    """Fixed held-out crops: [(photo id, crop index, distortion or None, level)], uint8
    crops, targets."""
    meta, crops, refs = [], [], []
    for pi, src in enumerate(photos):
        img = dataset.load_photo(src["file"])
        for ci, clean in enumerate(dataset.grid_crops(img, args.eval_crop, args.eval_crops)):
            rng = np.random.default_rng([args.seed, 1_000_000 + pi, ci])
            meta.append((src["id"], ci, None, 0))
            crops.append(clean)
            refs.append(clean)
            for name in dataset.DISTORTIONS:
                for lv in range(1, dataset.LEVELS + 1):
                    meta.append((src["id"], ci, name, lv))
                    crops.append(dataset.distort(clean, name, lv, rng))
                    refs.append(clean)
    crops = np.stack(crops)
    return meta, crops, T.targets(np.stack(refs), crops)


class Batches(torch.utils.data.Dataset):
    """Training batches of one epoch, made in a worker process while the model trains on
    the previous one (PIL distortions and the targets cost 0.15-0.3 s per batch, a quarter
    of a 192px step). Each batch depends only on (seed, epoch, step), so prefetching does
    not change what is trained on."""

    def __init__(self, photos, args, epoch):
        self.photos, self.args, self.epoch = photos, args, epoch

    def __len__(self):
        return self.args.steps

    def __getitem__(self, step):
        return train_batch(self.photos, self.args, self.epoch, step)


def epoch_batches(photos, args, epoch):
    if args.workers == 0:
        return (train_batch(photos, args, epoch, s) for s in range(args.steps))
    return torch.utils.data.DataLoader(
        Batches(photos, args, epoch), batch_size=None, shuffle=False, num_workers=args.workers,
        prefetch_factor=4, worker_init_fn=lambda _: torch.set_num_threads(1))


@torch.no_grad()
def precise_batchnorm(model, photos, args, batches):
    """Re-estimates BatchNorm running statistics as a cumulative average over `batches`
    fixed training batches (as make_baseline.py does on photos), so that evaluation and
    export use statistics of the current weights rather than a lagging momentum average
    (at the start and in short runs, the momentum average is still near its 0/1 init)."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for b in range(batches):
        model(to_input(train_batch(photos, args, 0, b)[0]))
    for m, mom in zip(bns, momenta):
        m.momentum = mom
    model.eval()


@torch.no_grad()
def predict(model, crops, batch=32):
    model.eval()
    out = [model(to_input(crops[i:i + batch])).flatten() for i in range(0, len(crops), batch)]
    return torch.cat(out)


def evaluate(model, ev):
    meta, crops, tgt = ev
    pred = predict(model, crops).numpy()
    tgt = tgt.numpy()
    res = {"n": len(pred), "pred_mean": float(pred.mean()), "pred_std": float(pred.std()),
           "target_mean": float(tgt.mean()), "rmse": float(np.sqrt(((pred - tgt) ** 2).mean())),
           "srcc": float(stats.spearmanr(pred, tgt)[0]),
           "plcc": float(stats.pearsonr(pred, tgt)[0])}
    clean = {(m[0], m[1]): pred[i] for i, m in enumerate(meta) if m[2] is None}
    per = {}
    for name in dataset.DISTORTIONS:
        idx = [i for i, m in enumerate(meta) if m[2] in (name, None)]
        per[name] = float(stats.spearmanr(pred[idx], tgt[idx])[0])
    res["srcc_per_distortion"] = per
    falls = total = 0
    for name in MONOTONE:
        lad = {}
        for i, m in enumerate(meta):
            if m[2] == name:
                lad.setdefault((m[0], m[1]), {})[m[3]] = pred[i]
        for key, lv in lad.items():
            seq = [clean[key]] + [lv[k] for k in range(1, dataset.LEVELS + 1)]
            falls += sum(a > b for a, b in zip(seq, seq[1:]))
            total += len(seq) - 1
    res["monotone_rate"] = falls / max(total, 1)
    return res


def export(model, path, check_photo=None):
    """make_baseline.py's export: static 1x3x720x1280, opset 17, `input` -> `score`."""
    import onnx
    model.eval()
    if check_photo is not None:
        x = torch.from_numpy(dataset.int8_photos.baseline_input(check_photo))
    else:
        x = torch.zeros(1, 3, make_baseline.H, make_baseline.W)
    with torch.no_grad():
        y = model(x).item()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, (x,), str(path), opset_version=17, input_names=["input"],
                      output_names=["score"], do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(onnx.load(str(path)))
    info = {"path": str(path), "bytes": path.stat().st_size, "torch_score": y}
    try:
        import onnxruntime as ort
    except ImportError:
        return info
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    z = float(sess.run(None, {"input": x.numpy()})[0].ravel()[0])
    info.update(ort_score=z, abs_diff=abs(z - y), ort_input=list(sess.get_inputs()[0].shape))
    return info


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--steps", type=int, default=200, help="steps per epoch")
    p.add_argument("--groups", type=int, default=8, help="ladders per step")
    p.add_argument("--levels", type=int, default=3,
                   help="levels (of 0..5, distinct, at random) per ladder; batch = groups x levels")
    p.add_argument("--crop", type=int, default=384)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-5)
    p.add_argument("--rank-weight", type=float, default=1.0)
    p.add_argument("--held-out", type=float, default=0.33)
    p.add_argument("--eval-crop", type=int, default=384)
    p.add_argument("--eval-crops", type=int, default=2, help="crops per held-out photo")
    p.add_argument("--train-photos", type=int, default=0, help="use only N, evenly spaced (0 = all)")
    p.add_argument("--eval-photos", type=int, default=0, help="use only N, evenly spaced (0 = all)")
    p.add_argument("--bn-batches", type=int, default=16,
                   help="training batches for the BatchNorm statistics before each evaluation")
    p.add_argument("--cache", type=Path, default=dataset.DEFAULT_CACHE, help="Debian packages")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--export", type=Path, default=None, help="write the trained model as ONNX")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--workers", type=int, default=1,
                   help="processes making training batches ahead (0 = in the training loop)")
    p.add_argument("--warmup", type=int, default=0,
                   help="steps of linear learning-rate warm-up before the cosine decay")
    p.add_argument("--stop-after", type=int, default=0,
                   help="train only epochs 1..K of the --epochs schedule (the learning rate still "
                        "decays over all of them): a run cut short for time, reproducibly")
    p.add_argument("--from-checkpoint", type=Path, default=None,
                   help="no training: load this checkpoint.pt (its weights and BatchNorm "
                        "statistics), evaluate and --export it")
    p.add_argument("--resume", type=Path, default=None,
                   help="continue a run from its checkpoint.pt (same arguments): weights, "
                        "BatchNorm statistics, optimizer and schedule; e.g. after an interrupted run")
    p.add_argument("--smoke", action="store_true",
                   help="tiny end-to-end run (< 3 min on 2 CPU cores): 2 epochs of 30 steps, 2 "
                        "ladders of 128x128 crops from 8 photos, 4 held-out photos at 128x128")
    args = p.parse_args()
    if args.smoke:
        args.epochs, args.steps, args.groups, args.crop = 2, 30, 4, 128
        args.eval_crop, args.eval_crops, args.train_photos, args.eval_photos = 128, 1, 8, 4
        args.bn_batches = 4
    run = "smoke" if args.smoke else f"seed{args.seed}"
    out = (args.out or Path.home() / ".cache" / "loupe" / "train" / run).expanduser().resolve()
    if REPO in out.parents or out == REPO:
        raise SystemExit("train: --out must be outside the repository (never commit checkpoints)")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    t0 = time.time()

    train_src, held_src = dataset.split(dataset.photo_sources(args.cache), args.seed, args.held_out)
    if args.train_photos:  # evenly spaced, so that both collections stay represented
        train_src = dataset.int8_photos.evenly_spaced(train_src, args.train_photos)
    if args.eval_photos:
        held_src = dataset.int8_photos.evenly_spaced(held_src, args.eval_photos)
    print(f"train: {len(train_src)} training photos, {len(held_src)} held out" + (
          "" if args.from_checkpoint else f"; {args.epochs} epochs x {args.steps} steps x {args.groups} "
          f"ladders of {args.levels} {args.crop}px crops"), flush=True)
    ev = eval_set(held_src, args)
    print(f"train: held-out set {len(ev[1])} crops of {args.eval_crop}px "
          f"({time.time() - t0:.1f}s)", flush=True)

    model = make_baseline.build()  # torch.manual_seed(0) initialisation, weights=None
    if args.from_checkpoint:
        ckpt = torch.load(args.from_checkpoint, map_location="cpu", weights_only=False)  # our own file (numpy scalars in its metrics)
        model.load_state_dict(ckpt["model"])
        model.eval()
        res = evaluate(model, ev)
        print(f"checkpoint {args.from_checkpoint} (epoch {ckpt['epoch']}): held-out SRCC {res['srcc']:.4f} "
              f"PLCC {res['plcc']:.4f} monotone {res['monotone_rate']:.3f}", flush=True)
        if args.export:
            info = export(model, args.export.expanduser().resolve(), held_src[0]["file"])
            print(f"export: {info}", flush=True)
        return
    torch.manual_seed(args.seed)
    with torch.no_grad():  # start at the training targets' centre rather than ~0
        model[-1].bias.fill_(float(train_batch(train_src, args, 0, 0)[1].mean()))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    total = args.epochs * args.steps
    def lr_factor(s):  # linear warm-up, then cosine decay to 0 at the last step
        if s < args.warmup:
            return (s + 1) / args.warmup
        return 0.5 * (1 + math.cos(math.pi * (s - args.warmup) / max(total - args.warmup, 1)))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    history = []
    first = 1
    if args.resume:
        # Weights, BatchNorm statistics (the re-estimated ones the epoch ended with, which the
        # next epoch also starts from) and Adam's state; batches depend only on (seed, epoch,
        # step), so the continued run equals an uninterrupted one.
        ckpt = torch.load(args.resume, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        first = ckpt["epoch"] + 1
        for _ in range(ckpt["epoch"] * args.steps):
            sched.step()
        print(f"train: resumed from {args.resume} after epoch {ckpt['epoch']}", flush=True)
    else:
        precise_batchnorm(model, train_src, args, args.bn_batches)
        res = evaluate(model, ev)
        print(f"epoch 0: held-out SRCC {res['srcc']:.4f} PLCC {res['plcc']:.4f} "
              f"monotone {res['monotone_rate']:.3f} RMSE {res['rmse']:.3f} "
              f"(pred {res['pred_mean']:.3f}+-{res['pred_std']:.3f}, target {res['target_mean']:.3f})", flush=True)
        history.append({"epoch": 0, **res})
    for epoch in range(first, (args.stop_after or args.epochs) + 1):
        model.train()
        te, losses = time.time(), []
        for crops, tgt, groups in epoch_batches(train_src, args, epoch):
            crops = crops.numpy() if torch.is_tensor(crops) else crops
            pred = model(to_input(crops)).flatten()
            mse = nn.functional.mse_loss(pred, tgt)
            rank = T.rank_loss(pred, tgt, groups)
            loss = mse + args.rank_weight * rank
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append((loss.item(), mse.item(), rank.item()))
        l = np.mean(losses, 0)
        precise_batchnorm(model, train_src, args, args.bn_batches)
        res = evaluate(model, ev)
        res.update(epoch=epoch, loss=float(l[0]), mse=float(l[1]), rank=float(l[2]),
                   train_s=time.time() - te)
        history.append(res)
        print(f"epoch {epoch}: loss {l[0]:.4f} (mse {l[1]:.4f}, rank {l[2]:.4f}) "
              f"{res['train_s']:.0f}s; held-out SRCC {res['srcc']:.4f} PLCC {res['plcc']:.4f} "
              f"monotone {res['monotone_rate']:.3f} RMSE {res['rmse']:.3f} "
              f"(pred {res['pred_mean']:.3f}+-{res['pred_std']:.3f}, target {res['target_mean']:.3f})", flush=True)
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                    "epoch": epoch, "metrics": res}, out / "checkpoint.pt")
    summary = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
               "train_photos": [s["id"] for s in train_src],
               "held_out_photos": [s["id"] for s in held_src],
               "history": history, "torch": torch.__version__}
    if args.export:
        info = export(model, args.export.expanduser().resolve(), held_src[0]["file"])
        summary["export"] = info
        print(f"export: {info}", flush=True)
    summary["wall_s"] = time.time() - t0
    (out / "metrics.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"train: done in {summary['wall_s']:.0f}s; wrote {out}/checkpoint.pt, metrics.json", flush=True)


if __name__ == "__main__":
    main()
