"""The style gallery: thumbnails in icon mode, a right-click menu, and a helpful empty state."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.viewmodels.gallery import STROKE_LABELS, THUMB, EntryRole, GalleryViewModel

EMPTY_TEXT = (
    "<p><b>No styles installed yet.</b></p>"
    "<p>Import a <i>.atelier-style</i> file that someone shared with you, "
    "or teach Atelier a new style from your own artworks with "
    "<b>Style ▸ New style from artworks…</b></p>"
)


class GalleryPanel(QWidget):
    """Emits requests; the main window owns dialogs (file pickers, confirmations)."""

    import_requested = Signal()
    export_requested = Signal(str)
    delete_requested = Signal(str)
    info_requested = Signal(str)

    def __init__(self, vm: GalleryViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.view = QListView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setModel(vm.model)
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.setGridSize(QSize(THUMB + 26, THUMB + 44))
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setWordWrap(True)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(4)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setToolTip("Pick a style. Right-click for import, export, delete and details. "
                             "[ and ] step through styles.")
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.selectionModel().currentChanged.connect(self._on_current)

        empty = QWidget()
        label = QLabel(EMPTY_TEXT)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setTextFormat(Qt.TextFormat.RichText)
        button = QPushButton("Import a style…")
        button.clicked.connect(self.import_requested)
        box = QVBoxLayout(empty)
        box.addStretch(1)
        box.addWidget(label)
        box.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(empty)
        title = QLabel("<b>Styles</b>")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addWidget(title)
        layout.addWidget(self.stack, 1)
        self.setMinimumWidth(THUMB + 26 + 28)  # one column; the splitter default shows two

        vm.empty_changed.connect(lambda e: self.stack.setCurrentIndex(1 if e else 0))
        vm.look.style_changed.connect(self._show_current)
        vm.model.modelReset.connect(lambda: self._show_current(vm.current))
        self.stack.setCurrentIndex(1 if vm.empty else 0)

    def _on_current(self, index, _previous) -> None:
        entry = index.data(EntryRole) if index.isValid() else None
        if entry is not None:
            self.vm.select(entry.slug)

    def _show_current(self, slug: str) -> None:
        row = self.vm.model.row_of(slug)
        if row < 0:
            return
        index = self.vm.model.index(row)
        if self.view.currentIndex() != index:
            self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.view.scrollTo(index)

    def _strokes_menu(self, menu: QMenu, entry) -> None:
        """Brushstrokes ▸ presets: one of the user's styles can paint with others, no retraining."""
        sub = menu.addMenu("Brushstrokes")
        if entry.builtin:
            sub.setEnabled(False)
            sub.menuAction().setToolTip("Built-in styles keep their own brushstrokes")
            return
        current = self.vm.strokes_of(entry.slug)
        for key, label in STROKE_LABELS.items():
            action = sub.addAction(label, lambda k=key: self.vm.set_strokes(entry.slug, k))
            action.setCheckable(True)
            action.setChecked(key == current)

    def _menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        entry = index.data(EntryRole) if index.isValid() else None
        menu = QMenu(self)
        menu.addAction("Import…", self.import_requested.emit)
        if entry is not None:
            self.vm.select(entry.slug)
            menu.addAction("Export…", lambda: self.export_requested.emit(entry.slug))
            delete: QAction = menu.addAction("Delete", lambda: self.delete_requested.emit(entry.slug))
            delete.setEnabled(not entry.builtin)
            if entry.builtin:
                delete.setToolTip("Built-in styles cannot be deleted")
            self._strokes_menu(menu, entry)
            menu.addSeparator()
            menu.addAction("Show info", lambda: self.info_requested.emit(entry.slug))
        menu.setToolTipsVisible(True)
        menu.exec(self.view.viewport().mapToGlobal(pos))
