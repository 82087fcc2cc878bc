"""Every style painted on the user's own photo, small, for the gallery cards: choosing is not guesswork.

When a photo is opened the cards are painted one style at a time (a single job in flight, so the
Photo tab's own preview never waits behind more than one small card) and kept per photo and style:
opening the same photo again, or flipping between photos, shows them at once. Card jobs are
background jobs: they neither move the status bar nor raise the error banner.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from desktop_app.bridge import EngineBridge, JobHandle
from desktop_app.imaging import bytes_to_qimage, qimage_to_rgb, working_copy
from engine.messages import JobPreview, StylizeOptions, StylizePreview

CARD_SIDE = 192  # long side the cards are painted at (they are shown at about 120 px, sharp on HiDPI)
CARDS_KEPT = 96


class StyleCards(QObject):
    ready = Signal(str)  # slug whose card for the current photo is now available

    def __init__(self, bridge: EngineBridge, device: object, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._device = device  # a callable giving the device spec to paint on (the app's choice)
        self._subject: np.ndarray | None = None
        self._subject_key = ""
        self._cache: OrderedDict[tuple[str, str], QImage] = OrderedDict()
        self._wanted: list[str] = []
        self._job: JobHandle | None = None

    @property
    def has_photo(self) -> bool:
        return self._subject is not None

    def card(self, slug: str) -> QImage | None:
        """The style's painting of the current photo, once painted."""
        return self._cache.get((self._subject_key, slug))

    def show(self, image: QImage | None, slugs: list[str]) -> None:
        """Paint the cards of `slugs` on `image` (None: no photo, the cards show the style's sample)."""
        if image is None or image.isNull():
            self._subject, self._subject_key = None, ""
            self._wanted = []
            return
        rgb = working_copy(qimage_to_rgb(image), CARD_SIDE)
        self._subject = np.ascontiguousarray(rgb)
        self._subject_key = hashlib.sha1(self._subject.tobytes()).hexdigest()
        self.want(slugs)

    def want(self, slugs: list[str]) -> None:
        """Queue the cards not painted yet (after the style list changed, or a style's strokes did)."""
        if self._subject is None:
            return
        self._wanted = [s for s in slugs if (self._subject_key, s) not in self._cache]
        QTimer.singleShot(0, self._pump)  # after whatever the caller submits now (the Photo preview)

    def forget(self, slug: str) -> None:
        for key in [k for k in self._cache if k[1] == slug]:
            del self._cache[key]

    def _pump(self) -> None:
        if self._job is not None or not self._wanted or self._subject is None:
            return
        slug = self._wanted.pop(0)
        h, w = self._subject.shape[:2]
        key = (self._subject_key, slug)
        request = StylizePreview(pixels=self._subject.tobytes(), width=w, height=h, style=slug,
                                 options=StylizeOptions(), device=self._device())
        job = self.bridge.submit(request, background=True)
        self._job = job
        job.preview.connect(lambda event: self._store(key, event))
        job.ended.connect(self._on_ended)

    def _store(self, key: tuple[str, str], event: JobPreview) -> None:
        self._cache[key] = bytes_to_qimage(event.pixels, event.width, event.height)
        while len(self._cache) > CARDS_KEPT:
            self._cache.popitem(last=False)
        if key[0] == self._subject_key:
            self.ready.emit(key[1])

    def _on_ended(self, _event: object) -> None:
        self._job = None
        self._pump()
