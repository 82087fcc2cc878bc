"""Qt objects are never garbage-collected on the engine thread (that crashed a CI run)."""

from __future__ import annotations

import gc
import threading

from desktop_app import gui_gc


class _Widgetish:
    """Stands for a Qt wrapper in a reference cycle: records the thread that destroys it."""

    destroyed_on: list[str] = []

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        _Widgetish.destroyed_on.append(threading.current_thread().name)


def test_cycles_are_collected_on_the_gui_thread_while_the_engine_runs(qtbot, catalog):
    from desktop_app.composition import make_bridge

    bridge = make_bridge(catalog)
    try:
        assert not gc.isenabled() and gui_gc.active()
        _Widgetish.destroyed_on.clear()
        _Widgetish()  # now garbage, only a cycle keeps it

        def engine_like_work() -> None:  # allocates far past every collection threshold
            for _ in range(20):
                junk = [[i] for i in range(50000)]
                del junk
        worker = threading.Thread(target=engine_like_work, name="engine-like")
        worker.start()
        worker.join()
        assert _Widgetish.destroyed_on == []  # not on the worker
        qtbot.waitUntil(lambda: _Widgetish.destroyed_on != [], timeout=5000)
        assert _Widgetish.destroyed_on == [threading.main_thread().name]
    finally:
        bridge.shutdown()
    assert gc.isenabled() and not gui_gc.active()  # the last bridge gives automatic collection back


def test_two_bridges_keep_the_guard_until_both_are_gone(qtbot, catalog):
    from desktop_app.composition import make_bridge

    a, b = make_bridge(catalog), make_bridge(catalog)
    a.shutdown()
    a.shutdown()  # twice: released once
    assert not gc.isenabled()
    b.shutdown()
    assert gc.isenabled()
