"""Wizard page 3: name, author and how to train (time, base style, keep-content dial, skin, strokes, device).

The name is asked here, before training, because the trainer writes the style file under it (and a
run resumed after a restart must know it). Names are validated like the engine does, and a name that
is already taken is refused here rather than silently overwriting someone's style.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QWidget,
    QWizardPage,
)

from desktop_app.viewmodels.gallery import STROKE_LABELS
from engine.errors import StyleFileError
from engine.messages import STROKES
from engine.paths import base_model
from engine.stylefile import slugify, validate_name

DEFAULT_MINUTES = 20
SKIN_COLOUR_KEEP = 0.8  # share of their own colour faces keep when "Skin tones" is ticked (as the CLI default)
ARCHITECTURE = "fast"  # Train.size default; a base style must have the same architecture


def builtin_base_path() -> Path:
    return base_model()


class OptionsPage(QWizardPage):
    def __init__(self, catalog) -> None:
        super().__init__()
        self.setTitle("Name and options")
        self.setSubTitle("Training runs on this computer. You can pause it, or stop early and keep the best result.")
        self.catalog = catalog

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. My watercolours")
        self.name_error = QLabel("")
        self.name_error.setStyleSheet("color: #c62828")
        self.name_error.setWordWrap(True)
        self.name_error.hide()
        self.author_edit = QLineEdit()
        self.author_edit.setPlaceholderText("optional; stored in the style file")

        self.minutes = QSpinBox()
        self.minutes.setRange(1, 24 * 60)
        self.minutes.setValue(DEFAULT_MINUTES)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("Training measures this computer's speed and fits the run into this time.")

        self.base_box = QComboBox()
        self.base_box.setToolTip("Starting from an existing style takes minutes instead of hours.")
        self.content = QSlider(Qt.Orientation.Horizontal)
        self.content.setRange(0, 300)
        self.content.setValue(100)
        self.content_label = QLabel()
        content_row = QHBoxLayout()
        content_row.addWidget(QLabel("more style"))
        content_row.addWidget(self.content, 1)
        content_row.addWidget(QLabel("more of the photo"))
        content_row.addWidget(self.content_label)
        content_widget = QWidget()
        content_widget.setLayout(content_row)
        content_row.setContentsMargins(0, 0, 0, 0)

        self.keep_skin = QCheckBox("Faces keep their own colour")
        self.keep_skin.setChecked(True)
        self.keep_skin.setToolTip("Untick to let the painter's palette recolour skin too (e.g. for a blue period).")

        self.strokes_box = QComboBox()
        for key in STROKES:
            self.strokes_box.addItem(STROKE_LABELS[key], key)
        self.strokes_box.setToolTip("Brushstrokes are painted over the trained style; the Brushwork slider "
                                    "on the Photo tab softens them later.")

        self.device_box = QComboBox()

        form = QFormLayout(self)
        form.addRow("Style name", self.name_edit)
        form.addRow("", self.name_error)
        form.addRow("Author", self.author_edit)
        form.addRow("Time budget", self.minutes)
        form.addRow("Start from", self.base_box)
        form.addRow("Keep content", content_widget)
        form.addRow("Skin tones", self.keep_skin)
        form.addRow("Brushstrokes", self.strokes_box)
        form.addRow("Device", self.device_box)
        help_text = QLabel(
            "<p><b>Time budget</b>: training first measures this computer's speed and fits the run into this time; "
            "the best result is kept, and you can stop early.</p>"
            "<p><b>Start from</b>: a new style starts from an existing model, which takes minutes instead of hours."
            "</p><p><b>Keep content</b>: move right if faces and shapes drift too much, left for bolder painting.</p>"
            "<p><b>Skin tones</b>: most painters' palettes have little brown, and would turn skin grey or green."
            "</p><p><b>Brushstrokes</b>: not learned from your artworks; pick the kind closest to them.</p>")
        help_text.setWordWrap(True)
        help_text.setStyleSheet("color: palette(dark)")
        form.addRow(help_text)

        self.name_edit.textChanged.connect(self._validate_name)
        self.content.valueChanged.connect(lambda v: self.content_label.setText(f"{v / 100:.2f}"))
        self.content_label.setText("1.00")
        self._fill_bases()
        self._fill_devices()

    # ------------------------------------------------------------------ choices
    def _fill_bases(self) -> None:
        self.base_box.clear()
        base = builtin_base_path()
        if base.is_file():
            self.base_box.addItem("Atelier base model (recommended)", str(base))
        self.base_box.addItem("None — start from scratch (slower)", None)
        try:
            entries = self.catalog.list()
        except Exception:
            entries = []
        for e in entries:
            if e.meta.architecture == ARCHITECTURE:
                self.base_box.addItem(f"Style: {e.name}", e.slug)
        self.base_box.setCurrentIndex(0)

    def _fill_devices(self) -> None:
        self.device_box.clear()
        self.device_box.addItem("Automatic (best available)", "auto")
        try:
            from engine.devices import available_devices

            for d in available_devices():
                self.device_box.addItem(f"{d.spec} — {d.name}", d.spec)
        except Exception:  # a broken driver must not stop the wizard; the engine reports it on start
            self.device_box.addItem("cpu", "cpu")

    # ------------------------------------------------------------------ values
    def name(self) -> str:
        return self.name_edit.text().strip()

    def author(self) -> str:
        return self.author_edit.text().strip()

    def base(self) -> str | None:
        return self.base_box.currentData()

    def content_weight(self) -> float:
        return self.content.value() / 100.0

    def skin_colour_keep(self) -> float:
        return SKIN_COLOUR_KEEP if self.keep_skin.isChecked() else 0.0

    def strokes(self) -> str:
        return self.strokes_box.currentData() or "medium"

    def device(self) -> str:
        return self.device_box.currentData() or "auto"

    def _name_problem(self) -> str:
        name = self.name()
        if not name:
            return ""
        try:
            validate_name(name)
        except StyleFileError as exc:
            return str(exc)
        slug = slugify(name)
        try:
            taken = any(slug in (e.slug, slugify(e.name)) for e in self.catalog.list())
        except Exception:
            taken = False
        if taken or self.catalog.user_path_for(name).exists():
            return f"A style called {name!r} already exists; choose another name."
        return ""

    def _validate_name(self) -> None:
        problem = self._name_problem()
        self.name_error.setText(problem)
        self.name_error.setVisible(bool(problem))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 (Qt name)
        return bool(self.name()) and not self._name_problem()
