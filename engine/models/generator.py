"""The style generator G: photo -> painting, fully convolutional, any input size.

Shape (after pytorch/examples' TransformerNet, with the lessons of DESIGN.md section 2):
stem conv at full resolution -> strided downsampling convs -> residual blocks -> bilinear
upsample + conv (no transposed convs, so no checkerboard; computed folded at the lower resolution,
`fold_upsampling`, which is the same upsample + conv and so keeps its smoothness), each level plus the
encoder's features of the same size (U-Net skips, additive: no extra MACs; strokes can follow the
photo's own edges instead of being invented from the 1/8-resolution core alone) -> a final
full-resolution 3x3 conv (no learned pixel-shuffle, so no 4-px grid). The output is a residual on
the input photo (`Generator.compose`), which makes an untrained or lightly trained G start at the
identity and keeps content from step 0. Layout 3 adds the photo's skin map as a fourth input
(`Generator.stem_input`), layout 4 the same map with the holes a face encloses filled (eyes, mouths),
layout 5 adds the residual in plain colour space with a soft clip at the ends of the range instead of
in atanh space. Layout 1 (no skips, nearest, clamp) is what the first styles were saved with, layout 2
everything before the skin map, layout 3 the plain map, layout 4 the atanh-space residual; such files
still load (`LEGACY_LAYOUTS`), and `adopt_weights` starts a current run from any of them.

Two sizes, measured with `bench/inference.py` (MACs counted by `count_macs`):
- "fast": 8-16-32-64 channels, 3 downsamplings (1/8 resolution), 6 residual blocks: about 0.5 M
  parameters, 0.80 GMAC at 256x256; about 290 ms for 1024x768 on 2 CPU cores (channels-last). Its
  texture is built at 1/8 resolution, so its receptive field is large for its cost. A 16-channel
  stem measured 2.4x slower on CPU for little visible gain. For live video and CPU.
- "quality": 32-64-128 channels, 2 downsamplings (1/4 resolution), 6 residual blocks: about 2.0 M
  parameters, about 40 GMAC at 512x512 (the TransformerNet / White-box class). For stills.

`encode(x, layers)` returns the encoder features PatchNCE compares, so no pretrained network is used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.models.norm import StatsNorm
from engine.models.skin import enclosed_holes, face_map, hole_scale, skin_map


@dataclass(frozen=True)
class GeneratorConfig:
    base: int = 16  # channels of the full-resolution stem
    downs: int = 3  # number of stride-2 stages; each doubles channels
    blocks: int = 5  # residual blocks at the lowest resolution
    stem_kernel: int = 5
    max_channels: int = 512  # cap on channel doubling (keeps the fast size cheap at 1/8 resolution)
    # Layout version 2 (defaults are version 1, so older style files still describe themselves):
    skips: bool = False  # add each encoder level to the decoder level of the same size
    upsample: str = "nearest"  # "nearest" | "bilinear"
    output: str = "clamp"  # "clamp": clamp(x + r); "soft": tanh(atanh(x) + r); "knee": soft_clip(x + r)
    # Layout version 3: the photo's skin map (engine.models.skin) as a 4th input channel.
    guide: bool = False
    # Layout version 4: that map with its enclosed holes filled (eyes and mouths inside a face are face).
    fill_holes: bool = False
    # Layout version 5: output "knee" (see `Generator.compose`).
    # Layout version 6: the fill also walls holes in with weak skin inside faces a detector finds
    # (engine.models.faces, engine.models.skin.FACE_WEAK_SKIN): a face's eye in shadow is face too.
    detect_faces: bool = False

    def channels(self, level: int) -> int:
        """Channels at downsampling level `level` (0 = full resolution)."""
        return min(self.base * 2**level, self.max_channels)

    @property
    def factor(self) -> int:
        """Input sides are padded to a multiple of this."""
        return 2**self.downs

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


_V2 = {"skips": True, "upsample": "bilinear", "output": "soft"}
_V3 = {**_V2, "guide": True}
_V4 = {**_V3, "fill_holes": True}
_V5 = {**_V4, "output": "knee"}
_V6 = {**_V5, "detect_faces": True}
_FAST = {"base": 8, "downs": 3, "blocks": 6, "stem_kernel": 5, "max_channels": 64}
_QUALITY = {"base": 32, "downs": 2, "blocks": 6, "stem_kernel": 7}
ARCHITECTURES: dict[str, GeneratorConfig] = {
    "fast": GeneratorConfig(**_FAST, **_V6),
    "quality": GeneratorConfig(**_QUALITY, **_V6),
}
# Layouts older style files were saved with, newest first; they still load (a user's trained style is
# never lost).
LEGACY_LAYOUTS: dict[str, tuple[GeneratorConfig, ...]] = {
    arch: tuple(GeneratorConfig(**size, **layout) for layout in (_V5, _V4, _V3, _V2, {}))
    for arch, size in (("fast", _FAST), ("quality", _QUALITY))
}
KNEE = 0.9  # layout 5: the output follows x + r exactly inside [-KNEE, KNEE] and bends towards +-1 beyond


def soft_clip(y: torch.Tensor) -> torch.Tensor:
    """y inside [-KNEE, KNEE]; beyond, KNEE + (1 - KNEE) tanh((|y| - KNEE) / (1 - KNEE)) with y's sign:
    continuous with slope 1 at the knee, never reaching +-1, never flat. Written as the clipped value
    plus the bent excess (tanh is odd), five element-wise passes: the ONNX graph does the same (with
    abs/sign/where it cost 10 ms more per 1024x768 photo than the atanh-space output)."""
    inside = y.clamp(-KNEE, KNEE)
    return inside + (1 - KNEE) * torch.tanh((y - inside) * (1 / (1 - KNEE)))


def known_layouts(architecture: str) -> tuple[GeneratorConfig, ...]:
    """Every layout a style file of this architecture may declare: the current one first."""
    return (ARCHITECTURES[architecture], *LEGACY_LAYOUTS.get(architecture, ()))


def conv_norm_act(cin: int, cout: int, k: int, stride: int = 1, act: bool = True) -> nn.Sequential:
    """Reflect-padded conv + instance norm (+ ReLU): reflection avoids dark borders and tile edges."""
    layers: list[nn.Module] = [
        nn.ReflectionPad2d(k // 2),
        nn.Conv2d(cin, cout, k, stride=stride, bias=False),
        StatsNorm(cout),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """Two 3x3 convs with a skip: where texture is built at low resolution (large receptive field)."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv_norm_act(ch, ch, 3), conv_norm_act(ch, ch, 3, act=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


