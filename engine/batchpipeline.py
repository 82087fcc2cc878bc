"""A batch's photos through three stages at once: the next photos are read while this one is
painted, and the finished ones are written meanwhile.

Why: painted one after another, every photo waited for its own decode, and the model waited for
every encode, EXIF mark, fsync and rename (bench/batch_profile.py). Here

    reader thread:  admit (PhotoSlots) -> read (decode, fit)      -> read queue
    calling thread: paint (the model and its finishing)           -> write queue
    writer thread:  write (mark, encode, fsync, rename)           -> outcomes

The model runs on the calling thread (the engine thread, which owns the device and is the only one
that runs torch); the reader and the writer only decode, encode and write files, which Pillow, numpy
and the OS do mostly without holding the GIL.

What the caller sees stays as it was: `starting` (progress), `finished` (report entries, thumbnails,
notices) and every exception happen on the calling thread, one photo after another in the batch's
order, whatever order the threads finish their work in.

Memory is bounded: a photo is admitted before it is decoded and let go once written (or failed), and
at most `in_flight` photos, of at most `max_pixels` together (one photo alone is always admitted,
whatever its size), are admitted at any time: decoded and waiting, being painted, or waiting to be
written. A 108 MP photo is therefore never joined by a second one.

Cancel (the calling thread's `starting`, `check` or `paint` raise): nothing new is read or painted;
paintings already finished are still written, each atomically (engine.imageio), and the threads are
gone before `run` returns, so no file is being written after the batch (and its folder locks) end.
A per-photo problem (an `AtelierError` from any stage) becomes that photo's failed outcome and the
batch goes on; anything else ends the batch, raised on the calling thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from engine.errors import AtelierError

T = TypeVar("T")  # one photo of the batch (the plan's item)

IN_FLIGHT = 3  # one being read, one being painted, one being written
MAX_PIXELS = 48_000_000  # two 24 MP photos at once; anything larger goes alone
POLL_S = 0.1  # how often a wait on another stage looks for a cancel or a failure elsewhere


@dataclass
class Outcome(Generic[T]):
    """What became of one photo: written to `output`, `skipped`, or failed with `error`."""

    index: int
    item: T
    output: Path | None = None
    error: AtelierError | None = None
    skipped: bool = False


@dataclass
class Stages(Generic[T]):
    """The batch's work on one photo, split where threads may take it over.

    wanted(item): False for a photo that is not painted (already done): no stage sees it.
    pixels(item): its size from the header, for admission (0 if unknown).
    read(item) -> decoded photo        (reader thread; no torch)
    paint(index, item, decoded) -> painting  (calling thread)
    write(item, painting) -> output path     (writer thread; no torch)
    starting(index, item): before each photo, in order (progress; may raise to stop the batch).
    finished(outcome): after each photo, in order.
    check(): a cancellation point while waiting on the other stages.
    """

    wanted: Callable[[T], bool]
    pixels: Callable[[T], int]
    read: Callable[[T], Any]
    paint: Callable[[int, T, Any], Any]
    write: Callable[[T, Any], Path]
    starting: Callable[[int, T], None]
    finished: Callable[[Outcome[T]], None]
    check: Callable[[], None]


class PhotoSlots:
    """Admission of photos into memory: at most `count` photos of at most `max_pixels` together,
    except that one photo alone is always admitted. Thread-safe; `close` wakes and refuses waiters."""

    def __init__(self, count: int = IN_FLIGHT, max_pixels: int = MAX_PIXELS) -> None:
        if count < 1:
            raise ValueError(f"at least one photo must be in flight, not {count}")
        self.count, self.max_pixels = count, max_pixels
        self._cond = threading.Condition()
        self._photos = self._pixels = 0
        self._closed = False
        self.peak = 0  # most photos admitted at once (tests, benchmarks)
        self.waiting = 0  # photos waiting for room now (tests: the reader is held back)

    def acquire(self, pixels: int) -> bool:
        """Wait for room for a photo of `pixels`; False once closed."""
        with self._cond:
            while not self._closed and not self._fits(pixels):
                self.waiting += 1
                self._cond.notify_all()  # whoever watches `waiting`
                self._cond.wait()
                self.waiting -= 1
            if self._closed:
                return False
            self._photos += 1
            self._pixels += pixels
            self.peak = max(self.peak, self._photos)
            return True

    def _fits(self, pixels: int) -> bool:
        return self._photos == 0 or (self._photos < self.count and self._pixels + pixels <= self.max_pixels)

    def release(self, pixels: int) -> None:
        with self._cond:
            self._photos -= 1
            self._pixels -= pixels
            self._cond.notify_all()

    def wait_until(self, ready: Callable[[PhotoSlots], bool], timeout: float | None = None) -> bool:
        """Block until `ready(self)` holds, or `timeout` (tests: until the reader waits for room)."""
        with self._cond:
            return self._cond.wait_for(lambda: ready(self), timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


@dataclass
class _Job(Generic[T]):
    """One photo between stages: its decoded pixels or painting in `data`, or its outcome decided."""

    index: int
    item: T
    pixels: int = 0  # what it holds in PhotoSlots (0: not admitted)
    data: Any = None
    outcome: Outcome[T] | None = None


_END = object()  # no more jobs for the writer


class Pipeline(Generic[T]):
    """Runs `stages` over `items` with a reader and a writer thread beside the calling thread."""

    def __init__(self, stages: Stages[T], slots: PhotoSlots | None = None) -> None:
        self.stages = stages
        self.slots = slots or PhotoSlots()
        self._read: queue.Queue[_Job[T]] = queue.Queue()  # bounded by the slots, not by the queue
        self._write: queue.Queue[Any] = queue.Queue()
        self._done: queue.Queue[Outcome[T]] = queue.Queue()
        self._stop = threading.Event()
        self._failure: BaseException | None = None  # a thread's unexpected error, raised by `run`

    # ------------------------------------------------------------------- calling thread
    def run(self, items: Sequence[T]) -> None:
        reader = threading.Thread(target=self._reader, args=(items,), name="atelier-batch-read", daemon=True)
        writer = threading.Thread(target=self._writer, name="atelier-batch-write", daemon=True)
        reader.start()
        writer.start()
        try:
            for index, item in enumerate(items):
                self._record_finished()
                job = self._next_read(index)
                self.stages.starting(index, item)
                if job.outcome is None:
                    job = self._paint(job)
                self._write.put(job)
                del job  # the decoded photo goes now, not when the next one arrives
            self._write.put(_END)
            self._wait_for(writer)
        finally:
            self._stop.set()
            self.slots.close()
            self._write.put(_END)
            reader.join()
            writer.join()
            self._record_finished(raise_failure=False)
        self._record_finished()  # a failure of the writer's last photo

    def _paint(self, job: _Job[T]) -> _Job[T]:
        try:
            job.data = self.stages.paint(job.index, job.item, job.data)
        except AtelierError as exc:
            self.slots.release(job.pixels)
            return _Job(job.index, job.item, outcome=Outcome(job.index, job.item, error=exc))
        return job

    def _next_read(self, index: int) -> _Job[T]:
        while True:
            try:
                job = self._read.get(timeout=POLL_S)
            except queue.Empty:
                self._raise_failure()
                self.stages.check()
                self._record_finished()
                continue
            assert job.index == index, (job.index, index)  # one reader, in order
            return job

    def _wait_for(self, writer: threading.Thread) -> None:
        while writer.is_alive():
            writer.join(POLL_S)
            self._record_finished()
        self._raise_failure()

    def _record_finished(self, raise_failure: bool = True) -> None:
        """Hand the caller every outcome the writer has finished, in order."""
        while True:
            try:
                outcome = self._done.get_nowait()
            except queue.Empty:
                break
            self.stages.finished(outcome)
        if raise_failure:
            self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _fail(self, exc: BaseException) -> None:
        if self._failure is None:
            self._failure = exc
        self._stop.set()
        self.slots.close()

    # ------------------------------------------------------------------- reader thread
    def _reader(self, items: Sequence[T]) -> None:
        stages = self.stages
        try:
            for index, item in enumerate(items):
                if self._stop.is_set():
                    return
                if not stages.wanted(item):
                    self._read.put(_Job(index, item, outcome=Outcome(index, item, skipped=True)))
                    continue
                pixels = stages.pixels(item)
                if not self.slots.acquire(pixels):
                    return
                try:
                    job = _Job(index, item, pixels, data=stages.read(item))
                except AtelierError as exc:
                    self.slots.release(pixels)
                    job = _Job(index, item, outcome=Outcome(index, item, error=exc))
                self._read.put(job)
        except BaseException as exc:  # a bug or MemoryError: the batch ends, on the calling thread
            self._fail(exc)

    # ------------------------------------------------------------------- writer thread
    def _writer(self) -> None:
        while True:
            job = self._write.get()
            if job is _END:
                return
            if job.outcome is None:
                try:
                    output = self.stages.write(job.item, job.data)
                    job.outcome = Outcome(job.index, job.item, output=output)
                except AtelierError as exc:
                    job.outcome = Outcome(job.index, job.item, error=exc)
                except BaseException as exc:
                    self._fail(exc)
                    return
                finally:
                    job.data = None
                    self.slots.release(job.pixels)
            self._done.put(job.outcome)
