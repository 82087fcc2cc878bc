"""DiffAugment (Zhao et al. 2020): differentiable colour, translation and cutout on all D inputs.

Applying the same family of augmentations to real and fake images keeps D from memorising 10-30
artworks, which is what makes few-shot styles train at all. Inputs are in [-1, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _colour(x: torch.Tensor) -> torch.Tensor:
    n = x.shape[0]
    x = x + (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5) * 0.5  # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) * 0.6 + 0.7) + mean  # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) * 0.5 + 0.75) + mean  # contrast


def _translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sh, sh + 1, (n,), device=x.device)
    tx = torch.randint(-sw, sw + 1, (n,), device=x.device)
    padded = F.pad(x, (sw, sw, sh, sh), mode="reflect")
    rows = [padded[i:i + 1, :, sh + int(ty[i]): sh + int(ty[i]) + h, sw + int(tx[i]): sw + int(tx[i]) + w]
            for i in range(n)]
    return torch.cat(rows, dim=0)


def _cutout(x: torch.Tensor, ratio: float = 0.25) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h - ch + 1, (n,), device=x.device)
    cx = torch.randint(0, w - cw + 1, (n,), device=x.device)
    mask = torch.ones(n, 1, h, w, device=x.device, dtype=x.dtype)
    for i in range(n):
        mask[i, :, int(cy[i]): int(cy[i]) + ch, int(cx[i]): int(cx[i]) + cw] = 0
    return x * mask


def diff_augment(x: torch.Tensor) -> torch.Tensor:
    return _cutout(_translation(_colour(x)))
