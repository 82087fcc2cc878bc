"""The live view driven by a real (generated) video file through QMediaPlayer and the real engine thread.

QMediaPlayer decodes offscreen here (Qt's bundled FFmpeg backend), so these tests use the same
VideoFileSource a user gets from "Open a video file…". The single-slot test uses a scripted source and
a deliberately slow fake runtime instead, to control timing exactly. The view is built as the window
builds it: a LiveViewModel over the shared look, the gallery and the app view-model.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QImage

import desktop_app.viewmodels.live as live_vm_module
from desktop_app.composition import engine_services, make_bridge
from desktop_app.live.live_view import LiveView
from desktop_app.media.sources import CapturedFrame, FrameSource, qimage_to_rgb888
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel
from desktop_app.viewmodels.live import LiveViewModel
from desktop_app.viewmodels.look import LookViewModel
from engine.messages import FrameResult, StylizeFrame

pytestmark = pytest.mark.gui
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")


def write_video(path: Path, frames: int = 24, size: tuple[int, int] = (160, 120), fps: int = 12) -> Path:
    """A small H.264 clip: a gradient sliding right with a square on it."""
    w, h = size
    writer = imageio_ffmpeg.write_frames(str(path), size, fps=fps, macro_block_size=8, ffmpeg_log_level="error")
    writer.send(None)
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(frames):
        img = np.stack([(xx * 2 + i * 6) % 256, (yy * 2) % 256, np.full_like(xx, 100)], -1).astype(np.uint8)
        img[h // 3: h // 3 + 30, 20 + 3 * i: 50 + 3 * i] = (240, 240, 40)
        writer.send(np.ascontiguousarray(img))
    writer.close()
    return path


@pytest.fixture
def video(tmp_path) -> Path:
    return write_video(tmp_path / "clip.mp4")


def live_vm(bridge, settings) -> LiveViewModel:
    app = AppViewModel(bridge, settings)
    look = LookViewModel()
    gallery = GalleryViewModel(bridge.catalog, app, look)
    gallery.refresh()
    return LiveViewModel(app, look, gallery, engine_services())


@pytest.fixture
def bridge(qtbot, catalog):
    b = make_bridge(catalog)
    yield b
    b.shutdown()


@pytest.fixture
def bridge_on(catalog):
    """Bridges around fake runtimes, shut down after the test (each holds the GUI-thread GC guard)."""
    made = []

    def make(runtime):
        made.append(make_bridge(catalog, runtime=runtime))
        return made[-1]

    yield make
    for b in made:
        b.shutdown()


@pytest.fixture
def view(qtbot, bridge, settings):
    v = LiveView(live_vm(bridge, settings))
    qtbot.addWidget(v)
    v.resize(800, 560)
    v.show()
    yield v
    v.vm.shutdown()


def test_frames_arrive_from_a_video_file(qtbot, view, video):
    view.open_video(video)
    qtbot.waitUntil(lambda: view.vm.submitted >= 4 and view.display.current_image() is not None, timeout=60000)
    img = view.display.current_image()
    assert img.width() > 0 and img.height() <= 120
    stats = view.vm.current_stats()
    assert stats.side <= 120 and stats.device == "cpu" and stats.target_fps == 15
    assert stats.shown_side == min(img.width(), img.height())  # a small video is shown at its own size
    assert view.start_button.text() == "Stop"
    assert view.snapshot_button.isEnabled()
    assert not view.display.show_overlay  # the figures stay hidden unless asked for (View menu)


def test_style_switches_mid_stream(qtbot, view, video):
    styles: list[str] = []
    view.vm.frame_changed.connect(lambda shown: shown and styles.append(shown.style_name))
    view.open_video(video)
    qtbot.waitUntil(lambda: "Tiny" in styles, timeout=60000)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)  # keyboard: next style
    if view.vm.look.style != "tiny_two":  # shortcuts need an active window, which offscreen may not give
        view.vm.step_style(1)
    assert view.vm.gallery.current == "tiny_two"  # the gallery follows: one style for every tab
    qtbot.waitUntil(lambda: styles[-1:] == ["Tiny Two"], timeout=60000)
    assert view.vm.running and "Tiny Two" in view.style_label.text()


def test_stop_releases_the_source(qtbot, view, video):
    view.open_video(video)
    qtbot.waitUntil(lambda: view.vm.submitted >= 2, timeout=60000)
    source = view.vm.source
    view.vm.stop()
    assert not view.vm.running and not source.active
    assert source.player is None  # player stopped, file closed, object scheduled for deletion
    delivered, submitted = source.frames_delivered, view.vm.submitted
    qtbot.wait(400)
    assert source.frames_delivered == delivered and view.vm.submitted == submitted
    assert view.start_button.text() == "Start"


def test_the_canvas_says_what_a_chosen_video_will_do(qtbot, view, video, monkeypatch):
    """With no camera, the canvas says so; once a video is chosen it no longer does."""
    monkeypatch.setattr(live_vm_module, "list_cameras", lambda: [])
    view.vm.refresh_sources()
    assert "No camera" in view.display.empty_text
    view.open_video(video, start=False)
    assert "No camera" not in view.display.empty_text and "clip.mp4" in view.display.empty_text


# ----------------------------------------------------------------------------- single slot
class SlowRuntime:
    """A fake engine that takes 150 ms per frame on its own thread and counts frames in flight."""

    def __init__(self) -> None:
        self.sink = None
        self.outstanding = 0
        self.max_outstanding = 0
        self.received = 0
        self._lock = threading.Lock()

    def start(self) -> SlowRuntime:
        return self

    def submit(self, request) -> int:
        assert isinstance(request, StylizeFrame)
        with self._lock:
            self.outstanding += 1
            self.received += 1
            self.max_outstanding = max(self.max_outstanding, self.outstanding)
        threading.Timer(0.15, self._answer, args=(request,)).start()
        return request.job_id

    def _answer(self, r: StylizeFrame) -> None:
        with self._lock:
            self.outstanding -= 1
        self.sink(FrameResult(r.job_id, r.pixels, r.width, r.height, r.style, 150.0, 150.0, r.captured_at))

    def finish_early(self, job_id: int) -> None:
        pass

    def shutdown(self) -> None:
        pass


class ScriptedSource(FrameSource):
    """A camera stand-in that delivers a frame every 5 ms (200 fps) until stopped."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._n = 0

    def start(self) -> None:
        self._set_active(True)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._set_active(False)

    def _tick(self) -> None:
        self._n += 1
        self.frames_delivered += 1
        rgb = np.full((48, 64, 3), self._n % 256, np.uint8)
        self.frame.emit(CapturedFrame(rgb, time.monotonic()))


