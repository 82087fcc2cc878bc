"""Small dialogs: Preferences (device, how paintings are written) and About (credits).

They show and return what the view-models hand them; the main window applies the answer.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.viewmodels.app import OutputPrefs
from desktop_app.widgets.folder_drop import folder_row

FORMAT_CHOICES = (("same", "Same as the photo"), ("jpg", "JPEG"), ("png", "PNG (lossless)"), ("webp", "WebP"))


class PreferencesDialog(QDialog):
    def __init__(self, current: str, parent: QWidget | None, choices: list[tuple[str, str]],
                 output: OutputPrefs | None = None, check_updates: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        output = output or OutputPrefs()
        self.device = QComboBox()
        self.device.setToolTip("Which processor paints: a GPU is much faster when there is one")
        for spec, label in choices:
            self.device.addItem(label, spec)
        if self.device.findData(current) < 0:
            self.device.addItem(f"{current} (not available now)", current)
        self.device.setCurrentIndex(self.device.findData(current))
        hint = QLabel("The status bar always shows the device that ran the last job.")
        hint.setWordWrap(True)

        self.folder = QLineEdit(output.folder)
        self.folder.setPlaceholderText("Beside each photo (Batch: a “stylized” folder in the input folder)")
        self.folder.setToolTip("Where Save as… starts and where a batch writes when it names no folder")
        row = folder_row(self.folder, "Browse…", self._browse)
        self.format = QComboBox()
        for key, label in FORMAT_CHOICES:
            self.format.addItem(label, key)
        self.format.setCurrentIndex(max(0, self.format.findData(output.format)))
        self.format.setToolTip("The file type Save as… offers first and a new batch writes")
        self.quality = QSpinBox()
        self.quality.setRange(50, 100)
        self.quality.setValue(output.jpeg_quality)
        self.quality.setToolTip("JPEG and WebP quality: 95 keeps brushstrokes crisp; lower makes smaller files")
        self.max_size = QSpinBox()
        self.max_size.setRange(0, 20000)
        self.max_size.setSingleStep(256)
        self.max_size.setSuffix(" px")
        self.max_size.setSpecialValueText("Full resolution")
        self.max_size.setValue(output.max_size or 0)
        self.max_size.setToolTip("Longest side of saved paintings; Full resolution keeps every pixel of the photo")

        form = QFormLayout()
        form.addRow("Device", self.device)
        form.addRow("", hint)
        form.addRow(QLabel("<b>Saved paintings</b>"))
        form.addRow("Folder", row)
        form.addRow("Format", self.format)
        form.addRow("JPEG quality", self.quality)
        form.addRow("Largest side", self.max_size)
        self.check_updates = QCheckBox("Look for a newer version when Atelier starts")
        self.check_updates.setToolTip("Reads the project's release page only; nothing is downloaded or installed")
        self.check_updates.setChecked(check_updates)
        form.addRow("Updates", self.check_updates)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def chosen_device(self) -> str:
        return str(self.device.currentData())

    def chosen_output(self) -> OutputPrefs:
        size = self.max_size.value()
        return OutputPrefs(self.folder.text().strip(), str(self.format.currentData()), self.quality.value(),
                           size if size >= 16 else None)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for saved paintings", self.folder.text())
        if folder:
            self.folder.setText(folder)


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
