"""Reading photos safely and writing results without ever losing a file.

Reading normalizes everything a camera or editor can produce into 8-bit RGB (+ optional alpha):
EXIF rotation applied, 16-bit scaled, CMYK / palette / grayscale converted, decompression bombs
refused, truncated or non-image files reported with a reason. Writing goes to a temporary name in
the destination folder and is renamed into place, so a crash or cancel never leaves half an image
and never touches an original. ICC profile and EXIF (with orientation reset) are carried over.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import ImageReadError, OutputError
from engine.pids import pid_alive

MAX_PIXELS = 200_000_000  # ~ a 16k x 12k photo; anything larger is refused as a likely bomb
# Pillow's own bomb limit (89.5 MP by default) refused 108 MP phone photos that Atelier's limit allows.
# One limit for both: Pillow's warns above it and refuses above twice it; `load_image` refuses above
# its `max_pixels` with a clear message before decoding, and keeps Pillow's raw warning from the user.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# HEIC/HEIF, what iPhones save by default: Pillow reads it through pi-heif (libheif's decoder only, 3.7 MB,
# where pillow-heif also brings the 23 MB x265 encoder we have no use for). Without it every photo of an
# iPhone folder was collected by a batch and then refused as "not an image Atelier can read". On a
# platform without its wheel every other format still reads, and a HEIC photo says what is missing.
try:
    import pi_heif
except ImportError:
    HEIF_READABLE = False
else:
    pi_heif.register_heif_opener()
    HEIF_READABLE = True
T = TypeVar("T")
HEIF_SUFFIXES = {".heic", ".heif"}
# Read but never written: HEIC/HEIF (phones) and AVIF (phones, the web; Pillow's wheels since 11.3).
READ_ONLY_SUFFIXES = {*HEIF_SUFFIXES, ".avif"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", *READ_ONLY_SUFFIXES}
RAW_SUFFIXES = {".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2", ".pef", ".srw"}  # camera RAW
_FORMAT_BY_SUFFIX = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP",
                     ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP"}


@dataclass
class LoadedImage:
    """8-bit RGB pixels (H, W, 3), optional alpha (H, W), and what to carry into the output."""

    rgb: np.ndarray
    alpha: np.ndarray | None
    icc_profile: bytes | None
    exif: bytes | None
    source_format: str | None

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def unread_hint(unread: Counter[str]) -> str:
    """What a folder held instead of photos (suffix -> count of its other files), as the words a "no
    photos" message needs, '' for nothing: a photographer's folder of camera RAW files (.cr2, .nef, .dng)
    looked empty, with no word on why or what to do."""
    if not unread:
        return ""
    seen = ", ".join(f"{n} {suffix} file{'s' * (n > 1)}" for suffix, n in unread.most_common(3))
    read = ", ".join(sorted({s.lstrip(".") for s in IMAGE_SUFFIXES} - {"jpeg", "tiff", "heif"}))
    hint = f"it holds {seen}; Atelier reads {read}"
    if RAW_SUFFIXES & unread.keys():
        hint += "; camera RAW files must be exported as JPEG or TIFF first"
    return hint


def unread_files(paths: Iterable[Path]) -> Counter[str]:
    """Suffix -> count of the visible files among `paths` that are not photos Atelier reads."""
    return Counter(p.suffix.lower() or "(no suffix)" for p in paths
                   if not p.name.startswith(".") and not is_image_path(p) and p.is_file())


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit and float modes -> 8-bit, scaling by the real range rather than clipping."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        arr = np.asarray(img, dtype=np.uint16)
        return Image.fromarray((arr >> 8).astype(np.uint8), "L")
    if img.mode == "I":
        arr = np.asarray(img, dtype=np.int64)
        scale = 257.0 if arr.max(initial=0) > 255 else 1.0
        return Image.fromarray(np.clip(arr / scale, 0, 255).astype(np.uint8), "L")
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float32)
        hi = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
        return Image.fromarray(np.clip(arr / hi * 255.0, 0, 255).astype(np.uint8), "L")
    return img


def load_image(path: Path, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ImageReadError(f"{name}: file not found")
    if path.is_dir():
        raise ImageReadError(f"{name}: is a folder, not an image")
    try:
        if path.stat().st_size == 0:
            raise ImageReadError(f"{name}: the file is empty (0 bytes)")
    except OSError as exc:
        raise ImageReadError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    try:
        with warnings.catch_warnings():
            # The size is checked just below against `max_pixels`, whatever Pillow's global limit says.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                w, h = img.size
                if w * h > max_pixels:
                    raise ImageReadError(f"{name}: {w}x{h} is {w * h / 1e6:.0f} megapixels, more than the "
                                         f"{max_pixels / 1e6:.0f} MP limit (possible decompression bomb)")
                img.load()
                icc = img.info.get("icc_profile")
                exif = img.info.get("exif")
                fmt = img.format
                ImageOps.exif_transpose(img, in_place=True)  # no copy: a 108 MP photo is 324 MB of pixels
    except ImageReadError:
        raise
    except Image.DecompressionBombError as exc:  # above twice Pillow's limit: refused whatever ours is
        raise ImageReadError(f"{name}: refused, the image is too large (possible decompression bomb)") from exc
    except UnidentifiedImageError as exc:
        if not HEIF_READABLE and path.suffix.lower() in HEIF_SUFFIXES:
            raise ImageReadError(f"{name}: HEIC photos need the pi-heif package, which this installation "
                                 f"lacks (pip install pi-heif)") from exc
        raise ImageReadError(f"{name}: not an image Atelier can read") from exc
    except OSError as exc:
        reason = str(exc)
        if "truncated" in reason.lower() or "broken data" in reason.lower():
            reason = "the file is truncated or damaged"
        raise ImageReadError(f"{name}: cannot be decoded ({reason})") from exc
    except (ValueError, SyntaxError) as exc:
        raise ImageReadError(f"{name}: cannot be decoded ({exc})") from exc

    if img.mode == "CMYK" and icc:
        icc = None  # a CMYK profile does not describe the RGB output
    img = _to_8bit(img)
    alpha = None
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        a = np.asarray(img.getchannel("A"))
        alpha = None if a.min() == 255 else a.copy()
    img = img if img.mode == "RGB" else img.convert("RGB")
    pixels = np.asarray(img, dtype=np.uint8)  # a read-only view of a copy of the pixels
    del img  # the decoded image goes before the writable copy is made: two photo-sized buffers at most
    return LoadedImage(rgb=pixels.copy(), alpha=alpha, icc_profile=icc, exif=exif, source_format=fmt)


def _peek(path: Path, look: Callable[[Image.Image], T], default: T) -> T:
    """`look` at a file's header (nothing is decoded); `default` on any problem: load_image
    reports it properly, and size limits are its to enforce, with a clear message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                return look(im)
    except Exception:
        return default


