"""Output folders: two batches never hurt each other, and a folder that cannot take the paintings is
reported once, before anything is painted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from engine.batch import collect_inputs, run_batch
from engine.cli import main
from engine.devices import resolve_device
from engine.errors import OutputError
from engine.messages import StylizeOptions
from engine.models.host import ModelHost
from engine.progress import Progress
from tests.conftest import photo

ROOT = Path(__file__).resolve().parents[1]


def _photos(folder: Path, n: int = 3) -> Path:
    folder.mkdir()
    for i in range(n):
        Image.fromarray(photo(64, 48, seed=i)).save(folder / f"p{i}.png")
    return folder


def _stylize(src: Path, out: Path) -> int:
    return main(["stylize", str(src), "--style", "mine", "--out", str(out), "--device", "cpu"])


@pytest.fixture
def other_batch(tmp_path):
    """Another running Atelier process that holds the lock of a folder (as a batch does) until told to stop."""
    procs = []

    def start(folder: Path) -> subprocess.Popen:
        code = ("import sys; from pathlib import Path; from engine.folderlock import claim_output_folders\n"
                "with claim_output_folders([Path(sys.argv[1])]):\n"
                "    print('holding', flush=True); sys.stdin.read()\n")
        p = subprocess.Popen([sys.executable, "-c", code, str(folder)], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        procs.append(p)
        assert p.stdout.readline().strip() == "holding"
        return p

    yield start
    for p in procs:
        p.stdin.close()
        p.wait(30)


def test_a_second_batch_into_a_busy_folder_is_refused_with_the_owner(style, tmp_path, capsys, other_batch,
                                                                      catalog):
    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    holder = other_batch(out)
    with pytest.raises(OutputError, match=f"pid {holder.pid}"):  # what the GUI's batch gets as JobFailed
        run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]), out,
                  StylizeOptions(), Progress())
    assert _stylize(src, out) == 1
    err = capsys.readouterr().err
    assert f"pid {holder.pid}" in err and str(out) in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1
    assert not list(out.glob("*.png"))  # nothing painted
    holder.stdin.close()
    holder.wait(30)
    assert _stylize(src, out) == 0  # free again once the other batch ends
    assert len(list(out.glob("*_mine.png"))) == 3


def test_a_lock_left_by_a_dead_batch_is_taken_over(style, tmp_path, other_batch):
    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    holder = other_batch(out)
    holder.kill()  # killed like `kill -9`: its lock file stays behind
    holder.wait(30)
    assert _stylize(src, out) == 0
    assert len(list(out.glob("*_mine.png"))) == 3
    assert not [p for p in out.iterdir() if "lock" in p.name]  # released at the end


def test_startup_cleanup_keeps_a_live_writers_temp_file(style, tmp_path, catalog):
    """A temp file of a process that is still writing it is not ours to delete; one of a dead process is."""
    from engine.imageio import partial_path

    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    out.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(30)
    try:
        writing = partial_path(out / "q_tiny.png", live.pid)
        stale = partial_path(out / "r_tiny.png", dead.pid)
        writing.write_bytes(b"half an image")
        stale.write_bytes(b"left by a killed run")
        run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]), out,
                  StylizeOptions(), Progress())
        assert writing.read_bytes() == b"half an image"
        assert not stale.exists()
    finally:
        live.stdin.close()
        live.wait(30)


def test_an_output_folder_that_is_a_file_is_reported_once_before_painting(style, tmp_path, capsys):
    src = _photos(tmp_path / "in")
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    assert _stylize(src, blocker) == 1
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert lines[-1].startswith("error: ") and str(blocker) in lines[-1] and "is a file" in lines[-1]
    assert sum("out" in ln for ln in lines) == 1, captured.err  # once, not once per photo
    assert "stylized" not in captured.out  # no summary: nothing was painted
    assert blocker.read_text() == "not a folder"


def test_an_output_folder_that_cannot_be_written_is_reported_once_before_painting(style, tmp_path, capsys,
                                                                                 monkeypatch):
    """Read-only folders (simulated: tests may run as root, which ignores permissions)."""
    import errno

    import engine.folderlock as folderlock

    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    out.mkdir()
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if Path(os.fsdecode(path)).parent == out and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(folderlock.os, "open", read_only)
    assert _stylize(src, out) == 1
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[-1].startswith("error: ") and str(out) in lines[-1] and "ermission denied" in lines[-1]
    assert sum(str(out) in ln for ln in lines) == 1, err
    assert list(out.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root ignores permissions")
def test_a_read_only_output_folder_for_real(style, tmp_path, capsys):
    src, out = _photos(tmp_path / "in"), tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert _stylize(src, out) == 1
        assert str(out) in capsys.readouterr().err
    finally:
        out.chmod(0o700)


def test_styles_export_into_a_missing_folder_is_one_line(style, tmp_path, capsys):
    assert main(["styles", "export", "mine", str(tmp_path / "missing" / "dir" / "file.atelier-style")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "missing" in err and "Traceback" not in err
