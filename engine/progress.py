"""Progress tokens: the one contract between long loops and whoever waits on them.

A loop calls `progress.report(fraction, stage)` now and then. Each call is also a cancellation and
pause point, so no loop needs any other plumbing (the pattern of superqt's generator workers and
chaiNNer's node context). Reports are throttled here, where they are produced, so a tight loop can
report every iteration without flooding the UI.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Cancelled


class CancelToken:
    """Cancel and pause flags for one job; safe to set from any thread."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._finish = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def finish(self) -> None:
        """Ask a job that can end early with a useful result (training) to wrap up now."""
        self._finish.set()
        self._running.set()

    @property
    def finish_requested(self) -> bool:
        return self._finish.is_set()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()  # a paused job must wake up to notice the cancel

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self) -> None:
        """Block while paused; raise `Cancelled` when cancelled."""
        if not self._running.is_set():
            self._running.wait()
        if self._cancel.is_set():
            raise Cancelled()


@dataclass(frozen=True)
class ProgressUpdate:
    fraction: float
    stage: str
    eta_s: float | None
    metrics: dict[str, float] = field(default_factory=dict)


ProgressSink = Callable[[ProgressUpdate], None]


class Progress:
    """Reports progress of one job in [0, 1] with throttling, ETA and cancellation.

    `sub(start, end)` returns a child whose 0..1 maps onto start..end of this one, so nested loops
    (files of a batch, tiles of a file) report into one bar.
    """

    def __init__(
        self,
        sink: ProgressSink | None = None,
        token: CancelToken | None = None,
        min_interval_s: float = 0.1,
        min_step: float = 0.005,
        clock: Callable[[], float] = time.monotonic,
        _root: Progress | None = None,
        _span: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        self.token = token or CancelToken()
        self._sink = sink
        self._min_interval = min_interval_s
        self._min_step = min_step
        self._clock = clock
        self._root = _root
        self._span = _span
        self._start = clock()
        self._last_time = -1e9
        self._last_fraction = -1.0
        self._eta_anchor: tuple[float, float] | None = None

    def sub(self, start: float, end: float) -> Progress:
        a, b = self._span
        root = self._root or self
        return Progress(
            token=self.token, clock=self._clock, _root=root, _span=(a + (b - a) * start, a + (b - a) * end)
        )

    def check(self) -> None:
        """A cancellation/pause point without a report."""
        self.token.checkpoint()

    def report(self, fraction: float, stage: str = "", metrics: dict[str, Any] | None = None,
               force: bool = False) -> None:
        self.token.checkpoint()
        a, b = self._span
        overall = a + (b - a) * min(max(fraction, 0.0), 1.0)
        root = self._root or self
        root._emit(overall, stage, metrics or {}, force)

    def _emit(self, fraction: float, stage: str, metrics: dict[str, Any], force: bool) -> None:
        if self._sink is None:
            return
        now = self._clock()
        due = (now - self._last_time >= self._min_interval) or (fraction - self._last_fraction >= self._min_step)
        if not (force or due or fraction >= 1.0):
            return
        self._last_time, self._last_fraction = now, fraction
        self._sink(ProgressUpdate(fraction, stage, self._eta(now, fraction), dict(metrics)))

    def _eta(self, now: float, fraction: float) -> float | None:
        """Time left from the rate since the first report (skipping warm-up) ."""
        if self._eta_anchor is None:
            self._eta_anchor = (now, fraction)
            return None
        t0, f0 = self._eta_anchor
        if fraction <= f0 or now <= t0:
            return None
        rate = (fraction - f0) / (now - t0)
        return max(0.0, (1.0 - fraction) / rate)
