"""The face detector (engine.models.faces): the shipped weights load, it finds the sample photo's face and
nothing in a picture without one, and it is deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.models.faces import WEIGHTS, FaceDetector, detector, face_ellipses

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "astronaut.png"


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.asarray(Image.open(SAMPLE).convert("RGB"))


def test_weights_ship_with_the_app() -> None:
    assert WEIGHTS.is_file() and WEIGHTS.stat().st_size < 3_000_000


def test_loading_the_detector_leaves_torchs_random_stream_alone() -> None:
    """A training run loads it at its first step; a run resumed in a new process loads it again, after
    its random state was restored, and must then draw the numbers the uninterrupted run drew."""
    torch.manual_seed(5)
    FaceDetector()
    after_loading = torch.rand(4)
    torch.manual_seed(5)
    assert torch.equal(torch.rand(4), after_loading)


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


def test_the_search_skips_faces_too_small_for_the_fill(monkeypatch, astronaut: np.ndarray) -> None:
    """Faces under `MIN_FACE_CELLS` cells of the fill are not looked for (what keeps a small photo's search
    cheap), and the search never goes under the detector's own smallest face or above `DETECT_SIDE`."""
    from engine.models import faces

    seen: list[tuple[tuple[int, ...], int]] = []
    real = faces.FaceDetector.detect

    def spy(self, rgb, thresholds=faces.THRESHOLDS, min_face=faces.MIN_FACE):
        seen.append((rgb.shape[:2], min_face))
        return real(self, rgb, thresholds, min_face)

    monkeypatch.setattr(faces.FaceDetector, "detect", spy)
    assert len(faces.find_faces(astronaut)) == 1  # 512 px, 4 px cells: faces from 32 px
    faces.find_faces(np.zeros((768, 1024, 3), np.uint8))  # searched at 512 px: 40 px of the photo
    faces.find_faces(np.zeros((3000, 4000, 3), np.uint8))  # 8 px cells: far under 20 px at 512
    assert seen == [((512, 512), 32), ((384, 512), 20), ((384, 512), 20)]


def test_face_cells_are_the_pooled_face_mask() -> None:
    """The fill's grid gets exactly the cells the photo-sized mask would give once pooled, edges, boxes
    past the border and overlapping faces included (what keeps a large photo's fill from drawing it)."""
    from engine.models.faces import face_cells
    from engine.models.skin import pooled

    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w, scale = int(rng.integers(5, 300)), int(rng.integers(5, 300)), int(rng.choice([1, 3, 4, 8]))
        k = int(rng.integers(0, 4))
        x0, y0 = rng.uniform(-5, w, k), rng.uniform(-5, h, k)
        boxes = np.stack([x0, y0, x0 + rng.uniform(0, w / 2, k), y0 + rng.uniform(0, h / 2, k), np.ones(k)], 1)
        boxes = boxes.astype(np.float32).reshape(-1, 5)
        expected = pooled(face_ellipses(boxes, h, w), scale)[:, 0] > 0.5
        assert torch.equal(face_cells(boxes, h, w, scale), expected), (h, w, scale, boxes)


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
    assert mask[0, 0, 45, 35] == 0  # outside the box
    assert face_ellipses(np.array([[40, 20, 80, 70, 1.0]], np.float32), 100, 120, grow=1.3)[0, 0, 45, 35] == 1


# ------------------------------------------------------------------ layout 6: the fill sees the faces
SKIN = (224, 172, 140)  # skin map about 1
SHADE = (68, 46, 52)  # a cheek in shadow: skin map about 0.4, below the fill's 0.5
DARK = (40, 40, 60)


