"""Where things live: shipped resources (source tree or PyInstaller bundle) and the user's data.

The user data folder comes from platformdirs (e.g. ~/.local/share/Atelier, %APPDATA%\\Atelier,
~/Library/Application Support/Atelier). `ATELIER_HOME` overrides it: tests and portable installs use
that, and it is the only environment variable Atelier reads.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_dir


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def builtin_styles_dir() -> Path:
    return resources_dir() / "styles"


def base_model() -> Path:
    """The shipped base generator new styles fine-tune from (DESIGN.md section 2, few-shot)."""
    return resources_dir() / "base" / "base.atelier-style"


def sample_photo() -> Path:
    return resources_dir() / "samples" / "astronaut.png"


def format_samples() -> list[Path]:
    """The same 48x32 picture (red left half, blue right) as HEIC and AVIF, 600 and 320 bytes: the
    self-test proves those decoders (native libraries a bundle can lose) came along."""
    return [resources_dir() / "samples" / f"red_blue.{suffix}" for suffix in ("heic", "avif")]


def user_home() -> Path:
    env = os.environ.get("ATELIER_HOME")
    return Path(env) if env else Path(user_data_dir("Atelier", appauthor=False))


def user_styles_dir() -> Path:
    return user_home() / "styles"


def runs_dir() -> Path:
    """Training runs (checkpoints) live here so an interrupted run can be resumed after a restart."""
    return user_home() / "runs"
