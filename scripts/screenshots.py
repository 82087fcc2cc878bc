#!/usr/bin/env python
"""Screenshots of the real Atelier window for docs/screenshots/ (run under Xvfb when headless).

    python scripts/screenshots.py [--style FILE ...] [--out docs/screenshots] [--only rerun-question]

Starts the real main window on the real engine, opens a photo, waits for the painting and for every
gallery card (the painter's work beside that photo in each style), zooms to 100 % on a large copy and
waits for the full-resolution painting, shows Preferences, then runs a batch and captures it mid-way
and at the end, runs it again at a lower strength and captures the question it asks, and captures
the empty-gallery state (`--only rerun-question`: just the batch and its question). Without a
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
    """Run the event loop until `predicate()` holds (a nested QEventLoop: PySide6 6.12's processEvents()
    leaks a reference to None per call, and thousands of calls abort the interpreter)."""
    from PySide6.QtCore import QEventLoop, QTimer

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()
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


def _demo_photo(work: Path) -> Path:
    """A photo with people from the shared set (the sample photo when it is not there)."""
    shared = ROOT.parent / "shared" / "data" / "photos" / "cq100_pd_korean_dancer.jpg"
    from engine.paths import sample_photo

    return shared if shared.is_file() else sample_photo()


def _large_copy(src: Path, work: Path) -> Path:
    """Every shared photo is at most 1024 px; the 100 % shot needs one larger than the working copy, so it
    uses this photo enlarged to 2.5x (Lanczos). Said in the README under the screenshot."""
    from PIL import Image

    with Image.open(src) as im:
        im = im.convert("RGB")
        big = im.resize((im.width * 5 // 2, im.height * 5 // 2), Image.Resampling.LANCZOS)
    path = work / f"{src.stem}_large.jpg"
    big.save(path, quality=95)
    return path


def _rerun_question(app, window, photos: Path, out: Path, path: Path) -> None:
    """The question a batch asks when run again at another strength: paints `photos` into `out`
    (unless the window just did), lowers the strength, starts again and captures the dialog; then
    Cancel, so nothing more is painted."""
    from desktop_app.main_window import TAB_BATCH

    window.tabs.setCurrentIndex(TAB_BATCH)
    if window.batch.state != "done":
        window.batch_panel.input_edit.setText(str(photos))
        window.batch_panel.output_edit.setText(str(out))
        window.start_batch()
        _wait(app, lambda: window.batch.state == "done", 300)
    window.look.strength = 0.8 if window.look.strength > 0.8 else window.look.strength / 2
    window.start_batch()
    if not _wait(app, lambda: window.batch_panel.rerun_dialog is not None, 120):
        print("the re-run question did not come")
        return
    dialog = window.batch_panel.rerun_dialog
    _shoot(app, dialog, path)  # the dialog alone, as Preferences: under Xvfb no window manager frames it
    dialog.reject()  # Cancel: nothing is painted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--style", type=Path, action="append", default=[],
                        help="extra style files to install in the temporary user folder")
    parser.add_argument("--only", choices=["rerun-question"], help="write just this screenshot")
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

    from PySide6.QtCore import QPointF, QSettings

    from desktop_app.app import create_application
    from desktop_app.composition import make_bridge
    from desktop_app.main_window import TAB_BATCH, MainWindow
    from desktop_app.settings import AppSettings
    from desktop_app.widgets.dialogs import PreferencesDialog
    from engine.catalog import Catalog

    app = create_application([sys.argv[0]])
    settings = AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    args.out.mkdir(parents=True, exist_ok=True)
    rerun_shot = args.out / "batch-rerun-question.png"
    if args.only == "rerun-question":
        window = MainWindow(settings=settings)
        window.confirm_close_during_batch = lambda: True
        window.resize(*SIZE)
        window.move(40, 40)
        window.show()
        _rerun_question(app, window, _batch_photos(work / "photos", 6), work / "out", rerun_shot)
        window.close()
        shutil.rmtree(work, ignore_errors=True)
        return 0

    # 1. the photo tab with a painting, and the gallery cards painting that photo in every style
    window = MainWindow(settings=settings, open_path=_demo_photo(work))
    window.confirm_close_during_batch = lambda: True
    window.resize(*SIZE)
    window.move(40, 40)
    window.show()
    if not _wait(app, lambda: window.photo.after is not None):
        print("the preview did not arrive in time")
    entries = window.gallery.model.entries
    if not _wait(app, lambda: all(window.gallery.cards.card(e.slug) is not None for e in entries), 300):
        print("the gallery cards did not arrive in time")
    _shoot(app, window, args.out / "main-window-photo.png")

    # 2. 100 %: the real pixels of a large photo, painted as Save paints them
    window.photo.open_file(_large_copy(_demo_photo(work), work))
    _wait(app, lambda: window.photo.after is not None and not window.photo.busy)
    canvas = window.photo_panel.canvas
    canvas.actual_size()
    canvas.center = QPointF(0.42, 0.3)
    canvas.update()
    if not _wait(app, canvas.showing_real_pixels, 300):
        print("the full-resolution painting did not arrive in time")
    _shoot(app, window, args.out / "zoom-100.png")
    canvas.fit()

    # 3. Preferences
    prefs = PreferencesDialog(window.app_vm.device, window, window.app_vm.device_choices(), window.app_vm.output)
    prefs.show()
    _shoot(app, prefs, args.out / "preferences.png")
    prefs.close()

    # 4. a batch in progress
    photos = _batch_photos(work / "photos")
    window.batch_panel.input_edit.setText(str(photos))
    window.batch_panel.output_edit.setText(str(work / "out"))
    window.tabs.setCurrentIndex(TAB_BATCH)
    window.start_batch()
    _wait(app, lambda: window.batch.fraction >= 0.35 and window.batch.thumbnail is not None, 300)
    job = window.batch.job
    job.pause()  # hold the engine still (the window keeps its running look)
    _shoot(app, window, args.out / "batch-in-progress.png")
    job.resume()
    _wait(app, lambda: window.batch.state == "done", 300)
    _shoot(app, window, args.out / "batch-finished.png")
    _rerun_question(app, window, photos, work / "out", rerun_shot)
    window.close()

    # 5. first start without any style installed
    empty = work / "empty"
    (empty / "a").mkdir(parents=True)
    bare = MainWindow(make_bridge(Catalog(empty / "a", empty / "b")), settings=settings)
    bare.resize(*SIZE)
    bare.move(40, 40)
    bare.show()
    _shoot(app, bare, args.out / "empty-gallery.png")
    bare.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
