"""The Photo tab: the canvas, the shared look's controls, zoom and Save as…"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

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
        self.save_progress = QProgressBar()
        self.save_progress.setRange(0, 1000)
        self.save_progress.setMaximumWidth(180)
        self.save_progress.setFormat("Saving… %p%")
        self.save_progress.hide()
        self.saved_label = QLabel()
        self.show_saved = QPushButton("Show in folder")
        self.show_saved.setToolTip("Open the folder the painting was saved in")
        self.saved_label.hide()
        self.show_saved.hide()

        bar = QHBoxLayout()
        bar.addWidget(self.open_button)
        bar.addSpacing(12)
        bar.addWidget(self.look_bar, 1)
        bar.addSpacing(12)
        bar.addWidget(self.save_button)
        info = QHBoxLayout()  # second row: what is open, what was saved, and how it is shown
        info.addWidget(self.status, 1)
        info.addWidget(self.save_progress)
        info.addWidget(self.saved_label)
        info.addWidget(self.show_saved)
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
        self.show_saved.clicked.connect(self._open_saved_folder)
        self.fit_button.clicked.connect(self.canvas.fit)
        self.actual_button.clicked.connect(self.canvas.actual_size)
        # view-model -> view
        vm.before_changed.connect(lambda img: self.canvas.set_before(img, vm.full_size[0]))
        vm.after_changed.connect(self.canvas.set_after)
        vm.save_fraction_changed.connect(lambda f: self.save_progress.setValue(round(f * 1000)))
        vm.saving_changed.connect(self.save_progress.setVisible)
        vm.last_saved_changed.connect(self._show_saved)
        vm.real.before_changed.connect(self.canvas.set_real_before)
        vm.real.after_changed.connect(self.canvas.set_real_after)
        vm.real.busy_changed.connect(lambda _b: self._show_activity())
        vm.state_text_changed.connect(lambda _t: self._show_activity())
        self.canvas.wants_real_pixels.connect(vm.want_full_resolution)
        for signal in (vm.busy_changed, vm.saving_changed, vm.title_changed, vm.before_changed,
                       vm.look.style_changed):
            signal.connect(lambda _v: self._update_state())
        self.canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z:.0%}"))
        self._update_state()

    def _show_saved(self, path: Path | None) -> None:
        self.saved_label.setText(f"Saved {path.name}" if path is not None else "")
        self.saved_label.setToolTip(str(path) if path is not None else "")
        self.saved_label.setVisible(path is not None)
        self.show_saved.setVisible(path is not None)

    def _open_saved_folder(self) -> None:
        if self.vm.last_saved is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.vm.last_saved.parent)))

    def _show_activity(self) -> None:
        text = self.vm.state_text
        if not text and self.vm.real.busy and self.canvas.enlarged:
            text = "Painting the full-resolution pixels…"
        self.canvas.set_busy_text(text)

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
