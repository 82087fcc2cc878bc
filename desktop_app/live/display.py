"""The live picture: the newest stylized frame, scaled to fit, with an optional figures overlay.

Painting one QImage ourselves (instead of a QLabel pixmap) avoids a pixmap conversion per frame and
lets the overlay and the empty state (no camera, stopped, an error) share one widget.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.viewmodels.live import LiveStats


class FrameDisplay(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._stats: LiveStats | None = None
        self._caption = ""
        self._empty_title = "Live view"
        self._empty_text = "Choose a camera or a video file, then press Start."
        self.show_overlay = False  # the figures are for the curious: View > Show frame rate
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # ------------------------------------------------------------------ state
    def set_image(self, image: QImage, caption: str = "") -> None:
        self._image = image
        self._caption = caption
        self.update()

    def set_overlay(self, on: bool) -> None:
        self.show_overlay = on
        self.update()

    def set_stats(self, stats: LiveStats | None) -> None:
        self._stats = stats
        self.update()

    def show_empty(self, title: str, text: str) -> None:
        """Drop the picture and show a sentence instead (no camera, stopped, a problem)."""
        self._image = None
        self._stats = None
        self._empty_title, self._empty_text = title, text
        self.update()

    @property
    def empty_text(self) -> str:
        return f"{self._empty_title}\n{self._empty_text}" if self._image is None else ""

    def current_image(self) -> QImage | None:
        return self._image

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 24, 28))
        if self._image is None:
            self._paint_empty(p)
        else:
            img = self._image
            scale = min(self.width() / img.width(), self.height() / img.height())
            w, h = img.width() * scale, img.height() * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(target, img)
            if self.show_overlay and self._stats is not None:
                self._paint_overlay(p)
        p.end()

    def _paint_empty(self, p: QPainter) -> None:
        p.setPen(QColor(230, 230, 235))
        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        r = self.rect().adjusted(24, 0, -24, 0)
        p.setFont(title_font)
        p.drawText(QRectF(r.x(), r.height() / 2 - 44, r.width(), 36),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, self._empty_title)
        p.setFont(self.font())
        p.setPen(QColor(180, 180, 190))
        p.drawText(QRectF(r.x(), r.height() / 2, r.width(), r.height() / 2 - 12),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                   self._empty_text)

    def _paint_overlay(self, p: QPainter) -> None:
        s = self._stats
        assert s is not None
        lines = [f"{s.fps:.1f} fps  (target {s.target_fps:g})",
                 f"latency {s.latency_ms:4.0f} ms  ·  model {s.compute_ms:4.0f} ms",
                 (f"painted at {s.side} px, shown at {s.shown_side} px  ·  {s.device}" if s.shown_side > s.side
                  else f"resolution {s.side} px short side  ·  {s.device}")]
        if self._caption:
            lines.insert(0, self._caption)
        font = QFont(self.font())
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setFamily("monospace")
        p.setFont(font)
        fm = p.fontMetrics()
        width = max(fm.horizontalAdvance(t) for t in lines) + 16
        height = fm.lineSpacing() * len(lines) + 10
        box = QRectF(10, 10, width, height)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(box, 6, 6)
        p.setPen(QColor(240, 240, 240))
        for i, text in enumerate(lines):
            p.drawText(int(box.x() + 8), int(box.y() + 5 + fm.ascent() + i * fm.lineSpacing()), text)
