"""Easy to find and to drop onto: + New style, Help, first-run hints, folders dropped on Batch and the wizard."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import ScriptedRuntime

pytestmark = pytest.mark.gui


def drag(widget, path, release: bool = True) -> None:
    """A file manager's drag of `path` over `widget`, dropped when `release`."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    action = Qt.DropAction.CopyAction
    QApplication.sendEvent(widget, QDragEnterEvent(QPointF(5, 5), action, mime, Qt.MouseButton.LeftButton,
                                                   Qt.KeyboardModifier.NoModifier))
    if release:
        QApplication.sendEvent(widget, QDropEvent(QPointF(5, 5), action, mime, Qt.MouseButton.LeftButton,
                                                  Qt.KeyboardModifier.NoModifier))


def test_training_is_reachable_from_the_gallery(make_window):
    window = make_window(runtime=ScriptedRuntime())
    assert window.gallery_panel.new_button.isVisible()
    window.gallery_panel.new_button.click()
    assert window.wizard is not None and window.wizard.isVisible()
    window.wizard.close()


def test_help_has_a_guide_and_every_shortcut(make_window):
    window = make_window(runtime=ScriptedRuntime())
    dialog = window.show_help()
    text = dialog.browser.toPlainText()
    assert "Quick guide" in text and "Pick a style" in text
    assert "Ctrl+O" in text and "Open photo" in text and "Ctrl+Return" in text and "Start batch" in text
    assert "F1" in text and "Space" in text  # its own key, and the live view's
    dialog.close()


def test_first_run_hints_show_until_got_it(make_window, settings):
    import desktop_app.main_window as mw

    first = make_window(runtime=ScriptedRuntime())
    first.tabs.setCurrentIndex(mw.TAB_BATCH)
    assert first.batch_panel.hint.isVisible() and "Batch" in first.batch_panel.hint.label.text()
    first.batch_panel.hint.got_it.click()
    assert not first.batch_panel.hint.isVisible()
    wizard = first.open_wizard()
    assert wizard.artworks.hint.isVisibleTo(wizard)
    wizard.close()
    first.close()
    second = make_window(runtime=ScriptedRuntime())
    second.tabs.setCurrentIndex(mw.TAB_BATCH)
    assert not second.batch_panel.hint.isVisible()  # remembered
    assert second.open_wizard().artworks.hint.isVisibleTo(second.wizard)  # the others still show
    second.wizard.close()


def test_a_folder_dropped_on_batch_is_taken_and_the_field_lights_up(make_window, photo_dir):
    window = make_window(runtime=ScriptedRuntime())
    panel = window.batch_panel
    drag(panel, photo_dir, release=False)
    assert panel.folder_drop.highlighted
    QApplication.sendEvent(panel, QDragLeaveEvent())
    assert not panel.folder_drop.highlighted
    drag(panel.input_edit, photo_dir)  # straight onto the field: a folder, not its URL as text
    assert panel.input_edit.text() == str(photo_dir) and window.batch.input_dir == str(photo_dir)
    assert not panel.folder_drop.highlighted
    drag(panel, photo_dir / "p0.jpg")  # a photo stands for its folder
    assert window.batch.input_dir == str(photo_dir)


def test_a_folder_dropped_on_the_wizard_is_checked(make_window, qtbot, tmp_path, photo_dir):
    window = make_window(runtime=ScriptedRuntime())
    wizard = window.open_wizard()
    drag(wizard.artworks, photo_dir)
    assert wizard.artworks.path_edit.text() == str(photo_dir)
    qtbot.waitUntil(lambda: wizard.vm.artworks.result is not None, timeout=30000)
    assert wizard.artworks.grid.count() == 4
    wizard.close()
