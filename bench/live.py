"""Live-path benchmark: delivered fps, latency, the governor's resolution and flicker, per scene.

    python bench/live.py [--style PATH|NAME] [--device auto|cpu|cuda|mps] [--seconds 20] [--busy 1] [--quick]

It drives the engine runtime (the same thread, single slot and LiveStylizer the app uses) with a
simulated 30 fps 640x480 camera, generated in memory from the shipped sample photo:
  (a) still: one view, fresh sensor-like noise on every frame (Gaussian, sigma 3 levels);
  (b) pan:   the view slides 1.5 px per frame across a larger image, with the same noise.
The client behaves like the GUI's LiveSession: one frame in flight, always the newest camera frame,
`run_short_side` from the ResolutionGovernor (pure Python, shared with the app), fed with compute times.

Each scene runs twice: on the machine as it is, then with `--busy` (default 1) other processes each
keeping one core busy, i.e. what another program using the CPU does to the live view.

Figures per scene:
- delivered fps and latency (capture -> stylized result, median and 95th percentile) in real time;
- the governor's resolution at the end and the sizes it used;
- flicker = engine.metrics.flicker_ratio: mean frame-to-frame change of the output over that of the
  input (inputs resized to the output size), on consecutive frames at the governor's final size,
  once with the app's stabilization and once without (per-frame norm statistics, no blending), so the
  stabilizer's effect is measured rather than claimed. For a still scene a perfect stabilizer gives
  well below 1 (noise removed); for the pan about 1 means it follows motion without smearing or
  shimmering.
- warped flicker = engine.metrics.warped_flicker_ratio: the same after undoing the pan's known motion
  (frame i shifted onto frame i+1), i.e. only the change that is not the scene moving: shimmer. For
  the still scene it equals flicker.

Results: bench/results/live.json (quick runs: bench/results/quick/live.json, so a smoke run never
overwrites real figures). Timings are of this machine at this moment; other load (e.g. a training
run) lowers them, which is why the table prints the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/live.py` puts bench/, not the repository, on sys.path
    sys.path.insert(0, str(REPO))

from bench._common import busy_cores  # noqa: E402
from desktop_app.live.governor import ResolutionGovernor, target_fps_for  # noqa: E402 (pure Python, no Qt)
from engine.messages import FrameResult, JobFailed, StylizeFrame  # noqa: E402

CAMERA_FPS = 30.0
SIZE = (640, 480)
NOISE_SIGMA = 3.0
PAN_PX_PER_FRAME = 1.5


# ----------------------------------------------------------------------------------------- scenes
def base_image(width: int, height: int) -> np.ndarray:
    """The shipped sample photo (public domain) resized to cover width x height."""
    from PIL import Image

    from engine.paths import sample_photo

    path = sample_photo()
    if path.exists():
        img = Image.open(path).convert("RGB")
    else:  # a synthetic picture keeps the benchmark runnable from a bare checkout
        yy, xx = np.mgrid[0:512, 0:512]
        img = Image.fromarray(np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8))
    s = max(width / img.width, height / img.height)
    img = img.resize((round(img.width * s), round(img.height * s)), Image.Resampling.LANCZOS)
    left, top = (img.width - width) // 2, (img.height - height) // 2
    return np.asarray(img.crop((left, top, left + width, top + height)))


class Scene:
    """Frame i of a scene at 640x480: a fixed or sliding view plus fresh sensor noise."""

    def __init__(self, kind: str, seed: int = 0) -> None:
        self.kind = kind
        w, h = SIZE
        self.wide = base_image(int(w * 1.6), h) if kind == "pan" else base_image(w, h)
        rng = np.random.default_rng(seed)
        self.noise = [rng.normal(0, NOISE_SIGMA, (h, w, 3)).astype(np.float32) for _ in range(16)]

    def offset(self, i: int) -> int:
        """Left edge of frame i's view in the wide picture (0 for the still scene)."""
        if self.kind != "pan":
            return 0
        span = self.wide.shape[1] - SIZE[0]
        x = int(i * PAN_PX_PER_FRAME) % (2 * span)
        return x if x < span else 2 * span - x  # back and forth

    def frame(self, i: int) -> np.ndarray:
        x = self.offset(i)
        view = self.wide[:, x:x + SIZE[0]]
        return np.clip(view.astype(np.float32) + self.noise[i % len(self.noise)], 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------- style
def pick_style(arg: str | None, tmp: Path) -> tuple[str, bool]:
    """(style path or name, is_random). Default: the first built-in style, else a random-weight one."""
    if arg:
        return arg, False
    builtin = sorted((REPO / "resources" / "styles").glob("*.atelier-style"))
    if builtin:
        return str(builtin[0]), False
    import torch

    from engine.models.generator import build_generator
    from engine.stylefile import StyleMeta, save_style

    torch.manual_seed(0)
    g = build_generator("fast")
    with torch.no_grad():
        g.head[1].weight.normal_(0, 0.05)
    path = tmp / "random.atelier-style"
    save_style(path, g, StyleMeta(name="Random weights", architecture="fast", description="benchmark stand-in"))
    return str(path), True


# ----------------------------------------------------------------------------------------- live run
def run_live(runtime, events: queue.Queue, style: str, device: str, scene: Scene, seconds: float,
             governor: ResolutionGovernor, warmup_s: float, brushwork: float = 0.0) -> dict:
    """Real-time camera simulation with one frame in flight; returns timing figures."""
    latencies, computes, delivered_sides = [], [], []
    t0 = time.monotonic()
    end = t0 + warmup_s + seconds
    delivered = 0
    measured_from = t0 + warmup_s
    while True:
        now = time.monotonic()
        if now >= end:
            break
        idx = int((now - t0) * CAMERA_FPS)  # the newest frame the camera has produced
        captured_at = t0 + idx / CAMERA_FPS
        rgb = scene.frame(idx)
        side = governor.side
        req = StylizeFrame(pixels=rgb.tobytes(), width=SIZE[0], height=SIZE[1], style=style, device=device,
                           run_short_side=side, captured_at=captured_at, brushwork=brushwork)
        runtime.submit(req)
        result = wait_for(events, req.job_id)
        governor.update(result.compute_ms, min(side, SIZE[1]))
        if time.monotonic() >= measured_from:
            delivered += 1
            latencies.append((time.monotonic() - captured_at) * 1000)
            computes.append(result.compute_ms)
            delivered_sides.append(result.height)
    return {
        "delivered_fps": delivered / seconds,
        "latency_ms_median": float(np.median(latencies)) if latencies else None,
        "latency_ms_p95": float(np.percentile(latencies, 95)) if latencies else None,
        "compute_ms_mean": float(np.mean(computes)) if computes else None,
        "governor_side_final": governor.side,  # the short side the generator painted at, at the end
        # what the user saw (engine.live paints small and delivers sharp)
        "delivered_sides": sorted(set(delivered_sides)),
        "frames": delivered,
    }


def wait_for(events: queue.Queue, job: int, timeout: float = 120.0) -> FrameResult:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        e = events.get(timeout=timeout)
        if e.job_id != job:
            continue
        if isinstance(e, JobFailed):
            raise SystemExit(f"the engine failed: {e.message}\n{e.detail}")
        if isinstance(e, FrameResult):
            return e
    raise SystemExit("no answer from the engine")


def measure_flicker(style: str, device: str, scene: Scene, side: int, frames: int, brushwork: float = 0.0) -> dict:
    """flicker_ratio on consecutive frames at `side`, stabilized (the app's path) and raw; and the same
    after undoing the scene's known motion (warped_flicker_ratio), which is what shimmer looks like."""
    import torch.nn.functional as F

    from engine.catalog import Catalog
    from engine.devices import resolve_device
    from engine.live import LiveStylizer
    from engine.metrics import flicker_ratio, warped_flicker_ratio
    from engine.models.host import ModelHost
    from engine.pixels import to_tensor, to_uint8

    dev = resolve_device(device)
    entry = Catalog().find(style)
    model = ModelHost().get(entry.path, dev)
    out: dict[str, float] = {}
    for label, stabilize in (("stabilized", True), ("raw", False)):
        live = LiveStylizer()
        ins, outs = [], []
        for i in range(frames):
            rgb = scene.frame(i)
            res = live.process(model, rgb, side, stabilize=stabilize, brushwork=brushwork)
            outs.append(res.rgb)
            h, w = res.rgb.shape[:2]
            x = F.interpolate(to_tensor(rgb), size=(h, w), mode="area")  # the input at the delivered size
            ins.append(to_uint8(x[0]))
        out[label] = flicker_ratio(ins, outs)
        scale = outs[0].shape[1] / SIZE[0]
        shifts = [(scene.offset(i + 1) - scene.offset(i)) * scale for i in range(frames - 1)]
        out[f"{label}_warped"] = warped_flicker_ratio(ins, outs, shifts)
    return out


# ----------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--style", help="style file or installed style name (default: first built-in style)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured seconds per scene")
    ap.add_argument("--flicker-frames", type=int, default=60)
    ap.add_argument("--quick", action="store_true", help="a few seconds per scene: proves it works, not figures")
    ap.add_argument("--out", type=Path, help="result file (default bench/results/live.json or live_brushwork.json)")
    ap.add_argument("--busy", type=int, default=1,
                    help="also run each scene with this many other processes keeping a core busy each (0: skip)")
    ap.add_argument("--brushwork", type=float, default=0.0,
                    help="the live view's Brushwork box: 0 (default, as the app starts) or 1; results go to "
                         "live_brushwork.json when on")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.flicker_frames = 3.0, 10

    import torch

    from engine.devices import resolve_device
    from engine.runtime import EngineRuntime

    tmp = Path(tempfile.mkdtemp(prefix="atelier-bench-live-"))
    style, random_style = pick_style(args.style, tmp)
    if random_style:
        print("!" * 78)
        print("!! NO BUILT-IN STYLE FOUND: using a RANDOM-WEIGHT generator (same architecture and cost).")
        print("!! Speed figures are meaningful; flicker figures are NOT those of a trained style.")
        print("!" * 78)
    device = resolve_device(args.device)
    target = target_fps_for(device.spec)
    events: queue.Queue = queue.Queue()
    runtime = EngineRuntime(events.put).start()
    results: dict = {"scenes": {}}
    try:
        for busy in (0, args.busy) if args.busy else (0,):
            for kind in ("still", "pan"):
                scene = Scene(kind)
                governor = ResolutionGovernor(target)
                with busy_cores(busy):
                    live = run_live(runtime, events, style, device.spec, scene, args.seconds, governor,
                                    warmup_s=1.0 if args.quick else 3.0, brushwork=args.brushwork)
                live["busy_cores"] = busy
                # Flicker does not depend on timing, only on the side the governor chose: measured once,
                # at the side it held on the otherwise idle machine.
                if not busy:
                    live["flicker"] = measure_flicker(style, device.spec, scene, governor.side,
                                                      args.flicker_frames, args.brushwork)
                results["scenes"][kind if not busy else f"{kind}, {busy} core busy"] = live
    finally:
        runtime.shutdown()

    results.update({
        "style": style, "random_weights": random_style, "device": device.describe(), "target_fps": target,
        "camera": {"size": list(SIZE), "fps": CAMERA_FPS, "noise_sigma": NOISE_SIGMA,
                   "pan_px_per_frame": PAN_PX_PER_FRAME},
        "quick": args.quick, "brushwork": args.brushwork, "seconds_per_scene": args.seconds,
        "flicker_frames": args.flicker_frames,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    })
    print_table(results)
    out_dir = REPO / "bench" / "results" / ("quick" if args.quick else "")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out or out_dir / ("live_brushwork.json" if args.brushwork else "live.json")
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


def print_table(r: dict) -> None:
    print(f"\nlive path — {Path(r['style']).name}{' (RANDOM WEIGHTS)' if r['random_weights'] else ''} on "
          f"{r['device']}; target {r['target_fps']:g} fps; camera {r['camera']['size'][0]}x{r['camera']['size'][1]} "
          f"@ {r['camera']['fps']:g} fps; load average {r['machine']['load_average']}")
    head = (f"{'scene':<20} {'fps':>6} {'lat p50':>8} {'lat p95':>8} {'model':>7} {'paint':>5} {'shown':>5}"
            f" {'flicker':>8} {'raw':>6} {'warped':>7} {'raw':>6}")
    print(head)
    print("-" * len(head))
    nan = float("nan")  # results written before the warped figures existed
    for kind, s in r["scenes"].items():
        fl = s.get("flicker", {})  # not measured again with a busy core: it does not depend on timing
        shown = max(s.get("delivered_sides") or s.get("sides_used") or [0])
        print(f"{kind:<20} {s['delivered_fps']:6.1f} {s['latency_ms_median'] or 0:6.0f}ms "
              f"{s['latency_ms_p95'] or 0:6.0f}ms {s['compute_ms_mean'] or 0:5.0f}ms {s['governor_side_final']:5d} "
              f"{shown:5d} {fl.get('stabilized', nan):8.2f} {fl.get('raw', nan):6.2f}"
              f" {fl.get('stabilized_warped', nan):7.2f} {fl.get('raw_warped', nan):6.2f}")
    print("flicker = mean output change / mean input change between consecutive frames (lower = steadier); "
          "raw = without the live stabilizer; warped = after undoing the pan's motion (shimmer only); "
          "paint = the short side the governor ran the generator at, shown = the short side delivered; "
          "'N core busy' = the same scene with N other processes each keeping a core busy (flicker not re-measured)")


if __name__ == "__main__":
    raise SystemExit(main())
