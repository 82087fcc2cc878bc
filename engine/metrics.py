"""Measured quality: content kept, colour matched, texture matched, flicker (DESIGN.md section 6).

- content: SSIM of luminance at 256 px, and edge agreement (correlation of Sobel magnitudes).
- colour: distance between colour statistics (mean and covariance of Lab-like opponent channels).
- texture: distance between Gram matrices of a fixed, seeded random-feature CNN on luminance at two
  scales. Colour-blind on purpose: a colour grade matches the palette but not the brushwork.
- strokes: a second, hand-made texture statistic of another family (no CNN at all): the
  distributions of gradient strength and of orientation coherence (structure tensor) at three
  scales. The trainer's texture loss uses random-CNN Gram statistics like `texture` (other seeds), so
  `texture` alone could reward fitting that family; `strokes` is the cross-check it cannot fit.
All take uint8 RGB arrays (H, W, 3). No pretrained network is involved.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def _resize_short(rgb: np.ndarray, side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = side / min(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC))


def luminance(rgb: np.ndarray) -> np.ndarray:
    x = rgb.astype(np.float32) / 255.0
    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]


def _gauss_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    g = torch.exp(-((torch.arange(size) - size // 2) ** 2).float() / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim_luminance(a: np.ndarray, b: np.ndarray, side: int = 256) -> float:
    """SSIM of the luminance of two RGB images, both resized to `side` px on the short side."""
    ya = torch.from_numpy(luminance(_resize_short(a, side)))[None, None]
    yb = torch.from_numpy(luminance(_resize_short(b, side)))[None, None]
    if ya.shape != yb.shape:
        yb = F.interpolate(yb, size=ya.shape[-2:], mode="bilinear", align_corners=False)
    w = _gauss_window()
    mu_a, mu_b = F.conv2d(ya, w), F.conv2d(yb, w)
    saa = F.conv2d(ya * ya, w) - mu_a**2
    sbb = F.conv2d(yb * yb, w) - mu_b**2
    sab = F.conv2d(ya * yb, w) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2))
    return float(s.mean())


def _sobel_valid(y: torch.Tensor) -> torch.Tensor:
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])[None, None]
    gx = F.conv2d(y, kx)
    gy = F.conv2d(y, kx.transpose(-1, -2))
    return torch.sqrt(gx**2 + gy**2 + 1e-12)


def edge_agreement(a: np.ndarray, b: np.ndarray, side: int = 256) -> float:
    """Correlation of edge magnitudes of blurred luminance: 1 = same edges, 0 = unrelated."""
    ya = torch.from_numpy(luminance(_resize_short(a, side)))[None, None]
    yb = torch.from_numpy(luminance(_resize_short(b, side)))[None, None]
    if ya.shape != yb.shape:
        yb = F.interpolate(yb, size=ya.shape[-2:], mode="bilinear", align_corners=False)
    w = _gauss_window(5, 1.0)
    # Valid convolutions only (no zero padding): padding would draw the same frame of edges around
    # every image, and that frame alone correlates (0.85 for unrelated images; found by the bench).
    ea = _sobel_valid(F.conv2d(ya, w)).flatten()
    eb = _sobel_valid(F.conv2d(yb, w)).flatten()
    ea, eb = ea - ea.mean(), eb - eb.mean()
    return float((ea * eb).sum() / (ea.norm() * eb.norm() + 1e-8))


def colour_stats(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of opponent colour channels (L, a=R-G, b=Y-B) of a 128 px thumbnail."""
    x = _resize_short(rgb, 128).reshape(-1, 3).astype(np.float64) / 255.0
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    opp = np.stack([(r + g + b) / 3, r - g, (r + g) / 2 - b], axis=1)
    return opp.mean(0), np.cov(opp, rowvar=False)


def colour_distance(stats_a: tuple[np.ndarray, np.ndarray], stats_b: tuple[np.ndarray, np.ndarray]) -> float:
    (ma, ca), (mb, cb) = stats_a, stats_b
    return float(np.linalg.norm(ma - mb) + np.linalg.norm(ca - cb, ord="fro") * 4.0)


@lru_cache(maxsize=1)
def _texture_net() -> torch.nn.Sequential:
    """A fixed random CNN (seed 0): random features are known to capture texture via Gram matrices.

    Built without touching the global RNG (`skip_init`: the weights come from its own generator): a
    default-initialized conv drew from it the first time only, so a process's first training run drew
    other crops than an identical later one (and a resumed run differed from one never stopped)."""
    g = torch.Generator().manual_seed(0)
    layers = []
    cin = 1
    for cout in (32, 64):
        conv = torch.nn.utils.skip_init(torch.nn.Conv2d, cin, cout, 5, padding=2)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) / (cin * 25) ** 0.5)
            conv.bias.zero_()
        layers += [conv, torch.nn.ReLU(), torch.nn.AvgPool2d(2)]
        cin = cout
    return torch.nn.Sequential(*layers).eval()


