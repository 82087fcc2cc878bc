"""The code stays ruff-clean (config in pyproject.toml): style drift fails CI like a bug does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    r = subprocess.run([ruff, "check", "engine", "desktop_app", "tests", "bench", "scripts", "packaging"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_import_contracts_hold():
    """engine/ never imports Qt, qasync or desktop_app (pyproject.toml [tool.importlinter])."""
    tool = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    assert Path(tool).exists(), "lint-imports is missing: pip install -e '.[dev]' installs import-linter"
    r = subprocess.run([tool], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
