"""Batch tab on the real engine: start -> progress -> finish, cancel, pause, closing during a batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence

from tests.conftest import photo

pytestmark = pytest.mark.gui


def _many(folder: Path, n: int, w: int = 160, h: int = 120) -> Path:
    folder.mkdir()
    for i in range(n):
        Image.fromarray(photo(w, h, seed=i)).save(folder / f"{i:02d}.png")
    return folder


def _configure(window, src: Path, out: Path) -> None:
    panel = window.batch_panel
    panel.input_edit.setText(str(src))
    panel.output_edit.setText(str(out))
    panel.format.setCurrentIndex(panel.format.findData("png"))


def test_batch_runs_to_the_end(window, qtbot, photo_dir, tmp_path):
    out = tmp_path / "out"
    _configure(window, photo_dir, out)
    assert QKeySequence("Ctrl+Return") in window.batch_action.shortcuts()
    fractions: list[float] = []
    window.batch.fraction_changed.connect(fractions.append)
    window.batch_action.trigger()
    assert window.tabs.currentWidget() is window.batch_panel
    assert window.batch.state == "running"
    assert not window.batch_panel.start_button.isEnabled() and window.batch_panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: window.batch.state == "done", timeout=60000)
    assert fractions and fractions[-1] == pytest.approx(1.0)
    assert window.batch_panel.progress.value() == 1000
    assert window.batch.count_text == "4 of 4"
    assert window.batch.thumbnail is not None  # the newest result was shown
    assert sorted(p.name for p in out.glob("*.png")) == [f"p{i}_tiny.png" for i in range(4)]
    assert "4 stylized" in window.batch_panel.summary_label.text()
    assert window.batch_panel.open_button.isEnabled()
    assert window.batch_panel.failures.count() == 0
    assert window.settings.folder("batch_in") == photo_dir  # remembered for next time


def test_batch_reports_unreadable_files_and_goes_on(window, qtbot, photo_dir, tmp_path):
    (photo_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff truncated")
    _configure(window, photo_dir, tmp_path / "out")
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch.state == "done", timeout=60000)
    items = [window.batch_panel.failures.item(i).text() for i in range(window.batch_panel.failures.count())]
    assert len(items) == 1 and items[0].startswith("broken.jpg: ")
    assert len(list((tmp_path / "out").glob("*.png"))) == 4


def test_batch_cancel_keeps_finished_outputs(window, qtbot, tmp_path):
    src = _many(tmp_path / "many", 40)
    out = tmp_path / "out"
    _configure(window, src, out)
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch.fraction > 0, timeout=60000)
    window.cancel_action.trigger()  # Esc
    qtbot.waitUntil(lambda: window.batch.state == "cancelled", timeout=60000)
    written = sorted(out.glob("*.png"))
    assert len(written) < 40
    for p in written:  # only complete images, no partial files
        Image.open(p).load()
    assert not list(out.glob(".*partial*"))
    assert window.batch_panel.start_button.isEnabled()
    assert "Stopped" in window.batch_panel.summary_label.text()


def test_event_loop_keeps_turning_while_a_job_runs(window, qtbot, tmp_path):
    """Pause a running batch (the engine thread is held inside the job) and watch a QTimer fire."""
    src = _many(tmp_path / "many", 12)
    _configure(window, src, tmp_path / "out")
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(window.batch.state))
    timer.start()
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch.fraction > 0, timeout=60000)
    window.batch_panel.pause_button.click()
    assert window.batch.state == "paused" and window.batch_panel.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: ticks.count("paused") >= 5, timeout=10000)
    window.batch_panel.pause_button.click()
    qtbot.waitUntil(lambda: window.batch.state == "done", timeout=60000)
    timer.stop()
    assert ticks.count("running") + ticks.count("paused") >= 5


def test_closing_during_a_batch_asks_then_cancels_and_stops_the_engine(window, qtbot, tmp_path):
    src = _many(tmp_path / "many", 20)
    out = tmp_path / "out"
    _configure(window, src, out)
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch.fraction > 0, timeout=60000)
    window.batch.toggle_pause()  # hold it mid-way
    asked = []
    window.confirm_close_during_batch = lambda: asked.append(1) or False
    assert not window.close()
    assert asked and window.isVisible() and window.batch.running
    window.confirm_close_during_batch = lambda: True
    assert window.close()
    assert window.bridge.runtime._thread is None  # engine thread joined
    assert not list(out.glob(".*partial*"))
    for p in out.glob("*.png"):
        Image.open(p).load()


def test_batch_with_missing_folder_is_refused_before_queueing(window, tmp_path):
    window.batch_panel.input_edit.setText(str(tmp_path / "nope"))
    assert not window.batch.start()
    assert window.batch.state == "idle"
    assert "does not exist" in window.banner.label.text()


def test_a_batch_paints_exactly_what_the_photo_tab_previews(window, qtbot, photo_dir, tmp_path):
    """Strength and colours set on the Photo tab: the batch's painting of that photo is the preview, pixel for
    pixel (these photos are smaller than the preview's working copy, so both are painted at full size)."""
    from PySide6.QtGui import QImage

    photo = photo_dir / "p1.jpg"
    window.photo.open_file(photo)
    window.photo_panel.look_bar.strength.setValue(60)
    window.photo_panel.look_bar.preserve.setChecked(True)
    window.gallery.select("tiny_two")
    qtbot.waitUntil(lambda: window.photo.after is not None and not window.photo.busy, timeout=60000)
    preview = window.photo.after.convertToFormat(QImage.Format.Format_RGB888)

    assert window.batch_panel.look_bar.strength.value() == 60  # the same controls on the Batch tab
    assert window.batch_panel.look_bar.preserve.isChecked()
    out = tmp_path / "out"
    _configure(window, photo_dir, out)
    window.start_batch()
    assert "Tiny Two · strength 60 %" in window.batch_panel.style_label.text()
    qtbot.waitUntil(lambda: window.batch.state == "done", timeout=60000)
    painted = QImage(str(out / "p1_tiny_two.png")).convertToFormat(QImage.Format.Format_RGB888)
    assert painted == preview


@pytest.mark.parametrize("answer", ["replace", "keep-both", "skip"])
def test_a_rerun_after_a_strength_change_asks_instead_of_skipping(window, qtbot, tmp_path, answer):
    """On the real engine: painted at 100 %, then again at 60 %. Not "already done": the question
    comes up, and the button pressed decides what happens to the earlier paintings."""
    from tests.gui.conftest import digest

    src = _many(tmp_path / "photos", 2, 64, 48)
    out = tmp_path / "out"
    _configure(window, src, out)
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch.state == "done", timeout=60000)
    earlier = {p.name: digest(p) for p in out.glob("*.png")}
    assert sorted(earlier) == ["00_tiny.png", "01_tiny.png"]

    window.batch_panel.look_bar.strength.setValue(60)
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch_panel.rerun_dialog is not None, timeout=60000)
    dialog = window.batch_panel.rerun_dialog
    assert window.batch.state == "asking" and dialog.isVisible()
    assert dialog.text() == f"2 paintings in {out} were made with other settings (strength 100 % → 60 %)."
    assert {p.name: digest(p) for p in out.glob("*.png")} == earlier  # nothing painted while it asks
    dialog.button_for(answer).click()
    qtbot.waitUntil(lambda: window.batch.state == "done", timeout=60000)
    assert window.batch_panel.rerun_dialog is None
    now = {p.name: digest(p) for p in out.glob("*.png")}
    if answer == "replace":
        assert sorted(now) == sorted(earlier) and all(now[n] != earlier[n] for n in earlier)
        assert "2 earlier paintings replaced" in window.batch.summary
    elif answer == "keep-both":
        assert sorted(now) == ["00_tiny-2.png", "00_tiny.png", "01_tiny-2.png", "01_tiny.png"]
        assert all(now[n] == earlier[n] for n in earlier)
    else:
        assert now == earlier and "2 skipped (painted before with other settings)" in window.batch.summary
