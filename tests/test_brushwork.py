"""Brushwork: strokes follow the picture's edges, never cross them, and bands or tiles do not show."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.brushwork import DEFAULT_BRUSH, STROKE_PRESETS, Brush, apply_brushwork, paint_strokes, stroke_preset
from engine.devices import resolve_device
from engine.errors import StyleFileError
from engine.imageio import LoadedImage
from engine.messages import StylizeOptions
from engine.models.host import ModelHost
from engine.stylefile import StyleMeta, load_style, read_meta, save_style
from engine.stylize import stylize_loaded
from tests.conftest import make_style, photo


def as_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1


def residual_streaks(out: torch.Tensor, x: torch.Tensor) -> tuple[float, float]:
    """Mean absolute change of (out - x) from one column to the next, and from one row to the next."""
    r = (out - x).mean(1)[0]
    return float((r[:, 1:] - r[:, :-1]).abs().mean()), float((r[1:] - r[:-1]).abs().mean())


def test_bands_give_the_same_painting_as_the_whole_image():
    x = as_tensor(photo(171, 233, seed=3))  # odd sizes: the half-resolution grid must still line up
    brush = Brush(length=8, width=3, smear=0.8, relief=0.7, swirl=0.5)
    whole = apply_brushwork(x, brush, band=10_000)
    banded = apply_brushwork(x, brush, band=37)
    diff = (whole - banded).abs()
    assert float(diff.mean()) < 1e-5
    assert float((diff > 2 / 255).float().mean()) < 1e-3  # at most a stray pixel, never a seam


def test_off_when_amount_is_zero_or_strokes_have_no_length():
    x = as_tensor(photo(400, 300))
    assert torch.equal(apply_brushwork(x, DEFAULT_BRUSH, amount=0.0), x)
    assert torch.equal(apply_brushwork(x, Brush(length=0.0)), x)
    out = apply_brushwork(x, DEFAULT_BRUSH)
    assert out.shape == x.shape and out.min() >= -1 and out.max() <= 1
    assert float((out - x).abs().mean()) > 0.005  # it does paint something
    with pytest.raises(ValueError, match="between 0 and 1"):
        apply_brushwork(x, DEFAULT_BRUSH, amount=1.5)


def test_strokes_never_drag_paint_across_an_edge():
    """A red field beside a blue one: however long the strokes, each side keeps its own paint."""
    rgb = np.zeros((80, 80, 3), np.uint8)
    rgb[:, :40] = (200, 40, 40)
    rgb[:, 40:] = (40, 40, 200)
    rgb = np.clip(rgb + np.random.default_rng(0).normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255
    out = paint_strokes(x, Brush(length=20, width=3, smear=1.0, relief=0.0, swirl=1.0))
    left, right = out[0, :, :, :37], out[0, :, :, 43:]
    assert float(left[2].max()) < 0.35 and float(right[0].max()) < 0.35  # no blue on the left, no red on the right


def test_strokes_run_along_the_edges():
    """Faint horizontal stripes: the bristle texture is streaked along them, not across."""
    yy = np.mgrid[0:96, 0:96][0].astype(np.float32)
    rgb = np.repeat((128 + 20 * np.sin(yy / 3))[..., None], 3, -1).astype(np.uint8)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255
    out = paint_strokes(x, Brush(length=10, width=2, smear=0.0, relief=1.0, swirl=0.0))
    along, across = residual_streaks(out, x)
    assert along < 0.6 * across


@pytest.mark.parametrize("angle, horizontal", [(0.0, True), (90.0, False)])
def test_hatching_angle_sets_the_stroke_direction_in_flat_areas(angle, horizontal):
    x = torch.full((1, 3, 96, 96), 0.5)
    out = paint_strokes(x, Brush(length=10, width=2, smear=0.0, relief=1.0, swirl=1.0, angle=angle))
    along_rows, along_columns = residual_streaks(out, x)
    if horizontal:
        assert along_rows < 0.6 * along_columns
    else:
        assert along_columns < 0.6 * along_rows


def test_brush_settings_are_checked_with_clear_messages():
    with pytest.raises(ValueError, match="length"):
        Brush(length=100)
    with pytest.raises(ValueError, match="smear"):
        Brush(smear=2)
    with pytest.raises(ValueError, match="angle"):
        Brush(angle=400)
    with pytest.raises(ValueError, match="unknown brush settings"):
        Brush.from_dict({"length": 4, "colour": 1})
    assert Brush.from_dict(Brush(7, 5, 0.7, 0.5, 1.0, 60).to_dict()) == Brush(7, 5, 0.7, 0.5, 1.0, 60)


def test_style_file_carries_its_brush(tmp_path):
    from engine.models.generator import build_generator

    g = build_generator("fast")
    brush = Brush(length=9, width=4, smear=0.8, relief=0.6, swirl=0.4, angle=30)
    save_style(tmp_path / "b.atelier-style", g, StyleMeta(name="Brushy", architecture="fast", brush=brush))
    assert read_meta(tmp_path / "b.atelier-style").brush == brush
    assert load_style(tmp_path / "b.atelier-style")[1].strokes == brush
    plain = read_meta(make_style(tmp_path / "p.atelier-style"))
    assert plain.brush is None and plain.strokes == DEFAULT_BRUSH  # older files get the default strokes


def test_invalid_brush_in_a_style_file_is_refused(tmp_path, monkeypatch):
    from engine.models.generator import build_generator

    monkeypatch.setattr(Brush, "to_dict", lambda self: {"length": 500})
    save_style(tmp_path / "bad.atelier-style", build_generator("fast"),
               StyleMeta(name="Bad", architecture="fast", brush=Brush()))
    with pytest.raises(StyleFileError, match="invalid brush settings"):
        read_meta(tmp_path / "bad.atelier-style")


def test_small_pictures_get_proportionally_small_strokes_or_none():
    """Strokes keep their share of the picture: a thumbnail is not smeared by 1024-px strokes."""
    assert DEFAULT_BRUSH.scaled(2048).length == 2 * DEFAULT_BRUSH.length
    x = as_tensor(photo(120, 90))
    assert torch.equal(apply_brushwork(x, DEFAULT_BRUSH), x)


def test_stylize_paints_brushwork_and_the_setting_turns_it_off(tmp_path):
    path = make_style(tmp_path / "t.atelier-style")
    host = ModelHost()
    model = host.get(path, resolve_device("cpu"))
    img = LoadedImage(photo(400, 300, seed=2), None, None, None, None)
    with_strokes, _, _ = stylize_loaded(host, path, model, img, StylizeOptions(brushwork=1.0))
    without, _, _ = stylize_loaded(host, path, model, img, StylizeOptions())
    assert StylizeOptions().brushwork == 0.0  # off unless asked: the styles learn their own strokes
    assert with_strokes.shape == without.shape == (300, 400, 3)
    assert np.abs(with_strokes.astype(float) - without.astype(float)).mean() > 1.0
    # content is kept: the painting with strokes stays close to the one without
    assert np.abs(with_strokes.astype(float) - without.astype(float)).mean() < 20.0
    with pytest.raises(ValueError, match="brushwork"):
        StylizeOptions(brushwork=-0.1)


def test_stroke_presets_are_the_names_the_cli_and_wizard_offer():
    from engine.messages import STROKES

    assert tuple(STROKE_PRESETS) == STROKES
    assert not stroke_preset("none").active and stroke_preset("medium") == DEFAULT_BRUSH
    with pytest.raises(ValueError, match="choose one of medium, dabs"):
        stroke_preset("impasto")


def test_cli_refuses_unknown_strokes(capsys):
    from engine.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["train", "--art", "a", "--photos", "p", "--name", "n", "--strokes", "impasto"])
    assert exc.value.code == 2 and "invalid choice: 'impasto'" in capsys.readouterr().err


def test_a_painting_larger_than_max_side_gets_the_strokes_of_its_smaller_copy():
    """Pixel-for-pixel paintings of large photos: strokes are painted at max_side and upscaled."""
    import torch.nn.functional as F

    from engine.brushwork import _paint_bands

    x = as_tensor(photo(800, 600, seed=6))
    out = apply_brushwork(x, DEFAULT_BRUSH, max_side=400)
    assert out.shape == x.shape and float((out - x).abs().mean()) > 0.005
    small = F.interpolate(x, size=(300, 400), mode="area")
    expected = _paint_bands(small, DEFAULT_BRUSH, 1.0, 1024) - small  # the strokes of the 400 px copy
    seen = F.interpolate(out - x, size=(300, 400), mode="area")
    assert float((seen - expected).abs().mean()) < 0.25 * float(expected.abs().mean())


def test_an_accelerator_that_fails_still_gets_the_same_strokes_from_the_cpu():
    """The meta device runs no real kernels: like a GPU out of memory, it must fall back."""
    from engine.brushwork import apply_brushwork_on

    x = as_tensor(photo(400, 300, seed=7))
    out = apply_brushwork_on(torch.device("meta"), x, DEFAULT_BRUSH)
    assert out.device == x.device and torch.equal(out, apply_brushwork(x, DEFAULT_BRUSH))
