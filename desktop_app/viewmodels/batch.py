"""A folder of photos: validate on the GUI thread, run `StylizeFolder`, show progress and results.

The input is checked (folder exists, images found) before anything is queued, so mistakes are
reported at once. Progress, time left, the newest result's thumbnail and the per-file failures of
the engine's `BatchReport` become properties the batch panel shows.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtGui import QImage

from desktop_app.imaging import bytes_to_qimage
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel
from desktop_app.viewmodels.properties import ObservableObject, Property
from engine.batch import BatchReport, collect_inputs
from engine.errors import AtelierError
from engine.messages import (
    JobCancelled,
    JobFailed,
    JobFinished,
    JobPreview,
    JobProgress,
    StylizeFolder,
    StylizeOptions,
)
from engine.printable import printable

BATCH_FORMATS = ("same", "jpg", "png", "webp")
_COUNT = re.compile(r"^(\d+)/(\d+)\s*(.*)$")


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating time left…"
    s = int(round(seconds))
    if s < 60:
        return f"about {s} s left"
    if s < 3600:
        return f"about {s // 60} min {s % 60:02d} s left"
    return f"about {s // 3600} h {s % 3600 // 60:02d} min left"


class BatchViewModel(ObservableObject):
    input_dir = Property("")
    recursive = Property(False)
    output_dir = Property("")            # empty: "<input>/stylized"
    output_format = Property("same")
    state = Property("idle")             # idle | running | paused | done | cancelled | failed
    fraction = Property(0.0)
    count_text = Property("")            # "3 of 50 · name.jpg"
    eta_text = Property("")
    thumbnail = Property(None)           # QImage of the newest result
    thumbnail_caption = Property("")
    failures = Property(())              # ((file, reason), ...)
    summary = Property("")
    result_dir = Property("")            # where the outputs went (for "Open output folder")

    def __init__(self, app: AppViewModel, gallery: GalleryViewModel) -> None:
        super().__init__()
        self.app = app
        self.gallery = gallery
        self.job: int | None = None
        self._total = 0
        bridge = app.bridge
        bridge.progress.connect(self._on_progress)
        bridge.preview.connect(self._on_preview)
        bridge.finished.connect(self._on_finished)
        bridge.failed.connect(self._on_failed)
        bridge.cancelled.connect(self._on_cancelled)

    @property
    def running(self) -> bool:
        return self.state in ("running", "paused")

    def effective_output(self) -> Path | None:
        if self.output_dir.strip():
            return Path(self.output_dir.strip())
        return Path(self.input_dir.strip()) / "stylized" if self.input_dir.strip() else None

    # ---------------------------------------------------------------------------- commands
    def start(self, strength: float, preserve_colors: bool, brushwork: float = StylizeOptions.brushwork) -> bool:
        if self.running:
            return False
        folder = Path(self.input_dir.strip()) if self.input_dir.strip() else None
        if folder is None or not folder.is_dir():
            self.app.report_error("Choose an existing input folder first" if folder is None
                                  else f"The input folder {folder} does not exist")
            return False
        if not self.gallery.current:
            self.app.report_error("Pick a style in the gallery first")
            return False
        try:
            found = collect_inputs([folder], self.recursive)
        except AtelierError as exc:
            self.app.report_error(str(exc))
            return False
        out = self.effective_output()
        request = StylizeFolder(inputs=(folder,), out_dir=out, style=self.gallery.current,
                                options=StylizeOptions(strength=strength, preserve_colors=preserve_colors,
                                                       brushwork=brushwork, output_format=self.output_format),
                                recursive=self.recursive, device=self.app.device)
        self.job = request.job_id
        self._total = len(found.files)
        self.fraction = 0.0
        self.count_text = f"0 of {self._total}"
        self.eta_text = format_eta(None)
        self.thumbnail = None
        self.thumbnail_caption = ""
        self.failures = ()
        self.summary = f"Painting {self._total} photos. Finished paintings are kept even if you stop."
        self.result_dir = str(out)
        self.state = "running"
        self.app.bridge.submit(request)
        return True

    def toggle_pause(self) -> None:
        if self.job is None:
            return
        if self.state == "running":
            self.app.bridge.pause(self.job)
            self.state = "paused"
            self.eta_text = "paused"
        elif self.state == "paused":
            self.app.bridge.resume(self.job)
            self.state = "running"
            self.eta_text = format_eta(None)

    def cancel(self) -> bool:
        if self.job is None or not self.running:
            return False
        self.app.bridge.cancel(self.job)
        self.eta_text = "stopping after the current photo…"
        return True

    # ---------------------------------------------------------------------------- engine events
    def _on_progress(self, event: JobProgress) -> None:
        if event.job_id != self.job:
            return
        self.fraction = event.fraction
        m = _COUNT.match(event.stage or "")
        if m:
            done, total, name = int(m.group(1)), int(m.group(2)), m.group(3)
            self.count_text = f"{done} of {total}" + (f" · {name}" if name else "")
        if self.state == "running":
            self.eta_text = format_eta(event.eta_s)

    def _on_preview(self, event: JobPreview) -> None:
        if event.job_id != self.job:
            return
        image: QImage = bytes_to_qimage(event.pixels, event.width, event.height)
        self.thumbnail_caption = event.caption  # first, so views showing the image can read it
        self.thumbnail = image

    def _on_finished(self, event: JobFinished) -> None:
        if event.job_id != self.job:
            return
        report = event.result
        self.job = None
        if isinstance(report, BatchReport):
            self.failures = tuple((printable(Path(f["file"]).name), printable(f["reason"])) for f in report.failed)
            if report.out_dirs:
                self.result_dir = report.out_dirs[0] if len(report.out_dirs) == 1 else self.result_dir
            done, skipped = len(report.done), len(report.skipped)
            parts = [f"{done} stylized"]
            if skipped:
                parts.append(f"{skipped} already done")
            if report.failed:
                parts.append(f"{len(report.failed)} failed")
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

    def _on_failed(self, event: JobFailed) -> None:
        if event.job_id != self.job:
            return
        self.job = None
        self.summary = f"The batch stopped: {event.message}"
        self.eta_text = ""
        self.state = "failed"

    def _on_cancelled(self, event: JobCancelled) -> None:
        if event.job_id != self.job:
            return
        self.job = None
        self.summary = "Stopped before any photo was finished."
        self.eta_text = ""
        self.state = "cancelled"
