"""The closed set of requests to the engine thread and events it sends back.

All are frozen dataclasses holding only immutable, already validated values (paths, numbers,
strings, tuples, bytes), so nothing is shared between the GUI thread and the engine thread but these
messages. Consumers match on the type, never on strings.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import limits

_ids = itertools.count(1)


def new_job_id() -> int:
    return next(_ids)


# Brushstroke presets a new style can be trained with, by name (the brushes are
# engine.brushwork.STROKE_PRESETS; named here so that the CLI and the GUI need not import torch).
STROKES = ("medium", "dabs", "long", "flowing", "hatching", "flat", "none")
# What a batch does with earlier paintings made with other settings (engine.rerun), by name, for the
# same reason. None (no answer yet) makes the batch stop before painting and return the question.
IF_CHANGED = ("replace", "keep-both", "skip")


@dataclass(frozen=True)
class StylizeOptions:
    """How to stylize: shared by single images, folders, frames and the CLI."""

    strength: float = 1.0
    preserve_colors: bool = False
    max_size: int | None = None  # long side in pixels; None keeps full resolution
    # Long side the painting is made at; a larger photo keeps its full resolution and gets the
    # painting's changes upscaled onto it, so brushstrokes keep the size the style was trained at
    # (see engine.stylize.paint_at_scale). None paints every pixel at full resolution.
    paint_size: int | None = 1600
    tile_size: int = 1024
    # 0..1: how much procedural brushwork (engine.brushwork) is painted over the generator's own strokes.
    # Off by default: styles trained with the loss network learn their strokes (issue 14); the pass is
    # an optional finishing touch, and the app shows the learned generator alone unless asked.
    brushwork: float = 0.0
    output_format: str = "same"  # same | jpg | png | webp
    jpeg_quality: int = 95

    def __post_init__(self) -> None:
        limits.STRENGTH.check(self.strength)
        limits.BRUSHWORK.check(self.brushwork)
        limits.TILE_SIZE.check(self.tile_size)
        limits.JPEG_QUALITY.check(self.jpeg_quality)
        if self.max_size is not None:
            limits.MAX_SIZE.check(self.max_size)
        if self.paint_size is not None:
            limits.PAINT_SIZE.check(self.paint_size)
        if self.output_format not in ("same", "jpg", "png", "webp"):
            raise ValueError(f"unknown output format {self.output_format!r}; use same, jpg, png or webp")


# ----------------------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class Request:
    job_id: int = field(default_factory=new_job_id, kw_only=True)


@dataclass(frozen=True)
class StylizeImage(Request):
    """Stylize one file and write it to `output`."""

    input: Path
    output: Path
    style: str
    options: StylizeOptions = StylizeOptions()
    device: str = "auto"


@dataclass(frozen=True)
class StylizePreview(Request):
    """Stylize an in-memory RGB image (H x W x 3 uint8 bytes) and send it back, nothing written."""

    pixels: bytes
    width: int
    height: int
    style: str
    options: StylizeOptions = StylizeOptions()
    device: str = "auto"


@dataclass(frozen=True)
class StylizeFolder(Request):
    """Paint every photo of `inputs`. Earlier paintings made with other settings get the `if_changed`
    answer; without one, the job paints nothing and finishes with the question (engine.rerun)."""

    inputs: tuple[Path, ...]
    out_dir: Path
    style: str
    options: StylizeOptions = StylizeOptions()
    recursive: bool = False
    device: str = "auto"
    if_changed: str | None = None  # one of IF_CHANGED

    def __post_init__(self) -> None:
        if self.if_changed is not None and self.if_changed not in IF_CHANGED:
            raise ValueError(f"unknown answer {self.if_changed!r} for paintings made with other settings; "
                             f"use one of {', '.join(IF_CHANGED)}")


@dataclass(frozen=True)
class StylizeFrame(Request):
    """One live video frame; the engine keeps only the newest pending one (a single slot)."""

    pixels: bytes
    width: int
    height: int
    style: str
    strength: float = 1.0
    mirror: bool = False
    device: str = "auto"
    run_short_side: int = 0  # 0 = frame size; else the governor's chosen resolution
    brushwork: float = 0.0  # 0..1 as StylizeOptions.brushwork; off by default live (it costs frame rate on a CPU)
    captured_at: float = 0.0

    def __post_init__(self) -> None:
        limits.STRENGTH.check(self.strength)
        limits.BRUSHWORK.check(self.brushwork)
        if self.run_short_side < 0:
            raise limits.OptionError(f"run short side must be 0 (frame size) or more, not {self.run_short_side}")


@dataclass(frozen=True)
class Train(Request):
    art_dir: Path
    photo_dir: Path
    name: str
    run_dir: Path
    minutes: float | None = None
    steps: int | None = None
    base: str | None = None
    content_weight: float = 1.0
    skin_colour_keep: float = 0.8
    strokes: str = "medium"  # one of STROKES (engine.brushwork.STROKE_PRESETS)
    resume: bool = False
    device: str = "auto"
    author: str = ""
    size: str = "fast"
    crop: int | None = None

    def __post_init__(self) -> None:
        """Checked where the request is made (the GUI thread), so nothing bad is ever queued."""
        if self.minutes is not None:
            limits.TRAIN_MINUTES.check(self.minutes)
        if self.steps is not None:
            limits.TRAIN_STEPS.check(self.steps)
        if self.crop is not None:
            limits.TRAIN_CROP.check(self.crop)
        limits.CONTENT_WEIGHT.check(self.content_weight)
        limits.SKIN_COLOUR_KEEP.check(self.skin_colour_keep)
        if self.strokes not in STROKES:
            raise ValueError(f"unknown brushstrokes {self.strokes!r}; use one of {', '.join(STROKES)}")
        if self.size not in ("fast", "quality"):
            raise ValueError(f"unknown generator size {self.size!r}; use fast or quality")


@dataclass(frozen=True)
class Cancel(Request):
    target: int


@dataclass(frozen=True)
class Pause(Request):
    target: int


@dataclass(frozen=True)
class Resume(Request):
    target: int


@dataclass(frozen=True)
class Shutdown(Request):
    pass


# ------------------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class Event:
    job_id: int


@dataclass(frozen=True)
class JobStarted(Event):
    kind: str
    device: str


@dataclass(frozen=True)
class JobProgress(Event):
    fraction: float
    stage: str
    eta_s: float | None
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobPreview(Event):
    """An RGB uint8 image (bytes, row-major) to show while a job runs or as its result."""

    pixels: bytes
    width: int
    height: int
    caption: str = ""


@dataclass(frozen=True)
class JobNotice(Event):
    """Something the user should know that is not a failure (e.g. fell back to CPU)."""

    message: str


@dataclass(frozen=True)
class JobFinished(Event):
    result: Any = None
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class JobFailed(Event):
    message: str
    detail: str = ""


@dataclass(frozen=True)
class JobCancelled(Event):
    result: Any = None


@dataclass(frozen=True)
class FrameResult(Event):
    """A stylized live frame with its timing."""

    pixels: bytes
    width: int
    height: int
    style: str
    latency_ms: float
    compute_ms: float
    captured_at: float
