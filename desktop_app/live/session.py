"""The live view-model: frames in from a source, one StylizeFrame in flight, results and figures out.

Single slot on our side too (DESIGN.md section 1): a new frame is submitted only when the previous
FrameResult (or failure) has arrived; meanwhile only the newest captured frame waits, the rest are
dropped and counted. So a slow model never builds a queue, latency stays at about one frame time,
and the engine's own slot (newest wins) is a second line of defence, not the mechanism.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop_app.live.governor import ResolutionGovernor, target_fps_for
from desktop_app.live.sources import CapturedFrame, FrameSource
from engine.messages import FrameResult, JobFailed, StylizeFrame

STALL_S = 10.0  # a frame with no answer after this long is forgotten (e.g. dropped by a busy engine)
FPS_WINDOW_S = 2.0


@dataclass(frozen=True)
class LiveStats:
    fps: float  # stylized frames shown per second (last two seconds)
    latency_ms: float  # capture -> result on screen, smoothed
    compute_ms: float  # model time per frame, smoothed
    side: int  # short side the model runs at (the governor's choice)
    target_fps: float
    skipped: int  # captured frames replaced by a newer one before they were sent
    device: str


def resolved_device_spec(spec: str) -> str:
    """'auto' -> the device the engine will pick (cached probe), so the governor knows its target."""
    if spec != "auto":
        return spec
    try:
        from engine.devices import resolve_device

        return resolve_device("auto").spec
    except Exception:  # the engine reports device problems itself; the governor just assumes a CPU
        return "cpu"


class LiveSession(QObject):
    result = Signal(object)  # FrameResult, to show
    stats_changed = Signal(object)  # LiveStats
    failed = Signal(str)  # the engine could not stylize (the session stops)
    source_error = Signal(str)  # the camera / file stopped (the session stops)
    running_changed = Signal(bool)

    def __init__(self, bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.style = ""
        self.mirror = False
        self.strength = 1.0
        self.brushwork = 0.0  # the style's strokes, off until asked for: they cost frame rate on a CPU
        self.device = "auto"
        self.governor = ResolutionGovernor(target_fps_for(resolved_device_spec(self.device)))
        self.source: FrameSource | None = None
        self.latest: CapturedFrame | None = None  # newest captured frame (snapshots use it at full size)
        self._waiting: CapturedFrame | None = None
        self._in_flight: int | None = None
        self._sent_at = 0.0
        self._sent_side = 0
        self._running = False
        self._shown: deque[float] = deque()
        self._latency: float | None = None
        self.skipped = 0
        self.submitted = 0
        self.max_in_flight = 0  # tests check it never exceeds 1
        bridge.frame.connect(self._on_result)
        bridge.failed.connect(self._on_failed)
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(1000)
        self._watchdog.timeout.connect(self._check_stalled)

    # ------------------------------------------------------------------ settings
    @property
    def running(self) -> bool:
        return self._running

    @property
    def in_flight(self) -> int | None:
        return self._in_flight

    def set_style(self, slug: str) -> None:
        """Takes effect with the next frame; the engine resets its temporal state for a new model."""
        if slug != self.style:
            self.style = slug
            self.governor.reset()

    def set_device(self, spec: str) -> None:
        self.device = spec or "auto"
        self.governor.set_target_fps(target_fps_for(resolved_device_spec(self.device)))
        self.governor.reset()

    def set_source(self, source: FrameSource | None) -> None:
        """Replace the source (stops the session; the old source is released)."""
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

    # ------------------------------------------------------------------ start / stop
    def start(self) -> None:
        if self._running or self.source is None:
            return
        self._running = True
        self._shown.clear()
        self._latency = None
        self._in_flight = None
        self._waiting = None
        self._watchdog.start()
        self.running_changed.emit(True)
        self.source.start()

    def stop(self) -> None:
        """Stop capturing and release the camera/file; a result still in flight is ignored."""
        if self.source is not None and self.source.active:
            self.source.stop()
        if not self._running:
            return
        self._running = False
        self._watchdog.stop()
        self._waiting = None
        self._in_flight = None
        self.running_changed.emit(False)

    # ------------------------------------------------------------------ the slot
    @Slot(object)
    def _on_frame(self, frame: CapturedFrame) -> None:
        if not self._running:
            return
        self.latest = frame
        if self._waiting is not None:
            self.skipped += 1
        self._waiting = frame
        self.governor.set_source_size(frame.width, frame.height)
        self._pump()

    def _pump(self) -> None:
        if not self._running or self._in_flight is not None or self._waiting is None or not self.style:
            return
        frame, self._waiting = self._waiting, None
        side = self.governor.side
        request = StylizeFrame(pixels=frame.rgb.tobytes(), width=frame.width, height=frame.height, style=self.style,
                               strength=self.strength, mirror=self.mirror, device=self.device, run_short_side=side,
                               captured_at=frame.captured_at, brushwork=self.brushwork)
        self._in_flight = request.job_id
        self._sent_at = time.monotonic()
        self._sent_side = min(side, frame.width, frame.height)
        self.submitted += 1
        self.max_in_flight = max(self.max_in_flight, 1)
        self.bridge.submit(request)

    @Slot(object)
    def _on_result(self, result: FrameResult) -> None:
        if result.job_id != self._in_flight:
            return  # an answer to a frame sent before a stop/restart
        self._in_flight = None
        now = time.monotonic()
        self._shown.append(now)
        while self._shown and now - self._shown[0] > FPS_WINDOW_S:
            self._shown.popleft()
        latency = result.latency_ms
        self._latency = latency if self._latency is None else self._latency + 0.2 * (latency - self._latency)
        self.governor.update(result.compute_ms, self._sent_side)
        self.result.emit(result)
        self.stats_changed.emit(self.stats())
        self._pump()

    @Slot(object)
    def _on_failed(self, event: JobFailed) -> None:
        if event.job_id != self._in_flight:
            return
        self._in_flight = None
        self.stop()
        self.failed.emit(event.message)

    @Slot(str)
    def _on_source_error(self, message: str) -> None:
        self.stop()
        self.source_error.emit(message)

    def _check_stalled(self) -> None:
        if self._in_flight is not None and time.monotonic() - self._sent_at > STALL_S:
            self._in_flight = None
            self._pump()

    # ------------------------------------------------------------------ figures
    def fps(self) -> float:
        if len(self._shown) < 2:
            return 0.0
        span = self._shown[-1] - self._shown[0]
        return (len(self._shown) - 1) / span if span > 0 else 0.0

    def stats(self) -> LiveStats:
        return LiveStats(self.fps(), self._latency or 0.0, self.governor.smoothed_ms or 0.0, self.governor.side,
                         self.governor.target_fps, self.skipped, resolved_device_spec(self.device))
