"""Stylize a video file into a new video file, frame by frame, through the live path.

Each frame goes through the same single-slot StylizeFrame path as the camera, one in flight (its own
job handle), so the engine's temporal stabilization (smoothed norm statistics, motion-aware blending)
applies to the export too. The ffmpeg reader and writer threads are the media room's
(`desktop_app.media.video_file`); this object only validates on the GUI thread and moves frames
between them and the engine. The output is written under a hidden temporary name and renamed at the
end; cancel or a failure deletes the temporary file, so nothing partial is ever left under the
chosen name.
"""

from __future__ import annotations

import contextlib
import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop_app.bridge import EngineBridge, JobHandle
from desktop_app.imaging import cover
from desktop_app.media.video_file import END, VideoReader, VideoWriter, ffmpeg_missing, partial_path
from desktop_app.viewmodels.look import Look
from engine.messages import FrameResult, JobFailed, StylizeFrame

KeepColors = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ExportProgress:
    done: int
    total: int  # estimated from duration x fps (0 if unknown)
    eta_s: float | None


class VideoExporter(QObject):
    progress = Signal(object)  # ExportProgress
    finished = Signal(object)  # Path of the new video
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, bridge: EngineBridge, keep_colors: KeepColors, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.keep_colors = keep_colors
        self._reader: VideoReader | None = None
        self._writer: VideoWriter | None = None
        self._in_flight: JobHandle | None = None
        self._sent: np.ndarray | None = None  # the frame in flight, as read
        self._job: dict = {}
        self._done = 0
        self._started = 0.0
        self._poll = QTimer(self)
        self._poll.setInterval(10)
        self._poll.timeout.connect(self._pump)

    @property
    def running(self) -> bool:
        return self._reader is not None

    def start(self, source: Path, dest: Path, look: Look, device: str = "auto", short_side: int = 0) -> None:
        """Validate on the GUI thread, then stream. `short_side` 0 keeps the video's resolution."""
        source, dest = Path(source), Path(dest)
        if self.running:
            raise RuntimeError("an export is already running")
        if not source.is_file():
            self.failed.emit(f"The video {source} does not exist.")
            return
        if dest.resolve() == source.resolve():
            self.failed.emit("Choose a new file for the stylized video: the original is never overwritten.")
            return
        if not dest.parent.is_dir() or not os.access(dest.parent, os.W_OK):
            self.failed.emit(f"Cannot write into {dest.parent}: the folder is missing or read-only.")
            return
        missing = ffmpeg_missing()
        if missing:
            self.failed.emit(missing)
            return
        self._job = {"source": source, "dest": dest, "tmp": partial_path(dest), "look": look,
                     "device": device, "short_side": short_side}
        self._done = 0
        self._started = time.monotonic()
        self._reader = VideoReader(source)
        self._reader.start()
        self._poll.start()

    def cancel(self) -> None:
        if not self.running:
            return
        self._teardown(keep=False)
        self.cancelled.emit()

    # ------------------------------------------------------------------ pumping frames
    def _pump(self) -> None:
        reader = self._reader
        if reader is None or self._in_flight is not None:
            return
        try:
            frame = reader.frames.get_nowait()
        except queue.Empty:
            return
        if frame is END:
            self._poll.stop()
            self._complete()
            return
        self._poll.stop()  # one in flight: wait for its result
        j = self._job
        look: Look = j["look"]
        request = StylizeFrame(pixels=frame.tobytes(), width=frame.shape[1], height=frame.shape[0], style=look.style,
                               strength=look.strength, mirror=False, device=j["device"],
                               run_short_side=j["short_side"], captured_at=0.0, brushwork=look.brushwork)
        job = self.bridge.submit(request)
        self._in_flight = job
        self._sent = frame
        job.frame.connect(self._on_result)
        job.failed.connect(self._on_failed)

    @Slot(object)
    def _on_result(self, result: FrameResult) -> None:
        if self._reader is None:
            return
        self._forget_in_flight()
        if self._writer is None:
            meta = self._reader.meta
            audio = self._job["source"] if meta.get("audio_codec") else None
            self._writer = VideoWriter(self._job["tmp"], (result.width, result.height), float(meta.get("fps") or 25.0),
                                   audio)
            self._writer.start()
        if self._writer.error:
            self._fail(f"Cannot write the video: {self._writer.error}")
            return
        rgb = np.frombuffer(result.pixels, np.uint8).reshape(result.height, result.width, 3)
        if self._job["look"].preserve_colors:  # as the live view does: the frame request has no such option
            rgb = self.keep_colors(rgb, cover(self._sent, result.width, result.height))
        self._writer.frames.put(rgb)
        self._done += 1
        self.progress.emit(self._progress())
        self._poll.start()
        self._pump()

    @Slot(object)
    def _on_failed(self, event: JobFailed) -> None:
        self._fail(f"Stylizing the video failed: {event.message}")

    def _forget_in_flight(self) -> None:
        """Stop listening to the frame in flight (after its answer, or when the export ends)."""
        job, self._in_flight = self._in_flight, None
        if job is not None:
            job.frame.disconnect(self._on_result)
            job.failed.disconnect(self._on_failed)

    def _progress(self) -> ExportProgress:
        meta = self._reader.meta if self._reader else {}
        total = int(round(float(meta.get("duration") or 0) * float(meta.get("fps") or 0)))
        elapsed = time.monotonic() - self._started
        eta = (elapsed / self._done) * max(total - self._done, 0) if total and self._done else None
        return ExportProgress(self._done, total, eta)

    # ------------------------------------------------------------------ ending
    def _complete(self) -> None:
        reader_error = self._reader.error if self._reader else None
        if reader_error and self._done == 0:
            self._fail(f"Cannot read {self._job['source'].name}: {reader_error}")
            return
        if self._done == 0:
            self._fail(f"{self._job['source'].name} has no video frames.")
            return
        writer = self._writer
        dest, tmp = self._job["dest"], self._job["tmp"]
        self._teardown(keep=True)
        if writer is not None and writer.error:
            with contextlib.suppress(OSError):
                tmp.unlink()
            self.failed.emit(f"Cannot write the video: {writer.error}")
            return
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            self.failed.emit(f"Cannot save {dest.name}: {exc}")
            return
        self.finished.emit(dest)

    def _fail(self, message: str) -> None:
        self._teardown(keep=False)
        self.failed.emit(message)

    def _teardown(self, keep: bool) -> None:
        """Stop both threads; unless `keep`, delete the temporary output (nothing partial remains)."""
        self._poll.stop()
        self._forget_in_flight()
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        if reader is not None:
            reader.stop_flag.set()
            with contextlib.suppress(queue.Empty):
                while True:
                    reader.frames.get_nowait()
            reader.join(timeout=5)
        if writer is not None:
            writer.frames.put(END)
            writer.join(timeout=60)
        if not keep and self._job:
            with contextlib.suppress(OSError):
                self._job["tmp"].unlink()
