"""A folder of photos: validate on the GUI thread, run `StylizeFolder`, show progress and results.

The input is checked (folder exists, images found) before anything is queued, so mistakes are
reported at once. The batch paints the shared look exactly as the Photo tab previews it, frozen when
it starts: `painting_text` says what the running batch paints, whatever is clicked meanwhile.
Progress, time left, the newest result's thumbnail and the per-file failures of the engine's batch
report become properties the batch panel shows.

Paintings an earlier batch made with other settings (engine.rerun) are asked about, not reported as
"already done": the batch is sent without an answer, and when the engine finds such paintings the job
ends at once with the question in its report, having painted nothing. `question` then holds it in
words, the view asks, and `answer` sends the same batch again with the user's answer. Why the engine
job and not a check here: the engine plans the batch anyway (reading the header of every earlier
painting, thousands of files in a large folder), so the question is asked of the very plan that will
be painted, on the engine thread, never the GUI thread, with no second thread or copy of the rules
here; and the job ends rather than waits for the answer, so the engine thread (and the live view, and
every job queued behind the batch) is never held while a dialog is open.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from PySide6.QtGui import QImage

from desktop_app.bridge import JobHandle
from desktop_app.imaging import bytes_to_qimage
from desktop_app.settings import AppSettings
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel
from desktop_app.viewmodels.look import Look, LookViewModel
from desktop_app.viewmodels.properties import Property
from desktop_app.viewmodels.screen import LookScreen, pause_or_resume
from desktop_app.viewmodels.services import EngineServices
from engine.errors import AtelierError
from engine.messages import (
    IF_CHANGED,
    JobCancelled,
    JobFailed,
    JobFinished,
    JobPreview,
    JobProgress,
    StylizeFolder,
    new_job_id,
)
from engine.printable import printable
from engine.rerun import ChangedOutputs

BATCH_FORMATS = ("same", "jpg", "png", "webp")
REPLACE, KEEP_BOTH, SKIP = IF_CHANGED  # the answers `answer` takes, for the view's buttons
_COUNT = re.compile(r"^(\d+)/(\d+)\s*(.*)$")


@runtime_checkable
class BatchOutcome(Protocol):
    """What the panel reads of the engine's batch report (engine.batch.BatchReport)."""

    done: list
    skipped: list
    failed: list  # [{"file": ..., "reason": ...}]
    seconds: float
    out_dirs: list
    cancelled: bool
    renamed: list  # [{"file": ..., "why": ...}]: paintings that took a new name
    left_alone: list  # earlier paintings found among the inputs
    replaced: list  # earlier paintings made with other settings, painted again in place
    kept_both: list  # new paintings beside earlier ones made with other settings
    skipped_changed: list  # photos whose earlier painting with other settings was left as it is
    question: ChangedOutputs | None  # set when the batch stopped to ask (nothing painted)


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating time left…"
    s = int(round(seconds))
    if s < 60:
        return f"about {s} s left"
    if s < 3600:
        return f"about {s // 60} min {s % 60:02d} s left"
    return f"about {s // 3600} h {s % 3600 // 60:02d} min left"


