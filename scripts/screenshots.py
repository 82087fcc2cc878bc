#!/usr/bin/env python
"""Screenshots of the real Atelier window for docs/screenshots/ (run under Xvfb when headless).

    python scripts/screenshots.py [--style FILE ...] [--out docs/screenshots]

Starts the real main window on the real engine, opens the sample photo, waits for the painting,
then runs a batch and captures it mid-way, and captures the empty-gallery state. Without a
display it re-runs itself under `xvfb-run` (a real X server, so fonts, window sizes and styles are
what a user sees). When no built-in style is installed yet (resources/styles/ empty), it makes
placeholder styles with random weights in a temporary ATELIER_HOME and says so in its output:
their paintings are noise, only the layout is representative.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIZE = (1360, 860)


def _ensure_display() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("ATELIER_SHOT_CHILD"):
        return
    if not shutil.which("xvfb-run"):
        sys.exit("no display and no xvfb-run: install xvfb (apt-get install xvfb)")
    env = dict(os.environ, ATELIER_SHOT_CHILD="1", QT_QPA_PLATFORM="xcb")
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24 -dpi 96", sys.executable, *sys.argv]
    sys.exit(subprocess.call(cmd, env=env))


def _placeholder_styles(home: Path, sample: Path) -> None:
    """Random-weight styles with thumbnails rendered by themselves, as the real ones are."""
    import numpy as np
    from PIL import Image

    from engine.devices import resolve_device
    from engine.imageio import LoadedImage
    from engine.messages import StylizeOptions
    from engine.models.host import ModelHost
    from engine.stylefile import encode_thumbnail, load_style, save_style
    from engine.stylize import stylize_loaded
    from tests.conftest import make_style

    folder = home / "styles"
    folder.mkdir(parents=True, exist_ok=True)
    rgb = np.asarray(Image.open(sample).convert("RGB").resize((256, 256)))
    host = ModelHost()
    for i, name in enumerate(["Placeholder A", "Placeholder B", "Placeholder C"]):
        path = make_style(folder / f"placeholder_{'abc'[i]}.atelier-style", name, seed=i + 3, perturb=0.02)
        model = host.get(path, resolve_device("cpu"))
        out, _, _ = stylize_loaded(host, path, model, LoadedImage(rgb, None, None, None, None), StylizeOptions())
        generator, meta = load_style(path)
        meta = replace(meta, author="screenshot script", description="random weights (not a trained style)",
                       thumbnail_png=encode_thumbnail(Image.fromarray(out)))
        save_style(path, generator, meta)


def _wait(app, predicate, timeout: float = 120.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _settle(app, seconds: float = 0.4) -> None:
    _wait(app, lambda: False, seconds)


def _shoot(app, widget, path: Path) -> None:
    _settle(app)
    screen = widget.screen()
    geo = widget.frameGeometry()
    pixmap = screen.grabWindow(0, geo.x(), geo.y(), geo.width(), geo.height())
    if pixmap.isNull() or pixmap.width() < 10:
        pixmap = widget.grab()  # fall back to rendering the widget itself
    pixmap.save(str(path))
    print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})")


def _batch_photos(folder: Path, count: int = 16) -> Path:
    """Small copies of the shared training photos (or the sample) in a temporary folder."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    shared = ROOT.parent / "shared" / "data" / "photos"
    sources = sorted(p for p in shared.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:count]
    if not sources:
        sources = [ROOT / "resources" / "samples" / "astronaut.png"] * count
    for i, src in enumerate(sources):
        with Image.open(src) as im:
            im = im.convert("RGB")
            im.thumbnail((640, 640))
            im.save(folder / f"{i:02d}_{src.stem[:24]}.jpg", quality=90)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--style", type=Path, action="append", default=[],
                        help="extra style files to install in the temporary user folder")
    args = parser.parse_args()
    _ensure_display()

    from engine.paths import builtin_styles_dir, sample_photo

    work = Path(tempfile.mkdtemp(prefix="atelier-shots-"))
    os.environ["ATELIER_HOME"] = str(work / "home")
    sample = sample_photo()
    if not any(builtin_styles_dir().glob("*.atelier-style")):
        print("NOTE: no built-in styles yet; using random-weight placeholder styles (layout only)")
        _placeholder_styles(work / "home", sample)
    for extra in args.style:
        (work / "home" / "styles").mkdir(parents=True, exist_ok=True)
        shutil.copy(extra, work / "home" / "styles" / extra.name)

    from PySide6.QtCore import QSettings

    from desktop_app.app import create_application
    from desktop_app.bridge import EngineBridge
    from desktop_app.main_window import TAB_BATCH, MainWindow
    from desktop_app.settings import AppSettings
    from engine.catalog import Catalog

    app = create_application([sys.argv[0]])
    settings = AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. the photo tab with a painting
    window = MainWindow(settings=settings, open_path=sample)
    window.confirm_close_during_batch = lambda: True
    window.resize(*SIZE)
    window.move(40, 40)
    window.show()
    if not _wait(app, lambda: window.photo.after is not None):
        print("the preview did not arrive in time")
    _shoot(app, window, args.out / "main-window-photo.png")

    # 2. a batch in progress
    photos = _batch_photos(work / "photos")
    window.batch_panel.input_edit.setText(str(photos))
    window.batch_panel.output_edit.setText(str(work / "out"))
    window.tabs.setCurrentIndex(TAB_BATCH)
    window.start_batch()
    _wait(app, lambda: window.batch.fraction >= 0.35 and window.batch.thumbnail is not None, 300)
    window.bridge.pause(window.batch.job)  # hold the engine still (the window keeps its running look)
    _shoot(app, window, args.out / "batch-in-progress.png")
    window.bridge.resume(window.batch.job)
    _wait(app, lambda: window.batch.state == "done", 300)
    _shoot(app, window, args.out / "batch-finished.png")
    window.close()

    # 3. first start without any style installed
    empty = work / "empty"
    (empty / "a").mkdir(parents=True)
    bare = MainWindow(EngineBridge(Catalog(empty / "a", empty / "b")), settings=settings)
    bare.resize(*SIZE)
    bare.move(40, 40)
    bare.show()
    _shoot(app, bare, args.out / "empty-gallery.png")
    bare.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
