"""Small files written whole or not at all: encoded first, written under a temporary name beside the
target, flushed to disk, then renamed over it. A crash, a full disk or a name that cannot be encoded
leaves the previous file as it was (a batch report used to be left at zero bytes)."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """UTF-8; encoding happens before anything is written, so an unencodable text changes nothing."""
    return write_bytes_atomic(path, text.encode("utf-8"))
