"""Where a folder batch's time goes, per photo and per stage, and how much of it the pipeline hides.

Why: the folder was slower than the peer although a single photo was faster (issue 17), so the time
outside the model had to be found before anything was overlapped. Two parts, one run:

1. Serial breakdown: each stage of one photo's way through the batch called on its own, in order,
   on the same photos (decode, resize, model, finishing, uint8, mark, EXIF, encode, write + fsync),
   plus the once-per-batch work (planning, folder locks, temp-file cleanup, report) divided by the
   number of photos: median wall ms per photo and median CPU ms (the process's CPU time, far less
   disturbed than wall time by other programs on a shared machine).
2. `engine.batch.run_batch` itself, with one photo in flight (the stages one after another, as
   before the pipeline), with the pipeline and one painter, and with two painters (two photos at
   once, one thread each; engine.batchthreads), alternated `--repeats` times: wall ms per photo,
   and each stage's wall ms per photo in the thread that runs it (`paint`: summed over the
   painters). `paint waited` = wall - paint / painters. Hidden = the share of all per-photo work
   that ran beside other work, 1 - wall / (read + paint + write).

Inputs are made like bench/inference.py's folder case (JPEGs of 1024x768, quality 92, from
shared/data/photos). The 1-minute load average is printed with every figure: on a shared machine
figures are only comparable inside one run.

    python bench/batch_profile.py --photos 20 --repeats 2 [--threads 2] [--style van_gogh]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import PHOTOS, fmt_table, median, style_file  # noqa: E402
from bench.inference import cover_resize  # noqa: E402

Times = dict[str, list[float]]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def make_folder(folder: Path, count: int, size: tuple[int, int] = (1024, 768)) -> list[Path]:
    """`count` JPEGs made like bench/inference.py's folder case."""
    folder.mkdir(parents=True, exist_ok=True)
    pool = sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    for i in range(count):
        im = Image.open(pool[i % len(pool)]).convert("RGB")
        cover_resize(im, size).save(folder / f"img_{i:03d}.jpg", quality=92)
    return sorted(folder.iterdir())


def _timed(wall: Times, cpu: Times, name: str, fn: Callable[[], Any]) -> Any:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    wall.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
    cpu.setdefault(name, []).append((time.process_time() - c0) * 1000)
    return out


def serial_breakdown(model, files: list[Path], options, look, out: Path, repeats: int) -> tuple[Times, Times]:
    """Each per-photo stage of the batch, one after another, as the serial batch ran them."""
    import torch

    from engine.imageio import _exif_for_output, load_image, partial_path, to_pil
    from engine.pixels import to_tensor
    from engine.provenance import mark_for
    from engine.stylize import _fit, finish, finish_painting
    from engine.tiling import _pad_to

    out.mkdir(parents=True, exist_ok=True)
    wall: Times = {}
    cpu: Times = {}
    timed = functools.partial(_timed, wall, cpu)
    g = model.generator
    # With the ONNX Runtime engine (LoadedModel.run, issue 17 item 2) the model runs through `run` and
    # torch's own steps on one thread (`torch_side`); before it, through the torch module.
    run = getattr(model, "run", None)
    torch_side = getattr(model, "torch_side", contextlib.nullcontext)

    def to_input(rgb: np.ndarray):
        with torch_side():
            x, h, w = _pad_to(to_tensor(rgb), g.config.factor)
            return (x if run else model.prepare(x)), h, w

    def forward(x):
        if run:
            return run(x)
        with torch.inference_mode():
            return g(x)

    def finishing(raw: np.ndarray) -> np.ndarray:
        with torch_side():
            return finish_painting(raw, model, options.brushwork)  # what the app runs, not a copy of it

    def encode(pixels: np.ndarray, exif: bytes | None, icc: bytes | None) -> bytes:
        buf = io.BytesIO()
        params: dict[str, Any] = {"quality": options.jpeg_quality, "subsampling": 0}
        if exif:
            params["exif"] = exif
        if icc:
            params["icc_profile"] = icc
        to_pil(pixels, None).save(buf, format="JPEG", **params)
        return buf.getvalue()

    def write(data: bytes, target: Path) -> None:
        tmp = partial_path(target)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)

    for _ in range(repeats):
        for f in files:
            target = out / f"{f.stem}_profile.jpg"
            image = timed("decode (load_image)", lambda f=f: load_image(f))
            rgb, _alpha = timed("resize (_fit)", lambda im=image: _fit(im.rgb, im.alpha, options.max_size))
            x, h, w = timed("to tensor", lambda rgb=rgb: to_input(rgb))
            y = timed("model (generator)", lambda x=x: forward(x))
            raw = timed("from tensor", lambda y=y, h=h, w=w: y.float()[..., :h, :w][0].permute(1, 2, 0).cpu().numpy())
            painted = timed("finishing (fringes, brushwork)", lambda raw=raw: finishing(raw))
            pixels = timed("to uint8 (finish)", lambda p=painted, rgb=rgb: finish(p, rgb, options.strength,
                                                                                  options.preserve_colors))
            mark = timed("mark (provenance)", lambda f=f, t=target: mark_for(f, t, "profile", look))
            exif = timed("EXIF", lambda im=image, m=mark: _exif_for_output(im.exif, m))
            data = timed("encode (JPEG q95)", lambda p=pixels, e=exif, im=image: encode(p, e, im.icc_profile))
            timed("write + fsync + rename", lambda d=data, t=target: write(d, t))
    return wall, cpu


