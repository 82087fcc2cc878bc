"""Folders without loss: stylize many photos, resumable, never touching an original.

- Each photo's output is decided before painting (engine.batchplan): `<stem>_<style>.<ext>` in the
  output folder (default: `stylized/` beside each input), one distinct file per photo, never an
  existing file that is not Atelier's painting of that photo. An existing painting of it made with
  the settings of this run means "done" and is skipped, so a stopped or killed batch resumes; one
  made with other settings gets the caller's answer (`if_changed`, engine.rerun), and without an
  answer the batch paints nothing and returns the question in its report.
- Each output is written to a temporary name and renamed into place (`save_image_atomic`), so a
  kill leaves either a complete output or none; stale temporary files are cleaned on the next run.
- The output folders are created and locked before anything else (engine.folderlock): a folder
  that cannot take the paintings, or that another batch is writing into, stops the batch at once.
- An unreadable input is recorded (file and reason) and the batch goes on; so is a photo that hits an
  unexpected error (a bug, `_per_photo`), unless `UNEXPECTED_IN_A_ROW` photos in a row do. Each run's
  JSON report is kept in the output folder at the end (and on cancel; engine.batchreport).
- The next photos are decoded and the finished ones written while the model paints
  (engine.batchpipeline), with a bounded number of photos in memory; progress, the report's entries
  and `on_output` still come one photo after another, in order, on the calling thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

import numpy as np

from engine.batchpipeline import Outcome, PhotoSlots, Pipeline, Stages
from engine.batchplan import (
    DONE,
    KEEP_BOTH,
    REPLACE,
    InputSet,
    Plan,
    Planned,
    collect_inputs,
    output_folders,
    plan_batch,
)
from engine.batchreport import REPORT_NAME, BatchReport, write_report
from engine.batchthreads import every_thread, painters_for, threads_shared_by
from engine.catalog import StyleEntry
from engine.devices import DeviceInfo
from engine.errors import AtelierError, Cancelled, UnexpectedPhotoError
from engine.folderlock import claim_output_folders
from engine.imageio import LoadedImage, cleanup_partials, peek_pixels
from engine.messages import StylizeOptions
from engine.models.host import LoadedModel, ModelHost
from engine.paintlook import PaintLook
from engine.printable import printable
from engine.progress import Progress
from engine.rerun import ChangedOutputs
from engine.stylize import Notice, read_photo, stylize_loaded, write_painting

log = logging.getLogger(__name__)

__all__ = ["REPORT_NAME", "BatchReport", "InputSet", "collect_inputs", "run_batch"]


def run_batch(host: ModelHost, style: StyleEntry, device: DeviceInfo, inputs: InputSet, out_dir: Path | None,
              options: StylizeOptions, progress: Progress, notice: Notice = lambda _m: None,
              if_changed: str | None = None, on_output: Callable[[Path], None] | None = None,
              slots: PhotoSlots | None = None, painters: int | None = None) -> BatchReport:
    """Paint every photo of `inputs`; the output folders are created and locked first, so a folder
    that cannot take the paintings, or that another batch is writing into, stops it before painting.
    Earlier paintings made with other settings get `if_changed` (engine.rerun.ANSWERS); with None and
    some found, nothing is painted and the report carries the `question` (no report file is kept).
    `painters` photos are painted at once (default: engine.batchthreads.painters_for the device) and
    `slots` bounds the photos in memory (engine.batchpipeline); tests and benchmarks pass their own."""
    report = BatchReport(style=style.slug, device=device.spec)
    report.failed += [{"file": m, "reason": "not found"} for m in inputs.missing]
    with claim_output_folders(output_folders(inputs, out_dir)):
        started = time.perf_counter()
        look, plan = _plan(inputs, out_dir, style, options)
        if if_changed is None and (question := plan.question(look)) is not None:
            report.question = question
            return report
        plan = plan.answered(if_changed)
        model = host.get(style.path, device)
        report.left_alone = [str(f) for f in plan.left_alone]
        report.out_dirs = [str(d) for d in plan.out_dirs]
        for d in plan.out_dirs:
            cleanup_partials(d)
        painters = painters or painters_for(device)
        stages = _stages(host, style, model, len(plan.items), options, look, progress, notice, on_output, report)
        try:
            with threads_shared_by(painters):
                Pipeline(stages, slots, painters).run(plan.items)
            total = len(plan.items)
            progress.report(1.0, f"{total}/{total}", _counts(report), force=True)
        except Cancelled:
            report.cancelled = True
        finally:
            model.release_batch_sessions()
        report.seconds = time.perf_counter() - started
        write_report(report, out_dir or (plan.out_dirs[0] if plan.out_dirs else None), notice)
    return report


def changed_outputs(inputs: InputSet, out_dir: Path | None, style: StyleEntry,
                    options: StylizeOptions) -> ChangedOutputs | None:
    """The question a batch with these settings would return, asked before any batch starts (the
    command line asks once for every style of `--style all`). Reads headers only; writes nothing."""
    look, plan = _plan(inputs, out_dir, style, options)
    return plan.question(look)


def _plan(inputs: InputSet, out_dir: Path | None, style: StyleEntry,
          options: StylizeOptions) -> tuple[PaintLook, Plan]:
    look = PaintLook.of(options, style.path)
    return look, plan_batch(inputs, out_dir, style.slug, options.output_format, look.digest)


@dataclass(frozen=True)
class _Painting:
    """A finished painting on its way to the writer, with what the output carries over from the photo."""

    pixels: np.ndarray
    alpha: np.ndarray | None
    icc_profile: bytes | None
    exif: bytes | None


def _counts(report: BatchReport) -> dict[str, int]:
    return {"done": len(report.done), "failed": len(report.failed)}


def _paints_alone(image: LoadedImage, options: StylizeOptions) -> bool:
    """A photo painted in tiles (longer than a tile at the size it is painted) goes with no other
    painting beside it: tiling switches the shared generator's normalization (engine.tiling), and such
    a photo's memory and per-tile progress are worth having to itself."""
    side = max(image.rgb.shape[:2])
    if options.paint_size and side > options.paint_size:
        side = options.paint_size
    return side > options.tile_size


