"""The losses of DESIGN.md section 2, each a small function with one job.

- `lsgan_d` / `lsgan_g`: least-squares adversarial loss over all discriminator heads.
- `PatchNCE`: contrastive content loss (CUT, Park et al. 2020) on G's own encoder features: an output
  patch must match the same input patch and not the others. No pretrained network needed.
- `ContentLoss`: what must stay of the photo: tonal layout (luminance at 1/16 resolution), colours
  as the painter's palette maps them (chroma at 1/4, target `PaletteMap(x)`), and luminance at 1/4
  where the photo has contours or skin. Its weight is the user's "keep content" dial.
- `face_hold`: faces held to their target pixel by pixel.
- `FeatureStyle` / `PerceptualContent`: the painter's style as the loss network's feature statistics,
  and the photo's content as its mid-level features.
- `warp_consistency`: G(warp(x)) ~ warp(G(x)) for small random affine warps (video stability).

Why a style term at all: a first run with only adversarial + content terms stayed at the identity
(SSIM 0.999 after 1,200 CPU steps: every content term pulls towards "change nothing" and a small D's
gradient is too weak to leave it in a CPU-sized budget). The first style terms were random-feature
Gram statistics and a Laplacian-band SWD (removed 2026-12-06): on top of the loss network's
statistics they lowered recognition (Van Gogh 56 -> 50 %, README ablation). With a luminance-only
texture term the generator paints texture in garish green/magenta (chroma was free), which is why
`ContentLoss` ties chroma at 1/4 resolution to the palette-mapped photo.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.discriminator import to_gray
from engine.models.skin import skin_map

SkinOf = Callable[[torch.Tensor], torch.Tensor]  # photo -> where its faces are, in [0, 1]


def lsgan_d(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    return sum(((r - 1) ** 2).mean() + (f**2).mean() for r, f in zip(real, fake, strict=True)) / len(real)


def lsgan_g(fake: list[torch.Tensor]) -> torch.Tensor:
    return sum(((f - 1) ** 2).mean() for f in fake) / len(fake)


class PatchNCE(nn.Module):
    """Per-layer 2-layer MLP projections + InfoNCE over sampled patch locations."""

    def __init__(self, channels: list[int], dim: int = 128, patches: int = 128, tau: float = 0.07) -> None:
        super().__init__()
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(c, dim), nn.ReLU(inplace=True), nn.Linear(dim, dim)) for c in channels
        )
        self.patches = patches
        self.tau = tau

    def forward(self, feats_in: list[torch.Tensor], feats_out: list[torch.Tensor]) -> torch.Tensor:
        total = feats_in[0].new_zeros(())
        for head, fi, fo in zip(self.heads, feats_in, feats_out, strict=True):
            n, c, h, w = fi.shape
            k = min(self.patches, h * w)
            idx = torch.randperm(h * w, device=fi.device)[:k]
            qi = fi.flatten(2)[:, :, idx].permute(0, 2, 1).reshape(-1, c)  # (n*k, c) keys from input
            qo = fo.flatten(2)[:, :, idx].permute(0, 2, 1).reshape(-1, c)  # queries from output
            ki = F.normalize(head(qi.detach()), dim=1).view(n, k, -1)
            ko = F.normalize(head(qo), dim=1).view(n, k, -1)
            logits = torch.bmm(ko, ki.transpose(1, 2)) / self.tau  # (n, k, k): diagonal = positives
            target = torch.arange(k, device=fi.device).expand(n, k)
            total = total + F.cross_entropy(logits.reshape(n * k, k), target.reshape(-1))
        return total / len(self.heads)


def random_affine(n: int, max_shift: float = 0.03, max_rot: float = 0.03, max_scale: float = 0.03,
                  device: torch.device | None = None) -> torch.Tensor:
    """Small random affine matrices (n, 2, 3) in normalized coordinates."""
    a = (torch.rand(n, device=device) * 2 - 1) * max_rot
    s = 1 + (torch.rand(n, device=device) * 2 - 1) * max_scale
    t = (torch.rand(n, 2, device=device) * 2 - 1) * max_shift
    cos, sin = torch.cos(a) * s, torch.sin(a) * s
    return torch.stack([torch.stack([cos, -sin, t[:, 0]], 1), torch.stack([sin, cos, t[:, 1]], 1)], 1)


def warp(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def warp_consistency(generator: nn.Module, x: torch.Tensor, fake: torch.Tensor, margin: int = 16,
                     noise: float = 0.0) -> torch.Tensor:
    """L1(G(warp(x) + n), warp(G(x))) away from the borders, where warps invent pixels.

    `n` is Gaussian noise of standard deviation `noise` (units of [-1, 1]): a camera's next frame of a
    still scene differs from the last by sensor noise alone, and a generator that paints the same
    picture through it does not flicker in the live view."""
    theta = random_affine(x.shape[0], device=x.device)
    moved = warp(x, theta)
    if noise > 0:
        moved = (moved + noise * torch.randn_like(moved)).clamp(-1, 1)
    a = generator(moved)
    b = warp(fake, theta)
    m = margin
    return F.l1_loss(a[..., m:-m, m:-m], b[..., m:-m, m:-m])


def to_chroma(x: torch.Tensor) -> torch.Tensor:
    """Opponent chroma (R-G, Y-B) of images in [-1, 1]."""
    return torch.cat([x[:, 0:1] - x[:, 1:2], (x[:, 0:1] + x[:, 1:2]) / 2 - x[:, 2:3]], 1)


def blur_down(x: torch.Tensor) -> torch.Tensor:
    """Binomial 5x5 blur then x1/2: one level of a Gaussian pyramid (no aliasing, unlike avg_pool)."""
    k = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=x.device, dtype=x.dtype)
    k = (k[:, None] * k[None, :]) / 256
    k = k.expand(x.shape[1], 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), k, stride=2, groups=x.shape[1])


class ContentLoss(nn.Module):
    """What must survive of the photo, measured against the palette-mapped photo `target`.

    - luminance at 1/16: the tonal layout (where light and dark masses are), held harder on skin;
    - chroma at 1/4: colours follow the photo's regions, through the painter's palette;
    - luminance at 1/4, weighted by the photo's contours (gradient magnitude) and skin: outlines,
      eyes, text and faces stay; flat areas (sky, walls) are free to take the painter's strokes.
    """

    def __init__(self, w_layout: float = 1.0, w_chroma: float = 3.0, w_detail: float = 1.0,
                 w_skin: float = 1.0, edge_tau: float = 0.05, w_skin_chroma: float = 0.0) -> None:
        super().__init__()
        self.w_layout, self.w_chroma, self.w_detail, self.w_skin = w_layout, w_chroma, w_detail, w_skin
        self.w_skin_chroma = w_skin_chroma
        self.edge_tau = edge_tau

    def detail_weight(self, x4: torch.Tensor, skin_of: SkinOf = skin_map) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-pixel masks of the photo at 1/4 resolution: (contours in [0, 1], skin in [0, 1])."""
        y4 = to_gray(x4)
        gx = F.pad((y4[..., :, 1:] - y4[..., :, :-1]).abs(), (0, 1, 0, 0))
        gy = F.pad((y4[..., 1:, :] - y4[..., :-1, :]).abs(), (0, 0, 0, 1))
        m = F.max_pool2d(gx + gy, 3, 1, 1)
        return m / (m + self.edge_tau), skin_of(x4)

    def forward(self, x: torch.Tensor, target: torch.Tensor, fake: torch.Tensor,
                skin_of: SkinOf = skin_map) -> torch.Tensor:
        """`skin_of`: where faces are, the map the generator sees (`Trainer.guide_map`; the plain tone
        map for a run of layout 3 or older, so it resumes with the losses it started with)."""
        with torch.no_grad():
            t4 = blur_down(blur_down(target))
            t16 = blur_down(blur_down(t4))
            x4 = blur_down(blur_down(x))
            edges, skin = self.detail_weight(x4, skin_of)
            # Contours are weighted relative to the crop's own (a crop of fine detail is not held harder
            # than one with a single outline); skin is weighted absolutely, so a crop that is all face
            # is held as hard as a face beside a sky (measured: relative weights left face-only crops
            # unprotected, and cheeks got dark patches).
            w = edges / edges.mean().clamp(min=1e-3) + self.w_skin * skin
            lw = 1 + self.w_skin * skin_of(blur_down(blur_down(x4)))
            cw = 1 + self.w_skin_chroma * skin  # faces held to their target colour harder than the rest
        f4 = blur_down(blur_down(fake))
        f16 = blur_down(blur_down(f4))
        layout = (lw * (to_gray(f16) - to_gray(t16)).abs()).mean()
        if self.w_skin_chroma > 0:
            chroma = (cw * (to_chroma(f4) - to_chroma(t4)).abs()).mean()
        else:  # the unweighted term the styles before the option were trained with, exactly
            chroma = F.l1_loss(to_chroma(f4), to_chroma(t4))
        detail = (w * (to_gray(f4) - to_gray(t4)).abs()).mean()
        return self.w_layout * layout + self.w_chroma * chroma + self.w_detail * detail


