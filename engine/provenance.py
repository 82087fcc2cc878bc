"""Atelier's paintings carry a mark saying so, and of which photo and style, inside the file itself.

Why in the file: a batch decides from what is on disk whether an output is finished ("already
done"), was made with other settings (engine.rerun) or must never be touched. A name alone cannot tell: a real
photo called `photo_monet.png` beside `photo.png` was replaced with `--overwrite` and made
`photo.png` look done without it, and a batch into its own input folder painted its earlier
paintings again (`x_monet_monet.png`). The mark is written with the pixels and renamed into place
with them (engine.imageio.save_image_atomic), so it can never disagree with the file, and it
survives a killed run, a moved folder and a lost report.

The mark is the EXIF `Software` tag (JPEG, PNG, WebP and TIFF all keep EXIF):
`Atelier <version> painting <id> look <digest> (<settings in words>)`, where `<id>` is a hash of the
photo's path relative to the painting's folder and of the style. Relative, so a folder moved or
copied together with its `stylized` folder still matches; hashed, so no folder names leak into a
picture someone shares, and any file name (even one that is not valid UTF-8) makes an ASCII tag.
The look (engine.paintlook) records the settings the painting was made with, so that a batch run
again with other settings can ask rather than call it done (engine.rerun). It goes in the Software
tag, which is Atelier's to write (the photo's camera firmware was there), and in no other field:
the photographer's own EXIF (description, comments, copyright) is carried over untouched. Marks
written before the look was recorded (`Atelier 0.1.0 painting <id>`) still read: their settings are
unknown, and such a painting counts as done, as it always did, rather than being painted again.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from engine import __version__

if TYPE_CHECKING:
    from engine.paintlook import PaintLook

SOFTWARE_TAG = 0x0131
_MARK = re.compile(r"^Atelier \S+ painting ([0-9a-f]{16})(?: look ([0-9a-f]{8})(?: \((.*)\))?)?$")


@dataclass(frozen=True)
class Mark:
    """What a painting's mark says: whose painting it is, and with which settings (None: unknown)."""

    painting: str  # painting_id: the photo and the style
    look: str | None = None  # PaintLook.digest; None in marks from before it was recorded
    words: str = ""  # PaintLook.words(): the settings as a person reads them ("" when unknown)


def painting_id(source: Path, output_dir: Path, style_slug: str) -> str:
    """What a painting of `source` in `output_dir` with this style is called inside its mark."""
    src = os.path.abspath(source)
    try:
        rel = os.path.relpath(src, os.path.abspath(output_dir))
    except ValueError:  # another drive on Windows: no relative path exists
        rel = src
    key = os.fsencode(rel.replace(os.sep, "/")) + b"\0" + style_slug.encode("utf-8", "surrogateescape")
    return hashlib.sha256(key).hexdigest()[:16]


def mark_for(source: Path, output: Path, style_slug: str, look: PaintLook) -> str:
    """The `Software` text to write into a painting of `source` saved as `output`, made with `look`."""
    painting = painting_id(source, Path(output).parent, style_slug)
    return f"Atelier {__version__} painting {painting} look {look.digest} ({look.words()})"


def read_mark(path: Path) -> Mark | None:
    """A file's mark, or None (not Atelier's, or unreadable). Reads headers only."""
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
    return Mark(m.group(1), m.group(2), m.group(3) or "") if m else None


def is_painting(path: Path) -> bool:
    """True for any file Atelier painted (whatever the photo or style)."""
    return read_mark(path) is not None


def painting_of(path: Path, source: Path, style_slug: str) -> Mark | None:
    """`path`'s mark if it is Atelier's painting of `source` with this style (so it may count as done,
    or be repainted), else None."""
    mark = read_mark(path)
    if mark is None or mark.painting != painting_id(source, Path(path).parent, style_slug):
        return None
    return mark
