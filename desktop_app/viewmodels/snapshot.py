"""Snapshot: the current camera frame stylized at full camera resolution, saved as a PNG.

The live picture runs at the governor's reduced size; a snapshot is worth the wait of one full-size
pass, so the newest captured frame is sent as a StylizePreview (tiled, global norm statistics, no
seams) in the shared look, and the JobPreview that comes back on its handle is written atomically
(`desktop_app.media.files`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from desktop_app.bridge import EngineBridge, JobHandle
from desktop_app.media.files import default_snapshot_dir, save_png_atomically, unique_path
from desktop_app.media.sources import CapturedFrame
from desktop_app.viewmodels.look import Look
from engine.messages import JobFailed, JobPreview, StylizePreview


class Snapshotter(QObject):
    saved = Signal(object)  # Path of the PNG
    failed = Signal(str)

    def __init__(self, bridge: EngineBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.folder = default_snapshot_dir()
        self._jobs: set[JobHandle] = set()

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def take(self, frame: CapturedFrame, look: Look, mirror: bool, device: str) -> JobHandle:
        """Queue one full-resolution stylization of `frame`; `saved` or `failed` follows."""
        rgb = np.ascontiguousarray(frame.rgb[:, ::-1] if mirror else frame.rgb)
        request = StylizePreview(pixels=rgb.tobytes(), width=frame.width, height=frame.height, style=look.style,
                                 options=look.options(), device=device)
        stem = f"atelier-{look.style}-{time.strftime('%Y%m%d-%H%M%S')}"
        folder = self.folder
        job = self.bridge.submit(request)
        self._jobs.add(job)
        job.preview.connect(lambda event: self._write(event, folder, stem))
        job.failed.connect(self._on_failed)
        job.ended.connect(lambda _e: self._jobs.discard(job))
        return job

    def _write(self, event: JobPreview, folder: Path, stem: str) -> None:
        image = QImage(event.pixels, event.width, event.height, 3 * event.width, QImage.Format.Format_RGB888)
        try:
            path = save_png_atomically(image, unique_path(folder, stem))
        except OSError as exc:
            self.failed.emit(f"The snapshot could not be saved: {exc}")
            return
        self.saved.emit(path)

    def _on_failed(self, event: JobFailed) -> None:
        self.failed.emit(f"The snapshot failed: {event.message}")
