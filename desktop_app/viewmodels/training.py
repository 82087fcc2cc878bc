"""Teaching Atelier a new style: the wizard's data, choices and run, as one view-model.

The wizard's pages are views of this object. It checks the two folders (through the engine's own data
check), validates the name, builds the `Train` request on the GUI thread (DESIGN.md section 1: errors
before anything is queued), runs it through its own job handle and turns the job's events into
properties: progress, an honest time left, the newest preview of the user's photos, and the result.

Time left is measured here, from the wall-clock time the last steps really took (pauses left out),
rather than extrapolated from the start: the first steps include loading the data and the loss
network, and a time budget counts only the training steps themselves, not evaluations or previews.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QImage, QPainter

from desktop_app.bridge import JobHandle
from desktop_app.imaging import bytes_to_qimage
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.folder_check import FolderViewModel
from desktop_app.viewmodels.gallery import STROKE_LABELS
from desktop_app.viewmodels.properties import ObservableObject, Property
from desktop_app.viewmodels.screen import pause_or_resume
from desktop_app.viewmodels.services import EngineServices
from desktop_app.viewmodels.training_runs import ResumableRun, resumable_runs
from engine import messages
from engine.errors import StyleFileError
from engine.messages import STROKES, Train
from engine.paths import base_model, runs_dir
from engine.stylefile import read_meta, slugify, validate_name

MIN_ARTWORKS = 1
MIN_PHOTOS = 4
DEFAULT_MINUTES = 20
SKIN_COLOUR_KEEP = 0.8  # share of their own colour faces keep when "Skin tones" is ticked (as the CLI default)
ARCHITECTURE = "fast"  # Train.size default; a base style must have the same architecture
RATE_WINDOW = 40  # progress reports the step time is measured over
MORE_MINUTES = 10  # what "Train longer" adds by default


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min"


def compare(first: QImage, now: QImage) -> QImage:
    """A training preview is the user's photos above their painting; this stacks the first preview
    (photos, first painting) over the newest one's painting: the change since the start, row by row."""
    if now is first or now.width() != first.width():
        return first
    half = now.height() // 2
    out = QImage(first.width(), first.height() + now.height() - half, QImage.Format.Format_RGB888)
    painter = QPainter(out)
    painter.drawImage(0, 0, first)
    painter.drawImage(0, first.height(), now, 0, half)
    painter.end()
    return out


@dataclass(frozen=True)
class TrainingChoices:
    """What the options page asks; everything else about a run follows from the folders."""

    name: str
    author: str = ""
    minutes: float = DEFAULT_MINUTES
    base: str | None = None  # a style slug, a style file path, or None (from scratch)
    content_weight: float = 1.0
    keep_skin: bool = True
    strokes: str = "medium"
    device: str = "auto"


@dataclass(frozen=True)
class TrainingResult:
    """A finished run, as the last page shows it."""

    style_path: Path
    name: str
    author: str
    steps: int
    seconds: float
    score: float | None
    thumbnail: QImage | None
    history: tuple[dict[str, float], ...] = field(default_factory=tuple)
    stopped_early: bool = False  # ended before its time: the last checks found nothing better


