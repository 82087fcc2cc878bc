"""A batch's photos through three stages at once: the next photos are read while others are
painted, and the finished ones are written meanwhile.

Why: painted one after another, every photo waited for its own decode, and the model waited for
every encode, EXIF mark, fsync and rename (bench/batch_profile.py). Here

    reader thread:   admit (PhotoSlots) -> read (decode, fit)        -> read queue
    calling thread:  paint (the model and its finishing), or hand the
                     photo to one of `painters` painter threads       -> write queue, in order
    writer thread:   write (mark, encode, fsync, rename)             -> outcomes

The model runs on the calling thread (the engine thread, which owns the device) or, with several
painters, on painter threads, one photo each (the batch gives each painter its share of the cores;
engine.batch). The reader and the writer only decode, encode and write files, which Pillow, numpy
and the OS do mostly without holding the GIL; they never run torch.

What the caller sees stays as it was: `starting` (progress), `finished` (report entries, thumbnails,
notices) and every exception happen on the calling thread, one photo after another in the batch's
order, whatever order the threads finish their work in.

Memory is bounded: a photo is admitted before it is decoded and let go once written (or failed), and
at most `in_flight` photos (by default the painters + 2), of at most `max_pixels` together (one
photo alone is always admitted, whatever its size), are admitted at any time: decoded and waiting,
being painted, or waiting to be written. A 108 MP photo is therefore never joined by a second one.

Cancel (the calling thread's `starting` or `check`, or a painting's progress point, raise): nothing
new is read or painted; paintings already finished are still written, each atomically
(engine.imageio), and the threads are gone before `run` returns, so no file is being written after
the batch (and its folder locks) end. A per-photo problem (an `AtelierError` from any stage) becomes
that photo's failed outcome and the batch goes on; anything else ends the batch, raised on the
calling thread.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from engine.errors import AtelierError

T = TypeVar("T")  # one photo of the batch (the plan's item)

IN_FLIGHT = 3  # with one painter: one photo being read, one being painted, one being written
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
    read(item) -> decoded photo                (reader thread; no torch)
    paint(index, item, decoded, beside) -> painting  (the calling thread, or with `beside` True a
        painter thread next to other paintings: it must then report no progress, only check the
        cancel token, and touch nothing the other paintings use)
    write(item, painting) -> output path       (writer thread; no torch)
    starting(index, item): before each photo, in order (progress; may raise to stop the batch).
    finished(outcome): after each photo, in order.
    check(): a cancellation point while waiting on the other stages.
    alone(item, decoded): True for a photo that must be painted with no other beside it (on the
        calling thread, with its progress): large ones, tiled on shared model state.
    """

    wanted: Callable[[T], bool]
    pixels: Callable[[T], int]
    read: Callable[[T], Any]
    paint: Callable[[int, T, Any, bool], Any]
    write: Callable[[T, Any], Path]
    starting: Callable[[int, T], None]
    finished: Callable[[Outcome[T]], None]
    check: Callable[[], None]
    alone: Callable[[T, Any], bool] = lambda _item, _decoded: False


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


