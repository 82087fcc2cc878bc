"""The painter's palette as a colour map: photo colours -> the artworks' colours, one map for all photos.

Why a map and not a statistics loss: the first built-in styles matched each training crop's colour
mean and covariance to the artworks'. A crop of a face or a wall has one colour, the painter's
artworks have many, so the generator painted green and orange blotches onto smooth skin to get the
covariance up (docs/styles.png of that session). A palette is a property of the whole collection, so it
is fitted once on the whole collection: sliced optimal transport (Pitié et al. 2005, Rabin et al.
2011) moves the pooled colours of all training photos onto the pooled colours of all artworks, and
the displacement is stored as a smooth 17^3 lookup table. The generator is then asked to reproduce
`PaletteMap(x)` at low resolution: a per-pixel, content-following target in which the same input
colour always goes to the same output colour, so blotches have nowhere to come from.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.models.skin import skin_map


def pooled_pixels(images: list[torch.Tensor], limit: int, pool: int = 4, seed: int = 0) -> torch.Tensor:
    """Up to `limit` colours (N, 3) drawn evenly from images (3, H, W) after `pool`x averaging."""
    g = torch.Generator().manual_seed(seed)
    per = max(1, limit // max(1, len(images)))
    out = []
    for im in images:
        px = F.avg_pool2d(im[None].float(), pool).flatten(2)[0].T
        out.append(px[torch.randperm(px.shape[0], generator=g)[:per]])
    return torch.cat(out)


def sliced_transport(source: torch.Tensor, target: torch.Tensor, iterations: int = 40,
                     seed: int = 0) -> torch.Tensor:
    """Move `source` points (N, 3) so their distribution matches `target` (M, 3).

    Each iteration picks a random rotation and matches the three 1-D marginals by quantiles; the
    iterations converge to a transport of the full 3-D distribution (iterative distribution transfer).
    """
    g = torch.Generator().manual_seed(seed)
    x = source.clone().double()
    t = target.double()
    levels = torch.linspace(0, 1, x.shape[0], dtype=torch.float64)
    for _ in range(iterations):
        q, _ = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=torch.float64))
        xs, ts = x @ q, t @ q
        for k in range(3):
            order = xs[:, k].argsort()
            moved = torch.empty_like(xs[:, k])
            moved[order] = torch.quantile(ts[:, k], levels)
            xs[:, k] = moved
        x = xs @ q.T
    return x.float()


class PaletteMap(torch.nn.Module):
    """A smooth 3-D lookup table of colour displacements, applied per pixel (differentiable in x)."""

    def __init__(self, lut: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("lut", lut)  # (1, 3, S, S, S), indexed [r, g, b], values in [-1, 1] units

    @staticmethod
    def identity(size: int = 17) -> PaletteMap:
        return PaletteMap(torch.zeros(1, 3, size, size, size))

    @staticmethod
    def fit(photos: list[torch.Tensor], artworks: list[torch.Tensor], size: int = 17, samples: int = 60000,
            strength: float = 1.0, seed: int = 0) -> PaletteMap:
        """Fit the map from photos (3, H, W in [-1, 1]) to artworks; `strength` scales the move."""
        src = pooled_pixels(photos, samples, seed=seed)
        dst = pooled_pixels(artworks, samples, seed=seed + 1)
        moved = sliced_transport(src, dst, seed=seed)
        disp = (moved - src) * strength
        idx = ((src.clamp(-1, 1) + 1) / 2 * (size - 1)).round().long()
        flat = (idx[:, 0] * size + idx[:, 1]) * size + idx[:, 2]
        acc = torch.zeros(size**3, 3).index_add_(0, flat, disp)
        cnt = torch.zeros(size**3).index_add_(0, flat, torch.ones(len(flat)))
        grid = (acc / cnt.clamp(min=1)[:, None]).view(size, size, size, 3).permute(3, 0, 1, 2)[None]
        known = (cnt > 0).float().view(1, 1, size, size, size)
        grid = grid * known
        # Colours no photo had (cells without samples) take the mean of their filled neighbours,
        # growing outwards until the cube is full; then a light blur makes the map smooth.
        for _ in range(2 * size):
            if bool(known.all()):
                break
            gb = F.avg_pool3d(F.pad(grid, (1,) * 6, mode="replicate"), 3, 1)
            kb = F.avg_pool3d(F.pad(known, (1,) * 6, mode="replicate"), 3, 1)
            grid = torch.where(known > 0, grid, gb / kb.clamp(min=1e-6))
            known = torch.where(known > 0, known, (kb > 0).float())
        for _ in range(2):
            grid = F.avg_pool3d(F.pad(grid, (1,) * 6, mode="replicate"), 3, 1)
        return PaletteMap(grid.contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        # grid_sample's 3-D coordinates are (W, H, D) = (b, g, r) for a table indexed [r, g, b].
        coords = x.permute(0, 2, 3, 1)[..., [2, 1, 0]].unsqueeze(1).to(self.lut.dtype)
        d = F.grid_sample(self.lut.expand(n, -1, -1, -1, -1), coords, mode="bilinear",
                          padding_mode="border", align_corners=True)[:, :, 0]
        return (x + d.to(x.dtype)).clamp(-1, 1)


def palette_target(palette: PaletteMap, x: torch.Tensor, skin_keep: float = 0.0,
                   skin: torch.Tensor | None = None) -> torch.Tensor:
    """The photo through the painter's palette, with skin keeping `skin_keep` of its own colour
    (`skin`: where faces are, as the trainer already found them; default the tone map of `x`).

    A palette fitted on paintings with little dark brown sends dark skin to grey or green (measured on
    kodim15: skin's R-B chroma 0.32 falls to 0.04 through the Monet map); blending back by the skin
    mask keeps faces recognisably theirs while everything else takes the painter's colours.
    """
    target = palette(x)
    if skin_keep <= 0:
        return target
    return torch.lerp(target, x, skin_keep * (skin_map(x) if skin is None else skin))