class StepClock:
    """Wall-clock seconds per training step over the last reports, pauses left out."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque(maxlen=RATE_WINDOW)

    def reset(self) -> None:
        self._samples.clear()

    def add(self, step: int) -> None:
        if self._samples and step <= self._samples[-1][1]:
            return
        self._samples.append((self._clock(), step))

    def seconds_per_step(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, s0), (t1, s1) = self._samples[0], self._samples[-1]
        return (t1 - t0) / (s1 - s0) if t1 > t0 else None


class TrainingViewModel(ObservableObject):
    state = Property("idle")       # idle | running | paused | stopping | finished | failed | cancelled
    fraction = Property(0.0)
    step = Property(0)
    eta_text = Property("")        # "about 12 min left · 0.8 s per step"
    status_text = Property("")     # one sentence: what is happening now
    preview = Property(None)       # QImage: the newest preview (the user's photos, then as painted)
    first_preview = Property(None)  # QImage: this run's first preview, to see what changed since
    comparison = Property(None)    # QImage: your photos, their first painting and the newest, one above the other
    request = Property(None)       # the Train request being run
    result = Property(None)        # TrainingResult, once finished
    error_text = Property("")
    logged = Signal(str)           # a notice from the trainer (skipped files, measured speed) or a detail
    metrics_added = Signal(object)  # one JobProgress.metrics dict (losses by name, and "step")
    style_created = Signal(object)  # Path of the new style file, once per file

    def __init__(self, app: AppViewModel, catalog: Any, services: EngineServices,
                 default_photos: Path | None = None, runs_root: Path | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.app = app
        self.catalog = catalog
        self.services = services
        self.runs_root = runs_root
        self.artworks = FolderViewModel("artwork", MIN_ARTWORKS, services)
        self.photos = FolderViewModel("photo", MIN_PHOTOS, services)
        if default_photos is not None:
            self.photos.set_folder(default_photos)
        # Extra Train fields, e.g. {"minutes": None, "steps": 3, "crop": 64} for tests and quick demos.
        self.request_overrides: dict[str, Any] = {}
        self.job: JobHandle | None = None
        self._steps = StepClock(clock)
        self._announced: Path | None = None

    # ------------------------------------------------------------------ choices
    @property
    def running(self) -> bool:
        return self.state in ("running", "paused", "stopping")

    def runs(self) -> list[ResumableRun]:
        return resumable_runs(self.services, self.runs_root)

    def base_choices(self) -> list[tuple[str, str | None]]:
        """(label, value) of what a new style can start from; the recommended one first."""
        choices: list[tuple[str, str | None]] = []
        base = base_model()
        if base.is_file():
            choices.append(("Atelier base model (recommended)", str(base)))
        choices.append(("None — start from scratch (slower)", None))
        try:
            entries = self.catalog.list()
        except Exception:  # a broken styles folder must not stop the wizard
            entries = []
        choices += [(f"Style: {e.name}", e.slug) for e in entries if e.meta.architecture == ARCHITECTURE]
        return choices

    @staticmethod
    def stroke_choices() -> list[tuple[str, str]]:
        return [(key, STROKE_LABELS[key]) for key in STROKES]

    def device_choices(self) -> list[tuple[str, str]]:
        return self.app.device_choices()

    def name_problem(self, name: str) -> str:
        """Why `name` cannot be used ("" when it can, or when nothing is typed yet)."""
        name = name.strip()
        if not name:
            return ""
        try:
            validate_name(name)
        except StyleFileError as exc:
            return str(exc)
        slug = slugify(name)
        try:
            taken = any(slug in (e.slug, slugify(e.name)) for e in self.catalog.list())  # a file renamed by hand
        except Exception:
            taken = False
        if taken or self.catalog.user_path_for(name).exists():
            return f"A style called {name!r} already exists; choose another name."
        return ""

    def request_for(self, choices: TrainingChoices) -> Train:
        """The Train request for a new style from the checked folders and the options page."""
        name = choices.name.strip()
        run_dir = runs_dir() / f"{slugify(name)}-{time.strftime('%Y%m%d-%H%M%S')}"
        fields: dict[str, Any] = dict(
            art_dir=self.artworks.path, photo_dir=self.photos.path, name=name, run_dir=run_dir,
            minutes=float(choices.minutes), base=choices.base, content_weight=choices.content_weight,
            skin_colour_keep=SKIN_COLOUR_KEEP if choices.keep_skin else 0.0, strokes=choices.strokes,
            device=choices.device, author=choices.author.strip())
        fields.update(self.request_overrides)
        return Train(**fields)

    def request_to_resume(self, run: ResumableRun, device: str = "auto", more_minutes: float | None = None) -> Train:
        """Resume an interrupted run; a finished one (its budget spent) trains `more_minutes` longer."""
        art = run.art_dirs[0] if run.art_dirs else run.run_dir
        if more_minutes is None and run.finished:
            more_minutes = self.request_overrides.get("minutes", MORE_MINUTES)  # tests keep runs short
        return Train(art_dir=art, photo_dir=run.photo_dir, name=run.name, run_dir=run.run_dir, resume=True,
                     device=device, minutes=more_minutes)

    def train_longer(self, minutes: float = MORE_MINUTES) -> bool:
        """Continue the run that just finished for `minutes` more; the style file is replaced when done."""
        last = self.request
        if self.running or last is None or self.result is None:
            return False
        self.start(Train(art_dir=last.art_dir, photo_dir=last.photo_dir, name=last.name, run_dir=last.run_dir,
                         resume=True, minutes=float(minutes), device=last.device))
        return True

    def explain(self) -> list[str]:
        """The finished run in a few sentences a painter can act on (the last page shows them)."""
        result = self.result
        if result is None:
            return []
        history = [h for h in result.history if isinstance(h, dict) and "score" in h]
        best = min(history, key=lambda h: h["score"]) if history else None
        kept = f" and kept the best of its checks (step {int(best['step'])})" if best and "step" in best else ""
        words = [f"Atelier trained for {format_duration(result.seconds)} ({result.steps} steps), checked the "
                 f"paintings of your photos as it went{kept}."]
        key = next((k for k in ("style", "texture") if best and k in best), None)
        if best is not None and key is not None and len(history) >= 2 and history[0].get(key):
            gain = 1.0 - best[key] / history[0][key]
            if gain > 0.02:
                words.append(f"Its paintings came {gain:.0%} closer to the style of your artworks than at the "
                             "first check.")
            else:
                words.append("Its paintings were about as close to your artworks at the end as at the first "
                             "check: more, or more varied, artworks may help more than training longer.")
        ssim = best.get("ssim") if best else None
        if isinstance(ssim, int | float):
            if ssim >= 0.75:
                words.append(f"Shapes and faces in your photos stay clear (structure kept: {ssim:.0%}).")
            elif ssim >= 0.6:
                words.append(f"Shapes are kept and details painted over (structure kept: {ssim:.0%}).")
            else:
                words.append(f"The paintings take liberties with shapes (structure kept: {ssim:.0%}); to keep "
                             "more, train again with Keep content further right.")
        if result.stopped_early:
            words.append("It stopped before its time was up: its last checks found nothing better than the kept "
                         "one, so training longer would only cost your photos' shapes. Too faint? Train again with "
                         "Keep content further left. Too strong? Lower Strength on the Photo tab.")
        else:
            words.append("Too faint? Train longer. Too strong? Lower Strength on the Photo tab: nothing needs "
                         "retraining.")
        return words

    # ------------------------------------------------------------------ the run
    def start(self, request: Train) -> None:
        if self.running:
            return
        self.request = request
        self.result = None
        self.error_text = ""
        self.fraction = 0.0
        self.step = 0
        self.preview = None
        self.first_preview = None
        self.comparison = None
        self.eta_text = ""
        self._steps.reset()
        self.status_text = "Resuming…" if request.resume else "Starting…"
        self.state = "running"
        self.job = self.app.bridge.submit(request).route(
            started=self._on_started, progress=self._on_progress, preview=self._on_preview, notice=self._on_notice,
            finished=self._on_finished, failed=self._on_failed, cancelled=self._on_cancelled)

    def toggle_pause(self) -> None:
        paused = pause_or_resume(self)
        if paused:
            self.status_text = "Paused. Nothing is lost while paused; press Resume to go on."
            self.eta_text = "paused"
        elif paused is False:
            self._steps.reset()  # the pause is no step time
            self.status_text = f"Training — step {self.step}"
            self.eta_text = "measuring the speed again…"

    def stop_early(self) -> None:
        """Stop at the next step and keep the best result measured so far."""
        if self.job is None or self.state not in ("running", "paused"):
            return
        if self.state == "paused":
            self.job.resume()  # a paused job must run to reach its stop point
        self.job.finish_early()
        self.state = "stopping"
        self.status_text = "Stopping: measuring and keeping the best result so far…"

    def cancel(self) -> None:
        """Cancel a running job (its checkpoint is kept, so it can be resumed)."""
        if self.job is not None and self.running:
            self.job.cancel()

    # ------------------------------------------------------------------ events of the job
    def _on_started(self, event: messages.JobStarted) -> None:
        self.status_text = f"Training on {event.device}"

    def _on_progress(self, event: messages.JobProgress) -> None:
        self.fraction = event.fraction
        if event.metrics:
            if "step" in event.metrics:
                self.step = int(event.metrics["step"])
                if self.state == "running" and event.stage == "training":
                    self._steps.add(self.step)
            self.metrics_added.emit(dict(event.metrics))
        if self.state == "running":
            if event.stage == "training":
                self.status_text = f"Training — step {self.step}"
            elif event.stage:
                self.status_text = event.stage[0].upper() + event.stage[1:] + "…"
            self.eta_text = self._eta(event.fraction)

    def _eta(self, fraction: float) -> str:
        per_step = self._steps.seconds_per_step()
        if per_step is None or fraction <= 0.0 or self.step <= 0:
            return "measuring the speed…"
        total = self.step / fraction
        left = max(0.0, total - self.step) * per_step
        return f"about {format_duration(left)} left · {per_step:.2f} s per step"

    def _on_preview(self, event: messages.JobPreview) -> None:
        image = bytes_to_qimage(event.pixels, event.width, event.height)
        if self.first_preview is None:
            self.first_preview = image
        self.preview = image
        self.comparison = compare(self.first_preview, image)

    def _on_notice(self, event: messages.JobNotice) -> None:
        self.logged.emit(event.message)

    def _on_finished(self, event: messages.JobFinished) -> None:
        self.job = None
        outcome = event.result
        self.fraction = 1.0
        self.eta_text = "done"
        self.result = self._describe(outcome)
        self.status_text = f"Finished after {self.result.steps} steps."
        if self.result.stopped_early:
            r = self.result
            self.status_text = (f"Finished early, after {r.steps} steps ({r.seconds / 60:.0f} min): the last "
                                "checks found nothing better, so more time would not have helped.")
        self.state = "finished"
        if self._announced != self.result.style_path:
            self._announced = self.result.style_path
            self.style_created.emit(self.result.style_path)

    def _describe(self, outcome: Any) -> TrainingResult:
        path = Path(outcome.style_path)
        name, author, thumb = path.stem, "", None
        try:
            meta = read_meta(path)
            name, author = meta.name, meta.author
            image = QImage.fromData(meta.thumbnail_png) if meta.thumbnail_png else QImage()
            thumb = None if image.isNull() else image
        except StyleFileError as exc:
            self.logged.emit(f"The new style file cannot be read: {exc}")
        return TrainingResult(path, name, author, int(outcome.steps), float(outcome.seconds), outcome.score,
                              thumb, tuple(getattr(outcome, "history", ()) or ()),
                              bool(getattr(outcome, "stopped_early", False)))

    def _on_failed(self, event: messages.JobFailed) -> None:
        self.job = None
        self.error_text = event.message
        self.status_text = f"Training failed: {event.message}"
        self.eta_text = ""
        self.state = "failed"
        if event.detail:
            self.logged.emit(event.detail)

    def _on_cancelled(self, _event: messages.JobCancelled) -> None:
        self.job = None
        self.status_text = "Training was cancelled. Its progress is saved: resume it from the first page."
        self.eta_text = ""
        self.state = "cancelled"
