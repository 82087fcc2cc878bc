"""Wizard page 1: the artworks, or an interrupted run to resume instead of starting anew."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from desktop_app.wizard.folder_page import FolderPage
from desktop_app.wizard.runs import ResumableRun, resumable_runs

MIN_ARTWORKS = 1


class ArtworksPage(FolderPage):
    resume_requested = Signal(object)  # ResumableRun

    def __init__(self, runs_root: Path | None = None) -> None:
        super().__init__("Your artworks",
                         "Pick a folder of paintings or drawings in one style. 10-30 images work best; "
                         "one is enough to start. Each image is checked; unusable ones are skipped and listed.",
                         "artwork", MIN_ARTWORKS)
        self.runs_root = runs_root
        self.resume_box = QGroupBox("Resume an interrupted run")
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
        self.runs_list.currentRowChanged.connect(lambda row: self.resume_button.setEnabled(row >= 0))
        self.runs_list.itemDoubleClicked.connect(lambda _: self._resume())
        self.resume_button.clicked.connect(self._resume)
        self.refresh_runs()

    def refresh_runs(self) -> None:
        self.runs_list.clear()
        runs = resumable_runs(self.runs_root)
        for run in runs:
            item = QListWidgetItem(run.label())
            item.setData(256, run)
            item.setToolTip(str(run.run_dir))
            self.runs_list.addItem(item)
        self.resume_box.setVisible(bool(runs))
        if runs:
            self.runs_list.setCurrentRow(0)

    def runs(self) -> list[ResumableRun]:
        return [self.runs_list.item(i).data(256) for i in range(self.runs_list.count())]

    def _resume(self) -> None:
        item = self.runs_list.currentItem()
        if item is not None:
            self.resume_requested.emit(item.data(256))
