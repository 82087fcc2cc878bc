"""The Photo tab: the canvas, the shared look's controls, zoom and Save as…"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.viewmodels.photo import PhotoViewModel
from desktop_app.widgets.look_bar import LookBar
from desktop_app.widgets.photo_canvas import PhotoCanvas


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
        self.look_bar = LookBar(vm.look)
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
        bar.addWidget(self.look_bar, 1)
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
        self.open_button.clicked.connect(self.open_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.fit_button.clicked.connect(self.canvas.fit)
        self.actual_button.clicked.connect(self.canvas.actual_size)
        # view-model -> view
        vm.before_changed.connect(lambda img: self.canvas.set_before(img, vm.full_size[0]))
        vm.after_changed.connect(self.canvas.set_after)
        vm.state_text_changed.connect(self.canvas.set_busy_text)
        for signal in (vm.busy_changed, vm.saving_changed, vm.title_changed, vm.before_changed,
                       vm.look.style_changed):
            signal.connect(lambda _v: self._update_state())
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z:.0%}"))
        self._update_state()

    def _update_state(self) -> None:
        has = self.vm.has_photo
        for w in (self.fit_button, self.actual_button, self.zoom_label):
            w.setEnabled(has)
        self.save_button.setEnabled(has and not self.vm.saving and bool(self.vm.look.style))
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
