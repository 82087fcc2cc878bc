"""One photo: the working copy on screen, its stylized preview in the shared look, Save as.

The engine stylizes a downscaled working copy (about 1024 px) at full strength; the look's strength
and "preserve colours" are then mixed here with the engine's own pure function (`keep_colors`,
handed in as a service), so dragging the strength slider is instant and gives exactly what Save and
Batch write. Previews are a single slot: one request in flight; a newer request waits for it and only
the latest setting is run. Save runs the full-resolution `StylizeImage` on the engine and never
writes over the opened file.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QImage

from desktop_app.bridge import JobHandle
from desktop_app.imaging import qimage_to_rgb, rgb_to_qimage, working_copy
from desktop_app.viewmodels.app import AppViewModel
from desktop_app.viewmodels.gallery import GalleryViewModel
from desktop_app.viewmodels.look import LookViewModel
from desktop_app.viewmodels.properties import Property
from desktop_app.viewmodels.real_pixels import RealPixels
from desktop_app.viewmodels.screen import LookScreen
from desktop_app.viewmodels.services import EngineServices
from engine.errors import AtelierError
from engine.messages import (
    Event,
    JobCancelled,
    JobFinished,
    JobPreview,
    JobProgress,
    StylizeImage,
    StylizeOptions,
    StylizePreview,
)
from engine.paths import user_home

SAVE_FORMATS = ("jpg", "png", "webp")
_serial = itertools.count(1)
KeepColors = Callable[[np.ndarray, np.ndarray], np.ndarray]


def mix(raw: np.ndarray, original: np.ndarray, strength: float, preserve_colors: bool,
        keep_colors: KeepColors) -> np.ndarray:
    """The same finishing the engine applies (`engine.stylize.finish`), on uint8 full-strength output."""
    out = keep_colors(raw, original) if preserve_colors else raw
    if strength >= 1.0:
        return out
    blend = original.astype(np.float32) * (1 - strength) + out.astype(np.float32) * strength
    return np.clip(blend + 0.5, 0, 255).astype(np.uint8)


class PhotoViewModel(LookScreen):
    title = Property("")                   # file name, or "Pasted image"
    before = Property(None)                # QImage: the working copy
    after = Property(None)                 # QImage: stylized working copy in the current look
    full_size = Property((0, 0))           # the photo's real size (what Save writes)
    busy = Property(False)                 # a preview is being computed
    saving = Property(False)               # a full-resolution save is running
    save_fraction = Property(0.0)          # how far the running save is
    last_saved = Property(None)            # Path of the last painting saved (for "Show in folder")
    state_text = Property("")              # short activity line under the photo
    saved = Signal(object)                 # Path of a finished save

    def __init__(self, app: AppViewModel, look: LookViewModel, gallery: GalleryViewModel,
                 services: EngineServices) -> None:
        super().__init__(app, look, gallery, services)
        self.source_path: Path | None = None
        self._full: np.ndarray | None = None  # the photo's full-resolution pixels
        self._work: np.ndarray | None = None
        self._serial = 0
        self._raw: dict[tuple[str, int, float], np.ndarray] = {}
        self._preview: tuple[JobHandle, tuple[str, int, float]] | None = None
        self._dirty = False
        self._save: tuple[JobHandle, Path] | None = None
        look.style_changed.connect(lambda _slug: self.refresh_preview())
        look.brushwork_changed.connect(lambda _v: self.refresh_preview())
        look.strength_changed.connect(lambda _v: self._remix())
        look.preserve_colors_changed.connect(lambda _v: self._remix())
        gallery.strokes_changed.connect(self._forget_style)
        self.real = RealPixels(app, look, lambda raw, rgb, strength, preserve: mix(raw, rgb, strength, preserve,
                                                                                     services.keep_colors))

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
        self._set_pixels(image.rgb, path.name)
        return True

    def set_image(self, image: QImage, title: str = "Pasted image") -> bool:
        """A pasted or dropped picture that has no file of its own."""
        if image.isNull():
            self.app.report_error("The clipboard holds no picture Atelier can use")
            return False
        rgb = qimage_to_rgb(image)
        self.source_path = None
        self._set_pixels(rgb, title)
        return True

    def _set_pixels(self, rgb: np.ndarray, title: str) -> None:
        self._serial = next(_serial)
        self._raw.clear()
        self._full = rgb
        self.real.set_photo(rgb, self._serial)
        self._work = working_copy(rgb)
        self.full_size = (rgb.shape[1], rgb.shape[0])
        self.title = title
        self.after = None
        self.before = rgb_to_qimage(self._work)
        self.refresh_preview()

    # ---------------------------------------------------------------------------- preview
    def refresh_preview(self) -> None:
        style = self.look.style
        if self._work is None or not style:
            self.after = None
            return
        key = self._key()
        if key in self._raw:
            self._remix()
            return
        if self._preview is not None:  # single slot: run the newest setting when this one ends
            self._dirty = True
            return
        # the painting on screen stays until the new one arrives (no flash back to the bare photo)
        h, w = self._work.shape[:2]
        # full strength, the photo's colours untouched: the look's strength and colours are mixed here
        request = StylizePreview(pixels=self._work.tobytes(), width=w, height=h, style=style,
                                 options=self.look.current().options(strength=1.0, preserve_colors=False,
                                                                     paint_size=self._preview_paint_size()),
                                 device=self.app.device)
        self.busy = True
        self.state_text = f"Painting in the style of {self.gallery.current_name}…"
        job = self.app.bridge.submit(request)
        self._preview = (job, key)
        job.preview.connect(lambda event, k=key: self._on_preview(event, k))
        job.ended.connect(self._on_preview_ended)

    def _preview_paint_size(self) -> int | None:
        """Save paints a photo larger than `paint_size` at that size and carries the change onto the full
        pixels, so its strokes cover the same share of the picture at any resolution. The working copy is
        painted at the same share of its own size, so the preview shows the strokes Save will."""
        paint_size = StylizeOptions.paint_size
        full = max(self.full_size)
        if paint_size is None or self._work is None or full <= paint_size:
            return None  # Save paints every pixel: so does the preview
        return max(64, round(paint_size * max(self._work.shape[:2]) / full))

    def want_full_resolution(self) -> None:
        """The view zoomed past the working copy: show the real pixels, painted as Save paints them."""
        if self._full is not None and self._work is not None and self._full.shape != self._work.shape:
            self.real.want()

    def _forget_style(self, slug: str) -> None:
        """The style was changed on disk (other brushstrokes): its cached previews are stale."""
        self.real.forget_style(slug)
        for key in [k for k in self._raw if k[0] == slug]:
            del self._raw[key]
        if slug == self.look.style:
            self.refresh_preview()

    def _key(self) -> tuple[str, int, float]:
        return (self.look.style or "", self._serial, round(self.look.brushwork, 2))

    def _remix(self) -> None:
        raw = self._raw.get(self._key())
        if raw is None or self._work is None:
            return
        look = self.look
        self.after = rgb_to_qimage(mix(raw, self._work, look.strength, look.preserve_colors,
                                       self.services.keep_colors))

    def _on_preview(self, event: JobPreview, key: tuple[str, int, float]) -> None:
        raw = np.frombuffer(event.pixels, np.uint8).reshape(event.height, event.width, 3)
        if self._work is not None and raw.shape != self._work.shape:
            return
        if len(self._raw) >= 8:
            self._raw.pop(next(iter(self._raw)))
        self._raw[key] = raw
        if key == self._key():
            self._remix()

    # ---------------------------------------------------------------------------- save
    def default_format(self, preferred: str = "same") -> str:
        """What Save offers first: the preferred format, else the photo's own (jpg, png or webp), jpg for a
        phone's HEIC or AVIF (lossy formats Atelier reads but does not write, as a batch does), else png
        (a pasted picture, or a TIFF/BMP/GIF, keeps its quality)."""
        from engine.imageio import READ_ONLY_SUFFIXES

        if preferred in SAVE_FORMATS:
            return preferred
        suffix = self.source_path.suffix.lower().lstrip(".").replace("jpeg", "jpg") if self.source_path else ""
        if f".{suffix}" in READ_ONLY_SUFFIXES:
            return "jpg"
        return suffix if suffix in SAVE_FORMATS else "png"

    def suggested_name(self, fmt: str) -> str:
        stem = self.source_path.stem if self.source_path else "pasted"
        return f"{stem}_{self.look.style or 'style'}.{fmt}"

    def save_as(self, dest: Path) -> bool:
        """Stylize the full-resolution photo into `dest` (its suffix picks jpg/png/webp)."""
        dest = Path(dest)
        fmt = dest.suffix.lower().lstrip(".").replace("jpeg", "jpg")
        if self._work is None or not self.look.style:
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
        out = self.app.output
        request = StylizeImage(input=source, output=dest, style=self.look.style,
                               options=self.look.current().options(output_format=fmt, jpeg_quality=out.jpeg_quality,
                                                                   max_size=out.max_size),
                               device=self.app.device)
        self.save_fraction = 0.0
        self.last_saved = None
        self.saving = True
        self.state_text = f"Saving {dest.name} at full resolution…"
        job = self.app.bridge.submit(request)
        self._save = (job, dest)
        job.progress.connect(lambda event: self._on_save_progress(event, dest))
        job.ended.connect(lambda event: self._on_save_ended(event, dest))
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
    def _on_save_progress(self, event: JobProgress, dest: Path) -> None:
        self.save_fraction = event.fraction
        self.state_text = f"Saving {dest.name}… {event.fraction:.0%}"

    def _on_preview_ended(self, _event: Event) -> None:
        self._preview = None
        self.busy = False
        if self._key() not in self._raw and not self._dirty:
            self.after = None  # failed or cancelled: never leave another look's painting on screen
        self.state_text = "" if not self.saving else self.state_text
        if self._dirty:
            self._dirty = False
            self.refresh_preview()

    def _on_save_ended(self, event: Event, dest: Path) -> None:
        self._save = None
        self.saving = False
        self.state_text = ""
        if isinstance(event, JobFinished):
            self.app.post_notice(f"Saved {dest}")
            self.last_saved = dest
            self.saved.emit(dest)
        elif isinstance(event, JobCancelled):
            self.app.post_notice("Save cancelled; nothing was written")

    def cancel(self) -> bool:
        """Esc: stop a running save (and any preview). Returns whether something was running."""
        running = False
        for job in (self._save, self._preview):
            if job is not None:
                job[0].cancel()
                running = True
        self._dirty = False
        return running
