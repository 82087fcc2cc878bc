"""`atelier --self-test` (engine.selftest): passes on working styles, fails loudly on every kind of breakage.

The styles here are random-weight test styles from conftest (never shipped); the photo is shrunk with
--max-size so each run takes well under a second on the CPU.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import selftest
from tests.conftest import make_style

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--max-size", "64", "--device", "cpu"]


def run(capsys, *args: str) -> tuple[int, str]:
    code = selftest.main([*args, *FAST])
    return code, capsys.readouterr().out


def test_passes_with_working_builtin_styles(styles_dirs, capsys):
    builtin, _user = styles_dirs
    code, out = run(capsys, "--styles-dir", str(builtin))
    assert code == 0, out
    assert "self-test passed" in out
    assert "HEIC photos: read" in out and "AVIF photos: read" in out  # the bundled format samples
    for name in ("Tiny", "Tiny Two"):
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert "cpu" in line and line.rstrip().endswith("ok")


def test_a_bundle_that_cannot_read_heic_fails(styles_dirs, capsys, no_heif_decoder):
    """The HEIC decoder is a native library (libheif) a bundle can lose: every iPhone photo would then
    be refused, so the self-test decodes the bundled HEIC sample and fails without it."""
    builtin, _user = styles_dirs
    code, out = run(capsys, "--styles-dir", str(builtin))
    assert code == 1 and "HEIC photos: FAIL red_blue.heic: not an image Atelier can read" in out


def test_reports_the_cpu_engine(styles_dirs, capsys):
    builtin, _user = styles_dirs
    code, out = run(capsys, "--styles-dir", str(builtin))
    assert code == 0, out
    line = next(line for line in out.splitlines() if line.startswith("Tiny "))
    assert " onnxruntime " in line, "onnxruntime is a dependency: the CPU paints through it"


def test_a_bundle_whose_cpu_fell_back_to_torch_fails(styles_dirs, capsys, monkeypatch):
    """A frozen bundle ships ONNX Runtime: torch painting on the CPU means part of it is missing."""
    import engine.inference
    import engine.models.host

    def no_ort(_generator):
        engine.inference._warn_once("onnxruntime cannot be imported (test)")
        return None

    monkeypatch.setattr(engine.inference, "_warned", set())
    monkeypatch.setattr(engine.models.host, "onnx_for", no_ort)
    builtin, _user = styles_dirs
    code, out = run(capsys, "--styles-dir", str(builtin))
    assert code == 0 and " torch " in out, "from source the fallback is reported, not a failure"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    code, out = run(capsys, "--styles-dir", str(builtin))
    assert code == 1
    assert "not the bundled ONNX Runtime: onnxruntime cannot be imported (test)" in out


def test_no_builtin_styles_is_a_failure_with_a_clear_message(tmp_path, capsys):
    empty = tmp_path / "styles"
    empty.mkdir()
    code, out = run(capsys, "--styles-dir", str(empty))
    assert code == 1
    assert "no built-in styles found" in out


def test_missing_styles_folder_is_a_failure(tmp_path, capsys):
    code, out = run(capsys, "--styles-dir", str(tmp_path / "nowhere"))
    assert code == 1 and "no built-in styles found" in out


def test_user_styles_do_not_count(tmp_path, atelier_home, capsys):
    """A user's own style must not make an installation without built-in styles pass."""
    (atelier_home / "styles").mkdir(parents=True)
    make_style(atelier_home / "styles" / "mine.atelier-style", "Mine")
    empty = tmp_path / "builtin"
    empty.mkdir()
    code, out = run(capsys, "--styles-dir", str(empty))
    assert code == 1 and "Mine" not in out


def test_identity_style_fails_as_unchanged(tmp_path, capsys):
    """A generator still at its identity start (or weights that loaded as zeros) returns the input."""
    d = tmp_path / "styles"
    d.mkdir()
    make_style(d / "ident.atelier-style", "Ident", perturb=0.0)
    code, out = run(capsys, "--styles-dir", str(d))
    assert code == 1
    assert "input unchanged" in out


def test_corrupt_builtin_style_fails(styles_dirs, capsys):
    builtin, _user = styles_dirs
    (builtin / "broken.atelier-style").write_bytes(b"not a style file at all")
    code, out = run(capsys, "--styles-dir", str(builtin))
    assert code == 1
    assert "unreadable built-in style" in out


def test_missing_photo_fails(styles_dirs, tmp_path, capsys):
    builtin, _user = styles_dirs
    code, out = run(capsys, "--styles-dir", str(builtin), "--photo", str(tmp_path / "none.png"))
    assert code == 1 and "sample photo missing" in out


def test_unknown_device_fails(styles_dirs, capsys):
    builtin, _user = styles_dirs
    code = selftest.main(["--styles-dir", str(builtin), "--max-size", "64", "--device", "tpu"])
    out = capsys.readouterr().out
    assert code == 1 and "unknown device" in out


def test_check_output_catches_nan_blank_and_wrong_size():
    rng = np.random.default_rng(0)
    original = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
    good = 255 - original
    raw = good.astype(np.float32) / 127.5 - 1
    assert selftest.check_output(raw, good, original) == []
    nan = raw.copy()
    nan[0, 0, 0] = np.nan
    assert any("non-finite" in p for p in selftest.check_output(nan, good, original))
    blank = np.full_like(original, 128)
    assert any("blank" in p for p in selftest.check_output(raw, blank, original))
    assert any("unchanged" in p for p in selftest.check_output(raw, original.copy(), original))
    assert any("wrong output" in p for p in selftest.check_output(raw, good[:4], original))


def test_default_photo_is_the_bundled_sample():
    from engine.paths import sample_photo

    assert sample_photo().is_file(), "resources/samples/astronaut.png is what the self-test paints"


@pytest.mark.slow
def test_runs_as_a_module_and_through_the_launcher(styles_dirs):
    """`python -m engine.selftest` and `atelier --self-test` (desktop_app.launcher) both work."""
    builtin, _user = styles_dirs
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    args = ["--styles-dir", str(builtin), *FAST]
    as_module = subprocess.run([sys.executable, "-m", "engine.selftest", *args],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert as_module.returncode == 0, as_module.stdout + as_module.stderr
    assert "self-test passed" in as_module.stdout
    code = "import sys; from desktop_app.launcher import main; sys.exit(main(sys.argv[1:]))"
    launcher = subprocess.run([sys.executable, "-c", code, "--self-test", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert launcher.returncode == 0, launcher.stdout + launcher.stderr
    assert "self-test passed" in launcher.stdout
