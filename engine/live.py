"""The live path: one camera frame at a time through the generator, steady and fast.

Two cheap stabilizers on top of the generator's warp-consistency training:
- normalization statistics are smoothed across frames (`StatsNorm` "smooth" mode, EMA 0.85), which
  removes the frame-to-frame brightness/contrast pumping that per-frame instance norm causes;
- a motion-aware blend with the previous output: where the input barely changed (sensor noise) the
  output is blended towards the previous output; where it moved, the new output is used as is, so
  motion is never smeared.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.models.host import LoadedModel
from engine.models.norm import reset_norm_stats, set_norm_mode
from engine.pixels import to_tensor, to_uint8

NORM_EMA = 0.85
BLEND_MAX = 0.6  # weight of the previous output where the input is static
MOTION_SCALE = 12.0  # input change (0..255) at which blending stops


@dataclass
class LiveFrame:
    rgb: np.ndarray  # stylized, at the run resolution
    compute_ms: float


class LiveStylizer:
    def __init__(self) -> None:
        self._key: tuple | None = None
        self._prev_in: torch.Tensor | None = None
        self._prev_out: torch.Tensor | None = None

    def reset(self) -> None:
        self._key = None
        self._prev_in = self._prev_out = None

    def process(self, model: LoadedModel, rgb: np.ndarray, short_side: int = 0, mirror: bool = False,
                strength: float = 1.0, stabilize: bool = True) -> LiveFrame:
        t0 = time.perf_counter()
        g = model.generator
        x = to_tensor(rgb)
        if mirror:
            x = x.flip(-1)
        h, w = x.shape[-2:]
        if short_side and short_side < min(h, w):
            s = short_side / min(h, w)
            h, w = round(h * s), round(w * s)
            x = F.interpolate(x, size=(h, w), mode="area")
        f = g.config.factor
        h2, w2 = h - h % f, w - w % f
        x = x[..., :h2, :w2]
        key = (id(g), h2, w2)
        if key != self._key:
            self.reset()
            self._key = key
            reset_norm_stats(g)
        if stabilize:
            set_norm_mode(g, "smooth", NORM_EMA)
        try:
            with torch.inference_mode():
                y = g(model.prepare(x)).float().cpu()
        finally:
            if stabilize:
                set_norm_mode(g, "frozen")  # keep stored stats for the next frame, not used meanwhile
        if strength < 1.0:
            y = x * (1 - strength) + y * strength
        if stabilize and self._prev_out is not None:
            motion = (x - self._prev_in).abs().mean(1, keepdim=True) * 127.5
            motion = F.max_pool2d(motion, 5, stride=1, padding=2)
            alpha = BLEND_MAX * torch.clamp(1 - motion / MOTION_SCALE, 0, 1)
            y = alpha * self._prev_out + (1 - alpha) * y
        self._prev_in, self._prev_out = x, y
        out = to_uint8(y[0])
        return LiveFrame(out, (time.perf_counter() - t0) * 1000)
