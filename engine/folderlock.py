"""A batch owns its output folders while it runs.

- Each folder is created up front. One that is a file, or cannot be written, is reported once,
  before anything is painted, naming the folder and the reason (it used to fail once per photo).
- Each folder gets a lock file naming its owner (pid, host, start time). A second batch into the same
  folder refuses with one line naming that owner, rather than painting the same photos twice or
  clearing temporary files the first one is writing. A lock whose owner is gone (a killed batch) is
  taken over; one from another computer (a shared network folder) cannot be checked and is
  respected, and the message says which file to delete if that batch is known to have ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.errors import OutputError
from engine.pids import pid_alive

LOCK_NAME = ".atelier-batch.lock"
UNREADABLE_GRACE_S = 60.0  # an empty lock younger than this is still being written by its owner


@dataclass(frozen=True)
class LockOwner:
    pid: int
    host: str
    started: str

    def is_us(self) -> bool:
        return self.pid == os.getpid() and self.host == socket.gethostname()

    def is_gone(self) -> bool:
        """True only when it can be known: same computer, process no longer running."""
        return self.host == socket.gethostname() and not pid_alive(self.pid)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _create(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"output folder {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise OutputError(f"cannot create output folder {folder}: part of that path is a file") from exc
    except OSError as exc:
        raise OutputError(f"cannot create output folder {folder}: {_reason(exc)}") from exc


def read_owner(lock: Path) -> LockOwner | None:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
        return LockOwner(int(data["pid"]), str(data["host"]), str(data.get("started", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _busy(folder: Path, lock: Path, owner: LockOwner | None) -> OutputError:
    who = "another Atelier batch"
    if owner is not None:
        where = "" if owner.host == socket.gethostname() else f" on {owner.host}"
        who += f" (pid {owner.pid}{where}, started {owner.started})"
    return OutputError(f"{who} is writing into {folder}; wait for it to finish or choose another output "
                       f"folder (if no batch is running there, delete {lock})")


def _stale(lock: Path, owner: LockOwner | None) -> bool:
    if owner is not None:
        return owner.is_gone()
    try:  # unreadable: its owner died between creating and filling it, or is filling it right now
        return time.time() - lock.stat().st_mtime > UNREADABLE_GRACE_S
    except OSError:
        return True


def _lock(folder: Path) -> Path:
    lock = folder / LOCK_NAME
    for _ in range(3):  # a stale lock removed by two batches at once: one of them wins the next try
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = read_owner(lock)
            if not _stale(lock, owner):
                raise _busy(folder, lock, owner) from None
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
            continue
        except OSError as exc:
            raise OutputError(f"cannot write to output folder {folder}: {_reason(exc)}") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                       "started": time.strftime("%Y-%m-%d %H:%M:%S")}, f)
        return lock
    raise _busy(folder, lock, read_owner(lock))


def _unlock(lock: Path) -> None:
    owner = read_owner(lock)
    if owner is not None and owner.is_us():  # never remove a lock another batch took over
        with contextlib.suppress(OSError):
            lock.unlink()


@contextlib.contextmanager
def claim_output_folders(folders: Iterable[Path]) -> Iterator[list[Path]]:
    """Create and lock every folder (in a fixed order, so two batches cannot each hold half), or raise
    OutputError before any is used; the locks are released when the block ends, however it ends."""
    locks: list[Path] = []
    try:
        for folder in sorted(set(folders)):
            _create(folder)
            locks.append(_lock(folder))
        yield sorted(set(folders))
    finally:
        for lock in locks:
            _unlock(lock)
