"""The face detector (engine.models.faces): the shipped weights load, it finds the sample photo's face and
nothing in a picture without one, and it is deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.models.faces import WEIGHTS, detector, face_ellipses

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "astronaut.png"


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.asarray(Image.open(SAMPLE).convert("RGB"))


def test_weights_ship_with_the_app() -> None:
    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 3_000_000


def test_finds_the_one_face_of_the_sample_photo(astronaut: np.ndarray) -> None:
    boxes = detector().detect(astronaut)
    assert boxes.shape == (1, 5)
    x0, y0, x1, y1, score = boxes[0]
    assert score > 0.95
    # Eileen Collins' face: upper middle of the 512 x 512 photo, about 90 px wide.
    assert 150 < x0 < (x0 + x1) / 2 < x1 < 300 and 40 < y0 < (y0 + y1) / 2 < y1 < 200
    assert 60 < x1 - x0 < 130


def test_same_boxes_every_time(astronaut: np.ndarray) -> None:
    np.testing.assert_array_equal(detector().detect(astronaut), detector().detect(astronaut.copy()))


def test_finds_the_face_after_scaling(astronaut: np.ndarray) -> None:
    """At half size the box is half as large and in the same place (the pyramid does its job)."""
    half = np.asarray(Image.fromarray(astronaut).resize((256, 256), Image.Resampling.BOX))
    full, small = detector().detect(astronaut)[0], detector().detect(half)[0]
    np.testing.assert_allclose(small[:4] * 2, full[:4], atol=12)


def test_no_face_in_a_sky_or_in_noise() -> None:
    y, x = np.mgrid[0:240, 0:320]
    sky = np.stack([60 + y // 4, 110 + y // 3, 200 + 0 * x], -1).astype(np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    assert detector().detect(sky).shape == (0, 5)
    assert detector().detect(noise).shape == (0, 5)


def test_a_photo_smaller_than_a_face_has_none() -> None:
    assert detector().detect(np.full((10, 10, 3), 128, np.uint8)).shape == (0, 5)


def test_face_ellipse_covers_the_face_not_the_corners() -> None:
    mask = face_ellipses(np.array([[40, 20, 80, 70, 1.0]], np.float32), 100, 120)
    assert mask.shape == (1, 1, 100, 120)
    assert mask[0, 0, 45, 60] == 1  # the box's centre
    assert mask[0, 0, 0, 0] == 0 and mask[0, 0, 99, 119] == 0
    assert mask[0, 0, 45, 35] == 1  # just outside the box, inside the grown ellipse
