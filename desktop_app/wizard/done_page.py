"""Wizard page 5: the new style exists. What it does to the user's photos, in pictures and words, and
"Train longer" for a style that is not there yet."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWizardPage

from desktop_app.viewmodels.training import MORE_MINUTES, TrainingResult, TrainingViewModel
from desktop_app.wizard.run_page import COMPARISON_CAPTION, PreviewPane


class DonePage(QWizardPage):
    train_longer_requested = Signal(float)  # minutes

    def __init__(self, vm: TrainingViewModel) -> None:
        super().__init__()
        self.setTitle("Your style is ready")
        self.setSubTitle("It is in the gallery now: use it on photos, folders and the live view.")
        self.vm = vm
        self.previews = PreviewPane(COMPARISON_CAPTION + " (at the end of training)", "")
        self.thumb = QLabel()
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setToolTip("The style's painting of the sample photo, as the gallery shows it")
        self.words = QLabel("")
        self.words.setWordWrap(True)
        self.words.setTextFormat(Qt.TextFormat.RichText)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet("color: palette(dark)")
        self.longer_minutes = QSpinBox()
        self.longer_minutes.setRange(1, 24 * 60)
        self.longer_minutes.setValue(MORE_MINUTES)
        self.longer_minutes.setSuffix(" min")
        self.longer_button = QPushButton("Train longer")
        self.longer_button.setToolTip("Continue this training where it stopped; the style is updated when done")
        self.longer_button.clicked.connect(lambda: self.train_longer_requested.emit(float(self.longer_minutes.value())))

        longer = QHBoxLayout()
        longer.addStretch(1)
        longer.addWidget(QLabel("Not there yet?"))
        longer.addWidget(self.longer_button)
        longer.addWidget(QLabel("for"))
        longer.addWidget(self.longer_minutes)
        text = QHBoxLayout()
        text.addWidget(self.thumb)
        text.addWidget(self.words, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.previews, 1)
        layout.addLayout(text)
        layout.addWidget(self.details)
        layout.addLayout(longer)

    def initializePage(self) -> None:  # noqa: N802 (Qt name)
        self.show_result(self.vm.result)

    def show_result(self, result: TrainingResult | None) -> None:
        self.previews.set_image(self.vm.comparison)
        if result is None:
            self.words.setText("No style was made.")
            self.details.setText("")
            return
        if result.thumbnail is not None:
            self.thumb.setPixmap(QPixmap.fromImage(result.thumbnail).scaled(
                160, 160, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.words.setText("<p>" + "</p><p>".join(html.escape(w) for w in self.vm.explain()) + "</p>")
        author = f" by {result.author}" if result.author else ""
        self.details.setText(f"“{result.name}”{author} · {result.style_path}")
