"""Folders without loss: resume after a kill, skip finished, report unreadable files, never touch originals."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.batch import REPORT_NAME, collect_inputs, run_batch
from engine.devices import resolve_device
from engine.messages import StylizeOptions
from engine.models.host import ModelHost
from engine.paths import format_samples
from engine.progress import Progress
from tests.conftest import make_style, photo

ROOT = Path(__file__).resolve().parents[1]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _folder(tmp_path: Path, n: int, size=(160, 120)) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(n):
        Image.fromarray(photo(*size, seed=i)).save(d / f"img_{i:03d}.jpg", quality=90)
    return d


def test_batch_reports_unreadable_files_and_goes_on(catalog, tmp_path):
    src = _folder(tmp_path, 3)
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (src / "empty.png").write_bytes(b"")
    before = _hashes(src)
    out = tmp_path / "out"
    report = run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]), out,
                       StylizeOptions(), Progress())
    assert len(report.done) == 3
    assert {Path(f["file"]).name for f in report.failed} == {"broken.jpg", "empty.png"}
    assert all(f["reason"] for f in report.failed)
    data = json.loads((out / REPORT_NAME).read_text())
    assert len(data["failed"]) == 2 and len(data["done"]) == 3
    assert _hashes(src) == before
    # a second run skips everything that is done
    again = run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]), out,
                      StylizeOptions(), Progress())
    assert len(again.skipped) == 3 and not again.done


def test_default_output_folder_and_recursive_layout(catalog, tmp_path):
    src = _folder(tmp_path, 1)
    (src / "sub").mkdir()
    Image.fromarray(photo(64, 48)).save(src / "sub" / "deep.png")
    report = run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"),
                       collect_inputs([src], recursive=True), None, StylizeOptions(), Progress())
    assert (src / "stylized" / "img_000_tiny.jpg").exists()
    assert (src / "sub" / "stylized" / "deep_tiny.png").exists()
    assert len(report.done) == 2


def test_no_images_is_a_clear_error(tmp_path):
    from engine.errors import ImageReadError

    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageReadError, match="no images found.*--recursive, or Include subfolders in the app"):
        collect_inputs([tmp_path / "empty"])


def test_a_folder_of_camera_raw_files_says_what_to_do(tmp_path):
    """A photographer's RAW folder is not "empty": the message says what it holds and what to do."""
    from engine.errors import ImageReadError

    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(3):
        (raw / f"IMG_{i}.CR2").write_bytes(b"II*\x00 raw")
    (raw / "notes.txt").write_text("shot list")
    with pytest.raises(ImageReadError) as err:
        collect_inputs([raw], recursive=True)
    message = str(err.value)
    assert "3 .cr2 files" in message and "1 .txt" in message and "jpg" in message and "heic" in message
    assert "RAW files must be exported" in message and "--recursive" not in message


@pytest.mark.slow
def test_resume_after_kill_loses_nothing(tmp_path):
    n = 14
    src = _folder(tmp_path, n, size=(640, 480))
    before = _hashes(src)
    style = make_style(tmp_path / "s.atelier-style", "Kill Test")
    out = tmp_path / "out"
    env = {**os.environ, "ATELIER_HOME": str(tmp_path / "home"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "engine", "stylize", str(src), "--style", str(style), "--out", str(out),
           "--device", "cpu"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*_kill_test.jpg"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = sorted(out.glob("*_kill_test.jpg"))
    assert 3 <= len(first) < n, "the kill should land mid-batch"
    for p in first:  # every output present is complete
        Image.open(p).load()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{len(first)} already done" in r.stdout
    final = sorted(out.glob("*_kill_test.jpg"))
    assert len(final) == n
    for p in final:
        with Image.open(p) as im:
            im.load()
            assert im.size == (640, 480)
    assert not list(out.glob(".*partial*"))
    assert _hashes(src) == before


def test_paintings_beside_another_share_the_cores_and_a_photo_painted_alone_gets_them_all(catalog, tmp_path,
                                                                                          monkeypatch):
    """Two photos at once on two cores run ONNX Runtime and torch on one thread each; a large photo,
    painted with nothing beside it, on the generator's own count and torch's two (it would otherwise
    leave a core idle: torch paints where ONNX Runtime is not used, and does the steps around it)."""
    import torch

    import engine.batch as batch
    from engine import inference

    src = _folder(tmp_path, 4)
    Image.fromarray(photo(640, 480, seed=9)).save(src / "large.jpg", quality=90)  # over the tile: alone
    seen: list[tuple[int, int | None, int]] = []
    real = batch.stylize_loaded

    def recording(host, path, model, image, options, *rest):
        seen.append((max(image.rgb.shape[:2]), inference._onnx_threads, torch.get_num_threads()))
        return real(host, path, model, image, options, *rest)

    monkeypatch.setattr(batch, "stylize_loaded", recording)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        host = ModelHost()
        report = run_batch(host, catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]),
                           tmp_path / "out", StylizeOptions(tile_size=256), Progress(), painters=2)
    finally:
        torch.set_num_threads(before)
    assert len(report.done) == 5
    assert sorted(set(seen)) == [(160, 1, 1), (640, None, 2)]
    # The batch's 1-thread sessions (a memory pool each) are given back; the generator's own stays.
    model = host.get(catalog.find("tiny").path, resolve_device("cpu"))
    assert model.onnx is not None and model.onnx.session_thread_counts() == {model.onnx.threads}


