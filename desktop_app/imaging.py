"""Conversions between numpy RGB arrays (the engine's currency) and QImage (the view's)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

WORKING_SIDE = 1024  # long side of the interactive working copy


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """Copy an H x W x 3 uint8 array into a QImage that owns its pixels."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def bytes_to_qimage(pixels: bytes, width: int, height: int) -> QImage:
    return rgb_to_qimage(np.frombuffer(pixels, np.uint8).reshape(height, width, 3))


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """Any QImage (pasted, dropped) to an H x W x 3 uint8 array, alpha flattened on white."""
    if image.hasAlphaChannel():
        flat = QImage(image.size(), QImage.Format.Format_RGB888)
        flat.fill(0xFFFFFF)
        from PySide6.QtGui import QPainter

        p = QPainter(flat)
        p.drawImage(0, 0, image)
        p.end()
        image = flat
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


def working_copy(rgb: np.ndarray, side: int = WORKING_SIDE) -> np.ndarray:
    """Downscale so the long side is at most `side`: previews stay interactive on a CPU."""
    h, w = rgb.shape[:2]
    if max(h, w) <= side:
        return rgb
    from PIL import Image

    s = side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


def cover(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """`rgb` scaled to cover width x height and cropped at the top left, as the live path crops a frame
    to its model's factor: the photo a live answer was painted from, at the answer's size."""
    h, w = rgb.shape[:2]
    if (w, h) == (width, height):
        return rgb
    from PIL import Image

    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    resized = np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize(size, Image.Resampling.BILINEAR))
    return resized[:height, :width]
