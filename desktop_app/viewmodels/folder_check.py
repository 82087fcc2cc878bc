"""A training folder and what the data check says about it, checked off the GUI thread.

The trainer's data check decodes every image (a painter's folder of 20 large scans takes seconds), so
it runs on a plain worker thread and the result comes back through a queued Qt signal. Each check
carries a generation number: a result for a folder the user has since changed away from is dropped.
The check itself is the engine's (`EngineServices.check_training_folder`), so the wizard can never
accept data the trainer would refuse a minute later (DESIGN.md: validate on the GUI side).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader

from desktop_app.imaging import rgb_to_qimage
from desktop_app.viewmodels.properties import ObservableObject, Property
from desktop_app.viewmodels.services import EngineServices
from engine.errors import ImageReadError
from engine.imageio import is_image_path, load_image

THUMB = 96


@dataclass
class FolderCheck:
    folder: Path
    report: Any  # the engine's DataReport: usable, excluded (path, reason), error, ok
    thumbnails: list[tuple[Path, QImage]] = field(default_factory=list)
    generation: int = 0


def thumbnail(path: Path, side: int = THUMB) -> QImage:
    """A small image decoded at reduced size where the format allows (JPEG), else scaled. Formats Qt has
    no reader for (HEIC, outside macOS) are decoded as the trainer decodes them (`engine.imageio`)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # EXIF rotation, as the trainer sees it
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull() and not reader.canRead():
        try:
            image = rgb_to_qimage(load_image(path).rgb)
        except ImageReadError:
            return QImage()  # the data check says why
    if not image.isNull() and max(image.width(), image.height()) > side:
        image = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return image


class FolderViewModel(ObservableObject):
    """One wizard folder (artworks or photos): the path, and the check of exactly that path."""

    folder = Property("")          # as typed or chosen
    result = Property(None)        # FolderCheck of `folder`, None while checking or before
    checking = Property(False)
    _done = Signal(object)         # worker thread -> GUI thread

    def __init__(self, role: str, min_images: int, services: EngineServices) -> None:
        super().__init__()
        self.role = role
        self.min_images = min_images
        self.services = services
        self.generation = 0
        self._done.connect(self._on_checked, Qt.ConnectionType.QueuedConnection)

    @property
    def path(self) -> Path | None:
        text = self.folder.strip()
        return Path(text).expanduser() if text else None

    @property
    def ok(self) -> bool:
        """The check passed for the folder shown now."""
        result = self.result
        return result is not None and result.report.ok and result.folder == self.path

    def set_folder(self, folder: Path | str) -> None:
        """Show `folder` and check it (again, if it is the same: its files may have changed)."""
        self.folder = str(folder)
        self.check()

    def check(self) -> None:
        self.generation += 1
        self.result = None
        path = self.path
        if path is None:
            self.checking = False
            return
        self.checking = True
        threading.Thread(target=self._work, args=(path, self.generation), name="atelier-folder-check",
                         daemon=True).start()

    def _work(self, folder: Path, generation: int) -> None:
        report = self.services.check_training_folder(folder, self.min_images, self.role)
        thumbs: list[tuple[Path, QImage]] = []
        if folder.is_dir():
            files = sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p))
            thumbs = [(path, thumbnail(path)) for path in files[:200]]
        self._done.emit(FolderCheck(folder, report, thumbs, generation))

    def _on_checked(self, check: FolderCheck) -> None:
        if check.generation != self.generation:
            return  # the user picked another folder meanwhile
        self.checking = False
        self.result = check
