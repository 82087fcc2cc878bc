"""The Photo tab: the canvas plus strength, brushwork, colour keeping, zoom and Save as… controls."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop_app.viewmodels.photo import PhotoViewModel
from desktop_app.widgets.photo_canvas import PhotoCanvas

BRUSHWORK_TIP = ("Extra painted-on brushstrokes over the style's learned ones "
                 "(0 % = the style as trained, 100 % = the strongest extra strokes)")


class PhotoPanel(QWidget):
    open_requested = Signal()
    save_requested = Signal()

    def __init__(self, vm: PhotoViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setAcceptDrops(True)
        self.canvas = PhotoCanvas()

        self.open_button = QPushButton("Open photo…")
        self.open_button.setToolTip("Open a photo (Ctrl+O). You can also drop a file here or paste with Ctrl+V.")
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setValue(round(vm.strength * 100))
        self.strength.setMinimumWidth(140)
        self.strength.setToolTip("How much of the painting to blend over the photo (0 % = photo, 100 % = painting)")
        self.strength_label = QLabel()
        self.strength_label.setMinimumWidth(self.strength_label.fontMetrics().horizontalAdvance("100 %") + 4)
        self.brushwork = QSlider(Qt.Orientation.Horizontal)
        self.brushwork.setRange(0, 100)
        self.brushwork.setValue(round(vm.brushwork * 100))
        self.brushwork.setMinimumWidth(100)
        self.brushwork.setTracking(False)  # repaints the preview: once, when the slider is let go
        self.brushwork.setToolTip(BRUSHWORK_TIP)
        self.brushwork_label = QLabel()  # follows the drag, though the preview waits for the release
        self.brushwork_label.setMinimumWidth(self.strength_label.minimumWidth())
        self.preserve = QCheckBox("Preserve colours")
        self.preserve.setToolTip("Keep the photo's own colours and take only light and texture from the style")
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Show the whole photo (double-click the photo to toggle)")
        self.actual_button = QPushButton("100 %")
        self.actual_button.setToolTip("Show the photo's real pixels")
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("1600%") + 6)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.save_button = QPushButton("Save as…")
        self.save_button.setToolTip("Paint the photo at full resolution and save it under a new name (Ctrl+S)")
        self.save_button.setDefault(True)
        self.status = QLabel()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        bar = QHBoxLayout()
        bar.addWidget(self.open_button)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Strength"))
        bar.addWidget(self.strength, 1)
        bar.addWidget(self.strength_label)
        bar.addSpacing(8)
        bar.addWidget(QLabel("Brushwork"))
        bar.addWidget(self.brushwork, 1)
        bar.addWidget(self.brushwork_label)
        bar.addSpacing(8)
        bar.addWidget(self.preserve)
        bar.addSpacing(12)
        bar.addWidget(self.save_button)
        info = QHBoxLayout()  # second row: what is open, and how it is shown
        info.addWidget(self.status, 1)
        info.addWidget(self.fit_button)
        info.addWidget(self.actual_button)
        info.addWidget(self.zoom_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bar)
        layout.addLayout(info)

        # view -> view-model
        self.strength.valueChanged.connect(lambda v: setattr(vm, "strength", v / 100))
        self.preserve.toggled.connect(lambda on: setattr(vm, "preserve_colors", on))
        self.brushwork.valueChanged.connect(lambda v: setattr(vm, "brushwork", v / 100))
        for signal in (self.brushwork.valueChanged, self.brushwork.sliderMoved):
            signal.connect(self._show_brushwork)
        self.open_button.clicked.connect(self.open_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.fit_button.clicked.connect(self.canvas.fit)
        self.actual_button.clicked.connect(self.canvas.actual_size)
        # view-model -> view
        vm.strength_changed.connect(self._show_strength)
        vm.preserve_colors_changed.connect(self.preserve.setChecked)
        vm.brushwork_changed.connect(lambda v: self.brushwork.setValue(round(v * 100)))
        vm.before_changed.connect(lambda img: self.canvas.set_before(img, vm.full_size[0]))
        vm.after_changed.connect(self.canvas.set_after)
        vm.state_text_changed.connect(self.canvas.set_busy_text)
        for signal in (vm.busy_changed, vm.saving_changed, vm.title_changed, vm.before_changed,
                       vm.gallery.current_changed):
            signal.connect(lambda _v: self._update_state())
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z:.0%}"))
        self._show_strength(vm.strength)
        self._show_brushwork(self.brushwork.value())
        self.preserve.setChecked(vm.preserve_colors)
        self._update_state()

    def _show_strength(self, value: float) -> None:
        self.strength_label.setText(f"{round(value * 100)} %")
        if self.strength.value() != round(value * 100):
            self.strength.setValue(round(value * 100))

    def _show_brushwork(self, percent: int) -> None:
        self.brushwork_label.setText(f"{percent} %")

    def _update_state(self) -> None:
        has = self.vm.has_photo
        for w in (self.fit_button, self.actual_button, self.zoom_label):
            w.setEnabled(has)
        self.save_button.setEnabled(has and not self.vm.saving and bool(self.vm.gallery.current))
        self.save_button.setText("Saving…" if self.vm.saving else "Save as…")
        if has:
            w, h = self.vm.full_size
            self.status.setText(f"{self.vm.title} · {w} × {h} px")
        else:
            self.status.setText("No photo open")

    # ---------------------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        if files:
            self.vm.open_file(files[0])
        elif mime.hasImage():
            self.vm.set_image(QImage(mime.imageData()), "Dropped image")
        event.acceptProposedAction()
