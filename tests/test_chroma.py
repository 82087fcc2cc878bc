"""Colour fringes: one-pixel green/magenta pairs go, luminance and real colour areas stay."""

from __future__ import annotations

import torch

from engine.chroma import without_fringes

LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def luma(x: torch.Tensor) -> torch.Tensor:
    return (x * LUMA).sum(1)


def test_fringe_pairs_are_cancelled_and_luminance_is_exactly_kept():
    x = torch.full((1, 3, 40, 40), 0.5)
    green, magenta = torch.tensor([-0.1, 0.1, -0.1]), torch.tensor([0.1, -0.1, 0.1])
    for row in range(4, 36, 4):  # an edge every 4 rows with its fringe pair either side
        x[0, :, row - 1] -= 0.4
        x[0, :, row] += green.view(3, 1)
        x[0, :, row + 1] += magenta.view(3, 1)
    out = without_fringes(x)
    assert torch.allclose(luma(out), luma(x), atol=1e-6)
    chroma = lambda t: (t - luma(t)[:, None]).abs().mean()  # noqa: E731
    assert float(chroma(out)) < 0.35 * float(chroma(x))


def test_a_colour_area_a_few_pixels_wide_keeps_its_colour():
    x = torch.full((1, 3, 40, 40), 0.5)
    x[0, :, 14:26, 14:26] = torch.tensor([0.8, 0.2, 0.2]).view(3, 1, 1)  # a red patch 12 px wide
    out = without_fringes(x)
    assert torch.allclose(out[0, :, 20, 20], x[0, :, 20, 20], atol=0.02)
    assert torch.equal(without_fringes(x[..., :4, :4]), x[..., :4, :4])  # too small to judge: untouched


def test_bands_give_the_same_result_as_the_whole_painting():
    x = torch.rand(1, 3, 101, 37)
    assert torch.allclose(without_fringes(x, band=10_000), without_fringes(x, band=16), atol=1e-6)


def test_cleaning_in_place_gives_the_result_of_a_separate_copy():
    """A large still's painting is cleaned in its own memory; each band must still see the rows above
    and below as the generator painted them, not as already cleaned."""
    x = torch.rand(1, 3, 101, 37) * 2 - 1
    expected = without_fringes(x)
    y = x.clone()
    assert without_fringes(y, band=16, out=y) is y
    assert torch.allclose(y, expected, atol=1e-6)


def test_result_is_the_luma_plus_every_chroma_plane_blurred():
    """Only two chroma planes are blurred (green follows from luma's weights): the same as all three."""
    from engine.brushwork import gaussian_blur

    x = torch.rand(1, 3, 33, 29) * 2 - 1
    y = luma(x)[:, None]
    assert torch.allclose(without_fringes(x), y + gaussian_blur(x - y, 1.5), atol=1e-6)
