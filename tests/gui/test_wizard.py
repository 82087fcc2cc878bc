"""The training wizard through the real engine: tiny data, 3 steps, to a style file that loads; then resume.

Note: the shared `photo_dir` fixture's photos are 64 px high, below the data check's 128 px minimum, so
training uses its own slightly larger photos; the fixture serves the "excluded files and why" test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from desktop_app.bridge import EngineBridge
from desktop_app.wizard.training_wizard import ARTWORKS, DONE, OPTIONS, PHOTOS, RUN, TrainingWizard
from engine.brushwork import STROKE_PRESETS
from engine.stylefile import load_style
from tests.conftest import photo

pytestmark = pytest.mark.gui


def image_folder(folder: Path, count: int, size: tuple[int, int], seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(photo(*size, seed=seed + i)).save(folder / f"img{i}.png")
    return folder


@pytest.fixture
def bridge(qtbot, catalog, atelier_home):
    b = EngineBridge(catalog)
    yield b
    b.shutdown()


def make_wizard(qtbot, bridge, photos: Path | None) -> TrainingWizard:
    wiz = TrainingWizard(bridge, default_photos_dir=photos)
    wiz.confirm_cancel = False
    wiz.request_overrides = {"minutes": None, "steps": 3, "crop": 64}
    qtbot.addWidget(wiz)
    wiz.show()
    return wiz


def choose(combo, data) -> None:
    index = next(i for i in range(combo.count()) if combo.itemData(i) == data)
    combo.setCurrentIndex(index)


def test_wizard_trains_a_style_and_resumes(qtbot, bridge, tmp_path, atelier_home):
    art = image_folder(tmp_path / "art", 2, (160, 160), seed=20)
    photos = image_folder(tmp_path / "my_photos", 4, (176, 144), seed=40)
    wiz = make_wizard(qtbot, bridge, photos)
    assert wiz.currentId() == ARTWORKS
    assert not wiz.artworks.resume_box.isVisibleTo(wiz)  # no interrupted runs yet

    wiz.artworks.set_folder(art)
    qtbot.waitUntil(wiz.artworks.isComplete, timeout=30000)
    assert wiz.artworks.grid.count() == 2
    assert "2 usable" in wiz.artworks.status.text()
    wiz.next()
    assert wiz.currentId() == PHOTOS
    qtbot.waitUntil(wiz.photos.isComplete, timeout=30000)  # the default folder was checked by itself
    wiz.next()
    assert wiz.currentId() == OPTIONS
    assert not wiz.options.isComplete()  # a name is needed first
    wiz.options.name_edit.setText("Tiny")
    assert "already exists" in wiz.options.name_error.text() and not wiz.options.isComplete()
    wiz.options.name_edit.setText("ＴＩＮＹ")  # the same name in full-width letters
    assert "already exists" in wiz.options.name_error.text() and not wiz.options.isComplete()
    wiz.options.name_edit.setText("Con")  # a device name on Windows: no file can have it
    assert "reserved" in wiz.options.name_error.text() and not wiz.options.isComplete()
    wiz.options.name_edit.setText("Wizard Test")
    wiz.options.author_edit.setText("pytest")
    assert wiz.options.minutes.value() == 20
    choose(wiz.options.base_box, None)  # hermetic: not the shipped base model
    choose(wiz.options.device_box, "cpu")
    assert wiz.options.keep_skin.isChecked()  # faces keep their colour unless the user says otherwise
    wiz.options.keep_skin.setChecked(False)
    assert wiz.options.strokes() == "medium"
    choose(wiz.options.strokes_box, "hatching")
    assert wiz.options.isComplete()

    with qtbot.waitSignal(wiz.style_created, timeout=600000) as created:
        wiz.next()
        assert wiz.currentId() == RUN
        qtbot.wait(50)
        if wiz.run_page.running:  # no going back to the options while the run they started is going
            assert not wiz.button(wiz.WizardButton.BackButton).isEnabled()
    path = created.args[0]
    assert path.exists() and path.parent == bridge.catalog.user_dir
    _, meta = load_style(path)
    assert meta.name == "Wizard Test" and meta.author == "pytest"
    assert meta.training["config"]["skin_colour_keep"] == 0.0  # the unticked box reached the trainer
    assert meta.brush == STROKE_PRESETS["hatching"]  # and the chosen brushstrokes reached the style file
    qtbot.waitUntil(lambda: wiz.currentId() == DONE, timeout=5000)
    assert wiz.run_page.chart.point_count() > 0  # losses arrived from JobProgress.metrics
    assert "Wizard Test" in wiz.done_page.summary.text()
    assert any(e.slug == "wizard_test" for e in bridge.catalog.list())

    # after a "restart", the run is offered on the first page and resuming it goes straight to training
    wiz2 = make_wizard(qtbot, bridge, photos)
    runs = wiz2.artworks.runs()
    assert len(runs) == 1 and runs[0].name == "Wizard Test"
    assert wiz2.artworks.resume_box.isVisibleTo(wiz2)
    assert wiz2.artworks.runs_list.currentRow() == 0  # the newest run is preselected
    with qtbot.waitSignal(wiz2.style_created, timeout=600000) as resumed:
        wiz2.artworks.resume_button.click()
        assert wiz2.currentId() == RUN
        assert wiz2.run_page.request.resume and wiz2.run_page.request.run_dir == runs[0].run_dir
    assert resumed.args[0] == path
    load_style(path)


def test_data_check_failures_are_shown_on_the_pages(qtbot, bridge, tmp_path, photo_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    wiz = make_wizard(qtbot, bridge, photo_dir)
    wiz.artworks.set_folder(empty)
    qtbot.waitUntil(lambda: wiz.artworks.result is not None, timeout=30000)
    assert not wiz.artworks.isComplete()
    assert "too few artwork images" in wiz.artworks.status.text()
    assert not wiz.button(wiz.WizardButton.NextButton).isEnabled()

    # the fixture's photos are too small: each is listed with its reason, and the page blocks
    qtbot.waitUntil(lambda: wiz.photos.result is not None, timeout=30000)
    assert not wiz.photos.isComplete()
    reasons = [wiz.photos.issues.item(i).text() for i in range(wiz.photos.issues.count())]
    assert len(reasons) == 4 and all("too small" in r for r in reasons)
    assert "need at least 4" in wiz.photos.status.text()
    assert wiz.photos.grid.count() == 4  # still shown (greyed), so the user sees which files

    wiz.artworks.set_folder(tmp_path / "does_not_exist")
    qtbot.waitUntil(lambda: wiz.artworks.result is not None, timeout=30000)
    assert "does not exist" in wiz.artworks.status.text()


def test_every_value_the_options_page_offers_makes_a_valid_request(qtbot, bridge):
    """The spin box and slider ranges lie inside the engine's limits (engine.limits): whatever the
    user can pick builds a Train request, and the request itself refuses what the GUI cannot offer."""
    from engine.limits import OptionError

    wiz = TrainingWizard(bridge)
    qtbot.addWidget(wiz)
    o = wiz.options
    o.name_edit.setText("Range check")
    for minutes in (o.minutes.minimum(), o.minutes.maximum()):
        for content in (o.content.minimum(), o.content.maximum()):
            o.minutes.setValue(minutes)
            o.content.setValue(content)
            o.keep_skin.setChecked(content == 0)
            request = wiz.build_request()
            assert request.minutes == minutes and request.content_weight == content / 100
    with pytest.raises(OptionError, match="training time"):
        wiz.request_overrides = {"minutes": 0.0}
        wiz.build_request()
