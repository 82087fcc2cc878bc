"""The style gallery: a card per style, a right-click menu, "+ New style", and a helpful empty state.

Each card shows one of the painter's own works beside the style's painting of the user's current photo
(the sample photo until one is open), the style's name and one line about it: choosing a style is
comparing pictures, not guessing from a name.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.viewmodels.gallery import (
    STROKE_LABELS,
    ArtworkRole,
    CardCaptionRole,
    CardRole,
    DescriptionRole,
    EntryRole,
    GalleryViewModel,
)

EMPTY_TEXT = (
    "<p><b>No styles installed yet.</b></p>"
    "<p>Import a <i>.atelier-style</i> file that someone shared with you, "
    "or teach Atelier a new style from your own artworks with <b>+ New style</b>.</p>"
)
CARD_W, CARD_H = 268, 174
PICTURE_H = 100


def _swatch(p: QPainter, rect: QRectF, name: str) -> None:
    """Initials on a colour of the name's own, where a style has no picture to show."""
    hue = (sum(name.encode()) * 37) % 360
    p.fillRect(rect, QColor.fromHsv(hue, 90, 200))
    font = QFont(p.font())
    font.setPixelSize(max(10, int(rect.height() // 3)))
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor(255, 255, 255))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "".join(w[0] for w in name.split()[:2]).upper() or "?")


def _two_lines(text: str, fm: QFontMetrics, width: int) -> list[str]:
    """The words of `text` on at most two lines of `width`, the second elided if it must be."""
    first: list[str] = []
    words = text.split()
    while words and fm.horizontalAdvance(" ".join([*first, words[0]])) <= width:
        first.append(words.pop(0))
    if not first and words:  # one word wider than the card
        return [fm.elidedText(text, Qt.TextElideMode.ElideRight, width)]
    rest = " ".join(words)
    return [" ".join(first)] + ([fm.elidedText(rest, Qt.TextElideMode.ElideRight, width)] if rest else [])


class StyleCardDelegate(QStyledItemDelegate):
    """Paints a card: name, [painter's work | style on your photo], one line about the style."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        return QSize(CARD_W, CARD_H)

    def paint(self, p: QPainter, option: QStyleOptionViewItem,  # type: ignore[override]
              index: QModelIndex | QPersistentModelIndex) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        pal = option.palette
        r = QRectF(option.rect).adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        p.setPen(pal.color(QPalette.ColorRole.Highlight) if selected else pal.color(QPalette.ColorRole.Mid))
        p.setBrush(pal.color(QPalette.ColorRole.Highlight).lighter(185) if selected
                   else pal.color(QPalette.ColorRole.Base).darker(104 if hover else 100))
        p.drawRoundedRect(r, 6, 6)
        inner = r.adjusted(8, 6, -8, -6)
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        title = QFont(option.font)
        title.setBold(True)
        p.setFont(title)
        p.setPen(pal.color(QPalette.ColorRole.Text))
        fm = p.fontMetrics()
        p.drawText(QRectF(inner.left(), inner.top(), inner.width(), fm.height()),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(name, Qt.TextElideMode.ElideRight, int(inner.width())))
        top = inner.top() + fm.height() + 4
        half = (inner.width() - 6) / 2
        left = QRectF(inner.left(), top, half, PICTURE_H)
        right = QRectF(inner.left() + half + 6, top, half, PICTURE_H)
        self._picture(p, left, index.data(ArtworkRole), name, "The painter")
        self._picture(p, right, index.data(CardRole), name, str(index.data(CardCaptionRole) or ""))
        p.setFont(option.font)
        p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        fm = p.fontMetrics()
        for i, text in enumerate(_two_lines(str(index.data(DescriptionRole) or ""), fm, int(inner.width()))):
            p.drawText(QRectF(inner.left(), top + PICTURE_H + 3 + i * fm.height(), inner.width(), fm.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        p.restore()

    @staticmethod
    def _picture(p: QPainter, rect: QRectF, image: QImage | None, name: str, caption: str) -> None:
        p.save()
        p.setClipRect(rect)
        if isinstance(image, QImage) and not image.isNull():
            scale = max(rect.width() / image.width(), rect.height() / image.height())  # fill, centred
            w, h = image.width() * scale, image.height() * scale
            p.drawImage(QRectF(rect.center().x() - w / 2, rect.center().y() - h / 2, w, h), image)
        else:
            _swatch(p, rect, name)
        if caption:
            font = QFont(p.font())
            font.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
            p.setFont(font)
            fm = p.fontMetrics()
            pill = QRectF(rect.left() + 4, rect.bottom() - fm.height() - 6, fm.horizontalAdvance(caption) + 10,
                          fm.height() + 2)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 150))
            p.drawRoundedRect(pill, 4, 4)
            p.setPen(QColor(255, 255, 255))
            p.drawText(pill, Qt.AlignmentFlag.AlignCenter, caption)
        p.restore()


class GalleryPanel(QWidget):
    """Emits requests; the main window owns dialogs (file pickers, confirmations)."""

    import_requested = Signal()
    new_style_requested = Signal()
    export_requested = Signal(str)
    delete_requested = Signal(str)
    info_requested = Signal(str)

    def __init__(self, vm: GalleryViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        self.view = QListView()
        self.view.setModel(vm.model)
        self.view.setItemDelegate(StyleCardDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setMouseTracking(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setToolTip("Pick a style: the painter's work on the left, your photo in that style on the right. "
                             "Right-click for import, export, delete and details. [ and ] step through styles.")
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
        self.new_button = QPushButton("+ New style…")
        self.new_button.setToolTip("Teach Atelier a new style from 10-30 of your own artworks")
        self.new_button.clicked.connect(self.new_style_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addWidget(title)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.new_button)
        self.setMinimumWidth(CARD_W + 28)  # one card and a scroll bar

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
