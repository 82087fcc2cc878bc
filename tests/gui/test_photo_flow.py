"""Photo tab on the real engine: open -> style -> preview shown -> strength -> save full size."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtGui import QGuiApplication, QImage

from tests.gui.conftest import digest

pytestmark = pytest.mark.gui


def test_open_choose_style_preview_and_save(window, qtbot, photo_file, tmp_path):
    before_hash = digest(photo_file)
    assert window.gallery.current == "tiny"  # first style selected by default
    assert window.photo.open_file(photo_file)
    qtbot.waitUntil(lambda: window.photo.after is not None, timeout=30000)
    canvas = window.photo_panel.canvas
    assert canvas.after is window.photo.after and canvas.before is not None
    first = window.photo.after

    window.gallery.select("tiny_two")  # another style -> recomputed
    qtbot.waitUntil(lambda: window.photo.after is not None and window.photo.after != first, timeout=30000)
    second = window.photo.after
    view = window.gallery_panel.view
    assert view.currentIndex().row() == window.gallery.model.row_of("tiny_two")

    window.photo_panel.look_bar.strength.setValue(40)  # strength is mixed at once, no engine round trip
    assert window.look.strength == pytest.approx(0.4)
    assert window.photo.after != second
    window.photo_panel.look_bar.preserve.setChecked(True)
    assert window.look.preserve_colors

    out = tmp_path / "out" / "painted.webp"
    out.parent.mkdir()
    with qtbot.waitSignal(window.photo.saved, timeout=30000) as saved:
        assert window.photo.save_as(out)
    assert saved.args == [out]
    with Image.open(out) as im:
        assert im.size == (96, 64) and im.format == "WEBP"
    assert digest(photo_file) == before_hash
    assert "Last run" in window.last_run_label.text()
    assert window.device_label.text().startswith("Device: cpu")


def test_save_never_overwrites_the_original(window, qtbot, photo_file):
    before_hash = digest(photo_file)
    window.photo.open_file(photo_file)
    assert not window.photo.save_as(photo_file)
    assert window.banner.isVisible()
    assert "never overwrites" in window.banner.label.text()
    assert digest(photo_file) == before_hash


def test_unreadable_photo_shows_a_message(window, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not really a jpeg")
    assert not window.photo.open_file(bad)
    assert window.banner.isVisible()
    assert "broken.jpg" in window.banner.label.text()
    window.app_vm.dismiss_error()
    assert not window.banner.isVisible()


def test_paste_from_clipboard_then_save(window, qtbot, tmp_path):
    image = QImage(80, 48, QImage.Format.Format_RGB32)
    image.fill(0x3366AA)
    QGuiApplication.clipboard().setImage(image)
    window.paste()
    assert window.photo.title == "Pasted image"
    assert window.photo.full_size == (80, 48)
    qtbot.waitUntil(lambda: window.photo.after is not None, timeout=30000)
    out = tmp_path / "pasted.png"
    with qtbot.waitSignal(window.photo.saved, timeout=30000):
        window.photo.save_as(out)
    assert Image.open(out).size == (80, 48)


def test_open_path_given_on_the_command_line(make_window, qtbot, photo_file):
    window = make_window(open_path=photo_file)
    assert window.photo.title == "photo.png"
    assert "photo.png" in window.windowTitle()
    qtbot.waitUntil(lambda: window.photo.after is not None, timeout=30000)


def test_canvas_zoom_and_split(window, qtbot, photo_file):
    window.photo.open_file(photo_file)
    qtbot.waitUntil(lambda: window.photo.after is not None, timeout=30000)
    canvas = window.photo_panel.canvas
    canvas.actual_size()
    assert canvas.zoom == pytest.approx(1.0)
    canvas.fit()
    assert canvas.fit_mode
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    x = round(canvas.split_x())
    y = canvas.height() // 2
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x, y))
    QTest.mouseMove(canvas, QPoint(x + 30, y))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(x + 30, y))
    assert canvas.split > 0.5


def test_brushwork_slider_repaints_the_preview_and_reaches_the_save(window, qtbot, tmp_path):
    """Brushwork needs the engine (unlike strength): letting go of the slider repaints; going back
    to a setting already painted shows it at once; Save paints with the same setting."""
    from tests.conftest import photo

    src = tmp_path / "large.png"
    Image.fromarray(photo(400, 300, seed=4)).save(src)  # large enough for strokes at the working size
    assert window.photo.open_file(src)
    qtbot.waitUntil(lambda: window.photo.after is not None, timeout=30000)
    smooth = window.photo.after.copy()

    assert window.photo_panel.look_bar.brushwork_label.text() == "0 %"  # off by default: the learned strokes alone
    window.photo_panel.look_bar.brushwork.setValue(100)  # tracking is off: a programmatic set acts like a release
    assert window.look.brushwork == 1.0
    assert window.photo_panel.look_bar.brushwork_label.text() == "100 %"
    qtbot.waitUntil(lambda: window.photo.after is not None and window.photo.after != smooth, timeout=30000)
    with_strokes = window.photo.after.copy()

    window.photo_panel.look_bar.brushwork.setValue(0)
    assert window.photo.after == smooth  # from the preview cache, no repaint

    saved = {}
    for value in (0, 100):
        window.photo_panel.look_bar.brushwork.setValue(value)
        out = tmp_path / f"painted_{value}.png"
        with qtbot.waitSignal(window.photo.saved, timeout=30000):
            assert window.photo.save_as(out)
        saved[value] = QImage(str(out)).convertToFormat(QImage.Format.Format_RGB888)
    # Save writes what the preview showed (this photo is no larger than the working copy)
    assert saved[0] == smooth.convertToFormat(QImage.Format.Format_RGB888)
    assert saved[100] == with_strokes.convertToFormat(QImage.Format.Format_RGB888)
    assert saved[0] != saved[100]