def texture_features(rgb: np.ndarray, side: int = 256) -> np.ndarray:
    """Gram matrices of the random CNN on centred luminance at `side` and side/2 (concatenated)."""
    y = torch.from_numpy(luminance(_resize_short(rgb, side)))[None, None]
    y = (y - y.mean()) / (y.std() + 1e-6)
    grams = []
    net = _texture_net()
    with torch.no_grad():
        for scale in (1.0, 0.5):
            z = y if scale == 1.0 else F.avg_pool2d(y, 2)
            f = net(z)[0].flatten(1)
            grams.append((f @ f.T / f.shape[1]).flatten())
    v = torch.cat(grams).numpy()
    return np.sign(v) * np.sqrt(np.abs(v))  # signed sqrt tames the heavy tail of Gram entries


def texture_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.sqrt(a.size))


def _gauss_blur(y: torch.Tensor, sigma: float) -> torch.Tensor:
    r = max(1, int(3 * sigma))
    g = torch.exp(-(torch.arange(-r, r + 1).float() ** 2) / (2 * sigma**2))
    g = (g / g.sum())[None, None]
    y = F.conv2d(F.pad(y, (r, r, 0, 0), mode="reflect"), g[..., None, :])
    return F.conv2d(F.pad(y, (0, 0, r, r), mode="reflect"), g[..., :, None])


def stroke_features(rgb: np.ndarray, side: int = 256) -> np.ndarray:
    """Histograms of log gradient strength (12 bins) and of magnitude-weighted orientation coherence
    (8 bins) of normalized luminance at scales sigma 1, 2, 4 px, each histogram summing to 1.

    Coherence near 1 means strokes all run one way locally (brushwork, hatching); near 0, isotropic
    detail or noise (foliage in a photo, grain). Where a photo is smooth, a painting usually is not.
    """
    y = torch.from_numpy(luminance(_resize_short(rgb, side)))[None, None]
    y = (y - y.mean()) / (y.std() + 1e-6)
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])[None, None] / 8
    out = []
    for sigma in (1.0, 2.0, 4.0):
        z = _gauss_blur(y, sigma)
        gx, gy = F.conv2d(z, kx), F.conv2d(z, kx.transpose(-1, -2))
        mag = torch.sqrt(gx**2 + gy**2 + 1e-12) * sigma  # scale-normalized strength
        hist_m = torch.histc(torch.log10(mag + 1e-4), bins=12, min=-3.0, max=0.5)
        jxx, jyy, jxy = (_gauss_blur(t, 2 * sigma) for t in (gx * gx, gy * gy, gx * gy))
        root = torch.sqrt((jxx - jyy) ** 2 + 4 * jxy**2)
        coherence = (root / (jxx + jyy + 1e-8)).clamp(0, 1)
        w = mag.flatten()
        idx = torch.clamp((coherence.flatten() * 8).long(), max=7)
        hist_c = torch.zeros(8).index_add_(0, idx, w)
        out += [hist_m / hist_m.sum().clamp(min=1e-9), hist_c / hist_c.sum().clamp(min=1e-9)]
    return torch.cat(out).numpy()


def stroke_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance between the histograms, averaged over the six (0 = same, 1 = disjoint)."""
    return float(np.abs(a - b).sum() / 2 / 6)


def set_distance(features: list[np.ndarray], references: list[np.ndarray], dist) -> float:
    """Mean over `features` of the distance to the nearest reference (a style is many artworks)."""
    return float(np.mean([min(dist(f, r) for r in references) for f in features]))


def flicker_ratio(inputs: list[np.ndarray], outputs: list[np.ndarray]) -> float:
    """Mean frame-to-frame change of the output divided by that of the input."""
    def mean_change(frames: list[np.ndarray]) -> float:
        return float(np.mean([np.abs(frames[i + 1].astype(np.float32) - frames[i].astype(np.float32)).mean()
                              for i in range(len(frames) - 1)]))
    return mean_change(outputs) / max(mean_change(inputs), 1e-6)


def shift_columns(frame: np.ndarray, dx: float) -> np.ndarray:
    """`frame` sampled at column c + dx (linear between columns, edges repeated): content moved left by dx."""
    w = frame.shape[1]
    pos = np.clip(np.arange(w, dtype=np.float64) + dx, 0, w - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, w - 1)
    t = (pos - lo).astype(np.float32)[None, :, None]
    f = frame.astype(np.float32)
    return f[:, lo] * (1 - t) + f[:, hi] * t


def warped_flicker_ratio(inputs: list[np.ndarray], outputs: list[np.ndarray], shifts: list[float]) -> float:
    """flicker_ratio after undoing a known horizontal camera motion (the temporal "warping error").

    shifts[i]: how far the view moved right between frame i and i+1, in pixels of these frames. Plain
    frame differences of a pan are mostly the motion itself, so they cannot tell a painting that moves
    with the scene from one that shimmers; after warping frame i onto frame i+1 only the shimmer (and
    the input's sensor noise, for the denominator) is left. Columns that the shift brings in from
    outside the frame are left out of both.
    """
    def mean_change(frames: list[np.ndarray]) -> float:
        errs = []
        for i, dx in enumerate(shifts[: len(frames) - 1]):
            m = int(np.ceil(abs(dx))) + 1
            diff = np.abs(frames[i + 1].astype(np.float32) - shift_columns(frames[i], dx))
            errs.append(diff[:, m:-m].mean())
        return float(np.mean(errs))
    return mean_change(outputs) / max(mean_change(inputs), 1e-6)
