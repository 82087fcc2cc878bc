"""The folder pipeline (engine.batchpipeline): reading and writing beside the model keep every promise
of the batch. Order, memory and cancel are checked with instrumented stages, never with timings."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch
from PIL import Image

import engine.batch as batch
from engine.batch import collect_inputs, run_batch
from engine.batchpipeline import Outcome, PhotoSlots, Pipeline, Stages
from engine.devices import resolve_device
from engine.errors import Cancelled, ImageReadError, OutputError
from engine.messages import StylizeOptions
from engine.models.host import ModelHost
from engine.progress import CancelToken, Progress, ProgressUpdate
from tests.conftest import photo

WAIT_S = 60.0  # a safety net against a hang, never a measure of speed


# ----------------------------------------------------------------------------- the pipeline alone
class Recorder:
    """Fake stages: a "decoded photo" is counted from read until written, as memory would be."""

    def __init__(self, slots: PhotoSlots, fail_read: set[int] = frozenset(), skip: set[int] = frozenset()) -> None:
        self.slots = slots
        self.fail_read, self.skip = fail_read, skip
        self.lock = threading.Lock()
        self.live = self.most_live = 0
        self.events: list[tuple[str, int]] = []
        self.threads: dict[str, set[int]] = {"read": set(), "paint": set(), "write": set()}

    def _enter(self, stage: str, i: int) -> None:
        with self.lock:
            self.events.append((stage, i))
            self.threads[stage].add(threading.get_ident())

    def read(self, i: int) -> dict:
        self._enter("read", i)
        if i in self.fail_read:
            raise ImageReadError(f"p{i}.jpg: cannot be decoded (broken)")
        with self.lock:
            self.live += 1
            self.most_live = max(self.most_live, self.live)
        return {"photo": i}

    def paint(self, index: int, i: int, decoded: dict, beside: bool = False) -> dict:
        self._enter("paint", i)
        return {"painting": decoded["photo"], "beside": beside}

    def write(self, i: int, painting: dict) -> Path:
        self._enter("write", i)
        with self.lock:
            self.live -= 1
        return Path(f"out/p{painting['painting']}.png")

    def stages(self, finished: list[Outcome[int]], starting=None, check=lambda: None,
               alone=lambda i, decoded: False) -> Stages[int]:
        return Stages(wanted=lambda i: i not in self.skip, pixels=lambda i: 1, read=self.read,
                      paint=lambda *args: self.paint(*args), write=self.write,
                      starting=starting or (lambda i, item: self.events.append(("start", i))),
                      finished=finished.append, check=check, alone=alone)


@pytest.mark.parametrize("painters", [1, 2])
def test_the_reader_never_holds_more_photos_than_the_slots_allow(painters):
    slots = PhotoSlots(count=2)
    rec = Recorder(slots)
    held_back = []

    def paint(index: int, i: int, decoded: dict, beside: bool) -> dict:
        if i == 0:  # hold the first photo until the reader has run ahead as far as it may
            held_back.append(slots.wait_until(lambda s: s.waiting == 1, WAIT_S))
        return Recorder.paint(rec, index, i, decoded, beside)

    rec.paint = paint
    finished: list[Outcome[int]] = []
    Pipeline(rec.stages(finished), slots, painters).run(list(range(8)))
    assert held_back == [True], "the reader was not held back by the slots"
    assert rec.most_live <= 2 and slots.peak == 2
    assert [o.index for o in finished] == list(range(8)) and all(o.output for o in finished)


def test_a_photo_larger_than_the_pixel_budget_goes_alone():
    slots = PhotoSlots(count=3, max_pixels=100)
    assert slots.acquire(80)
    got = []
    waiter = threading.Thread(target=lambda: got.append(slots.acquire(80)))
    waiter.start()
    assert slots.wait_until(lambda s: s.waiting == 1, WAIT_S)  # 80 + 80 > 100: it waits
    assert slots.peak == 1
    slots.release(80)
    waiter.join(WAIT_S)
    assert got == [True] and slots.peak == 1
    assert slots.acquire(10)  # small ones join it
    assert slots.peak == 2
    slots.release(10)
    slots.release(80)
    assert slots.acquire(500)  # one photo alone is admitted whatever its size


def test_outcomes_and_starts_come_in_order_with_failures_and_skips_in_place():
    rec = Recorder(PhotoSlots(count=3), fail_read={2, 5}, skip={3})
    finished: list[Outcome[int]] = []
    Pipeline(rec.stages(finished), rec.slots).run(list(range(7)))
    assert [o.index for o in finished] == list(range(7))
    assert [o.index for o in finished if o.error] == [2, 5]
    assert [o.index for o in finished if o.skipped] == [3]
    assert [o.index for o in finished if o.output] == [0, 1, 4, 6]
    assert [i for what, i in rec.events if what == "start"] == list(range(7))
    assert not any(i in (2, 3, 5) for what, i in rec.events if what in ("paint", "write"))
    assert rec.live == 0  # every decoded photo was let go


def test_one_painter_paints_on_the_calling_thread():
    """With one painter the model stays on the engine thread; reading and writing happen beside it."""
    rec = Recorder(PhotoSlots())
    Pipeline(rec.stages([]), rec.slots).run(list(range(5)))
    me = threading.get_ident()
    assert rec.threads["paint"] == {me}
    assert me not in rec.threads["read"] and me not in rec.threads["write"]


def test_two_painters_paint_at_once_and_hand_on_in_order():
    """The second photo's painting finishes first: it still reaches the writer and the caller second."""
    rec = Recorder(PhotoSlots(count=4))
    second_done = threading.Event()
    held = []

    def paint(index: int, i: int, decoded: dict, beside: bool) -> dict:
        if i == 0:
            held.append(second_done.wait(WAIT_S))  # only possible if photo 1 is painted meanwhile
        out = Recorder.paint(rec, index, i, decoded, beside)
        if i == 1:
            second_done.set()
        return out

    rec.paint = paint
    finished: list[Outcome[int]] = []
    Pipeline(rec.stages(finished), rec.slots, painters=2).run(list(range(6)))
    assert held == [True]
    assert [o.index for o in finished] == list(range(6)) and all(o.output for o in finished)
    assert [i for what, i in rec.events if what == "write"] == list(range(6))
    assert [i for what, i in rec.events if what == "start"] == list(range(6))
    assert threading.get_ident() not in rec.threads["paint"]


