"""A first-run hint: a short sentence on top of a tab that has not been used before, until "Got it"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from desktop_app.viewmodels.app import AppViewModel

BATCH = ("batch", "<b>Batch</b> paints every photo in a folder in the look the Photo tab shows (style, strength, "
                  "brushwork, colours). Choose or drop a folder and press Start. Your originals are never "
                  "changed, and a stopped batch picks up where it left off.")
LIVE = ("live", "<b>Live</b> shows your camera, or a video file, in the style chosen on the left. Space starts "
                "and stops, ← and → change the style, S saves a snapshot at full size.")
TRAINING = ("training", "<b>A new style</b> is learned from your own paintings or drawings: a folder of 10-30 "
                        "in one style, then a few of your photos. It trains on this computer (20 minutes by "
                        "default); you can pause, stop early with the best result, or train longer later.")


class HintBar(QFrame):
    def __init__(self, app: AppViewModel, hint: tuple[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.key = hint[0]
        self.setObjectName("hintBar")
        self.setStyleSheet("#hintBar { background: palette(alternate-base); border: 1px solid palette(mid); "
                           "border-radius: 6px; }")
        self.label = QLabel(hint[1])
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.got_it = QPushButton("Got it")
        self.got_it.setToolTip("Hide this hint for good (Help ▸ Quick guide has it all)")
        self.got_it.clicked.connect(self.dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        icon = QLabel()
        side = self.label.fontMetrics().height() + 4
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(side, side))
        row.addWidget(icon)
        row.addWidget(self.label, 1)
        row.addWidget(self.got_it)
        self.setVisible(not app.hint_seen(self.key))

    def dismiss(self) -> None:
        self.app.dismiss_hint(self.key)
        self.hide()
