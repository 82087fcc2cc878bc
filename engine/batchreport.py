"""What a batch did, told on screen and kept on disk: one report per run.

Each run's report goes to `atelier-reports/<date>-<time>-<style>.json` in the output folder, so an
earlier run's list of failures is never lost to the next run, and `atelier-report.json` beside it is
always the latest (where people and scripts look first). Both are written atomically
(engine.atomicfile) and hold only valid UTF-8, whatever the photos' file names (engine.printable).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from engine.atomicfile import write_text_atomic
from engine.printable import printable, printable_tree
from engine.rerun import ChangedOutputs

REPORT_NAME = "atelier-report.json"
HISTORY_DIR = "atelier-reports"


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
    started: str = field(default_factory=lambda: datetime.now().isoformat(sep=" ", timespec="milliseconds"))
    renamed: list[dict[str, str]] = field(default_factory=list)  # file, output, why: not the plain name
    left_alone: list[str] = field(default_factory=list)  # earlier paintings found among the inputs
    # Earlier paintings made with other settings (engine.rerun), by what the answer did with them:
    replaced: list[str] = field(default_factory=list)  # painted again in place (outputs; also in `done`)
    kept_both: list[dict[str, str]] = field(default_factory=list)  # file, output, earlier: painted beside
    skipped_changed: list[str] = field(default_factory=list)  # photos whose earlier painting was left as is
    # Set when no answer was given and such paintings were found: nothing was painted, the caller asks.
    question: ChangedOutputs | None = None

    def summary(self) -> str:
        rate = len(self.done) / self.seconds if self.seconds > 0 else 0.0
        lines = [f"{len(self.done)} stylized, {len(self.skipped)} already done, {len(self.failed)} failed"
                 f" in {self.seconds:.1f} s ({rate:.2f} images/s)" + (" - stopped" if self.cancelled else "")]
        other = "made with other settings"
        if self.replaced:
            lines.append(f"  {len(self.replaced)} painting(s) {other} replaced")
        if self.kept_both:
            lines.append(f"  {len(self.kept_both)} painted beside earlier painting(s) {other}, which are kept")
        if self.skipped_changed:
            lines.append(f"  {len(self.skipped_changed)} skipped: their earlier painting(s) {other} left as they are")
        if self.left_alone:
            lines.append(f"  {len(self.left_alone)} earlier painting(s) in the input folders left as they are")
        lines += [f"  {Path(r['file']).name} -> {Path(r['output']).name}: {r['why']}" for r in self.renamed]
        lines += [f"  failed: {f['file']}: {f['reason']}" for f in self.failed]
        return printable("\n".join(lines))

    def to_json(self) -> str:
        """Valid UTF-8 JSON whatever the file names (engine.printable)."""
        d = asdict(self)
        d["report_path"] = None
        return json.dumps(printable_tree(d), indent=2, ensure_ascii=False)


def _history_path(folder: Path, report: BatchReport) -> Path:
    # 20261206-011530.123: names sort in the order the runs started
    stamp = datetime.fromisoformat(report.started).strftime("%Y%m%d-%H%M%S.%f")[:-3]
    path = folder / HISTORY_DIR / f"{stamp}-{report.style}.json"
    n = 2
    while path.exists():  # two runs in one second keep two reports
        path = path.with_name(f"{stamp}-{report.style}-{n}.json")
        n += 1
    return path


def write_report(report: BatchReport, folder: Path | None, notice: Callable[[str], None]) -> None:
    """Keep this run's report in `folder` and make it the latest; a failure to write it is told
    (the paintings are safe either way) rather than ending the batch."""
    if folder is None:
        return
    text = report.to_json()
    try:
        path = _history_path(folder, report)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
        write_text_atomic(folder / REPORT_NAME, text)
    except OSError as exc:
        notice(f"could not write the batch report in {printable(str(folder))}: {exc.strerror or exc}")
        return
    report.report_path = path
