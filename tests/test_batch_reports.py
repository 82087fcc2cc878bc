"""Batch reports: written whole or not at all, readable whatever the file names, one per run."""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

import pytest
from PIL import Image

from engine.batch import REPORT_NAME
from engine.cli import main
from tests.conftest import photo


def _stylize(src: Path, out: Path) -> int:
    return main(["stylize", str(src), "--style", "mine", "--out", str(out), "--device", "cpu"])


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="these file systems refuse names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_gives_a_valid_report(style, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    latin1 = os.fsdecode(b"caf\xe9.png")  # a name written by an old Latin-1 system
    Image.fromarray(photo(64, 48)).save(src / latin1)
    (src / os.fsdecode(b"d\xe9j\xe0.jpg")).write_bytes(b"not a photo")
    out = tmp_path / "out"
    assert _stylize(src, out) == 1  # one photo failed (the fake one); the run itself ended normally
    captured = capsys.readouterr()
    assert "caf\\xe9" in captured.out and "Traceback" not in captured.err
    report = json.loads((out / REPORT_NAME).read_bytes().decode("utf-8"))
    assert [Path(p).name for p in report["done"]] == ["caf\\xe9_mine.png"]
    assert Path(report["failed"][0]["file"]).name == "d\\xe9j\\xe0.jpg"
    assert (out / os.fsdecode(b"caf\xe9_mine.png")).is_file()  # the painting has the photo's real name


def test_every_run_keeps_its_report(style, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(photo(64, 48)).save(src / "a.png")
    out = tmp_path / "out"
    assert _stylize(src, out) == 0
    Image.fromarray(photo(64, 48, seed=1)).save(src / "b.png")
    assert _stylize(src, out) == 0
    history = sorted((out / "atelier-reports").glob("*.json"))
    assert len(history) == 2
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in history]
    assert [len(r["done"]) for r in runs] == [1, 1] and [len(r["skipped"]) for r in runs] == [0, 1]
    assert json.loads((out / REPORT_NAME).read_text(encoding="utf-8")) == runs[1]  # the latest, as before
    assert str(history[1]) in capsys.readouterr().out


def test_a_report_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    from engine.atomicfile import write_text_atomic

    path = tmp_path / "r.json"
    write_text_atomic(path, '{"run": 1}')

    def disk_full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        write_text_atomic(path, '{"run": 2}')
    assert path.read_text() == '{"run": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind
