"""Where a folder batch's time goes, per photo and per stage, and how much of it the pipeline hides.

Why: the folder was slower than the peer although a single photo was faster (issue 17), so the time
outside the model had to be found before anything was overlapped. Two parts, one run:

1. Serial breakdown: each stage of one photo's way through the batch called on its own, in order,
   on the same photos (decode, resize, model, finishing, uint8, mark, EXIF, encode, write + fsync),
   plus the once-per-batch work (planning, folder locks, temp-file cleanup, report) divided by the
   number of photos; median ms per photo over photos x repeats.
2. The batch itself (`engine.batch.run_batch`), ms per photo of wall time, and what its three
   stages cost while they overlap (read, paint, write; engine.batchpipeline's timings), so the
   share of the per-photo work the pipeline hides is `1 - wall / sum of stages`.

Inputs are made like bench/inference.py's folder case (JPEGs of 1024x768, quality 92, from
shared/data/photos). The 1-minute load average is printed with every figure: on a shared machine
the figures are only comparable inside one run.

    python bench/batch_profile.py --photos 20 --repeats 2
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import PHOTOS, fmt_table, median, style_file  # noqa: E402
from bench.inference import cover_resize  # noqa: E402


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


def _timed(times: dict[str, list[float]], name: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    out = fn()
    times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
    return out


def serial_breakdown(model, files: list[Path], options, out: Path, repeats: int) -> dict[str, list[float]]:
    """Each per-photo stage of the batch, one after another, as the serial batch ran them."""
    import torch

    from engine.brushwork import apply_brushwork_on
    from engine.chroma import without_fringes
    from engine.imageio import _exif_for_output, load_image, partial_path, to_pil
    from engine.provenance import mark_for
    from engine.stylize import _fit, finish
    from engine.tiling import _pad_to

    out.mkdir(parents=True, exist_ok=True)
    times: dict[str, list[float]] = {}
    g = model.generator
    for _ in range(repeats):
        for f in files:
            target = out / f"{f.stem}_profile.jpg"
            image = _timed(times, "decode (load_image)", lambda f=f: load_image(f))
            rgb, alpha = _timed(times, "resize (_fit)", lambda image=image: _fit(image.rgb, image.alpha,
                                                                              options.max_size))

            def to_input(rgb=rgb):
                from engine.pixels import to_tensor

                x, h, w = _pad_to(to_tensor(rgb), g.config.factor)
                return model.prepare(x), h, w

            x, h, w = _timed(times, "to tensor", to_input)

            def forward(x=x):
                with torch.inference_mode():
                    return g(x)

            y = _timed(times, "model (generator)", forward)
            raw = _timed(times, "from tensor", lambda y=y, h=h, w=w: y.float()[..., :h, :w][0]
                         .permute(1, 2, 0).cpu().numpy())

            def fringes(raw=raw):
                t = without_fringes(torch.from_numpy(np.ascontiguousarray(raw)).permute(2, 0, 1)[None])
                if options.brushwork > 0 and model.meta.strokes.active:
                    t = apply_brushwork_on(model.device.torch_device, t, model.meta.strokes, options.brushwork)
                return np.ascontiguousarray(t[0].permute(1, 2, 0).numpy())

            painted = _timed(times, "finishing (fringes, brushwork)", fringes)
            pixels = _timed(times, "to uint8 (finish)", lambda p=painted, rgb=rgb: finish(
                p, rgb, options.strength, options.preserve_colors))
            mark = _timed(times, "mark (provenance)", lambda f=f, t=target: mark_for(f, t, "profile"))
            exif = _timed(times, "EXIF", lambda image=image, mark=mark: _exif_for_output(image.exif, mark))

            def encode(pixels=pixels, exif=exif, icc=image.icc_profile):
                buf = io.BytesIO()
                params: dict[str, Any] = {"quality": options.jpeg_quality, "subsampling": 0}
                if exif:
                    params["exif"] = exif
                if icc:
                    params["icc_profile"] = icc
                to_pil(pixels, None).save(buf, format="JPEG", **params)
                return buf.getvalue()

            data = _timed(times, "encode (JPEG q95)", encode)

            def write(data=data, target=target):
                tmp = partial_path(target)
                with open(tmp, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)

            _timed(times, "write + fsync + rename", write)
    return times


def once_per_batch(files: list[Path], style_entry, device, options, tmp: Path) -> dict[str, float]:
    """The work a batch does once (plan, locks, cleanup, report), in ms, on a folder already painted
    once (so planning reads every earlier output's mark, as a resumed batch does)."""
    from engine.batchplan import collect_inputs, output_folders, plan_batch
    from engine.batchreport import BatchReport, write_report
    from engine.folderlock import claim_output_folders
    from engine.imageio import cleanup_partials

    out = tmp / "once"
    times: dict[str, float] = {}
    inputs = collect_inputs([files[0].parent])
    t0 = time.perf_counter()
    with claim_output_folders(output_folders(inputs, out)):
        times["folder lock"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        plan = plan_batch(inputs, out, style_entry.slug, options.output_format)
        times["plan (names, marks)"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        for d in plan.out_dirs:
            cleanup_partials(d)
        times["temp-file cleanup"] = (time.perf_counter() - t0) * 1000
        report = BatchReport(style=style_entry.slug, device=device.spec, done=[str(f) for f in files])
        t0 = time.perf_counter()
        write_report(report, out, lambda _m: None)
        times["report"] = (time.perf_counter() - t0) * 1000
    return times


def batch_run(host, entry, device, files: list[Path], options, out: Path) -> tuple[float, dict[str, Any]]:
    """One `run_batch` over the folder into a fresh folder: (seconds, stage timings if recorded)."""
    from engine.batch import collect_inputs, run_batch
    from engine.progress import Progress

    rep = run_batch(host, entry, device, collect_inputs([files[0].parent]), out, options, Progress())
    assert len(rep.done) == len(files), rep.summary()
    return rep.seconds, getattr(rep, "stage_ms", None) or {}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=2, help="passes over the photos (serial) / batches run")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    ap.add_argument("--style", default="van_gogh")
    args = ap.parse_args()

    import torch

    from engine.catalog import StyleEntry
    from engine.devices import resolve_device
    from engine.messages import StylizeOptions
    from engine.models.host import ModelHost
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
    print(f"style {args.style} ({read_meta(path).architecture}), torch threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} CPUs, {args.photos} photos 1024x768, load average at start {loadavg()}", flush=True)

    with tempfile.TemporaryDirectory(prefix="atelier-profile-") as tmp_s:
        tmp = Path(tmp_s)
        files = make_folder(tmp / "in", args.photos)
        serial_breakdown(model, files[:2], options, tmp / "warm", 1)  # warm-up: first passes allocate

        stage_times = serial_breakdown(model, files, options, tmp / "serial", args.repeats)
        once = once_per_batch(files, entry, device, options, tmp)
        rows = [[name, median(ts), min(ts)] for name, ts in stage_times.items()]
        rows += [[f"{name} (once / {args.photos})", ms / args.photos, None] for name, ms in once.items()]
        total = sum(r[1] for r in rows)
        model_ms = median(stage_times["model (generator)"])
        rows.append(["sum of stages", total, None])
        print(f"\n1. serial breakdown, ms per photo (median over {args.photos} photos x {args.repeats}); "
              f"load average now {loadavg()}")
        print(fmt_table(["stage", "median ms", "min ms"], rows))
        print(f"outside the generator: {total - model_ms:.0f} ms of {total:.0f} ms "
              f"({(total - model_ms) / total:.0%})")

        walls, stages = [], []
        for r in range(args.repeats):
            seconds, stage_ms = batch_run(host, entry, device, files, options, tmp / f"batch{r}")
            walls.append(seconds * 1000 / args.photos)
            stages.append(stage_ms)
            print(f"  run_batch #{r + 1}: {walls[-1]:.0f} ms per photo, {1000 / walls[-1]:.2f} images/s "
                  f"(load average {loadavg()})", flush=True)
        wall = median(walls)
        print(f"\n2. run_batch: {wall:.0f} ms per photo (median of {args.repeats}), "
              f"{1000 / wall:.2f} images/s; load average now {loadavg()}")
        if stages and stages[0]:
            names = list(stages[0])
            srows = [[n, median([s[n] / args.photos for s in stages])] for n in names]
            busy = sum(r[1] for r in srows if not r[0].startswith("paint waited"))
            print(fmt_table(["stage (while overlapping)", "ms per photo"], srows))
            print(f"stages add up to {busy:.0f} ms per photo; the wall is {wall:.0f} ms: the pipeline hides "
                  f"{max(0.0, 1 - wall / busy):.0%} of the per-photo work")
        else:
            print(f"serial sum of stages {total:.0f} ms vs wall {wall:.0f} ms (no overlap in this version)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
