"""Wizard page 3: name, author and how to train (time, base style, keep-content dial, skin, strokes, device).

The name is asked here, before training, because the trainer writes the style file under it (and a
run resumed after a restart must know it). Names are validated like the engine does (by the training
view-model), and a name that is already taken is refused here rather than silently overwriting
someone's style.
"""

from __future__ import annotations

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

from desktop_app.viewmodels.training import DEFAULT_MINUTES, TrainingChoices, TrainingViewModel


class OptionsPage(QWizardPage):
    def __init__(self, vm: TrainingViewModel) -> None:
        super().__init__()
        self.setTitle("Name and options")
        self.setSubTitle("Training runs on this computer. You can pause it, or stop early and keep the best result.")
        self.vm = vm

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
        for key, label in vm.stroke_choices():
            self.strokes_box.addItem(label, key)
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
        for label, value in self.vm.base_choices():
            self.base_box.addItem(label, value)
        self.base_box.setCurrentIndex(0)

    def _fill_devices(self) -> None:
        self.device_box.clear()
        for spec, label in self.vm.device_choices():
            self.device_box.addItem(label, spec)

    # ------------------------------------------------------------------ values
    def name(self) -> str:
        return self.name_edit.text().strip()

    def author(self) -> str:
        return self.author_edit.text().strip()

    def base(self) -> str | None:
        return self.base_box.currentData()

    def content_weight(self) -> float:
        return self.content.value() / 100.0

    def strokes(self) -> str:
        return self.strokes_box.currentData() or "medium"

    def device(self) -> str:
        return self.device_box.currentData() or "auto"

    def choices(self) -> TrainingChoices:
        return TrainingChoices(name=self.name(), author=self.author(), minutes=float(self.minutes.value()),
                               base=self.base(), content_weight=self.content_weight(),
                               keep_skin=self.keep_skin.isChecked(), strokes=self.strokes(), device=self.device())

    def _validate_name(self) -> None:
        problem = self.vm.name_problem(self.name())
        self.name_error.setText(problem)
        self.name_error.setVisible(bool(problem))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 (Qt name)
        return bool(self.name()) and not self.vm.name_problem(self.name())