# x2 upsampling as weights on the low-resolution rows i-1, i, i+1, for full-resolution row 2i + t
# (t = -1..2: the rows a 3x3 conv at 2i and 2i+1 reads). Bilinear uses half-pixel centres
# (F.interpolate, align_corners=False): row 2k is 0.25 x(k-1) + 0.75 x(k), row 2k+1 is 0.75 x(k) + 0.25 x(k+1).
_UPSAMPLING_TAPS = {
    "bilinear": {-1: (0.75, 0.25, 0.0), 0: (0.25, 0.75, 0.0), 1: (0.0, 0.75, 0.25), 2: (0.0, 0.25, 0.75)},
    "nearest": {-1: (1.0, 0.0, 0.0), 0: (0.0, 1.0, 0.0), 1: (0.0, 1.0, 0.0), 2: (0.0, 0.0, 1.0)},
}


def fold_upsampling(weight: torch.Tensor, mode: str) -> torch.Tensor:
    """The 3x3 conv `weight` (C_out, C_in, 3, 3) applied after x2 upsampling, as one 3x3 conv on the
    low-resolution map with 4 * C_out channels: channel 4c + 2a + b is output channel c at the
    full-resolution pixel (2i + a, 2j + b), the order `F.pixel_shuffle` puts back (ONNX DepthToSpace
    "CRD"). Linear in `weight`, so training differentiates through it.

    Why: the last upsampling and its full-resolution conv were a fifth of a 1024x768 pass on the CPU
    (49 of 247 ms), and most of that was not arithmetic: the upsampled copy, its reflection padding, and
    ONNX Runtime computing 16 output channels for 8 (its channel blocks). The folded conv does the same
    multiply-adds at half resolution on 32 channels (1024x768 generator pass 245 -> 196 ms with all
    three upsamplings folded, ORT, 2 threads).
    """
    taps = torch.tensor([_UPSAMPLING_TAPS[mode][t] for t in (-1, 0, 1, 2)], dtype=weight.dtype,
                        device=weight.device)  # (t + 1, low-res offset + 1)
    # rows[a, dy, p]: the weight of low-res row offset p - 1 in full-res row 2i + a + dy - 1
    rows = torch.stack([taps[a:a + 3] for a in (0, 1)])  # (2, 3, 3)
    folded = torch.einsum("oiyx,ayp,bxq->oabipq", weight, rows, rows)
    c_out, c_in = weight.shape[:2]
    return folded.reshape(4 * c_out, c_in, 3, 3)


