"""A small live chart of how training is going, in plain words, drawn with QPainter.

Two lines, both "lower is better", each as a share of where it started (100 % = the first steps):
- "Distance to the artworks' style": the loss network's style distance to the painter's works
  (`style`; `texture` in runs from before the loss network). It should fall.
- "Change to your photo's content": how far the painting has moved from the photo (`perceptual`, else
  `struct`). It rises a little as the style takes hold, then should settle rather than climb.
The raw losses jump from step to step (each step sees other random crops), so each line is smoothed
(an exponential moving average over about 20 steps) and the raw values are drawn faintly behind.
The discriminator's loss is left out: it says nothing a user can act on. The legend sits above the
plot, never over the lines. Points are kept in full up to a cap, then thinned by half.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

# (keys tried in order, words, colour)
SERIES = ((("style", "texture"), "Distance to the artworks' style", QColor(60, 130, 220)),
          (("perceptual", "struct"), "Change to your photo's content", QColor(60, 170, 90)))
MAX_POINTS = 600
SMOOTHING = 0.1  # EMA weight of a new point


def smoothed(values: list[float], alpha: float = SMOOTHING) -> list[float]:
    out: list[float] = []
    for v in values:
        out.append(v if not out else out[-1] + alpha * (v - out[-1]))
    return out


class LossChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: dict[str, list[tuple[float, float]]] = {label: [] for _, label, _ in SERIES}
        self.setMinimumSize(260, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("Both lines are shares of their first value: the blue one should fall as the style takes "
                        "hold; the green one may rise a little, then should settle. Smoothed over about 20 steps.")

    def clear(self) -> None:
        for v in self.points.values():
            v.clear()
        self.update()

    def add(self, metrics: dict) -> None:
        """Add one JobProgress.metrics dict (needs 'step'; missing or all-zero losses are skipped)."""
        step = metrics.get("step")
        if step is None:
            return
        for keys, label, _ in SERIES:
            value = next((metrics[k] for k in keys if isinstance(metrics.get(k), int | float) and metrics[k]), None)
            if value is None:
                continue
            pts = self.points[label]
            if pts and step <= pts[-1][0]:
                continue
            pts.append((float(step), float(value)))
            if len(pts) > MAX_POINTS:
                del pts[1::2]
        self.update()

    def point_count(self) -> int:
        return sum(len(v) for v in self.points.values())

    def relative(self, label: str) -> list[tuple[float, float]]:
        """The smoothed series as a share of its start (1.0 = as at the first steps)."""
        pts = self.points[label]
        if not pts:
            return []
        smooth = smoothed([v for _, v in pts])
        start = smooth[min(len(smooth) - 1, 4)] or 1.0  # after a few points: the very first are noisy
        return [(x, s / start) for (x, _), s in zip(pts, smooth, strict=True)]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        fm = p.fontMetrics()
        legend_h = self._legend(p, QRectF(6, 4, self.width() - 12, fm.height() * 2 + 4))
        plot = QRectF(48, 8 + legend_h, self.width() - 58, self.height() - 16 - legend_h - fm.height())
        p.setPen(QPen(self.palette().mid().color(), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(plot)
        series = {label: self.relative(label) for _, label, _ in SERIES}
        all_pts = [pt for v in series.values() for pt in v]
        if len(all_pts) < 2:
            p.setPen(self.palette().text().color())
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "The chart starts after the first steps")
            p.end()
            return
        x0, x1 = min(pt[0] for pt in all_pts), max(pt[0] for pt in all_pts)
        x1 = x1 if x1 > x0 else x0 + 1.0
        ys = [pt[1] for pt in all_pts]
        y0, y1 = min(0.5, min(ys)), max(1.2, max(ys))

        def to_px(x: float, y: float) -> QPointF:
            y = min(max(y, y0), y1)
            return QPointF(plot.left() + (x - x0) / (x1 - x0) * plot.width(),
                           plot.bottom() - (y - y0) / (y1 - y0) * plot.height())

        p.setPen(QPen(self.palette().mid().color(), 1, Qt.PenStyle.DotLine))
        start_y = to_px(x0, 1.0).y()
        p.drawLine(QPointF(plot.left(), start_y), QPointF(plot.right(), start_y))
        p.setPen(self.palette().text().color())
        for value in (y0, 1.0, y1):
            y = to_px(x0, value).y()
            p.drawText(QRectF(0, y - fm.height() / 2, 44, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.0%}")
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), fm.height()),
                   Qt.AlignmentFlag.AlignLeft, f"step {x0:.0f}")
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), fm.height()),
                   Qt.AlignmentFlag.AlignRight, f"step {x1:.0f}")
        for _, label, colour in SERIES:
            pts = series[label]
            if len(pts) < 2:
                continue
            path = QPainterPath(to_px(*pts[0]))
            for pt in pts[1:]:
                path.lineTo(to_px(*pt))
            p.setPen(QPen(colour, 2.0))
            p.drawPath(path)
        p.end()

    def _legend(self, p: QPainter, area: QRectF) -> float:
        """Legend entries left to right, wrapping to a second row when narrow; returns the height used."""
        fm = p.fontMetrics()
        x, y = area.left(), area.top()
        for _, label, colour in SERIES:
            width = 22 + fm.horizontalAdvance(label)
            if x > area.left() and x + width > area.right():
                x, y = area.left(), y + fm.height() + 2
            p.setPen(QPen(colour, 3))
            p.drawLine(QPointF(x, y + fm.height() / 2), QPointF(x + 16, y + fm.height() / 2))
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(x + 20, y, area.right() - x - 20, fm.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, int(area.right() - x - 20)))
            x += width + 16
        return y + fm.height() - area.top() + 4