def test_a_folder_of_iphone_photos_is_painted(catalog, tmp_path):
    """A phone's HEIC photos are collected and painted (into JPEGs), the originals untouched."""
    src = tmp_path / "phone"
    src.mkdir()
    heic = format_samples()[0]
    (src / "IMG_0001.HEIC").write_bytes(heic.read_bytes())
    before = _hashes(src)
    out = tmp_path / "out"
    report = run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]), out,
                       StylizeOptions(), Progress())
    assert not report.failed and len(report.done) == 1
    with Image.open(out / "IMG_0001_tiny.jpg") as painted:
        assert painted.format == "JPEG" and painted.size == (48, 32)
    assert _hashes(src) == before


def test_a_photo_with_a_very_long_name_is_painted_and_resumed(catalog, tmp_path):
    """Names up to 255 bytes are legal, and "_<style>.jpg" pushed one past: the OS refused the output and
    the whole batch stopped with "File name too long". The name is cut to fit; a rerun finds it done."""
    src = tmp_path / "in"
    src.mkdir()
    long_ascii, long_accents = "a" * 246 + ".jpg", "é" * 120 + ".jpg"  # 250 characters; 244 bytes
    for name in (long_ascii, long_accents, "short.jpg"):
        Image.fromarray(photo(48, 32)).save(src / name)
    out = tmp_path / "out"

    def run():
        return run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]), out,
                         StylizeOptions(), Progress())

    report = run()
    assert not report.failed and len(report.done) == 3
    names = sorted(p.name for p in out.glob("*.jpg"))
    assert all(len(n.encode()) <= 200 and n.endswith("_tiny.jpg") for n in names)
    assert any(n.startswith("éé") for n in names)  # cut between characters, not inside one
    assert len(run().skipped) == 3


def test_a_photo_that_hits_a_bug_fails_alone_and_the_batch_goes_on(catalog, tmp_path, monkeypatch):
    """A bug with one photo (three did so: a 1x1 photo, a 3 px strip, a long name) stopped the whole batch,
    and a rerun stopped at the same photo again. Now that photo fails, saying what happened."""
    import engine.batch

    src = _folder(tmp_path, 4)
    real = engine.batch.stylize_loaded

    def buggy(host, path, model, image, *args, **kwargs):
        if image.rgb[0, 0, 0] == bug_pixel:
            raise RuntimeError("a bug no check foresaw")
        return real(host, path, model, image, *args, **kwargs)

    bug_pixel = np.asarray(Image.open(src / "img_001.jpg"))[0, 0, 0]
    monkeypatch.setattr(engine.batch, "stylize_loaded", buggy)
    report = run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]),
                       tmp_path / "out", StylizeOptions(), Progress())
    assert len(report.done) == 3 and [Path(f["file"]).name for f in report.failed] == ["img_001.jpg"]
    assert report.failed[0]["reason"] == "unexpected error, please report it (RuntimeError: a bug no check foresaw)"


def test_a_bug_in_every_photo_still_ends_the_batch(catalog, tmp_path, monkeypatch):
    """Three photos in a row failing so is not about a photo (a broken install): the batch ends, raising."""
    import engine.batch

    def broken(*_args, **_kwargs):
        raise RuntimeError("the model is broken")

    monkeypatch.setattr(engine.batch, "stylize_loaded", broken)
    with pytest.raises(RuntimeError, match="the model is broken"):
        run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([_folder(tmp_path, 6)]),
                  tmp_path / "out", StylizeOptions(), Progress())
