"""Brushwork: paint strokes along the picture's own edges onto a finished painting.

The generators learn a painter's palette and surface but, trained for minutes on a CPU without a
pretrained network, not the strokes themselves (README, "Honest status"). This pass
adds them procedurally, as non-photorealistic renderers do: the direction of every stroke is the
local edge direction (the structure tensor's minor eigenvector), so strokes run along contours and
never across them; colour is smeared along those streamlines (line-integral convolution), and a
bristle height field (the same integral of a noise texture) lights the paint like impasto.

Every quantity is local (a stroke reaches `length` pixels), so a tile or band painted with its
margin gives the same pixels as the whole image; the noise is a hash of absolute pixel coordinates
for the same reason. Qt-free, pure torch, works on any device.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from engine.pixels import luma

MAX_SIDE = 2048  # longest side brushwork is painted at; larger paintings get it upscaled
# Strokes are painted on a copy at this share of the painting's size and their change upscaled:
# a quarter of the lookups for strokes that stay crisp (at 0.5 the bristles visibly soften).
STROKE_SCALE = 0.7
REFERENCE_SIDE = 1024  # stroke sizes are given for a painting of this long side
COLOUR_SIGMA = 0.12  # colour difference (RGB in [0, 1]) at which a stroke stops picking up paint
SWIRL_ENERGY = 5e-5  # about 5 % of a photo's mean gradient energy: only flat areas follow the swirl
# A fixed hatching angle is followed more widely (Cezanne hatched across forms, not only in flat
# areas): about the photo's mean gradient energy, so only clear edges turn the strokes.
HATCH_ENERGY = 1e-3
RELIEF_LIGHT = 0.12  # how strongly a bristle ridge is lit or shaded at relief 1
STEP_PX = 2.5  # longest step along a stroke, in pixels (fewer lookups; bilinear keeps it smooth)
JITTER = 0.06  # how much one stroke's paint is lighter or darker than its neighbour's


@dataclass(frozen=True)
class Brush:
    """A style's strokes, sized for a painting whose long side is REFERENCE_SIDE pixels.

    length: half-length of a stroke in pixels; 0 turns brushwork off.
    width: size of the bristle/paint-blob noise in pixels (how wide a stroke looks).
    smear: 0..1, how much colour is dragged along the stroke (1 = flat strokes of one colour).
    relief: strength of the impasto lighting (0 = flat paint).
    swirl: 0..1, how strongly strokes in flat areas (sky, skin) follow a field of their own
        instead of the nearest edges; Van Gogh's skies want it, a print does not.
    angle: that field's direction in degrees (counter-clockwise from horizontal), the same
        everywhere, as in Cezanne's parallel hatching; None lets it turn slowly across the picture.
    """

    length: float = 0.0
    width: float = 3.0
    smear: float = 0.7
    relief: float = 0.5
    swirl: float = 0.3
    angle: float | None = None

    def __post_init__(self) -> None:
        if self.angle is not None and not -180.0 <= self.angle <= 180.0:
            raise ValueError(f"brush angle must be between -180 and 180 degrees, got {self.angle}")
        if not 0.0 <= self.length <= 64.0:
            raise ValueError(f"brush length must be between 0 and 64 pixels, got {self.length}")
        if not 0.5 <= self.width <= 16.0:
            raise ValueError(f"brush width must be between 0.5 and 16 pixels, got {self.width}")
        for name in ("smear", "swirl"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"brush {name} must be between 0 and 1, got {value}")
        if not 0.0 <= self.relief <= 2.0:
            raise ValueError(f"brush relief must be between 0 and 2, got {self.relief}")

    @property
    def active(self) -> bool:
        return self.length >= 1.0 and (self.smear > 0 or self.relief > 0)

    def scaled(self, long_side: int) -> Brush:
        """The same strokes for a painting of `long_side` pixels (strokes keep their share of it)."""
        s = long_side / REFERENCE_SIDE
        return replace(self, length=min(64.0, self.length * s), width=min(16.0, max(0.5, self.width * s)))

    def weakened(self, amount: float) -> Brush:
        """The user's Brushwork setting: shorter, softer strokes towards 0, none at 0."""
        return replace(self, length=self.length * amount, smear=self.smear * amount, relief=self.relief * amount)

    def to_dict(self) -> dict[str, float]:
        data = {"length": self.length, "width": self.width, "smear": self.smear, "relief": self.relief,
                "swirl": self.swirl}
        if self.angle is not None:
            data["angle"] = self.angle
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Brush:
        """Raises ValueError (with the reason) on unknown keys or values out of range."""
        unknown = set(data) - {"length", "width", "smear", "relief", "swirl", "angle"}
        if unknown:
            raise ValueError(f"unknown brush settings {sorted(unknown)}")
        return cls(**{k: None if v is None and k == "angle" else float(v) for k, v in data.items()})

    def margin(self) -> int:
        """Rows of context a band needs on each side to match the whole-image result.

        Even, so that every band starts on an even row and the half-resolution smoothing of the
        stroke directions sees the same 2x2 blocks as in the whole image.
        """
        m = int(math.ceil(self.length + 4 * max(2.0, self.width) + 4))
        return m + m % 2


