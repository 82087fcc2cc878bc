"""The photo view: before/after split you can drag, wheel zoom around the cursor, drag to pan.

Painted by hand (not QGraphicsView) because the split needs two images clipped at one moving
line, which is a few lines of QPainter and keeps both images perfectly aligned at any zoom.
Zoomed past the working copy (e.g. at 100 % of a large photo) it asks for the real pixels
(`wants_real_pixels`) and shows them once they are there: the photo's own, and the painting as Save
paints it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

HANDLE_GRAB_PX = 10
MIN_ZOOM, MAX_ZOOM = 0.02, 16.0


class PhotoCanvas(QWidget):
    zoom_changed = Signal(float)  # 1.0 = 100 % of the photo's real pixels
    wants_real_pixels = Signal()  # the working copy is shown enlarged: the full-resolution images would help

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Drag the white line to compare before and after. "
                        "Scroll to zoom, drag to move the photo.")
        self.before: QImage | None = None
        self.after: QImage | None = None
        self.real_before: QImage | None = None  # the same pictures at full resolution, when painted
        self.real_after: QImage | None = None
        self.full_width = 0          # real photo width; the images shown may be a smaller working copy
        self.split = 0.5             # fraction of the photo's width shown as "before"
        self.zoom = 1.0
        self.fit_mode = True
        self.center = QPointF(0.5, 0.5)  # photo point (fractions) at the widget centre
        self.busy_text = ""
        self.empty_text = "Open a photo with Ctrl+O, drop one here, or paste one with Ctrl+V."
        self._drag: str | None = None
        self._last = QPointF()

    # ---------------------------------------------------------------------------- state in
    def set_before(self, image: QImage | None, full_width: int = 0) -> None:
        new_photo = image is not None and (self.before is None or image.size() != self.before.size())
        self.before = image
        self.real_before = self.real_after = None
        self.full_width = full_width or (image.width() if image else 0)
        if new_photo:
            self.fit()
        self.update()

    def set_after(self, image: QImage | None) -> None:
        self.after = image
        self.update()

    def set_real_before(self, image: QImage | None) -> None:
        self.real_before = image
        self.update()

    def set_real_after(self, image: QImage | None) -> None:
        self.real_after = image
        self.update()

    @property
    def enlarged(self) -> bool:
        """The working copy is drawn larger than its own pixels (so real pixels would show more)."""
        return self.before is not None and self.zoom * self.full_width > self.before.width() * 1.01

    def showing_real_pixels(self) -> bool:
        return self.enlarged and self.real_before is not None and self.real_after is not None

    def set_busy_text(self, text: str) -> None:
        self.busy_text = text
        self.update()

    def fit(self) -> None:
        self.fit_mode = True
        self.center = QPointF(0.5, 0.5)
        self._apply_fit()

    def actual_size(self) -> None:
        self.fit_mode = False
        self._set_zoom(1.0)

    def _apply_fit(self) -> None:
        if self.before is None or self.full_width <= 0:
            return
        scale_w = (self.width() - 24) / self.full_width
        full_h = self.full_width * self.before.height() / self.before.width()
        scale_h = (self.height() - 24) / full_h
        self._set_zoom(max(MIN_ZOOM, min(scale_w, scale_h, 4.0)))

    def _set_zoom(self, zoom: float) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if abs(zoom - self.zoom) > 1e-9:
            self.zoom = zoom
            self.zoom_changed.emit(zoom)
        if self.enlarged:
            self.wants_real_pixels.emit()
        self.update()

    # ---------------------------------------------------------------------------- geometry
    def image_rect(self) -> QRectF:
        """Where the photo lies in widget coordinates."""
        if self.before is None:
            return QRectF()
        scale = self.zoom * self.full_width / self.before.width()
        w, h = self.before.width() * scale, self.before.height() * scale
        return QRectF(self.width() / 2 - self.center.x() * w, self.height() / 2 - self.center.y() * h, w, h)

    def split_x(self) -> float:
        r = self.image_rect()
        return r.left() + self.split * r.width()

    # ---------------------------------------------------------------------------- painting
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 2)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        base = self.palette().color(QPalette.ColorRole.Window)
        p.fillRect(self.rect(), base.darker(115) if base.lightness() > 128 else base.darker(130))
        if self.before is None:
            self._paint_empty(p)
            return
        rect = self.image_rect()
        real = self.enlarged and self.real_before is not None
        p.drawImage(rect, self.real_before if real else self.before)
        after = self.real_after if real and self.real_after is not None else self.after
        if after is not None:
            sx = self.split_x()
            p.save()
            p.setClipRect(QRectF(sx, rect.top(), rect.right() - sx, rect.height()))
            p.drawImage(rect, after)
            p.restore()
            self._paint_split(p, rect, sx)
        if self.busy_text:
            self._pill(p, QPointF(self.width() / 2, self.height() - 28), self.busy_text, center=True)
        p.end()

    def _paint_split(self, p: QPainter, rect: QRectF, sx: float) -> None:
        top, bottom = max(rect.top(), 0.0), min(rect.bottom(), float(self.height()))
        p.setPen(QPen(QColor(0, 0, 0, 90), 4))
        p.drawLine(QPointF(sx, top), QPointF(sx, bottom))
        p.setPen(QPen(QColor(255, 255, 255), 2))
        p.drawLine(QPointF(sx, top), QPointF(sx, bottom))
        cy = (top + bottom) / 2
        p.setBrush(QColor(255, 255, 255))
        p.setPen(QPen(QColor(0, 0, 0, 110), 1))
        p.drawEllipse(QPointF(sx, cy), 11, 11)
        p.setPen(QPen(QColor(60, 60, 60), 2))
        for d in (-1, 1):  # two small chevrons: "drag sideways"
            path = QPainterPath(QPointF(sx + d * 3, cy - 4))
            path.lineTo(QPointF(sx + d * 7, cy))
            path.lineTo(QPointF(sx + d * 3, cy + 4))
            p.drawPath(path)
        label_y = max(top, 0.0) + 18
        if sx - rect.left() > 70:
            self._pill(p, QPointF(sx - 10, label_y), "Before", right=True)
        if rect.right() - sx > 70:
            self._pill(p, QPointF(sx + 10, label_y), "After")

    def _pill(self, p: QPainter, anchor: QPointF, text: str, right: bool = False, center: bool = False) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, font.pointSizeF() * 0.95))
        p.setFont(font)
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 16, fm.height() + 6
        x = anchor.x() - w if right else anchor.x() - w / 2 if center else anchor.x()
        box = QRectF(x, anchor.y() - h / 2, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(box, h / 2, h / 2)
        p.setPen(QColor(255, 255, 255))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_empty(self, p: QPainter) -> None:
        color = self.palette().color(QPalette.ColorRole.WindowText)
        color.setAlpha(150)
        frame = QRectF(self.rect()).adjusted(24, 24, -24, -24)
        p.setPen(QPen(color, 2, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(frame, 14, 14)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        p.setFont(font)
        p.setPen(color)
        p.drawText(frame.adjusted(30, 0, -30, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                   self.empty_text)
        p.end()

    # ---------------------------------------------------------------------------- interaction
    def _near_split(self, x: float) -> bool:
        return self.after is not None and abs(x - self.split_x()) <= HANDLE_GRAB_PX

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self.before is None:
            return super().mousePressEvent(event)
        pos = event.position()
        self._drag = "split" if self._near_split(pos.x()) else "pan"
        self._last = pos
        if self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._drag == "split":
            r = self.image_rect()
            if r.width() > 0:
                self.split = min(1.0, max(0.0, (pos.x() - r.left()) / r.width()))
                self.update()
        elif self._drag == "pan":
            r = self.image_rect()
            delta = pos - self._last
            self._last = pos
            if r.width() > 0 and r.height() > 0:
                self.fit_mode = False
                self.center = QPointF(self.center.x() - delta.x() / r.width(),
                                      self.center.y() - delta.y() / r.height())
                self.update()
        elif self.before is not None:
            self.setCursor(Qt.CursorShape.SplitHCursor if self._near_split(pos.x())
                           else Qt.CursorShape.OpenHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor if self.before is not None else Qt.CursorShape.ArrowCursor)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.actual_size() if self.fit_mode else self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if self.before is None:
            return
        steps = event.angleDelta().y() / 120
        if not steps:
            return
        r = self.image_rect()
        pos = event.position()
        anchor = QPointF((pos.x() - r.left()) / r.width(), (pos.y() - r.top()) / r.height())
        old = self.zoom
        self.fit_mode = False
        self._set_zoom(old * 1.15 ** steps)
        r2 = self.image_rect()  # keep the photo point under the cursor where it was
        self.center = QPointF(self.center.x() + (r2.left() + anchor.x() * r2.width() - pos.x()) / r2.width(),
                              self.center.y() + (r2.top() + anchor.y() * r2.height() - pos.y()) / r2.height())
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.fit_mode:
            self._apply_fit()
