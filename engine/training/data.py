"""Training material: checks that run before training starts, and random crops during training.

Checks give each problem a clear message. Problems with single files (unreadable, tiny, duplicate,
extreme aspect ratio, mostly border or text) exclude that file with a warning; problems with the
whole set (too few usable images) stop before anything is queued.
Images are held in memory at a working size, as uint8 (a quarter of float32: 500 photos at 1024 px
take 1.2 GB, not 4.7): artworks at 1024 px on the long side, about their scanned size, so brushstrokes
are a few pixels wide (DESIGN.md section 2), and photos at 1024 px, the size styles are used at. Crops
are drawn with torch's RNG so a resumed run draws exactly the crops the killed run would have drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.errors import DataCheckError, ImageReadError
from engine.imageio import is_image_path, load_image, unread_files, unread_hint
from engine.pixels import to_float

MIN_SIDE = 128
MAX_ASPECT = 4.0
WORK_SIDE = 1024


@dataclass
class FileIssue:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.reason}"


@dataclass
class DataReport:
    folder: Path
    usable: list[Path] = field(default_factory=list)
    excluded: list[FileIssue] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        lines = [f"{self.folder}: {len(self.usable)} usable image(s)"]
        lines += [f"  skipped {issue}" for issue in self.excluded]
        if self.error:
            lines.append(f"  error: {self.error}")
        return "\n".join(lines)


def _dhash(rgb: np.ndarray) -> int:
    g = np.asarray(Image.fromarray(rgb).convert("L").resize((9, 8), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = (g[:, 1:] > g[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def _mostly_flat(rgb: np.ndarray) -> float:
    """Fraction of pixels within a small distance of the image's most common (border/paper) colour."""
    small = np.asarray(Image.fromarray(rgb).resize((64, 64), Image.Resampling.BILINEAR)).reshape(-1, 3)
    edge = np.concatenate([small[:64], small[-64:]]).astype(np.int32)
    ref = np.median(edge, axis=0)
    close = np.abs(small.astype(np.int32) - ref).max(axis=1) < 18
    return float(close.mean())


def check_folders(folders: list[Path], min_images: int, role: str) -> DataReport:
    """Several folders checked as one set (e.g. the base model's artworks of every painter)."""
    if len(folders) == 1:
        return check_folder(folders[0], min_images, role)
    merged = DataReport(Path(", ".join(str(f) for f in folders)))
    for f in folders:
        r = check_folder(f, 0, role)
        if r.error:
            merged.error = r.error
        merged.usable += r.usable
        merged.excluded += r.excluded
    if merged.error is None and len(merged.usable) < min_images:
        merged.error = f"too few {role} images: found {len(merged.usable)} usable, need at least {min_images}"
    return merged


def check_folder(folder: Path, min_images: int, role: str, exclude: tuple[str, ...] = ()) -> DataReport:
    """Inspect every image in `folder` (not recursive); never raises for single bad files.

    `exclude` names files to leave out on purpose (a held-out evaluation split).
    """
    folder = Path(folder)
    report = DataReport(folder)
    if not folder.is_dir():
        report.error = f"the {role} folder {folder} does not exist"
        return report
    files = sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p) and p.name not in exclude)
    seen: dict[int, Path] = {}
    for path in files:
        try:
            img = load_image(path, max_pixels=80_000_000)
        except ImageReadError as exc:
            report.excluded.append(FileIssue(path, str(exc).split(": ", 1)[-1]))
            continue
        w, h = img.size
        if min(w, h) < MIN_SIDE:
            report.excluded.append(FileIssue(path, f"too small ({w}x{h}); needs at least {MIN_SIDE} px a side"))
            continue
        if max(w, h) / min(w, h) > MAX_ASPECT:
            report.excluded.append(FileIssue(path, f"extreme aspect ratio {max(w, h) / min(w, h):.1f}:1"))
            continue
        flat = _mostly_flat(img.rgb)
        if flat > 0.8:
            report.excluded.append(FileIssue(path, f"mostly border, blank paper or text ({flat:.0%} flat)"))
            continue
        h_ = _dhash(img.rgb)
        dup = next((p for k, p in seen.items() if bin(k ^ h_).count("1") <= 3), None)
        if dup is not None:
            report.excluded.append(FileIssue(path, f"duplicate of {dup.name}"))
            continue
        seen[h_] = path
        report.usable.append(path)
    if len(report.usable) < min_images:
        found = f"found {len(report.usable)} usable" + (f" of {len(files)}" if files else "")
        instead = "" if files else unread_hint(unread_files(folder.iterdir()))
        report.error = (f"too few {role} images in {folder}: {found}, need at least {min_images}"
                        + (f" ({instead})" if instead else ""))
    return report


def require(report: DataReport) -> DataReport:
    if not report.ok:
        raise DataCheckError(report.summary())
    return report


def load_working_set(paths: list[Path], side: int = WORK_SIDE) -> list[torch.Tensor]:
    """Images as uint8 tensors (3, H, W), long side at most `side` (see `engine.pixels.to_float`)."""
    out = []
    for p in paths:
        rgb = load_image(p).rgb
        h, w = rgb.shape[:2]
        s = side / max(h, w)
        if s < 1:
            rgb = np.asarray(Image.fromarray(rgb).resize((round(w * s), round(h * s)), Image.Resampling.LANCZOS))
        out.append(torch.from_numpy(np.require(rgb, np.uint8, ['C', 'W'])).permute(2, 0, 1).contiguous())
    return out


def random_crops(images: list[torch.Tensor], n: int, crop: int) -> torch.Tensor:
    """n random float crops (with random flips) of size crop x crop; small images are upscaled first."""
    batch = []
    for _ in range(n):
        img = to_float(images[int(torch.randint(len(images), (1,)))])
        _, h, w = img.shape
        if min(h, w) < crop:
            s = crop / min(h, w)
            img = torch.nn.functional.interpolate(img[None], size=(max(crop, round(h * s)), max(crop, round(w * s))),
                                                  mode="bilinear", align_corners=False)[0]
            _, h, w = img.shape
        y = int(torch.randint(h - crop + 1, (1,)))
        x = int(torch.randint(w - crop + 1, (1,)))
        c = img[:, y:y + crop, x:x + crop]
        if bool(torch.rand(()) < 0.5):
            c = c.flip(-1)
        batch.append(c)
    return torch.stack(batch)
