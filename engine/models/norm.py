"""Instance normalization whose statistics can be captured once and reused.

Tiles of a large photo normalized on their own statistics come out with different brightness and
contrast, which shows as seams. `StatsNorm` can instead record the statistics of a pass over a
thumbnail of the whole photo and apply those same statistics to every tile ("global" mode). Live
video uses the same hook to smooth statistics across frames, which removes most per-frame flicker.
"""

from __future__ import annotations

import torch
from torch import nn


class StatsNorm(nn.Module):
    """InstanceNorm2d(affine) with three modes: normal, capture, frozen (use stored stats)."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps
        self.mode = "normal"
        self.ema = 0.0  # in "smooth" mode: weight of the previous statistics (0 = none)
        self.stored: tuple[torch.Tensor, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "frozen" and self.stored is not None:
            mean, var = self.stored
        else:
            var, mean = torch.var_mean(x.float(), dim=(2, 3), keepdim=True, unbiased=False)
            if self.mode == "smooth" and self.stored is not None and self.stored[0].shape == mean.shape:
                a = self.ema
                mean = a * self.stored[0] + (1 - a) * mean
                var = a * self.stored[1] + (1 - a) * var
            if self.mode in ("capture", "smooth"):
                self.stored = (mean.detach(), var.detach())
        y = (x - mean.to(x.dtype)) * torch.rsqrt(var.to(x.dtype) + self.eps)
        return y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def set_norm_mode(model: nn.Module, mode: str, ema: float = 0.0) -> None:
    """Switch every StatsNorm in `model` to normal | capture | frozen | smooth."""
    if mode not in ("normal", "capture", "frozen", "smooth"):
        raise ValueError(mode)
    for m in model.modules():
        if isinstance(m, StatsNorm):
            m.mode = mode
            m.ema = ema
            if mode == "normal":
                m.stored = None


def reset_norm_stats(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, StatsNorm):
            m.stored = None
