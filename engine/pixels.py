"""The one conversion between uint8 RGB pixels and the generators' [-1, 1] tensors, both ways.

Tiles, live frames, training sets and evaluation all use these, so every path feeds the models
exactly the same values.
"""

from __future__ import annotations

import numpy as np
import torch


def to_float(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 tensor of any layout -> float in [-1, 1], the generators' range."""
    return pixels.float().div_(127.5).sub_(1.0)


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """H x W x 3 uint8 -> 1 x 3 x H x W float in [-1, 1] (copies read-only buffers, e.g. np.frombuffer)."""
    rgb = np.ascontiguousarray(rgb)
    if not rgb.flags.writeable:
        rgb = rgb.copy()
    return to_float(torch.from_numpy(rgb).permute(2, 0, 1)[None])


LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # Rec. 601 luma weights


def luma(x: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W (any range, device and float dtype) -> N x 1 x H x W Rec. 601 luma."""
    w = torch.tensor(LUMA_WEIGHTS, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """3 x H x W float in [-1, 1] (any device) -> H x W x 3 uint8, rounded."""
    return ((t.detach().float().clamp(-1, 1) + 1) * 127.5 + 0.5).byte().permute(1, 2, 0).cpu().numpy()
