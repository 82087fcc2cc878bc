"""Faces as whole objects (generator layout 4): the skin map with the holes a face encloses filled, so an
eye is part of the face it sits in, on torch and ONNX Runtime alike, and in a tile that cuts the face.
From layout 6 only holes that reach into a face the detector found count; the detector does not know the
drawn faces here, so `detected` hands it the drawn face's box."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
import torch

from engine.devices import resolve_device
from engine.models.generator import ARCHITECTURES, Generator
from engine.models.host import load_model
from engine.models.skin import enclosed, enclosed_holes, face_map, pooled, pooled_photo, skin_map
from engine.pixels import to_tensor
from engine.stylefile import StyleMeta
from engine.tiling import capture_global_stats, photo_faces, run_tiled, run_whole, whole_photo_holes

SKIN = (224, 172, 140)  # inside the Cb/Cr box of engine.models.skin
DARK = (40, 40, 60)


def _face(side: int = 192, eye: int = 12, eye_at: tuple[int, int] | None = None) -> np.ndarray:
    """A skin-toned oval face with one dark eye on a grey-blue background, and a dark patch at the edge."""
    yy, xx = np.mgrid[0:side, 0:side]
    img = np.zeros((side, side, 3), np.uint8)
    img[:] = (90, 110, 140)
    c = side // 2
    img[((yy - c) / (0.42 * side)) ** 2 + ((xx - c) / (0.32 * side)) ** 2 <= 1] = SKIN
    ey, ex = eye_at or (c - side // 10, c - side // 10)
    img[(yy - ey) ** 2 + (xx - ex) ** 2 <= eye**2] = DARK
    img[: side // 8, : side // 8] = DARK  # touches the border: background, not a hole
    return img


def _skin_box(rgb: np.ndarray) -> np.ndarray:
    """The box around an image's skin-toned pixels, as the detector reports a face: (1, 5) or (0, 5)."""
    ys, xs = np.nonzero((rgb == SKIN).all(-1))
    if not len(ys):
        return np.zeros((0, 5), np.float32)
    return np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1, 0.99]], np.float32)


@pytest.fixture
def detected(monkeypatch):
    """The face detector sees the drawn face (the box of its skin-toned pixels)."""
    monkeypatch.setattr("engine.models.faces.find_faces", _skin_box)


def _random_layout4_model():
    """A layout-4 generator with random weights everywhere, loaded as the app loads a style."""
    torch.manual_seed(0)
    g = Generator(ARCHITECTURES["fast"])
    with torch.no_grad():
        for p in g.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return load_model(g.eval(), StyleMeta(name="Tiny", architecture="fast"), resolve_device("cpu"))


def _reference_enclosed(free: np.ndarray) -> np.ndarray:
    """A plain breadth-first flood fill from the border, 4-connected."""
    h, w = free.shape
    seen = np.zeros_like(free)
    todo = deque((y, x) for y in range(h) for x in range(w) if free[y, x] and (y in (0, h - 1) or x in (0, w - 1)))
    for y, x in todo:
        seen[y, x] = True
    while todo:
        y, x = todo.popleft()
        for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
            if 0 <= ny < h and 0 <= nx < w and free[ny, nx] and not seen[ny, nx]:
                seen[ny, nx] = True
                todo.append((ny, nx))
    return free & ~seen


def test_the_fill_in_runs_finds_what_a_flood_fill_finds():
    """Random masks have winding paths to the border, many turns each: every pass count is exercised."""
    rng = np.random.default_rng(0)
    for density in (0.3, 0.45, 0.55, 0.7):
        free = rng.random((3, 37, 53)) < density
        got = enclosed(torch.from_numpy(free)).numpy()
        for i in range(3):
            assert (got[i] == _reference_enclosed(free[i])).all(), density


def test_an_eye_inside_a_face_is_face_and_a_dark_patch_elsewhere_is_not():
    img = _face()
    x = to_tensor(img)
    plain, filled = skin_map(x)[0, 0], face_map(x)[0, 0]
    ey, ex = 96 - 19, 96 - 19
    assert plain[ey, ex] < 0.1 and filled[ey, ex] > 0.9  # the eye: a hole before, face now
    assert filled[5, 5] < 0.1 and filled[96, 3] < 0.1  # the patch at the border and the background
    assert filled[96, 96] > 0.9  # the cheek stays skin


