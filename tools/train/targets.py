#!/usr/bin/env python3
"""The quality target of each distorted crop: a full-reference score against its clean
crop, mapped to UHD-IQA's MOS scale; and a ranking loss over the strengths of one crop.

Full-reference score (`distortion`), on uint8 RGB, no learned parts:

  GMSD, Gradient Magnitude Similarity Deviation: W. Xue, L. Zhang, X. Mou, A. C. Bovik,
  "Gradient Magnitude Similarity Deviation: A Highly Efficient Perceptual Image Quality
  Index", IEEE Trans. Image Processing 23(2):684-695, 2014. As the paper's reference code:
  luma Y = 0.299 R + 0.587 G + 0.114 B (0..255), 2x2 average then keep every 2nd pixel,
  Prewitt gradients (kernels /3), magnitude m; GMS = (2 m_r m_d + c) / (m_r^2 + m_d^2 + c)
  with c = 170; GMSD = standard deviation of the GMS map (0 = identical, ~0.35 = worst).

  GMSD sees only luma structure, so it misses colour casts and (de)saturation. A
  chromatic term is added, the I/Q chrominance similarity of FSIMc: L. Zhang, L. Zhang,
  X. Mou, D. Zhang, "FSIM: A Feature Similarity Index for Image Quality Assessment", IEEE
  Trans. Image Processing 20(8):2378-2386, 2011, eq. 9-10: YIQ's I and Q channels,
  S = (2 I_r I_d + T) / (I_r^2 + I_d^2 + T) * (2 Q_r Q_d + T) / (Q_r^2 + Q_d^2 + T), T = 200
  (for 0..255 values), on the same 2x downsampled grid; chroma dissimilarity = 1 - mean S.

  D = GMSD + CHROMA_WEIGHT * (1 - mean S), CHROMA_WEIGHT = 0.15 (the chroma term is about
  five times as large as GMSD for a comparable visible change: desaturation to 35% gives
  0.33, a blur of sigma 2 px a GMSD of 0.08; measured on held-out crops, `python3
  tools/train/targets.py` prints the resulting ladders).

Mapping to MOS (`mos`): q = exp(-D / TAU) in (0, 1], 1 for an unchanged crop, then
  MOS = MOS_LO + (MOS_HI - MOS_LO) * q,  MOS_LO = 0.29, MOS_HI = 0.89,
the minimum and maximum `quality_mos` of UHD-IQA's training metadata (6,073 photos:
min 0.2865, 1st percentile 0.550, median 0.7305, 99th percentile 0.837, max 0.889).
So a clean crop of a good photo scores as UHD-IQA's best photos, and the heaviest
distortions approach its worst. TAU = 0.10 puts the median level-3 distortion (D about
0.06-0.1) near UHD-IQA's 1st percentile (0.55). This is a monotone map of D: SRCC against it is SRCC against
the full-reference score; it only fixes the output scale. The scores are not human
opinions: the model is not trained on UHD-IQA's human scores (photos unavailable here).

Ranking loss (`rank_loss`): for the crops of one ladder (the same clean crop at levels
0..5 of one distortion), every pair whose targets differ by more than `gap` must be
predicted in the same order with a margin: hinge max(0, margin - sign(t_i - t_j)(p_i - p_j)).
Pairs are ordered by target, not by level, so a non-monotone ladder (saturation's level 5
over-saturates) is ranked as the full-reference score says.
"""
import numpy as np
import torch
import torch.nn.functional as F

GMSD_C = 170.0
FSIM_T = 200.0
CHROMA_WEIGHT = 0.15
TAU = 0.10
MOS_LO, MOS_HI = 0.29, 0.89

_PREWITT_X = torch.tensor([[1.0, 0.0, -1.0]] * 3) / 3.0
_PREWITT = torch.stack([_PREWITT_X, _PREWITT_X.t()])[:, None]  # [2,1,3,3]
_YIQ = torch.tensor([[0.299, 0.587, 0.114],
                     [0.596, -0.274, -0.322],
                     [0.211, -0.523, 0.312]])


def _prep(x):
    """uint8 [N,H,W,3] numpy or float [N,3,H,W] torch (0..255) -> YIQ float64
    [N,3,H/2,W/2] after the 2x2 average downsampling."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2)
    x = x.to(torch.float64)
    yiq = torch.einsum("kc,nchw->nkhw", _YIQ.to(torch.float64), x)
    return F.avg_pool2d(yiq, 2, 2)


def gmsd(ref, dist):
    """GMSD per image (Xue et al. 2014) of [N,...] batches as `_prep` accepts."""
    yr, yd = _prep(ref)[:, :1], _prep(dist)[:, :1]
    k = _PREWITT.to(torch.float64)
    gr = F.conv2d(yr, k).pow(2).sum(1).sqrt()
    gd = F.conv2d(yd, k).pow(2).sum(1).sqrt()
    gms = (2 * gr * gd + GMSD_C) / (gr ** 2 + gd ** 2 + GMSD_C)
    return gms.flatten(1).std(1, unbiased=False)


def chroma_dissimilarity(ref, dist):
    """1 - mean FSIMc I/Q similarity (Zhang et al. 2011, eq. 9-10) per image."""
    r, d = _prep(ref), _prep(dist)
    si = (2 * r[:, 1] * d[:, 1] + FSIM_T) / (r[:, 1] ** 2 + d[:, 1] ** 2 + FSIM_T)
    sq = (2 * r[:, 2] * d[:, 2] + FSIM_T) / (r[:, 2] ** 2 + d[:, 2] ** 2 + FSIM_T)
    return 1.0 - (si * sq).flatten(1).mean(1)


def distortion(ref, dist):
    """D = GMSD + CHROMA_WEIGHT * chroma dissimilarity, per image (0 = identical)."""
    return gmsd(ref, dist) + CHROMA_WEIGHT * chroma_dissimilarity(ref, dist)


def mos(d):
    """UHD-IQA-scale target in [MOS_LO, MOS_HI] from the distortion D."""
    return MOS_LO + (MOS_HI - MOS_LO) * torch.exp(-d / TAU)


def targets(ref, dist):
    """float32 MOS-scale targets of distorted crops `dist` against clean crops `ref`
    (uint8 [N,H,W,3] numpy arrays)."""
    return mos(distortion(ref, dist)).to(torch.float32)


def rank_loss(pred, target, groups, margin=0.02, gap=0.01):
    """Mean pairwise hinge loss within each group (ladder) of predictions [N]; `groups`
    is an int tensor [N] naming each crop's ladder."""
    same = groups[:, None] == groups[None, :]
    dt = target[:, None] - target[None, :]
    mask = same & (dt > gap)  # i better than j
    if not mask.any():
        return pred.sum() * 0.0
    dp = pred[:, None] - pred[None, :]
    return F.relu(margin - dp)[mask].mean()


if __name__ == "__main__":
    # The distortion ladders' targets on a few held-out crops: a check of the mapping.
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import dataset
    srcs = dataset.photo_sources()
    _, held = dataset.split(srcs)
    rng = np.random.default_rng(0)
    per = {n: [] for n in dataset.DISTORTIONS}
    for s in held[:8]:
        crop = dataset.random_crop(dataset.load_photo(s["file"]), 384, rng)
        for n in dataset.DISTORTIONS:
            lad = np.stack(dataset.ladder(crop, n, rng))
            per[n].append(targets(np.repeat(crop[None], len(lad), 0), lad).numpy())
    for n, v in per.items():
        print(f"{n:12s} median MOS per level: " + " ".join(f"{x:.3f}" for x in np.median(v, 0)))
