"""Wizard page 4: training runs; losses, previews of the user's own photos, time left, pause/stop.

"Stop" is `bridge.finish_early`: the trainer ends at its next step and keeps the best result measured
so far, which is what a user who has seen enough wants (a Cancel throws nothing away either: the
checkpoint is saved and the run can be resumed from the first page).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from desktop_app.wizard.loss_chart import LossChart
from engine.messages import (
    JobCancelled,
    JobFailed,
    JobFinished,
    JobNotice,
    JobPreview,
    JobProgress,
    JobStarted,
    Train,
)


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


class RunPage(QWizardPage):
    training_finished = Signal(object)  # TrainOutcome

    def __init__(self, bridge) -> None:
        super().__init__()
        self.setTitle("Training")
        self.setSubTitle("The previews show your photos (top) and how the new style paints them (bottom).")
        self.setCommitPage(True)  # once a style exists, going back makes no sense
        self.bridge = bridge
        self.job: int | None = None
        self.request: Train | None = None
        self.outcome = None
        self.paused = False
        self.last_step = 0

        self.what = QLabel("")
        self.what.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.time_left = QLabel("")
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.chart = LossChart()
        self.preview = QLabel("The first preview appears after a few seconds.")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(300, 180)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #1c1c20; color: #bbb; border-radius: 4px")
        self._preview_image: QImage | None = None
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumHeight(64)
        self.log.hide()  # shown with the first notice (skipped files, measured speed, resuming)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop and keep the best result")

        bar = QHBoxLayout()
        bar.addWidget(self.progress_bar, 1)
        bar.addWidget(self.time_left)
        middle = QHBoxLayout()
        middle.addWidget(self.chart, 1)
        middle.addWidget(self.preview, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addLayout(bar)
        layout.addLayout(middle, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.log)

        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop_early)
        for signal in (bridge.started, bridge.progress, bridge.preview, bridge.notice, bridge.finished,
                       bridge.failed, bridge.cancelled):
            signal.connect(self._on_event)

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return self.job is not None and self.outcome is None

    def initializePage(self) -> None:  # noqa: N802 (Qt name)
        wizard = self.wizard()
        self.start(wizard.build_request())

    def cleanupPage(self) -> None:  # noqa: N802 (Qt name): the user went back (only possible after a failure)
        self.cancel()

    def start(self, request: Train) -> None:
        self.request = request
        self.outcome = None
        self.paused = False
        self.last_step = 0
        self.chart.clear()
        self.log.clear()
        self.log.hide()
        self.progress_bar.setValue(0)
        self.time_left.setText("")
        what = "Resuming" if request.resume else "Training"
        self.what.setText(f"{what} <b>{html.escape(request.name)}</b> from {html.escape(request.art_dir.name)} "
                          f"with the photos in {html.escape(request.photo_dir.name)}.")
        self.state.setText("Starting…")
        self.pause_button.setEnabled(True)
        self.pause_button.setText("Pause")
        self.stop_button.setEnabled(True)
        self.job = self.bridge.submit(request)
        self.completeChanged.emit()
        # QWizard re-enables Back after initializePage returns; disable it once that has happened
        QTimer.singleShot(0, lambda: self._set_back_enabled(not self.running))

    def cancel(self) -> None:
        """Cancel a running job (its checkpoint is kept, so it can be resumed)."""
        if self.running:
            self.bridge.cancel(self.job)
            self.job = None

    def toggle_pause(self) -> None:
        if not self.running:
            return
        if self.paused:
            self.bridge.resume(self.job)
            self.state.setText("Training…")
        else:
            self.bridge.pause(self.job)
            self.state.setText("Paused. Nothing is lost while paused; press Resume to go on.")
        self.paused = not self.paused
        self.pause_button.setText("Resume" if self.paused else "Pause")

    def stop_early(self) -> None:
        if not self.running:
            return
        if self.paused:
            self.bridge.resume(self.job)  # a paused job must run to reach its stop point
            self.paused = False
        self.bridge.finish_early(self.job)
        self.stop_button.setEnabled(False)
        self.pause_button.setEnabled(False)
        self.state.setText("Stopping: measuring and keeping the best result so far…")

    def isComplete(self) -> bool:  # noqa: N802 (Qt name)
        return self.outcome is not None

    def _set_back_enabled(self, enabled: bool) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(enabled)

    # ------------------------------------------------------------------ events
    @Slot(object)
    def _on_event(self, event) -> None:
        if self.job is None or event.job_id != self.job:
            return
        if isinstance(event, JobStarted):
            self.state.setText(f"Training on {event.device}")
        elif isinstance(event, JobProgress):
            self._on_progress(event)
        elif isinstance(event, JobPreview):
            self._preview_image = QImage(event.pixels, event.width, event.height, 3 * event.width,
                                         QImage.Format.Format_RGB888).copy()
            self._show_preview()
        elif isinstance(event, JobNotice):
            self.log.show()
            self.log.appendPlainText(event.message)
        elif isinstance(event, JobFinished):
            self._on_finished(event)
        elif isinstance(event, JobFailed):
            self.job = None
            self.state.setText(f"<span style='color:#c62828'><b>Training failed:</b> {html.escape(event.message)}"
                               "</span>")
            if event.detail:
                self.log.show()
                self.log.appendPlainText(event.detail)
            self._end_buttons()
            self._set_back_enabled(True)
        elif isinstance(event, JobCancelled):
            self.job = None
            self.state.setText("Training was cancelled. Its progress is saved: resume it from the first page.")
            self._end_buttons()
            self._set_back_enabled(True)

    def _on_progress(self, event: JobProgress) -> None:
        self.progress_bar.setValue(int(event.fraction * 1000))
        if event.metrics:
            self.chart.add(event.metrics)
            self.last_step = int(event.metrics.get("step", self.last_step))
        if event.stage == "training" and not self.paused and self.stop_button.isEnabled():
            self.state.setText(f"Training — step {self.last_step}")
        elif event.stage and event.stage != "training" and self.stop_button.isEnabled():
            self.state.setText(event.stage.capitalize() + "…")
        self.time_left.setText(f"{format_duration(event.eta_s)} left" if event.fraction < 1 else "done")

    def _on_finished(self, event: JobFinished) -> None:
        self.outcome = event.result
        self.progress_bar.setValue(1000)
        self.time_left.setText("done")
        steps = getattr(self.outcome, "steps", self.last_step)
        self.state.setText(f"Finished after {steps} steps.")
        self._end_buttons()
        self.completeChanged.emit()
        self.training_finished.emit(self.outcome)

    def _end_buttons(self) -> None:
        self.pause_button.setEnabled(False)
        self.stop_button.setEnabled(False)

    def _show_preview(self) -> None:
        if self._preview_image is None:
            return
        pm = QPixmap.fromImage(self._preview_image)
        self.preview.setPixmap(pm.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._show_preview()
