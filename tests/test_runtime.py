"""The engine thread: typed events in order, cancel, single-slot live frames, clear failures."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from engine.messages import (
    FrameResult,
    JobCancelled,
    JobFailed,
    JobFinished,
    JobProgress,
    JobStarted,
    StylizeFolder,
    StylizeFrame,
    StylizeImage,
)
from engine.runtime import EngineRuntime
from tests.conftest import photo


def _collect(catalog):
    events: queue.Queue = queue.Queue()
    rt = EngineRuntime(events.put, catalog).start()
    return rt, events


def _until(events: queue.Queue, job: int, kinds, timeout: float = 60.0):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            e = events.get(timeout=0.5)
        except queue.Empty:
            continue
        if e.job_id == job:
            seen.append(e)
            if isinstance(e, kinds):
                return seen
    raise AssertionError(f"no {kinds} for job {job}; saw {seen}")


def test_stylize_image_reports_start_progress_finish(catalog, tmp_path):
    src = tmp_path / "in.png"
    Image.fromarray(photo(80, 60)).save(src)
    rt, events = _collect(catalog)
    try:
        req = StylizeImage(input=src, output=tmp_path / "out.png", style="tiny", device="cpu")
        rt.submit(req)
        seen = _until(events, req.job_id, (JobFinished, JobFailed))
        assert isinstance(seen[0], JobStarted)
        assert isinstance(seen[-1], JobFinished), seen[-1]
        assert Image.open(tmp_path / "out.png").size == (80, 60)
    finally:
        rt.shutdown()


def test_unknown_style_fails_with_clear_message(catalog, tmp_path):
    rt, events = _collect(catalog)
    try:
        req = StylizeImage(input=tmp_path / "x.png", output=tmp_path / "o.png", style="nope", device="cpu")
        rt.submit(req)
        last = _until(events, req.job_id, (JobFinished, JobFailed))[-1]
        assert isinstance(last, JobFailed)
        assert "no style named 'nope'" in last.message and "tiny" in last.message
    finally:
        rt.shutdown()


def test_cancel_folder_job_leaves_no_partial_files(catalog, tmp_path):
    src = tmp_path / "many"
    src.mkdir()
    for i in range(30):
        Image.fromarray(photo(120, 90, seed=i)).save(src / f"{i:02d}.png")
    out = tmp_path / "out"
    rt, events = _collect(catalog)
    try:
        req = StylizeFolder(inputs=(src,), out_dir=out, style="tiny", device="cpu")
        rt.submit(req)
        seen = []
        while not any(isinstance(e, JobProgress) and e.fraction > 0.1 for e in seen):
            seen += _until(events, req.job_id, (JobProgress,))
        from engine.messages import Cancel
        rt.submit(Cancel(target=req.job_id))
        last = _until(events, req.job_id, (JobFinished, JobCancelled, JobFailed))[-1]
        assert isinstance(last, JobFinished | JobCancelled)
        report = last.result
        assert report is None or report.cancelled
        assert not list(out.glob(".*partial*"))
        written = sorted(out.glob("*.png"))
        assert 0 < len(written) < 30
        for p in written:  # every file present is a complete image
            Image.open(p).load()
    finally:
        rt.shutdown()


def test_live_slot_keeps_only_newest_frame(catalog):
    rt = EngineRuntime(lambda e: None, catalog)  # not started: frames pile into the slot
    frames = [StylizeFrame(pixels=photo(64, 48, seed=i).tobytes(), width=64, height=48, style="tiny",
                           device="cpu") for i in range(5)]
    for f in frames:
        rt.submit(f)
    assert rt.dropped_frames == 4
    got: list = []
    done = threading.Event()

    def sink(e):
        got.append(e)
        done.set()
    rt.sink = sink
    rt.start()
    try:
        assert done.wait(30)
        assert len([e for e in got if isinstance(e, FrameResult)]) == 1
        assert got[0].job_id == frames[-1].job_id
        out = np.frombuffer(got[0].pixels, np.uint8).reshape(got[0].height, got[0].width, 3)
        assert out.shape == (48, 64, 3)
    finally:
        rt.shutdown()


def test_live_frames_look_their_style_up_once(catalog, monkeypatch):
    rt = EngineRuntime(lambda e: None, catalog)
    calls: list[str] = []
    find = catalog.find
    monkeypatch.setattr(catalog, "find", lambda name: calls.append(name) or find(name))
    frame = dict(width=64, height=48, device="cpu")
    for i, style in enumerate(("tiny", "tiny", "tiny", "tiny_two", "tiny")):
        rt._run_frame(StylizeFrame(pixels=photo(64, 48, seed=i).tobytes(), style=style, **frame))
    assert calls == ["tiny", "tiny_two", "tiny"]  # again only when the style changes
    find("tiny").path.unlink()  # a removed style is looked up again (and reported)
    rt._run_frame(StylizeFrame(pixels=photo(64, 48).tobytes(), style="tiny", **frame))
    assert calls[-1] == "tiny" and len(calls) == 4


def test_engine_package_never_imports_qt():
    import subprocess
    import sys

    code = ("import sys, importlib, pkgutil, engine\n"
            "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
            "    if m.name != 'engine.__main__': importlib.import_module(m.name)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'desktop_app', 'shiboken6')]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0, r.stdout + r.stderr
