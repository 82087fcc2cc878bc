"""The code stays ruff-clean and keeps its layers (config in pyproject.toml): drift fails CI like a bug does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    path = shutil.which(name) or str(Path(sys.executable).parent / name)
    assert Path(path).exists(), f"{name} is missing: pip install -e '.[dev]' installs it"
    return path


def test_ruff_clean():
    r = subprocess.run([_tool("ruff"), "check", "engine", "desktop_app", "tests", "bench", "scripts", "packaging"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_import_contracts_hold():
    """engine/ never imports Qt; views bind to view-models; nothing below the composition root imports
    the engine's runners or training (pyproject.toml [tool.importlinter])."""
    r = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_view_importing_engine_training_breaks_the_contracts(tmp_path):
    """The contracts can fail: a copy of the code where a wizard page imports engine.training is refused."""
    for name in ("engine", "desktop_app"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    page = tmp_path / "desktop_app" / "wizard" / "run_page.py"
    page.write_text(page.read_text(encoding="utf-8") + "\nimport engine.training.trainer  # noqa\n", encoding="utf-8")
    r = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode != 0
    assert "views bind to view-models only" in r.stdout and "BROKEN" in r.stdout
    assert "desktop_app.wizard.run_page -> engine.training.trainer" in r.stdout
