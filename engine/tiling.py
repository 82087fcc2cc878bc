"""Full-resolution stylization through overlapping tiles, without seams, in bounded memory.

Seams come from three places, and each has an answer here:
1. Normalization: each tile would normalize on its own statistics. Instead the statistics are
   captured once on a thumbnail of the whole photo and frozen for every tile (`StatsNorm`).
2. The downsampling grid: the generator's strided convolutions sample every `factor`-th pixel, so a
   pass that starts off that grid paints other strokes. Every pass starts on the whole photo's grid;
   with frozen statistics a tile then paints what a one-piece pass paints there.
3. Borders: convolutions see padding at a tile's edge. Each tile is run with `CONTEXT` pixels of
   real surrounding image on every side, which are thrown away afterwards; tiles also overlap by
   `OVERLAP` and are blended with linear ramps, so what remains fades out instead of forming a line.
Measured on a 2400x1800 photo in 1200 px tiles against one pass with the same statistics (Van Gogh,
2026-12-06): off the grid, 10.8 of 255 levels everywhere but the first tile, whatever the context; on
the grid, 0.00 with 64 px of context, 0.29 in the overlap bands with 32, 1.2 with 16.
The photo stays uint8 in memory; only one tile at a time exists as a float tensor on the device,
and the output accumulates in float32 on the CPU: 12 bytes per pixel (288 MB at 24 MP); each tile's
blend weights are normalised along each axis (`_shares`), so no weight map is kept beside it.
4. Faces cut by a tile (layout 4): an eye is filled into the face map only where the face surrounds it,
   which a tile that sees half the face cannot tell. The holes are found once on the whole photo
   (`whole_photo_holes`, at 1/4 resolution and at most 512 cells along the long side, pooled as
   integers) and each tile gets its part (4 bytes a pixel more).

Tiles are as small as the grid allows (`tile_spans`): n tiles of a side share it evenly with just the
overlap, instead of n tiles of the full `tile` size overlapping by whatever is left (4000x3000 in
1024 px tiles: 20 passes over 1.75x its pixels instead of 2.5x). On the CPU through ONNX Runtime the
default tile is `ONNX_TILE`: there RAM, not a GPU's memory, bounds a pass, and fewer, larger tiles
redo less context: 4000x3000 takes 4 passes of about 2100x1600 over 1.10x its pixels (6 passes over
1.35x with the 128 px context and overlap that off-grid tiles needed). A smaller tile asked for (little RAM,
out-of-memory recovery) is used as asked. ONNX Runtime's memory pools of the thumbnail pass and of
the tiles are given back as soon as each is done.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.inference import NormStats
from engine.messages import StylizeOptions
from engine.models.host import LoadedModel
from engine.models.skin import hole_scale, holes_of_pooled, pooled_photo, skin_map
from engine.pixels import to_tensor
from engine.progress import Progress

DEFAULT_TILE = StylizeOptions().tile_size
ONNX_TILE = 2048  # the default tile on the CPU through ONNX Runtime (see above)
CONTEXT = 64  # pixels of real image each pass sees beyond its tile (see above)
OVERLAP = 32  # pixels over which neighbouring tiles are blended


def _pad_to(x: torch.Tensor, factor: int) -> tuple[torch.Tensor, int, int]:
    """`x` padded to sides that are multiples of `factor` and at least 2 * `factor`, and its own sides.

    Why the floor: at the generator's lowest resolution (1/`factor`) each side must keep 2 pixels for its
    reflection padding; a 1x1 photo, or a 3 px strip, stopped the whole batch with ONNX Runtime's "Pad
    reflect requires axis length >= 2" instead of being painted."""
    h, w = x.shape[-2:]
    ph, pw = max(_to_grid(h, factor), 2 * factor) - h, max(_to_grid(w, factor), 2 * factor) - w
    if ph or pw:
        mode = "reflect" if h > ph and w > pw else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, h, w


def _on_grid(offset: int, factor: int) -> int:
    """`offset` moved back to a multiple of `factor` (a pass's start on the photo's downsampling grid)."""
    return offset - offset % factor


def _to_grid(length: int, factor: int) -> int:
    """`length` rounded up to a multiple of `factor`."""
    return length + (-length) % factor


def run_whole(model: LoadedModel, rgb: np.ndarray, stats: NormStats | None = None) -> np.ndarray:
    """Stylize an image in one pass (float32 HxWx3 in [-1, 1], a view of the generator's planes, not a
    copy); per-image statistics, or `stats`."""
    with model.torch_side():
        x, h, w = _pad_to(to_tensor(rgb), model.generator.config.factor)
        holes = None
        faces = photo_faces(model, rgb)
        if faces is not None:  # searched on the uint8 photo, not on `x` turned back into one (4-5 ms)
            holes = model.generator.holes_of(x, [faces])
        y = model.run(x, holes) if stats is None else model.run_with_stats(x, stats, 1.0, holes)[0]
        return y[0, :, :h, :w].permute(1, 2, 0).cpu().numpy()


