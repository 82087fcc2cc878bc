"""Where a photo shows skin: a soft mask in [0, 1] from chroma alone (the YCbCr box of Chai & Ngan 1999).

Chroma, not brightness, so it covers light and dark skin alike. Training uses it to ask faces for little
of the painter's texture and to hold their content harder (engine.training.losses); the generator of
layout 3 also sees it as a fourth input channel (engine.models.generator), so it can do exactly that
instead of guessing where faces are from 8 channels of colour. Layout 4 and its losses use `face_map`:
the same map with the holes a face encloses (eyes, brows, lips) filled by a flood fill from the border.

Written as one fixed 1x1 convolution to the four edges of the box, a sigmoid and their product: the
same numbers as the box on Cb and Cr, in three plain operations that the ONNX graph repeats
(engine.models.onnx_graph).
"""

from __future__ import annotations

import math

import numpy as np
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
    holes morphologically (21 px, max-pool then min-pool) protected whole brown and orange areas too and
    cost 11 points of recognition (67 -> 56 %, Van Gogh, 1,200 steps, 2026-12-06); `face_map` fills only
    what skin encloses.
    """
    edges = F.conv2d(x, BOX_WEIGHT.to(x.device, x.dtype), BOX_BIAS.to(x.device, x.dtype))
    return torch.sigmoid(edges).prod(1, keepdim=True)


# ------------------------------------------------------------------ the map with its holes filled
HOLE_SCALE = 4  # the fill runs at 1/4 of the image's resolution: an eye is still a hole, noise is not
HOLE_GRID = 512  # ... and on no more than this many cells along the long side (larger photos: coarser)
_MAX_SWEEPS = 64  # row + column passes; a real photo's fill settles in a handful
# Cells of the fill's grid around each hole that count as face too (2 cells = 8 px at 1/4): lids, lashes
# and eye shadow, where the soft skin map is between 0.3 and 0.8, were half protected, and styles
# painted dabs and shadows there (Monet, Van Gogh, Cézanne at 1:1 on kodim04, 2026-12-06).
HOLE_MARGIN = 2
# Inside a detected face (layout 6, `faces` below), map values from here up count as skin for the fill: a
# cheek in shadow scores 0.3-0.5 (kodim15), and at the fill's 0.5 the eye beside it joined the background
# and was painted over by every style. Everywhere at 0.3, the fill grew over warm walls and birds
# (kodim01 0.2 -> 37 % of the photo, a kingfisher 22 -> 64 %): faces only.
FACE_WEAK_SKIN = 0.3


def _run_labels(free: np.ndarray) -> np.ndarray:
    """(N, H, W) bools -> one label per horizontal run of `free` pixels, flattened (int64, 0 off the runs)."""
    before = np.zeros_like(free)
    before[..., 1:] = free[..., :-1]
    return np.cumsum((free & ~before).reshape(-1)) * free.reshape(-1)


def _reach_along_runs(labels: np.ndarray, count: int, reached: np.ndarray) -> np.ndarray:
    """Every pixel of a run (`_run_labels`, `count` labels) that holds a `reached` pixel (all flattened)."""
    hit = np.zeros(count, dtype=bool)
    hit[labels[reached]] = True
    hit[0] = False
    return hit[labels]


def _bools(t: torch.Tensor) -> np.ndarray:
    """A mask tensor as NumPy bools on the CPU, where the flood fill runs (`_reached`)."""
    return t.detach().cpu().numpy().astype(bool, copy=False)


def enclosed(free: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bools -> the `free` pixels that no 4-connected path of free pixels joins to the border."""
    f = _bools(free)
    border = np.zeros_like(f)
    border[..., 0, :], border[..., -1, :], border[..., :, 0], border[..., :, -1] = True, True, True, True
    return torch.from_numpy(f & ~_reached(f, f & border)).to(free.device)