def test_a_photo_that_goes_alone_is_painted_on_the_calling_thread_with_no_other_beside_it():
    rec = Recorder(PhotoSlots(count=4))
    running, most, lock = [0], {}, threading.Lock()
    beside_of: dict[int, bool] = {}
    third_came_up = threading.Event()

    def alone(i: int, _decoded: dict) -> bool:
        if i == 3:
            third_came_up.set()
        return i == 3

    def paint(index: int, i: int, decoded: dict, beside: bool) -> dict:
        with lock:
            running[0] += 1
            most[i] = running[0]
        beside_of[i] = beside
        if i == 2:  # still painting when photo 3 comes up: 3 must wait for it
            third_came_up.wait(WAIT_S)
        out = Recorder.paint(rec, index, i, decoded, beside)
        with lock:
            running[0] -= 1
        return out

    rec.paint = paint
    finished: list[Outcome[int]] = []
    Pipeline(rec.stages(finished, alone=alone), rec.slots, painters=2).run(list(range(6)))
    assert most[3] == 1 and beside_of[3] is False
    assert all(beside_of[i] for i in (0, 1, 2, 4, 5))
    assert [o.index for o in finished] == list(range(6))


def test_a_cancel_while_waiting_for_the_reader_stops_the_batch():
    """The model thread waits for a photo still being decoded: a cancel is noticed in that wait."""
    rec = Recorder(PhotoSlots())
    reading, unblock = threading.Event(), threading.Event()
    real_read = rec.read

    def slow_read(i: int) -> dict:
        if i == 1:
            reading.set()
            unblock.wait(WAIT_S)
        return real_read(i)

    def check() -> None:  # Stop pressed while the second photo is being decoded
        if reading.is_set():
            unblock.set()  # the reader may finish now; the batch must stop anyway
            raise Cancelled()

    rec.read = slow_read
    finished: list[Outcome[int]] = []
    with pytest.raises(Cancelled):
        Pipeline(rec.stages(finished, check=check), rec.slots).run(list(range(4)))
    assert [o.index for o in finished] == [0]  # painted before the cancel: written and reported
    assert ("paint", 1) not in rec.events


def test_an_unexpected_error_in_the_writer_ends_the_batch_on_the_calling_thread():
    rec = Recorder(PhotoSlots())

    def broken_write(i: int, painting: dict) -> Path:
        raise RuntimeError("a bug in the writer")

    rec.write = broken_write
    with pytest.raises(RuntimeError, match="a bug in the writer"):
        Pipeline(rec.stages([]), rec.slots).run(list(range(6)))


# ----------------------------------------------------------------------------- through run_batch
def _folder(tmp_path: Path, n: int, broken: set[int] = frozenset()) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(n):
        if i in broken:
            (d / f"p{i:02d}.jpg").write_bytes(b"\xff\xd8\xff not really a photo")
        else:
            Image.fromarray(photo(64, 48, seed=i)).save(d / f"p{i:02d}.jpg", quality=90)
    return d


