"""Wizard page 5: the new style exists; what it is, where it is, how it scored."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWizardPage

from desktop_app.wizard.run_page import format_duration
from engine.errors import StyleFileError
from engine.stylefile import read_meta


class DonePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Your style is ready")
        self.setSubTitle("It is in the gallery now: use it on photos, folders and the live view.")
        self.thumb = QLabel()
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.thumb, 1)
        layout.addWidget(self.summary)

    def initializePage(self) -> None:  # noqa: N802 (Qt name)
        self.show_outcome(self.wizard().outcome)

    def show_outcome(self, outcome) -> None:
        if outcome is None:
            self.summary.setText("No style was made.")
            return
        path = outcome.style_path
        name, author = path.stem, ""
        try:
            meta = read_meta(path)
            name, author = meta.name, meta.author
            image = QImage.fromData(meta.thumbnail_png) if meta.thumbnail_png else QImage()
            if not image.isNull():
                self.thumb.setPixmap(QPixmap.fromImage(image).scaled(
                    256, 256, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        except StyleFileError as exc:
            self.summary.setText(f"The style file cannot be read: {exc}")
            return
        score = f"{outcome.score:.3f} (lower is better)" if outcome.score is not None else "not measured"
        rows = [("Name", name), ("Author", author or "—"), ("Training", f"{outcome.steps} steps in "
                f"{format_duration(outcome.seconds)}"), ("Best score", score), ("File", str(path))]
        self.summary.setText("<table cellspacing=4>" + "".join(
            f"<tr><td><b>{k}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows) + "</table>")
