"""Frame sources for the live view: a camera or a video file, behind one small interface.

Both deliver `CapturedFrame`s (RGB uint8 numpy arrays + the monotonic time they were captured) on the
GUI thread through the `frame` signal, report problems through `error` (a sentence for the user, never
an exception or a dialog), and release the device on `stop()`.

QVideoFrame -> RGB: `QVideoFrame.toImage()` does the YUV -> RGB conversion (on the GPU where Qt
has one, else SIMD code on the CPU) and hands back a 32-bit QImage; `convertToFormat(RGB888)` is
another SIMD pass, and one numpy copy (dropping the row padding) gives an array the engine owns.
That is two passes over the pixels; any numpy-side channel shuffling would be slower.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import (
    QCamera,
    QCameraDevice,
    QCameraFormat,
    QMediaCaptureSession,
    QMediaDevices,
    QMediaPlayer,
    QVideoFrame,
    QVideoSink,
)

PREFERRED_MAX_PIXELS = 1920 * 1080  # above this a live feed only costs conversions, not quality


def preload_torch_compiler() -> None:
    """Import torch._dynamo (which loads triton's native library) before the first playback.

    Observed here (PySide6 6.12, torch with triton, Linux/X11): after a live session had played video
    through Qt's FFmpeg backend, the first training job segfaulted inside `import triton` (torch
    imports it lazily from Adam's constructor, on the engine thread). Loading it before any playback
    avoided the crash in every run. It costs about a second once, while the camera opens anyway.
    """
    global _preloaded
    if _preloaded:
        return
    _preloaded = True
    with contextlib.suppress(Exception):  # no compiler stack in this build: nothing to protect against
        import torch._dynamo  # noqa: F401


_preloaded = False


@dataclass(frozen=True)
class CapturedFrame:
    rgb: np.ndarray  # H x W x 3 uint8, C-contiguous, owned (not a view into Qt memory)
    captured_at: float  # time.monotonic() when the frame reached us

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


class UnsupportedFrame(Exception):
    """The frame's pixel format cannot be converted to RGB."""


def qimage_to_rgb888(image: QImage) -> np.ndarray:
    """A QImage as an owned H x W x 3 uint8 array (one SIMD conversion, one copy)."""
    if image.format() != QImage.Format.Format_RGB888:
        image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    # Always a copy: when rows have no padding (3 * w a multiple of 4, e.g. 640x480) the slice is
    # already contiguous and `ascontiguousarray` returned a view of the QImage's memory, freed with it;
    # the next image of that size (the stylized frame shown at 640x480) reused it, so the live view
    # painted its own output back into the camera frame and faded to black.
    return np.array(buf[:, : 3 * w]).reshape(h, w, 3)


def video_frame_to_rgb(frame: QVideoFrame) -> np.ndarray:
    """QVideoFrame -> RGB array; raises UnsupportedFrame for formats Qt cannot convert."""
    image = frame.toImage()
    if image.isNull():
        raise UnsupportedFrame(f"the video delivers frames in a format Qt cannot convert ({frame.pixelFormat().name})")
    return qimage_to_rgb888(image)


class FrameSource(QObject):
    """Base class: `start()`, `stop()`, `frame(CapturedFrame)`, `error(str)`, `active_changed(bool)`."""

    frame = Signal(object)
    error = Signal(str)
    active_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._active = False
        self.frames_delivered = 0

    @property
    def active(self) -> bool:
        return self._active

    def description(self) -> str:
        return "frame source"

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _set_active(self, active: bool) -> None:
        if active != self._active:
            self._active = active
            self.active_changed.emit(active)

    def _fail(self, message: str) -> None:
        """Stop and tell the user why (once); the view shows the sentence in its empty state."""
        was_active = self._active
        self.stop()
        if was_active:
            self.error.emit(message)

    def _deliver(self, video_frame: QVideoFrame) -> None:
        if not self._active or not video_frame.isValid():
            return
        captured = time.monotonic()
        try:
            rgb = video_frame_to_rgb(video_frame)
        except UnsupportedFrame as exc:
            self._fail(str(exc))
            return
        self.frames_delivered += 1
        self.frame.emit(CapturedFrame(rgb, captured))


# --------------------------------------------------------------------------------------- cameras
def list_cameras() -> list[QCameraDevice]:
    return list(QMediaDevices.videoInputs())


def camera_watch(parent: QObject | None = None) -> QMediaDevices:
    """Emits `videoInputsChanged` when a camera is plugged in or out."""
    return QMediaDevices(parent)


def choose_format(device: QCameraDevice, max_pixels: int = PREFERRED_MAX_PIXELS) -> QCameraFormat | None:
    """The largest format up to `max_pixels` that still runs at 15 fps or more (None: camera default).

    Large frames matter for snapshots (saved at camera resolution); the live model runs at the
    governor's size anyway. Formats below 15 fps make the live view feel broken.
    """
    formats = [f for f in device.videoFormats() if f.resolution().width() * f.resolution().height() <= max_pixels]
    if not formats:
        return None
    fast = [f for f in formats if f.maxFrameRate() >= 15] or formats
    return max(fast, key=lambda f: (f.resolution().width() * f.resolution().height(), f.maxFrameRate()))


def permission_hint() -> str:
    """How to grant camera access on this platform (the OS asks only once)."""
    if sys.platform == "darwin":
        return ("Atelier is not allowed to use the camera. Open System Settings > Privacy & Security > Camera, "
                "turn on Atelier, then restart Atelier.")
    if sys.platform.startswith("win"):
        return ("Atelier is not allowed to use the camera. Open Settings > Privacy & security > Camera and turn on "
                "\"Let desktop apps access your camera\".")
    return "Atelier is not allowed to use the camera. Check that your user may open /dev/video* (the 'video' group)."


def camera_permission_status() -> Qt.PermissionStatus:
    """Granted, Denied or Undetermined; Granted where the platform has no permission model."""
    from PySide6.QtCore import QCameraPermission, QCoreApplication

    app = QCoreApplication.instance()
    if app is None:
        return Qt.PermissionStatus.Granted
    return app.checkPermission(QCameraPermission())


class CameraSource(FrameSource):
    """QCamera -> QMediaCaptureSession -> QVideoSink."""

    def __init__(self, device: QCameraDevice, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device = device
        self._camera: QCamera | None = None
        self._session: QMediaCaptureSession | None = None
        self._sink: QVideoSink | None = None
        self._devices = QMediaDevices(self)
        self._devices.videoInputsChanged.connect(self._check_still_plugged)

    def description(self) -> str:
        return self.device.description() or "camera"

    def start(self) -> None:
        if self._active:
            return
        status = camera_permission_status()
        if status == Qt.PermissionStatus.Undetermined:
            self._request_permission()
            return
        if status == Qt.PermissionStatus.Denied:
            self.error.emit(permission_hint())
            return
        self._open()

    def _request_permission(self) -> None:
        from PySide6.QtCore import QCameraPermission, QCoreApplication

        def answered(permission: object) -> None:
            if camera_permission_status() == Qt.PermissionStatus.Granted:
                self._open()
            else:
                self.error.emit(permission_hint())

        QCoreApplication.instance().requestPermission(QCameraPermission(), self, answered)

    def _open(self) -> None:
        preload_torch_compiler()
        self._camera = QCamera(self.device, self)
        fmt = choose_format(self.device)
        if fmt is not None:
            self._camera.setCameraFormat(fmt)
        self._session = QMediaCaptureSession(self)
        self._sink = QVideoSink(self)
        self._session.setCamera(self._camera)
        self._session.setVideoSink(self._sink)
        self._camera.errorOccurred.connect(self._on_error)
        self._camera.activeChanged.connect(self._on_active_changed)
        self._sink.videoFrameChanged.connect(self._deliver)
        self._set_active(True)
        self._camera.start()
        # a missing or busy device can fail inside the constructor, before errorOccurred was connected
        if self._camera is not None and self._camera.error() != QCamera.Error.NoError:
            self._on_error(self._camera.error(), self._camera.errorString())

    def stop(self) -> None:
        camera, session, sink = self._camera, self._session, self._sink
        self._camera = self._session = self._sink = None
        self._set_active(False)
        if sink is not None:
            sink.videoFrameChanged.disconnect(self._deliver)
        if camera is not None:
            camera.errorOccurred.disconnect(self._on_error)
            camera.activeChanged.disconnect(self._on_active_changed)
            camera.stop()
        if session is not None:
            session.setCamera(None)
            session.setVideoSink(None)
        for obj in (camera, session, sink):
            if obj is not None:
                obj.deleteLater()  # releases the device handle so other apps can use the camera

    def _on_error(self, error: QCamera.Error, text: str) -> None:
        if error == QCamera.Error.NoError:
            return
        detail = f" ({text})" if text else ""
        self._fail(f"The camera \"{self.description()}\" stopped: it may be in use by another app or was "
                   f"unplugged{detail}.")

    def _on_active_changed(self, active: bool) -> None:
        if not active and self._active and self._camera is not None and self._camera.error() != QCamera.Error.NoError:
            self._on_error(self._camera.error(), self._camera.errorString())

    def _check_still_plugged(self) -> None:
        if self._active and all(d.id() != self.device.id() for d in QMediaDevices.videoInputs()):
            self._fail(f"The camera \"{self.description()}\" was unplugged.")


# --------------------------------------------------------------------------------------- files
class VideoFileSource(FrameSource):
    """QMediaPlayer -> QVideoSink, looping: a stand-in camera (demos, tests, the benchmark).

    The player is clock-driven: when the model is slower than the video, frames are skipped, exactly
    like a camera. (Writing a stylized copy of a file needs every frame: see `video_export`.)
    """

    def __init__(self, path: Path, loop: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.loop = loop
        self._player: QMediaPlayer | None = None
        self._sink: QVideoSink | None = None

    def description(self) -> str:
        return self.path.name

    def start(self) -> None:
        if self._active:
            return
        if not self.path.is_file():
            self.error.emit(f"The video file {self.path} does not exist.")
            return
        preload_torch_compiler()
        self._player = QMediaPlayer(self)
        self._sink = QVideoSink(self)
        self._player.setVideoSink(self._sink)
        self._player.setLoops(QMediaPlayer.Loops.Infinite if self.loop else 1)
        self._player.errorOccurred.connect(self._on_error)
        self._player.mediaStatusChanged.connect(self._on_status)
        self._sink.videoFrameChanged.connect(self._deliver)
        self._player.setSource(QUrl.fromLocalFile(str(self.path)))
        self._set_active(True)
        self._player.play()

    def stop(self) -> None:
        player, sink = self._player, self._sink
        self._player = self._sink = None
        self._set_active(False)
        if sink is not None:
            sink.videoFrameChanged.disconnect(self._deliver)
        if player is not None:
            player.errorOccurred.disconnect(self._on_error)
            player.mediaStatusChanged.disconnect(self._on_status)
            player.stop()
            player.setSource(QUrl())  # closes the file
            player.deleteLater()
        if sink is not None:
            sink.deleteLater()

    @property
    def player(self) -> QMediaPlayer | None:
        return self._player

    def _on_error(self, error: QMediaPlayer.Error, text: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self._fail(f"Cannot play {self.path.name}: {text or error.name}.")

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._fail(f"Cannot play {self.path.name}: not a video Atelier can read.")
        elif status == QMediaPlayer.MediaStatus.EndOfMedia and not self.loop:
            self.stop()
