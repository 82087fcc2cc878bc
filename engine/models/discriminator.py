"""The discriminator D: judges style (texture and palette), not layout.

Three PatchGAN heads with spectral norm, in the spirit of White-box cartoonization:
- texture at full scale and at 1/2 scale, on grayscale input: brush and stroke structure without
  colour, so a colour grade alone cannot satisfy it (the failure DESIGN.md section 2 reports);
- colour on blurred RGB: palette and tonal masses without texture.
Each head sees only small random crops (its receptive field is ~46 px at its scale), so it has no way
to ask G to move objects: there is no pressure to change the layout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def patch_head(cin: int, width: int = 32, depth: int = 3) -> nn.Sequential:
    layers: list[nn.Module] = []
    c = cin
    for i in range(depth):
        cout = width * 2**i
        layers += [spectral_norm(nn.Conv2d(c, cout, 4, stride=2, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
        c = cout
    layers += [spectral_norm(nn.Conv2d(c, c, 3, padding=1)), nn.LeakyReLU(0.2, inplace=True),
               spectral_norm(nn.Conv2d(c, 1, 3, padding=1))]
    return nn.Sequential(*layers)


def to_gray(x: torch.Tensor) -> torch.Tensor:
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])


def box_blur(x: torch.Tensor, k: int = 5) -> torch.Tensor:
    return F.avg_pool2d(F.pad(x, (k // 2,) * 4, mode="reflect"), k, stride=1)


class StyleDiscriminator(nn.Module):
    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.texture = patch_head(1, width)
        self.texture_coarse = patch_head(1, width)
        self.colour = patch_head(3, width // 2)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        g = to_gray(x)
        return [
            self.texture(g),
            self.texture_coarse(F.avg_pool2d(g, 2)),
            self.colour(box_blur(x)),
        ]
