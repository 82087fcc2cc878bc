"""Writing pictures the user keeps: a free name, written atomically, in the right folder.

A crash or a full disk never leaves half a PNG under the chosen name (DESIGN.md section 5): the file
is written to a hidden temporary name in the same folder and renamed into place.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QImage


def default_snapshot_dir() -> Path:
    """ATELIER_HOME/snapshots when that is set (everything the app writes stays there), else
    the platform's Pictures folder / Atelier."""
    home = os.environ.get("ATELIER_HOME")
    if home:
        return Path(home) / "snapshots"
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return (Path(pictures) if pictures else Path.home() / "Pictures") / "Atelier"


def unique_path(folder: Path, stem: str, suffix: str = ".png") -> Path:
    path = folder / f"{stem}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


def save_png_atomically(image: QImage, dest: Path) -> Path:
    """Write to a hidden temporary name in the same folder, then rename (atomic on one file system)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        if not image.save(str(tmp), "PNG"):
            raise OSError(f"could not write {dest.parent} (read-only or full?)")
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return dest
