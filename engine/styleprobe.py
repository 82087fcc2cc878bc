"""Does a style paint pictures? Asked of every imported style before it reaches the gallery.

A file can pass every check of its format (names, shapes, dtypes, finite weights) and still be
useless: a diverged training run, or weights scaled until every photo comes out one flat colour or
as NaN (which becomes black or garbage once written). The generator is run once on a small
synthetic photo; a result that is not finite, or that is the same colour everywhere, is refused
with a reason. A 64 px image costs a few milliseconds on a CPU.
"""

from __future__ import annotations

import torch

from engine.errors import StyleFileError
from engine.models.generator import Generator

PROBE_SIDE = 64
FLAT_STD = 1.0 / 127.5  # under one level of 255 everywhere: one flat colour


def probe_image(side: int = PROBE_SIDE) -> torch.Tensor:
    """A deterministic photo-like test image in [-1, 1] (1 x 3 x side x side): gradients and a block."""
    ramp = torch.linspace(-0.9, 0.9, side)
    yy, xx = torch.meshgrid(ramp, ramp, indexing="ij")
    img = torch.stack([xx, yy, torch.sin(3 * (xx + yy)) * 0.8])
    img[:, side // 4: side // 2, side // 4: side // 2] = torch.tensor([0.6, -0.4, 0.1]).view(3, 1, 1)
    return img[None]


def probe_generator(generator: Generator, label: str) -> None:
    """Raise StyleFileError if the generator's painting of the test image is unusable."""
    with torch.inference_mode():
        out = generator.eval()(probe_image()).float()
    if not torch.isfinite(out).all():
        raise StyleFileError(f"{label} is not a usable style: its paintings come out as NaN or infinite numbers")
    if float(out.std(dim=(2, 3)).max()) < FLAT_STD:
        raise StyleFileError(f"{label} is not a usable style: it paints every photo one flat colour")
