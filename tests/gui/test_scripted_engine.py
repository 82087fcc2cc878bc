"""The window against a scripted fake engine: failures become readable messages, cancels reset."""

from __future__ import annotations

import pytest

from engine.batch import BatchReport
from engine.messages import (
    Cancel,
    JobCancelled,
    JobFailed,
    JobNotice,
    JobPreview,
    JobProgress,
    JobStarted,
    Pause,
    Resume,
    StylizeFolder,
    StylizePreview,
)
from tests.gui.conftest import ScriptedRuntime

pytestmark = pytest.mark.gui


def test_engine_failure_is_shown_as_a_message(make_window, qtbot, photo_file):
    def fail(req, sink):
        sink(JobStarted(req.job_id, "StylizePreview", "cuda:0: Fake GPU, half precision"))
        sink(JobFailed(req.job_id, "the style file tiny is damaged: reinstall it", "Traceback: ..."))

    runtime = ScriptedRuntime({StylizePreview: fail})
    window = make_window(runtime=runtime)
    window.photo.open_file(photo_file)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    assert window.banner.label.text() == "The style file tiny is damaged: reinstall it."
    assert window.banner.details.isVisible()  # technical detail one click away
    assert not window.photo.busy  # nothing left spinning
    assert window.photo_panel.save_button.isEnabled()  # never a dead button
    assert window.device_label.text() == "Device: cuda:0: Fake GPU, half precision"
    # a later attempt is still possible: choosing another style asks the engine again
    window.gallery.select("tiny_two")
    assert isinstance(runtime.requests[-1], StylizePreview) and runtime.requests[-1].style == "tiny_two"


def test_notices_reach_the_status_bar(make_window, qtbot, photo_file):
    def notice(req, sink):
        sink(JobNotice(req.job_id, "Out of memory on cuda:0: retrying with 512px tiles"))

    window = make_window(runtime=ScriptedRuntime({StylizePreview: notice}))
    window.photo.open_file(photo_file)
    qtbot.waitUntil(lambda: "retrying" in window.statusBar().currentMessage(), timeout=5000)


def test_batch_pause_resume_and_cancel_paths(make_window, qtbot, photo_dir, tmp_path):
    def run(req, sink):
        sink(JobStarted(req.job_id, "StylizeFolder", "cpu: fake"))
        sink(JobProgress(req.job_id, 0.25, "1/4 p1.jpg", 12.0))
        sink(JobPreview(req.job_id, bytes(8 * 6 * 3), 8, 6, "p0_tiny.jpg"))

    def cancel(req, sink):
        sink(JobCancelled(req.target))

    runtime = ScriptedRuntime({StylizeFolder: run, Cancel: cancel})
    window = make_window(runtime=runtime)
    window.batch_panel.input_edit.setText(str(photo_dir))
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch.count_text == "1 of 4 · p1.jpg", timeout=5000)
    assert window.batch_panel.eta_label.text() == "about 12 s left"
    qtbot.waitUntil(lambda: window.batch.thumbnail is not None, timeout=5000)
    assert window.batch_panel.thumb_caption.text() == "p0_tiny.jpg"
    request = runtime.requests[0]
    assert request.out_dir == photo_dir / "stylized" and request.device == "cpu"

    window.batch_panel.pause_button.click()
    window.batch_panel.pause_button.click()
    assert [type(r) for r in runtime.requests[1:]] == [Pause, Resume]

    window.batch_panel.cancel_button.click()
    qtbot.waitUntil(lambda: window.batch.state == "cancelled", timeout=5000)
    assert window.batch_panel.start_button.isEnabled() and not window.batch_panel.cancel_button.isEnabled()
    assert "Stopped" in window.batch_panel.summary_label.text()


def test_batch_failure_is_shown_and_start_is_possible_again(make_window, qtbot, photo_dir):
    def run(req, sink):
        sink(JobFailed(req.job_id, "the output folder is read-only"))

    window = make_window(runtime=ScriptedRuntime({StylizeFolder: run}))
    window.batch_panel.input_edit.setText(str(photo_dir))
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch.state == "failed", timeout=5000)
    assert "read-only" in window.banner.label.text()
    assert window.batch_panel.start_button.isEnabled()


def test_a_finished_batch_lists_the_files_that_failed(make_window, qtbot, photo_dir):
    from engine.messages import JobFinished

    why = "photo_tiny.png is not an Atelier painting and is never replaced"
    reports = [BatchReport("tiny", "cpu", done=["a"], failed=[{"file": "/x/bad.jpg", "reason": "truncated"}],
                           seconds=1.0, out_dirs=[str(photo_dir)]),
               BatchReport("tiny", "cpu", done=["/x/photo_tiny-2.png"], seconds=1.0, out_dirs=[str(photo_dir)],
                           renamed=[{"file": "/x/photo.png", "output": "/x/photo_tiny-2.png", "why": why}],
                           left_alone=["/x/old_tiny.png"])]
    runtime = ScriptedRuntime({StylizeFolder: lambda req, sink: sink(JobFinished(req.job_id, reports.pop(0), 1.0))})
    window = make_window(runtime=runtime)
    window.batch_panel.input_edit.setText(str(photo_dir))
    window.start_batch()
    qtbot.waitUntil(lambda: window.batch.state == "done", timeout=5000)
    assert window.batch_panel.failures.item(0).text() == "bad.jpg: truncated"
    assert "1 failed" in window.batch.summary

    window.start_batch()  # again: this run renamed one painting and left an earlier one alone
    qtbot.waitUntil(lambda: not reports and window.batch.state == "done", timeout=5000)
    assert why in window.batch.summary and "1 earlier paintings left as they are" in window.batch.summary


def test_close_shuts_the_engine_down(make_window):
    runtime = ScriptedRuntime({})
    window = make_window(runtime=runtime)
    window.close()
    assert runtime.shut


def test_preview_is_a_single_slot_newest_setting_wins(make_window, qtbot, photo_file):
    """While one preview runs, style changes do not queue: only the newest runs next."""
    from engine.messages import JobFinished

    runtime = ScriptedRuntime({})  # previews never answer until we say so
    window = make_window(runtime=runtime)
    handles = []
    window.bridge.job_submitted.connect(handles.append)

    def photo_previews():  # the gallery cards' own small previews are background jobs, not counted here
        return [h.request.style for h in handles if not h.background]

    window.photo.open_file(photo_file)
    assert photo_previews() == ["tiny"]
    window.gallery.select("tiny_two")
    window.gallery.select("tiny")
    window.gallery.select("tiny_two")
    assert len(photo_previews()) == 1
    runtime.send(JobFinished(handles[0].job_id, None, 0.1))
    qtbot.waitUntil(lambda: len(photo_previews()) == 2, timeout=5000)
    assert photo_previews() == ["tiny", "tiny_two"]
