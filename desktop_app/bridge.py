"""The one object between Qt and the engine thread, and the per-job handles it gives out.

    handle = bridge.submit(request)
    handle.progress.connect(...)      # only this job's progress
    event = await handle              # its final event (qasync code)

`EngineBridge.submit` returns a `JobHandle` whose signals carry only that job's events: nobody
filters a broadcast by job id (DESIGN.md section 7). Engine events arrive on the engine thread; the
bridge hops them to the GUI thread with a queued signal and hands each to its job's handle there, so
every handle signal is emitted on the GUI thread. Control (cancel, pause, resume, finish early) is
asked of the handle too.

The bridge never builds an engine: the composition root (`desktop_app.composition`) hands it a
runtime, the real `EngineRuntime` or a scripted stand-in in tests.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Generator
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

from desktop_app import gui_gc
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
    StylizeFrame,
)

TERMINAL = (JobFinished, JobFailed, JobCancelled, FrameResult)
# A live frame the engine replaced in its single slot never gets an answer; the bridge keeps only the
# newest few frame handles so such orphans cannot pile up.
FRAME_HANDLES_KEPT = 8


class Runtime(Protocol):
    """What the bridge needs of an engine: `EngineRuntime`, or a scripted fake in tests."""

    sink: Callable[[Event], None]

    def start(self) -> Any: ...
    def submit(self, request: Request) -> int: ...
    def finish_early(self, job_id: int) -> None: ...
    def shutdown(self) -> None: ...


class JobHandle(QObject):
    """One submitted job: its own events as signals, its final event as an awaitable, its controls."""

    started = Signal(object)    # JobStarted
    progress = Signal(object)   # JobProgress
    preview = Signal(object)    # JobPreview
    notice = Signal(object)     # JobNotice
    frame = Signal(object)      # FrameResult (a live frame's answer; it ends the job)
    finished = Signal(object)   # JobFinished
    failed = Signal(object)     # JobFailed
    cancelled = Signal(object)  # JobCancelled
    ended = Signal(object)      # after any of the four above: the job is over

    def __init__(self, bridge: EngineBridge, request: Request, background: bool = False) -> None:
        super().__init__()
        self._bridge = bridge
        self.request = request
        self.background = background  # work the user did not ask for (gallery cards): not reported
        self.outcome: Event | None = None  # the final event, once it came
        self._waiters: list[asyncio.Future] = []

    @property
    def job_id(self) -> int:
        return self.request.job_id

    @property
    def done(self) -> bool:
        return self.outcome is not None

    # ------------------------------------------------------------------ control
    def cancel(self) -> None:
        if not self.done:
            self._bridge.control(Cancel(target=self.job_id))

    def pause(self) -> None:
        if not self.done:
            self._bridge.control(Pause(target=self.job_id))

    def resume(self) -> None:
        if not self.done:
            self._bridge.control(Resume(target=self.job_id))

    def finish_early(self) -> None:
        """A training job stops at its next step and keeps its best result."""
        if not self.done:
            self._bridge.finish_early(self.job_id)

    def route(self, **slots: Callable[[Event], object]) -> JobHandle:
        """Connect several of this job's signals at once: `job.route(progress=..., failed=...)`."""
        for name, slot in slots.items():
            getattr(self, name).connect(slot)
        return self

    # ------------------------------------------------------------------ awaiting
    def __await__(self) -> Generator[Any, None, Event]:
        if self.outcome is not None:
            return self.outcome
        future = asyncio.get_event_loop().create_future()
        self._waiters.append(future)
        return (yield from future.__await__())

    # ------------------------------------------------------------------ delivery (GUI thread)
    def deliver(self, event: Event) -> None:
        for kind, signal in ((JobStarted, self.started), (JobProgress, self.progress), (JobPreview, self.preview),
                             (JobNotice, self.notice), (FrameResult, self.frame), (JobFinished, self.finished),
                             (JobFailed, self.failed), (JobCancelled, self.cancelled)):
            if isinstance(event, kind):
                if isinstance(event, TERMINAL):
                    self.outcome = event
                signal.emit(event)
                break
        if isinstance(event, TERMINAL):
            for future in self._waiters:
                if not future.done():
                    future.get_loop().call_soon_threadsafe(_resolve, future, event)
            self._waiters.clear()
            self.ended.emit(event)


def _resolve(future: asyncio.Future, event: Event) -> None:
    if not future.done():
        future.set_result(event)


class EngineBridge(QObject):
    job_submitted = Signal(object)  # JobHandle: for observers of every job (the status bar, the banner)
    _deliver = Signal(object)       # engine thread -> GUI thread hop

    def __init__(self, runtime: Runtime, catalog: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog  # the catalog the engine resolves style names in
        self.runtime = runtime
        self._jobs: dict[int, JobHandle] = {}
        self._frames: OrderedDict[int, JobHandle] = OrderedDict()
        self._deliver.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        runtime.sink = self._from_engine
        gui_gc.hold()  # no Qt object may be garbage-collected on the engine thread
        self._holds_gc = True
        runtime.start()

    # called on the engine thread
    def _from_engine(self, event: Event) -> None:
        self._deliver.emit(event)

    @Slot(object)
    def _on_event(self, event: Event) -> None:
        handle = self._jobs.get(event.job_id) or self._frames.get(event.job_id)
        if handle is None:
            return  # a job nobody follows any more (a forgotten frame, or one from before a shutdown)
        if isinstance(event, TERMINAL):
            self._jobs.pop(event.job_id, None)
            self._frames.pop(event.job_id, None)
        handle.deliver(event)

    # ------------------------------------------------------------------ API for view-models
    def submit(self, request: Request, background: bool = False) -> JobHandle:
        """Queue a job; its events arrive on the returned handle only."""
        if isinstance(request, Cancel | Pause | Resume):
            raise TypeError("control requests go through the job's handle (handle.cancel() ...)")
        handle = JobHandle(self, request, background)
        if isinstance(request, StylizeFrame):
            self._frames[request.job_id] = handle
            while len(self._frames) > FRAME_HANDLES_KEPT:
                self._frames.popitem(last=False)
        else:
            self._jobs[request.job_id] = handle
        self.job_submitted.emit(handle)  # observers connect before the first event can arrive
        self.runtime.submit(request)
        return handle

    def control(self, request: Cancel | Pause | Resume) -> None:
        self.runtime.submit(request)

    def finish_early(self, job_id: int) -> None:
        self.runtime.finish_early(job_id)

    def running_jobs(self) -> list[JobHandle]:
        """Jobs submitted and not yet ended (live frames excluded)."""
        return list(self._jobs.values())

    def shutdown(self) -> None:
        self.runtime.shutdown()
        if self._holds_gc:
            self._holds_gc = False
            gui_gc.release()
