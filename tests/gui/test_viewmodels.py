"""View-models against scripted engine events (the habit of krita-ai-diffusion's tests/test_model.py).

No window and no real engine: a `ScriptedRuntime` records the requests and the test sends the events
a real engine would, in the order it would. What is asserted is what a view shows: properties,
signals, and the requests that leave for the engine.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from desktop_app.composition import engine_services, make_bridge
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.batch import KEEP_BOTH, REPLACE, SKIP, BatchViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel
from desktop_app.viewmodels.live import LiveViewModel
from desktop_app.viewmodels.look import LookViewModel
from desktop_app.viewmodels.photo import PhotoViewModel
from desktop_app.viewmodels.training import TrainingChoices, TrainingViewModel
from engine import messages as m
from tests.gui.conftest import ScriptedRuntime

pytestmark = pytest.mark.gui


class Models:
    """The view-models as the window builds them, around one scripted engine."""

    def __init__(self, catalog, settings) -> None:
        self.runtime = ScriptedRuntime()
        self.bridge = make_bridge(catalog, runtime=self.runtime)
        self.services = engine_services()
        self.app = AppViewModel(self.bridge, settings)
        self.look = LookViewModel(settings)
        self.gallery = GalleryViewModel(catalog, self.app, self.look)
        self.gallery.refresh()
        self.photo = PhotoViewModel(self.app, self.look, self.gallery, self.services)
        self.batch = BatchViewModel(self.app, self.look, self.gallery, self.services, settings)
        self.live = LiveViewModel(self.app, self.look, self.gallery, self.services)

    def sent(self, kind):
        return [r for r in self.runtime.requests if isinstance(r, kind)]


@pytest.fixture
def models(qtbot, catalog, settings, atelier_home):
    m = Models(catalog, settings)
    yield m
    m.bridge.shutdown()


def rgb_bytes(w: int, h: int, value: int) -> bytes:
    return np.full((h, w, 3), value, np.uint8).tobytes()


# ----------------------------------------------------------------------------- the bridge's handles
def test_each_handle_gets_only_its_own_jobs_events(models, qtbot):
    a = models.bridge.submit(m.StylizePreview(pixels=rgb_bytes(4, 4, 0), width=4, height=4, style="tiny"))
    b = models.bridge.submit(m.StylizePreview(pixels=rgb_bytes(4, 4, 0), width=4, height=4, style="tiny"))
    seen_a, seen_b = [], []
    a.progress.connect(seen_a.append)
    b.progress.connect(seen_b.append)
    models.runtime.send(m.JobProgress(b.job_id, 0.5, "half", None), m.JobFinished(b.job_id, None, 1.0))
    qtbot.waitUntil(lambda: b.done, timeout=5000)
    assert seen_a == [] and [e.fraction for e in seen_b] == [0.5]
    assert not a.done and isinstance(b.outcome, m.JobFinished)
    models.runtime.send(m.JobProgress(b.job_id, 0.9, "late", None))  # after the end: nobody hears it
    qtbot.wait(50)
    assert len(seen_b) == 1


def test_a_handle_can_be_awaited_and_controls_its_own_job(models, qapp):
    import qasync

    job = models.bridge.submit(m.StylizeFolder(inputs=(Path("x"),), out_dir=Path("y"), style="tiny"))
    job.pause()
    job.resume()
    assert [(type(r), r.target) for r in models.runtime.requests[1:]] == [(m.Pause, job.job_id), (m.Resume, job.job_id)]

    async def wait_for_it():
        models.runtime.send(m.JobCancelled(job.job_id))
        return await job

    loop = qasync.QEventLoop(qapp, already_running=False)
    try:
        outcome = loop.run_until_complete(asyncio.wait_for(wait_for_it(), 5))
    finally:
        loop.close()
    assert isinstance(outcome, m.JobCancelled) and outcome.job_id == job.job_id


def test_every_job_reaches_the_status_bar_and_the_banner(models, qtbot):
    job = models.bridge.submit(m.StylizePreview(pixels=rgb_bytes(4, 4, 0), width=4, height=4, style="tiny"))
    notices = []
    models.app.notice_posted.connect(notices.append)
    models.runtime.send(m.JobStarted(job.job_id, "m.StylizePreview", "cuda:0: Fake GPU"),
                        m.JobNotice(job.job_id, "retrying with smaller tiles"),
                        m.JobFailed(job.job_id, "out of memory", "trace"))
    qtbot.waitUntil(lambda: models.app.error_text != "", timeout=5000)
    assert models.app.device_text == "cuda:0: Fake GPU"
    assert notices == ["retrying with smaller tiles"] and models.app.error_text == "Out of memory."


# ----------------------------------------------------------------------------- the shared look
def test_the_look_is_remembered(models, catalog, settings):
    models.look.strength = 0.35
    models.look.preserve_colors = True
    models.gallery.select("tiny_two")
    again = Models(catalog, settings)
    try:
        assert again.look.current() == models.look.current()
        assert again.gallery.current == "tiny_two"
    finally:
        again.bridge.shutdown()


def test_a_batch_paints_the_look_the_photo_tab_previews(models, photo_dir):
    models.look.strength = 0.6
    models.look.brushwork = 0.25
    models.look.preserve_colors = True
    models.batch.input_dir = str(photo_dir)
    models.batch.output_format = "png"
    assert models.batch.start()
    request = models.sent(m.StylizeFolder)[0]
    assert request.style == models.look.style == "tiny"
    options = request.options
    assert (options.strength, options.brushwork, options.preserve_colors) == (0.6, 0.25, True)
    assert options.output_format == "png"


def test_clicking_another_style_during_a_batch_never_relabels_it(models, photo_dir, qtbot):
    models.batch.input_dir = str(photo_dir)
    assert models.batch.start()
    job = models.batch.job
    assert models.batch.painting_text.startswith("Tiny ·")
    models.gallery.select("tiny_two")  # the user clicks another style while it runs
    models.look.strength = 0.2
    assert models.batch.painting.style == "tiny" and models.batch.painting_text.startswith("Tiny ·")
    assert "strength 100 %" in models.batch.painting_text
    models.runtime.send(m.JobPreview(job.job_id, rgb_bytes(8, 6, 9), 8, 6, "p0_tiny.jpg"))
    qtbot.waitUntil(lambda: models.batch.thumbnail_caption == "p0_tiny.jpg", timeout=5000)
    assert [r.style for r in models.sent(m.StylizeFolder)] == ["tiny"]  # nothing was re-sent


@pytest.mark.parametrize("choice", [REPLACE, KEEP_BOTH, SKIP, None])
def test_a_rerun_after_a_strength_change_asks_and_paints_with_the_answer(models, photo_dir, qtbot, choice):
    """The engine ends the batch with a question instead of "already done"; each answer sends the same
    batch (same look, folders and options) again with it, and Cancel sends nothing."""
    from engine.batch import BatchReport
    from engine.rerun import ChangedOutputs

    models.look.strength = 0.8
    models.batch.input_dir = str(photo_dir)
    assert models.batch.start()
    first = models.sent(m.StylizeFolder)[0]
    assert first.if_changed is None  # no answer yet: the engine asks rather than calling them done
    question = ChangedOutputs(4, (str(photo_dir / "stylized"),), (("strength", "100 %", "80 %"),))
    models.runtime.send(m.JobFinished(first.job_id, BatchReport("tiny", "cpu", question=question), 0.1))
    qtbot.waitUntil(lambda: models.batch.state == "asking", timeout=5000)
    assert models.app.last_run_text == ""  # a batch that only asked is not reported as a 0.1 s run
    assert models.batch.question == (f"4 paintings in {photo_dir / 'stylized'} were made with other settings "
                                     "(strength 100 % → 80 %).")
    assert "already done" not in models.batch.summary
    models.look.strength = 0.3  # moved while the question is open: the batch still paints what it started with

    assert models.batch.answer(choice) == (choice is not None)
    assert models.batch.question == ""
    sent = models.sent(m.StylizeFolder)
    if choice is None:
        assert len(sent) == 1 and models.batch.state == "idle" and "Nothing was painted" in models.batch.summary
        return
    again = sent[1]
    assert again.if_changed == choice and again.job_id != first.job_id
    assert (again.inputs, again.out_dir, again.style, again.options) == (first.inputs, first.out_dir, first.style,
                                                                          first.options)
    assert again.options.strength == 0.8 and models.batch.state == "running"
    done = BatchReport("tiny", "cpu", done=["a", "b", "c", "d"], seconds=1.0, out_dirs=[str(first.out_dir)])
    getattr(done, {REPLACE: "replaced", KEEP_BOTH: "kept_both", SKIP: "skipped_changed"}[choice]).append("x")
    models.runtime.send(m.JobFinished(again.job_id, done, 1.0))
    qtbot.waitUntil(lambda: models.batch.state == "done", timeout=5000)
    said = {REPLACE: "1 earlier paintings replaced", KEEP_BOTH: "1 painted beside earlier ones, which are kept",
            SKIP: "1 skipped (painted before with other settings)"}[choice]
    assert said in models.batch.summary


# ----------------------------------------------------------------------------- photo
def test_the_painting_stays_on_screen_while_the_next_style_renders(models, photo_file, qtbot):
    models.photo.open_file(photo_file)
    first = models.sent(m.StylizePreview)[0]
    models.runtime.send(m.JobPreview(first.job_id, rgb_bytes(first.width, first.height, 200), first.width,
                                   first.height, "Tiny"), m.JobFinished(first.job_id))
    qtbot.waitUntil(lambda: models.photo.after is not None and not models.photo.busy, timeout=5000)
    painted = models.photo.after
    models.gallery.select("tiny_two")
    assert models.sent(m.StylizePreview)[-1].style == "tiny_two" and models.photo.busy
    assert models.photo.after is painted  # no flash back to the bare photo
    assert "Tiny Two" in models.photo.state_text
    second = models.sent(m.StylizePreview)[-1]
    models.runtime.send(m.JobFailed(second.job_id, "broken style"))
    qtbot.waitUntil(lambda: not models.photo.busy, timeout=5000)
    assert models.photo.after is None  # never another style's painting under this style's name


# ----------------------------------------------------------------------------- training
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def training(models, tmp_path):
    clock = Clock()
    vm = TrainingViewModel(models.app, models.bridge.catalog, models.services, runs_root=tmp_path / "runs",
                           clock=clock)
    vm.artworks.folder = str(tmp_path / "art")
    vm.photos.folder = str(tmp_path / "photos")
    vm.clock = clock
    return vm


def test_training_turns_scripted_events_into_what_the_run_page_shows(models, training, qtbot, tmp_path):
    request = training.request_for(TrainingChoices(name="My Style", minutes=10, keep_skin=False, strokes="dabs"))
    assert (request.name, request.minutes, request.skin_colour_keep, request.strokes) == ("My Style", 10.0, 0.0,
                                                                                         "dabs")
    metrics, created = [], []
    training.metrics_added.connect(metrics.append)
    training.style_created.connect(created.append)
    training.start(request)
    job = models.sent(m.Train)[0].job_id
    assert training.state == "running" and training.status_text == "Starting…"

    send = models.runtime.send
    send(m.JobStarted(job, "m.Train", "cpu: Test CPU"))
    qtbot.waitUntil(lambda: training.status_text == "Training on cpu: Test CPU", timeout=5000)
    def step_to(step: int, fraction: float, seconds: float = 2.0, **losses: float) -> None:
        training.clock.now += seconds
        send(m.JobProgress(job, fraction, "training", 999.0, {"step": step, **losses}))
        qtbot.waitUntil(lambda: training.step == step, timeout=5000)

    for step in range(1, 6):  # 2 s per step, and a tenth of the budget per step
        step_to(step, step / 10, texture=1.0 / step)
    assert training.fraction == 0.5 and len(metrics) == 5 and metrics[-1]["texture"] == 0.2
    assert training.eta_text == "about 10 s left · 2.00 s per step"  # measured, not the engine's 999 s
    assert training.status_text == "Training — step 5"

    send(m.JobPreview(job, rgb_bytes(8, 4, 10), 8, 4, "step 5"), m.JobPreview(job, rgb_bytes(8, 4, 90), 8, 4, "step 9"))
    qtbot.waitUntil(lambda: training.preview is not None and training.preview.pixelColor(0, 0).red() == 90,
                    timeout=5000)
    assert training.first_preview.pixelColor(0, 0).red() == 10  # the first stays, to compare with
    rows = training.comparison  # photos and first painting (the first preview), then the newest painting
    assert rows.height() == 6 and [rows.pixelColor(0, y).red() for y in (0, 3, 5)] == [10, 10, 90]

    training.toggle_pause()
    assert isinstance(models.runtime.requests[-1], m.Pause) and training.state == "paused"
    training.clock.now += 600  # a long pause is no training time
    training.toggle_pause()
    step_to(6, 0.6)
    step_to(7, 0.7)
    assert training.eta_text == "about 6 s left · 2.00 s per step"

    training.stop_early()
    assert models.runtime.early == [job] and training.state == "stopping"
    style = tmp_path / "my_style.atelier-style"
    from tests.conftest import make_style

    make_style(style, "My Style")
    outcome = type("Outcome", (), {"style_path": style, "steps": 7, "seconds": 14.0, "score": 0.5, "history": ()})
    send(m.JobFinished(job, outcome, 14.0))
    qtbot.waitUntil(lambda: training.state == "finished", timeout=5000)
    assert created == [style] and training.result.name == "My Style" and training.result.steps == 7
    assert training.status_text == "Finished after 7 steps."


def test_a_training_that_ended_early_says_more_time_would_not_have_helped(models, training, qtbot, tmp_path):
    from tests.conftest import make_style

    training.start(m.Train(art_dir=Path("a"), photo_dir=Path("p"), name="X", run_dir=Path("r"), minutes=20))
    job = models.sent(m.Train)[0].job_id
    style = tmp_path / "early.atelier-style"
    make_style(style, "Early")
    outcome = type("Outcome", (), {"style_path": style, "steps": 1095, "seconds": 540.0, "score": 1.4,
                                   "history": (), "stopped_early": True})
    models.runtime.send(m.JobFinished(job, outcome, 540.0))
    qtbot.waitUntil(lambda: training.state == "finished", timeout=5000)
    assert training.status_text.startswith("Finished early, after 1095 steps (9 min)")
    assert "nothing better" in training.status_text
    advice = training.explain()[-1]
    assert "Keep content further left" in advice and "Train longer" not in advice  # longer would not help


def test_a_failed_training_says_why_and_offers_the_way_back(models, training, qtbot):
    logged = []
    training.logged.connect(logged.append)
    training.start(m.Train(art_dir=Path("a"), photo_dir=Path("p"), name="X", run_dir=Path("r")))
    job = models.sent(m.Train)[0].job_id
    models.runtime.send(m.JobFailed(job, "too few artwork images", "Traceback ..."))
    qtbot.waitUntil(lambda: training.state == "failed", timeout=5000)
    assert training.error_text == "too few artwork images" and logged == ["Traceback ..."]
    assert not training.running


def test_names_that_exist_or_are_invalid_are_refused(training):
    assert "already exists" in training.name_problem("Tiny")
    assert "not allowed" in training.name_problem("a/b")
    assert training.name_problem("Brand new") == "" and training.name_problem("") == ""


# ----------------------------------------------------------------------------- live
def test_live_paints_the_look_one_frame_at_a_time(models, qtbot):
    from tests.gui.test_live_view import ScriptedSource

    models.look.strength = 0.5
    source = ScriptedSource()
    models.live.use_source(source)
    qtbot.waitUntil(lambda: bool(models.sent(m.StylizeFrame)), timeout=5000)
    qtbot.wait(100)  # many frames were captured meanwhile...
    frames = models.sent(m.StylizeFrame)
    assert len(frames) == 1  # ...but only one is in flight
    sent = frames[0]
    assert (sent.style, sent.strength) == ("tiny", 0.5)
    models.runtime.send(m.FrameResult(sent.job_id, rgb_bytes(sent.width, sent.height, 30), sent.width, sent.height,
                                    "tiny", 40.0, 30.0, sent.captured_at))
    qtbot.waitUntil(lambda: models.live.frame is not None, timeout=5000)
    assert models.live.frame.style_name == "Tiny"
    qtbot.waitUntil(lambda: len(models.sent(m.StylizeFrame)) == 2, timeout=5000)  # the next frame goes out
    assert models.live.stats.device == "cpu"
    models.live.stop()
    assert not source.active


def test_live_keeps_the_photos_colours_when_the_look_says_so(models, qtbot):
    from tests.gui.test_live_view import ScriptedSource

    class Colourful(ScriptedSource):
        def _tick(self):  # a red camera picture
            self.frames_delivered += 1
            rgb = np.zeros((48, 64, 3), np.uint8)
            rgb[..., 0] = 200
            from desktop_app.media.sources import CapturedFrame

            self.frame.emit(CapturedFrame(rgb, 0.0))

    shown: list[QImage] = []
    models.live.frame_changed.connect(lambda f: f is not None and shown.append(f.image))
    models.live.use_source(Colourful())
    for preserve in (False, True):
        models.look.preserve_colors = preserve  # applied to the answer, so also to the frame in flight
        qtbot.waitUntil(lambda: models.live.in_flight is not None, timeout=5000)
        sent = next(r for r in models.sent(m.StylizeFrame) if r.job_id == models.live.in_flight)
        grey = rgb_bytes(sent.width, sent.height, 120)  # the "painting" the engine sends back is grey
        before = len(shown)
        models.runtime.send(m.FrameResult(sent.job_id, grey, sent.width, sent.height, "tiny", 1.0, 1.0, 0.0))
        qtbot.waitUntil(lambda b=before: len(shown) > b, timeout=5000)
    plain, kept = shown[-2].pixelColor(5, 5), shown[-1].pixelColor(5, 5)
    assert plain.red() == plain.green() == 120  # the painting's own (grey) colour
    assert kept.red() > kept.green() + 50  # the camera's red, on the painting's light
    models.live.stop()


def test_a_live_failure_stops_and_says_why(models, qtbot):
    from tests.gui.test_live_view import ScriptedSource

    models.live.use_source(ScriptedSource())
    qtbot.waitUntil(lambda: bool(models.sent(m.StylizeFrame)), timeout=5000)
    models.runtime.send(m.JobFailed(models.sent(m.StylizeFrame)[0].job_id, "the style file is damaged"))
    qtbot.waitUntil(lambda: not models.live.running, timeout=5000)
    assert models.live.placeholder == ("The live view stopped", "the style file is damaged")


# ----------------------------------------------------------------------------- gallery cards
def test_gallery_cards_paint_the_open_photo_one_style_at_a_time_and_remember_it(models, tmp_path, qtbot):
    from PIL import Image

    from desktop_app.viewmodels.gallery import ArtworkRole, CardCaptionRole, CardRole, DescriptionRole
    from tests.conftest import photo

    photo_file = tmp_path / "large.png"
    Image.fromarray(photo(400, 300, seed=2)).save(photo_file)
    model = models.gallery.model
    index = model.index(model.row_of("tiny_two"))
    assert index.data(CardCaptionRole) == "Sample photo"  # before any photo: the style's own sample
    models.photo.open_file(photo_file)
    models.gallery.show_photo(models.photo.before)  # (the window connects photo.before_changed to this)
    qtbot.waitUntil(lambda: len(models.sent(m.StylizePreview)) == 2, timeout=5000)
    own, card = models.sent(m.StylizePreview)
    assert own.job_id < card.job_id and (own.width, card.width) == (400, 192)  # the Photo preview went first
    assert card.style == "tiny" and max(card.width, card.height) <= 192
    qtbot.wait(50)
    assert len(models.sent(m.StylizePreview)) == 2  # one card at a time

    def answer(request, value):
        models.runtime.send(m.JobPreview(request.job_id, rgb_bytes(request.width, request.height, value),
                                       request.width, request.height, ""), m.JobFinished(request.job_id, None, 0.1))

    answer(card, 50)
    qtbot.waitUntil(lambda: len(models.sent(m.StylizePreview)) == 3, timeout=5000)
    answer(models.sent(m.StylizePreview)[2], 70)
    qtbot.waitUntil(lambda: index.data(CardCaptionRole) == "Your photo", timeout=5000)
    assert index.data(CardRole).pixelColor(0, 0).red() == 70
    assert models.app.last_run_text == ""  # background work does not pose as the user's last run
    assert index.data(DescriptionRole) == "random weights for tests"  # the style's own line
    assert index.data(ArtworkRole) is None  # the fixture style stores no artwork: the card shows a swatch

    models.gallery.show_photo(None)
    assert index.data(CardCaptionRole) == "Sample photo"
    models.gallery.show_photo(models.photo.before)  # the same photo again: from the cache, nothing sent
    qtbot.wait(50)
    assert len(models.sent(m.StylizePreview)) == 3 and index.data(CardCaptionRole) == "Your photo"


def test_a_finished_run_offered_on_the_first_page_trains_longer(training, tmp_path):
    from datetime import datetime

    from desktop_app.viewmodels.training import MORE_MINUTES
    from desktop_app.viewmodels.training_runs import ResumableRun

    style = tmp_path / "done.atelier-style"
    run = ResumableRun(tmp_path / "run", "Done", (tmp_path / "art",), tmp_path / "photos", style, datetime.now())
    interrupted = training.request_to_resume(run)
    assert interrupted.resume and interrupted.minutes is None  # goes on with the budget it had
    style.write_bytes(b"x")  # its style file exists: the run finished
    assert run.finished and "can train longer" in run.label()
    longer = training.request_to_resume(run)
    assert longer.resume and longer.minutes == MORE_MINUTES and longer.run_dir == run.run_dir


def test_the_wizard_shows_a_thumbnail_of_a_heic_photo(qtbot):
    """Qt has no HEIC reader outside macOS; the wizard's folder thumbnails decode it as the trainer does."""
    from desktop_app.viewmodels.folder_check import thumbnail
    from engine.paths import format_samples

    image = thumbnail(format_samples()[0], side=24)
    assert not image.isNull() and (image.width(), image.height()) == (24, 16)
    red = image.pixelColor(2, 8)
    assert red.red() > 150 and red.blue() < 100
