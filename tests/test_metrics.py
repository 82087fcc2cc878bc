"""The quality metrics behave as the quality bench assumes (bench/quality.py reads nothing else).

Synthetic images only (no shared data), a fraction of a second each: if one of these breaks, the
quality figures and verdicts stop meaning what they say.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from engine import metrics
from tests.conftest import photo


@pytest.fixture(scope="module")
def img() -> np.ndarray:
    return photo(320, 256, seed=3)


def blurred(rgb: np.ndarray, radius: float = 3.0) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius)))


def colour_graded(rgb: np.ndarray) -> np.ndarray:
    """A warm grade: per-channel gains and offsets, no spatial change at all."""
    x = rgb.astype(np.float32) * np.array([1.08, 0.97, 0.78]) + np.array([18.0, 6.0, -4.0])
    return np.clip(x, 0, 255).astype(np.uint8)


def texture_changed(rgb: np.ndarray) -> np.ndarray:
    """Same colours on average, new texture: fine diagonal strokes over the luminance."""
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    strokes = 45.0 * np.sign(np.sin((xx + 2 * yy) / 1.5))
    return np.clip(rgb.astype(np.float32) + strokes[..., None], 0, 255).astype(np.uint8)


def test_identical_images_are_perfect(img: np.ndarray) -> None:
    assert metrics.ssim_luminance(img, img) == pytest.approx(1.0, abs=1e-5)
    assert metrics.edge_agreement(img, img) == pytest.approx(1.0, abs=1e-5)
    t = metrics.texture_features(img)
    c = metrics.colour_stats(img)
    assert metrics.texture_distance(t, t) == 0.0
    assert metrics.colour_distance(c, c) == 0.0
    assert metrics.set_distance([t], [metrics.texture_features(blurred(img)), t], metrics.texture_distance) == 0.0


def test_blur_lowers_ssim_and_edges(img: np.ndarray) -> None:
    soft, softer = blurred(img, 1.5), blurred(img, 4.0)
    assert metrics.ssim_luminance(img, softer) < metrics.ssim_luminance(img, soft) < 0.999
    assert metrics.edge_agreement(img, softer) < 0.999


def test_ssim_ignores_size_but_not_content(img: np.ndarray) -> None:
    half = np.asarray(Image.fromarray(img).resize((160, 128), Image.Resampling.LANCZOS))
    assert metrics.ssim_luminance(img, half) > 0.9  # both compared at 256 px on the short side
    assert metrics.ssim_luminance(img, unrelated(img)) < 0.5


def unrelated(rgb: np.ndarray) -> np.ndarray:
    return blurred(np.random.default_rng(0).integers(0, 256, rgb.shape, dtype=np.uint8), 2.0)


def test_unrelated_images_have_unrelated_edges(img: np.ndarray) -> None:
    assert abs(metrics.edge_agreement(img, unrelated(img))) < 0.3


def test_texture_distance_sees_texture_not_a_colour_grade(img: np.ndarray) -> None:
    t = metrics.texture_features(img)
    d_grade = metrics.texture_distance(t, metrics.texture_features(colour_graded(img)))
    d_texture = metrics.texture_distance(t, metrics.texture_features(texture_changed(img)))
    assert d_texture > 3 * d_grade


def test_colour_distance_sees_the_grade(img: np.ndarray) -> None:
    c = metrics.colour_stats(img)
    d_grade = metrics.colour_distance(c, metrics.colour_stats(colour_graded(img)))
    assert d_grade > 0.05
    assert d_grade > metrics.colour_distance(c, metrics.colour_stats(blurred(img, 1.0)))


def test_set_distance_takes_the_nearest_reference(img: np.ndarray) -> None:
    refs = [np.zeros(4), np.ones(4) * 10]
    feats = [np.ones(4), np.ones(4) * 9]
    assert metrics.set_distance(feats, refs, metrics.texture_distance) == pytest.approx(1.0)


def test_flicker_ratio() -> None:
    frames = [photo(64, 48, seed=s) for s in range(4)]
    assert metrics.flicker_ratio(frames, frames) == pytest.approx(1.0)
    still = [frames[0]] * 4
    assert metrics.flicker_ratio(frames, still) == 0.0  # output does not move although input does
    assert metrics.flicker_ratio(still, still) == 0.0  # nothing moves: no division by zero
    noisy = [np.clip(f.astype(np.int16) + (i % 2) * 40, 0, 255).astype(np.uint8) for i, f in enumerate(frames)]
    assert metrics.flicker_ratio(frames, noisy) > 1.0


def test_warped_flicker_tells_a_steady_pan_from_a_shimmering_one() -> None:
    rng = np.random.default_rng(0)
    wide = photo(120, 48, seed=1)
    xs = [int(i * 1.5) for i in range(6)]  # the view slides 1 or 2 px a frame
    shifts = [float(b - a) for a, b in zip(xs, xs[1:], strict=False)]
    views = [wide[:, x:x + 64] for x in xs]
    noisy = [np.clip(v + rng.normal(0, 3, v.shape), 0, 255).astype(np.uint8) for v in views]
    steady = views  # a painting that moves with the scene and ignores the sensor noise
    shimmer = [np.clip(v + rng.normal(0, 12, v.shape), 0, 255).astype(np.uint8) for v in views]
    assert metrics.flicker_ratio(noisy, steady) > 0.5  # plain differences mostly see the motion
    assert metrics.warped_flicker_ratio(noisy, steady, shifts) < 0.1
    assert metrics.warped_flicker_ratio(noisy, shimmer, shifts) > 2.0
    assert metrics.shift_columns(wide, 2.0)[:, :10].tolist() == wide[:, 2:12].astype(np.float32).tolist()


def test_stroke_statistics_see_oriented_strokes_not_a_colour_grade(img: np.ndarray) -> None:
    s = metrics.stroke_features(img)
    assert s.shape == (60,)  # per scale: 12 strength bins, 8 coherence bins, each histogram sums to 1
    assert np.allclose([s[i:i + n].sum() for i, n in ((0, 12), (12, 8), (20, 12), (32, 8), (40, 12), (52, 8))], 1.0)
    assert metrics.stroke_distance(s, s) == 0.0
    d_grade = metrics.stroke_distance(s, metrics.stroke_features(colour_graded(img)))
    d_strokes = metrics.stroke_distance(s, metrics.stroke_features(texture_changed(img)))
    assert d_strokes > 3 * d_grade
    # coherence: parallel strokes are far more coherent than isotropic noise
    coh = lambda f: float(np.dot(f[12:20], np.arange(8)))  # noqa: E731  (mean bin at sigma 1)
    noise = np.random.default_rng(1).integers(0, 256, img.shape, dtype=np.uint8)
    assert coh(metrics.stroke_features(texture_changed(img))) > coh(metrics.stroke_features(noise)) + 1.5