def test_the_lids_around_an_eye_are_face_too_but_not_the_background_beside_a_face():
    """A ring of eye shadow (half skin to the soft map) around the eye is protected like the eye; the
    widening is only around what the face encloses, so the background next to the face stays paintable."""
    img = _face()
    yy, xx = np.mgrid[0:192, 0:192]
    ey, ex = 96 - 19, 96 - 19
    ring = ((yy - ey) ** 2 + (xx - ex) ** 2 > 12**2) & ((yy - ey) ** 2 + (xx - ex) ** 2 <= 16**2)
    img[ring] = (160, 110, 130)  # mauve eye shadow: 0.3 to the soft skin map, neither skin nor dark
    x = to_tensor(img)
    plain, filled = skin_map(x)[0, 0], face_map(x)[0, 0]
    assert plain[ey, ex + 14] < 0.5 and filled[ey, ex + 14] > 0.9  # the shadow ring: face
    assert plain[ey, ex + 20] > 0.9  # skin beyond it stays skin
    edge = 96 - int(0.32 * 192) - 3  # 3 px outside the face's left side, level with its centre
    assert filled[96, edge] < 0.1  # the background beside the face is not widened into


def test_onnx_runtime_fills_faces_as_torch_does(detected):
    """The flood fill runs beside the ONNX graph (it has no operator there): both engines must paint the
    same, and the filled map must change what this generator paints, or the test proves nothing."""
    model = _random_layout4_model()
    assert model.engine == "onnxruntime"
    x = to_tensor(_face())
    with torch.inference_mode():
        ref = model.generator(x)
        unfilled = model.generator(x, torch.zeros_like(x[:, :1]))
    assert float((model.run(x) - ref).abs().max()) / 2 <= 2 / 255
    assert float((unfilled - ref).abs().max()) / 2 > 10 / 255


def test_a_large_photo_pools_as_integers_as_its_float_tensor_pools():
    """The whole photo's fill is found on cells summed from its uint8 pixels: the same cells as pooling the
    float photo, also where its sides are not whole cells (the last row and column repeated)."""
    rng = np.random.default_rng(0)
    for h, w, scale in ((48, 64, 8), (50, 61, 8), (37, 29, 4)):
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        expected = pooled(to_tensor(rgb), scale)
        assert pooled_photo(rgb, scale).shape == expected.shape
        assert float((pooled_photo(rgb, scale) - expected).abs().max()) < 1e-6


def test_a_tile_that_cuts_a_face_still_sees_its_eye_as_face(monkeypatch, detected):
    """Tiles of 192 px cut the face through a large eye: alone, each tile would see the eye reach its edge
    and leave it a hole. With the whole photo's holes the tiles paint what one pass paints."""
    img = _face(side=384, eye=40, eye_at=(192, 192))
    x = to_tensor(img)
    assert float((whole_photo_holes(img) - enclosed_holes(x)).abs().max()) < 0.02

    model = _random_layout4_model()
    stats = capture_global_stats(model, img, 192, photo_faces(model, img))  # as run_tiled: one search
    one_pass = torch.from_numpy(run_whole(model, img, stats))
    eye = (slice(160, 224), slice(160, 224))

    def worst_in_eye(tiled: np.ndarray) -> float:
        return float((torch.from_numpy(tiled) - one_pass)[eye].abs().max()) / 2

    assert worst_in_eye(run_tiled(model, img, 192, overlap=16, context=16)) <= 2 / 255
    monkeypatch.setattr("engine.tiling.whole_photo_holes", lambda rgb, **_: torch.zeros(1, 1, *rgb.shape[:2]))
    assert worst_in_eye(run_tiled(model, img, 192, overlap=16, context=16)) > 10 / 255


def test_a_tiled_photo_is_searched_for_faces_once(monkeypatch):
    """The statistics' thumbnail and the tiles' fill use the whole photo's face boxes: one search a photo,
    so the two cannot disagree about where the faces are (and a search costs about 20 ms)."""
    from engine.models import faces

    model = _random_layout4_model()  # loading probes ONNX Runtime against torch on small images
    searched: list[tuple[int, ...]] = []
    real = faces.find_faces
    monkeypatch.setattr(faces, "find_faces", lambda rgb: searched.append(rgb.shape[:2]) or real(rgb))
    img = _face(side=384, eye=40, eye_at=(192, 192))
    out = run_tiled(model, img, 192, overlap=16, context=16)
    assert out.shape == (384, 384, 3) and np.isfinite(out).all()
    assert searched == [(384, 384)]


