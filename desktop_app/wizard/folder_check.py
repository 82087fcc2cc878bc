"""Checks a training folder off the GUI thread: engine.training.data.check_folder plus thumbnails.

check_folder decodes every image (a painter's folder of 20 large scans takes seconds), so it runs on
a plain worker thread and the result comes back through a queued Qt signal. Each check carries a
generation number: a result for a folder the user has since changed away from is dropped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader

from engine.imageio import is_image_path
from engine.training.data import DataReport, check_folder

THUMB = 96


@dataclass
class FolderCheck:
    folder: Path
    report: DataReport
    thumbnails: list[tuple[Path, QImage]] = field(default_factory=list)
    generation: int = 0


def thumbnail(path: Path, side: int = THUMB) -> QImage:
    """A small image decoded at reduced size where the format allows (JPEG), else scaled."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # EXIF rotation, as the trainer sees it
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if not image.isNull() and max(image.width(), image.height()) > side:
        image = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return image


class FolderChecker(QObject):
    done = Signal(object)  # FolderCheck

    def __init__(self, role: str, min_images: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.min_images = min_images
        self.generation = 0

    def check(self, folder: Path) -> int:
        """Start a check; `done` follows (on the GUI thread) unless a newer check started meanwhile."""
        self.generation += 1
        gen = self.generation
        threading.Thread(target=self._work, args=(Path(folder), gen), name="atelier-folder-check",
                         daemon=True).start()
        return gen

    def _work(self, folder: Path, gen: int) -> None:
        report = check_folder(folder, self.min_images, self.role)
        thumbs: list[tuple[Path, QImage]] = []
        if folder.is_dir():
            for path in sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p))[:200]:
                thumbs.append((path, thumbnail(path)))
        self.done.emit(FolderCheck(folder, report, thumbs, gen))
