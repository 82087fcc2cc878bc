"""The style gallery: which styles exist, which one is chosen, and import/export/delete.

The catalog does the file work (it validates every imported file); this view-model turns its
answers into a Qt list model of cards: one of the painter's own works beside the style's painting of
the user's current photo (`StyleCards`, painted in the background), and a line about the style. The
chosen style is the shared look's `style` (`LookViewModel`): choosing in the gallery changes what
Photo, Batch and Live paint next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QImage

from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.look import LookViewModel
from desktop_app.viewmodels.properties import ObservableObject, Property
from desktop_app.viewmodels.style_cards import StyleCards
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
ArtworkRole = Qt.ItemDataRole.UserRole + 2      # QImage: one of the painter's works, or None
CardRole = Qt.ItemDataRole.UserRole + 3         # QImage: the style on the user's photo, else on the sample
CardCaptionRole = Qt.ItemDataRole.UserRole + 4  # what CardRole shows: "Your photo" or "Sample photo"
DescriptionRole = Qt.ItemDataRole.UserRole + 5  # one line about the style

_Index = QModelIndex | QPersistentModelIndex


def card_line(entry: StyleEntry) -> str:
    """One line for the card: the style's own description, else what it learned from."""
    meta = entry.meta
    if meta.description.strip():
        return meta.description.strip().splitlines()[0]
    count = meta.training.get("art_images") if isinstance(meta.training, dict) else None
    if count:
        return f"{'Your style' if not entry.builtin else 'A style'} learned from {count} artworks."
    return "Your style." if not entry.builtin else ""


def _image(png: bytes) -> QImage | None:
    image = QImage.fromData(png) if png else QImage()
    return None if image.isNull() else image


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
    def __init__(self, cards: StyleCards) -> None:
        super().__init__()
        self.entries: list[StyleEntry] = []
        self.cards = cards
        self._images: dict[tuple[Path, str], QImage | None] = {}
        cards.ready.connect(self._card_ready)

    def reset(self, entries: list[StyleEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self._images = {}
        self.endResetModel()

    def refresh_cards(self) -> None:
        """The photo changed: every card's picture did."""
        if self.entries:
            self.dataChanged.emit(self.index(0), self.index(len(self.entries) - 1), [CardRole, CardCaptionRole])

    def _card_ready(self, slug: str) -> None:
        row = self.row_of(slug)
        if row >= 0:
            self.dataChanged.emit(self.index(row), self.index(row), [CardRole, CardCaptionRole])

    def _decoded(self, entry: StyleEntry, which: str) -> QImage | None:
        key = (entry.path, which)
        if key not in self._images:
            self._images[key] = _image(entry.meta.artwork_png if which == "artwork" else entry.meta.thumbnail_png)
        return self._images[key]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.name
        if role == ArtworkRole:
            return self._decoded(entry, "artwork")
        if role == CardRole:
            return self.cards.card(entry.slug) or self._decoded(entry, "sample")
        if role == CardCaptionRole:
            return "Your photo" if self.cards.card(entry.slug) is not None else "Sample photo"
        if role == DescriptionRole:
            return card_line(entry)
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
        self.cards = StyleCards(app.bridge, lambda: app.device, self)
        self.model = StyleListModel(self.cards)

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
    def show_photo(self, image: QImage | None) -> None:
        """The user's current photo (None: none open): every card paints it, in the background."""
        self.cards.show(image, [e.slug for e in self.model.entries])
        self.model.refresh_cards()

    def refresh(self, select: str | None = None) -> None:
        """Re-read the catalog; keep (or set) the selection, falling back to the first style."""
        entries = self.catalog.list()
        self.model.reset(entries)
        self.cards.want([e.slug for e in entries])
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
        self.cards.forget(slug)
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
