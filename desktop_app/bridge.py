"""The one object between Qt and the engine thread.

`EngineBridge` owns an `EngineRuntime`, submits requests for the view-models, and turns engine
events (delivered on the engine thread) into Qt signals on the GUI thread (queued connections) and,
for qasync code, into asyncio futures resolved with `loop.call_soon_threadsafe`.
Widgets never call the engine; view-models call the bridge.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from desktop_app import gui_gc
from engine.catalog import Catalog
from engine.messages import (
    Cancel,
    Event,
    FrameResult,
    JobCancelled,
    JobFailed,
    JobFinished,
    JobNotice,
    JobPreview,
    JobProgress,
    JobStarted,
    Pause,
    Request,
    Resume,
)
from engine.runtime import EngineRuntime


class EngineBridge(QObject):
    # Generic event stream (any engine Event), delivered on the GUI thread.
    event = Signal(object)
    # Typed conveniences, all carrying the event dataclass itself.
    started = Signal(object)
    progress = Signal(object)
    preview = Signal(object)
    notice = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal(object)
    frame = Signal(object)
    _deliver = Signal(object)  # engine thread -> GUI thread hop

    def __init__(self, catalog: Catalog | None = None, runtime: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog or Catalog()
        self._futures: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
        self._deliver.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        # `runtime` may be a scripted fake with the same submit/shutdown/finish_early methods (tests).
        self.runtime = runtime if runtime is not None else EngineRuntime(self._from_engine, self.catalog)
        if runtime is not None and hasattr(runtime, "sink"):
            runtime.sink = self._from_engine
        gui_gc.hold()  # no Qt object may be garbage-collected on the engine thread
        self._holds_gc = True
        self.runtime.start()

    # called on the engine thread
    def _from_engine(self, event: Event) -> None:
        fut = self._futures.get(event.job_id)
        if fut is not None and isinstance(event, JobFinished | JobFailed | JobCancelled):
            loop, future = fut
            loop.call_soon_threadsafe(self._resolve, future, event)
        self._deliver.emit(event)

    @staticmethod
    def _resolve(future: asyncio.Future, event: Event) -> None:
        if not future.done():
            future.set_result(event)

    @Slot(object)
    def _on_event(self, event: Event) -> None:
        if isinstance(event, JobFinished | JobFailed | JobCancelled):
            self._futures.pop(event.job_id, None)
        self.event.emit(event)
        for kind, signal in ((JobStarted, self.started), (JobProgress, self.progress), (JobPreview, self.preview),
                             (JobNotice, self.notice), (JobFinished, self.finished), (JobFailed, self.failed),
                             (JobCancelled, self.cancelled), (FrameResult, self.frame)):
            if isinstance(event, kind):
                signal.emit(event)
                break

    # ------------------------------------------------------------------------- API for view-models
    def submit(self, request: Request) -> int:
        return self.runtime.submit(request)

    def submit_async(self, request: Request) -> asyncio.Future:
        """Submit and get a future resolved with the job's final event (qasync code awaits it)."""
        loop = asyncio.get_event_loop()
        future: asyncio.Future = loop.create_future()
        self._futures[request.job_id] = (loop, future)
        self.runtime.submit(request)
        return future

    def cancel(self, job_id: int) -> None:
        self.runtime.submit(Cancel(target=job_id))

    def pause(self, job_id: int) -> None:
        self.runtime.submit(Pause(target=job_id))

    def resume(self, job_id: int) -> None:
        self.runtime.submit(Resume(target=job_id))

    def finish_early(self, job_id: int) -> None:
        self.runtime.finish_early(job_id)

    def shutdown(self) -> None:
        self.runtime.shutdown()
        if self._holds_gc:
            self._holds_gc = False
            gui_gc.release()
