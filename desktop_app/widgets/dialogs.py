"""Small dialogs: Preferences (device) and About (credits from resources/ATTRIBUTION.md)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from engine import __version__
from engine.paths import resources_dir


def device_choices() -> list[tuple[str, str]]:
    """(spec, label) for Auto, CPU and each usable GPU, from the engine's probe."""
    from engine.devices import available_devices

    choices = [("auto", "Automatic (best available)")]
    for d in available_devices():
        label = "CPU" if d.spec == "cpu" else d.describe()
        choices.append((d.spec, label))
    return choices


class PreferencesDialog(QDialog):
    def __init__(self, current: str, parent: QWidget | None = None,
                 choices: list[tuple[str, str]] | None = None, check_updates: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.device = QComboBox()
        self.device.setToolTip("Which processor paints: a GPU is much faster when there is one")
        for spec, label in choices or device_choices():
            self.device.addItem(label, spec)
        if self.device.findData(current) < 0:
            self.device.addItem(f"{current} (not available now)", current)
        self.device.setCurrentIndex(self.device.findData(current))
        hint = QLabel("The status bar always shows the device that ran the last job.")
        hint.setWordWrap(True)
        self.check_updates = QCheckBox("Look for a newer version when Atelier starts")
        self.check_updates.setToolTip("Reads the project's release page only; nothing is downloaded or installed")
        self.check_updates.setChecked(check_updates)
        form = QFormLayout()
        form.addRow("Device", self.device)
        form.addRow("Updates", self.check_updates)
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


FALLBACK_CREDITS = (
    "## Credits\n\n"
    "Sample photo: astronaut Eileen Collins, NASA (public domain), as shipped with scikit-image.\n\n"
    "Built-in styles are trained on public-domain artworks; their full list of sources is in "
    "`resources/ATTRIBUTION.md` when the styles are installed.\n\n"
    "Made with PySide6 (Qt for Python, LGPL), PyTorch, Pillow, NumPy and safetensors."
)


def about_markdown() -> str:
    credits = resources_dir() / "ATTRIBUTION.md"
    text = credits.read_text(encoding="utf-8") if credits.is_file() else FALLBACK_CREDITS
    return (f"# Atelier {__version__}\n\nTurns photos into paintings with content-preserving GAN style "
            "transfer, entirely on your own computer.\n\n---\n\n" + text)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Atelier")
        browser = QTextBrowser()
        browser.setOpenExternalLinks(True)
        browser.setMarkdown(about_markdown())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        self.resize(560, 480)
