"""Python's cycle collector runs on the GUI thread only, while an engine thread is alive.

The collector runs on whichever thread happens to allocate when a threshold is crossed. With the
engine thread busy allocating (loading a model, painting a batch) that is usually the engine
thread, and when the garbage holds Qt wrappers (a closed dialog, a widget caught in a reference
cycle) their C++ objects are destroyed off the GUI thread, which Qt does not allow: seen as a
segfault in CI, "Garbage-collecting" on the engine thread inside `load_style` during a batch test.
So while any bridge holds it, automatic collection is off and a GUI-thread timer collects instead,
generation by generation as the usual thresholds say. Reference counting (which frees almost
everything) is untouched.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class _GuiThreadCollector(QObject):
    def __init__(self) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(INTERVAL_MS)

    def collect_due(self) -> None:
        """The youngest generation every tick (cheap; allocation counts net of frees can stay under
        the threshold while cycles pile up), older ones when their thresholds say, as gc would."""
        _, t1, t2 = gc.get_threshold()
        gc.collect(0)
        _, c1, c2 = gc.get_count()
        if c1 > t1:
            gc.collect(1)
            if c2 > t2:
                gc.collect(2)

    def stop(self) -> None:
        self._timer.stop()


_collector: _GuiThreadCollector | None = None
_holders = 0


def hold() -> None:
    """Called on the GUI thread before an engine thread starts."""
    global _collector, _holders
    _holders += 1
    if _collector is None:
        gc.disable()
        _collector = _GuiThreadCollector()


def release() -> None:
    """Called on the GUI thread after the engine thread has stopped; the last one restores gc."""
    global _collector, _holders
    _holders = max(0, _holders - 1)
    if _holders == 0 and _collector is not None:
        _collector.stop()
        _collector = None
        gc.enable()
        gc.collect()


def active() -> bool:
    return _collector is not None
