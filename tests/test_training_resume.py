"""A stopped training run resumes from any folder, and a logout or shutdown (SIGTERM) stops it like
Ctrl-C does: with a checkpoint and a resume command that works wherever it is typed."""

from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import Cancelled
from engine.training.session import TrainSpec, read_run_config, spec_from_run
from tests.test_training import TINY, _art, _photos


def test_run_json_stores_absolute_paths_and_resumes_from_elsewhere(tmp_path, monkeypatch):
    """run.json is what a resume reads (train_style writes it once the data check passed)."""
    from engine.training import session
    from engine.training.data import check_folder, check_folders

    work = tmp_path / "work"
    _art(work / "art")
    _photos(work / "photos")
    monkeypatch.chdir(work)  # the user typed relative paths here
    spec = TrainSpec((Path("art"),), Path("photos"), "Relative", Path("run"), Path("out.atelier-style"), TINY)
    session._write_run_config(spec)
    saved = read_run_config(work / "run")
    assert all(Path(p).is_absolute() for p in [*saved["art_dirs"], saved["photo_dir"], saved["output"]])

    monkeypatch.chdir(tmp_path)  # somewhere else entirely
    resumed = spec_from_run(work / "run")
    assert resumed.photo_dir == work / "photos" and resumed.art_dirs == (work / "art",)
    assert resumed.output == work / "out.atelier-style" and resumed.run_dir == work / "run"
    # the trainer's own data checks find the same material from here
    assert check_folder(resumed.photo_dir, TINY.min_photos, "photo").error is None
    assert check_folders(list(resumed.art_dirs), TINY.min_art, "artwork").error is None


def test_resume_of_a_missing_run_is_one_line(tmp_path, capsys, atelier_home):
    assert main(["train", "--resume", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: nothing to resume in") and len(err.strip().splitlines()) == 1


@pytest.fixture
def fake_training(monkeypatch):
    """train_style replaced: it records the spec, runs `during(progress)`, then stops as if cancelled."""
    import engine.training.session as session

    seen: dict = {}

    def fake(spec, _device, progress, *_a, **_k):
        seen["spec"] = spec
        seen["during"](progress)
        seen["cancelled"] = progress.token.cancelled
        raise Cancelled()

    monkeypatch.setattr(session, "train_style", fake)
    return seen


def _train_argv(tmp_path: Path) -> list[str]:
    return ["train", "--art", "art", "--photos", "photos", "--name", "x", "--base", "none",
            "--steps", "5", "--run-dir", "runs/x", "--output", "x.atelier-style"]


def test_the_printed_resume_command_works_from_any_folder(tmp_path, monkeypatch, capsys, atelier_home, fake_training):
    (tmp_path / "art").mkdir()
    (tmp_path / "photos").mkdir()
    monkeypatch.chdir(tmp_path)
    fake_training["during"] = lambda _p: None
    assert main(_train_argv(tmp_path)) == 130
    spec = fake_training["spec"]
    assert all(p.is_absolute() for p in (*spec.art_dirs, spec.photo_dir, spec.run_dir, spec.output))
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "Resume with:" in ln)
    command = shlex.split(line.split("Resume with: ", 1)[1])
    assert command[:3] == ["atelier", "train", "--resume"]
    assert Path(command[3]) == tmp_path / "runs" / "x" and Path(command[3]).is_absolute()


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGTERM delivery to oneself on Windows")
def test_sigterm_checkpoints_like_ctrl_c(tmp_path, monkeypatch, capsys, atelier_home, fake_training):
    (tmp_path / "art").mkdir()
    (tmp_path / "photos").mkdir()
    monkeypatch.chdir(tmp_path)
    killed_outright = []
    previous = signal.signal(signal.SIGTERM, lambda *_a: killed_outright.append(True))  # stands in for "exit"
    try:
        fake_training["during"] = lambda _p: os.kill(os.getpid(), signal.SIGTERM)
        assert main(_train_argv(tmp_path)) == 130
        assert fake_training["cancelled"] and not killed_outright  # the run was asked to stop, not killed
        assert "Resume with:" in capsys.readouterr().out
        assert signal.getsignal(signal.SIGTERM) is not previous  # our stand-in is back after the command
        os.kill(os.getpid(), signal.SIGTERM)
        assert killed_outright == [True]
    finally:
        signal.signal(signal.SIGTERM, previous)



def test_a_run_saved_with_settings_since_removed_resumes_and_says_so(caplog):
    from dataclasses import asdict

    from engine.training.trainer import TrainConfig

    saved = {**asdict(TINY), "palette_hue_limit": 45.0, "palette_chroma_keep": 0.0}  # removed on 2026-12-06
    with caplog.at_level(logging.WARNING, logger="engine.training.trainer"):
        config = TrainConfig.from_dict(saved)
    assert config == TrainConfig.from_dict(asdict(TINY))
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "palette_hue_limit" in said[0] and "palette_chroma_keep" not in said[0]