def test_live_frames_keep_a_face_filled_when_noise_opens_it_for_a_frame(monkeypatch):
    """One frame whose eye is joined to the border (as one noisy cell can do) does not unfill the face:
    the live view fades the previous frame's holes instead of dropping them, and a face that stays open
    fades away within frames. The eye sits on the edge of the detected face's ellipse, in skin beyond it
    (a cheek the box left out), so the part outside the ellipse is face only as a hole."""
    from engine.live import LiveStylizer

    model = _random_layout4_model()
    closed = _face(side=256, eye=20, eye_at=(104, 104))
    face_box = _skin_box(closed)
    monkeypatch.setattr("engine.models.faces.find_faces", lambda rgb: face_box)
    yy, xx = np.mgrid[0:256, 0:256]
    closed[70:140, 5:60] = SKIN  # skin beyond the face's left edge...
    closed[(yy - 104) ** 2 + (xx - 50) ** 2 <= 20**2] = DARK  # ...round an eye on the edge
    beyond = (104, 36)  # the eye, outside the ellipse
    opened = closed.copy()
    opened[96:112, :50] = DARK  # a dark band from the eye to the left border
    g = model.generator
    assert float(g.holes_of(to_tensor(closed))[0, 0, beyond[0], beyond[1]]) > 0.9  # a hole reaching the face
    assert float(g.holes_of(to_tensor(opened))[0, 0, beyond[0], beyond[1]]) < 0.1  # alone, no hole

    live = LiveStylizer()
    live.process(model, closed)
    live.process(model, opened)
    assert float(live._holes[0, 0, beyond[0], beyond[1]]) >= 0.75  # HOLES_KEEP (0.8) of the filled eye
    for _ in range(8):
        live.process(model, opened)
    assert float(live._holes[0, 0, beyond[0], beyond[1]]) < 0.2


def test_a_detected_face_is_face_in_the_map_even_where_its_skin_is_weak():
    """Lids and the shadow beside a nose score 0.3-0.8 on the chroma map, and every style let half its
    strokes through there. Inside the detector's ellipse the map says face, for stills, tiles, the live
    view and training alike (one `holes_of`, one `whole_photo_holes`, the same ellipse)."""
    rgb = np.full((64, 96, 3), 90, np.uint8)  # grey: no skin anywhere, so only the detector can say face
    x = to_tensor(rgb)
    g = Generator(ARCHITECTURES["fast"])
    box = np.array([[20, 10, 60, 50, 0.99]], np.float32)
    whole = g.holes_of(x, [box])
    assert float(whole[0, 0, 30, 40]) == 1.0  # the ellipse's centre is face
    assert float(whole[0, 0, 11, 21]) == 0.0  # the box's corner, outside the ellipse, is not
    assert float(whole[0, 0, 30, 80]) == 0.0  # nor the rest of the photo
    assert torch.equal(face_map(x, whole)[0, 0, 30, 40], torch.tensor(1.0))
    assert torch.equal(whole_photo_holes(rgb, box), whole)  # the tiled path's map is the same
    assert float(g.holes_of(x, [np.zeros((0, 5), np.float32)]).max()) == 0.0  # no face found: nothing


def test_with_a_detector_only_holes_that_reach_a_face_are_face(monkeypatch):
    """A skin-toned wall (a door, a cloud, a heap of spices to the chroma map) enclosing a pocket of another
    colour: without a detector (layout 4) the pocket is a hole, so face, and every style left it
    unpainted; with one (layout 6) only the face's own holes (its eye) are face."""
    img = _face(side=192)
    face_box = _skin_box(img)
    monkeypatch.setattr("engine.models.faces.find_faces", lambda rgb: face_box)
    img[120:180, 150:190] = SKIN  # a skin-coloured wall at the right edge...
    img[140:160, 160:175] = DARK  # ...with a dark knot in it, far from the face
    x = to_tensor(img)
    assert float(enclosed_holes(x)[0, 0, 150, 167]) > 0.9  # the knot: a hole to the plain fill
    g = Generator(ARCHITECTURES["fast"])
    holes = g.holes_of(x)
    assert float(holes[0, 0, 150, 167]) == 0.0  # not face with the detector
    assert float(holes[0, 0, 96 - 19, 96 - 19]) > 0.9  # the face's eye still is
    assert torch.equal(whole_photo_holes(img, face_box), holes)  # the tiled path agrees