def _ramp(n: int, overlap: int, at_start: bool, at_end: bool) -> torch.Tensor:
    """Blend weights along one axis of a tile: 1 inside, linear ramps over the overlaps."""
    w = torch.ones(n)
    if overlap > 0:
        ramp = (torch.arange(overlap, dtype=torch.float32) + 0.5) / overlap
        if not at_start:
            w[:overlap] = ramp
        if not at_end:
            w[-overlap:] = ramp.flip(0)
    return w


def _shares(spans: list[tuple[int, int]], length: int, overlap: int) -> dict[tuple[int, int], torch.Tensor]:
    """Each span's blend ramp (`_ramp`) divided by the sum of all spans' ramps along the axis: the
    weights of the tiles covering any position add up to 1."""
    ramps = {(a, b): _ramp(b - a, overlap, a == 0, b == length) for a, b in spans}
    total = torch.zeros(length)
    for (a, b), ramp in ramps.items():
        total[a:b] += ramp
    return {(a, b): ramp / total[a:b] for (a, b), ramp in ramps.items()}


def tile_grid(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets covering [0, length) with tiles of `tile` overlapping by at least `overlap`."""
    if length <= tile:
        return [0]
    n = math.ceil((length - overlap) / (tile - overlap))
    step = (length - tile) / (n - 1)
    return [round(i * step) for i in range(n)]


def tile_spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """(start, end) of tiles covering [0, length): as few as `tile` allows, each no longer than the
    even share plus the overlap (so no work is spent on overlap beyond `overlap`)."""
    if length <= tile:
        return [(0, length)]
    n = math.ceil((length - overlap) / (tile - overlap))
    size = min(tile, math.ceil((length + (n - 1) * overlap) / n) + 1)  # +1: rounded starts keep the overlap
    return [(s, s + size) for s in tile_grid(length, size, overlap)]


@dataclass(frozen=True)
class TilePlan:
    tile: int  # the largest core a pass keeps
    overlap: int
    context: int  # real pixels each pass also sees on every side, thrown away afterwards
    rows: list[tuple[int, int]]
    cols: list[tuple[int, int]]

    @property
    def whole(self) -> bool:
        return len(self.rows) == 1 and len(self.cols) == 1


def tile_overlap(tile: int, overlap: int | None = None) -> int:
    """The overlap between tiles of side `tile` (default `OVERLAP`); a tile no larger than it is
    refused: there would be no step forward between tiles, and the ramps would blend to grey."""
    overlap = overlap if overlap is not None else OVERLAP
    if overlap >= tile:
        raise ValueError(f"tile size {tile} must be larger than the tiles' overlap ({overlap} pixels)")
    return overlap


def plan_tiles(model: LoadedModel, height: int, width: int, tile: int, overlap: int | None = None,
               context: int | None = None) -> TilePlan:
    """How `run_tiled` cuts a height x width photo for `model` asked to use `tile`."""
    if model.onnx is not None and tile >= DEFAULT_TILE:
        tile = max(tile, ONNX_TILE)
    overlap = tile_overlap(tile, overlap)
    context = context if context is not None else min(CONTEXT, tile // 4)
    if height <= tile and width <= tile:
        return TilePlan(tile, overlap, context, [(0, height)], [(0, width)])
    return TilePlan(tile, overlap, context, tile_spans(height, tile, overlap), tile_spans(width, tile, overlap))


def photo_faces(model: LoadedModel, rgb: np.ndarray) -> np.ndarray | None:
    """The face boxes of a whole photo for layouts that see faces (6), else None: found once, at the
    photo's own size, for both the statistics' thumbnail and the tiles' fill (a second search on the
    thumbnail cost about 20 ms and could disagree with the first)."""
    if not model.generator.config.detect_faces:
        return None
    from engine.models.faces import find_faces

    return find_faces(rgb)


def capture_global_stats(model: LoadedModel, rgb: np.ndarray, thumb_side: int,
                         faces: np.ndarray | None = None) -> NormStats:
    """The normalization statistics of a thumbnail of the whole image (one pass), for every tile.
    `faces`: the photo's face boxes when already found (layout 6): the thumbnail's fill uses them
    scaled, instead of a second search on the thumbnail."""
    g = model.generator
    h, w = rgb.shape[:2]
    scale = thumb_side / max(h, w)
    x = to_tensor(rgb) if scale >= 1 else None
    if x is None:
        # Area downscale of uint8 via PIL keeps memory small for huge photos.
        from PIL import Image

        th, tw = max(8, round(h * scale)), max(8, round(w * scale))
        small = np.asarray(Image.fromarray(rgb).resize((tw, th), Image.Resampling.BOX))
        x = to_tensor(small)
    thumb_h, thumb_w = x.shape[-2:]
    x, _, _ = _pad_to(x, g.config.factor)
    holes = None
    if faces is not None and g.config.fill_holes:
        from engine.models.faces import scaled

        holes = g.holes_of(x, scaled([faces], thumb_h / h, thumb_w / w))
    return model.run_with_stats(x, None, 0.0, holes)[1]


def whole_photo_holes(rgb: np.ndarray, faces: np.ndarray | None = None) -> torch.Tensor:
    """`engine.models.skin.enclosed_holes` of a whole uint8 photo (1 x 1 x H x W), without the photo as
    a float tensor: it is pooled as integers (`pooled_photo`), its skin map filled there and brought back
    up; with the detector's `faces` (boxes in the photo's pixels) for layout 6."""
    h, w = rgb.shape[:2]
    scale = hole_scale(h, w)
    in_faces = None
    if faces is not None:
        from engine.models.faces import face_cells

        in_faces = face_cells(faces, h, w, scale)
    holes = holes_of_pooled(skin_map(pooled_photo(rgb, scale)), scale, h, w, in_faces)
    if faces is None:
        return holes
    from engine.models.faces import draw_face_ellipses

    return draw_face_ellipses(holes, [faces])


def run_tiled(model: LoadedModel, rgb: np.ndarray, tile: int, progress: Progress | None = None,
              overlap: int | None = None, thumb_side: int | None = None,
              context: int | None = None) -> np.ndarray:
    """Stylize an arbitrarily large image; float32 HxWx3 in [-1, 1] (a view of planes, as `run_whole`).

    `tile` is the largest core a pass keeps (`plan_tiles`: larger by default on the CPU through ONNX
    Runtime); the pass itself sees up to `tile + 2 * context` pixels.
    """
    tile_overlap(tile, overlap)  # refused before any work
    with model.torch_side():
        return _run_tiled(model, rgb, tile, progress, overlap, thumb_side, context)


def _run_tiled(model: LoadedModel, rgb: np.ndarray, tile: int, progress: Progress | None, overlap: int | None,
               thumb_side: int | None, context: int | None) -> np.ndarray:
    h, w = rgb.shape[:2]
    plan = plan_tiles(model, h, w, tile, overlap, context)
    if plan.whole:
        return run_whole(model, rgb)
    g = model.generator
    overlap, context = plan.overlap, plan.context
    # Accumulated on planes (3 x H x W), the generator's own layout: each tile is added without being
    # interleaved first, and the result goes on to the fringe cleanup as planes. With interleaved
    # H x W x 3 sums, about 1.0 s of a 4000x3000 photo's 6.4 s went outside the generator and the
    # finishing steps; now about 0.3 s (measured 2026-12-06).
    out = torch.zeros(3, h, w)
    # Each tile's blend weights, already divided by the sum of all tiles' weights at each pixel: the
    # tiles form a grid of rows x columns and their ramps are separable, so that sum is the product of
    # the rows' and the columns' sums, and no photo-sized weight map (or division by it) is needed.
    row_weights, col_weights = _shares(plan.rows, h, overlap), _shares(plan.cols, w, overlap)
    # The thumbnail is no larger than the tile asked for: it must fit wherever such a tile fits (OOM
    # recovery), and a larger one on the CPU would cost a pass of its own.
    faces = photo_faces(model, rgb)
    stats = capture_global_stats(model, rgb, thumb_side or tile, faces)
    holes = whole_photo_holes(rgb, faces=faces) if g.config.fill_holes else None
    model.release_memory("blend")  # ONNX Runtime's pools keep each pass's peak: none is kept beside the tiles'
    total, done = len(plan.rows) * len(plan.cols), 0
    for y0, y1 in plan.rows:
        for x0, x1 in plan.cols:
            if progress:
                progress.report(done / total, "tiles")
            # Each pass starts on the whole photo's grid of the generator's factor: its strided
            # convolutions then sample the same pixels a one-piece pass would, so a tile paints the
            # same strokes. Off the grid, the layout-3 styles painted other strokes in every tile but
            # the first (10.8 of 255 levels from a one-piece pass, whatever the context), and the
            # overlaps blended two stroke patterns into a soft band.
            cy0, cx0 = _on_grid(max(0, y0 - context), g.config.factor), _on_grid(max(0, x0 - context), g.config.factor)
            # ... and ends on it where the photo reaches that far, so only a pass at the photo's edge is
            # padded (a padded copy of every 2100x1600 pass cost 150 ms of a 4000x3000 photo).
            cy1 = min(h, cy0 + _to_grid(y1 + context - cy0, g.config.factor))
            cx1 = min(w, cx0 + _to_grid(x1 + context - cx0, g.config.factor))
            x, ch, cw = _pad_to(to_tensor(rgb[cy0:cy1, cx0:cx1]), g.config.factor)
            part = None if holes is None else _pad_to(holes[..., cy0:cy1, cx0:cx1], g.config.factor)[0]
            full = model.run_with_stats(x, stats, 1.0, part)[0][0, :, :ch, :cw]
            y = full[:, y0 - cy0: y1 - cy0, x0 - cx0: x1 - cx0].float().cpu()
            wt = (row_weights[(y0, y1)][:, None] * col_weights[(x0, x1)][None, :])[None]
            out[:, y0:y1, x0:x1].addcmul_(y, wt)
            done += 1
    model.release_memory("given")  # ... nor after them (the finishing steps need memory of their own)
    return out.permute(1, 2, 0).numpy()
