"""Carry a painting's change onto the full-size photo a band of rows at a time, in bounded memory.

`engine.stylize.paint_at_scale` paints a large photo at about 1600 px and upscales what the painting
changed onto the full photo. Done in one piece at 108 MP, the upscaled change, the photo as floats,
their sum and the finishing steps were each 1.3 GB of float32 at once: 5 GB peak for one photo. Here
the change is widened to the photo's width once (small: ~1,200 rows), then each band of rows is
interpolated in height, added to the photo's band, finished to uint8 and written into the output,
so only a band ever exists as floats.

The interpolation is PyTorch's bicubic (`F.interpolate(..., mode="bicubic", align_corners=False)`,
cubic convolution with a = -0.75, edge rows repeated), written out for one axis so that any band can
be computed on its own; a test holds it to `F.interpolate` on the whole image.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from engine.pixels import to_tensor

BAND_ROWS = 256  # 256 x 12,000 px x 3 x 4 bytes = 37 MB per float band at 108 MP
_A = -0.75  # PyTorch's bicubic coefficient


def cubic_weights(t: torch.Tensor) -> torch.Tensor:
    """The four tap weights (rows of len(t) x 4) for fractional offsets t, as ATen's bicubic."""
    def near(x: torch.Tensor) -> torch.Tensor:  # |x| <= 1
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x: torch.Tensor) -> torch.Tensor:  # 1 < |x| < 2
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    return torch.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1)


def upsample_rows(src: torch.Tensor, out_rows: int, start: int, stop: int) -> torch.Tensor:
    """Rows start..stop of `src` (C x H x W) bicubically resized to `out_rows` rows: C x (stop-start) x W."""
    in_rows = src.shape[1]
    y = torch.arange(start, stop, dtype=torch.float64)
    real = (y + 0.5) * (in_rows / out_rows) - 0.5
    base = torch.floor(real)
    weights = cubic_weights(real - base).to(src.dtype)
    out = torch.zeros(src.shape[0], stop - start, src.shape[2], dtype=src.dtype)
    for k in range(4):
        rows = (base.long() - 1 + k).clamp_(0, in_rows - 1)
        out.addcmul_(src[:, rows, :], weights[:, k].view(1, -1, 1))
    return out


def add_change_in_bands(rgb: np.ndarray, change: torch.Tensor,
                        finish: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """`rgb` (H x W x 3 uint8) plus `change` (1 x 3 x h x w, the painting minus the photo at paint
    size, in [-1, 1] units) bicubically upscaled to H x W; each band clamped to [-1, 1] and passed,
    as float H' x W x 3 with its photo band, to `finish`, which returns the band's uint8 pixels."""
    h, w = rgb.shape[:2]
    widened = F.interpolate(change, size=(change.shape[2], w), mode="bicubic", align_corners=False)[0]
    out = np.empty_like(rgb)
    for y0 in range(0, h, BAND_ROWS):
        y1 = min(h, y0 + BAND_ROWS)
        band = to_tensor(rgb[y0:y1])[0].add_(upsample_rows(widened, h, y0, y1)).clamp_(-1.0, 1.0)
        out[y0:y1] = finish(band.permute(1, 2, 0).numpy(), rgb[y0:y1])  # a view of planes: `finish` takes it as is
    return out