def _face_with_a_shadowed_side(side: int = 192) -> tuple[np.ndarray, np.ndarray]:
    """A skin oval whose right third is in shadow, an eye in that shadow, and the face's box (the oval is
    the box's inscribed ellipse, as `face_ellipses` draws a detected face)."""
    yy, xx = np.mgrid[0:side, 0:side]
    img = np.zeros((side, side, 3), np.uint8)
    img[:] = (90, 110, 140)
    c = side // 2
    ry, rx = 0.42 * side, 0.32 * side
    oval = ((yy - c) / ry) ** 2 + ((xx - c) / rx) ** 2 <= 1
    img[oval] = SKIN
    img[oval & (xx > c + side // 12)] = SHADE  # the shadow reaches the face's edge
    img[(yy - (c - side // 10)) ** 2 + (xx - (c + side // 6)) ** 2 <= 12**2] = DARK  # the eye in it
    return img, np.array([[c - rx, c - ry, c + rx, c + ry, 1.0]], np.float32)


def test_an_eye_in_shadow_is_face_inside_a_detected_face_only() -> None:
    from engine.models.faces import cells_of
    from engine.models.skin import enclosed_holes, hole_scale
    from engine.pixels import to_tensor

    img, box = _face_with_a_shadowed_side()
    x = to_tensor(img)
    cells = cells_of([box], *img.shape[:2], hole_scale(*img.shape[:2]))
    eye = (slice(74, 80), slice(124, 130))
    assert float(enclosed_holes(x)[0, 0][eye].max()) < 0.5  # the shadow joins it to the background
    assert float(enclosed_holes(x, cells)[0, 0][eye].min()) > 0.5  # inside the face it is walled in
    no_face = torch.zeros_like(cells)
    assert torch.equal(enclosed_holes(x, no_face), enclosed_holes(x))  # elsewhere nothing changes


def test_the_current_layout_finds_the_faces_itself(astronaut: np.ndarray) -> None:
    from engine.models.generator import ARCHITECTURES, LEGACY_LAYOUTS, Generator
    from engine.pixels import to_tensor

    x = to_tensor(astronaut)
    g = Generator(ARCHITECTURES["fast"])
    faces = g.faces_of(x)
    assert faces is not None and len(faces) == 1 and faces[0].shape == (1, 5)  # one image, one face
    assert bool((g.holes_of(x) >= face_ellipses(faces[0], *x.shape[-2:])).all())  # the face found is face
    assert torch.equal(g.holes_of(x), g.holes_of(x, faces))  # found once, used as often as needed
    assert Generator(LEGACY_LAYOUTS["fast"][0]).faces_of(x) is None  # layout 5 files paint as they did


def test_faces_move_and_scale_with_their_image() -> None:
    """The live view moves the last search's boxes with the camera, the losses scale a crop's boxes to
    their smaller views: the face lands where the moved or resized image shows it."""
    from engine.live import shift_image
    from engine.models.faces import face_ellipses, moved, scaled

    box = np.array([[20.0, 30.0, 60.0, 80.0, 0.9]], np.float32)
    mask = face_ellipses(box, 120, 100)
    shifted = shift_image(mask, 7.0, -5.0)[0]  # sampled at (y + 7, x - 5)
    assert torch.equal(face_ellipses(moved([box], 7.0, -5.0)[0], 120, 100), shifted)
    half = scaled([box], 0.5, 0.5)[0]
    np.testing.assert_allclose(half, [[10, 15, 30, 40, 0.9]])


def test_the_live_view_searches_for_faces_every_few_frames_not_every_frame(monkeypatch) -> None:
    from engine.live import FACES_EVERY, LiveStylizer
    from engine.models.generator import ARCHITECTURES, Generator

    g = Generator(ARCHITECTURES["fast"])
    searches = []
    monkeypatch.setattr(g, "faces_of", lambda x: searches.append(1) or [np.zeros((0, 5), np.float32)])
    live = LiveStylizer()
    x = torch.zeros(1, 3, 64, 64)
    still = type("Motion", (), {"shift": None})()
    for _ in range(3 * FACES_EVERY):
        live._live_faces(g, x, still)
    assert len(searches) == 3
    live._live_faces(g, x, None)  # a cut: search again at once
    assert len(searches) == 4


def test_nms_keeps_what_greedy_suppression_keeps() -> None:
    """The vectorized NMS keeps exactly the boxes the textbook greedy loop keeps, in the same order, for
    both overlap measures (what the detector's boxes were measured with before it was vectorized)."""
    from engine.models.faces import nms

    def greedy(b: np.ndarray, s: np.ndarray, threshold: float, by_smaller: bool) -> list[int]:
        one = 1.0 if by_smaller else 0.0
        area = (b[:, 2] - b[:, 0] + one) * (b[:, 3] - b[:, 1] + one)
        order, keep = list(np.argsort(-s, kind="stable")), []
        while order:
            i = order.pop(0)
            keep.append(int(i))
            rest = []
            for j in order:
                iw = max(0.0, min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0]) + one)
                ih = max(0.0, min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1]) + one)
                union = min(area[i], area[j]) if by_smaller else area[i] + area[j] - iw * ih
                if iw * ih / union <= threshold:
                    rest.append(j)
            order = rest
        return keep

    rng = np.random.default_rng(1)
    for n in (0, 1, 7, 60):
        xy = rng.uniform(0, 100, (n, 2))
        b = np.concatenate([xy, xy + rng.uniform(5, 40, (n, 2))], 1)
        s = rng.choice([0.7, 0.8, 0.9, 0.95], n)  # ties keep their order
        for by_smaller in (False, True):
            b32, s32 = b.astype(np.float32), s.astype(np.float32)
            kept = nms(torch.from_numpy(b32), torch.from_numpy(s32), 0.5, by_smaller=by_smaller)
            assert kept.tolist() == greedy(b32.astype(np.float64), s32, 0.5, by_smaller)
