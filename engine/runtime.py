"""The engine thread: owns the device and the models, drains one command queue, reports events.

    client.submit(request) -> queue -> engine thread -> runner -> events -> sink (any callable)

- Cancel / Pause / Resume act at once on the target job's token (from any thread); the job notices at
  its next progress point.
- Live frames bypass the queue through a single slot: the newest frame replaces a pending one, so no
  frames ever queue up behind a slow model. A frame is served before the next queued job; while a
  long job runs, frames wait in the slot (only the newest survives).
- Idle time does housekeeping: models unused for a while are unloaded and device caches freed.
The sink is called on the engine thread; the Qt bridge forwards to the GUI thread.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from engine.catalog import Catalog, StyleEntry
from engine.devices import DeviceInfo, resolve_device
from engine.errors import AtelierError, Cancelled
from engine.messages import (
    Cancel,
    Event,
    FrameResult,
    JobCancelled,
    JobFailed,
    JobFinished,
    JobNotice,
    JobPreview,
    JobProgress,
    JobStarted,
    Pause,
    Request,
    Resume,
    Shutdown,
    StylizeFolder,
    StylizeFrame,
    StylizeImage,
    StylizePreview,
    Train,
)
from engine.models.host import ModelHost
from engine.progress import CancelToken, Progress

EventSink = Callable[[Event], None]
IDLE_HOUSEKEEPING_S = 30.0


class EngineRuntime:
    def __init__(self, sink: EventSink, catalog: Catalog | None = None) -> None:
        self.sink = sink
        self.catalog = catalog or Catalog()
        self.host = ModelHost()
        self._queue: queue.Queue[Request] = queue.Queue()
        self._tokens: dict[int, CancelToken] = {}
        self._lock = threading.Lock()
        self._frame: StylizeFrame | None = None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._live = None
        self._frame_style: tuple[str, StyleEntry] | None = None  # (name in the request, catalog entry)
        self.dropped_frames = 0
        self.current_job: int | None = None

    # ------------------------------------------------------------------------- client side
    def start(self) -> EngineRuntime:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="atelier-engine", daemon=True)
            self._thread.start()
        return self

    def submit(self, request: Request) -> int:
        if isinstance(request, Cancel | Pause | Resume):
            with self._lock:
                token = self._tokens.get(request.target)
            if token is not None:
                {Cancel: token.cancel, Pause: token.pause, Resume: token.resume}[type(request)]()
            return request.job_id
        if isinstance(request, StylizeFrame):
            with self._lock:
                if self._frame is not None:
                    self.dropped_frames += 1
                self._frame = request
            self._wake.set()
            return request.job_id
        with self._lock:
            self._tokens[request.job_id] = CancelToken()
        self._queue.put(request)
        self._wake.set()
        return request.job_id

    def finish_early(self, job_id: int) -> None:
        """Ask a training job to stop now and keep its best result."""
        with self._lock:
            token = self._tokens.get(job_id)
        if token is not None:
            token.finish()

    def shutdown(self, timeout: float = 10.0) -> None:
        with self._lock:
            for t in self._tokens.values():
                t.cancel()
        self._queue.put(Shutdown())
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def busy(self) -> bool:
        return self.current_job is not None

    # ------------------------------------------------------------------------- engine thread
    def _loop(self) -> None:
        last_activity = time.monotonic()
        while True:
            with self._lock:
                frame, self._frame = self._frame, None
            if frame is not None:
                self._run_frame(frame)
                last_activity = time.monotonic()
                continue
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                # Wait on the wake event, not in queue.get: a live frame goes to the slot, not the queue,
                # and must wake the thread at once (blocking in get() held frames up to a second).
                if self._wake.wait(1.0):
                    self._wake.clear()  # anything submitted before this is seen by the next iteration
                elif time.monotonic() - last_activity > IDLE_HOUSEKEEPING_S:
                    self.host.unload_idle()
                    last_activity = time.monotonic()
                continue
            if isinstance(request, Shutdown):
                self.host.clear()
                return
            self._run_job(request)
            last_activity = time.monotonic()

    def _emit(self, event: Event) -> None:
        try:
            self.sink(event)
        except Exception:  # a broken sink must not kill the engine thread
            traceback.print_exc()

    def _run_job(self, request: Request) -> None:
        job = request.job_id
        with self._lock:
            token = self._tokens.get(job) or CancelToken()
        self.current_job = job
        started = time.perf_counter()
        try:
            if token.cancelled:
                raise Cancelled()
            device = resolve_device(getattr(request, "device", "auto"), self._notice(job))
            self._emit(JobStarted(job, type(request).__name__, device.describe()))
            progress = Progress(
                lambda u: self._emit(JobProgress(job, u.fraction, u.stage, u.eta_s, u.metrics)), token)
            result = self._dispatch(request, device, progress)
            self._emit(JobFinished(job, result, time.perf_counter() - started))
        except Cancelled:
            self._emit(JobCancelled(job))
        except AtelierError as exc:
            self._emit(JobFailed(job, str(exc)))
        except Exception as exc:  # unexpected: still a message in the window, detail for a bug report
            self._emit(JobFailed(job, f"Unexpected problem: {exc}", traceback.format_exc()))
        finally:
            self.current_job = None
            with self._lock:
                self._tokens.pop(job, None)

    def _notice(self, job: int) -> Callable[[str], None]:
        return lambda message: self._emit(JobNotice(job, message))

    def _dispatch(self, request: Request, device: DeviceInfo, progress: Progress):
        job = request.job_id
        if isinstance(request, StylizeImage):
            from engine.stylize import stylize_file

            entry = self.catalog.find(request.style)
            model = self.host.get(entry.path, device)
            return stylize_file(self.host, entry.path, model, request.input, request.output, request.options,
                                progress, self._notice(job), style_slug=entry.slug)
        if isinstance(request, StylizePreview):
            from engine.imageio import LoadedImage
            from engine.stylize import stylize_loaded

            entry = self.catalog.find(request.style)
            model = self.host.get(entry.path, device)
            rgb = np.frombuffer(request.pixels, np.uint8).reshape(request.height, request.width, 3)
            image = LoadedImage(rgb, None, None, None, None)
            out, _, model = stylize_loaded(self.host, entry.path, model, image, request.options, progress,
                                           self._notice(job))
            self._emit(JobPreview(job, out.tobytes(), out.shape[1], out.shape[0], entry.name))
            return {"width": out.shape[1], "height": out.shape[0], "device": model.device.spec}
        if isinstance(request, StylizeFolder):
            from engine.batch import collect_inputs, run_batch

            entry = self.catalog.find(request.style)
            inputs = collect_inputs(list(request.inputs), request.recursive)

            def on_output(path: Path) -> None:
                self._emit_thumbnail(job, path)

            return run_batch(self.host, entry, device, inputs, request.out_dir, request.options, progress,
                             self._notice(job), if_changed=request.if_changed, on_output=on_output)
        if isinstance(request, Train):
            return self._train(request, device, progress)
        raise AtelierError(f"the engine does not know how to run {type(request).__name__}")

    def _emit_thumbnail(self, job: int, path: Path, side: int = 256) -> None:
        """A batch's preview of a written painting. Shrunk before it is converted: a JPEG is then
        decoded at 1/2 to 1/8 scale (Pillow's draft), 60-75 ms instead of 230 ms for a 24 MP painting
        on the engine thread, which waits for it between photos."""
        from PIL import Image

        try:
            with Image.open(path) as im:
                im.thumbnail((side, side))
                im = im.convert("RGB")
                arr = np.asarray(im)
            self._emit(JobPreview(job, arr.tobytes(), arr.shape[1], arr.shape[0], path.name))
        except OSError:
            pass

    def _train(self, request: Train, device: DeviceInfo, progress: Progress):
        from engine.training.session import TrainSpec, spec_from_run, train_style
        from engine.training.trainer import TrainConfig

        if request.resume:
            spec = spec_from_run(request.run_dir)
            if request.minutes:  # train longer than the run already has (e.g. a finished style)
                spec = replace(spec, more_minutes=request.minutes)
        else:
            base = self.catalog.find(request.base).path if request.base else None
            config = TrainConfig(architecture=request.size, content_weight=request.content_weight,
                                 skin_colour_keep=request.skin_colour_keep,
                                 minutes=request.minutes, steps=request.steps or 4000,
                                 **({"crop": request.crop} if request.crop else {}))
            spec = TrainSpec((request.art_dir,), request.photo_dir, request.name, request.run_dir,
                             self.catalog.user_path_for(request.name), config, base, False, request.author,
                             strokes=request.strokes)
        job = request.job_id

        def on_preview(img: np.ndarray, step: int) -> None:
            self._emit(JobPreview(job, img.tobytes(), img.shape[1], img.shape[0], f"step {step}"))

        outcome = train_style(spec, device, progress, on_preview, log=self._notice(job))
        self.host.unload_idle(0, keep=0)
        return outcome

    def _live_entry(self, style: str) -> StyleEntry:
        """The live style's catalog entry, looked up once per style rather than per frame: finding a
        style by name reads the metadata of every installed style (12 ms a frame on the shared CPU).
        A style file changed in place is still reloaded (ModelHost checks the file), a removed one is
        looked up again."""
        cached = self._frame_style
        if cached is not None and cached[0] == style and cached[1].path.exists():
            return cached[1]
        entry = self.catalog.find(style)
        self._frame_style = (style, entry)
        return entry

    def _run_frame(self, frame: StylizeFrame) -> None:
        from engine.live import LiveStylizer

        try:
            device = resolve_device(frame.device)
            entry = self._live_entry(frame.style)
            model = self.host.get(entry.path, device)
            if self._live is None:
                self._live = LiveStylizer()
            rgb = np.frombuffer(frame.pixels, np.uint8).reshape(frame.height, frame.width, 3)
            out = self._live.process(model, rgb, frame.run_short_side, frame.mirror, frame.strength,
                                     brushwork=frame.brushwork)
            latency = (time.monotonic() - frame.captured_at) * 1000 if frame.captured_at else out.compute_ms
            self._emit(FrameResult(frame.job_id, out.rgb.tobytes(), out.rgb.shape[1], out.rgb.shape[0],
                                   entry.slug, latency, out.compute_ms, frame.captured_at))
        except AtelierError as exc:
            self._emit(JobFailed(frame.job_id, str(exc)))
        except Exception as exc:
            self._emit(JobFailed(frame.job_id, f"Live view problem: {exc}", traceback.format_exc()))
