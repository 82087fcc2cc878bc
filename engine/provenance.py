"""Atelier's paintings carry a mark saying so, and of which photo and style, inside the file itself.

Why in the file: a batch decides from what is on disk whether an output is finished ("already
done"), may be repainted (`--overwrite`) or must never be touched. A name alone cannot tell: a real
photo called `photo_monet.png` beside `photo.png` was replaced with `--overwrite` and made
`photo.png` look done without it, and a batch into its own input folder painted its earlier
paintings again (`x_monet_monet.png`). The mark is written with the pixels and renamed into place
with them (engine.imageio.save_image_atomic), so it can never disagree with the file, and it
survives a killed run, a moved folder and a lost report.

The mark is the EXIF `Software` tag (JPEG, PNG, WebP and TIFF all keep EXIF):
`Atelier <version> painting <id>`, where `<id>` is a hash of the photo's path relative to the
painting's folder and of the style. Relative, so a folder moved or copied together with its
`stylized` folder still matches; hashed, so no folder names leak into a picture someone shares, and
any file name (even one that is not valid UTF-8) makes an ASCII tag.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path

from PIL import Image

from engine import __version__

SOFTWARE_TAG = 0x0131
_MARK = re.compile(r"^Atelier \S+ painting ([0-9a-f]{16})$")


def painting_id(source: Path, output_dir: Path, style_slug: str) -> str:
    """What a painting of `source` in `output_dir` with this style is called inside its mark."""
    src = os.path.abspath(source)
    try:
        rel = os.path.relpath(src, os.path.abspath(output_dir))
    except ValueError:  # another drive on Windows: no relative path exists
        rel = src
    key = os.fsencode(rel.replace(os.sep, "/")) + b"\0" + style_slug.encode("utf-8", "surrogateescape")
    return hashlib.sha256(key).hexdigest()[:16]


def mark_for(source: Path, output: Path, style_slug: str) -> str:
    """The `Software` text to write into a painting of `source` saved as `output`."""
    return f"Atelier {__version__} painting {painting_id(source, Path(output).parent, style_slug)}"


def read_mark(path: Path) -> str | None:
    """The painting id in a file's mark, or None (not Atelier's, or unreadable). Reads headers only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a huge file is judged by load_image, not here
            with Image.open(path) as im:
                raw = im.info.get("exif")
                if raw:
                    exif = Image.Exif()
                    exif.load(raw)
                elif im.format == "TIFF":  # TIFF keeps EXIF tags in its own directory
                    exif = im.getexif()
                else:
                    return None
                software = exif.get(SOFTWARE_TAG)
    except Exception:  # not an image, damaged, unreadable: certainly not a finished painting
        return None
    m = _MARK.match(software.strip("\0 ")) if isinstance(software, str) else None
    return m.group(1) if m else None


def is_painting(path: Path) -> bool:
    """True for any file Atelier painted (whatever the photo or style)."""
    return read_mark(path) is not None


def painting_of(path: Path, source: Path, style_slug: str) -> bool:
    """True if `path` is Atelier's painting of `source` with this style (so it may count as done,
    or be repainted with --overwrite)."""
    mark = read_mark(path)
    return mark is not None and mark == painting_id(source, Path(path).parent, style_slug)
