"""Screenshots of the live view (fed by a generated video) and of every training-wizard page.

    xvfb-run -a -s "-screen 0 1280x900x24" python scripts/screenshots_live_wizard.py [--steps 60]

Writes docs/screenshots/live_view.png and wizard_1_artworks.png ... wizard_5_done.png.
Material: artworks from ../shared/data/styles/cezanne, photos from ../shared/data/photos (read in
place, never copied into the repository). The live view uses the first built-in style, else the base
model, else an untrained random-weight style named so on screen. Training on the run page is real
(a short run through the engine), so the chart and previews are what a user sees in its first minute.
Everything the app writes (runs, the new style, the demo video) goes to a temporary ATELIER_HOME.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "docs" / "screenshots"


def wait(app, condition, timeout: float, what: str) -> None:
    """Run the event loop until `condition()` holds.

    Not a processEvents() loop: in PySide6 6.12.0 every QCoreApplication.processEvents() call drops one
    reference to Python's None (measured: -1 per call), and after some thousand calls the interpreter
    aborts with "deallocating None". A nested QEventLoop does not have that bug.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def pause(app, seconds: float) -> None:
    until = time.monotonic() + seconds
    wait(app, lambda: time.monotonic() > until, seconds + 5, "a pause")


def save(widget, name: str) -> Path:
    path = OUT / name
    widget.grab().save(str(path), "PNG")
    print("wrote", path.relative_to(REPO))
    return path


def demo_video(path: Path, seconds: float = 4.0, fps: int = 24) -> Path:
    """A slow pan across one of the shared photos, 640x480 H.264, written to a temporary folder."""
    import imageio_ffmpeg
    from PIL import Image

    photos = sorted((DATA / "photos").glob("*.jpg"))
    src = Image.open(photos[len(photos) // 3]).convert("RGB")
    s = 480 / src.height
    wide = np.asarray(src.resize((max(800, round(src.width * s)), 480), Image.Resampling.LANCZOS))
    writer = imageio_ffmpeg.write_frames(str(path), (640, 480), fps=fps, ffmpeg_log_level="error")
    writer.send(None)
    n = int(seconds * fps)
    for i in range(n):
        x = int((wide.shape[1] - 640) * i / max(1, n - 1))
        writer.send(np.ascontiguousarray(wide[:, x:x + 640]))
    writer.close()
    return path


def live_styles_dir(tmp: Path) -> tuple[Path, str]:
    """A builtin folder for the catalog and the slug to show."""
    builtin = REPO / "resources" / "styles"
    found = sorted(builtin.glob("*.atelier-style"))
    if found:
        return builtin, found[0].name[: -len(".atelier-style")]
    demo = tmp / "builtin"
    demo.mkdir()
    base = REPO / "resources" / "base" / "base.atelier-style"
    if base.exists():
        shutil.copyfile(base, demo / "base.atelier-style")
        return demo, "base"
    import torch

    from engine.models.generator import build_generator
    from engine.stylefile import StyleMeta, save_style

    print("NOTE: no built-in style or base model yet: the live view shows an UNTRAINED random-weight style")
    torch.manual_seed(3)
    g = build_generator("fast")
    with torch.no_grad():
        g.head[1].weight.normal_(0, 0.02)
    save_style(demo / "untrained_demo.atelier-style", g,
               StyleMeta(name="Untrained demo (random weights)", architecture="fast"))
    return demo, "untrained_demo"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60, help="training steps on the run page")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="atelier-shots-"))
    os.environ["ATELIER_HOME"] = str(tmp / "home")
    OUT.mkdir(parents=True, exist_ok=True)

    import torch

    torch.set_num_threads(2)
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop_app.composition import engine_services, make_bridge
    from desktop_app.live.live_view import LiveView
    from desktop_app.settings import AppSettings
    from desktop_app.viewmodels.app import AppViewModel
    from desktop_app.viewmodels.gallery import GalleryViewModel
    from desktop_app.viewmodels.live import LiveViewModel
    from desktop_app.viewmodels.look import LookViewModel
    from desktop_app.viewmodels.training import TrainingViewModel
    from desktop_app.wizard.training_wizard import TrainingWizard
    from engine.catalog import Catalog

    app = QApplication(sys.argv)
    app.setStyle("Fusion")
    builtin, slug = live_styles_dir(tmp)
    bridge = make_bridge(Catalog(builtin, tmp / "home" / "styles"))
    services = engine_services()
    settings = AppSettings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    settings.device = "cpu"
    app_vm = AppViewModel(bridge, settings)
    look = LookViewModel(settings)
    gallery = GalleryViewModel(bridge.catalog, app_vm, look)
    gallery.refresh(select=slug)

    # ------------------------------------------------------------------ live view
    video = demo_video(tmp / "pan.mp4")
    live = LiveViewModel(app_vm, look, gallery, services)
    view = LiveView(live)
    view.resize(1000, 680)
    view.show()
    view.open_video(video)
    wait(app, lambda: live.submitted > 20 and view.display.current_image() is not None, 120, "live frames")
    pause(app, 1.0)
    save(view, "live_view.png")
    live.shutdown()
    view.close()

    # ------------------------------------------------------------------ wizard
    def wizard() -> TrainingWizard:
        vm = TrainingViewModel(app_vm, bridge.catalog, services, DATA / "photos")
        vm.request_overrides = {"minutes": None, "steps": args.steps, "crop": 96}
        made = TrainingWizard(vm)
        made.confirm_cancel = False
        return made

    wiz = wizard()
    wiz.show()
    wiz.artworks.set_folder(DATA / "styles" / "cezanne")
    wait(app, wiz.artworks.isComplete, 120, "the artwork check")
    wiz.next()
    wait(app, lambda: wiz.vm.photos.result is not None, 300, "the photo check")
    pause(app, 0.3)
    save(wiz, "wizard_2_photos.png")
    wiz.next()
    wiz.options.name_edit.setText("Cezanne demo")
    wiz.options.author_edit.setText("Atelier screenshots")
    pause(app, 0.3)
    save(wiz, "wizard_3_options.png")
    wiz.next()
    page = wiz.run_page
    wait(app, lambda: wiz.vm.preview is not None and wiz.vm.preview is not wiz.vm.first_preview
         and page.chart.point_count() >= 60 and "per step" in wiz.vm.eta_text, 900, "previews and losses")
    pause(app, 0.5)
    save(wiz, "wizard_4_training.png")
    wait(app, lambda: wiz.vm.result is not None, 900, "the end of training")
    pause(app, 0.5)
    save(wiz, "wizard_5_done.png")
    wiz.close()

    # page 1 last, from a fresh wizard: the run just made is offered for resuming, as after a restart
    wiz1 = wizard()
    wiz1.show()
    wiz1.artworks.set_folder(DATA / "styles" / "cezanne")
    wait(app, wiz1.artworks.isComplete, 120, "the artwork check")
    pause(app, 0.3)
    save(wiz1, "wizard_1_artworks.png")
    wiz1.close()
    bridge.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
