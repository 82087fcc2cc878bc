"""Wizard page 1: the artworks, or an earlier run to resume (or to train longer) instead of starting anew."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from desktop_app.viewmodels.training import TrainingViewModel
from desktop_app.viewmodels.training_runs import ResumableRun
from desktop_app.widgets.hint_bar import TRAINING, HintBar
from desktop_app.wizard.folder_page import FolderPage

RunRole = Qt.ItemDataRole.UserRole


class ArtworksPage(FolderPage):
    resume_requested = Signal(object)  # ResumableRun

    def __init__(self, training: TrainingViewModel) -> None:
        super().__init__(training.artworks, "Your artworks",
                         "Pick a folder of paintings or drawings in one style. 10-30 images work best; "
                         "one is enough to start. Each image is checked; unusable ones are skipped and listed.")
        self.training = training
        self.resume_box = QGroupBox("Resume an interrupted run, or train a finished one longer")
        self.runs_list = QListWidget()
        self.runs_list.setMaximumHeight(72)
        self.resume_button = QPushButton("Resume selected run")
        self.resume_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.runs_list, 1)
        row.addWidget(self.resume_button)
        box_layout = QVBoxLayout(self.resume_box)
        box_layout.addLayout(row)
        self.layout().insertWidget(0, self.resume_box)
        self.hint = HintBar(training.app, TRAINING)
        self.layout().insertWidget(0, self.hint)
        self.runs_list.currentRowChanged.connect(self._on_row)
        self.runs_list.itemDoubleClicked.connect(lambda _: self._resume())
        self.resume_button.clicked.connect(self._resume)
        self.refresh_runs()

    def refresh_runs(self) -> None:
        self.runs_list.clear()
        runs = self.training.runs()
        for run in runs:
            item = QListWidgetItem(run.label())
            item.setData(RunRole, run)
            item.setToolTip(str(run.run_dir))
            self.runs_list.addItem(item)
        self.resume_box.setVisible(bool(runs))
        if runs:
            self.runs_list.setCurrentRow(0)

    def runs(self) -> list[ResumableRun]:
        return [self.runs_list.item(i).data(RunRole) for i in range(self.runs_list.count())]

    def _on_row(self, row: int) -> None:
        run = self.runs_list.item(row).data(RunRole) if row >= 0 else None
        self.resume_button.setEnabled(run is not None)
        self.resume_button.setText("Train longer" if run is not None and run.finished else "Resume selected run")

    def _resume(self) -> None:
        item = self.runs_list.currentItem()
        if item is not None:
            self.resume_requested.emit(item.data(RunRole))
