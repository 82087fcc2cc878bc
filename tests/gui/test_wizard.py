"""The training wizard through the real engine: tiny data, 3 steps, to a style file that loads; then resume.

Note: the shared `photo_dir` fixture's photos are 64 px high, below the data check's 128 px minimum, so
training uses its own slightly larger photos; the fixture serves the "excluded files and why" test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from desktop_app.composition import engine_services, make_bridge
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.training import TrainingViewModel
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
    b = make_bridge(catalog)
    yield b
    b.shutdown()


def make_wizard(qtbot, bridge, photos: Path | None, settings) -> TrainingWizard:
    vm = TrainingViewModel(AppViewModel(bridge, settings), bridge.catalog, engine_services(), photos)
    vm.request_overrides = {"minutes": None, "steps": 3, "crop": 64}
    wiz = TrainingWizard(vm)
    wiz.confirm_cancel = False
    qtbot.addWidget(wiz)
    wiz.show()
    return wiz


def choose(combo, data) -> None:
    index = next(i for i in range(combo.count()) if combo.itemData(i) == data)
    combo.setCurrentIndex(index)


def test_wizard_trains_a_style_and_resumes(qtbot, bridge, tmp_path, atelier_home, settings):
    art = image_folder(tmp_path / "art", 2, (160, 160), seed=20)
    photos = image_folder(tmp_path / "my_photos", 4, (176, 144), seed=40)
    wiz = make_wizard(qtbot, bridge, photos, settings)
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

    with qtbot.waitSignal(wiz.vm.style_created, timeout=600000) as created:
        wiz.next()
        assert wiz.currentId() == RUN
        qtbot.wait(50)
        if wiz.vm.running:  # no going back to the options while the run they started is going
            assert not wiz.button(wiz.WizardButton.BackButton).isEnabled()
    path = created.args[0]
    assert path.exists() and path.parent == bridge.catalog.user_dir
    _, meta = load_style(path)
    assert meta.name == "Wizard Test" and meta.author == "pytest"
    assert meta.training["config"]["skin_colour_keep"] == 0.0  # the unticked box reached the trainer
    assert meta.brush == STROKE_PRESETS["hatching"]  # and the chosen brushstrokes reached the style file
    assert meta.artwork_png and meta.description == "Learned from 2 artworks in art."  # the gallery card
    qtbot.waitUntil(lambda: wiz.currentId() == DONE, timeout=5000)
    assert wiz.run_page.chart.point_count() > 0  # losses arrived from JobProgress.metrics
    assert "Wizard Test" in wiz.done_page.details.text() and "steps" in wiz.done_page.words.text()
    assert any(e.slug == "wizard_test" for e in bridge.catalog.list())

    # after a "restart", the run is offered on the first page and resuming it goes straight to training
    wiz2 = make_wizard(qtbot, bridge, photos, settings)
    runs = wiz2.artworks.runs()
    assert len(runs) == 1 and runs[0].name == "Wizard Test"
    assert wiz2.artworks.resume_box.isVisibleTo(wiz2)
    assert wiz2.artworks.runs_list.currentRow() == 0  # the newest run is preselected
    with qtbot.waitSignal(wiz2.vm.style_created, timeout=600000) as resumed:
        wiz2.artworks.resume_button.click()
        assert wiz2.currentId() == RUN
        assert wiz2.vm.request.resume and wiz2.vm.request.run_dir == runs[0].run_dir
    assert resumed.args[0] == path
    load_style(path)


def test_data_check_failures_are_shown_on_the_pages(qtbot, bridge, tmp_path, photo_dir, settings):
    empty = tmp_path / "empty"
    empty.mkdir()
    wiz = make_wizard(qtbot, bridge, photo_dir, settings)
    wiz.artworks.set_folder(empty)
    qtbot.waitUntil(lambda: wiz.vm.artworks.result is not None, timeout=30000)
    assert not wiz.artworks.isComplete()
    assert "too few artwork images" in wiz.artworks.status.text()
    assert not wiz.button(wiz.WizardButton.NextButton).isEnabled()

    # the fixture's photos are too small: each is listed with its reason, and the page blocks
    qtbot.waitUntil(lambda: wiz.vm.photos.result is not None, timeout=30000)
    assert not wiz.photos.isComplete()
    reasons = [wiz.photos.issues.item(i).text() for i in range(wiz.photos.issues.count())]
    assert len(reasons) == 4 and all("too small" in r for r in reasons)
    assert "need at least 4" in wiz.photos.status.text()
    assert wiz.photos.grid.count() == 4  # still shown (greyed), so the user sees which files

    wiz.artworks.set_folder(tmp_path / "does_not_exist")
    qtbot.waitUntil(lambda: wiz.vm.artworks.result is not None, timeout=30000)
    assert "does not exist" in wiz.artworks.status.text()


def test_the_last_page_explains_the_result_and_trains_longer(qtbot, catalog, tmp_path, atelier_home, settings):
    """Against a scripted engine: the result in words and pictures, then "Train longer" continues the run."""
    from PySide6.QtWidgets import QLabel

    from engine.messages import JobFinished, JobPreview, Train
    from tests.conftest import make_style
    from tests.gui.conftest import ScriptedRuntime

    runtime = ScriptedRuntime()
    bridge = make_bridge(catalog, runtime=runtime)
    try:
        art = image_folder(tmp_path / "art", 2, (160, 160), seed=20)
        photos = image_folder(tmp_path / "my_photos", 4, (176, 144), seed=40)
        wiz = make_wizard(qtbot, bridge, photos, settings)
        wiz.artworks.set_folder(art)
        qtbot.waitUntil(wiz.artworks.isComplete, timeout=30000)
        wiz.next()
        qtbot.waitUntil(wiz.photos.isComplete, timeout=30000)
        wiz.next()
        wiz.options.name_edit.setText("Scripted")
        wiz.next()
        assert wiz.currentId() == RUN
        first = runtime.requests[-1]
        assert isinstance(first, Train) and not first.resume

        style = make_style(tmp_path / "scripted.atelier-style", "Scripted")
        history = ({"step": 100.0, "style": 2.0, "ssim": 0.8, "score": 1.5},
                   {"step": 200.0, "style": 1.5, "ssim": 0.72, "score": 1.2})
        outcome = type("Outcome", (), {"style_path": style, "steps": 200, "seconds": 600.0, "score": 1.2,
                                       "history": history})
        runtime.send(JobPreview(first.job_id, bytes(8 * 4 * 3), 8, 4, "step 10"), JobFinished(first.job_id, outcome))
        qtbot.waitUntil(lambda: wiz.currentId() == DONE, timeout=5000)
        words = wiz.done_page.words.text()
        assert "10 min 00 s (200 steps)" in words and "step 200" in words
        assert "25% closer to the style of your artworks" in words
        assert "Shapes are kept and details painted over (structure kept: 72%)" in words
        assert wiz.done_page.previews.image is not None  # the user's photos, painted: a picture, not a score
        assert not any("lower is better" in w.text() for w in wiz.done_page.findChildren(QLabel))

        wiz.done_page.longer_minutes.setValue(15)
        wiz.done_page.longer_button.click()
        assert wiz.currentId() == RUN
        again = runtime.requests[-1]
        assert isinstance(again, Train) and again.resume and again.minutes == 15.0
        assert again.run_dir == first.run_dir and again.name == "Scripted"
        assert wiz.vm.running and wiz.run_page.pause_button.isEnabled()
    finally:
        bridge.shutdown()


def test_the_chart_plots_the_loss_networks_style_in_words_and_smoothed(qtbot):
    """Runs with the loss network report texture 0: the chart follows 'style' (and content), as shares of
    their start, smoothed; the discriminator is not drawn."""
    from desktop_app.wizard.loss_chart import SERIES, LossChart

    chart = LossChart()
    qtbot.addWidget(chart)
    noisy = [1.0, 1.4, 0.8, 1.3, 0.9, 1.1, 0.7, 1.0, 0.6, 0.9, 0.5, 0.8, 0.5, 0.7, 0.4, 0.6]
    for step, value in enumerate(noisy, start=1):
        chart.add({"step": step, "texture": 0.0, "style": value, "perceptual": 0.2, "d": 0.25})
    style, content = (label for _, label, _ in SERIES)
    assert style == "Distance to the artworks' style" and content == "Change to your photo's content"
    line = [y for _, y in chart.relative(style)]
    assert len(line) == len(noisy) and line[-1] < 0.9  # falling...
    assert max(abs(b - a) for a, b in zip(line, line[1:], strict=False)) < 0.1  # ...without the raw jumps of 0.4+
    assert all(abs(y - 1.0) < 1e-9 for _, y in chart.relative(content))
    assert chart.point_count() == 2 * len(noisy)  # no discriminator series
    chart.resize(300, 180)
    chart.grab()  # paints without error at a narrow width (the legend wraps)
def test_every_value_the_options_page_offers_makes_a_valid_request(qtbot, bridge, settings):
    """The spin box and slider ranges lie inside the engine's limits (engine.limits): whatever the
    user can pick builds a Train request, and the request itself refuses what the GUI cannot offer."""
    from engine.limits import OptionError

    wiz = make_wizard(qtbot, bridge, None, settings)
    wiz.vm.request_overrides = {}
    o = wiz.options
    o.name_edit.setText("Range check")
    for minutes in (o.minutes.minimum(), o.minutes.maximum()):
        for content in (o.content.minimum(), o.content.maximum()):
            o.minutes.setValue(minutes)
            o.content.setValue(content)
            o.keep_skin.setChecked(content == 0)
            request = wiz.vm.request_for(o.choices())
            assert request.minutes == minutes and request.content_weight == content / 100
    with pytest.raises(OptionError, match="training time"):
        wiz.vm.request_overrides = {"minutes": 0.0}
        wiz.vm.request_for(o.choices())