def peek_alpha(path: Path) -> bool:
    """Whether a PNG/WebP/GIF/TIFF/HEIC/AVIF has an alpha channel or transparency, from its header only
    (the output type depends on it: a HEIC or AVIF with alpha becomes a PNG, not a JPEG without it)."""
    if path.suffix.lower() not in {".png", ".webp", ".gif", ".tif", ".tiff", *READ_ONLY_SUFFIXES}:
        return False
    return _peek(path, lambda im: im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info, False)


def peek_pixels(path: Path) -> int:
    """Width x height from the header alone, 0 when it cannot be read: a batch admits a photo into
    memory by its size before decoding it (engine.batchpipeline)."""
    return _peek(path, lambda im: im.size[0] * im.size[1], 0)


def _exif_for_output(exif: bytes | None, software: str | None) -> bytes | None:
    """The photo's EXIF with orientation reset (the pixels are already upright), and `software`
    (Atelier's mark, engine.provenance) in the Software tag."""
    e = Image.Exif()
    if exif:
        try:
            e.load(exif)
            e[0x0112] = 1
        except Exception:
            e = Image.Exif()
    if software:
        e[0x0131] = software
    try:
        return e.tobytes() if len(e) else None
    except Exception:
        return None


def output_format_for(path: Path) -> str:
    fmt = _FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(f"{path.name}: unsupported output type {path.suffix!r}; use .jpg, .png, .webp or .tif")
    return fmt


def to_pil(rgb: np.ndarray, alpha: np.ndarray | None) -> Image.Image:
    img = Image.fromarray(rgb, "RGB")
    if alpha is not None:
        img.putalpha(Image.fromarray(alpha, "L"))
    return img


def save_image_atomic(path: Path, rgb: np.ndarray, alpha: np.ndarray | None = None,
                      icc_profile: bytes | None = None, exif: bytes | None = None,
                      jpeg_quality: int = 95, software: str | None = None) -> Path:
    """Encode to a temporary file beside `path`, fsync, then rename into place.

    `software` goes into the EXIF Software tag with the pixels, so a mark (engine.provenance) and the
    image it describes always arrive together."""
    path = Path(path)
    fmt = output_format_for(path)
    img = to_pil(rgb, alpha)
    if alpha is not None and fmt == "JPEG":
        img = img.convert("RGB")  # JPEG has no alpha: callers pick PNG/WebP to keep it
    params: dict[str, object] = {}
    if icc_profile:
        params["icc_profile"] = icc_profile
    exif_out = _exif_for_output(exif, software)
    if exif_out and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        params["exif"] = exif_out
    if fmt == "JPEG":
        params.update(quality=jpeg_quality, subsampling=0 if jpeg_quality >= 90 else 2)
    elif fmt == "WEBP":
        params.update(quality=jpeg_quality)
    folder = path.parent
    if not folder.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create output folder {folder}: {exc.strerror or exc}") from exc
    tmp = partial_path(path)
    try:
        with open(tmp, "wb") as f:
            img.save(f, format=fmt, **params)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        why = exc.strerror or str(exc)
        if getattr(exc, "errno", None) == 28:
            why = "the disk is full"
        raise OutputError(f"cannot write {path.name} to {folder}: {why}") from exc
    return path


def partial_path(path: Path, pid: int | None = None) -> Path:
    """The temporary name `path` is written under: hidden, unique, and naming the writing process,
    so that a cleanup can tell a killed run's leftovers from a file a live batch is still writing."""
    pid = os.getpid() if pid is None else pid
    return path.parent / f".{path.stem}.{pid}-{uuid.uuid4().hex[:8]}.partial{path.suffix}"


_PARTIAL_PID = re.compile(r"\.(\d+)-[0-9a-f]{8}\.partial")


def cleanup_partials(folder: Path) -> int:
    """Remove temp files left by killed runs (they are never valid outputs). A temp file whose writer
    is still running (another batch, the Photo tab saving) is left alone; one without a writer's id
    (older versions) counts as left behind."""
    n = 0
    if folder.is_dir():
        for p in folder.glob(".*.partial*"):
            m = _PARTIAL_PID.search(p.name)
            if m and pid_alive(int(m.group(1))):
                continue
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
    return n
