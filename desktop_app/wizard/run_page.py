"""Wizard page 4: training runs; the user's own photos as the new style paints them, time left, the chart.

A view of `TrainingViewModel`. The previews are the largest thing on the page, the first one beside
the newest, because "is it working?" is answered by seeing the photos change, not by a number.
"Stop" keeps the best result measured so far, which is what a user who has seen enough wants (Cancel
throws nothing away either: the checkpoint is saved and the run can be resumed from the first page).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desktop_app.viewmodels.training import TrainingViewModel
from desktop_app.wizard.loss_chart import LossChart

COMPARISON_CAPTION = "Your photos · painted at the start · painted now"


class PreviewPane(QWidget):
    """A caption over an image scaled to fit, kept sharp on resize."""

    def __init__(self, caption: str, empty: str) -> None:
        super().__init__()
        self.caption = QLabel(caption)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture = QLabel(empty)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setWordWrap(True)
        self.picture.setMinimumSize(220, 160)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setStyleSheet("background: #1c1c20; color: #bbb; border-radius: 4px")
        self.image: QImage | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.picture, 1)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self._show()

    def _show(self) -> None:
        if self.image is None:
            self.picture.setPixmap(QPixmap())
            return
        pm = QPixmap.fromImage(self.image)
        self.picture.setPixmap(pm.scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._show()


class RunPage(QWizardPage):
    def __init__(self, vm: TrainingViewModel) -> None:
        super().__init__()
        self.setTitle("Training")
        self.setSubTitle("Your photos (top row), how the new style painted them at the start (middle) and now "
                         "(bottom). Watch the bottom row take on the artworks' look.")
        self.setCommitPage(True)  # once a style exists, going back makes no sense
        self.vm = vm

        self.what = QLabel("")
        self.what.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.time_left = QLabel("")
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.previews = PreviewPane(COMPARISON_CAPTION, "The first preview appears after a few seconds.")
        self.chart = LossChart()
        self.chart.setMaximumHeight(190)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumHeight(64)
        self.log.hide()  # shown with the first notice (skipped files, measured speed, resuming)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop and keep the best result")

        bar = QHBoxLayout()
        bar.addWidget(self.progress_bar, 1)
        bar.addWidget(self.time_left)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addLayout(bar)
        layout.addWidget(self.previews, 3)
        layout.addWidget(self.chart, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.log)

        self.pause_button.clicked.connect(vm.toggle_pause)
        self.stop_button.clicked.connect(vm.stop_early)
        vm.request_changed.connect(self._show_request)
        vm.fraction_changed.connect(lambda f: self.progress_bar.setValue(int(f * 1000)))
        vm.eta_text_changed.connect(self.time_left.setText)
        vm.status_text_changed.connect(self._show_status)
        vm.state_changed.connect(self._on_state)
        vm.comparison_changed.connect(self.previews.set_image)
        vm.metrics_added.connect(self.chart.add)
        vm.logged.connect(self._log)

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return self.vm.running

    def initializePage(self) -> None:  # noqa: N802 (Qt name)
        self.wizard().start_training()
        # QWizard re-enables Back after initializePage returns; disable it once that has happened
        QTimer.singleShot(0, lambda: self._set_back_enabled(not self.vm.running))

    def cleanupPage(self) -> None:  # noqa: N802 (Qt name): the user went back (only possible after a failure)
        self.vm.cancel()

    def isComplete(self) -> bool:  # noqa: N802 (Qt name)
        return self.vm.result is not None

    def _set_back_enabled(self, enabled: bool) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(enabled)

    # ------------------------------------------------------------------ view-model -> view
    def _show_request(self, request) -> None:
        """A new run (or a run continued): a fresh chart, log and previews."""
        if request is None:
            return
        self.chart.clear()
        self.log.clear()
        self.log.hide()
        self.previews.set_image(None)
        what = ("Training longer:" if request.resume and request.minutes else
                "Resuming" if request.resume else "Training")
        self.what.setText(f"{what} <b>{html.escape(request.name)}</b> from {html.escape(request.art_dir.name)} "
                          f"with the photos in {html.escape(request.photo_dir.name)}.")

    def _show_status(self, text: str) -> None:
        if self.vm.state == "failed":
            self.state.setText(f"<span style='color:#c62828'><b>Training failed:</b> "
                               f"{html.escape(self.vm.error_text)}</span>")
        else:
            self.state.setText(html.escape(text))

    def _on_state(self, state: str) -> None:
        active = state in ("running", "paused")
        self.pause_button.setEnabled(active)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(active)
        self._show_status(self.vm.status_text)
        if state in ("failed", "cancelled"):
            self._set_back_enabled(True)
        self.completeChanged.emit()

    def _log(self, line: str) -> None:
        self.log.show()
        self.log.appendPlainText(line)
