"""Entry point of the frozen app (PyInstaller runs this file; from source, use `atelier` or `python -m`).

Frozen-app hygiene, before anything else runs:
- `multiprocessing.freeze_support()`: a frozen program re-executes itself for every child process
  (torch's DataLoader workers, multiprocessing in training); without this each child would start
  another copy of the whole app instead of running its task.
- A windowed program on Windows (and macOS when started from Finder) has no console: `sys.stdout`
  and `sys.stderr` are None and the first `print` or warning would crash the app. They are pointed at
  a log file in the user data folder instead (`<user data>/logs/atelier.log`, previous run kept as
  `atelier.log.1`), and faulthandler writes native crashes (Qt, torch) there too.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import sys
from pathlib import Path
from typing import TextIO

_log: TextIO | None = None  # kept open (and referenced) for the life of the process


def log_path() -> Path:
    """`ATELIER_HOME`/logs or the platform's user data folder (same rule as engine.paths.user_home)."""
    from engine.paths import user_home

    return user_home() / "logs" / "atelier.log"


def redirect_missing_streams() -> Path | None:
    """Give the process a stdout/stderr when it has none; returns the log file used, if any."""
    global _log
    if sys.stdout is not None and sys.stderr is not None:
        return None
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            os.replace(path, path.with_name(path.name + ".1"))
        _log = open(path, "w", encoding="utf-8", buffering=1, errors="backslashreplace")  # noqa: SIM115
    except OSError:
        _log = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (read-only home: still never crash)
        path = None
    if sys.stdout is None:
        sys.stdout = _log
    if sys.stderr is None:
        sys.stderr = _log
    if path is not None:
        faulthandler.enable(file=_log)
    return path


def main() -> int:
    multiprocessing.freeze_support()
    redirect_missing_streams()
    from desktop_app.launcher import main as launch

    return launch()  # exactly what the `atelier` console script does: the launcher reads sys.argv


if __name__ == "__main__":
    sys.exit(main())
