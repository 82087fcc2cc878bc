"""Gallery (empty state, import, delete, stepping), preferences, live/wizard fallbacks, launcher routing."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QKeySequence

from engine.catalog import Catalog
from tests.conftest import make_style

pytestmark = pytest.mark.gui


def test_empty_gallery_explains_how_to_get_a_style(make_window, tmp_path, qtbot):
    (tmp_path / "e1").mkdir()
    window = make_window(cat=Catalog(tmp_path / "e1", tmp_path / "e2"))
    assert window.gallery.empty and window.gallery.current == ""
    assert window.gallery_panel.stack.currentIndex() == 1
    assert not window.photo_panel.save_button.isEnabled()

    entry = window.gallery.import_file(make_style(tmp_path / "shared.atelier-style", "Shared Style"))
    assert entry is not None and entry.slug == "shared_style"
    assert window.gallery.current == "shared_style"
    assert window.gallery_panel.stack.currentIndex() == 0
    assert window.delete_action.isEnabled()  # a user style can be deleted
    assert window.gallery.remove("shared_style")
    assert window.gallery.empty


def test_import_of_a_corrupt_style_is_refused_with_a_message(window, tmp_path):
    bad = tmp_path / "bad.atelier-style"
    bad.write_bytes(b"\x00" * 64)
    assert window.gallery.import_file(bad) is None
    assert window.banner.isVisible() and "bad.atelier-style" in window.banner.label.text()


def test_step_through_styles_and_builtins_are_protected(window):
    assert [e.slug for e in window.gallery.model.entries] == ["tiny", "tiny_two"]
    assert QKeySequence("]") in next(a for a in window.findChildren(type(window.save_action))
                                     if a.text() == "&Next style").shortcuts()
    window.gallery.step(1)
    assert window.gallery.current == "tiny_two"
    window.gallery.step(1)
    assert window.gallery.current == "tiny"
    window.gallery.step(-1)
    assert window.gallery.current == "tiny_two"
    assert not window.delete_action.isEnabled()
    assert window.settings.text("look/style") == "tiny_two"


def test_a_remembered_style_that_is_gone_falls_back_to_the_first(make_window, settings):
    """A style left selected last time may be gone (deleted, or a built-in retired in an update:
    Kandinsky): the app opens on the first style, without an error."""
    settings.set_text("look/style", "kandinsky")
    window = make_window()
    assert window.gallery.current == window.gallery.model.entries[0].slug
    assert settings.text("look/style") == window.gallery.current


def test_style_created_by_the_wizard_is_selected(window, catalog):
    path = make_style(catalog.user_dir / "my_new_style.atelier-style", "My New Style")
    window._on_style_created(path)
    assert window.gallery.current == "my_new_style"


def test_device_choice_is_remembered(window, settings):
    from desktop_app.widgets.dialogs import PreferencesDialog

    choices = window.app_vm.device_choices()
    specs = [spec for spec, _ in choices]
    assert specs[0] == "auto" and "cpu" in specs
    dialog = PreferencesDialog("cpu", window, choices)
    assert dialog.chosen_device() == "cpu"
    window.app_vm.set_device("auto")
    assert settings.device == "auto"
    assert window.device_label.text().startswith("Device: cpu")  # auto resolves to the CPU here


def test_status_bar_tells_which_torch_build_runs(window):
    import torch

    mps_built = torch.backends.mps.is_built()
    built_for = f"CUDA {torch.version.cuda}" if torch.version.cuda else ("Apple GPU" if mps_built else "CPU only")
    assert f"torch {torch.__version__} ({built_for})" in window.device_label.toolTip()


def test_live_tab_and_wizard_are_part_of_the_window(make_window, monkeypatch):
    """Both are imported statically and typed; the live view is built on the first visit to its tab."""
    import desktop_app.viewmodels.live as live_vm_module
    from desktop_app.live.live_view import LiveView
    from desktop_app.main_window import TAB_LIVE
    from desktop_app.wizard.training_wizard import TrainingWizard

    monkeypatch.setattr(live_vm_module, "list_cameras", lambda: [])  # no camera is opened
    window = make_window()
    assert window.live_view is None
    window.tabs.setCurrentIndex(TAB_LIVE)
    assert isinstance(window.live_view, LiveView) and window.live_view.vm is window.live
    wizard = window.open_wizard()
    assert isinstance(wizard, TrainingWizard) and wizard.isVisible()
    assert window.open_wizard() is wizard  # one wizard at a time
    wizard.close()


def test_about_text_has_credits():
    from desktop_app.viewmodels.app import about_markdown

    assert about_markdown().startswith("# Atelier")


def test_launcher_routes_arguments(monkeypatch, photo_file):
    import engine.cli
    from desktop_app import launcher

    calls = []
    monkeypatch.setattr(launcher, "run_gui", lambda photo=None: calls.append(("gui", photo)) or 0)
    monkeypatch.setattr(engine.cli, "main", lambda argv: calls.append(("cli", list(argv))) or 3)
    assert launcher.main([]) == 0
    assert launcher.main([str(photo_file)]) == 0
    assert launcher.main(["styles", "list"]) == 3
    assert launcher.main([str(photo_file.with_name("missing.png"))]) == 3
    assert calls == [("gui", None), ("gui", photo_file), ("cli", ["styles", "list"]),
                     ("cli", [str(photo_file.with_name("missing.png"))])]


def test_change_only_properties(qapp):
    from desktop_app.viewmodels.properties import ObservableObject, Property

    class Model(ObservableObject):
        value = Property(0)
        clamped = Property(0.5, setter=lambda _s, v: min(1.0, max(0.0, v)))

    m = Model()
    seen = []
    m.value_changed.connect(seen.append)
    m.clamped_changed.connect(seen.append)
    m.value = 1
    m.value = 1
    m.clamped = 7
    m.clamped = 3
    assert seen == [1, 1.0]


def test_live_follows_the_look_and_the_device_and_stops_when_the_tab_is_left(make_window, monkeypatch, qtbot):
    """Live paints the gallery's style with the shared strength and brushwork, on the app's device; leaving
    the tab releases the source."""
    import desktop_app.main_window as mw
    import desktop_app.viewmodels.live as live_vm_module
    from engine.messages import StylizeFrame
    from tests.gui.conftest import ScriptedRuntime
    from tests.gui.test_live_view import ScriptedSource

    monkeypatch.setattr(live_vm_module, "list_cameras", lambda: [])
    runtime = ScriptedRuntime()
    window = make_window(runtime=runtime)
    window.tabs.setCurrentIndex(mw.TAB_LIVE)
    window.look.strength = 0.6
    window.look.brushwork = 0.3
    window.app_vm.set_device("cpu")
    source = ScriptedSource()
    window.live.use_source(source)
    qtbot.waitUntil(lambda: any(isinstance(r, StylizeFrame) for r in runtime.requests), timeout=5000)
    frame = next(r for r in runtime.requests if isinstance(r, StylizeFrame))
    assert (frame.style, frame.strength, frame.brushwork, frame.device) == ("tiny", 0.6, 0.3, "cpu")
    window.tabs.setCurrentIndex(mw.TAB_PHOTO)
    assert not window.live.running and not source.active


def test_window_state_and_choices_are_remembered(make_window, settings, photo_dir):
    first = make_window()
    first.resize(900, 640)
    first.photo_panel.look_bar.strength.setValue(70)
    first.batch_panel.input_edit.setText(str(photo_dir))
    first.gallery.select("tiny_two")
    first.close()
    assert settings.blob("window/geometry") is not None  # (offscreen screens clamp sizes: not compared)
    second = make_window()
    assert second.look.strength == pytest.approx(0.7)
    assert second.gallery.current == "tiny_two"
    assert second.batch_panel.input_edit.text() == str(photo_dir)


def test_live_switches_are_remembered(make_window, settings, monkeypatch):
    """Mirror and the frame-rate overlay come back as the user left them (both start off)."""
    import desktop_app.main_window as mw
    import desktop_app.viewmodels.live as live_vm_module

    monkeypatch.setattr(live_vm_module, "list_cameras", lambda: [])  # no camera is opened
    first = make_window()
    first.tabs.setCurrentIndex(mw.TAB_LIVE)
    assert not first.live_view.mirror_box.isChecked() and not first.live.show_stats
    assert not first.live_view.display.show_overlay
    first.live_view.mirror_box.setChecked(True)
    first.stats_action.trigger()
    first.close()
    assert settings.flag("live/mirror") and settings.flag("live/show_stats")
    second = make_window()
    second.tabs.setCurrentIndex(mw.TAB_LIVE)
    assert second.live_view.mirror_box.isChecked() and second.live.mirror
    assert second.live.show_stats and second.live_view.display.show_overlay


def test_a_user_style_gets_other_brushstrokes_from_the_gallery(window, catalog, qtbot, tmp_path):
    """Gallery menu -> Brushstrokes: the file is rewritten, the preview repainted; built-ins refuse."""
    from PIL import Image
    from PySide6.QtWidgets import QMenu

    from engine.brushwork import STROKE_PRESETS
    from engine.stylefile import read_meta
    from tests.conftest import photo

    path = make_style(catalog.user_dir / "mine.atelier-style", "Mine")
    window.gallery.refresh(select="mine")
    window.look.brushwork = 1.0  # the extra strokes are off by default; this test is about them
    src = tmp_path / "large.png"
    Image.fromarray(photo(400, 300, seed=4)).save(src)
    assert window.photo.open_file(src)
    qtbot.waitUntil(lambda: window.photo.after is not None, timeout=30000)
    medium = window.photo.after.copy()

    menu = QMenu()
    window.gallery_panel._strokes_menu(menu, window.gallery.entry("mine"))
    sub = menu.actions()[0].menu()
    checked = [a.text() for a in sub.actions() if a.isChecked()]
    assert checked == ["Medium strokes"]  # a file without strokes paints with the medium preset
    next(a for a in sub.actions() if a.text().startswith("Parallel hatching")).trigger()

    assert read_meta(path).brush == STROKE_PRESETS["hatching"]
    assert window.gallery.strokes_of("mine") == "hatching"
    qtbot.waitUntil(lambda: window.photo.after is not None and window.photo.after != medium, timeout=30000)
    assert "now paints with parallel hatching" in window.statusBar().currentMessage()

    builtin_menu = QMenu()
    window.gallery_panel._strokes_menu(builtin_menu, window.gallery.entry("tiny"))
    assert not builtin_menu.actions()[0].isEnabled()
