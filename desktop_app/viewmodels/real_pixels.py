"""The painting at full resolution, for zooms past the working copy: 100 % shows real paint.

The Photo preview paints a working copy of about 1024 px, which is plenty to judge a look at Fit.
Zoomed in further, that copy would only be enlarged; so when the view asks (`want`), the whole
photo is painted once more exactly as Save paints it (the same request options, on the full pixels)
and kept for this photo, style and brushwork. Strength and "preserve colours" are mixed here as on the
working copy, a moment after the slider stops (a full-size mix is too slow to follow every step).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QTimer

from desktop_app.bridge import JobHandle
from desktop_app.imaging import rgb_to_qimage
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.look import LookViewModel
from desktop_app.viewmodels.properties import ObservableObject, Property
from engine.messages import Event, JobFailed, JobPreview, StylizePreview

Key = tuple[str, int, float]
Mix = Callable[[np.ndarray, np.ndarray, float, bool], np.ndarray]
REMIX_DELAY_MS = 250


class RealPixels(ObservableObject):
    before = Property(None)    # QImage: the photo's own pixels (None until wanted)
    after = Property(None)     # QImage: the full-resolution painting in the look, once painted
    busy = Property(False)

    def __init__(self, app: AppViewModel, look: LookViewModel, mix: Mix) -> None:
        super().__init__()
        self.app = app
        self.look = look
        self._mix = mix
        self._rgb: np.ndarray | None = None
        self._serial = 0
        self._raw: tuple[Key, np.ndarray] | None = None  # one full-size painting is kept (they are large)
        self._job: tuple[JobHandle, Key] | None = None
        self._failed: Key | None = None  # not asked again: the failure is on the banner already
        self._wanted = False
        self._remix_timer = QTimer(self)
        self._remix_timer.setSingleShot(True)
        self._remix_timer.setInterval(REMIX_DELAY_MS)
        self._remix_timer.timeout.connect(self._remix)
        look.strength_changed.connect(lambda _v: self._remix_timer.start())
        look.preserve_colors_changed.connect(lambda _v: self._remix_timer.start())
        look.style_changed.connect(lambda _v: self._look_changed())
        look.brushwork_changed.connect(lambda _v: self._look_changed())

    def set_photo(self, rgb: np.ndarray | None, serial: int) -> None:
        """A new photo: forget the last one's pixels and painting."""
        self._rgb, self._serial = rgb, serial
        self._raw = None
        self._wanted = False
        self.before = None
        self.after = None

    def forget_style(self, slug: str) -> None:
        if self._raw is not None and self._raw[0][0] == slug:
            self._raw = None
            self._look_changed()

    def want(self) -> None:
        """The view shows more pixels than the working copy has: paint them (once per look)."""
        if self._rgb is None:
            return
        self._wanted = True
        if self.before is None:
            self.before = rgb_to_qimage(self._rgb)
        key = self._key()
        if self._raw is not None and self._raw[0] == key:
            if self.after is None:
                self._remix()
            return
        if self._job is not None or not key[0] or key == self._failed:
            return  # one at a time; the newest look is asked for when this one ends
        h, w = self._rgb.shape[:2]
        request = StylizePreview(pixels=self._rgb.tobytes(), width=w, height=h, style=key[0],
                                 options=self.look.current().options(strength=1.0, preserve_colors=False),
                                 device=self.app.device)
        self.busy = True
        job = self.app.bridge.submit(request)
        self._job = (job, key)
        job.preview.connect(lambda event, k=key: self._store(event, k))
        job.ended.connect(self._ended)

    def _key(self) -> Key:
        return (self.look.style, self._serial, round(self.look.brushwork, 2))

    def _look_changed(self) -> None:
        self.after = None
        if self._wanted:
            self.want()

    def _store(self, event: JobPreview, key: Key) -> None:
        if self._rgb is None or key[1] != self._serial:
            return
        self._raw = (key, np.frombuffer(event.pixels, np.uint8).reshape(event.height, event.width, 3))
        if key == self._key():
            self._remix()

    def _ended(self, event: Event) -> None:
        if isinstance(event, JobFailed) and self._job is not None:
            self._failed = self._job[1]
        self._job = None
        self.busy = False
        if self._wanted and (self._raw is None or self._raw[0] != self._key()):
            self.want()

    def _remix(self) -> None:
        if self._raw is None or self._rgb is None or self._raw[0] != self._key():
            return
        look = self.look
        self.after = rgb_to_qimage(self._mix(self._raw[1], self._rgb, look.strength, look.preserve_colors))
