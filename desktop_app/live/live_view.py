"""The live tab: a camera (or a video file) seen through a style, as fast as the device allows.

Contract with the main window: `LiveView(bridge, parent)`, `set_style(slug)`, `set_device(spec)`,
`stop()`. Everything that talks to the engine lives in the view-model (`LiveSession`), the snapshot
and export helpers; this module only lays out controls and forwards the user's choices.

Keyboard (while the view has focus): Space start/stop, Left/Right or 1-9 switch style, M mirror,
S snapshot.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop_app.live.display import FrameDisplay
from desktop_app.live.session import LiveSession, LiveStats
from desktop_app.live.snapshot import Snapshotter
from desktop_app.live.sources import CameraSource, FrameSource, VideoFileSource, list_cameras
from desktop_app.live.video_export import ExportProgress, VideoExporter
from engine.messages import FrameResult

VIDEO_FILTER = "Videos (*.mp4 *.mov *.m4v *.avi *.mkv *.webm);;All files (*)"
OPEN_FILE = "__open_file__"
NO_CAMERA_TEXT = ("No camera was found. Plug one in (it appears here by itself), "
                  "or open a video file to try styles on moving pictures.")


class LiveView(QWidget):
    status_message = Signal(str)  # short sentences for the main window's status bar

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.session = LiveSession(bridge, self)
        self.snapshots = Snapshotter(bridge, self)
        self.exporter = VideoExporter(bridge, self)
        self._video_path: Path | None = None
        self._build()
        self._connect()
        self.refresh_sources()
        self.refresh_styles()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.source_box = QComboBox()
        self.source_box.setMinimumContentsLength(18)
        self.source_box.setToolTip("Camera, or a video file used as a camera")
        self.start_button = QPushButton("Start")
        self.start_button.setCheckable(True)
        self.style_box = QComboBox()
        self.style_box.setMinimumContentsLength(14)
        self.mirror_box = QCheckBox("Mirror")
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(0, 100)
        self.strength_slider.setValue(100)
        self.strength_slider.setFixedWidth(120)
        self.strength_label = QLabel("100 %")
        self.brush_box = QCheckBox("Brushwork")
        self.brush_box.setToolTip("Paint the style's brushstrokes live too (snapshots and video exports always "
                                  "have them); on a CPU this lowers the frame rate or the resolution")
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.setToolTip("Save the current frame, stylized at full camera resolution, as a PNG")
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("Where snapshots are saved")
        self.export_button = QPushButton("Stylize a video file…")

        top = QHBoxLayout()
        top.addWidget(QLabel("Source"))
        top.addWidget(self.source_box, 1)
        top.addWidget(self.start_button)
        top.addSpacing(12)
        top.addWidget(QLabel("Style"))
        top.addWidget(self.style_box, 1)
        top.addWidget(self.mirror_box)
        top.addWidget(QLabel("Strength"))
        top.addWidget(self.strength_slider)
        top.addWidget(self.strength_label)
        top.addWidget(self.brush_box)

        self.display = FrameDisplay()
        self.display.show_empty("Live view", "Choose a camera or a video file, then press Start.")

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

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.display, 1)
        layout.addLayout(bottom)
        self._update_buttons()

    def _connect(self) -> None:
        self.source_box.activated.connect(self._on_source_chosen)
        self.start_button.toggled.connect(self._on_start_toggled)
        self.style_box.currentIndexChanged.connect(self._on_style_index)
        self.mirror_box.toggled.connect(self._on_mirror)
        self.strength_slider.valueChanged.connect(self._on_strength)
        self.brush_box.toggled.connect(lambda on: setattr(self.session, "brushwork", 1.0 if on else 0.0))
        self.snapshot_button.clicked.connect(self.take_snapshot)
        self.folder_button.clicked.connect(self._choose_folder)
        self.export_button.clicked.connect(self._choose_export)
        self.export_cancel.clicked.connect(self.exporter.cancel)

        s = self.session
        s.result.connect(self._on_result)
        s.stats_changed.connect(self._on_stats)
        s.failed.connect(self._on_engine_failed)
        s.source_error.connect(self._on_source_error)
        s.running_changed.connect(self._on_running_changed)
        self.message.linkActivated.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))
        self.snapshots.saved.connect(self._on_snapshot_saved)
        self.snapshots.failed.connect(self._say)
        self.exporter.progress.connect(self._on_export_progress)
        self.exporter.finished.connect(self._on_export_finished)
        self.exporter.failed.connect(self._on_export_failed)
        self.exporter.cancelled.connect(lambda: self._end_export("Export cancelled; nothing was written."))

        from PySide6.QtMultimedia import QMediaDevices

        self._media_devices = QMediaDevices(self)
        self._media_devices.videoInputsChanged.connect(self.refresh_sources)

        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, slot in (("Space", self.toggle), ("Right", lambda: self.step_style(1)),
                          ("Left", lambda: self.step_style(-1)), ("M", self.mirror_box.toggle),
                          ("S", self.take_snapshot)):
            QShortcut(QKeySequence(key), self, slot, context=ctx)
        for n in range(1, 10):
            QShortcut(QKeySequence(str(n)), self, lambda n=n: self._select_style_index(n - 1), context=ctx)

    # ------------------------------------------------------------------ public contract
    def set_style(self, slug: str) -> None:
        """Select a style by slug (adds it to the list if the catalog changed since)."""
        index = self.style_box.findData(slug)
        if index < 0:
            self.refresh_styles()
            index = self.style_box.findData(slug)
        if index < 0:
            self.style_box.addItem(slug, slug)
            index = self.style_box.count() - 1
        self.style_box.setCurrentIndex(index)
        self.session.set_style(slug)

    def set_device(self, spec: str) -> None:
        self.session.set_device(spec)

    def stop(self) -> None:
        """Stop the live feed and release the camera (the main window calls it when leaving the tab)."""
        self.session.stop()
        if self.exporter.running:
            self.exporter.cancel()

    # ------------------------------------------------------------------ sources and styles
    def refresh_sources(self) -> None:
        current = self.source_box.currentData()
        self.source_box.blockSignals(True)
        self.source_box.clear()
        cameras = list_cameras()
        for cam in cameras:
            self.source_box.addItem(cam.description() or "Camera", cam)
        if self._video_path is not None:
            self.source_box.addItem(f"Video: {self._video_path.name}", self._video_path)
        if not cameras and self._video_path is None:
            self.source_box.addItem("No camera found", None)
        self.source_box.insertSeparator(self.source_box.count())
        self.source_box.addItem("Open a video file…", OPEN_FILE)
        self.source_box.blockSignals(False)
        restore = next((i for i in range(self.source_box.count()) if self.source_box.itemData(i) == current
                        and current is not None), -1)
        self.source_box.setCurrentIndex(restore if restore >= 0 else 0)
        if not cameras and self._video_path is None and not self.session.running:
            self.display.show_empty("No camera", NO_CAMERA_TEXT)
        self._update_buttons()

    def refresh_styles(self) -> None:
        current = self.style_box.currentData()
        self.style_box.blockSignals(True)
        self.style_box.clear()
        try:
            entries = self.bridge.catalog.list()
        except Exception:  # a broken styles folder must not break the live tab
            entries = []
        for e in entries:
            self.style_box.addItem(e.name, e.slug)
        self.style_box.blockSignals(False)
        index = self.style_box.findData(current) if current else 0
        self.style_box.setCurrentIndex(max(index, 0) if self.style_box.count() else -1)
        if self.style_box.count():
            self.session.set_style(self.style_box.currentData())
        self._update_buttons()

    def open_video(self, path: Path, start: bool = True) -> None:
        """Use a video file as the source (loops), e.g. to demo styles without a camera."""
        self._video_path = Path(path)
        self.refresh_sources()
        self.source_box.setCurrentIndex(self.source_box.findData(self._video_path))
        self._use_source(VideoFileSource(self._video_path))
        if start:
            self.start()

    def use_source(self, source: FrameSource, start: bool = True) -> None:
        """Any FrameSource (tests feed scripted ones)."""
        self._use_source(source)
        if start:
            self.start()

    def _use_source(self, source: FrameSource | None) -> None:
        self.session.set_source(source)
        self._update_buttons()

    @Slot(int)
    def _on_source_chosen(self, index: int) -> None:
        data = self.source_box.itemData(index)
        if data == OPEN_FILE:
            path, _ = QFileDialog.getOpenFileName(self, "Open a video file", str(Path.home()), VIDEO_FILTER)
            if path:
                self.open_video(Path(path), start=False)
            else:
                self.refresh_sources()
            return
        self._source_from_selection()

    def _source_from_selection(self) -> FrameSource | None:
        data = self.source_box.currentData()
        if isinstance(data, Path):
            source: FrameSource | None = VideoFileSource(data)
        elif data is not None and data != OPEN_FILE:
            source = CameraSource(data)
        else:
            source = None
        self._use_source(source)
        return source

    # ------------------------------------------------------------------ start / stop
    def start(self) -> None:
        if self.session.source is None and self._source_from_selection() is None:
            self.display.show_empty("No camera", NO_CAMERA_TEXT)
            self._update_buttons()
            return
        if not self.session.style:
            self._say("No style is installed yet: import or train one first.")
            return
        if self.exporter.running:
            self._say("A video export is running; the live view starts when it is done.")
            return
        self.display.show_empty("Starting…", f"Opening {self.session.source.description()}")
        self.message.setText("")
        self.session.start()

    def toggle(self) -> None:
        if self.session.running:
            self.session.stop()
        else:
            self.start()

    @Slot(bool)
    def _on_start_toggled(self, checked: bool) -> None:
        if checked != self.session.running:
            if checked:
                self.start()
            else:
                self.session.stop()
        self._update_buttons()

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        if not running and self.display.current_image() is not None:
            self.display.set_stats(None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.session.running
        self.start_button.blockSignals(True)
        self.start_button.setChecked(running)
        self.start_button.setText("Stop" if running else "Start")
        self.start_button.blockSignals(False)
        has_source = self.session.source is not None or self.source_box.currentData() not in (None, OPEN_FILE)
        self.start_button.setEnabled(has_source and self.style_box.count() > 0 and not self.exporter.running)
        self.snapshot_button.setEnabled(running and self.session.latest is not None and not self.snapshots.busy)
        self.export_button.setEnabled(self.style_box.count() > 0 and not self.exporter.running)

    # ------------------------------------------------------------------ style controls
    @Slot(int)
    def _on_style_index(self, index: int) -> None:
        slug = self.style_box.itemData(index)
        if slug:
            self.session.set_style(slug)

    def step_style(self, delta: int) -> None:
        n = self.style_box.count()
        if n:
            self.style_box.setCurrentIndex((self.style_box.currentIndex() + delta) % n)

    def _select_style_index(self, index: int) -> None:
        if 0 <= index < self.style_box.count():
            self.style_box.setCurrentIndex(index)

    @Slot(bool)
    def _on_mirror(self, on: bool) -> None:
        self.session.mirror = on

    @Slot(int)
    def _on_strength(self, value: int) -> None:
        self.session.strength = value / 100.0
        self.strength_label.setText(f"{value} %")

    # ------------------------------------------------------------------ results
    @Slot(object)
    def _on_result(self, result: FrameResult) -> None:
        name = self.style_box.itemText(max(self.style_box.findData(result.style), 0))
        self.display.set_frame(result.pixels, result.width, result.height, name)
        if not self.snapshot_button.isEnabled():
            self._update_buttons()

    @Slot(object)
    def _on_stats(self, stats: LiveStats) -> None:
        self.display.set_stats(stats)

    @Slot(str)
    def _on_engine_failed(self, message: str) -> None:
        self.display.show_empty("The live view stopped", message)

    @Slot(str)
    def _on_source_error(self, message: str) -> None:
        self.refresh_sources()  # an unplugged camera leaves the list (this may show "No camera"...)
        self.display.show_empty("The live view stopped", message)  # ...but the reason matters more

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.status_message.emit(text)

    # ------------------------------------------------------------------ snapshots
    def take_snapshot(self) -> None:
        frame = self.session.latest
        if frame is None or not self.session.running:
            self._say("Start the live view to take a snapshot.")
            return
        self.snapshots.take(frame, self.session.style, self.session.strength, self.session.mirror,
                            self.session.device)
        self._say(f"Saving a {frame.width}x{frame.height} snapshot…")
        self._update_buttons()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save snapshots in", str(self.snapshots.folder))
        if folder:
            self.snapshots.folder = Path(folder)
            self._say(f"Snapshots go to {folder}")

    @Slot(object)
    def _on_snapshot_saved(self, path: Path) -> None:
        link = QUrl.fromLocalFile(str(path.parent)).toString()
        self.message.setText(f"Saved <a href=\"{link}\">{path.name}</a>")
        self.status_message.emit(f"Saved {path}")
        self._update_buttons()

    # ------------------------------------------------------------------ video export
    def _choose_export(self) -> None:
        src, _ = QFileDialog.getOpenFileName(self, "Stylize a video file", str(Path.home()), VIDEO_FILTER)
        if not src:
            return
        style = self.session.style
        suggested = Path(src).with_name(f"{Path(src).stem}-{style}.mp4")
        dest, _ = QFileDialog.getSaveFileName(self, "Save the stylized video as", str(suggested), "MP4 video (*.mp4)")
        if dest:
            self.export_video(Path(src), Path(dest))

    def export_video(self, source: Path, dest: Path, short_side: int = 0) -> None:
        """Stylize `source` into `dest` (the live feed pauses: both would share the engine's live slot)."""
        if self.session.running:
            self.session.stop()
        self.export_bar.setValue(0)
        self.export_bar.setMaximum(0)
        self.export_bar.show()
        self.export_cancel.show()
        self._say(f"Stylizing {source.name}…")
        self.exporter.start(source, dest, self.session.style, self.session.strength, self.session.device,
                            short_side)
        self._update_buttons()

    @Slot(object)
    def _on_export_progress(self, p: ExportProgress) -> None:
        if p.total:
            self.export_bar.setMaximum(p.total)
            self.export_bar.setValue(min(p.done, p.total))
        eta = f", about {p.eta_s:.0f} s left" if p.eta_s is not None else ""
        self.message.setText(f"Stylizing video: frame {p.done}" + (f" of ~{p.total}" if p.total else "") + eta)

    @Slot(object)
    def _on_export_finished(self, path: Path) -> None:
        self._end_export(f"Saved {path}")

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        self._end_export(message)

    def _end_export(self, text: str) -> None:
        self.export_bar.hide()
        self.export_cancel.hide()
        self._say(text)
        self._update_buttons()

    # ------------------------------------------------------------------ lifecycle
    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Styles trained or imported since the tab was last shown appear in the list."""
        super().showEvent(event)
        if not self.session.running:
            self.refresh_styles()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.stop()
        super().closeEvent(event)
