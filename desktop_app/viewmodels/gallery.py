"""The style gallery: which styles exist, which one is chosen, and import/export/delete.

The catalog does the file work (it validates every imported file); this view-model turns its
answers into a Qt list model with thumbnails. The chosen style is the shared look's `style`
(`LookViewModel`): choosing in the gallery changes what Photo, Batch and Live paint next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPixmap

from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.look import LookViewModel
from desktop_app.viewmodels.properties import ObservableObject, Property
from engine.brushwork import preset_name
from engine.catalog import Catalog, StyleEntry
from engine.errors import AtelierError

THUMB = 112
# The brushstroke presets (engine.messages.STROKES) as the app names them, in its order.
STROKE_LABELS = {
    "medium": "Medium strokes",
    "dabs": "Short dabs (like Monet)",
    "long": "Long strokes that swirl in skies (like Van Gogh)",
    "flowing": "Long flowing bands (like Munch)",
    "hatching": "Parallel hatching (like Cézanne)",
    "flat": "Flat areas of colour (like a print)",
    "none": "None: smooth paint",
}
EntryRole = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


def thumbnail_pixmap(entry: StyleEntry, side: int = THUMB) -> QPixmap:
    """The style's own rendering of the sample photo, or a lettered swatch when it has none."""
    image = QImage.fromData(entry.meta.thumbnail_png) if entry.meta.thumbnail_png else QImage()
    if not image.isNull():
        return QPixmap.fromImage(image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                              Qt.TransformationMode.SmoothTransformation)).copy(0, 0, side, side)
    pix = QPixmap(side, side)
    hue = (sum(entry.slug.encode()) * 37) % 360
    pix.fill(QColor.fromHsv(hue, 90, 200))
    p = QPainter(pix)
    font = QFont()
    font.setPixelSize(side // 3)
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor(255, 255, 255))
    initials = "".join(w[0] for w in entry.name.split()[:2]).upper() or "?"
    p.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, initials)
    p.end()
    return pix


def describe_style(entry: StyleEntry) -> str:
    """A few readable lines for 'Show info' and tooltips."""
    meta = entry.meta
    lines = [f"<b>{meta.name}</b> ({'built in' if entry.builtin else 'your style'})"]
    if meta.author:
        lines.append(f"Author: {meta.author}")
    if meta.description:
        lines.append(meta.description)
    lines.append(f"Architecture: {meta.architecture}")
    if meta.training:
        recipe = ", ".join(f"{k}={v}" for k, v in meta.training.items() if not isinstance(v, dict | list))
        lines.append(f"Training recipe: {recipe}" if recipe else "Training recipe: recorded in the file")
    lines.append(f"File: {entry.path}")
    return "<br>".join(lines)


class StyleListModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[StyleEntry] = []
        self._icons: dict[Path, QIcon] = {}

    def reset(self, entries: list[StyleEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self._icons = {}
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.name
        if role == Qt.ItemDataRole.DecorationRole:
            if entry.path not in self._icons:
                self._icons[entry.path] = QIcon(thumbnail_pixmap(entry))
            return self._icons[entry.path]
        if role == Qt.ItemDataRole.ToolTipRole:
            return describe_style(entry)
        if role == EntryRole:
            return entry
        return None

    def row_of(self, slug: str | None) -> int:
        return next((i for i, e in enumerate(self.entries) if e.slug == slug), -1)


class GalleryViewModel(ObservableObject):
    empty = Property(True)      # no style installed at all: the view shows how to get one
    strokes_changed = Signal(str)  # slug of a style given other brushstrokes: its paintings are stale

    def __init__(self, catalog: Catalog, app: AppViewModel, look: LookViewModel) -> None:
        super().__init__()
        self.catalog = catalog
        self.app = app
        self.look = look
        self.model = StyleListModel()

    @property
    def current(self) -> str:
        """Slug of the chosen style ("" when none): the look's style (`look.style_changed` signals it)."""
        return self.look.style

    # ---------------------------------------------------------------------------- queries
    def entry(self, slug: str | None = None) -> StyleEntry | None:
        row = self.model.row_of(slug if slug is not None else self.current)
        return self.model.entries[row] if row >= 0 else None

    @property
    def current_name(self) -> str:
        entry = self.entry()
        return entry.name if entry else ""

    # ---------------------------------------------------------------------------- actions
    def refresh(self, select: str | None = None) -> None:
        """Re-read the catalog; keep (or set) the selection, falling back to the first style."""
        entries = self.catalog.list()
        self.model.reset(entries)
        self.empty = not entries
        for problem in self.catalog.problems:
            self.app.post_notice(f"Skipped an unreadable style: {problem}")
        wanted = select or self.current
        if self.model.row_of(wanted) < 0:
            wanted = entries[0].slug if entries else ""
        self.look.style = wanted

    def select(self, slug: str) -> None:
        if self.model.row_of(slug) >= 0:
            self.look.style = slug

    def step(self, delta: int) -> None:
        """Previous/next style ([ and ]), wrapping around."""
        n = len(self.model.entries)
        if not n:
            return
        row = self.model.row_of(self.current)
        self.look.style = self.model.entries[(row + delta) % n if row >= 0 else 0].slug

    def import_file(self, path: Path) -> StyleEntry | None:
        try:
            entry = self.catalog.import_file(path)
        except AtelierError as exc:
            self.app.report_error(f"Could not import {Path(path).name}: {exc}")
            return None
        except OSError as exc:
            self.app.report_error(f"Could not import {Path(path).name}: {exc.strerror or exc}")
            return None
        self.refresh(select=entry.slug)
        self.app.post_notice(f"Imported style “{entry.name}”")
        return entry

    def export(self, slug: str, dest: Path) -> Path | None:
        try:
            out = self.catalog.export(slug, dest)
        except (AtelierError, OSError) as exc:
            self.app.report_error(f"Could not export the style: {exc}")
            return None
        self.app.post_notice(f"Exported to {out}")
        return out

    def strokes_of(self, slug: str) -> str | None:
        """Which preset the style paints with (None: its own, e.g. a built-in's)."""
        entry = self.entry(slug)
        return preset_name(entry.meta.strokes) if entry is not None else None

    def set_strokes(self, slug: str, preset: str) -> bool:
        try:
            entry = self.catalog.set_strokes(slug, preset)
        except (AtelierError, OSError) as exc:
            self.app.report_error(f"Could not change the brushstrokes: {exc}")
            return False
        self.refresh(select=slug)
        self.strokes_changed.emit(slug)
        self.app.post_notice(f"“{entry.name}” now paints with {STROKE_LABELS[preset].lower()}")
        return True

    def remove(self, slug: str) -> bool:
        try:
            entry = self.catalog.remove(slug)
        except (AtelierError, OSError) as exc:
            self.app.report_error(f"Could not delete the style: {exc}")
            return False
        self.refresh()
        self.app.post_notice(f"Deleted style “{entry.name}”")
        return True
