"""Wizard pages 1 and 2: pick a folder, see its images, see what the data check says about each.

A view of one `FolderViewModel`. The page is complete only when the check passed for the folder
currently shown, so training can never start on data that would fail a minute later on the engine
thread (DESIGN.md: validate on the GUI side, errors shown before anything is queued).
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from desktop_app.viewmodels.folder_check import THUMB, FolderCheck, FolderViewModel
from desktop_app.widgets.folder_drop import FolderDrop, folder_row


def _dimmed(image: QImage) -> QPixmap:
    """Excluded images are shown greyed out in the grid, so the user sees which ones."""
    pm = QPixmap.fromImage(image)
    p = QPainter(pm)
    p.fillRect(pm.rect(), Qt.GlobalColor.white)
    p.setOpacity(0.35)
    p.drawImage(0, 0, image)
    p.end()
    return pm


class FolderPage(QWizardPage):
    def __init__(self, vm: FolderViewModel, title: str, subtitle: str) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.vm = vm
        self.role = vm.role

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(f"Folder with your {vm.role} images (or drop one here)")
        row = folder_row(self.path_edit, "Choose folder…", self._browse)

        self.grid = QListWidget()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(THUMB, THUMB))
        self.grid.setGridSize(QSize(THUMB + 20, THUMB + 34))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setWordWrap(True)
        self.grid.setMinimumHeight(170)

        self.status = QLabel("Choose a folder.")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.issues = QListWidget()
        self.issues.setMaximumHeight(90)
        self.issues.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.issues)
        self.path_edit.editingFinished.connect(self._path_edited)
        vm.folder_changed.connect(lambda t: self.path_edit.setText(t) if self.path_edit.text() != t else None)
        vm.checking_changed.connect(lambda _c: self._show())
        vm.result_changed.connect(lambda _r: self._show())
        self.path_edit.setText(vm.folder)
        self.folder_drop = FolderDrop(self, self.path_edit, self.set_folder)
        self._show()

    # ------------------------------------------------------------------ folder
    def folder(self) -> Path | None:
        return self.vm.path

    def set_folder(self, folder: Path) -> None:
        self.vm.set_folder(folder)

    def _browse(self) -> None:
        start = str(self.folder() or Path.home())
        chosen = QFileDialog.getExistingDirectory(self, f"Choose the {self.role} folder", start)
        if chosen:
            self.set_folder(Path(chosen))

    @Slot()
    def _path_edited(self) -> None:
        text = self.path_edit.text()
        if text.strip() != self.vm.folder.strip() or self.vm.result is None and not self.vm.checking:
            self.vm.set_folder(text)

    # ------------------------------------------------------------------ results
    def _show(self) -> None:
        check = self.vm.result
        if check is None:
            self.grid.clear()
            self.issues.clear()
            self.issues.hide()
            folder = self.vm.path
            self.status.setText(f"Checking the images in {folder.name}…" if folder is not None and self.vm.checking
                                else "Choose a folder.")
            self.completeChanged.emit()
            return
        self._show_check(check)

    def _show_check(self, check: FolderCheck) -> None:
        report = check.report
        excluded = {issue.path: issue.reason for issue in report.excluded}
        self.grid.clear()
        for path, image in check.thumbnails:
            reason = excluded.get(path)
            icon = QIcon(_dimmed(image) if reason else QPixmap.fromImage(image)) if not image.isNull() else QIcon()
            item = QListWidgetItem(icon, path.name)
            item.setToolTip(f"{path.name}: not used — {reason}" if reason else path.name)
            if reason or path not in report.usable:
                item.setForeground(Qt.GlobalColor.gray)
            self.grid.addItem(item)
        self.issues.clear()
        for issue in report.excluded:
            self.issues.addItem(f"{issue.path.name}: {issue.reason}")
        self.issues.setVisible(bool(report.excluded))
        usable = len(report.usable)
        skipped = f", {len(report.excluded)} skipped (below)" if report.excluded else ""
        if report.ok:
            self.status.setText(f"<b style='color:#2e7d32'>✓ {usable} usable {self.role} image(s)</b>{skipped}.")
        else:
            self.status.setText(f"<b style='color:#c62828'>✗ {html.escape(report.error or '')}</b>{skipped}.")
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 (Qt name)
        return self.vm.ok
