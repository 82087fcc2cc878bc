"""The live view-model: frames in from a source, one StylizeFrame in flight, the picture and figures out.

It paints the shared look (style, strength, brushwork, preserve colours) like Photo and Batch do, on
the device the app uses. Single slot on our side too (DESIGN.md section 1): a new frame is submitted
only when the previous one's handle has ended; meanwhile only the newest captured frame waits, the
rest are dropped and counted. So a slow model never builds a queue, latency stays at about one frame
time, and the engine's own slot (newest wins) is a second line of defence, not the mechanism.

"Preserve colours" is applied here, to the answer, with the engine's own `keep_colors`: the live
request carries no such option, and at live sizes (a few hundred pixels) one pass costs a millisecond
or two. Sources (camera, video file) come from `desktop_app.media`; snapshots and video export are
small helpers with their own handles.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.bridge import JobHandle
from desktop_app.imaging import cover, rgb_to_qimage
from desktop_app.live.governor import ResolutionGovernor, target_fps_for
from desktop_app.media.sources import (
    CameraSource,
    CapturedFrame,
    FrameSource,
    VideoFileSource,
    camera_watch,
    list_cameras,
)
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel
from desktop_app.viewmodels.look import LookViewModel
from desktop_app.viewmodels.properties import Property
from desktop_app.viewmodels.screen import LookScreen
from desktop_app.viewmodels.services import EngineServices
from desktop_app.viewmodels.snapshot import Snapshotter
from desktop_app.viewmodels.video_export import ExportProgress, VideoExporter
from engine.messages import FrameResult, JobFailed, StylizeFrame

STALL_S = 10.0  # a frame with no answer after this long is forgotten (e.g. dropped by a busy engine)
FPS_WINDOW_S = 2.0
NO_CAMERA = ("No camera", "No camera was found. Plug one in (it appears here by itself), "
                          "or open a video file to try styles on moving pictures.")
IDLE = ("Live view", "Choose a camera or a video file, then press Start.")


@dataclass(frozen=True)
class LiveStats:
    fps: float  # stylized frames shown per second (last two seconds)
    latency_ms: float  # capture -> result on screen, smoothed
    compute_ms: float  # model time per frame, smoothed
    side: int  # short side the model runs at (the governor's choice)
    target_fps: float
    skipped: int  # captured frames replaced by a newer one before they were sent
    device: str
    shown_side: int = 0  # short side of the frames shown (larger than `side` when painted small, delivered sharp)


@dataclass(frozen=True, eq=False)  # compared by identity: every answer is a new picture
class ShownFrame:
    image: object  # QImage
    style_name: str


@dataclass(frozen=True)
class SourceChoice:
    label: str
    key: object  # ("camera", id bytes) or ("video", Path); None: nothing to choose


def resolved_device_spec(spec: str) -> str:
    """'auto' -> the device the engine will pick (cached probe), so the governor knows its target."""
    if spec != "auto":
        return spec
    try:
        from engine.devices import resolve_device

        return resolve_device("auto").spec
    except Exception:  # the engine reports device problems itself; the governor just assumes a CPU
        return "cpu"


class LiveViewModel(LookScreen):
    running = Property(False)
    frame = Property(None)         # ShownFrame: the newest stylized frame
    placeholder = Property(IDLE)   # (title, sentence) shown while there is no frame
    stats = Property(None)         # LiveStats
    show_stats = Property(False)   # the fps / latency overlay (View menu); off: most people never need it
    mirror = Property(False)
    sources = Property(())         # tuple[SourceChoice, ...]
    source_key = Property(None)    # key of the chosen source
    message = Property("")         # one line under the picture (snapshot saved, export progress)
    exporting = Property(False)
    export_progress = Property(None)  # ExportProgress
    snapshot_saved = Signal(object)   # Path

    def __init__(self, app: AppViewModel, look: LookViewModel, gallery: GalleryViewModel,
                 services: EngineServices) -> None:
        super().__init__(app, look, gallery, services)
        self.governor = ResolutionGovernor(target_fps_for(resolved_device_spec(app.device)))
        self.source: FrameSource | None = None
        self.latest: CapturedFrame | None = None  # newest captured frame (snapshots use it at full size)
        self._video: Path | None = None
        self._cameras: dict[object, object] = {}
        self._watch: QObject | None = None
        self._waiting: CapturedFrame | None = None
        self._in_flight: tuple[JobHandle, CapturedFrame] | None = None
        self._sent_at = 0.0
        self._sent_side = 0
        self._shown: deque[float] = deque()
        self._latency: float | None = None
        self.skipped = 0
        self.submitted = 0
        self.max_in_flight = 0  # tests check it never exceeds 1
        self.snapshots = Snapshotter(app.bridge, self)
        self.exporter = VideoExporter(app.bridge, services.keep_colors, self)
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(1000)
        self._watchdog.timeout.connect(self._check_stalled)
        look.style_changed.connect(lambda _slug: self.governor.reset())  # another model, another cost
        app.device_changed.connect(self._on_device)
        self.snapshots.saved.connect(self._on_snapshot_saved)
        self.snapshots.failed.connect(self.say)
        self.exporter.progress.connect(self._on_export_progress)
        self.exporter.finished.connect(lambda path: self._end_export(f"Saved {path}"))
        self.exporter.failed.connect(self._end_export)
        self.exporter.cancelled.connect(lambda: self._end_export("Export cancelled; nothing was written."))

    # ------------------------------------------------------------------ sources
    def refresh_sources(self) -> None:
        """Cameras plugged in now, and the video file opened last (if any)."""
        if self._watch is None:  # created on first use: it starts the multimedia backend
            self._watch = camera_watch(self)
            self._watch.videoInputsChanged.connect(lambda: None if self.running else self.refresh_sources())
        cameras = list_cameras()
        self._cameras = {("camera", bytes(d.id().data())): d for d in cameras}
        choices = [SourceChoice(d.description() or "Camera", key) for key, d in self._cameras.items()]
        if self._video is not None:
            choices.append(SourceChoice(f"Video: {self._video.name}", ("video", self._video)))
        if not choices:
            choices.append(SourceChoice("No camera found", None))
        self.sources = tuple(choices)
        keys = [c.key for c in choices]
        if self.source_key not in keys:
            self.source_key = keys[0]
        if self.source_key is None and not self.running:
            self._placeholder(NO_CAMERA)

    def choose_source(self, key: object) -> None:
        """Use a camera or the video file listed in `sources` (stops the feed)."""
        self.source_key = key
        self._use(self._source_for(key))

    def open_video(self, path: Path, start: bool = True) -> None:
        """Use a video file as the source (loops), e.g. to try styles without a camera."""
        self._video = Path(path)
        self.refresh_sources()
        self.choose_source(("video", self._video))
        if start:
            self.start()

    def use_source(self, source: FrameSource, start: bool = True) -> None:
        """Any FrameSource (tests feed scripted ones)."""
        self._use(source)
        if start:
            self.start()

    def _source_for(self, key: object) -> FrameSource | None:
        if isinstance(key, tuple) and key[0] == "video":
            return VideoFileSource(key[1])
        device = self._cameras.get(key)
        return CameraSource(device) if device is not None else None

    def _use(self, source: FrameSource | None) -> None:
        """Replace the source (stops the feed; the old source is released)."""
        self.stop()
        if self.source is not None:
            self.source.frame.disconnect(self._on_frame)
            self.source.error.disconnect(self._on_source_error)
            self.source.deleteLater()
        self.source = source
        if source is not None:
            source.setParent(self)
            source.frame.connect(self._on_frame)
            source.error.connect(self._on_source_error)
            self._placeholder(("Ready", f"{source.description()}: press Start to see it in the chosen style."))
        else:
            self._placeholder(NO_CAMERA if self.source_key is None else IDLE)

    # ------------------------------------------------------------------ start / stop
    @property
    def can_start(self) -> bool:
        return (self.source is not None or self._source_for(self.source_key) is not None) and bool(self.look.style) \
            and not self.exporter.running

    def start(self) -> None:
        if self.running:
            return
        if self.source is None:
            self._use(self._source_for(self.source_key))
        if self.source is None:
            self._placeholder(NO_CAMERA)
            return
        if not self.look.style:
            self.say("No style is installed yet: import or train one first.")
            return
        if self.exporter.running:
            self.say("A video export is running; the live view starts when it is done.")
            return
        self._placeholder(("Starting…", f"Opening {self.source.description()}"))
        self.message = ""
        self._shown.clear()
        self._latency = None
        self._in_flight = None
        self._waiting = None
        self.running = True
        self._watchdog.start()
        self.source.start()

    def stop(self) -> None:
        """Stop capturing and release the camera/file; an answer still in flight is ignored."""
        if self.source is not None and self.source.active:
            self.source.stop()
        if not self.running:
            return
        self._watchdog.stop()
        self._waiting = None
        self._in_flight = None
        self.stats = None
        self.running = False

    def toggle(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def shutdown(self) -> None:
        """Leaving the tab or the app: no camera stays open, no export keeps running."""
        self.stop()
        if self.exporter.running:
            self.exporter.cancel()

    @property
    def in_flight(self) -> int | None:
        return self._in_flight[0].job_id if self._in_flight is not None else None

    # ------------------------------------------------------------------ style and device
    def step_style(self, delta: int) -> None:
        self.gallery.step(delta)

    def select_style_index(self, index: int) -> None:
        entries = self.gallery.model.entries
        if 0 <= index < len(entries):
            self.gallery.select(entries[index].slug)

    def _on_device(self, spec: str) -> None:
        self.governor.set_target_fps(target_fps_for(resolved_device_spec(spec)))
        self.governor.reset()

    # ------------------------------------------------------------------ the slot
    def _on_frame(self, frame: CapturedFrame) -> None:
        if not self.running:
            return
        self.latest = frame
        if self._waiting is not None:
            self.skipped += 1
        self._waiting = frame
        self.governor.set_source_size(frame.width, frame.height)
        self._pump()

    def _pump(self) -> None:
        if not self.running or self._in_flight is not None or self._waiting is None or not self.look.style:
            return
        frame, self._waiting = self._waiting, None
        side = self.governor.side
        look = self.look
        request = StylizeFrame(pixels=frame.rgb.tobytes(), width=frame.width, height=frame.height, style=look.style,
                               strength=look.strength, mirror=self.mirror, device=self.app.device,
                               run_short_side=side, captured_at=frame.captured_at, brushwork=look.brushwork)
        self._sent_at = time.monotonic()
        self._sent_side = min(side, frame.width, frame.height)
        self.submitted += 1
        self.max_in_flight = max(self.max_in_flight, 1)
        job = self.app.bridge.submit(request)
        self._in_flight = (job, frame)
        job.frame.connect(lambda result, j=job: self._on_result(j, result))
        job.failed.connect(lambda event, j=job: self._on_failed(j, event))

    def _on_result(self, job: JobHandle, result: FrameResult) -> None:
        if self._in_flight is None or self._in_flight[0] is not job:
            return  # the answer to a frame sent before a stop/restart
        frame = self._in_flight[1]
        self._in_flight = None
        now = time.monotonic()
        self._shown.append(now)
        while self._shown and now - self._shown[0] > FPS_WINDOW_S:
            self._shown.popleft()
        latency = result.latency_ms
        self._latency = latency if self._latency is None else self._latency + 0.2 * (latency - self._latency)
        self.governor.update(result.compute_ms, self._sent_side)
        rgb = np.frombuffer(result.pixels, np.uint8).reshape(result.height, result.width, 3)
        if self.look.preserve_colors:
            seen = frame.rgb[:, ::-1] if self.mirror else frame.rgb  # the engine mirrors before painting
            rgb = self.services.keep_colors(rgb, cover(seen, result.width, result.height))
        entry = self.gallery.entry(result.style)
        self.frame = ShownFrame(rgb_to_qimage(rgb), entry.name if entry is not None else result.style)
        self.stats = self.current_stats()
        self._pump()

    def _on_failed(self, job: JobHandle, event: JobFailed) -> None:
        if self._in_flight is None or self._in_flight[0] is not job:
            return
        self._in_flight = None
        self.stop()
        self._placeholder(("The live view stopped", event.message))

    def _on_source_error(self, message: str) -> None:
        self.stop()
        self.refresh_sources()  # an unplugged camera leaves the list (this may say "No camera"...)
        self._placeholder(("The live view stopped", message))  # ...but the reason matters more

    def _check_stalled(self) -> None:
        if self._in_flight is not None and time.monotonic() - self._sent_at > STALL_S:
            self._in_flight = None
            self._pump()

    def _placeholder(self, text: tuple[str, str]) -> None:
        self.frame = None
        self.placeholder = text

    # ------------------------------------------------------------------ figures
    def fps(self) -> float:
        if len(self._shown) < 2:
            return 0.0
        span = self._shown[-1] - self._shown[0]
        return (len(self._shown) - 1) / span if span > 0 else 0.0

    def current_stats(self) -> LiveStats:
        image = self.frame.image if self.frame is not None else None  # the frame on screen, if any
        shown_side = min(image.width(), image.height()) if image is not None else 0
        return LiveStats(self.fps(), self._latency or 0.0, self.governor.smoothed_ms or 0.0, self.governor.side,
                         self.governor.target_fps, self.skipped, resolved_device_spec(self.app.device),
                         shown_side)

    # ------------------------------------------------------------------ snapshots
    @property
    def snapshot_folder(self) -> Path:
        return self.snapshots.folder

    @snapshot_folder.setter
    def snapshot_folder(self, folder: Path) -> None:
        self.snapshots.folder = Path(folder)
        self.say(f"Snapshots go to {folder}")

    def take_snapshot(self) -> bool:
        frame = self.latest
        if frame is None or not self.running:
            self.say("Start the live view to take a snapshot.")
            return False
        self.snapshots.take(frame, self.look.current(), self.mirror, self.app.device)
        self.say(f"Saving a {frame.width}x{frame.height} snapshot…")
        return True

    def _on_snapshot_saved(self, path: Path) -> None:
        self.message = f"Saved {path.name}"
        self.app.post_notice(f"Saved {path}")
        self.snapshot_saved.emit(path)

    # ------------------------------------------------------------------ video export
    def export_video(self, source: Path, dest: Path, short_side: int = 0) -> None:
        """Stylize `source` into `dest` (the live feed pauses: both would share the engine's live slot)."""
        self.stop()
        look = self.look.current()
        self.exporting = True
        self.export_progress = ExportProgress(0, 0, None)
        self.say(f"Stylizing {Path(source).name}…")
        self.exporter.start(source, dest, look, self.app.device, short_side)
        if not self.exporter.running:
            self.exporting = False

    def cancel_export(self) -> None:
        self.exporter.cancel()

    def _on_export_progress(self, p: ExportProgress) -> None:
        self.export_progress = p
        eta = f", about {p.eta_s:.0f} s left" if p.eta_s is not None else ""
        self.message = f"Stylizing video: frame {p.done}" + (f" of ~{p.total}" if p.total else "") + eta

    def _end_export(self, text: str) -> None:
        self.exporting = False
        self.export_progress = None
        self.say(text)

    def say(self, text: str) -> None:
        self.message = text
        self.app.post_notice(text)
