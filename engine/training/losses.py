"""The losses of DESIGN.md section 2, each a small function with one job.

- `lsgan_d` / `lsgan_g`: least-squares adversarial loss over all discriminator heads.
- `PatchNCE`: contrastive content loss (CUT, Park et al. 2020) on G's own encoder features: an output
  patch must match the same input patch and not the others. No pretrained network needed.
- `structure_loss`: L1 between low-pass luminance of input and output; its weight is the user's
  "keep content" dial.
- `warp_consistency`: G(warp(x)) ~ warp(G(x)) for small random affine warps (video stability).
- `TextureLoss`: Gram matrices of a fixed random-feature CNN on luminance, output vs artwork crop.

Why the texture term: a first run with only adversarial + content terms stayed at the identity
(SSIM 0.999 after 1,200 CPU steps: every content term pulls towards "change nothing" and a small D's
gradient is too weak to leave it in a CPU-sized budget). Random-feature Gram statistics are a known,
download-free texture descriptor (Ustyuzhaninov et al. 2017, "What does it take to generate natural
textures?"); they give G a direct push towards the painter's stroke statistics while D keeps judging
realism. The net here is seeded and shaped differently from the one in `engine.metrics`, so training
does not optimize the benchmark's own features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.discriminator import to_gray


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


def lowpass_luminance(x: torch.Tensor, factor: int = 8) -> torch.Tensor:
    return F.avg_pool2d(to_gray(x), factor)


def structure_loss(x: torch.Tensor, y: torch.Tensor, factor: int = 8) -> torch.Tensor:
    return F.l1_loss(lowpass_luminance(y, factor), lowpass_luminance(x, factor))


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


def warp_consistency(generator: nn.Module, x: torch.Tensor, fake: torch.Tensor, margin: int = 16) -> torch.Tensor:
    """L1(G(warp(x)), warp(G(x))) away from the borders, where warps invent pixels."""
    theta = random_affine(x.shape[0], device=x.device)
    a = generator(warp(x, theta))
    b = warp(fake, theta)
    m = margin
    return F.l1_loss(a[..., m:-m, m:-m], b[..., m:-m, m:-m])


class TextureLoss(nn.Module):
    """L1 distance of Gram matrices of a frozen random CNN on normalized luminance.

    The target is the mean Gram over many artwork crops, fixed at the start (`set_target`): a single
    random crop per step was too noisy a target to learn strokes from in a CPU-sized run.
    Luminance is normalized per image, so adding contrast or grain cannot fake the painter's texture.
    """

    def __init__(self, widths: tuple[int, ...] = (64, 128, 128), seed: int = 1234) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        layers: list[nn.Module] = []
        cin = 1
        for i, cout in enumerate(widths):
            conv = nn.Conv2d(cin, cout, 3 if i else 7, padding=1 if i else 3)
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * (2.0 / conv.weight[0].numel()) ** 0.5)
                conv.bias.zero_()
            layers.append(nn.Sequential(conv, nn.ReLU(), nn.AvgPool2d(2)))
            cin = cout
        self.layers = nn.ModuleList(layers)
        self.requires_grad_(False)
        self.targets: list[torch.Tensor] = []

    def grams(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = to_gray(x)
        h = (h - h.mean(dim=(2, 3), keepdim=True)) / (h.std(dim=(2, 3), keepdim=True) + 0.05)
        out = []
        for layer in self.layers:
            h = layer(h)
            f = h.flatten(2)
            out.append(torch.bmm(f, f.transpose(1, 2)) / f.shape[-1])
        return out

    @torch.no_grad()
    def set_target(self, art_crops: torch.Tensor) -> None:
        grams = [self.grams(art_crops[i:i + 8]) for i in range(0, len(art_crops), 8)]
        self.targets = [torch.cat([g[k] for g in grams]).mean(0, keepdim=True) for k in range(len(self.layers))]

    def forward(self, fake: torch.Tensor) -> torch.Tensor:
        return sum(F.l1_loss(a, t.expand_as(a)) / (t.abs().mean() + 1e-6)
                   for a, t in zip(self.grams(fake), self.targets, strict=True)) / len(self.layers)


def opponent_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of opponent colours (L, R-G, Y-B) of images in [-1, 1], pooled 4x."""
    x = F.avg_pool2d((x + 1) / 2, 4)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    opp = torch.stack([(r + g + b) / 3, r - g, (r + g) / 2 - b], 1).flatten(2)  # (n, 3, p)
    mean = opp.mean(2)
    c = opp - mean[..., None]
    return mean, torch.bmm(c, c.transpose(1, 2)) / c.shape[-1]


class PaletteLoss(nn.Module):
    """Distance of the output's colour statistics to the artworks' (mean and covariance).

    The colour D judges palette patch by patch; this term gives the global palette a direct, stable
    push in a short run. Targets are fixed from all artworks at the start.
    """

    def __init__(self) -> None:
        super().__init__()
        self.mean: torch.Tensor | None = None
        self.cov: torch.Tensor | None = None

    @torch.no_grad()
    def set_target(self, art: list[torch.Tensor]) -> None:
        stats = [opponent_stats(a[None]) for a in art]
        self.mean = torch.cat([m for m, _ in stats]).mean(0, keepdim=True)
        self.cov = torch.cat([c for _, c in stats]).mean(0, keepdim=True)

    def forward(self, fake: torch.Tensor) -> torch.Tensor:
        mean, cov = opponent_stats(fake)
        return F.l1_loss(mean, self.mean.expand_as(mean)) + 4 * F.l1_loss(cov, self.cov.expand_as(cov))