class _Painters(Generic[T]):
    """The paint stage: each photo painted on the calling thread, or up to `count` at once on painter
    threads, and handed on to the writer in the batch's order whichever finishes first.

    Why several at once: on a small CPU the model's own threads leave part of every core idle
    (barriers, memory stalls); two photos each on one thread kept both cores busier than one photo
    on two (bench/folder_throughput.py, README). A photo that must be painted `alone` waits for the
    others to finish and is painted on the calling thread, with its progress.
    """

    def __init__(self, stages: Stages[T], slots: PhotoSlots, count: int, hand_on: Callable[[Any], None]) -> None:
        self.stages, self.slots, self.hand_on = stages, slots, hand_on
        self.count = count
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="atelier-batch-paint") if count > 1 else None
        self._pending: deque[tuple[_Job[T], Future[Any] | None]] = deque()  # in the batch's order

    def add(self, job: _Job[T]) -> None:
        """Paint `job` (its outcome already decided: just keep its place) and hand on what is done."""
        if job.outcome is not None:
            self._pending.append((job, None))
        elif self._pool is None or self.stages.alone(job.item, job.data):
            self.finish()
            self._pending.append((self._paint(job, beside=False), None))
        else:
            while len(running := [f for _, f in self._pending if f is not None and not f.done()]) >= self.count:
                wait(running, return_when=FIRST_COMPLETED)
            self._pending.append((job, self._pool.submit(self._paint, job, True)))
        self.hand_on_finished()

    def hand_on_finished(self) -> None:
        """Hand on the paintings finished so far, up to the first one still under way."""
        self._hand_on(block=False)

    def finish(self) -> None:
        """Wait for every painting under way and hand them all on."""
        self._hand_on(block=True)

    def close(self) -> None:
        """After a stop: wait for the paintings under way (each stops at its next progress point),
        hand on those that were finished, drop the rest."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        while self._pending:
            job, future = self._pending.popleft()
            if future is None:
                self.hand_on(job)
            elif future.exception() is None:
                self.hand_on(future.result())

    def _hand_on(self, block: bool) -> None:
        while self._pending:
            job, future = self._pending[0]
            if future is not None and not block and not future.done():
                return
            self._pending.popleft()
            self.hand_on(job if future is None else future.result())  # a painter's Cancelled or bug: raised here

    def _paint(self, job: _Job[T], beside: bool) -> _Job[T]:
        try:
            job.data = self.stages.paint(job.index, job.item, job.data, beside)
        except AtelierError as exc:
            self.slots.release(job.pixels)
            return _Job(job.index, job.item, outcome=Outcome(job.index, job.item, error=exc))
        return job


class Pipeline(Generic[T]):
    """Runs `stages` over `items` with a reader and a writer thread beside the calling thread."""

    def __init__(self, stages: Stages[T], slots: PhotoSlots | None = None, painters: int = 1) -> None:
        if painters < 1:
            raise ValueError(f"at least one painter, not {painters}")
        self.stages = stages
        self.painters = painters
        self.slots = slots or PhotoSlots(painters + 2)
        self._read: queue.Queue[_Job[T]] = queue.Queue()  # bounded by the slots, not by the queue
        self._write: queue.Queue[Any] = queue.Queue()
        self._done: queue.Queue[Outcome[T]] = queue.Queue()
        self._stop = threading.Event()
        self._failure: BaseException | None = None  # a thread's unexpected error, raised by `run`

    # ------------------------------------------------------------------- calling thread
    def run(self, items: Sequence[T]) -> None:
        reader = threading.Thread(target=self._reader, args=(items,), name="atelier-batch-read", daemon=True)
        writer = threading.Thread(target=self._writer, name="atelier-batch-write", daemon=True)
        painters = _Painters(self.stages, self.slots, self.painters, self._write.put)
        reader.start()
        writer.start()
        try:
            for index, item in enumerate(items):
                self._record_finished()
                job = self._next_read(index, painters)
                self.stages.starting(index, item)
                painters.add(job)
                del job  # the decoded photo goes with its painting, not when the next one arrives
            painters.finish()
            self._write.put(_END)
            self._wait_for(writer)
        finally:
            painters.close()  # paintings finished by now are still written
            self._stop.set()
            self.slots.close()
            self._write.put(_END)
            reader.join()
            writer.join()
            self._record_finished(raise_failure=False)
        self._record_finished()  # a failure of the writer's last photo

    def _next_read(self, index: int, painters: _Painters[T]) -> _Job[T]:
        while True:
            try:
                job = self._read.get(timeout=POLL_S)
            except queue.Empty:
                self._raise_failure()
                self.stages.check()
                painters.hand_on_finished()  # their slots free room for the photo being waited for
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
