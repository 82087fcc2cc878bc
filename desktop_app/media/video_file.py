"""Reading and writing video files with an ffmpeg program found through `imageio-ffmpeg`.

Why not QMediaPlayer -> QVideoSink for reading here: the player is clock-driven and skips frames the
consumer is too slow for, which is right for a live preview and wrong for an export that must keep
every frame. Why not QMediaRecorder for writing: it records from a camera or screen capture, it
cannot take raw frames. So both ends use ffmpeg: a reader thread decodes frames into a short queue,
a writer thread encodes H.264 (and copies the source's audio track back in). Output goes to a hidden
temporary name first (`partial_path`). Windows and macOS installers ship the wheel's ffmpeg; the Linux
one uses the distribution's (Qt's own FFmpeg libraries have no software H.264 encoder there, and a
second copy would be 165 MiB), so a missing program is reported before anything starts
(`ffmpeg_missing`).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from pathlib import Path

import numpy as np

END = object()  # the last item of a frame queue


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


class VideoReader(threading.Thread):
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
                    self.frames.put(END, timeout=0.1)
                    break
                except queue.Full:
                    continue


class VideoWriter(threading.Thread):
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
                if item is END:
                    break
                gen.send(item)
        except Exception as exc:
            self.error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            while self.frames.get() is not END:  # drain so the GUI thread never blocks on put
                pass
        finally:
            if gen is not None:
                with contextlib.suppress(Exception):
                    gen.close()
