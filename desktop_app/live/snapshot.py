"""Snapshot: the current camera frame stylized at full camera resolution, saved as a PNG.

The live picture runs at the governor's reduced size; a snapshot is worth the wait of one full-size
pass, so the newest captured frame is sent as a StylizePreview (tiled, global norm statistics, no
seams) and the JobPreview that comes back is written to a temporary name and renamed into place:
a crash or a full disk never leaves half a PNG (DESIGN.md section 5).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QStandardPaths, Signal, Slot
from PySide6.QtGui import QImage

from desktop_app.live.sources import CapturedFrame
from engine.messages import JobFailed, JobFinished, JobPreview, StylizeOptions, StylizePreview


def default_snapshot_dir() -> Path:
    """~/Pictures/Atelier (the platform's Pictures folder)."""
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


class Snapshotter(QObject):
    saved = Signal(object)  # Path of the PNG
    failed = Signal(str)

    def __init__(self, bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.folder = default_snapshot_dir()
        self._jobs: dict[int, Path] = {}
        bridge.preview.connect(self._on_preview)
        bridge.failed.connect(self._on_failed)
        bridge.finished.connect(self._on_finished)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def take(self, frame: CapturedFrame, style: str, strength: float, mirror: bool, device: str) -> int:
        """Queue one full-resolution stylization of `frame`; `saved` or `failed` follows."""
        rgb = frame.rgb[:, ::-1] if mirror else frame.rgb
        rgb = np.ascontiguousarray(rgb)
        request = StylizePreview(pixels=rgb.tobytes(), width=frame.width, height=frame.height, style=style,
                                 options=StylizeOptions(strength=strength), device=device)
        stem = f"atelier-{style}-{time.strftime('%Y%m%d-%H%M%S')}"
        self._jobs[request.job_id] = unique_path(self.folder, stem)
        self.bridge.submit(request)
        return request.job_id

    @Slot(object)
    def _on_preview(self, event: JobPreview) -> None:
        dest = self._jobs.get(event.job_id)
        if dest is None:
            return
        image = QImage(event.pixels, event.width, event.height, 3 * event.width, QImage.Format.Format_RGB888)
        try:
            path = save_png_atomically(image, unique_path(dest.parent, dest.stem))
        except OSError as exc:
            self._jobs.pop(event.job_id, None)
            self.failed.emit(f"The snapshot could not be saved: {exc}")
            return
        self._jobs[event.job_id] = Path()  # written; JobFinished just forgets it
        self.saved.emit(path)

    @Slot(object)
    def _on_finished(self, event: JobFinished) -> None:
        self._jobs.pop(event.job_id, None)

    @Slot(object)
    def _on_failed(self, event: JobFailed) -> None:
        if self._jobs.pop(event.job_id, None) is not None:
            self.failed.emit(f"The snapshot failed: {event.message}")