def _gauss_kernel(sigma: float, device: torch.device) -> torch.Tensor:
    r = max(1, int(math.ceil(3 * sigma)))
    x = torch.arange(-r, r + 1, dtype=torch.float32, device=device)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with replicated borders (N x C x H x W)."""
    k = _gauss_kernel(sigma, x.device)
    r = k.numel() // 2
    if x.device.type == "cpu":
        # Shifted multiply-adds: torch's CPU depthwise convolution with a 1 x 11 kernel took 10x as
        # long (68 vs 6.6 ms for a 640x480 colour image on one thread), same result.
        return _blur_rows(_blur_rows(x, k.tolist(), r, -1), k.tolist(), r, -2)
    c = x.shape[1]
    x = F.pad(x, (r, r, 0, 0), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    x = F.pad(x, (0, 0, r, r), mode="replicate")
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def _blur_rows(x: torch.Tensor, k: list[float], r: int, dim: int) -> torch.Tensor:
    """1-D convolution with taps `k` along `dim` (-1 or -2), borders replicated."""
    n = x.shape[dim]
    padded = F.pad(x, (r, r, 0, 0) if dim == -1 else (0, 0, r, r), mode="replicate")
    out = padded.narrow(dim, 0, n) * k[0]
    for i in range(1, len(k)):
        out.add_(padded.narrow(dim, i, n), alpha=k[i])
    return out


def hash_noise(y0: float, x0: float, h: int, w: int, cell: float, seed: int, device: torch.device) -> torch.Tensor:
    """Smooth value noise in [0, 1] at absolute pixel coordinates (1 x 1 x h x w).

    A hash of the lattice point, not a random generator, so any crop of the image sees the same
    noise whatever band or tile it is painted in; a fractional origin moves the noise with the
    scene (the live view's camera motion).
    """
    ys = (torch.arange(h, device=device, dtype=torch.float32) + y0) / cell
    xs = (torch.arange(w, device=device, dtype=torch.float32) + x0) / cell
    iy, ix = ys.floor(), xs.floor()
    fy, fx = ys - iy, xs - ix
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)
    iy, ix = iy.long(), ix.long()

    def lattice(dy: int, dx: int) -> torch.Tensor:
        a = (iy + dy)[:, None] * 73856093 ^ (ix + dx)[None, :] * 19349663 ^ seed * 83492791
        a = (a ^ (a >> 13)) * 1274126177
        a = a ^ (a >> 16)
        return (a & 0xFFFF).float() / 65535.0

    top = lattice(0, 0) * (1 - fx)[None, :] + lattice(0, 1) * fx[None, :]
    bottom = lattice(1, 0) * (1 - fx)[None, :] + lattice(1, 1) * fx[None, :]
    return (top * (1 - fy)[:, None] + bottom * fy[:, None])[None, None]


def stroke_directions(rgb: torch.Tensor, brush: Brush, y0: float = 0, x0: float = 0) -> torch.Tensor:
    """Unit stroke direction (1 x 2 x H x W, as (dx, dy)) along the local edges of `rgb` in [0, 1]."""
    lum = gaussian_blur(luma(rgb), 1.0)
    gx = F.pad(lum, (1, 1, 0, 0), mode="replicate")
    gx = (gx[..., 2:] - gx[..., :-2]) * 0.5
    gy = F.pad(lum, (0, 0, 1, 1), mode="replicate")
    gy = (gy[..., 2:, :] - gy[..., :-2, :]) * 0.5
    tensor = torch.cat([gx * gx, gx * gy, gy * gy], 1)
    # The tensor is smoothed over a stroke's width: at half resolution, a quarter of the work.
    h, w = tensor.shape[-2:]
    if min(h, w) >= 16:
        # Exactly 2x both ways (odd sizes padded), so that a band starting on an even row sees the
        # same half-resolution grid as the whole image.
        half = F.avg_pool2d(F.pad(tensor, (0, w % 2, 0, h % 2), mode="replicate"), 2)
        half = gaussian_blur(half, max(1.0, brush.width / 2))
        tensor = F.interpolate(half, scale_factor=2, mode="bilinear", align_corners=False)[..., :h, :w]
    else:
        tensor = gaussian_blur(tensor, max(2.0, brush.width))
    if brush.swirl > 0:
        # A field of its own (fixed hatching or slowly turning), as a structure tensor, wins where
        # the photo is flat. The tensor holds the direction across a stroke: the angle plus 90 degrees.
        h, w = rgb.shape[-2:]
        if brush.angle is not None:
            across = torch.full((1, 1, h, w), math.radians(brush.angle) + math.pi / 2, device=rgb.device)
        else:
            across = hash_noise(y0, x0, h, w, max(8.0, 6 * brush.length), 7, rgb.device) * (2 * math.pi)
        # image rows grow downwards, so a counter-clockwise angle has a negative y component
        c, s = torch.cos(across), -torch.sin(across)
        energy = HATCH_ENERGY if brush.angle is not None else SWIRL_ENERGY
        tensor = tensor + (brush.swirl * energy) * torch.cat([c * c, c * s, s * s], 1)
    e, f, g = tensor[:, 0:1], tensor[:, 1:2], tensor[:, 2:3]
    phi = 0.5 * torch.atan2(2 * f, e - g)  # direction of the strongest change
    return torch.cat([-torch.sin(phi), torch.cos(phi)], 1)  # the edge runs across it


def _streamline_smear(rgb: torch.Tensor, brush: Brush, y0: float, x0: float) -> torch.Tensor:
    """Colour and bristle noise averaged along each pixel's stroke (1 x 4 x H x W).

    One bilinear lookup per step fetches the paint to average and the direction of the next step
    (both live in one field), in grid_sample's normalised coordinates throughout.
    """
    _, _, h, w = rgb.shape
    dev = rgb.device
    direction = stroke_directions(rgb, brush, y0, x0)
    steps = max(1, math.ceil(brush.length / STEP_PX))
    stride = brush.length / steps
    # The finest bristles are one step apart, so that each step along a stroke sees fresh noise
    # and the noise across it stays sharp.
    bristles = (0.35 * hash_noise(y0, x0, h, w, max(1.0, stride), 11, dev)
                + 0.65 * hash_noise(y0, x0, h, w, brush.width, 13, dev))
    paint_channels = 4  # rgb and bristles; the last two channels of the field are the step
    to_grid = torch.tensor([2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)], device=dev).view(1, 2, 1, 1) * stride
    step = direction * to_grid  # one step along the stroke, in grid_sample's units
    pixel_metric = to_grid.reciprocal().square()
    field = torch.cat([rgb, bristles, step], 1)
    ys = torch.linspace(-1, 1, h, device=dev) if h > 1 else torch.zeros(1, device=dev)
    xs = torch.linspace(-1, 1, w, device=dev) if w > 1 else torch.zeros(1, device=dev)
    start = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1)[None]  # 1 x H x W x 2 as (x, y)
    sigma = max(1.0, brush.length / 2)
    total = field[:, :paint_channels].clone()
    weight = torch.ones_like(rgb[:, :1])
    inv_range = 1.0 / (2 * COLOUR_SIGMA**2)
    for sign in (1.0, -1.0):
        pos = start
        d = step * sign
        for k in range(1, steps + 1):
            pos = pos + d.permute(0, 2, 3, 1)
            sample = F.grid_sample(field, pos, mode="bilinear", padding_mode="border", align_corners=True)
            # Bilateral along the stroke: paint of another colour (an eye, a lip) is not dragged in.
            wk = (sample[:, :3] - rgb).square_().sum(1, keepdim=True)
            wk.mul_(-inv_range).exp_().mul_(math.exp(-0.5 * (k * stride / sigma) ** 2))
            total.addcmul_(sample[:, :paint_channels], wk)
            weight.add_(wk)
            nxt = sample[:, paint_channels:]
            # The field has no sign: keep going the way we went (compared in pixels, not grid units,
            # whose scale depends on the band's height).
            keep_going = (nxt * d * pixel_metric).sum(1, keepdim=True) >= 0
            d = nxt * (keep_going.float().mul_(2).sub_(1))
    return total / weight


@functools.lru_cache(maxsize=32)
def _height_spread(brush: Brush) -> tuple[float, float]:
    """Mean and spread of the bristle height after the strokes, measured once on flat paint.

    A fixed normalisation (not this image's own statistics) keeps bands and tiles identical.
    """
    flat = torch.full((1, 3, 96, 96), 0.5)
    height = _streamline_smear(flat, brush, 0, 0)[:, 3:4]
    return float(height.mean()), max(1e-4, float(height.std()))


def paint_strokes(rgb: torch.Tensor, brush: Brush, y0: float = 0, x0: float = 0) -> torch.Tensor:
    """Brushwork on 1 x 3 x H x W in [0, 1]; (y0, x0) is where this crop sits in the whole image."""
    if not brush.active:
        return rgb
    smeared = _streamline_smear(rgb, brush, y0, x0)
    out = rgb + brush.smear * (smeared[:, :3] - rgb)
    if brush.relief > 0:
        mean, spread = _height_spread(brush)
        height = (smeared[:, 3:4] - mean) / spread
        light = F.pad(height, (1, 1, 1, 1), mode="replicate")
        # Light from the top left: a ridge's upper-left flank is lit, its lower-right one shaded.
        shade = (light[..., 1:-1, :-2] - light[..., 1:-1, 2:] + light[..., :-2, 1:-1] - light[..., 2:, 1:-1]) * 0.25
        out = out * (1 + RELIEF_LIGHT * brush.relief * shade) + JITTER * brush.relief * height * out
    return out.clamp(0, 1)


def apply_brushwork(painting: torch.Tensor, brush: Brush, amount: float = 1.0, band: int = 1024,
                    max_side: int = MAX_SIDE, origin: tuple[float, float] = (0.0, 0.0)) -> torch.Tensor:
    """Brushwork for a whole painting (1 x 3 x H x W in [-1, 1], the generators' range).

    Strokes are sized for the painting's long side; `amount` (0..1, the user's Brushwork setting)
    shortens and softens them. The strokes are painted on a copy at STROKE_SCALE of the painting's
    size (at most `max_side`) and their change is upscaled onto it, as engine.stylize.paint_at_scale
    does for the painting itself: half the pixels (a 4000x3000 photo painted pixel for pixel: 1/15)
    for strokes the eye cannot tell apart. Rows are painted in bands with a margin so that memory
    stays bounded; the result does not depend on the band size. `origin` (y, x, in the painting's
    pixels) is where the bristle noise starts: the live view moves it with the camera.
    """
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"brushwork must be between 0 and 1, got {amount}")
    h, w = painting.shape[-2:]
    side = min(max_side, round(max(h, w) * STROKE_SCALE))
    if not brush.scaled(min(side, max(h, w))).weakened(amount).active:
        return painting
    if side < max(h, w):
        s = side / max(h, w)
        small = F.interpolate(painting.float(), size=(max(1, round(h * s)), max(1, round(w * s))), mode="area")
        change = _paint_bands(small, brush, amount, band, (origin[0] * s, origin[1] * s)) - small
        change = F.interpolate(change, size=(h, w), mode="bicubic", align_corners=False)
        return (painting.float() + change).clamp_(-1.0, 1.0).to(painting.dtype)
    return _paint_bands(painting, brush, amount, band, origin)


def apply_brushwork_on(device: torch.device, painting: torch.Tensor, brush: Brush, amount: float = 1.0,
                       origin: tuple[float, float] = (0.0, 0.0)) -> torch.Tensor:
    """apply_brushwork on `device` (the model's GPU: the strokes' lookups are what a GPU is for);
    the result comes back where `painting` was. If the accelerator fails (out of memory, an
    operation it lacks) the strokes are painted on the CPU instead: same pixels, only slower."""
    device = torch.device(device)
    if device.type != "cpu":
        try:
            return apply_brushwork(painting.to(device), brush, amount, origin=origin).to(painting.device)
        except RuntimeError:
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return apply_brushwork(painting.cpu(), brush, amount, origin=origin).to(painting.device)


def _paint_bands(painting: torch.Tensor, brush: Brush, amount: float, band: int,
                 origin: tuple[float, float] = (0.0, 0.0)) -> torch.Tensor:
    """The strokes at the painting's own size, band by band ([-1, 1] in and out)."""
    h, w = painting.shape[-2:]
    brush = brush.scaled(max(h, w)).weakened(amount)
    if not brush.active:
        return painting
    rgb = painting.float().add(1.0).mul_(0.5).clamp_(0, 1)
    band += band % 2  # even, like the margin (see Brush.margin)
    margin = brush.margin()
    out = torch.empty_like(rgb)
    for top in range(0, h, band):
        bottom = min(h, top + band)
        a, b = max(0, top - margin), min(h, bottom + margin)
        painted = paint_strokes(rgb[:, :, a:b], brush, a + origin[0], origin[1])
        out[:, :, top:bottom] = painted[:, :, top - a:top - a + bottom - top]
    return out.mul_(2.0).sub_(1.0).to(painting.dtype)


# Strokes for a style file that names none (styles trained before brushwork existed): medium
# strokes, some relief, little swirl.
DEFAULT_BRUSH = Brush(length=6.0, width=3.0, smear=0.6, relief=0.5, swirl=0.3)

# What a new style's author picks from (`atelier train --strokes`, the wizard's "Brushstrokes"),
# after the built-in painters whose strokes they resemble; engine.messages.STROKES names them.
STROKE_PRESETS: dict[str, Brush] = {
    "medium": DEFAULT_BRUSH,
    "dabs": Brush(length=5, width=3, smear=0.65, relief=0.5, swirl=0.3),  # Monet
    "long": Brush(length=10, width=4, smear=0.8, relief=0.7, swirl=0.5),  # Van Gogh
    "flowing": Brush(length=12, width=5, smear=0.85, relief=0.5, swirl=0.8),  # Munch
    "hatching": Brush(length=7, width=5, smear=0.75, relief=0.5, swirl=1.0, angle=60),  # Cezanne
    "flat": Brush(length=6, width=3, smear=0.8, relief=0.15, swirl=0.0),  # a print (Ukiyo-e)
    "none": Brush(length=0.0),
}


def preset_name(brush: Brush) -> str | None:
    """Which preset `brush` is (None: a style's own strokes, e.g. a built-in's)."""
    return next((key for key, preset in STROKE_PRESETS.items() if preset == brush), None)


def stroke_preset(name: str) -> Brush:
    """The preset's brush; ValueError naming the choices for anything else."""
    try:
        return STROKE_PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown brushstrokes {name!r}; choose one of {', '.join(STROKE_PRESETS)}") from None
