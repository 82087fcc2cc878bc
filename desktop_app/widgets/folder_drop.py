"""Folder fields: a path with a browse button, and a folder dropped from the file manager taken, with the
field lit up while it is dragged over.

`FolderDrop(area, field, on_folder)` watches `area` (a whole tab or page, so the drop need not be
aimed) and highlights `field` (the folder field that will change) while a folder is dragged over it.
A dropped file stands for the folder it is in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

HIGHLIGHT = "border: 2px dashed palette(highlight); background: palette(alternate-base);"


def folder_row(edit: QLineEdit, browse_text: str, on_browse: Callable[[], None]) -> QHBoxLayout:
    """The folder field and its browse button side by side, the field taking the width."""
    button = QPushButton(browse_text)
    button.clicked.connect(on_browse)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


def dropped_folder(mime: QMimeData | None) -> Path | None:
    """The folder a drag carries: a folder itself, or the folder of the first file."""
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.is_dir():
                return path
            if path.is_file():
                return path.parent
    return None


class FolderDrop(QObject):
    def __init__(self, area: QWidget, field: QWidget, on_folder: Callable[[Path], None]) -> None:
        super().__init__(area)
        self.area, self.field, self.on_folder = area, field, on_folder
        self._style = field.styleSheet()
        for widget in (area, field):  # the field too: a line edit would otherwise take the URL as text
            widget.setAcceptDrops(True)
            widget.installEventFilter(self)

    @property
    def highlighted(self) -> bool:
        return self.field.styleSheet() != self._style

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(event, QDragEnterEvent | QDropEvent):
            if dropped_folder(event.mimeData()) is not None:
                event.acceptProposedAction()
                self._light(True)
                return True
        elif kind == QEvent.Type.DragLeave:
            self._light(False)
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            self._light(False)
            folder = dropped_folder(event.mimeData())
            if folder is not None:
                event.acceptProposedAction()
                self.on_folder(folder)
                return True
        return super().eventFilter(watched, event)

    def _light(self, on: bool) -> None:
        self.field.setStyleSheet(self._style + HIGHLIGHT if on else self._style)
