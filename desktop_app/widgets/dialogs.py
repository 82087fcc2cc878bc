"""Small dialogs: Preferences (device) and About (credits). They show what the view-models hand them."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)


class PreferencesDialog(QDialog):
    def __init__(self, current: str, parent: QWidget | None, choices: list[tuple[str, str]]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.device = QComboBox()
        self.device.setToolTip("Which processor paints: a GPU is much faster when there is one")
        for spec, label in choices:
            self.device.addItem(label, spec)
        if self.device.findData(current) < 0:
            self.device.addItem(f"{current} (not available now)", current)
        self.device.setCurrentIndex(self.device.findData(current))
        hint = QLabel("The status bar always shows the device that ran the last job.")
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Device", self.device)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def chosen_device(self) -> str:
        return str(self.device.currentData())


class AboutDialog(QDialog):
    def __init__(self, markdown: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Atelier")
        browser = QTextBrowser()
        browser.setOpenExternalLinks(True)
        browser.setMarkdown(markdown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        self.resize(560, 480)
