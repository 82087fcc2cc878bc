"""One photo: the working copy on screen, its stylized preview, strength/colour mixing, Save as.

The engine stylizes a downscaled working copy (about 1024 px) at full strength; strength and
"preserve colours" are then mixed here with the engine's own pure functions, so dragging the
strength slider is instant and gives exactly what Save will write. Previews are a single slot: one
request in flight; a newer request waits for it and only the latest setting is run. Save runs the
full-resolution `StylizeImage` on the engine and never writes over the opened file.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QImage

from desktop_app.imaging import qimage_to_rgb, rgb_to_qimage, working_copy
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel
from desktop_app.viewmodels.properties import ObservableObject, Property
from engine.errors import AtelierError
from engine.messages import (
    JobCancelled,
    JobFailed,
    JobFinished,
    JobPreview,
    JobProgress,
    StylizeImage,
    StylizeOptions,
    StylizePreview,
)
from engine.paths import user_home
from engine.stylize import keep_colors

SAVE_FORMATS = ("jpg", "png", "webp")
_serial = itertools.count(1)


def mix(raw: np.ndarray, original: np.ndarray, strength: float, preserve_colors: bool) -> np.ndarray:
    """The same finishing the engine applies (`engine.stylize.finish`), on uint8 full-strength output."""
    out = keep_colors(raw, original) if preserve_colors else raw
    if strength >= 1.0:
        return out
    blend = original.astype(np.float32) * (1 - strength) + out.astype(np.float32) * strength
    return np.clip(blend + 0.5, 0, 255).astype(np.uint8)


class PhotoViewModel(ObservableObject):
    title = Property("")                   # file name, or "Pasted image"
    before = Property(None)                # QImage: the working copy
    after = Property(None)                 # QImage: stylized working copy at the current settings
    full_size = Property((0, 0))           # the photo's real size (what Save writes)
    strength = Property(1.0, setter=lambda _s, v: min(1.0, max(0.0, float(v))))
    preserve_colors = Property(False)
    # 0..1, the style's brushstrokes (engine.brushwork); a change repaints the preview
    brushwork = Property(StylizeOptions.brushwork, setter=lambda _s, v: min(1.0, max(0.0, float(v))))
    busy = Property(False)                 # a preview is being computed
    saving = Property(False)               # a full-resolution save is running
    state_text = Property("")              # short activity line under the photo
    saved = Signal(object)                 # Path of a finished save

    def __init__(self, app: AppViewModel, gallery: GalleryViewModel) -> None:
        super().__init__()
        self.app = app
        self.gallery = gallery
        self.source_path: Path | None = None
        self._full: np.ndarray | None = None  # full-resolution pixels of a pasted image only
        self._work: np.ndarray | None = None
        self._serial = 0
        self._raw: dict[tuple[str, int, float], np.ndarray] = {}
        self._preview_job: tuple[int, tuple[str, int, float]] | None = None
        self._dirty = False
        self._save_job: tuple[int, Path] | None = None
        gallery.current_changed.connect(lambda _slug: self.refresh_preview())
        gallery.strokes_changed.connect(self._forget_style)
        self.strength_changed.connect(lambda _v: self._remix())
        self.preserve_colors_changed.connect(lambda _v: self._remix())
        self.brushwork_changed.connect(lambda _v: self.refresh_preview())
        bridge = app.bridge
        bridge.preview.connect(self._on_preview)
        bridge.progress.connect(self._on_progress)
        for signal in (bridge.finished, bridge.failed, bridge.cancelled):
            signal.connect(self._on_done)

    @property
    def has_photo(self) -> bool:
        return self._work is not None

    # ---------------------------------------------------------------------------- input
    def open_file(self, path: Path) -> bool:
        """Load (EXIF-rotated, 8-bit RGB) on the GUI thread so a bad file is refused at once."""
        from engine.imageio import load_image

        path = Path(path)
        try:
            image = load_image(path)
        except AtelierError as exc:
            self.app.report_error(f"Could not open the photo: {exc}")
            return False
        self.source_path = path
        self._full = None
        self._set_pixels(image.rgb, path.name)
        return True

    def set_image(self, image: QImage, title: str = "Pasted image") -> bool:
        """A pasted or dropped picture that has no file of its own."""
        if image.isNull():
            self.app.report_error("The clipboard holds no picture Atelier can use")
            return False
        rgb = qimage_to_rgb(image)
        self.source_path = None
        self._full = rgb
        self._set_pixels(rgb, title)
        return True

    def _set_pixels(self, rgb: np.ndarray, title: str) -> None:
        self._serial = next(_serial)
        self._raw.clear()
        self._work = working_copy(rgb)
        self.full_size = (rgb.shape[1], rgb.shape[0])
        self.title = title
        self.after = None
        self.before = rgb_to_qimage(self._work)
        self.refresh_preview()

    # ---------------------------------------------------------------------------- preview
    def refresh_preview(self) -> None:
        style = self.gallery.current
        if self._work is None or not style:
            self.after = None
            return
        key = self._key()
        if key in self._raw:
            self._remix()
            return
        if self._preview_job is not None:  # single slot: run the newest setting when this one ends
            self._dirty = True
            return
        self.after = None
        h, w = self._work.shape[:2]
        request = StylizePreview(pixels=self._work.tobytes(), width=w, height=h, style=style,
                                 options=StylizeOptions(strength=1.0, preserve_colors=False,
                                                        brushwork=self.brushwork),
                                 device=self.app.device)
        self._preview_job = (request.job_id, key)
        self.busy = True
        self.state_text = f"Painting in the style of {self.gallery.current_name}…"
        self.app.bridge.submit(request)

    def _forget_style(self, slug: str) -> None:
        """The style was changed on disk (other brushstrokes): its cached previews are stale."""
        for key in [k for k in self._raw if k[0] == slug]:
            del self._raw[key]
        if slug == self.gallery.current:
            self.refresh_preview()

    def _key(self) -> tuple[str, int, float]:
        return (self.gallery.current or "", self._serial, round(self.brushwork, 2))

    def _remix(self) -> None:
        raw = self._raw.get(self._key())
        if raw is None or self._work is None:
            return
        self.after = rgb_to_qimage(mix(raw, self._work, self.strength, self.preserve_colors))

    def _on_preview(self, event: JobPreview) -> None:
        if self._preview_job is None or event.job_id != self._preview_job[0]:
            return
        key = self._preview_job[1]
        raw = np.frombuffer(event.pixels, np.uint8).reshape(event.height, event.width, 3)
        if self._work is not None and raw.shape != self._work.shape:
            return
        if len(self._raw) >= 8:
            self._raw.pop(next(iter(self._raw)))
        self._raw[key] = raw
        if key == self._key():
            self._remix()

    # ---------------------------------------------------------------------------- save
    def suggested_name(self, fmt: str) -> str:
        stem = self.source_path.stem if self.source_path else "pasted"
        return f"{stem}_{self.gallery.current or 'style'}.{fmt}"

    def save_as(self, dest: Path) -> bool:
        """Stylize the full-resolution photo into `dest` (its suffix picks jpg/png/webp)."""
        dest = Path(dest)
        fmt = dest.suffix.lower().lstrip(".").replace("jpeg", "jpg")
        if self._work is None or not self.gallery.current:
            self.app.report_error("Open a photo and pick a style before saving")
            return False
        if fmt not in SAVE_FORMATS:
            self.app.report_error(f"Save as .jpg, .png or .webp, not {dest.suffix or 'no extension'}")
            return False
        if self.source_path is not None and dest.exists() and dest.resolve() == self.source_path.resolve():
            self.app.report_error("Choose another name: Atelier never overwrites your original photo")
            return False
        source = self.source_path or self._write_pasted()
        if source is None:
            return False
        request = StylizeImage(input=source, output=dest, style=self.gallery.current,
                               options=StylizeOptions(strength=self.strength, preserve_colors=self.preserve_colors,
                                                      brushwork=self.brushwork, output_format=fmt),
                               device=self.app.device)
        self._save_job = (request.job_id, dest)
        self.saving = True
        self.state_text = f"Saving {dest.name} at full resolution…"
        self.app.bridge.submit(request)
        return True

    def _write_pasted(self) -> Path | None:
        """The engine reads files: give a pasted picture a lossless temporary one."""
        from engine.imageio import save_image_atomic

        try:
            folder = user_home() / "tmp"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"pasted-{self._serial}.png"
            if not path.exists():
                save_image_atomic(path, self._full)
            return path
        except (AtelierError, OSError) as exc:
            self.app.report_error(f"Could not prepare the pasted image for saving: {exc}")
            return None

    # ---------------------------------------------------------------------------- engine events
    def _on_progress(self, event: JobProgress) -> None:
        if self._save_job is not None and event.job_id == self._save_job[0]:
            self.state_text = f"Saving {self._save_job[1].name}… {event.fraction:.0%}"

    def _on_done(self, event: JobFinished | JobFailed | JobCancelled) -> None:
        if self._preview_job is not None and event.job_id == self._preview_job[0]:
            self._preview_job = None
            self.busy = False
            self.state_text = "" if not self.saving else self.state_text
            if self._dirty:
                self._dirty = False
                self.refresh_preview()
        elif self._save_job is not None and event.job_id == self._save_job[0]:
            dest = self._save_job[1]
            self._save_job = None
            self.saving = False
            self.state_text = ""
            if isinstance(event, JobFinished):
                self.app.post_notice(f"Saved {dest}")
                self.saved.emit(dest)
            elif isinstance(event, JobCancelled):
                self.app.post_notice("Save cancelled; nothing was written")

    def cancel(self) -> bool:
        """Esc: stop a running save (and any preview). Returns whether something was running."""
        running = False
        for job in (self._save_job, self._preview_job):
            if job is not None:
                self.app.bridge.cancel(job[0])
                running = True
        self._dirty = False
        return running