def _run(catalog, src: Path, out: Path, progress: Progress, **kwargs):
    return run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]), out,
                     StylizeOptions(), progress, **kwargs)


@pytest.mark.parametrize("painters", [1, 2])
def test_progress_report_and_outputs_stay_in_order_with_a_broken_photo_in_the_middle(catalog, tmp_path, painters):
    src = _folder(tmp_path, 7, broken={3})
    updates: list[ProgressUpdate] = []
    sink_threads: set[int] = set()
    outputs: list[tuple[Path, int]] = []

    def sink(u: ProgressUpdate) -> None:
        updates.append(u)
        sink_threads.add(threading.get_ident())

    report = _run(catalog, src, tmp_path / "out", Progress(sink), painters=painters,
                  on_output=lambda p: outputs.append((p, threading.get_ident())))
    names = [f"p{i:02d}" for i in range(7)]
    assert [Path(f["file"]).name for f in report.failed] == ["p03.jpg"]
    assert "not an image" in report.failed[0]["reason"]
    assert [Path(p).name for p in report.done] == [f"{n}_tiny.jpg" for n in names if n != "p03"]
    assert [p for p, _ in outputs] == [Path(p) for p in report.done]
    assert {t for _, t in outputs} == {threading.get_ident()}  # thumbnails are asked for on the engine thread
    assert sink_threads == {threading.get_ident()}  # and progress comes from it alone
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    starts = [u.stage.split(" ", 1)[1] for u in updates if u.stage[:1].isdigit() and " " in u.stage]
    assert starts == [f"{n}.jpg" for n in names]
    assert updates[-1].metrics == {"done": 6, "failed": 1}
    for p in report.done:
        with Image.open(p) as im:
            im.load()


def test_a_write_that_fails_is_told_and_the_rest_are_written(catalog, tmp_path, monkeypatch):
    src = _folder(tmp_path, 5)
    real = batch.write_painting

    def disk_full_once(input_path, output, *args, **kwargs):
        if Path(input_path).name == "p02.jpg":
            raise OutputError(f"cannot write {Path(output).name} to {Path(output).parent}: the disk is full")
        return real(input_path, output, *args, **kwargs)

    monkeypatch.setattr(batch, "write_painting", disk_full_once)
    notices: list[str] = []
    report = _run(catalog, src, tmp_path / "out", Progress(), notice=notices.append)
    assert [Path(f["file"]).name for f in report.failed] == ["p02.jpg"]
    assert len(report.done) == 4 and any("disk is full" in m for m in notices)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.jpg")) == sorted(Path(p).name for p in report.done)


@pytest.mark.parametrize("painters", [1, 2])
def test_cancel_mid_pipeline_keeps_what_was_painted_and_leaves_nothing_half_written(catalog, tmp_path, painters):
    src = _folder(tmp_path, 8)
    out = tmp_path / "out"
    token = CancelToken()

    def sink(u: ProgressUpdate) -> None:
        if u.stage.startswith("3/8"):  # Stop pressed as the fourth photo comes up
            token.cancel()

    report = _run(catalog, src, out, Progress(sink, token), painters=painters)
    assert report.cancelled
    # Paintings finished before the Stop are written whole (the fourth too: a photo this small has no
    # progress point inside, as before the pipeline); nothing after them is started.
    assert [Path(p).name for p in report.done] == [f"p{i:02d}_tiny.jpg" for i in range(4)]
    assert sorted(p.name for p in out.glob("*.jpg")) == [Path(p).name for p in report.done]
    assert not [p for p in out.iterdir() if "partial" in p.name or "lock" in p.name]
    for p in report.done:
        with Image.open(p) as im:
            im.load()
    assert report.report_path is not None and report.report_path.is_file()
    again = _run(catalog, src, out, Progress())  # and the batch resumes from there
    assert len(again.skipped) == 4 and len(again.done) == 4


def test_run_batch_keeps_to_the_slots_it_is_given(catalog, tmp_path):
    src = _folder(tmp_path, 6)
    slots = PhotoSlots(count=2)
    report = _run(catalog, src, tmp_path / "out", Progress(), slots=slots)
    assert len(report.done) == 6 and 1 <= slots.peak <= 2


def test_the_painters_share_torch_threads_for_the_batch_and_give_them_back(catalog, tmp_path, monkeypatch):
    before = torch.get_num_threads()
    if before < 2:
        pytest.skip("one thread: a single painter has it")
    seen: list[int] = []
    real = batch.stylize_loaded

    def counting(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "stylize_loaded", counting)
    report = _run(catalog, _folder(tmp_path, 4), tmp_path / "out", Progress(), painters=2)
    assert len(report.done) == 4
    assert set(seen) == {before // 2}
    assert torch.get_num_threads() == before