def connected_to(free: torch.Tensor, seeds: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bools -> the `free` pixels a 4-connected path of free pixels joins to a `seeds` pixel."""
    f = _bools(free)
    return torch.from_numpy(_reached(f, f & _bools(seeds))).to(free.device)


def _reached(f: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The `f` pixels (NumPy bools) a flood fill through `f` from the `start` pixels reaches.

    The fill runs in whole runs: each pass spreads along every row's runs at once, then along every
    column's, so it needs as many passes as the path turns, not as it is long (the pixel-wise fill by
    repeated 3x3 max-pooling took one pass per pixel of path). The runs are labelled once, the columns'
    in the rows' pixel order; a pass is then two lookups.

    In NumPy on the CPU, whatever the device: the map is small (1/4 of a photo, or a training crop's)
    and a pass is a handful of operations on it, where torch's per-operation cost dominated (kodim04
    at 1024x768, 10 passes, one thread: 7.9 -> 1.3 ms; all of `enclosed_holes` 16.3 -> 9.5 ms,
    interleaved A/B), and a GPU run waited on the device at every pass's convergence check anyway;
    here it waits once.
    """
    rows = _run_labels(f)
    columns = np.ascontiguousarray(np.swapaxes(f, -1, -2))
    cols = np.ascontiguousarray(np.swapaxes(_run_labels(columns).reshape(columns.shape), -1, -2)).reshape(-1)
    row_count, col_count = int(rows.max(initial=0)) + 1, int(cols.max(initial=0)) + 1
    reached = start.reshape(-1)
    for _ in range(_MAX_SWEEPS):
        spread = _reach_along_runs(cols, col_count, _reach_along_runs(rows, row_count, reached))
        if np.array_equal(spread, reached):
            break
        reached = spread
    return reached.reshape(f.shape)


def hole_scale(height: int, width: int) -> int:
    """The pooling factor of the fill for an image of this size: `HOLE_SCALE`, more above `HOLE_GRID`
    cells (a 4000x3000 photo's eyes are 40 px wide at 1/4: its fill took 200 of 480 ms there)."""
    if min(height, width) < 4 * HOLE_SCALE:
        return 1  # a tiny map (the losses' 1/16 view of a crop): filled as it is
    return max(HOLE_SCALE, math.ceil(max(height, width) / HOLE_GRID))


def pooled(x: torch.Tensor, scale: int) -> torch.Tensor:
    """`x` averaged over `scale` x `scale` cells, its sides first padded to a multiple of `scale` by
    repeating the last row and column (so a band of a photo pools like the whole photo)."""
    if scale == 1:
        return x
    ph, pw = (-x.shape[-2]) % scale, (-x.shape[-1]) % scale
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return F.avg_pool2d(x, scale)


def pooled_photo(rgb: np.ndarray, scale: int) -> torch.Tensor:
    """`pooled(to_tensor(rgb), scale)` of a uint8 H x W x 3 photo (1 x 3 x h x w in [-1, 1]), summed as
    integers, without the photo as a float tensor: rows first, along memory, then columns. On a
    4000x3000 photo at scale 8: 26 instead of 93 ms (one thread, 2026-12-07); the same cells but for
    float rounding (2e-7)."""
    h, w = rgb.shape[:2]
    ph, pw = (-h) % scale, (-w) % scale
    if ph or pw:  # the last row and column repeated, as `pooled` pads
        rgb = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="edge")
        h, w = h + ph, w + pw
    wide = np.uint16 if scale * 255 < 2**16 else np.uint32
    rows = np.ascontiguousarray(rgb).reshape(h // scale, scale, w * 3).sum(1, dtype=wide)
    cells = rows.reshape(h // scale, w // scale, scale, 3).sum(2, dtype=np.uint32)
    return torch.from_numpy(cells).permute(2, 0, 1)[None].float().div_(scale * scale * 127.5).sub_(1.0)


def holes_of_pooled(skin: torch.Tensor, scale: int, height: int, width: int,
                    in_faces: torch.Tensor | None = None) -> torch.Tensor:
    """The enclosed holes of a pooled skin map (N, 1, h, w), widened by `HOLE_MARGIN` cells and brought
    back up to height x width (a map too small to pool, scale 1, is taken as it is: a cell there is a
    large part of a face). `in_faces` (N, h, w bools, the map's cells inside detected faces; layout 6):
    there weak skin (`FACE_WEAK_SKIN`) walls holes in too, and only holes that reach into a detected face
    count (`faces_only`)."""
    free = skin[:, 0] < 0.5
    if in_faces is None:
        found = enclosed(free)
    elif not bool(in_faces.any()):
        found = torch.zeros_like(free)  # no face found, so no hole can reach one: no fill to run
    else:
        inside = in_faces[:, :free.shape[-2], :free.shape[-1]]
        found = enclosed(free)
        walled = inside & (skin[:, 0] >= FACE_WEAK_SKIN)
        if bool(walled.any()):  # the holes weak skin walls in, beside those it was part of
            found = found | enclosed(free & ~walled)
        found = faces_only(found, inside)
    holes = found.unsqueeze(1).to(skin.dtype)
    if scale == 1:
        return holes
    if not bool(holes.any()):  # most photos: no face, nothing to bring back up
        return skin.new_zeros(skin.shape[0], 1, height, width)
    holes = F.max_pool2d(holes, 2 * HOLE_MARGIN + 1, stride=1, padding=HOLE_MARGIN)
    size = (holes.shape[-2] * scale, holes.shape[-1] * scale)
    return F.interpolate(holes, size=size, mode="bilinear", align_corners=False)[..., :height, :width]


def faces_only(holes: torch.Tensor, in_faces: torch.Tensor) -> torch.Tensor:
    """The `holes` (N, h, w bools) that reach into a detected face (`in_faces`, the same grid): its eyes,
    brows and mouth, and hair pockets that touch it.

    Why: the chroma map calls pale clouds, warm walls, wood, fruit and spices skin, and every pocket of
    another colour they enclose was a hole, so face: kept as the photo, in blocks of the fill's cells.
    Over the project's 140 photos that was 10 % of the average photo outside every detected face (50
    photos over 10 %: kodim02's red door 39 %, a tiled wall 65 %), which every style left unpainted in
    rectangles beside painted ones (visible at 1:1 in a 12 MP photo's sky); now 0.1 %. Where the
    detector found no face it had no face to help either, so with a detector (layout 6) holes elsewhere
    are not face; an undetected face keeps its soft skin map, as before the fill."""
    if not bool(holes.any()):
        return holes
    return connected_to(holes, in_faces)


def enclosed_holes(x: torch.Tensor, in_faces: torch.Tensor | None = None) -> torch.Tensor:
    """(N, 3, H, W) photo in [-1, 1] -> (N, 1, H, W) in [0, 1]: where it is not skin but skin surrounds
    it (eyes, brows and lips inside a face; a mouth, a pendant). Found on the photo pooled to
    1/`hole_scale` (its skin map there: 16x fewer pixels than mapping the photo and pooling the map,
    31 -> 4 ms at 1024x768) and brought back up bilinearly. `in_faces` (N, h, w bools on that grid,
    `engine.models.faces.cells_of`), the cells inside detected faces: there weak skin walls holes in too
    (`holes_of_pooled`)."""
    h, w = x.shape[-2:]
    scale = hole_scale(h, w)
    return holes_of_pooled(skin_map(pooled(x, scale)), scale, h, w, in_faces)


def face_map(x: torch.Tensor, holes: torch.Tensor | None = None) -> torch.Tensor:
    """The skin map with its enclosed holes filled: whole faces, eyes and mouths included.

    What the generator of layout 4 sees and what the losses protect. With the plain map an eye is a
    hole in the face: the losses asked it for the painter's texture and the generator, unable to tell an
    eye in a face from a dark knot in a wall, painted colourful dabs over every eye (Van Gogh, Monet).
    Seeing the filled map it keeps iris and pupil (Van Gogh, 1,200 steps, 2026-12-06); the holes reach
    `HOLE_MARGIN` cells beyond the eye, over lids and lashes, which the soft map protects by half. `holes` is the
    part of a larger image's `enclosed_holes` under `x` (a tile must not judge a face it only half sees),
    or the holes a detector's faces helped find (layout 6, `Generator.holes_of`).
    """
    skin = skin_map(x)
    return torch.maximum(skin, enclosed_holes(x) if holes is None else holes.to(skin.dtype))