class BatchViewModel(LookScreen):
    input_dir = Property("")
    recursive = Property(False)
    output_dir = Property("")            # empty: "<input>/stylized"
    output_format = Property("same")
    state = Property("idle")             # idle | running | paused | asking | done | cancelled | failed
    fraction = Property(0.0)
    count_text = Property("")            # "3 of 50 · name.jpg"
    eta_text = Property("")
    thumbnail = Property(None)           # QImage of the newest result
    thumbnail_caption = Property("")
    failures = Property(())              # ((file, reason), ...)
    summary = Property("")
    result_dir = Property("")            # where the outputs went (for "Open output folder")
    painting = Property(None)            # the Look the current (or last) batch was started with
    painting_text = Property("")         # that look in words, for the panel
    question = Property("")              # "3 paintings in … were made with other settings (…)": to answer

    def __init__(self, app: AppViewModel, look: LookViewModel, gallery: GalleryViewModel,
                 services: EngineServices, settings: AppSettings | None = None) -> None:
        super().__init__(app, look, gallery, services)
        self.settings = settings
        self.job: JobHandle | None = None
        self._total = 0
        self._asked: StylizeFolder | None = None  # the batch waiting for an answer to `question`
        if settings is not None:  # the folders and choices of the last batch
            for name, prop in (("batch_in", "input_dir"), ("batch_out", "output_dir")):
                folder = settings.folder(name)
                if folder is not None:
                    setattr(self, prop, str(folder))
            self.recursive = settings.flag("batch/recursive")
            fmt = settings.text("batch/format", app.output.format)
            self.output_format = fmt if fmt in BATCH_FORMATS else "same"

    def remember(self) -> None:
        """Keep this batch's folders and choices for next time."""
        s = self.settings
        if s is None:
            return
        if self.input_dir and Path(self.input_dir).is_dir():
            s.set_folder("batch_in", Path(self.input_dir))
        if self.output_dir and Path(self.output_dir).is_dir():
            s.set_folder("batch_out", Path(self.output_dir))
        s.set_value("batch/recursive", self.recursive)
        s.set_text("batch/format", self.output_format)

    @property
    def running(self) -> bool:
        return self.state in ("running", "paused")

    def effective_output(self) -> Path | None:
        """The folder chosen here, else the one in Preferences, else a "stylized" folder in the input."""
        if self.output_dir.strip():
            return Path(self.output_dir.strip())
        if self.app.output.folder:
            return Path(self.app.output.folder)
        return Path(self.input_dir.strip()) / "stylized" if self.input_dir.strip() else None

    # ---------------------------------------------------------------------------- commands
    def start(self) -> bool:
        """Paint the folder in the look as it is now (the Photo tab's preview)."""
        if self.running:
            return False
        folder = Path(self.input_dir.strip()) if self.input_dir.strip() else None
        if folder is None or not folder.is_dir():
            self.app.report_error("Choose an existing input folder first" if folder is None
                                  else f"The input folder {folder} does not exist")
            return False
        look: Look = self.look.current()
        if not look.style:
            self.app.report_error("Pick a style in the gallery first")
            return False
        try:
            total = self.services.count_inputs(folder, self.recursive)
        except AtelierError as exc:
            self.app.report_error(str(exc))
            return False
        out = self.effective_output()
        prefs = self.app.output
        request = StylizeFolder(inputs=(folder,), out_dir=out, style=look.style,
                                options=look.options(output_format=self.output_format,
                                                     jpeg_quality=prefs.jpeg_quality, max_size=prefs.max_size),
                                recursive=self.recursive, device=self.app.device)
        self._total = total
        self.result_dir = str(out)
        self.painting = look
        self.painting_text = look.describe(self.gallery.current_name)
        self.remember()
        self._submit(request)
        return True

    def answer(self, choice: str | None) -> bool:
        """Paint the batch that asked with `choice` (REPLACE, KEEP_BOTH or SKIP) for its earlier
        paintings made with other settings; None paints nothing. True if the batch was sent."""
        request, self._asked = self._asked, None
        self.question = ""
        if request is None or self.state != "asking":
            return False
        if choice is None:
            self.summary = "Nothing was painted. The earlier paintings are as they were."
            self.state = "idle"
            return False
        self._submit(replace(request, if_changed=choice, job_id=new_job_id()))
        return True

    def _submit(self, request: StylizeFolder) -> None:
        self.fraction = 0.0
        self.count_text = f"0 of {self._total}"
        self.eta_text = format_eta(None)
        self.thumbnail = None
        self.thumbnail_caption = ""
        self.failures = ()
        self.summary = f"Painting {self._total} photos. Finished paintings are kept even if you stop."
        self.state = "running"
        self.job = self.app.bridge.submit(request).route(
            progress=self._on_progress, preview=self._on_preview, finished=self._on_finished,
            failed=self._on_failed, cancelled=self._on_cancelled)

    def toggle_pause(self) -> None:
        paused = pause_or_resume(self)
        if paused is not None:
            self.eta_text = "paused" if paused else format_eta(None)

    def cancel(self) -> bool:
        if self.job is None or not self.running:
            return False
        self.job.cancel()
        self.eta_text = "stopping after the current photo…"
        return True

    # ---------------------------------------------------------------------------- engine events
    def _on_progress(self, event: JobProgress) -> None:
        self.fraction = event.fraction
        m = _COUNT.match(event.stage or "")
        if m:
            done, total, name = int(m.group(1)), int(m.group(2)), m.group(3)
            self.count_text = f"{done} of {total}" + (f" · {name}" if name else "")
        if self.state == "running":
            self.eta_text = format_eta(event.eta_s)

    def _on_preview(self, event: JobPreview) -> None:
        image: QImage = bytes_to_qimage(event.pixels, event.width, event.height)
        self.thumbnail_caption = event.caption  # first, so views showing the image can read it
        self.thumbnail = image

    def _on_finished(self, event: JobFinished) -> None:
        report = event.result
        job, self.job = self.job, None
        if isinstance(report, BatchOutcome) and report.question is not None and job is not None:
            self._ask(job.request, report.question)
            return
        if isinstance(report, BatchOutcome):
            self.failures = tuple((printable(Path(f["file"]).name), printable(f["reason"])) for f in report.failed)
            if report.out_dirs:
                self.result_dir = report.out_dirs[0] if len(report.out_dirs) == 1 else self.result_dir
            done, skipped = len(report.done), len(report.skipped)
            parts = [f"{done} stylized"]
            if skipped:
                parts.append(f"{skipped} already done")
            if report.failed:
                parts.append(f"{len(report.failed)} failed")
            if report.replaced:
                parts.append(f"{len(report.replaced)} earlier paintings replaced")
            if report.kept_both:
                parts.append(f"{len(report.kept_both)} painted beside earlier ones, which are kept")
            if report.skipped_changed:
                parts.append(f"{len(report.skipped_changed)} skipped (painted before with other settings)")
            if report.renamed:  # a name was taken (by an original, or another photo's painting)
                parts.append(f"{len(report.renamed)} under a new name ({report.renamed[0]['why']})")
            if report.left_alone:
                parts.append(f"{len(report.left_alone)} earlier paintings left as they are")
            self.summary = ", ".join(parts) + f" in {report.seconds:.1f} s"
            cancelled = report.cancelled
        else:
            cancelled = False
        if cancelled:
            self.summary = "Stopped. " + self.summary + ". Finished photos are kept; start again to resume."
            self.state = "cancelled"
        else:
            self.fraction = 1.0
            self.count_text = f"{self._total} of {self._total}"
            self.state = "done"
        self.eta_text = ""

    def _ask(self, request: object, question: ChangedOutputs) -> None:
        """The batch stopped before painting: earlier paintings were made with other settings."""
        assert isinstance(request, StylizeFolder)
        self._asked = request
        self.fraction = 0.0
        self.count_text = ""
        self.eta_text = ""
        self.summary = f"{question.sentence('→')}. Nothing has been painted yet."
        self.state = "asking"
        self.question = f"{question.sentence('→')}."

    def _on_failed(self, event: JobFailed) -> None:
        self.job = None
        self.summary = f"The batch stopped: {event.message}"
        self.eta_text = ""
        self.state = "failed"

    def _on_cancelled(self, _event: JobCancelled) -> None:
        self.job = None
        self.summary = "Stopped before any photo was finished."
        self.eta_text = ""
        self.state = "cancelled"