def face_hold(fake: torch.Tensor, target: torch.Tensor, face: torch.Tensor) -> torch.Tensor:
    """Faces held to their target pixel by pixel: mean of `face` x |fake - target| at full resolution.

    Every term of `ContentLoss` looks at 1/4 or coarser, where a dab of 2-4 px over a lid or a cheek
    averages away, so whether a run painted such dabs on faces was left to chance; here each one costs.
    Skin takes no style term, so this asks nothing a face was meant to take from the painter."""
    return (face * (fake - target).abs()).mean()


def _channel_stats(f: torch.Tensor, weight: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image, per-channel mean and standard deviation of a feature map, (N, C) each; `weight`
    (N, 1, H', W' at any size) counts some places more than others."""
    flat = f.flatten(2)
    if weight is None:
        return flat.mean(2), (flat.var(2, unbiased=False) + 1e-5).sqrt()
    w = F.interpolate(weight, size=f.shape[-2:], mode="area").flatten(2)
    w = w / w.sum(2, keepdim=True).clamp(min=1e-6)
    mean = (flat * w).sum(2)
    var = ((flat - mean[..., None]) ** 2 * w).sum(2)
    return mean, (var + 1e-5).sqrt()


class FeatureStyle(nn.Module):
    """The painter's style as per-channel mean/std of the loss network's features at several depths.

    Mean/std rather than Gram matrices: EfficientNet's activations are peaky, and its Gram matrices
    are dominated by a few channels (DESIGN.md section 2). Each training crop is matched to one
    artwork's statistics, drawn per step, not to the average over every artwork: an average over 77
    different Van Goghs is a mushy target that no painting has. A layer's distance is scaled by how
    much that statistic varies between the artworks (between crops of a one-painting style), so every
    depth counts alike.
    Layers are indices into `lossnet.features`: by default 1/4, 1/8 and 1/16; the 1/2 stage drove a
    fine, etched hatching in the first try instead of strokes.
    """

    def __init__(self, lossnet: nn.Module, layers: tuple[int, ...] = (1, 2, 3)) -> None:
        super().__init__()
        self.lossnet = lossnet
        self.layers = layers
        self.means: list[torch.Tensor] = []  # per layer: (artworks, C)
        self.stds: list[torch.Tensor] = []
        self.scales: list[float] = []

    def stats(self, x: torch.Tensor, weight: torch.Tensor | None = None,
              feats: list[torch.Tensor] | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """`feats`: `lossnet.features(x)` when the caller has them already (the trainer shares one pass)."""
        feats = feats if feats is not None else self.lossnet.features(x, upto=feature_upto(self.layers))
        return [_channel_stats(feats[i], weight) for i in self.layers]

    @torch.no_grad()
    def set_target(self, crops_per_artwork: list[torch.Tensor]) -> None:
        """One target per artwork: the mean of its crops' statistics."""
        per_art = [self.stats(c) for c in crops_per_artwork]
        self.means = [torch.cat([a[k][0].mean(0, keepdim=True) for a in per_art]) for k in range(len(self.layers))]
        self.stds = [torch.cat([a[k][1].mean(0, keepdim=True) for a in per_art]) for k in range(len(self.layers))]
        # One painting has no spread between artworks: its crops' spread stands in (without it the
        # scale fell to a floor and The Scream's term outweighed content 3:1, dissolving faces).
        spread_of = ([torch.cat([m, s], 1) for m, s in zip(self.means, self.stds, strict=True)] if len(per_art) > 1
                     else [torch.cat(stat, 1) for stat in per_art[0]])
        self.scales = [max(float(v.std(0).mean()), 1e-3) for v in spread_of]

    @torch.no_grad()
    def distance(self, image: torch.Tensor) -> float:
        """How far one whole image (1, 3, H, W) is from the nearest artwork, in the loss's own units:
        what the trainer's evaluation uses to pick the best checkpoint."""
        per_art = torch.zeros(len(self.means[0]), device=image.device)
        for (mu, sd), tm, ts, scale in zip(self.stats(image), self.means, self.stds, self.scales, strict=True):
            per_art += (((mu - tm) ** 2).mean(1) + ((sd - ts) ** 2).mean(1)) / scale**2
        return float(per_art.min()) / len(self.layers)

    def forward(self, fake: torch.Tensor, weight: torch.Tensor | None = None,
                feats: list[torch.Tensor] | None = None) -> torch.Tensor:
        """`weight` (N, 1, H, W): where the painting's statistics are asked for; the trainer passes
        1 - skin, so the painter's texture goes to walls, skies and clothes, not into faces."""
        pick = torch.randint(len(self.means[0]), (fake.shape[0],), device=fake.device)
        total = fake.new_zeros(())
        stats = self.stats(fake, weight, feats)
        for (mu, sd), tm, ts, scale in zip(stats, self.means, self.stds, self.scales, strict=True):
            total = total + (F.mse_loss(mu, tm[pick]) + F.mse_loss(sd, ts[pick])) / scale**2
        return total / len(self.layers)


class PerceptualContent(nn.Module):
    """Content through the loss network: the photo's mid-level features must survive in the painting.

    Features at 1/8 and 1/16 (objects and their parts, not pixel texture), each normalised per channel
    by the photo's own spread, so strokes may change pixels freely while what the network sees stays.
    `x` is what must be kept: the trainer passes `perceptual_reference`'s choice (by default the photo in
    the painter's colours off faces), since these features carry colour too.
    """

    def __init__(self, lossnet: nn.Module, layers: tuple[int, ...] = (2, 3)) -> None:
        super().__init__()
        self.lossnet = lossnet
        self.layers = layers

    def forward(self, x: torch.Tensor, fake: torch.Tensor, weight: torch.Tensor | None = None,
                feats: list[torch.Tensor] | None = None) -> torch.Tensor:
        """`weight` (N, 1, H, W), mean about 1: where content counts more (the trainer holds faces harder).
        `feats`: `lossnet.features(fake)` when the caller has them already."""
        upto = feature_upto(self.layers)
        with torch.no_grad():
            fx = self.lossnet.features(x, upto=upto)
        ff = feats if feats is not None else self.lossnet.features(fake, upto=upto)
        total = fake.new_zeros(())
        for i in self.layers:
            scale = fx[i].flatten(2).std(2).mean(0).clamp(min=1e-3)[None, :, None, None]
            err = ((ff[i] - fx[i]) / scale) ** 2
            if weight is not None:
                err = err * F.interpolate(weight, size=err.shape[-2:], mode="area")
            total = total + err.mean()
        return total / len(self.layers)


PERCEPTUAL_REFERENCES = ("photo", "palette", "palette_photo_faces")


def perceptual_reference(kind: str, photo: torch.Tensor, target: torch.Tensor, skin: torch.Tensor) -> torch.Tensor:
    """What the perceptual term keeps (`TrainConfig.perceptual_reference`): the `photo`, the palette
    `target` (the photo in the painter's colours), or that target with the photo where the face map
    `skin` (N, 1, H, W, 0..1) is, so a face keeps its own features, not its palette-mapped ones."""
    if kind == "photo":
        return photo
    if kind == "palette":
        return target
    if kind == "palette_photo_faces":
        return torch.lerp(target, photo, skin)
    raise ValueError(f"unknown perceptual reference {kind!r} (one of {', '.join(PERCEPTUAL_REFERENCES)})")


def feature_upto(layers: tuple[int, ...]) -> int:
    """The last block `lossnet.features` must run to give these layers."""
    from engine.models.lossnet import FEATURE_BLOCKS

    return FEATURE_BLOCKS[max(layers)]