def test_no_frames_queue_up_behind_a_slow_model(qtbot, bridge_on, settings):
    runtime = SlowRuntime()
    vm = live_vm(bridge_on(runtime), settings)
    source = ScriptedSource()
    vm.use_source(source)
    qtbot.wait(1500)
    vm.stop()
    assert runtime.max_outstanding == 1
    assert source.frames_delivered > 3 * runtime.received  # most captured frames were never sent...
    assert vm.skipped > 0  # ...only the newest waited, the rest were dropped
    assert 3 <= runtime.received <= 12  # about 1.5 s / 150 ms, not 300
    qtbot.wait(300)  # answers still in flight after stop are ignored
    assert vm.in_flight is None


# ----------------------------------------------------------------------------- empty states
def test_no_camera_state(qtbot, bridge_on, monkeypatch, settings):
    monkeypatch.setattr(live_vm_module, "list_cameras", lambda: [])
    view = LiveView(live_vm(bridge_on(SlowRuntime()), settings))
    qtbot.addWidget(view)
    assert "No camera" in view.display.empty_text
    items = [view.source_box.itemText(i) for i in range(view.source_box.count())]
    assert "No camera found" in items and "Open a video file…" in items
    assert not view.start_button.isEnabled()
    view.vm.start()  # no dialog, no exception: the same sentence stays
    assert "open a video file" in view.display.empty_text


def test_camera_failure_shows_a_message_and_stops(qtbot, view):
    from PySide6.QtMultimedia import QCameraDevice

    from desktop_app.media.sources import CameraSource

    view.vm.use_source(CameraSource(QCameraDevice()))  # a null device: QCamera reports an error
    qtbot.waitUntil(lambda: "stopped" in view.display.empty_text, timeout=10000)
    assert "camera" in view.display.empty_text.lower()
    assert not view.vm.running and view.start_button.text() == "Start"


def test_permission_denied_explains_where_to_grant_it(qtbot, view, monkeypatch):
    from PySide6.QtMultimedia import QCameraDevice

    from desktop_app.media import sources

    monkeypatch.setattr(sources, "camera_permission_status", lambda: Qt.PermissionStatus.Denied)
    monkeypatch.setattr(sources.sys, "platform", "darwin")
    view.vm.use_source(sources.CameraSource(QCameraDevice()))
    qtbot.waitUntil(lambda: "System Settings > Privacy" in view.display.empty_text, timeout=5000)
    assert not view.vm.running


