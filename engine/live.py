"""The live path: one camera frame at a time through the generator, steady and fast.

Cheap stabilizers on top of the generator's warp-consistency training:
- normalization statistics are smoothed across frames (`StatsNorm` "smooth" mode, EMA 0.85), which
  removes the frame-to-frame brightness/contrast pumping that per-frame instance norm causes;
- the camera's sensor noise is taken out before painting: where the input barely changed, the camera
  frame is blended towards the previous (already steadied) one, so the generator paints a quiet
  frame. A style amplifies whatever noise it is given (on the live bench's still scene the painting
  changed 1.3x as much as the input under Van Gogh, 2.1-2.7x under the 20-minute Cézanne), so this
  is where flicker is cheapest to remove;
- a motion-aware blend with the previous output: where the input barely changed the output is
  blended towards the previous output too; where it moved, the new frame and painting are used as
  they are, so motion is never smeared;
- camera motion is undone first: the shift between consecutive frames is measured by phase
  correlation (one small FFT) and the previous frame is moved by it before the comparison, so a
  panning or shaking camera is blended too instead of shimmering. A shift that does not make the
  frames agree better (a person moving in front of a still background) is not used;
- with brushwork on, the strokes' bristle noise moves with that camera motion, so strokes stay on
  the things they paint instead of shimmering over a moving scene;
- the face map's filled holes (layout 4, `engine.models.skin`) fade instead of vanishing: one noisy
  cell can open a path from a face to the border and unfill it for a frame (on the sample photo, at
  sigma 3 sensor noise, 4 % of the frame switched between filled and not), so each frame keeps the
  larger of its own holes and `HOLES_KEEP` of the previous frame's, moved with the camera.

Paint small, deliver sharp: when the governor runs the generator below `SHARP_SHORT_SIDE` (a CPU holding
15 fps), what the painting changed is carried onto the camera frame at up to that size, exactly as a
large still is painted at its paint size and its change carried onto the full photo
(`engine.upscale`). The picture keeps the camera's edges and the painter's colours and strokes
instead of being a 288 px painting stretched over the window (issue 17: at 256-320 px a live frame
read as a soft photo).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.brushwork import apply_brushwork_on
from engine.chroma import without_fringes
from engine.inference import NormStats
from engine.models.faces import moved
from engine.models.generator import Generator
from engine.models.host import LoadedModel
from engine.pixels import to_tensor, to_uint8
from engine.upscale import cubic_weights

NORM_EMA = 0.85
# Weight of the previous frame where the input is static, for the camera frame before painting and
# for the painting after. Stabilized flicker of the live bench's still scene, output blend only:
# 0.6 -> 0.38 (an early style); 0.75 -> 0.27 / 0.28 / 0.30 painted at 256 / 288 / 320 px; 0.78 ->
# 0.28 at 320 px (stop 27's Cézanne). With the camera frame steadied at the same weight (2026-12-07):
# Cézanne 0.47 -> 0.24 at 384 px, Van Gogh 0.29 -> 0.10 at 256 and 0.39 -> 0.15 at 384 px; warped
# pan 1.54 -> 1.37 and 1.23 -> 1.13. 0.78 -> 0.82 (2026-12-07, layout-6 Cézanne at 416 px, the bench's
# size): still 0.31 -> 0.26, warped pan 1.23 -> 1.15 (0.86: 0.21 and 1.07); Van Gogh 0.12 -> 0.10.
# The cost: a still region settles in 5.6 frames instead of 4.5, and light that changes a level a
# frame is followed 6.5 levels behind instead of 6.3 (Van Gogh, the slow-light test's scene). A
# detail-only hold (light followed at once) was worse: Cézanne's noise shows as broad patches, 0.46 at
# 16 px cells and 0.32 at 128 px.
BLEND_MAX = 0.82
MOTION_SCALE = 12.0  # input change (0..255) at which blending stops
SHIFT_MIN_PX = 0.2  # smaller measured camera shifts are treated as none (no resampling blur)
SHIFT_MAX_FRACTION = 0.25  # larger ones (a cut, a new scene) are not trusted
SHARP_SHORT_SIDE = 480  # frames are delivered at least this sharp (or at the camera's size if smaller)
HOLES_KEEP = 0.8  # share of the previous frame's filled face holes a frame keeps (layout 4)
# Frames between face searches (layout 6): a search costs about 15 ms on a 640x480 frame, a painted frame 50-60;
# between searches the faces found move with the camera (a face moves little in 8 frames of a webcam).
FACES_EVERY = 8


def estimate_shift(prev: torch.Tensor, cur: torch.Tensor) -> tuple[float, float]:
    """(dy, dx) in pixels such that cur(y, x) ~ prev(y + dy, x + dx): phase correlation, sub-pixel.

    A camera that turns right gives dx > 0 (the scene slides left). Both inputs are (1, C, H, W);
    the correlation runs at half size (sensor noise averaged away, 4x fewer pixels).
    """
    dy, dx = _phase_shift(F.avg_pool2d(prev, 2).mean(1)[0], F.avg_pool2d(cur, 2).mean(1)[0])
    return 2 * dy, 2 * dx


def _phase_shift(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """estimate_shift on two (H, W) luminance images, in their own pixels."""
    h, w = a.shape
    win = torch.hann_window(h, periodic=False)[:, None] * torch.hann_window(w, periodic=False)[None, :]
    fa, fb = torch.fft.rfft2((a - a.mean()) * win), torch.fft.rfft2((b - b.mean()) * win)
    cross = fa * fb.conj()
    corr = torch.fft.irfft2(cross / cross.abs().clamp(min=1e-9), s=(h, w))
    iy, ix = divmod(int(corr.argmax()), w)

    def refine(m1: float, c: float, p1: float) -> float:
        """Sub-pixel offset from the peak and its larger neighbour: a shifted impulse's phase
        correlation is a sinc, whose samples give the offset as side / (side + peak) (Foroosh 2002)."""
        side, sign = (p1, 1.0) if p1 >= m1 else (m1, -1.0)
        return sign * side / (side + c) if side > 0 and c > 0 else 0.0

    c = float(corr[iy, ix])
    fy = refine(float(corr[iy - 1, ix]), c, float(corr[(iy + 1) % h, ix]))
    fx = refine(float(corr[iy, ix - 1]), c, float(corr[iy, (ix + 1) % w]))
    return (iy if iy <= h // 2 else iy - h) + fy, (ix if ix <= w // 2 else ix - w) + fx


def shift_image(x: torch.Tensor, dy: float, dx: float) -> tuple[torch.Tensor, torch.Tensor]:
    """x sampled at (y + dy, x + dx) (bicubic, edges repeated), and a (1, 1, H, W) mask of pixels that
    came from inside x.

    A translation is separable: one 4-tap cubic filter along each axis over the edge-padded image,
    the same values as `grid_sample`'s bicubic with border padding (within 3e-5) at a tenth of its
    time (0.7 against 7.8 ms at 640x480; the live path moves several frames per camera shift).
    """
    h, w = x.shape[-2:]
    moved = _shift_axis(_shift_axis(x, dx, -1), dy, -2)
    ys = torch.arange(h, dtype=torch.float32) + dy
    xs = torch.arange(w, dtype=torch.float32) + dx
    inside = ((ys >= 0) & (ys <= h - 1))[:, None] & ((xs >= 0) & (xs <= w - 1))[None, :]
    return moved, inside.to(x.dtype)[None, None]


def _shift_axis(x: torch.Tensor, d: float, dim: int) -> torch.Tensor:
    """x sampled at index + d along `dim` (-1 or -2), edges repeated."""
    n = x.shape[dim]
    whole = math.floor(d)
    frac = d - whole
    if frac:  # the four taps at offsets -1..2, PyTorch's bicubic (the same weights as engine.upscale)
        taps = list(zip((-1, 0, 1, 2), cubic_weights(torch.tensor([frac]))[0].tolist(), strict=True))
    else:
        taps = [(0, 1.0)]
    before = max(0, -(whole + taps[0][0]))
    after = max(0, whole + taps[-1][0])
    pad = [before, after, 0, 0] if dim == -1 else [0, 0, before, after]
    padded = F.pad(x, pad, mode="replicate") if before or after else x
    out = torch.zeros_like(x)
    for offset, weight in taps:
        out.add_(padded.narrow(dim, before + whole + offset, n), alpha=weight)
    return out


@dataclass
class LiveFrame:
    rgb: np.ndarray  # stylized, at the run resolution
    compute_ms: float


@dataclass
class _Motion:
    """How the scene changed since the previous frame, at half size (see LiveStylizer._motion)."""

    change: torch.Tensor  # per-pixel input change after undoing the camera motion (if used)
    inside: torch.Tensor  # 1 where the moved previous frame has pixels
    shift: tuple[float, float] | None  # camera motion in full-size pixels, when it was used


class LiveStylizer:
    def __init__(self) -> None:
        self._key: tuple | None = None
        self._prev_run: torch.Tensor | None = None  # the previous steadied run frame
        self._prev_in: torch.Tensor | None = None  # ... at half size (what _motion compares)
        self._prev_deliver: torch.Tensor | None = None  # the steadied delivery frame, when not the run frame
        self._prev_out: torch.Tensor | None = None
        self._stats: NormStats | None = None  # the smoothed normalization statistics of the last frame
        self._holes: torch.Tensor | None = None  # the face holes the last frame was painted with (layout 4)
        self._faces: list[np.ndarray] | None = None  # the last face search's boxes, moved since (layout 6)
        self._faces_size: torch.Size | None = None  # the frame size they belong to
        self._faces_age = 0  # frames since that search
        self._origin = (0.0, 0.0)  # where the brushwork's bristle noise starts: it follows the camera

    def reset(self) -> None:
        self._key = None
        self._prev_in = self._prev_run = self._prev_deliver = self._prev_out = None
        self._stats = None
        self._holes = self._faces = None
        self._origin = (0.0, 0.0)

    def process(self, model: LoadedModel, rgb: np.ndarray, short_side: int = 0, mirror: bool = False,
                strength: float = 1.0, stabilize: bool = True, brushwork: float = 0.0) -> LiveFrame:
        t0 = time.perf_counter()
        with model.torch_side():
            out = self._paint(model, rgb, short_side, mirror, strength, stabilize, brushwork)
        return LiveFrame(out, (time.perf_counter() - t0) * 1000)

    def _paint(self, model: LoadedModel, rgb: np.ndarray, short_side: int, mirror: bool, strength: float,
               stabilize: bool, brushwork: float) -> np.ndarray:
        g = model.generator
        frame = to_tensor(rgb)
        if mirror:
            frame = frame.flip(-1)
        x, out = _run_and_delivery_frames(frame, short_side, g.config.factor)
        key = (id(g), *x.shape[-2:], *out.shape[-2:])
        if key != self._key:
            self.reset()
            self._key = key
        small = F.avg_pool2d(x, 2) if stabilize else None  # what _motion compares, and the next frame
        motion = self._motion(small) if small is not None and self._prev_out is not None else None
        still = self._still_weights(motion) if motion is not None else None
        if motion is not None:
            if motion.shift is not None:
                # cur(p) ~ prev(p + shift), and the noise at p is noise(p + origin): adding the shift
                # gives each scene point the bristles it had in the previous frame.
                self._origin = (self._origin[0] + motion.shift[0], self._origin[1] + motion.shift[1])
            x, out = self._steady_camera(x, out, still, motion)
            small = F.avg_pool2d(x, 2)  # the next frame compares with the steadied one
        if stabilize:
            holes = self._steady_holes(g, x, motion) if g.config.fill_holes else None
            y, self._stats = model.run_with_stats(x, self._stats, NORM_EMA, holes)
        else:
            y = model.run(x)
        y = without_fringes(y)
        if brushwork > 0:
            # Strokes follow the frame's own edges and their bristle noise moves with the camera:
            # a still or panning camera gets the same strokes on the same things frame after frame.
            # Painted where the frame already is (the model's device).
            y = apply_brushwork_on(y.device, y, model.meta.strokes, brushwork, origin=self._origin)
        change = (y.cpu() - x) * strength
        if change.shape[-2:] != out.shape[-2:]:
            # bilinear: 2.9 ms at 640x480 where bicubic took 7.7, on one thread beside ONNX Runtime
            change = F.interpolate(change, size=out.shape[-2:], mode="bilinear", align_corners=False)
        y = (out + change).clamp_(-1.0, 1.0)
        if motion is not None:
            y = _hold(self._prev_out, y, still, motion, out.shape[-2] / x.shape[-2])
        if stabilize:
            self._prev_in, self._prev_run = small, x
            self._prev_deliver = out if out is not x else None
            self._prev_out = y
        return to_uint8(y[0])

    def _steady_camera(self, x: torch.Tensor, out: torch.Tensor, still: torch.Tensor,
                       motion: _Motion) -> tuple[torch.Tensor, torch.Tensor]:
        """The run and delivery frames with the sensor noise held down where the scene is still."""
        steady_x = _hold(self._prev_run, x, still, motion, 1.0)
        if out is x:
            return steady_x, steady_x
        return steady_x, _hold(self._prev_deliver, out, still, motion, out.shape[-2] / x.shape[-2])

    def _live_faces(self, g: Generator, x: torch.Tensor, motion: _Motion | None) -> list[np.ndarray] | None:
        """Where faces are in this frame (boxes), for layouts that see them: searched every `FACES_EVERY`
        frames and after a cut, moved with the camera in between."""
        if not g.config.detect_faces:
            return None
        self._faces_age += 1
        stale = self._faces is None or self._faces_size != x.shape[-2:] or motion is None
        if stale or self._faces_age >= FACES_EVERY:
            self._faces, self._faces_size, self._faces_age = g.faces_of(x), x.shape[-2:], 0
        elif motion.shift is not None:
            self._faces = moved(self._faces, motion.shift[0], motion.shift[1])
        return self._faces

    def _steady_holes(self, g: Generator, x: torch.Tensor, motion: _Motion | None) -> torch.Tensor:
        """This frame's face holes, or what is left of the previous frame's where that is more."""
        holes = g.holes_of(x, self._live_faces(g, x, motion))
        if self._holes is not None and motion is not None:
            prev = self._holes
            if motion.shift is not None:
                prev = shift_image(prev, motion.shift[0], motion.shift[1])[0]
            holes = torch.maximum(holes, HOLES_KEEP * prev)
        self._holes = holes
        return holes

    def _motion(self, cur: torch.Tensor) -> _Motion:
        """Where the scene changed since the previous frame, after undoing camera motion.

        `cur` is this frame at half size; it is compared with the previous steadied frame, whose
        sensor noise is lower, so noise is less often taken for change. Made at half size: each 2x2
        block's mean cancels sensor noise (and the fine residual resampling leaves on edges) but not
        a real change, colour-only ones included; and it costs a quarter. A measured shift is used
        only if it makes the frames agree better.
        """
        prev = self._prev_in
        change = (cur - prev).abs().mean(1, keepdim=True)
        inside = torch.ones_like(change)
        dy, dx = (d if abs(d) >= SHIFT_MIN_PX / 2 else 0.0 for d in _phase_shift(prev.mean(1)[0], cur.mean(1)[0]))
        h, w = cur.shape[-2:]
        if (dy or dx) and abs(dy) < SHIFT_MAX_FRACTION * h and abs(dx) < SHIFT_MAX_FRACTION * w:
            moved, moved_inside = shift_image(prev, dy, dx)
            moved_change = (cur - moved).abs().mean(1, keepdim=True)
            if float((moved_change * moved_inside).mean()) < float((change * moved_inside).mean()):
                return _Motion(moved_change, moved_inside, (2 * dy, 2 * dx))
        return _Motion(change, inside, None)

    @staticmethod
    def _still_weights(motion: _Motion) -> torch.Tensor:
        """The previous frame's weight per pixel (half the run size): BLEND_MAX where nothing changed,
        falling to 0 at MOTION_SCALE levels of change (widened by a pixel) and outside the moved frame."""
        level = F.max_pool2d(motion.change * 127.5, 3, stride=1, padding=1)
        return BLEND_MAX * torch.clamp(1 - level / MOTION_SCALE, 0, 1) * motion.inside


def _hold(prev: torch.Tensor, cur: torch.Tensor, still: torch.Tensor, motion: _Motion, scale: float) -> torch.Tensor:
    """`cur` blended towards `prev` (moved with the camera) by the `still` weights.

    The weights were decided at half the run size and are only resized; `scale` is `cur`'s size over
    the run frame's (the shift is measured in run pixels).
    """
    if motion.shift is not None:
        prev = shift_image(prev, motion.shift[0] * scale, motion.shift[1] * scale)[0]
    alpha = F.interpolate(still, size=cur.shape[-2:], mode="bilinear", align_corners=False)
    return torch.lerp(cur, prev, alpha)  # one pass: the spelled-out blend took 4.9 ms at 640x480, this 0.1


def _run_and_delivery_frames(frame: torch.Tensor, short_side: int, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(what the generator paints, what the painting is delivered on) for a camera frame.

    The run frame has the governor's short side (the frame's own if 0 or larger) and sides that are
    multiples of the generator's `factor`. At or above `SHARP_SHORT_SIDE` both are the same frame (its
    edges cropped to the factor, as a GPU runs it). Below it, the delivery frame is the camera frame at
    up to `SHARP_SHORT_SIDE`, and the run frame is that frame resized to the run size, whole (its
    aspect off by under one factor step, which carrying the change back undoes). Its sides are at least
    2 * `factor` (the generator's lowest resolution needs 2 pixels a side for its padding): a frame
    smaller than that is enlarged to paint it, where a 16x8 video failed with ONNX Runtime's "Pad
    reflect requires axis length >= 2".
    """
    h, w = frame.shape[-2:]
    run_short = min(short_side or min(h, w), min(h, w))
    deliver_short = min(min(h, w), max(run_short, SHARP_SHORT_SIDE))
    if deliver_short < min(h, w):
        s = deliver_short / min(h, w)
        frame = F.interpolate(frame, size=(round(h * s), round(w * s)), mode="area")
        h, w = frame.shape[-2:]
    s = run_short / min(h, w)
    rh, rw = round(h * s), round(w * s)
    rh, rw = max(rh - rh % factor, 2 * factor), max(rw - rw % factor, 2 * factor)
    if rh > h or rw > w:
        return F.interpolate(frame, size=(rh, rw), mode="bilinear", align_corners=False), frame
    if run_short == deliver_short:
        frame = frame[..., :rh, :rw]
        return frame, frame
    return F.interpolate(frame, size=(rh, rw), mode="area"), frame
