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
    from desktop_app.bridge import EngineBridge
    from desktop_app.main_window import MainWindow

    windows = []

    def make(runtime=None, cat=None, **kwargs):
        bridge = EngineBridge(cat or catalog, runtime=runtime)
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


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
