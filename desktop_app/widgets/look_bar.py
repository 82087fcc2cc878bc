"""Strength, brushwork and "preserve colours": the shared look's controls, one widget on every tab.

Each tab shows its own instance; all of them bind to the one `LookViewModel`, so moving a slider on
Photo moves it on Batch and Live too, and what the Photo preview shows is what a batch paints.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QWidget

from desktop_app.viewmodels.look import LookViewModel

STRENGTH_TIP = "How much of the painting to blend over the photo (0 % = photo, 100 % = painting)"
BRUSHWORK_TIP = ("Extra painted-on brushstrokes over the style's learned ones "
                 "(0 % = the style as trained, 100 % = the strongest extra strokes)")
PRESERVE_TIP = "Keep the photo's own colours and take only light and texture from the style"


class LookBar(QWidget):
    def __init__(self, look: LookViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.look = look
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setMinimumWidth(120)
        self.strength.setToolTip(STRENGTH_TIP)
        self.strength_label = QLabel()
        self.strength_label.setMinimumWidth(self.strength_label.fontMetrics().horizontalAdvance("100 %") + 4)
        self.brushwork = QSlider(Qt.Orientation.Horizontal)
        self.brushwork.setRange(0, 100)
        self.brushwork.setMinimumWidth(90)
        self.brushwork.setTracking(False)  # repaints the preview: once, when the slider is let go
        self.brushwork.setToolTip(BRUSHWORK_TIP)
        self.brushwork_label = QLabel()  # follows the drag, though the preview waits for the release
        self.brushwork_label.setMinimumWidth(self.strength_label.minimumWidth())
        self.preserve = QCheckBox("Preserve colours")
        self.preserve.setToolTip(PRESERVE_TIP)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Strength"))
        row.addWidget(self.strength, 1)
        row.addWidget(self.strength_label)
        row.addSpacing(8)
        row.addWidget(QLabel("Brushwork"))
        row.addWidget(self.brushwork, 1)
        row.addWidget(self.brushwork_label)
        row.addSpacing(8)
        row.addWidget(self.preserve)

        # view -> view-model
        self.strength.valueChanged.connect(lambda v: setattr(look, "strength", v / 100))
        self.brushwork.valueChanged.connect(lambda v: setattr(look, "brushwork", v / 100))
        self.brushwork.sliderMoved.connect(self._show_brushwork)
        self.preserve.toggled.connect(lambda on: setattr(look, "preserve_colors", on))
        # view-model -> view
        look.strength_changed.connect(self._show_strength)
        look.brushwork_changed.connect(self._show_brushwork_value)
        look.preserve_colors_changed.connect(self.preserve.setChecked)
        self._show_strength(look.strength)
        self._show_brushwork_value(look.brushwork)
        self.preserve.setChecked(look.preserve_colors)

    def _show_strength(self, value: float) -> None:
        percent = round(value * 100)
        self.strength_label.setText(f"{percent} %")
        if self.strength.value() != percent:
            self.strength.setValue(percent)

    def _show_brushwork_value(self, value: float) -> None:
        percent = round(value * 100)
        self._show_brushwork(percent)
        if self.brushwork.value() != percent:
            self.brushwork.setValue(percent)

    def _show_brushwork(self, percent: int) -> None:
        self.brushwork_label.setText(f"{percent} %")
