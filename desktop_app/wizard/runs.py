"""Interrupted training runs that can be resumed (a checkpoint and the spec they were started with).

Runs live in `engine.paths.runs_dir()`, one folder each; the trainer writes `run.json` before the first
step and `checkpoint.pt` on a cadence and on stop, so a run killed with the app shows up here after a
restart. A finished run keeps its checkpoint too; its style file already exists, which is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.errors import AtelierError
from engine.paths import runs_dir
from engine.training.session import read_run_config
from engine.training.trainer import CHECKPOINT


@dataclass(frozen=True)
class ResumableRun:
    run_dir: Path
    name: str
    art_dirs: tuple[Path, ...]
    photo_dir: Path
    output: Path
    saved_at: datetime

    @property
    def finished(self) -> bool:
        """Its style file exists (resuming would train it further)."""
        return self.output.exists()

    def label(self) -> str:
        art = ", ".join(a.name for a in self.art_dirs) or "?"
        state = "finished, can train further" if self.finished else "interrupted"
        return f"{self.name} — {art} — saved {self.saved_at:%Y-%m-%d %H:%M} ({state})"


def resumable_runs(root: Path | None = None) -> list[ResumableRun]:
    """Runs with both run.json and checkpoint.pt, newest first; unreadable ones are skipped."""
    root = root or runs_dir()
    found: list[ResumableRun] = []
    if not root.is_dir():
        return found
    for d in root.iterdir():
        ckpt, spec = d / CHECKPOINT, d / "run.json"
        if not (ckpt.is_file() and spec.is_file()):
            continue
        try:
            data = read_run_config(d)
            found.append(ResumableRun(d, str(data["name"]), tuple(Path(a) for a in data["art_dirs"]),
                                      Path(data["photo_dir"]), Path(data["output"]),
                                      datetime.fromtimestamp(ckpt.stat().st_mtime)))
        except (OSError, ValueError, KeyError, TypeError, AtelierError):
            continue
    return sorted(found, key=lambda r: r.saved_at, reverse=True)
