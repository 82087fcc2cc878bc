"""Wizard page 5: the new style exists; what it is, where it is, how training went."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWizardPage

from desktop_app.viewmodels.training import TrainingResult, TrainingViewModel, format_duration


class DonePage(QWizardPage):
    def __init__(self, vm: TrainingViewModel) -> None:
        super().__init__()
        self.setTitle("Your style is ready")
        self.setSubTitle("It is in the gallery now: use it on photos, folders and the live view.")
        self.vm = vm
        self.thumb = QLabel()
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.thumb, 1)
        layout.addWidget(self.summary)

    def initializePage(self) -> None:  # noqa: N802 (Qt name)
        self.show_result(self.vm.result)

    def show_result(self, result: TrainingResult | None) -> None:
        if result is None:
            self.summary.setText("No style was made.")
            return
        if result.thumbnail is not None:
            self.thumb.setPixmap(QPixmap.fromImage(result.thumbnail).scaled(
                256, 256, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        score = f"{result.score:.3f} (lower is better)" if result.score is not None else "not measured"
        rows = [("Name", result.name), ("Author", result.author or "—"),
                ("Training", f"{result.steps} steps in {format_duration(result.seconds)}"), ("Best score", score),
                ("File", str(result.style_path))]
        self.summary.setText("<table cellspacing=4>" + "".join(
            f"<tr><td><b>{k}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows) + "</table>")
