"""GUI fixtures: a main window on the real engine with the tiny fixture styles, isolated settings."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from PIL import Image

# `pytest` (unlike `python -m pytest`) does not put the repository root on sys.path.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.conftest import photo  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    from desktop_app.settings import AppSettings

    s = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    s.device = "cpu"
    return s


@pytest.fixture
def make_window(qtbot, catalog, settings, atelier_home):
    """Build a MainWindow around a bridge (real engine unless a fake runtime is given)."""
    from desktop_app.composition import make_bridge
    from desktop_app.main_window import MainWindow

    windows = []

    def make(runtime=None, cat=None, **kwargs):
        bridge = make_bridge(cat or catalog, runtime=runtime)
        window = MainWindow(bridge, settings=settings, **kwargs)
        window.confirm_close_during_batch = lambda: True
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for w in windows:
        w.close()
        w.bridge.shutdown()


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def photo_file(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(photo(96, 64, seed=3)).save(path)
    return path


class ScriptedRuntime:
    """Same surface as EngineRuntime; answers requests with scripted events on the caller's thread.

    `script` maps a request type to `handler(request, sink)`; requests without a handler stay
    unanswered until a test sends events itself with `send`.
    """

    def __init__(self, script=None):
        self.sink = None
        self.script = script or {}
        self.requests = []
        self.early = []
        self.shut = False

    def start(self):
        return self

    def submit(self, request):
        self.requests.append(request)
        handler = self.script.get(type(request))
        if handler is not None:
            handler(request, self.sink)
        return request.job_id

    def send(self, *events):
        for event in events:
            self.sink(event)

    def finish_early(self, job_id):
        self.early.append(job_id)

    def shutdown(self, timeout: float = 10.0):
        self.shut = True


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
