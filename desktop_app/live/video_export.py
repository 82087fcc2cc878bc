"""Stylize a video file into a new video file, frame by frame, through the live path.

Why not QMediaPlayer -> QVideoSink for reading here: the player is clock-driven and skips frames the
consumer is too slow for, which is right for a live preview and wrong for an export that must keep
every frame. Why not QMediaRecorder for writing: it records from a camera or screen capture, it
cannot take raw frames. So both ends run an ffmpeg program through `imageio-ffmpeg`: a reader thread
decodes frames into a short queue, a writer thread encodes H.264 (and copies the source's audio track
back in), and the GUI thread only moves frames between them and the engine. Windows and macOS
installers ship the wheel's ffmpeg; the Linux one uses the distribution's (Qt's own FFmpeg libraries
have no software H.264 encoder there, and a second copy would be 165 MiB), so a missing program is
reported before anything starts.

Each frame goes through the same single-slot StylizeFrame path as the camera, one in flight, so the
engine's temporal stabilization (smoothed norm statistics, motion-aware blending) applies to the
export too. The output is written under a hidden temporary name and renamed at the end; cancel or a
failure deletes the temporary file, so nothing partial is ever left under the chosen name.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from engine.messages import FrameResult, JobFailed, StylizeFrame

_END = object()


@dataclass(frozen=True)
class ExportProgress:
    done: int
    total: int  # estimated from duration x fps (0 if unknown)
    eta_s: float | None


FFMPEG_MISSING = ("Stylizing a video file needs the FFmpeg program, which was not found: install your "
                  "system's ffmpeg package (for example: sudo apt install ffmpeg), then try again.")


def ffmpeg_missing() -> str | None:
    """The message for the user when no ffmpeg program can be found, else None."""
    import imageio_ffmpeg

    try:
        imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return FFMPEG_MISSING
    return None


def partial_path(dest: Path) -> Path:
    """Hidden temporary name beside the destination, keeping the suffix so ffmpeg picks the container."""
    return dest.with_name(f".{dest.stem}.partial{dest.suffix}")


class _Reader(threading.Thread):
    """Decodes frames into a bounded queue (backpressure: at most a few frames ahead)."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="atelier-video-reader", daemon=True)
        self.path = path
        self.frames: queue.Queue = queue.Queue(maxsize=4)
        self.meta: dict = {}
        self.meta_ready = threading.Event()
        self.error: str | None = None
        self.stop_flag = threading.Event()

    def run(self) -> None:
        import imageio_ffmpeg

        gen = None
        try:
            gen = imageio_ffmpeg.read_frames(str(self.path))
            self.meta = next(gen)
            self.meta_ready.set()
            w, h = self.meta["size"]
            for raw in gen:
                frame = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
                while not self.stop_flag.is_set():
                    try:
                        self.frames.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self.stop_flag.is_set():
                    break
        except Exception as exc:  # ffmpeg's own words: not a video, unreadable, unsupported codec
            self.error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        finally:
            if gen is not None:
                with contextlib.suppress(Exception):
                    gen.close()
            self.meta_ready.set()
            while not self.stop_flag.is_set():  # the end marker must arrive, however slow the model is
                try:
                    self.frames.put(_END, timeout=0.1)
                    break
                except queue.Full:
                    continue


class _Writer(threading.Thread):
    """Encodes frames from a queue to `path`; started on the first stylized frame (its size decides)."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float, audio_from: Path | None) -> None:
        super().__init__(name="atelier-video-writer", daemon=True)
        self.path, self.size, self.fps, self.audio_from = path, size, fps, audio_from
        self.frames: queue.Queue = queue.Queue(maxsize=8)
        self.error: str | None = None

    def run(self) -> None:
        import imageio_ffmpeg

        gen = None
        try:
            extra = {"audio_path": str(self.audio_from), "audio_codec": "aac"} if self.audio_from else {}
            gen = imageio_ffmpeg.write_frames(str(self.path), self.size, fps=self.fps or 25.0, quality=8,
                                              macro_block_size=2, pix_fmt_out="yuv420p", ffmpeg_log_level="error",
                                              **extra)
            gen.send(None)
            while True:
                item = self.frames.get()
                if item is _END:
                    break
                gen.send(item)
        except Exception as exc:
            self.error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            while self.frames.get() is not _END:  # drain so the GUI thread never blocks on put
                pass
        finally:
            if gen is not None:
                with contextlib.suppress(Exception):
                    gen.close()


class VideoExporter(QObject):
    progress = Signal(object)  # ExportProgress
    finished = Signal(object)  # Path of the new video
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._reader: _Reader | None = None
        self._writer: _Writer | None = None
        self._in_flight: int | None = None
        self._job: dict = {}
        self._done = 0
        self._started = 0.0
        self._poll = QTimer(self)
        self._poll.setInterval(10)
        self._poll.timeout.connect(self._pump)
        bridge.frame.connect(self._on_result)
        bridge.failed.connect(self._on_failed)

    @property
    def running(self) -> bool:
        return self._reader is not None

    def start(self, source: Path, dest: Path, style: str, strength: float = 1.0, device: str = "auto",
              short_side: int = 0) -> None:
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
        self._job = {"source": source, "dest": dest, "tmp": partial_path(dest), "style": style,
                     "strength": strength, "device": device, "short_side": short_side}
        self._done = 0
        self._started = time.monotonic()
        self._in_flight = None
        self._reader = _Reader(source)
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
        if frame is _END:
            self._poll.stop()
            self._complete()
            return
        self._poll.stop()  # one in flight: wait for its result
        j = self._job
        request = StylizeFrame(pixels=frame.tobytes(), width=frame.shape[1], height=frame.shape[0], style=j["style"],
                               strength=j["strength"], mirror=False, device=j["device"],
                               run_short_side=j["short_side"], captured_at=0.0,
                               brushwork=1.0)  # not live: time for the style's strokes on every frame
        self._in_flight = request.job_id
        self.bridge.submit(request)

    @Slot(object)
    def _on_result(self, result: FrameResult) -> None:
        if result.job_id != self._in_flight or self._reader is None:
            return
        self._in_flight = None
        if self._writer is None:
            meta = self._reader.meta
            audio = self._job["source"] if meta.get("audio_codec") else None
            self._writer = _Writer(self._job["tmp"], (result.width, result.height), float(meta.get("fps") or 25.0),
                                   audio)
            self._writer.start()
        if self._writer.error:
            self._fail(f"Cannot write the video: {self._writer.error}")
            return
        self._writer.frames.put(np.frombuffer(result.pixels, np.uint8).reshape(result.height, result.width, 3))
        self._done += 1
        self.progress.emit(self._progress())
        self._poll.start()
        self._pump()

    @Slot(object)
    def _on_failed(self, event: JobFailed) -> None:
        if event.job_id == self._in_flight:
            self._fail(f"Stylizing the video failed: {event.message}")

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
        self._in_flight = None
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        if reader is not None:
            reader.stop_flag.set()
            with contextlib.suppress(queue.Empty):
                while True:
                    reader.frames.get_nowait()
            reader.join(timeout=5)
        if writer is not None:
            writer.frames.put(_END)
            writer.join(timeout=60)
        if not keep and self._job:
            with contextlib.suppress(OSError):
                self._job["tmp"].unlink()
