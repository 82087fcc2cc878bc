"""The live tab: a camera (or a video file) seen through the shared look, as fast as the device allows.

A view of `LiveViewModel`: it lays out the controls and forwards the user's choices. The style is the
gallery's (on the left), strength, brushwork and colours are the same controls as on Photo and Batch.

Keyboard (while the view has focus): Space start/stop, Left/Right or 1-9 switch style, M mirror,
S snapshot.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.live.display import FrameDisplay
from desktop_app.viewmodels.live import LiveViewModel, ShownFrame, SourceChoice
from desktop_app.viewmodels.video_export import ExportProgress
from desktop_app.widgets.hint_bar import LIVE, HintBar
from desktop_app.widgets.look_bar import LookBar

VIDEO_FILTER = "Videos (*.mp4 *.mov *.m4v *.avi *.mkv *.webm);;All files (*)"
OPEN_FILE = "__open_file__"


class LiveView(QWidget):
    def __init__(self, vm: LiveViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self._build()
        self._connect()
        vm.refresh_sources()
        self._show_sources(vm.sources)
        self._show_placeholder(vm.placeholder)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.source_box = QComboBox()
        self.source_box.setMinimumContentsLength(18)
        self.source_box.setToolTip("Camera, or a video file used as a camera")
        self.start_button = QPushButton("Start")
        self.start_button.setCheckable(True)
        self.start_button.setToolTip("Start or stop the live picture (Space)")
        self.style_label = QLabel()
        self.style_label.setToolTip("Choose the style in the gallery on the left (or with ← and →)")
        self.mirror_box = QCheckBox("Mirror")
        self.mirror_box.setToolTip("Show the picture like a mirror (M)")
        self.look_bar = LookBar(self.vm.look)
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setToolTip("Save the current frame, painted at full camera resolution, as a PNG (S)")
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("Where snapshots are saved")
        self.export_button = QPushButton("Stylize a video file…")
        self.export_button.setToolTip("Paint every frame of a video file in the chosen look and save it as MP4")

        top = QHBoxLayout()
        top.addWidget(QLabel("Source"))
        top.addWidget(self.source_box, 1)
        top.addWidget(self.start_button)
        top.addSpacing(12)
        top.addWidget(self.style_label)
        top.addSpacing(12)
        top.addWidget(self.mirror_box)
        look_row = QHBoxLayout()
        look_row.addWidget(self.look_bar, 1)

        self.display = FrameDisplay()

        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.export_bar = QProgressBar()
        self.export_bar.setFixedWidth(200)
        self.export_bar.hide()
        self.export_cancel = QPushButton("Cancel export")
        self.export_cancel.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.snapshot_button)
        bottom.addWidget(self.folder_button)
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.export_bar)
        bottom.addWidget(self.export_cancel)
        bottom.addWidget(self.export_button)

        self.hint = HintBar(self.vm.app, LIVE)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(top)
        layout.addLayout(look_row)
        layout.addWidget(self.display, 1)
        layout.addLayout(bottom)
        self._update_buttons()

    def _connect(self) -> None:
        vm = self.vm
        self.source_box.activated.connect(self._on_source_chosen)
        self.start_button.toggled.connect(self._on_start_toggled)
        self.mirror_box.toggled.connect(lambda on: setattr(vm, "mirror", on))
        self.snapshot_button.clicked.connect(self.take_snapshot)
        self.folder_button.clicked.connect(self._choose_folder)
        self.export_button.clicked.connect(self._choose_export)
        self.export_cancel.clicked.connect(vm.cancel_export)

        vm.mirror_changed.connect(self.mirror_box.setChecked)
        vm.sources_changed.connect(self._show_sources)
        vm.source_key_changed.connect(lambda _k: self._show_sources(vm.sources))
        vm.frame_changed.connect(self._show_frame)
        vm.placeholder_changed.connect(self._show_placeholder)
        vm.stats_changed.connect(self.display.set_stats)
        vm.show_stats_changed.connect(self.display.set_overlay)
        vm.running_changed.connect(lambda _r: self._update_buttons())
        vm.message_changed.connect(self.message.setText)
        vm.exporting_changed.connect(self._show_exporting)
        vm.export_progress_changed.connect(self._show_export_progress)
        vm.look.style_changed.connect(lambda _s: self._update_buttons())
        vm.look.style_changed.connect(lambda _s: self._show_style())
        self._show_style()
        self.mirror_box.setChecked(vm.mirror)
        self.display.set_overlay(vm.show_stats)

        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, slot in (("Space", vm.toggle), ("Right", lambda: vm.step_style(1)),
                          ("Left", lambda: vm.step_style(-1)), ("M", self.mirror_box.toggle),
                          ("S", self.take_snapshot)):
            QShortcut(QKeySequence(key), self, slot, context=ctx)
        for n in range(1, 10):
            QShortcut(QKeySequence(str(n)), self, lambda n=n: vm.select_style_index(n - 1), context=ctx)

    def _show_style(self) -> None:
        name = self.vm.gallery.current_name
        self.style_label.setText(f"Style: <b>{name}</b>" if name else "No style yet: import or train one")

    # ------------------------------------------------------------------ sources
    def _show_sources(self, sources: tuple[SourceChoice, ...]) -> None:
        self.source_box.blockSignals(True)
        self.source_box.clear()
        for choice in sources:
            self.source_box.addItem(choice.label, choice.key)
        self.source_box.insertSeparator(self.source_box.count())
        self.source_box.addItem("Open a video file…", OPEN_FILE)
        keys = [c.key for c in sources]
        self.source_box.setCurrentIndex(keys.index(self.vm.source_key) if self.vm.source_key in keys else 0)
        self.source_box.blockSignals(False)
        self._update_buttons()

    @Slot(int)
    def _on_source_chosen(self, index: int) -> None:
        data = self.source_box.itemData(index)
        if data == OPEN_FILE:
            path, _ = QFileDialog.getOpenFileName(self, "Open a video file", str(Path.home()), VIDEO_FILTER)
            if path:
                self.vm.open_video(Path(path), start=False)
            else:
                self._show_sources(self.vm.sources)
            return
        if data is not None:
            self.vm.choose_source(data)
        self._update_buttons()

    def open_video(self, path: Path, start: bool = True) -> None:
        self.vm.open_video(path, start)

    # ------------------------------------------------------------------ start / stop
    @Slot(bool)
    def _on_start_toggled(self, checked: bool) -> None:
        if checked != self.vm.running:
            self.vm.toggle()
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.vm.running
        self.start_button.blockSignals(True)
        self.start_button.setChecked(running)
        self.start_button.setText("Stop" if running else "Start")
        self.start_button.blockSignals(False)
        self.start_button.setEnabled(running or self.vm.can_start)
        self.snapshot_button.setEnabled(running and self.vm.latest is not None and not self.vm.snapshots.busy)
        self.export_button.setEnabled(bool(self.vm.look.style) and not self.vm.exporting)

    # ------------------------------------------------------------------ picture
    def _show_frame(self, shown: ShownFrame | None) -> None:
        if shown is None:
            self._show_placeholder(self.vm.placeholder)
            return
        self.display.set_image(shown.image, shown.style_name)
        if not self.snapshot_button.isEnabled():
            self._update_buttons()

    def _show_placeholder(self, text: tuple[str, str]) -> None:
        if self.vm.frame is None:
            self.display.show_empty(*text)

    # ------------------------------------------------------------------ snapshots
    def take_snapshot(self) -> None:
        self.vm.take_snapshot()
        self._update_buttons()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save snapshots in", str(self.vm.snapshot_folder))
        if folder:
            self.vm.snapshot_folder = Path(folder)

    # ------------------------------------------------------------------ video export
    def _choose_export(self) -> None:
        src, _ = QFileDialog.getOpenFileName(self, "Stylize a video file", str(Path.home()), VIDEO_FILTER)
        if not src:
            return
        suggested = Path(src).with_name(f"{Path(src).stem}-{self.vm.look.style}.mp4")
        dest, _ = QFileDialog.getSaveFileName(self, "Save the stylized video as", str(suggested), "MP4 video (*.mp4)")
        if dest:
            self.vm.export_video(Path(src), Path(dest))

    def _show_exporting(self, exporting: bool) -> None:
        self.export_bar.setVisible(exporting)
        self.export_cancel.setVisible(exporting)
        if exporting:
            self.export_bar.setMaximum(0)
            self.export_bar.setValue(0)
        self._update_buttons()

    def _show_export_progress(self, p: ExportProgress | None) -> None:
        if p is not None and p.total:
            self.export_bar.setMaximum(p.total)
            self.export_bar.setValue(min(p.done, p.total))

    # ------------------------------------------------------------------ lifecycle
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if not self.vm.running:
            self.vm.refresh_sources()  # a camera plugged in while the tab was hidden
