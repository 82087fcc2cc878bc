"""Real pixels at 100 %, Save's progress and folder, and the Preferences for what gets written (scripted engine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.viewmodels.app import OutputPrefs
from engine.messages import JobFinished, JobPreview, JobProgress, StylizeFolder, StylizeImage, StylizePreview
from tests.conftest import photo
from tests.gui.conftest import ScriptedRuntime

pytestmark = pytest.mark.gui


def big_photo(folder: Path, name: str = "big.jpg", size: tuple[int, int] = (2048, 1536)) -> Path:
    path = folder / name
    Image.fromarray(photo(*size, seed=5)).save(path, quality=92)
    return path


def answer_preview(runtime: ScriptedRuntime, request: StylizePreview, value: int) -> None:
    pixels = np.full((request.height, request.width, 3), value, np.uint8).tobytes()
    runtime.send(JobPreview(request.job_id, pixels, request.width, request.height, ""),
                 JobFinished(request.job_id, None, 0.1))


def previews(runtime: ScriptedRuntime) -> list[StylizePreview]:
    return [r for r in runtime.requests if isinstance(r, StylizePreview)]


def test_the_preview_paints_strokes_at_the_scale_save_will(make_window, qtbot, tmp_path):
    """Save paints a 2048 px photo at 1600 px: the 1024 px preview is painted at half of that, 800 px."""
    runtime = ScriptedRuntime()
    window = make_window(runtime=runtime)
    window.photo.open_file(big_photo(tmp_path))
    first = previews(runtime)[0]
    assert (first.width, first.height) == (1024, 768)
    assert first.options.paint_size == 800
    answer_preview(runtime, first, 100)
    qtbot.waitUntil(lambda: not window.photo.busy, timeout=5000)
    small = tmp_path / "small.png"
    Image.fromarray(photo(600, 400)).save(small)
    window.photo.open_file(small)
    assert previews(runtime)[-1].width == 600
    assert previews(runtime)[-1].options.paint_size is None  # Save paints every pixel of it: so does the preview


def test_actual_size_shows_the_full_resolution_painting(make_window, qtbot, tmp_path):
    runtime = ScriptedRuntime()
    window = make_window(runtime=runtime)
    window.photo.open_file(big_photo(tmp_path))
    answer_preview(runtime, previews(runtime)[0], 100)
    qtbot.waitUntil(lambda: window.photo.after is not None and not window.photo.busy, timeout=5000)
    canvas = window.photo_panel.canvas
    assert not canvas.showing_real_pixels()

    window.photo_panel.actual_button.click()  # 100 %: the working copy alone would be enlarged twice
    full = [r for r in previews(runtime) if r.width == 2048]
    assert len(full) == 1 and full[0].height == 1536 and full[0].options.paint_size == 1600  # as Save paints
    assert canvas.real_before is not None and canvas.real_before.width() == 2048  # the photo's own pixels at once
    assert canvas.busy_text == "Painting the full-resolution pixels…"
    canvas.actual_size()
    assert len([r for r in previews(runtime) if r.width == 2048]) == 1  # asked once
    answer_preview(runtime, full[0], 200)
    qtbot.waitUntil(canvas.showing_real_pixels, timeout=5000)
    assert canvas.real_after.size().toTuple() == (2048, 1536) and canvas.busy_text == ""
    assert canvas.real_after.pixelColor(10, 10).red() == 200

    window.photo_panel.look_bar.strength.setValue(50)  # mixed again at full size, after the slider settles
    qtbot.waitUntil(lambda: window.photo.real.after is not None
                    and window.photo.real.after.pixelColor(10, 10).red() != 200, timeout=5000)
    assert len([r for r in previews(runtime) if r.width == 2048]) == 1  # no engine round trip for strength
    window.gallery.select("tiny_two")  # another style: painted again at full size, as it is still at 100 %
    qtbot.waitUntil(lambda: any(r.width == 2048 and r.style == "tiny_two" for r in previews(runtime)), timeout=5000)


def test_save_shows_progress_then_offers_the_folder(make_window, qtbot, tmp_path):
    def save(req, sink):
        sink(JobProgress(req.job_id, 0.4, "painting", 2.0))

    runtime = ScriptedRuntime({StylizeImage: save})
    window = make_window(runtime=runtime)
    window.photo.open_file(big_photo(tmp_path))
    panel = window.photo_panel
    dest = tmp_path / "out.jpg"
    assert window.photo.save_as(dest)
    qtbot.waitUntil(lambda: panel.save_progress.value() == 400, timeout=5000)
    assert panel.save_progress.isVisible() and not panel.show_saved.isVisible()
    request = next(r for r in runtime.requests if isinstance(r, StylizeImage))
    runtime.send(JobFinished(request.job_id, None, 3.0))
    qtbot.waitUntil(lambda: panel.show_saved.isVisible(), timeout=5000)
    assert panel.saved_label.text() == "Saved out.jpg" and not panel.save_progress.isVisible()


@pytest.mark.parametrize("source,preferred,offered", [
    ("photo.jpeg", "same", "jpg"), ("photo.png", "same", "png"), ("scan.tif", "same", "png"),
    ("photo.jpg", "webp", "webp"), ("IMG_0001.avif", "same", "jpg")])
def test_save_offers_the_photos_own_format_unless_preferences_say_otherwise(make_window, tmp_path, source,
                                                                             preferred, offered):
    path = tmp_path / source
    Image.fromarray(photo(96, 64)).save(path)  # Pillow writes AVIF, which Atelier reads but does not write
    window = make_window(runtime=ScriptedRuntime())
    window.photo.open_file(path)
    assert window.photo.default_format(preferred) == offered


def test_preferences_decide_quality_size_and_the_batch_folder(make_window, settings, tmp_path, photo_dir, qtbot):
    from desktop_app.widgets.dialogs import PreferencesDialog

    runtime = ScriptedRuntime()
    window = make_window(runtime=runtime)
    out = tmp_path / "paintings"
    out.mkdir()
    dialog = PreferencesDialog("cpu", window, window.app_vm.device_choices(), window.app_vm.output)
    dialog.folder.setText(str(out))
    dialog.format.setCurrentIndex(dialog.format.findData("webp"))
    dialog.quality.setValue(80)
    dialog.max_size.setValue(2048)
    window.app_vm.set_output(dialog.chosen_output())
    assert OutputPrefs.load(settings) == OutputPrefs(str(out), "webp", 80, 2048)  # remembered

    assert str(out) in window.batch_panel.output_edit.placeholderText()
    window.batch_panel.input_edit.setText(str(photo_dir))
    window.start_batch()
    folder = next(r for r in runtime.requests if isinstance(r, StylizeFolder))
    assert folder.out_dir == out and (folder.options.jpeg_quality, folder.options.max_size) == (80, 2048)
    window.photo.open_file(photo_dir / "p0.jpg")
    window.photo.save_as(tmp_path / "one.webp")
    image = next(r for r in runtime.requests if isinstance(r, StylizeImage))
    assert (image.options.jpeg_quality, image.options.max_size, image.options.output_format) == (80, 2048, "webp")


def test_settings_and_qts_own_files_stay_under_atelier_home(qapp, atelier_home):
    from PySide6.QtCore import QSettings

    from desktop_app.app import create_application

    create_application()
    try:
        assert Path(QSettings().fileName()).is_relative_to(atelier_home)
        qt_own = QSettings(QSettings.Scope.UserScope, "QtProject")  # where Qt's file dialogs keep their history
        assert Path(qt_own.fileName()).is_relative_to(atelier_home)
    finally:
        for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):  # leave other tests as they were
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(Path.home() / ".config"))
        QSettings.setDefaultFormat(QSettings.Format.NativeFormat)