def test_qimage_conversion_drops_row_padding():
    img = QImage(13, 5, QImage.Format.Format_RGB32)  # 13 px: RGB888 rows are padded to 40 bytes
    img.fill(0x00FF8000)
    rgb = qimage_to_rgb888(img)
    assert rgb.shape == (5, 13, 3) and rgb.flags.c_contiguous
    assert tuple(rgb[4, 12]) == (255, 128, 0)


def test_a_camera_frame_keeps_its_pixels_after_qt_reuses_the_image():
    """Rows without padding (640x480) must be copied too: a view of the QImage's memory changed under
    the engine when Qt reused it, and the live view painted its own output back into the camera frame."""
    img = QImage(640, 480, QImage.Format.Format_RGB888)
    img.fill(0x00FF8000)
    rgb = qimage_to_rgb888(img)
    img.fill(0x00000000)  # what reusing the memory for the next image does
    assert rgb.shape == (480, 640, 3) and tuple(rgb[0, 0]) == (255, 128, 0) and tuple(rgb[479, 639]) == (255, 128, 0)


# ----------------------------------------------------------------------------- snapshot and export
def test_snapshot_saves_full_resolution_png(qtbot, view, video, tmp_path):
    view.vm.snapshots.folder = tmp_path / "shots"
    view.open_video(video)
    qtbot.waitUntil(lambda: view.display.current_image() is not None, timeout=60000)
    with qtbot.waitSignal(view.vm.snapshot_saved, timeout=60000) as saved:
        view.take_snapshot()
    path = saved.args[0]
    assert path.suffix == ".png" and path.parent == tmp_path / "shots"
    assert QImage(str(path)).size().toTuple() == (160, 120)  # the video's size, not the governor's
    assert not list(path.parent.glob(".*partial"))


def test_export_writes_every_frame_atomically(qtbot, view, video, tmp_path):
    dest = tmp_path / "out.mp4"
    with qtbot.waitSignal(view.vm.exporter.finished, timeout=120000):
        view.vm.export_video(video, dest)
    gen = imageio_ffmpeg.read_frames(str(dest))
    meta = next(gen)
    assert meta["size"] == (160, 120)
    assert sum(1 for _ in gen) == 24
    assert not list(tmp_path.glob(".*partial*"))


def test_export_cancel_leaves_nothing(qtbot, view, video, tmp_path):
    dest = tmp_path / "cancelled.mp4"
    with qtbot.waitSignal(view.vm.exporter.progress, timeout=60000):
        view.vm.export_video(video, dest)
    view.vm.cancel_export()
    assert not dest.exists()
    assert not list(tmp_path.glob(".*partial*"))
    assert not view.export_bar.isVisible()


def test_export_refuses_to_overwrite_the_original(qtbot, view, video):
    with qtbot.waitSignal(view.vm.exporter.failed, timeout=5000) as failed:
        view.vm.export_video(video, video)
    assert "never overwritten" in failed.args[0]


def test_export_without_an_ffmpeg_program_says_what_to_install(qtbot, view, video, tmp_path, monkeypatch):
    """Linux bundles use the system's ffmpeg; without one the user is told, and nothing is written."""
    def no_ffmpeg():
        raise RuntimeError("No ffmpeg exe could be found.")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", no_ffmpeg)
    dest = tmp_path / "painted.mp4"
    with qtbot.waitSignal(view.vm.exporter.failed, timeout=5000) as failed:
        view.vm.export_video(video, dest)
    assert "ffmpeg" in failed.args[0] and "install" in failed.args[0]
    assert not view.vm.exporter.running and not dest.exists() and not list(tmp_path.glob(".*partial*"))


def test_export_behind_a_slow_model_keeps_every_frame(qtbot, bridge_on, video, tmp_path):
    """The reader runs far ahead of a 150 ms/frame model: its queue stays full, and nothing is lost."""
    from desktop_app.viewmodels.look import Look
    from desktop_app.viewmodels.video_export import VideoExporter

    runtime = SlowRuntime()
    exporter = VideoExporter(bridge_on(runtime), engine_services().keep_colors)
    dest = tmp_path / "slow.mp4"
    with qtbot.waitSignal(exporter.finished, timeout=60000):
        exporter.start(video, dest, Look("tiny"))
    assert runtime.max_outstanding == 1 and runtime.received == 24
    gen = imageio_ffmpeg.read_frames(str(dest))
    next(gen)
    assert sum(1 for _ in gen) == 24
