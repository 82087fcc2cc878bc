"""The decoder's folded upsampling (engine.models.generator.fold_upsampling) is the conv after x2
upsampling, computed at half resolution: the same pixels inside the picture, and at its border the
edge-extended map's upsampling."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.models.generator import UpBlock, build_generator, count_macs


def _block(mode: str) -> UpBlock:
    torch.manual_seed(0)
    block = UpBlock(6, 4, mode).eval()
    with torch.no_grad():
        for p in block.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    return block


def _conv_after(block: UpBlock, upsampled: torch.Tensor) -> torch.Tensor:
    """The block's conv alone (before its norm): what the fold must reproduce."""
    return F.conv2d(upsampled, block.conv[1].weight)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_the_folded_conv_is_the_conv_of_the_upsampled_map(mode):
    block = _block(mode)
    x = torch.randn(1, 6, 9, 14)
    corners = None if mode == "nearest" else False
    up = F.interpolate(x, scale_factor=2.0, mode=mode, align_corners=corners)
    with torch.no_grad():
        folded = block.upsample_conv(x)
        inside = _conv_after(block, up)  # valid conv: every pixel but the outermost ring
        reflected = _conv_after(block, F.pad(up, (1, 1, 1, 1), mode="reflect"))  # the layout's old border
        extended = F.interpolate(F.pad(x, (1, 1, 1, 1), mode="replicate"), scale_factor=2.0, mode=mode,
                                 align_corners=corners)[..., 1:-1, 1:-1]
        edge = _conv_after(block, extended)
    assert folded.shape == (1, 4, 18, 28)
    assert torch.allclose(folded[..., 1:-1, 1:-1], inside, atol=1e-5)
    assert torch.allclose(folded, edge, atol=1e-5)  # the border: the edge-extended map, upsampled
    if mode == "nearest":  # the first layout's border is unchanged: reflecting a nearest upsampling is its edge
        assert torch.allclose(folded, reflected, atol=1e-5)
    else:  # bilinear's border differs from a reflection (so this test can tell the two apart)
        assert (folded - reflected).abs().max() > 1e-2


def test_the_block_trains_through_the_fold():
    block = _block("bilinear").train()
    block(torch.randn(2, 6, 8, 8)).square().mean().backward()
    grad = block.conv[1].weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_the_folded_convs_are_counted_in_the_generators_cost():
    side = 64
    expected = 4 * 8 * 25 * side**2  # stem (photo + face map), 5x5
    expected += sum(cin * 2 * 9 * (side >> (i + 1)) ** 2 * cin for i, cin in enumerate((8, 16, 32)))  # downs
    expected += 12 * 64 * 64 * 9 * (side // 8) ** 2  # six residual blocks
    expected += sum(cin * cin // 2 * 9 * (side >> i) ** 2 for i, cin in ((2, 64), (1, 32), (0, 16)))  # ups
    expected += 8 * 3 * 9 * side**2  # head
    assert count_macs(build_generator("fast"), side, side) == expected
