"""The Batch tab: folders, the shared look, Start / Pause / Cancel, progress, latest result, failures.

The look controls are the same as the Photo tab's (one `LookViewModel`); while a batch runs they
give way to a line saying what that batch paints, which later clicks in the gallery do not change.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.viewmodels.batch import BATCH_FORMATS, BatchViewModel
from desktop_app.widgets.folder_drop import FolderDrop
from desktop_app.widgets.hint_bar import BATCH, HintBar
from desktop_app.widgets.look_bar import LookBar
from desktop_app.widgets.rerun_dialog import RerunDialog

FORMAT_LABELS = {"same": "Same as input", "jpg": "JPEG", "png": "PNG", "webp": "WebP"}
THUMB_SIDE = 216  # the engine sends 256 px previews: shown slightly smaller, so crisp
RECENT_SIDE = 88
RECENT_MAX = 60


class BatchPanel(QWidget):
    start_requested = Signal()

    def __init__(self, vm: BatchViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm

        self.input_edit = QLineEdit()
        self.input_edit.setPlaceholderText("Folder with your photos (or drop one here)")
        self.input_edit.setToolTip("The folder whose photos will be painted. Originals are never changed.")
        self.input_browse = QPushButton("Browse…")
        self.recursive = QCheckBox("Include subfolders")
        self.recursive.setToolTip("Also paint photos in folders inside it (the folder layout is kept)")
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("Default: a “stylized” folder inside the input folder")
        self.output_edit.setToolTip("Where the paintings go. Photos already painted there with the same "
                                    "settings are skipped, so a stopped batch resumes; for ones painted with "
                                    "other settings, you are asked.")
        self.output_browse = QPushButton("Browse…")
        self.style_label = QLabel()  # one line: a wrapped label in a form row was clipped to its first line
        self.style_label.setToolTip("Pick the style in the gallery on the left; the batch paints what the "
                                    "Photo tab previews")
        self.look_bar = LookBar(vm.look)
        self.format = QComboBox()
        for key in BATCH_FORMATS:
            self.format.addItem(FORMAT_LABELS[key], key)
        self.format.setToolTip("File type of the paintings")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Input folder", _row(self.input_edit, self.input_browse))
        form.addRow("", self.recursive)
        form.addRow("Output folder", _row(self.output_edit, self.output_browse))
        form.addRow("Paints", self.style_label)
        form.addRow("", self.look_bar)
        form.addRow("Format", _row(self.format, None))
        options = QGroupBox("What to paint")
        options.setLayout(form)

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Paint every photo in the folder (Ctrl+Return)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause after the current step; Resume continues")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop (Esc). Finished paintings are kept; start again to resume.")
        self.open_button = QPushButton("Open output folder")
        self.open_button.setToolTip("Show the paintings in your file manager")
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.count_label = QLabel()
        self.eta_label = QLabel()
        self.eta_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.summary_label = QLabel("Pick a folder and press Start. Your originals are never changed.")
        self.summary_label.setWordWrap(True)
        info = QHBoxLayout()
        info.addWidget(self.count_label, 1)
        info.addWidget(self.eta_label)

        self.thumb = QLabel("The newest painting appears here")
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setFixedSize(THUMB_SIDE, THUMB_SIDE)
        self.thumb.setFrameShape(QLabel.Shape.StyledPanel)
        self.thumb.setWordWrap(True)
        self.thumb_caption = QLabel()
        self.thumb_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb_caption.setFixedWidth(THUMB_SIDE)
        latest_box = QGroupBox("Latest painting")
        latest = QVBoxLayout(latest_box)
        latest.addWidget(self.thumb)
        latest.addWidget(self.thumb_caption)
        latest.addStretch(1)

        self.output_label = QLabel()
        self.output_label.setWordWrap(True)
        self.output_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failures_title = QLabel()
        self.failures = QListWidget()
        self.failures.setToolTip("Photos that could not be painted, and why. The rest of the batch went on.")
        results_box = QGroupBox("Results")
        results = QVBoxLayout(results_box)
        results.addWidget(self.summary_label)
        results.addWidget(self.output_label)
        results.addWidget(self.failures_title)
        results.addWidget(self.failures, 1)
        self.recent = QListWidget()
        self.recent.setViewMode(QListWidget.ViewMode.IconMode)
        self.recent.setIconSize(QSize(RECENT_SIDE, RECENT_SIDE))
        self.recent.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.recent.setMovement(QListWidget.Movement.Static)
        self.recent.setSpacing(4)
        self.recent.setFrameShape(QListWidget.Shape.NoFrame)
        self.recent.setToolTip("The paintings finished in this batch, newest first")
        self.recent.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        results.addWidget(self.recent, 2)
        self.failures_title.hide()
        self.failures.hide()

        lower = QHBoxLayout()
        lower.addWidget(latest_box, 0, Qt.AlignmentFlag.AlignTop)
        lower.addWidget(results_box, 1)

        self.hint = HintBar(vm.app, BATCH)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(options)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addLayout(info)
        layout.addLayout(lower, 1)

        self.rerun_dialog: RerunDialog | None = None  # open while a batch asks about earlier paintings
        self._bind()
        self._update_state(vm.state)
        self.folder_drop = FolderDrop(self, self.input_edit, self._dropped)

    def _bind(self) -> None:
        vm = self.vm
        self.input_edit.textChanged.connect(lambda t: setattr(vm, "input_dir", t))
        self.output_edit.textChanged.connect(lambda t: setattr(vm, "output_dir", t))
        self.recursive.toggled.connect(lambda on: setattr(vm, "recursive", on))
        self.format.currentIndexChanged.connect(lambda _i: setattr(vm, "output_format", self.format.currentData()))
        self.input_browse.clicked.connect(self._browse_input)
        self.output_browse.clicked.connect(self._browse_output)
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(vm.toggle_pause)
        self.cancel_button.clicked.connect(vm.cancel)
        self.open_button.clicked.connect(self.open_output)
        vm.state_changed.connect(self._update_state)
        vm.fraction_changed.connect(lambda f: self.progress.setValue(round(f * 1000)))
        vm.fraction_changed.connect(lambda f: self.progress.setFormat(f"{f:.0%}" if vm.state != "idle" else ""))
        vm.count_text_changed.connect(self.count_label.setText)
        vm.eta_text_changed.connect(self.eta_label.setText)
        vm.summary_changed.connect(self.summary_label.setText)
        vm.thumbnail_changed.connect(self._show_thumb)
        vm.thumbnail_caption_changed.connect(self._show_caption)
        vm.result_dir_changed.connect(lambda d: self.output_label.setText(f"Paintings go to: {d}" if d else ""))
        vm.failures_changed.connect(self._show_failures)
        vm.question_changed.connect(self._ask)
        vm.look.changed.connect(lambda _look: self._show_style())
        vm.app.output_changed.connect(lambda _o: self._show_output_default())
        vm.painting_text_changed.connect(lambda _t: self._show_style())
        vm.input_dir_changed.connect(lambda _s: self._update_state(vm.state))
        # view-model -> view for what it remembered from last time
        vm.input_dir_changed.connect(lambda t: self.input_edit.setText(t) if self.input_edit.text() != t else None)
        vm.output_dir_changed.connect(lambda t: self.output_edit.setText(t) if self.output_edit.text() != t else None)
        vm.recursive_changed.connect(self.recursive.setChecked)
        vm.output_format_changed.connect(lambda f: self.format.setCurrentIndex(max(0, self.format.findData(f))))
        self.input_edit.setText(vm.input_dir)
        self.output_edit.setText(vm.output_dir)
        self.recursive.setChecked(vm.recursive)
        self.format.setCurrentIndex(max(0, self.format.findData(vm.output_format)))
        self._show_style()
        self._show_output_default()

    def _dropped(self, folder: Path) -> None:
        if not self.vm.running:
            self.input_edit.setText(str(folder))

    def _browse_input(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with photos", self.input_edit.text())
        if folder:
            self.input_edit.setText(folder)

    def _browse_output(self) -> None:
        start = self.output_edit.text() or self.input_edit.text()
        folder = QFileDialog.getExistingDirectory(self, "Folder for the paintings", start)
        if folder:
            self.output_edit.setText(folder)

    def open_output(self) -> None:
        folder = self.vm.result_dir or str(self.vm.effective_output() or "")
        if folder and Path(folder).is_dir():
            QDesktopServices.openUrl(QUrl.fromLocalFile(folder))

    def _show_output_default(self) -> None:
        folder = self.vm.app.output.folder
        self.output_edit.setPlaceholderText(f"Default: {folder} (Preferences)" if folder
                                            else "Default: a “stylized” folder inside the input folder")

    def _show_style(self) -> None:
        """While a batch runs: the look it paints. Otherwise: the look the next batch will paint."""
        if self.vm.running:
            self.style_label.setText(f"<b>This batch paints:</b> {self.vm.painting_text}")
            self.look_bar.hide()
            return
        self.look_bar.show()
        if not self.vm.look.style:
            self.style_label.setText("<i>No style: pick one in the gallery</i>")
            return
        look = self.vm.look.current().describe(self.vm.gallery.current_name)
        self.style_label.setText(f"{look} <span style='color: palette(dark)'>(as the Photo tab previews)</span>")

    def _show_thumb(self, image) -> None:
        if image is None:
            self.thumb.setPixmap(QPixmap())
            self.thumb.setText("The newest painting appears here")
            self.recent.clear()
            return
        pix = QPixmap.fromImage(image).scaled(THUMB_SIDE - 8, THUMB_SIDE - 8, Qt.AspectRatioMode.KeepAspectRatio,
                                              Qt.TransformationMode.SmoothTransformation)
        self.thumb.setPixmap(pix)
        self.recent.insertItem(0, "")
        item = self.recent.item(0)
        item.setIcon(QIcon(pix))
        item.setToolTip(self.vm.thumbnail_caption)
        while self.recent.count() > RECENT_MAX:
            self.recent.takeItem(self.recent.count() - 1)

    def _show_caption(self, text: str) -> None:
        metrics = self.thumb_caption.fontMetrics()
        self.thumb_caption.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, THUMB_SIDE - 4))
        self.thumb_caption.setToolTip(text)

    def _ask(self, question: str) -> None:
        """Earlier paintings were made with other settings: ask what to do (the dialog's answer goes
        back to the view-model, which paints the batch with it)."""
        if not question or self.rerun_dialog is not None:
            return
        dialog = RerunDialog(question, self)
        dialog.answered.connect(self._answered)
        self.rerun_dialog = dialog
        dialog.open()

    def _answered(self, answer: str | None) -> None:
        dialog, self.rerun_dialog = self.rerun_dialog, None
        if dialog is not None:
            dialog.deleteLater()
        self.vm.answer(answer)

    def _show_failures(self, failures: tuple[tuple[str, str], ...]) -> None:
        """The list appears only when something failed: an empty box reads like a broken one."""
        self.failures.clear()
        for name, reason in failures:
            self.failures.addItem(f"{name}: {reason}")
        self.failures_title.setText(f"<b>Could not be painted ({len(failures)})</b>")
        self.failures_title.setVisible(bool(failures))
        self.failures.setVisible(bool(failures))

    def _update_state(self, state: str) -> None:
        running = state in ("running", "paused")
        self.start_button.setEnabled(not running and bool(self.vm.input_dir.strip()))
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.cancel_button.setEnabled(running)
        self.open_button.setEnabled(state in ("done", "cancelled") and bool(self.vm.result_dir))
        for w in (self.input_edit, self.input_browse, self.output_edit, self.output_browse, self.recursive,
                  self.format):
            w.setEnabled(not running)
        self._show_style()
        if state == "idle":
            self.progress.setFormat("")


def _row(main: QWidget, extra: QWidget | None) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(main, 1)
    if extra is not None:
        row.addWidget(extra)
    else:
        row.addStretch(1)
    return box