class UpBlock(nn.Module):
    """x2 upsampling then conv: no transposed conv, so no checkerboard artefacts.

    Bilinear (layout 2) rather than nearest: nearest copies of the 1/8-resolution core let the
    generator paint an 8-px periodic stamp over every region (seen in a run whose texture loss had
    to be met by the decoder alone).

    Computed folded (`fold_upsampling`): the low-resolution map, extended by its edge rows and columns,
    goes through one conv whose outputs `F.pixel_shuffle` lays out at full resolution. At the image's
    border the conv therefore sees the upsampling of the edge-extended map rather than a reflection of
    the upsampled one (what `self.conv`'s ReflectionPad2d did until 2026-12-06, and what the built-ins
    were trained with). Nearest upsampling gives the same border either way; bilinear differs on the
    outer pixels only (shipped Van Gogh, 1024x768: mean 1.6/255 on the outermost ring of pixels, at
    most 42/255 two pixels in, 0.1/255 at 8 px, 0.02/255 from 12 px in). The padding module stays in
    `self.conv` so that style files keep their parameter names.
    """

    def __init__(self, cin: int, cout: int, mode: str = "nearest") -> None:
        super().__init__()
        self.conv = conv_norm_act(cin, cout, 3)
        self.mode = mode

    def upsample_conv(self, x: torch.Tensor) -> torch.Tensor:
        """The upsampling and the conv, before the norm."""
        h = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), fold_upsampling(self.conv[1].weight, self.mode))
        return F.pixel_shuffle(h, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv[2:](self.upsample_conv(x))


class Generator(nn.Module):
    """Photo in [-1, 1] (N,3,H,W) -> painting in [-1, 1], same size."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        ch = config.channels
        self.stem = conv_norm_act(3 + int(config.guide), ch(0), config.stem_kernel)
        self.downs = nn.ModuleList(
            conv_norm_act(ch(i), ch(i + 1), 3, stride=2) for i in range(config.downs)
        )
        self.blocks = nn.Sequential(*[ResidualBlock(ch(config.downs)) for _ in range(config.blocks)])
        self.ups = nn.ModuleList(UpBlock(ch(i), ch(i - 1), config.upsample) for i in range(config.downs, 0, -1))
        self.head = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(ch(0), 3, 3))
        nn.init.zeros_(self.head[1].weight)  # start as the identity: content kept from step 0
        nn.init.zeros_(self.head[1].bias)

    # Encoder layers that PatchNCE may compare: 0 = the input itself, 1 = stem, 2.. = each down,
    # then the middle of the residual stack.
    @property
    def nce_layer_count(self) -> int:
        return 2 + self.config.downs + 1

    @property
    def nce_default_layers(self) -> tuple[int, ...]:
        """Each downsampling level and the middle of the residual stack: (2, 3, 4, 5) for the fast size."""
        return tuple(range(2, self.nce_layer_count))

    def stem_input(self, x: torch.Tensor, holes: torch.Tensor | None = None) -> torch.Tensor:
        """What the stem sees: the photo, and from layout 3 its skin map beside it (layout 4: with the
        holes a face encloses filled, `engine.models.skin.face_map`; `holes` as it explains).

        The losses ask skin for little of the painter's texture and hold it harder (DESIGN.md section
        4), but without the map a generator had to guess skin from colour with 8 channels and smeared
        strokes across faces (kodim04 at 2,000 steps); seeing it, it kept faces clean at the same
        recognition (Van Gogh, 1,000 steps: 67 %, SSIM 0.62 -> 0.65).
        """
        if not self.config.guide:
            return x
        if not self.config.fill_holes:
            return torch.cat([x, skin_map(x)], 1)
        return torch.cat([x, face_map(x, self.holes_of(x) if holes is None else holes)], 1)

    def faces_of(self, x: torch.Tensor) -> list[np.ndarray] | None:
        """Where faces are in each image of `x`, as boxes (`engine.models.faces.find_faces_in`), for
        layouts that see them (6); None for the others."""
        if not self.config.detect_faces:
            return None
        from engine.models.faces import find_faces_in  # the detector's weights load on first use

        return find_faces_in(x)

    def holes_of(self, x: torch.Tensor, faces: list[np.ndarray] | None = None) -> torch.Tensor:
        """The face holes this layout fills in `x`: `enclosed_holes`, with the detector's faces from layout
        6 (`faces` when already found: training once per step, the live view every few frames) walling
        holes in and counting as face themselves (`draw_face_ellipses`)."""
        if faces is None:
            faces = self.faces_of(x)
        if faces is None:
            return enclosed_holes(x)
        from engine.models.faces import cells_of, draw_face_ellipses

        h, w = x.shape[-2:]
        return draw_face_ellipses(enclosed_holes(x, cells_of(faces, h, w, hole_scale(h, w))), faces)

    def encode(self, x: torch.Tensor, layers: tuple[int, ...], holes: torch.Tensor | None = None) -> list[torch.Tensor]:
        feats: dict[int, torch.Tensor] = {0: x}
        h = self.stem(self.stem_input(x, holes))
        feats[1] = h
        for i, down in enumerate(self.downs):
            h = down(h)
            feats[2 + i] = h
        mid = len(self.blocks) // 2
        h = self.blocks[:mid](h)
        feats[2 + self.config.downs] = h
        return [feats[i] for i in layers]

    def forward(self, x: torch.Tensor, holes: torch.Tensor | None = None) -> torch.Tensor:
        """`holes`: layout 4 only, the enclosed holes of the whole image under `x` when `x` is a tile of
        it (`engine.models.skin.enclosed_holes`); None: found on `x` itself."""
        return self.compose(x, self.residual(x, holes))

    def residual(self, x: torch.Tensor, holes: torch.Tensor | None = None) -> torch.Tensor:
        """The learned change `compose` adds to the photo (training also bounds it: `overshoot`)."""
        h = self.stem(self.stem_input(x, holes))
        skips = [h]
        for down in self.downs:
            h = down(h)
            skips.append(h)
        h = self.blocks(h)
        for i, up in enumerate(self.ups):
            h = up(h)
            if self.config.skips:
                h = h + skips[-2 - i]
        return self.head(h)

    def compose(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """Photo + learned residual, kept inside [-1, 1].

        "soft" (layouts 2-4) adds the residual in atanh space: it can never leave the range, and unlike
        a clamp it keeps a gradient everywhere. With the clamp, a region pushed past white or black lost
        its gradient and stayed a flat saturated blotch for the rest of training (seen on faces).
        "knee" (layout 5) adds it in plain colour space and bends only the last tenth of the range
        (`soft_clip`), so a gradient remains everywhere too. Why: in atanh space a saturated colour is
        far out (atanh(0.99) = 2.6, against 0.2 for a mid-tone), so the residuals that repaint a wall
        barely move a red cloth or a yellow paper: five vivid held-out photos read as photos under every
        atanh-space built-in. Van Gogh, the built-ins' command (1,200 steps, 18 held-out photos at 512
        px), with faces held 3x harder (`TrainConfig.w_face_fine`, `w_skin`): reads as Van Gogh 61 ->
        72 %, SSIM 0.70 -> 0.73, edges 0.77 -> 0.84, colour distance removed 22 -> 35 %; without the
        harder hold 78 % but stripes across kodim15's shadowed eye (2026-12-07).
        """
        if self.config.output == "soft":
            return torch.tanh(torch.atanh(x.clamp(-0.999, 0.999)) + residual)
        if self.config.output == "knee":
            return soft_clip(x + residual)
        return torch.clamp(x + residual, -1.0, 1.0)

    def overshoot(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """How far past the range a photo's own pixels can take (+-1 in colour space, atanh(0.999) in
        atanh space) `compose` is asked to go, per value (0 inside). Where it is far past, the output is
        flat: at x + r = -1.3 the knee passes on 0.1 % of a gradient, so no loss can pull such a region
        back, and it stays a saturated blotch. Training charges for it (`TrainConfig.w_range`); the
        stop-33 Turner had 4-6 % of kodim01/04/19 at 512 px below -1.3 (down to -4.4), its black blotches."""
        if self.config.output == "soft":
            z = torch.atanh(x.clamp(-0.999, 0.999)) + residual
            return (z.abs() - float(np.arctanh(0.999))).clamp(min=0)
        return ((x + residual).abs() - 1.0).clamp(min=0)


def build_generator(architecture: str) -> Generator:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; known: {', '.join(ARCHITECTURES)}")
    return Generator(ARCHITECTURES[architecture])


def adopt_weights(generator: Generator, state: dict[str, torch.Tensor]) -> None:
    """Load `state` into `generator`, also from a layout without the skin guide (a base model or a
    style trained before layout 3): the stem's guide channel starts at zero, so the generator paints
    exactly as the old one did until training teaches it to use the map."""
    key = "stem.1.weight"
    mine = generator.state_dict()[key]
    theirs = state.get(key)
    if theirs is not None and theirs.shape[1] == 3 and mine.shape[1] == 4:
        state = {**state, key: torch.cat([theirs, theirs.new_zeros(theirs.shape[0], 1, *theirs.shape[2:])], 1)}
    generator.load_state_dict(state)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, height: int, width: int) -> int:
    """Multiply-accumulates of all convolutions for one image of this size (hooks, no profiler)."""
    total = 0

    def hook(mod: nn.Module, _inp: tuple[torch.Tensor], out: torch.Tensor) -> None:
        nonlocal total
        # an UpBlock runs its conv folded (F.conv2d on the folded weights, so the conv's own hook stays
        # silent): the same multiply-adds as the conv over its full-resolution output
        conv = mod.conv[1] if isinstance(mod, UpBlock) else mod
        k = conv.kernel_size[0] * conv.kernel_size[1] * (conv.in_channels // conv.groups)
        total += out.numel() * k

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, UpBlock))]
    with torch.no_grad():
        model(torch.zeros(1, 3, height, width))
    for h in handles:
        h.remove()
    return total