# Unexpected errors (bugs) in this many photos in a row end the batch: then it is not about a photo.
UNEXPECTED_IN_A_ROW = 3
P = ParamSpec("P")
R = TypeVar("R")


def _per_photo(stage: Callable[P, R], source: Callable[P, Path]) -> Callable[P, R]:
    """`stage`, with an unexpected error (a bug: not an `AtelierError`, a cancel or running out of
    memory) turned into that photo's `UnexpectedPhotoError`, so the rest of the batch goes on.

    Why: a 1x1 photo, a 3 px strip and a 250-character name each stopped a whole batch with a traceback,
    the photos after them unpainted, and a rerun stopped at the same photo again; a user could not
    finish the folder without finding and removing it. The traceback still goes to the log."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return stage(*args, **kwargs)
        except (AtelierError, Cancelled, MemoryError):
            raise
        except Exception as exc:
            name = printable(source(*args, **kwargs).name)
            log.exception("unexpected error with %s", name)
            raise UnexpectedPhotoError(f"{name}: unexpected error, please report it "
                                       f"({type(exc).__name__}: {exc})") from exc

    return run


def _stages(host: ModelHost, style: StyleEntry, model: LoadedModel, total: int, options: StylizeOptions,
            look: PaintLook, progress: Progress, notice: Notice, on_output: Callable[[Path], None] | None,
            report: BatchReport) -> Stages[Planned]:
    """The batch's work on one photo, stage by stage (engine.batchpipeline runs them)."""
    quiet = Progress(token=progress.token)  # for paintings beside others: cancel and pause, no reports

    def starting(i: int, item: Planned) -> None:
        progress.report(i / total, f"{i}/{total} {printable(item.source.name)}", _counts(report), force=True)

    def paint(i: int, _item: Planned, image: LoadedImage, beside: bool) -> _Painting:
        with nullcontext() if beside else every_thread():
            out, alpha, _ = stylize_loaded(host, style.path, model, image, options,
                                           quiet if beside else progress.sub(i / total, (i + 1) / total), notice)
        return _Painting(out, alpha, image.icc_profile, image.exif)

    def write(item: Planned, p: _Painting) -> Path:
        return write_painting(item.source, item.output, p.pixels, p.alpha, p.icc_profile, p.exif, options,
                              style.slug, look)

    unexpected_in_a_row = 0

    def finished(outcome: Outcome[Planned]) -> None:
        nonlocal unexpected_in_a_row
        item = outcome.item
        file, output = item.source, item.output
        unexpected = isinstance(outcome.error, UnexpectedPhotoError)
        unexpected_in_a_row = unexpected_in_a_row + 1 if unexpected else 0
        if outcome.skipped:
            (report.skipped if item.action == DONE else report.skipped_changed).append(str(file))
        elif outcome.error is not None:
            report.failed.append({"file": str(file), "reason": str(outcome.error).split(": ", 1)[-1]})
            if "cannot write" in str(outcome.error):  # the disk filled up: tell at once, not only in the report
                notice(str(outcome.error))
        else:
            report.done.append(str(outcome.output))
            if item.action == REPLACE:
                report.replaced.append(str(outcome.output))
            elif item.action == KEEP_BOTH:
                report.kept_both.append({"file": str(file), "output": str(output), "earlier": str(item.target)})
            elif item.why_renamed:
                report.renamed.append({"file": str(file), "output": str(output), "why": item.why_renamed})
            if on_output and outcome.output is not None:
                on_output(outcome.output)

    def read(item: Planned) -> LoadedImage:
        return read_photo(item.source, item.output, options)

    def ended(outcome: Outcome[Planned]) -> None:
        finished(outcome)
        if unexpected_in_a_row >= UNEXPECTED_IN_A_ROW:  # every photo fails so: a broken install, not a photo
            assert outcome.error is not None and outcome.error.__cause__ is not None
            raise outcome.error.__cause__

    return Stages(wanted=lambda item: item.paints, pixels=lambda item: peek_pixels(item.source),
                  read=_per_photo(read, lambda item: item.source),
                  paint=_per_photo(paint, lambda _i, item, _image, _beside: item.source),
                  write=_per_photo(write, lambda item, _p: item.source),
                  starting=starting, finished=ended, check=progress.check,
                  alone=lambda _item, image: _paints_alone(image, options))
