"""Where a photo shows skin: a soft mask in [0, 1] from chroma alone (the YCbCr box of Chai & Ngan 1999).

Chroma, not brightness, so it covers light and dark skin alike. Training uses it to ask faces for little
of the painter's texture and to hold their content harder (engine.training.losses); the generator of
layout 3 also sees it as a fourth input channel (engine.models.generator), so it can do exactly that
instead of guessing where faces are from 8 channels of colour.

Written as one fixed 1x1 convolution to the four edges of the box, a sigmoid and their product: the
same numbers as the box on Cb and Cr, in three plain operations that the ONNX graph repeats
(engine.models.onnx_graph).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Cb and Cr (JPEG's YCbCr, 0..255) of a pixel in [-1, 1]: 128 + 127.5 * (coefficients . rgb); the
# coefficients of each row sum to 0, so the offset is exactly 128.
_CB = (-0.168736, -0.331264, 0.5)
_CR = (0.5, -0.418688, -0.081312)
CB_RANGE = (77.0, 127.0)
CR_RANGE = (133.0, 173.0)
SOFTNESS = 3.0  # chroma units over which each edge of the box goes from 27 % to 73 %


def _box_edges() -> tuple[torch.Tensor, torch.Tensor]:
    """(4, 3, 1, 1) weights and (4,) biases: (cb - lo), (hi - cb), (cr - lo), (hi - cr), over SOFTNESS."""
    rows, biases = [], []
    for coeffs, (lo, hi) in ((_CB, CB_RANGE), (_CR, CR_RANGE)):
        w = torch.tensor(coeffs, dtype=torch.float64) * 127.5
        rows += [w, -w]
        biases += [128.0 - lo, hi - 128.0]
    weight = (torch.stack(rows) / SOFTNESS).view(4, 3, 1, 1).float()
    return weight, (torch.tensor(biases, dtype=torch.float64) / SOFTNESS).float()


BOX_WEIGHT, BOX_BIAS = _box_edges()


def skin_map(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [-1, 1] -> (N, 1, H, W) in [0, 1]: about 1 on skin tones, about 0 elsewhere.

    Eyes, brows and lips are not skin-coloured, so they are the parts of a face still asked for the
    painter's texture (a Van Gogh trained so paints colourful dabs around clean eyes). Closing such
    holes (21 px, max-pool then min-pool) protected whole brown and orange areas too and cost 11 points
    of recognition (67 -> 56 %, Van Gogh, 1,200 steps, 2026-12-06), so the map stays the tone box.
    """
    edges = F.conv2d(x, BOX_WEIGHT.to(x.device, x.dtype), BOX_BIAS.to(x.device, x.dtype))
    return torch.sigmoid(edges).prod(1, keepdim=True)
