"""Folders without loss: stylize many photos, resumable, never touching an original.

- Each photo's output is decided before painting (engine.batchplan): `<stem>_<style>.<ext>` in the
  output folder (default: `stylized/` beside each input), one distinct file per photo, never an
  existing file that is not Atelier's painting of that photo. An existing painting of it means
  "done" and is skipped (or repainted with `overwrite`), so a stopped or killed batch resumes.
- Each output is written to a temporary name and renamed into place (`save_image_atomic`), so a
  kill leaves either a complete output or none; stale temporary files are cleaned on the next run.
- The output folders are created and locked before anything else (engine.folderlock): a folder
  that cannot take the paintings, or that another batch is writing into, stops the batch at once.
- An unreadable input is recorded (file and reason) and the batch goes on. Each run's JSON report
  is kept in the output folder at the end (and on cancel; engine.batchreport).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from engine.batchplan import InputSet, Plan, collect_inputs, output_folders, plan_batch
from engine.batchreport import REPORT_NAME, BatchReport, write_report
from engine.catalog import StyleEntry
from engine.devices import DeviceInfo
from engine.errors import AtelierError, Cancelled
from engine.folderlock import claim_output_folders
from engine.imageio import cleanup_partials
from engine.messages import StylizeOptions
from engine.models.host import LoadedModel, ModelHost
from engine.printable import printable
from engine.progress import Progress
from engine.stylize import Notice, stylize_file

__all__ = ["REPORT_NAME", "BatchReport", "InputSet", "collect_inputs", "run_batch"]


def run_batch(host: ModelHost, style: StyleEntry, device: DeviceInfo, inputs: InputSet, out_dir: Path | None,
              options: StylizeOptions, progress: Progress, notice: Notice = lambda _m: None,
              overwrite: bool = False, on_output: Callable[[Path], None] | None = None) -> BatchReport:
    """Paint every photo of `inputs`; the output folders are created and locked first, so a folder
    that cannot take the paintings, or that another batch is writing into, stops it before painting."""
    report = BatchReport(style=style.slug, device=device.spec)
    report.failed += [{"file": m, "reason": "not found"} for m in inputs.missing]
    with claim_output_folders(output_folders(inputs, out_dir)):
        model = host.get(style.path, device)
        started = time.perf_counter()
        plan = plan_batch(inputs, out_dir, style.slug, options.output_format)
        report.left_alone = [str(f) for f in plan.left_alone]
        report.out_dirs = [str(d) for d in plan.out_dirs]
        for d in plan.out_dirs:
            cleanup_partials(d)
        try:
            _paint(host, style, model, plan, options, progress, notice, overwrite, on_output, report)
        except Cancelled:
            report.cancelled = True
        report.seconds = time.perf_counter() - started
        write_report(report, out_dir or (plan.out_dirs[0] if plan.out_dirs else None), notice)
    return report


def _paint(host: ModelHost, style: StyleEntry, model: LoadedModel, plan: Plan, options: StylizeOptions,
           progress: Progress, notice: Notice, overwrite: bool, on_output: Callable[[Path], None] | None,
           report: BatchReport) -> None:
    total = len(plan.items)
    for i, item in enumerate(plan.items):
        file, target = item.source, item.target
        progress.report(i / total, f"{i}/{total} {printable(file.name)}",
                        {"done": len(report.done), "failed": len(report.failed)}, force=True)
        if item.done and not overwrite:
            report.skipped.append(str(file))
            continue
        try:
            result = stylize_file(host, style.path, model, file, target, options,
                                  progress.sub(i / total, (i + 1) / total), notice, style_slug=style.slug)
        except AtelierError as exc:
            report.failed.append({"file": str(file), "reason": str(exc).split(": ", 1)[-1]})
            if "cannot write" in str(exc):  # the disk filled up: tell at once, not only in the report
                notice(str(exc))
            continue
        report.done.append(str(result.output))
        if item.why_renamed:
            report.renamed.append({"file": str(file), "output": str(target), "why": item.why_renamed})
        if on_output:
            on_output(result.output)
    progress.report(1.0, f"{total}/{total}", {"done": len(report.done), "failed": len(report.failed)},
                    force=True)
