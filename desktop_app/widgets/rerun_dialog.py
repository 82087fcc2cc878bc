"""The question a batch asks when the folder holds paintings made with other settings.

Shown when `BatchViewModel.question` is set: an earlier batch painted some of these photos in this
style with, say, another strength. "Already done" would be wrong, and which of the three things a user
can mean is theirs to say: replace them, keep both, or skip them (or cancel: nothing is painted).
Opened window-modal, not run in a nested event loop: the answer arrives as a signal, so the window
keeps repainting and tests and the screenshot script can press its buttons.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QPushButton, QWidget

from desktop_app.viewmodels.batch import KEEP_BOTH, REPLACE, SKIP

CHOICES = (  # answer, button, what it does
    (REPLACE, "Replace them", "paint them again with the settings you chose now."),
    (KEEP_BOTH, "Keep both", "the new paintings go beside them (as photo_style-2.jpg); the earlier ones stay."),
    (SKIP, "Skip them", "leave them as they are; only photos without a painting are painted."),
)


class RerunDialog(QMessageBox):
    answered = Signal(object)  # REPLACE, KEEP_BOTH or SKIP; None for Cancel (nothing is painted)

    def __init__(self, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Paint these photos again?")
        self.setIcon(QMessageBox.Icon.Question)
        self.setText(question)
        self.setInformativeText("<br>".join(f"<b>{label}</b>: {what}" for _, label, what in CHOICES))
        self._answers: dict[QAbstractButton, str] = {}
        self._sent = False
        for answer, label, what in CHOICES:
            button = self.addButton(label, QMessageBox.ButtonRole.AcceptRole)
            button.setToolTip(what[0].upper() + what[1:])
            self._answers[button] = answer
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        cancel.setToolTip("Paint nothing now; the earlier paintings stay as they are")
        self.setDefaultButton(self.button_for(KEEP_BOTH))  # Enter loses nothing
        self.setEscapeButton(cancel)
        self.buttonClicked.connect(lambda button: self._send(self._answers.get(button)))
        self.finished.connect(lambda _result: self._send(None))  # closed any other way: Cancel

    def button_for(self, answer: str) -> QPushButton:
        button = next(button for button, a in self._answers.items() if a == answer)
        assert isinstance(button, QPushButton)
        return button

    def _send(self, answer: str | None) -> None:
        if not self._sent:  # once: a click also finishes the dialog
            self._sent = True
            self.answered.emit(answer)
