"""Folders without loss: stylize many photos, resumable, never touching an original.

- Outputs are `<stem>_<style>.<ext>` in the output folder (default: `stylized/` beside each
  input); an existing output means "done" and is skipped, so a stopped or killed batch resumes.
- Each output is written to a temporary name and renamed into place (`save_image_atomic`), so a
  kill leaves either a complete output or none; stale temporary files are cleaned on the next run.
- An unreadable input is recorded (file and reason) and the batch goes on. A JSON report is written
  to the output folder at the end (and on cancel).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.catalog import StyleEntry
from engine.devices import DeviceInfo
from engine.errors import AtelierError, Cancelled, ImageReadError
from engine.imageio import cleanup_partials, is_image_path
from engine.messages import StylizeOptions
from engine.models.host import ModelHost
from engine.progress import Progress
from engine.stylize import Notice, output_path_for, stylize_file

REPORT_NAME = "atelier-report.json"


@dataclass
class InputSet:
    files: list[Path]
    roots: dict[Path, Path]  # file -> the folder it was found under (keeps subfolder layout)
    missing: list[str] = field(default_factory=list)


def collect_inputs(paths: list[Path], recursive: bool = False) -> InputSet:
    files: list[Path] = []
    roots: dict[Path, Path] = {}
    missing: list[str] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.rglob("*") if recursive else p.iterdir())
            for f in found:
                if f.is_file() and is_image_path(f) and "stylized" not in f.relative_to(p).parts[:-1]:
                    files.append(f)
                    roots[f] = p
        elif p.is_file():
            files.append(p)
            roots[p] = p.parent
        else:
            missing.append(str(p))
    if not files and missing:
        raise ImageReadError(f"not found: {', '.join(missing)}")
    if not files:
        raise ImageReadError("no images found in " + ", ".join(str(p) for p in paths) +
                             ("" if recursive else " (use --recursive for subfolders)"))
    return InputSet(files, roots, missing)


@dataclass
class BatchReport:
    style: str
    device: str
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    report_path: Path | None = None
    out_dirs: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rate = len(self.done) / self.seconds if self.seconds > 0 else 0.0
        lines = [f"{len(self.done)} stylized, {len(self.skipped)} already done, {len(self.failed)} failed"
                 f" in {self.seconds:.1f} s ({rate:.2f} images/s)" + (" - stopped" if self.cancelled else "")]
        lines += [f"  failed: {f['file']}: {f['reason']}" for f in self.failed]
        return "\n".join(lines)

    def to_json(self) -> str:
        d = asdict(self)
        d["report_path"] = None
        return json.dumps(d, indent=2, ensure_ascii=False)


def plan_output(file: Path, root: Path, out_dir: Path | None, style_slug: str, fmt: str,
                has_alpha_hint: bool = False) -> Path:
    if out_dir is None:
        target_dir = file.parent / "stylized"
    else:
        rel = file.parent.relative_to(root) if file.is_relative_to(root) else Path()
        target_dir = out_dir / rel
    return output_path_for(file, target_dir, style_slug, fmt, has_alpha_hint)


def _has_alpha(file: Path) -> bool:
    """Cheap header look: PNG/WebP/GIF with an alpha channel or transparency."""
    if file.suffix.lower() not in (".png", ".webp", ".gif", ".tif", ".tiff"):
        return False
    try:
        from PIL import Image

        with Image.open(file) as im:
            return im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    except Exception:
        return False


def run_batch(host: ModelHost, style: StyleEntry, device: DeviceInfo, inputs: InputSet, out_dir: Path | None,
              options: StylizeOptions, progress: Progress, notice: Notice = lambda _m: None,
              overwrite: bool = False, on_output=None) -> BatchReport:
    report = BatchReport(style=style.slug, device=device.spec)
    report.failed += [{"file": m, "reason": "not found"} for m in inputs.missing]
    model = host.get(style.path, device)
    started = time.perf_counter()
    total = len(inputs.files)
    out_dirs: set[Path] = set()
    for d in {plan_output(f, inputs.roots[f], out_dir, style.slug, options.output_format).parent
              for f in inputs.files}:
        cleanup_partials(d)
    try:
        for i, file in enumerate(inputs.files):
            progress.report(i / total, f"{i}/{total} {file.name}",
                            {"done": len(report.done), "failed": len(report.failed)}, force=True)
            target = plan_output(file, inputs.roots[file], out_dir, style.slug, options.output_format,
                                 _has_alpha(file))
            out_dirs.add(target.parent)
            if target.exists() and not overwrite:
                report.skipped.append(str(file))
                continue
            try:
                result = stylize_file(host, style.path, model, file, target, options,
                                      progress.sub(i / total, (i + 1) / total), notice)
                report.done.append(str(result.output))
                if on_output:
                    on_output(result.output)
            except Cancelled:
                raise
            except AtelierError as exc:
                report.failed.append({"file": str(file), "reason": str(exc).split(": ", 1)[-1]})
                if "cannot write" in str(exc) or "output folder" in str(exc):
                    notice(str(exc))
    except Cancelled:
        report.cancelled = True
    report.seconds = time.perf_counter() - started
    report.out_dirs = sorted(str(d) for d in out_dirs)
    if not report.cancelled:
        progress.report(1.0, f"{total}/{total}", {"done": len(report.done), "failed": len(report.failed)},
                        force=True)
    report_dir = out_dir or (Path(report.out_dirs[0]) if report.out_dirs else None)
    if report_dir is not None:
        try:
            report_dir.mkdir(parents=True, exist_ok=True)
            path = report_dir / REPORT_NAME
            path.write_text(report.to_json(), encoding="utf-8")
            report.report_path = path
        except OSError:
            pass
    return report
