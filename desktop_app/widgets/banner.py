"""A non-modal error banner above the work area: visible, readable, dismissible, never blocking."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from desktop_app.viewmodels.app import AppViewModel


class ErrorBanner(QFrame):
    def __init__(self, vm: AppViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("errorBanner")
        self.setStyleSheet("#errorBanner { background: #f8d7da; border: 1px solid #e0a3a9; border-radius: 6px; }"
                           "#errorBanner QLabel { color: #58151c; }")
        icon = QLabel("⚠")
        icon.setStyleSheet("font-size: 16pt;")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPushButton("Details…")
        self.details.setToolTip("Technical details for a bug report")
        self.details.clicked.connect(self._show_details)
        close = QPushButton("Dismiss")
        close.setToolTip("Hide this message")
        close.clicked.connect(vm.dismiss_error)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(icon)
        row.addWidget(self.label, 1)
        row.addWidget(self.details)
        row.addWidget(close)
        vm.error_text_changed.connect(self._show)
        vm.error_detail_changed.connect(lambda d: self.details.setVisible(bool(d)))
        self.details.setVisible(False)
        self._show(vm.error_text)

    def _show(self, text: str) -> None:
        self.label.setText(text)
        self.setVisible(bool(text))

    def _show_details(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Details", self.vm.error_text, parent=self)
        box.setDetailedText(self.vm.error_detail)
        box.setModal(False)
        box.show()
