"""Stylize one image: resize policy, tiles, out-of-memory recovery, fringe cleanup and brushwork,
strength and colour keeping.

Out-of-memory on an accelerator is recovered, not reported as a failure: the tile size is halved
down to 256 px, then the job moves to the CPU; each step is told to the user through `notice`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.brushwork import apply_brushwork_on
from engine.chroma import without_fringes
from engine.devices import free_cache, is_out_of_memory, resolve_device
from engine.errors import OutputError
from engine.imageio import READ_ONLY_SUFFIXES, LoadedImage, load_image, save_image_atomic
from engine.messages import StylizeOptions
from engine.models.host import LoadedModel, ModelHost
from engine.paintlook import PaintLook
from engine.pixels import to_tensor
from engine.progress import Progress
from engine.provenance import mark_for
from engine.tiling import run_tiled
from engine.upscale import add_change_in_bands

MIN_TILE = 256
Notice = Callable[[str], None]


def _fit(rgb: np.ndarray, alpha: np.ndarray | None, max_size: int | None):
    h, w = rgb.shape[:2]
    if not max_size or max(h, w) <= max_size:
        return rgb, alpha
    s = max_size / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
    if alpha is not None:
        alpha = np.asarray(Image.fromarray(alpha).resize(size, Image.Resampling.LANCZOS))
    return rgb, alpha


def keep_colors(stylized: np.ndarray, original: np.ndarray) -> np.ndarray:
    """Luminance from the stylized image, chroma (Cb, Cr) from the original (both uint8 RGB)."""
    y = np.asarray(Image.fromarray(stylized).convert("YCbCr"))[..., 0]
    ycc = np.asarray(Image.fromarray(original).convert("YCbCr")).copy()
    ycc[..., 0] = y
    return np.asarray(Image.fromarray(ycc, "YCbCr").convert("RGB"))


FINISH_BAND = 64  # rows converted to uint8 at a time (`finish`)


def finish(stylized: np.ndarray, original: np.ndarray, strength: float, preserve_colors: bool) -> np.ndarray:
    """float [-1, 1] generator output -> uint8, with colour keeping and strength blending.

    Converted a band of rows at a time straight into the uint8 image: the float temporary of a whole
    12 MP painting (144 MB, fresh pages each time) made this step cost 72-530 ms from run to run on a
    4000x3000 photo (2026-12-07), most of it the kernel handing out and zeroing those pages; a 64-row
    band's temporary stays in cache. The same bytes as before (round half up, clipped).
    """
    h, w = stylized.shape[:2]
    out = np.empty((h, w, 3), np.uint8)
    for top in range(0, h, FINISH_BAND):
        band = np.add(stylized[top:top + FINISH_BAND], 1.0, dtype=np.float32)
        band *= 127.5
        band += 0.5
        np.clip(band, 0, 255, out=band)
        out[top:top + FINISH_BAND] = band  # truncating cast: with the 0.5 above, rounds half up
    if preserve_colors:
        out = keep_colors(out, original)
    if strength < 1.0:
        mix = original.astype(np.float32) * (1 - strength) + out.astype(np.float32) * strength
        out = np.clip(mix + 0.5, 0, 255).astype(np.uint8)
    return out


def run_with_recovery(host: ModelHost, style_path: Path, model: LoadedModel, rgb: np.ndarray,
                      tile: int, progress: Progress | None, notice: Notice) -> tuple[np.ndarray, LoadedModel]:
    """Run the generator; on out-of-memory shrink tiles, then fall back to the CPU."""
    while True:
        try:
            return run_tiled(model, rgb, tile, progress), model
        except RuntimeError as exc:
            if not is_out_of_memory(exc):
                raise
            free_cache(model.device)
            if model.device.spec != "cpu" and tile > MIN_TILE:
                tile = max(MIN_TILE, tile // 2)
                notice(f"Out of memory on {model.device.spec}: retrying with {tile}px tiles")
            elif model.device.spec != "cpu":
                notice(f"Out of memory on {model.device.spec} even with small tiles: continuing on the CPU")
                model = host.get(style_path, resolve_device("cpu"))
                tile = 1024
            else:
                if tile <= MIN_TILE:
                    raise
                tile = max(MIN_TILE, tile // 2)
                notice(f"Out of memory: retrying with {tile}px tiles")


@dataclass(frozen=True)
class StylizeResult:
    output: Path
    width: int
    height: int
    device: str


def finish_painting(painted: np.ndarray, model: LoadedModel, amount: float) -> np.ndarray:
    """The generator's painting (H x W x 3 float in [-1, 1]) finished: colour fringes cleaned
    (engine.chroma) and the style's strokes painted on, sized for its long side.

    The steps run on planes (1 x 3 x H x W in memory): a one-pass painting arrives as a view of the
    generator's planar output and is used as it is, a tiled one is made planar once. The result is
    a view of planes too; `finish` writes the uint8 image in the layout an encoder wants. With
    interleaved H x W x 3 copies on the way, three chroma planes blurred and four float temporaries
    in `finish`, finishing a 1024x768 painting took 27-33 ms; now 17-19 ms (one thread, interleaved
    A/B, 2026-12-06), the same image but for float rounding (one pixel of 2.4 M one level off).
    `painted` is used up: the fringes are cleaned in its own memory (`without_fringes`' `out`).
    """
    planes = torch.from_numpy(painted).permute(2, 0, 1)[None].contiguous()
    t = without_fringes(planes, out=planes)
    if amount > 0 and model.meta.strokes.active:
        t = apply_brushwork_on(model.device.torch_device, t, model.meta.strokes, amount)
    return t[0].permute(1, 2, 0).numpy()


def paint_at_scale(host: ModelHost, style_path: Path, model: LoadedModel, rgb: np.ndarray, paint_size: int,
                   options: StylizeOptions, progress: Progress | None,
                   notice: Notice) -> tuple[np.ndarray, LoadedModel]:
    """Paint a large photo at `paint_size` and carry the painting's changes onto the full photo.

    A style's brushstrokes have the size they were trained at (photos of about 1024 px). Painted
    pixel for pixel at 24 MP they shrink to a fine grain and the painting reads as a colour grade.
    Here the generator runs on a copy at `paint_size` on the long side, and what it changed there
    (output minus input, smooth at that scale) is upscaled onto the full-resolution photo: strokes
    keep their size, the photo keeps its resolution and sharp detail, and the model runs on ~1/10
    of the pixels. Brushwork is painted on at that scale too, for the same reason. The full-size
    result is made and finished (strength, colour keeping) a band of rows at a time
    (engine.upscale), so memory stays near the photo's own size even at 108 MP. Returns uint8.
    """
    small, _ = _fit(rgb, None, paint_size)
    painted, model = run_with_recovery(host, style_path, model, small, options.tile_size, progress, notice)
    painted = finish_painting(painted, model, options.brushwork)
    change = torch.from_numpy(painted).permute(2, 0, 1)[None] - to_tensor(small)
    del painted, small
    out = add_change_in_bands(rgb, change, lambda band, photo: finish(band, photo, options.strength,
                                                                      options.preserve_colors))
    return out, model


def stylize_loaded(host: ModelHost, style_path: Path, model: LoadedModel, image: LoadedImage,
                   options: StylizeOptions, progress: Progress | None = None,
                   notice: Notice = lambda _m: None) -> tuple[np.ndarray, np.ndarray | None, LoadedModel]:
    rgb, alpha = _fit(image.rgb, image.alpha, options.max_size)
    with model.torch_side():  # torch's steps on one thread beside ONNX Runtime (engine.inference.torch_threads)
        if options.paint_size and max(rgb.shape[:2]) > options.paint_size:
            out, model = paint_at_scale(host, style_path, model, rgb, options.paint_size, options, progress, notice)
            return out, alpha, model
        raw, model = run_with_recovery(host, style_path, model, rgb, options.tile_size, progress, notice)
        raw = finish_painting(raw, model, options.brushwork)
        return finish(raw, rgb, options.strength, options.preserve_colors), alpha, model


# Longest output file name, in UTF-8 bytes: file systems allow 255, and the hidden partial file a save
# writes first (engine.imageio.partial_path) adds up to 26 bytes. A 250-character photo name (legal)
# gave an output name the OS refused, and the whole batch stopped with "File name too long".
MAX_OUTPUT_NAME_BYTES = 200


def bounded_name(stem: str, tail: str) -> str:
    """`stem + tail`, the stem cut (between characters) so the name fits `MAX_OUTPUT_NAME_BYTES` as the
    file system stores it (`os.fsencode`: a Latin-1 name's undecodable bytes count as the bytes they
    are): the tail (`_<style>.jpg`, `-2`...) is what tells paintings apart, so it is kept whole."""
    room = MAX_OUTPUT_NAME_BYTES - len(os.fsencode(tail))
    while stem and len(os.fsencode(stem)) > room:
        stem = stem[:-1]
    return stem + tail


def output_path_for(input_path: Path, out_dir: Path, style_slug: str, fmt: str, has_alpha: bool) -> Path:
    """`photo.jpg` -> `out_dir/photo_<style>.jpg`; PNG when alpha must be kept in a JPEG source. A HEIC or
    AVIF photo (lossy formats Atelier reads but does not write, `READ_ONLY_SUFFIXES`) becomes a JPEG."""
    suffix = input_path.suffix.lower() if fmt == "same" else "." + fmt
    if suffix == ".jpeg" or suffix in READ_ONLY_SUFFIXES:
        suffix = ".jpg"
    if suffix not in (".jpg", ".png", ".webp", ".tif", ".tiff"):
        suffix = ".png"
    if has_alpha and suffix == ".jpg":
        suffix = ".png"
    return out_dir / bounded_name(input_path.stem, f"_{style_slug}{suffix}")


def read_photo(input_path: Path, output: Path, options: StylizeOptions) -> LoadedImage:
    """The photo as it will be painted: decoded (engine.imageio) and fitted to `options.max_size`.

    The first of the three steps of `stylize_file`, apart so that a batch can read the next photos
    on another thread while the model paints (engine.batchpipeline); no torch here. An output that
    is the photo itself is refused before anything is read."""
    input_path, output = Path(input_path), Path(output)
    if os.path.lexists(output) and output.resolve() == input_path.resolve():
        raise OutputError(f"refusing to overwrite the original {input_path.name}")
    image = load_image(input_path)
    image.rgb, image.alpha = _fit(image.rgb, image.alpha, options.max_size)
    return image


def write_painting(input_path: Path, output: Path, pixels: np.ndarray, alpha: np.ndarray | None,
                   icc_profile: bytes | None, exif: bytes | None, options: StylizeOptions,
                   style_slug: str, look: PaintLook) -> Path:
    """Save a finished painting of `input_path` as `output`, atomically and marked as Atelier's
    painting of it with this style and `look` (engine.provenance). The last step of `stylize_file`,
    apart so that a batch can encode and write on another thread (engine.batchpipeline); no torch here."""
    mark = mark_for(Path(input_path), Path(output), style_slug, look)
    return save_image_atomic(Path(output), pixels, alpha, icc_profile, exif, options.jpeg_quality, mark)


def stylize_file(host: ModelHost, style_path: Path, model: LoadedModel, input_path: Path, output: Path,
                 options: StylizeOptions, progress: Progress | None = None,
                 notice: Notice = lambda _m: None, style_slug: str = "") -> StylizeResult:
    """Paint one photo into `output`, marked as Atelier's painting of it with this style
    (engine.provenance; `style_slug` defaults to the style's own)."""
    image = read_photo(input_path, output, options)
    out, alpha, model = stylize_loaded(host, style_path, model, image, options, progress, notice)
    written = write_painting(input_path, output, out, alpha, image.icc_profile, image.exif, options,
                             style_slug or model.meta.slug(), PaintLook.of(options, style_path))
    return StylizeResult(written, out.shape[1], out.shape[0], model.device.spec)