def once_per_batch(files: list[Path], slug: str, style: Path, device, options, tmp: Path) -> dict[str, float]:
    """The work a batch does once (settings, plan, locks, cleanup, report), in ms."""
    from engine.batchplan import collect_inputs, output_folders, plan_batch
    from engine.batchreport import BatchReport, write_report
    from engine.folderlock import claim_output_folders
    from engine.imageio import cleanup_partials
    from engine.paintlook import PaintLook

    out = tmp / "once"
    times: dict[str, float] = {}
    inputs = collect_inputs([files[0].parent])
    t0 = time.perf_counter()
    with claim_output_folders(output_folders(inputs, out)):
        times["folder lock"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        look = PaintLook.of(options, style)
        times["settings (style digests)"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        plan = plan_batch(inputs, out, slug, options.output_format, look.digest)
        times["plan (names, marks)"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        for d in plan.out_dirs:
            cleanup_partials(d)
        times["temp-file cleanup"] = (time.perf_counter() - t0) * 1000
        report = BatchReport(style=slug, device=device.spec, done=[str(f) for f in files])
        t0 = time.perf_counter()
        write_report(report, out, lambda _m: None)
        times["report"] = (time.perf_counter() - t0) * 1000
    return times


class StageClock:
    """Wraps the batch's three stage functions (engine.batch's names) to add up their wall time,
    each in the thread that runs it."""

    STAGES = {"read": "read_photo", "paint": "stylize_loaded", "write": "write_painting"}

    def __init__(self) -> None:
        self.ms: dict[str, float] = dict.fromkeys(self.STAGES, 0.0)
        self._lock = threading.Lock()

    def install(self) -> Callable[[], None]:
        import engine.batch as batch

        originals = {name: getattr(batch, attr) for name, attr in self.STAGES.items()}
        for name, attr in self.STAGES.items():
            setattr(batch, attr, self._wrap(name, originals[name]))

        def uninstall() -> None:
            for name, attr in self.STAGES.items():
                setattr(batch, attr, originals[name])
        return uninstall

    def _wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.ms[name] += (time.perf_counter() - t0) * 1000
        return timed


def batch_run(host, entry, device, folder: Path, count: int, options, out: Path, in_flight: int, painters: int
              ) -> tuple[float, dict[str, float]]:
    """One `run_batch` over the folder into a fresh folder: (wall ms per photo, stage ms per photo)."""
    from engine.batch import collect_inputs, run_batch
    from engine.batchpipeline import PhotoSlots
    from engine.progress import Progress

    clock = StageClock()
    uninstall = clock.install()
    try:
        rep = run_batch(host, entry, device, collect_inputs([folder]), out, options, Progress(),
                        slots=PhotoSlots(in_flight), painters=painters)
    finally:
        uninstall()
    assert len(rep.done) == count, rep.summary()
    wall = rep.seconds * 1000 / count
    stages = {k: v / count for k, v in clock.ms.items()}
    stages["paint waited"] = max(0.0, wall - stages["paint"] / painters)
    return wall, stages


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=2, help="passes over the photos (serial) / batches of each kind")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="torch threads (and ONNX Runtime's, which takes torch's count when a style loads)")
    ap.add_argument("--style", default="van_gogh")
    args = ap.parse_args()

    import torch

    from engine.batchpipeline import IN_FLIGHT
    from engine.catalog import StyleEntry
    from engine.devices import resolve_device
    from engine.messages import StylizeOptions
    from engine.models.host import ModelHost
    from engine.paintlook import PaintLook
    from engine.stylefile import read_meta

    torch.set_num_threads(args.threads)
    path = style_file(args.style)
    if path is None:
        raise SystemExit(f"no built-in style {args.style!r}")
    device = resolve_device("cpu")
    host = ModelHost()
    model = host.get(path, device)
    entry = StyleEntry(args.style, path, read_meta(path), True)
    options = StylizeOptions()
    look = PaintLook.of(options, path)
    n = args.photos
    print(f"style {args.style} ({read_meta(path).architecture}) on {getattr(model, 'engine', 'torch')}, "
          f"threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} CPUs, {n} photos 1024x768, load average at start {loadavg()}", flush=True)

    with tempfile.TemporaryDirectory(prefix="atelier-profile-") as tmp_s:
        tmp = Path(tmp_s)
        files = make_folder(tmp / "in", n)
        serial_breakdown(model, files[:2], options, look, tmp / "warm", 1)  # warm-up: first passes allocate

        wall, cpu = serial_breakdown(model, files, options, look, tmp / "serial", args.repeats)
        once = once_per_batch(files, entry.slug, path, device, options, tmp)
        rows = [[name, median(ts), median(cpu[name])] for name, ts in wall.items()]
        rows += [[f"{name} (once / {n})", ms / n, None] for name, ms in once.items()]
        total, total_cpu = sum(r[1] for r in rows), sum(r[2] or 0.0 for r in rows)
        model_ms, model_cpu = median(wall["model (generator)"]), median(cpu["model (generator)"])
        rows.append(["sum of stages", total, total_cpu])
        print(f"\n1. serial breakdown, ms per photo (median over {n} photos x {args.repeats}); "
              f"load average now {loadavg()}")
        print(fmt_table(["stage", "wall ms", "CPU ms"], rows))
        print(f"outside the generator: {total - model_ms:.0f} of {total:.0f} wall ms "
              f"({(total - model_ms) / total:.0%}), {total_cpu - model_cpu:.0f} of {total_cpu:.0f} CPU ms "
              f"({(total_cpu - model_cpu) / total_cpu:.0%})")

        kinds = [("one photo in flight (serial)", 1, 1), (f"pipeline, 1 painter, {IN_FLIGHT} in flight", IN_FLIGHT, 1),
                 (f"pipeline, 2 painters, {IN_FLIGHT + 1} in flight", IN_FLIGHT + 1, 2)]
        runs: dict[str, list[tuple[float, dict[str, float]]]] = {k: [] for k, _, _ in kinds}
        print(f"\n2. run_batch, {n} photos, alternated {args.repeats} times")
        for r in range(args.repeats):
            for label, in_flight, painters in kinds:
                w, st = batch_run(host, entry, device, tmp / "in", n, options, tmp / f"b{r}_{painters}_{in_flight}",
                                  in_flight, painters)
                runs[label].append((w, st))
                print(f"  {label:<30} {w:6.0f} ms per photo ({1000 / w:.2f} images/s)  load average {loadavg()}",
                      flush=True)
        names = ["read", "paint", "write", "paint waited"]
        srows = []
        for label, _, _ in kinds:
            w = median([x[0] for x in runs[label]])
            st = {k: median([x[1][k] for x in runs[label]]) for k in names}
            work = st["read"] + st["paint"] + st["write"]
            hidden = max(0.0, work - w) / work
            srows.append([label, w, 1000 / w, st["read"], st["paint"], st["write"], st["paint waited"], hidden])
        print(f"\nms per photo, medians; stage times are wall time in the thread that runs it; load average now "
              f"{loadavg()}")
        print(fmt_table(["run_batch", "wall", "images/s", "read", "paint", "write", "paint waited", "hidden"], srows))
        print("hidden: the share of read + paint + write that ran beside other work, 1 - wall / their sum")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
