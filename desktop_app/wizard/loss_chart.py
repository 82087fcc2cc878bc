"""A small live chart of the training losses, drawn with QPainter (no chart library needed).

Why these three: `texture` (distance to the painter's texture statistics) should fall, `struct` (how
far the painting has moved from the palette-mapped photo: the "keep content" term) should settle
rather than climb, and `d` (the discriminator) should hover instead of collapsing to zero. Together
they tell a user whether training is healthy and still improving.
Points are kept in full up to a cap, then thinned by half, so a long run stays cheap to paint.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

SERIES = (("texture", "style (texture)", QColor(60, 130, 220)), ("struct", "content change", QColor(60, 170, 90)),
          ("d", "discriminator", QColor(220, 90, 60)))
MAX_POINTS = 600


class LossChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: dict[str, list[tuple[float, float]]] = {key: [] for key, _, _ in SERIES}
        self.setMinimumSize(260, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def clear(self) -> None:
        for v in self.points.values():
            v.clear()
        self.update()

    def add(self, metrics: dict) -> None:
        """Add one JobProgress.metrics dict (needs 'step'; missing losses are skipped)."""
        step = metrics.get("step")
        if step is None:
            return
        for key, _, _ in SERIES:
            value = metrics.get(key)
            if isinstance(value, int | float):
                pts = self.points[key]
                if pts and step <= pts[-1][0]:
                    continue
                pts.append((float(step), float(value)))
                if len(pts) > MAX_POINTS:
                    del pts[1::2]
        self.update()

    def point_count(self) -> int:
        return sum(len(v) for v in self.points.values())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        fm = p.fontMetrics()
        plot = QRectF(44, 10, self.width() - 54, self.height() - 30 - fm.height())
        p.setPen(QPen(self.palette().mid().color(), 1))
        p.drawRect(plot)
        all_pts = [pt for v in self.points.values() for pt in v]
        if len(all_pts) < 2:
            p.setPen(self.palette().text().color())
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "Losses appear here after the first steps")
            p.end()
            return
        x0, x1 = min(pt[0] for pt in all_pts), max(pt[0] for pt in all_pts)
        ys = sorted(pt[1] for pt in all_pts)
        y0, y1 = min(0.0, ys[0]), ys[min(len(ys) - 1, int(len(ys) * 0.98))]  # ignore the first spikes
        y1 = y1 if y1 > y0 else y0 + 1.0
        x1 = x1 if x1 > x0 else x0 + 1.0

        def to_px(x: float, y: float) -> QPointF:
            y = min(max(y, y0), y1)
            return QPointF(plot.left() + (x - x0) / (x1 - x0) * plot.width(),
                           plot.bottom() - (y - y0) / (y1 - y0) * plot.height())

        p.setPen(self.palette().text().color())
        for frac in (0.0, 0.5, 1.0):
            value = y0 + (y1 - y0) * frac
            y = plot.bottom() - frac * plot.height()
            p.drawText(QRectF(0, y - fm.height() / 2, 40, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.2g}")
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), fm.height()),
                   Qt.AlignmentFlag.AlignLeft, f"step {x0:.0f}")
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), fm.height()),
                   Qt.AlignmentFlag.AlignRight, f"step {x1:.0f}")
        legend_x = plot.left() + 8
        for key, label, colour in SERIES:
            pts = self.points[key]
            if len(pts) >= 2:
                path = QPainterPath(to_px(*pts[0]))
                for pt in pts[1:]:
                    path.lineTo(to_px(*pt))
                p.setPen(QPen(colour, 1.6))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(path)
            p.setPen(QPen(colour, 3))
            p.drawLine(QPointF(legend_x, plot.top() + 10), QPointF(legend_x + 14, plot.top() + 10))
            p.setPen(self.palette().text().color())
            p.drawText(QPointF(legend_x + 18, plot.top() + 10 + fm.ascent() / 2 - 1), label)
            legend_x += 18 + fm.horizontalAdvance(label) + 16
        p.end()
