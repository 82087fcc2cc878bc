"""StatsNorm: the fused fast path and the stored-statistics paths are all instance normalization."""

from __future__ import annotations

import torch

from engine.models.norm import StatsNorm, set_norm_mode


def _reference(x: torch.Tensor, norm: StatsNorm) -> torch.Tensor:
    var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, unbiased=False)
    y = (x - mean) / torch.sqrt(var + norm.eps)
    return y * norm.weight.view(1, -1, 1, 1) + norm.bias.view(1, -1, 1, 1)


def _norm(channels: int = 6) -> StatsNorm:
    torch.manual_seed(0)
    n = StatsNorm(channels)
    with torch.no_grad():
        n.weight.uniform_(0.5, 2)
        n.bias.uniform_(-1, 1)
    return n


def test_every_mode_is_instance_norm_in_both_memory_layouts():
    norm = _norm()
    x = torch.randn(2, 6, 40, 56) * 3 + 5  # an offset mean, as after a conv
    ref = _reference(x, norm)
    for layout in (torch.contiguous_format, torch.channels_last):
        xl = x.contiguous(memory_format=layout)
        set_norm_mode(norm, "normal")
        assert torch.allclose(norm(xl), ref, atol=1e-4)
        set_norm_mode(norm, "capture")
        assert torch.allclose(norm(xl), ref, atol=1e-4)
        set_norm_mode(norm, "frozen")  # the captured statistics, applied to the same image
        assert torch.allclose(norm(xl), ref, atol=1e-4)


def test_frozen_statistics_are_applied_to_another_image_as_captured():
    norm = _norm()
    whole = torch.randn(1, 6, 64, 64) * 2 + 1
    set_norm_mode(norm, "capture")
    norm(whole)
    tile = whole[..., :32, :32]  # a tile normalized with the whole photo's statistics
    set_norm_mode(norm, "frozen")
    var, mean = torch.var_mean(whole, dim=(2, 3), keepdim=True, unbiased=False)
    expected = (tile - mean) / torch.sqrt(var + norm.eps) * norm.weight.view(1, -1, 1, 1) + norm.bias.view(1, -1, 1, 1)
    assert torch.allclose(norm(tile), expected, atol=1e-4)


def test_gradients_flow_through_the_fast_path():
    norm = _norm()
    x = torch.randn(1, 6, 16, 16, requires_grad=True)
    norm(x).square().mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and norm.weight.grad is not None
