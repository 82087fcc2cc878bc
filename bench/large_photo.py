"""A 108-megapixel phone photo through `atelier stylize`: does it work, how long, how much memory?

    python bench/large_photo.py [--width 12000] [--height 9000] [--style van_gogh] [--paint-size 1600]
                                [--quick]

Pillow refused anything above 89.5 MP as a decompression bomb, so 108 MP photos (Samsung, Xiaomi)
failed although Atelier's own limit is 200 MP (issue 16). This runs the real command line on a
synthetic photo of that size (smooth gradients, shapes and sensor-like noise, saved as a quality-90
JPEG like a camera's) in a child process, and records its wall time and peak resident memory
(`ru_maxrss` of the child: the whole app, load and save included). The output is opened to check
its size. `--quick` uses a 24 MP photo (6000 x 4000) for a smoke run.

Results: bench/results/large_photo.json (quick runs: bench/results/quick/large_photo.json).
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

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/x.py` puts bench/, not the repository, on sys.path
    sys.path.insert(0, str(REPO))

from bench._common import machine_info, results_dir, style_file, warn_if_busy  # noqa: E402


def synthetic_photo(path: Path, width: int, height: int, seed: int = 0, rows: int = 500) -> None:
    """Write a photo-like JPEG row band by row band (the bench itself stays small in memory)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (width, height))
    xx = np.arange(width, dtype=np.float32)[None, :]
    for y0 in range(0, height, rows):
        yy = np.arange(y0, min(height, y0 + rows), dtype=np.float32)[:, None]
        r = 127 + 100 * np.sin(xx / 97 + yy / 301)
        g = 127 + 100 * np.cos(yy / 83) * np.ones_like(xx)
        b = 127 + 60 * np.sin((xx + yy) / 151)
        band = np.stack(np.broadcast_arrays(r, g, b), -1)
        band += rng.normal(0, 3, band.shape).astype(np.float32)
        img.paste(Image.fromarray(np.clip(band, 0, 255).astype(np.uint8)), (0, y0))
    img.save(path, quality=90)


def run(width: int, height: int, style: str, paint_size: int | None, threads: int) -> dict:
    from PIL import Image

    import engine.imageio  # noqa: F401 (Atelier's pixel limit for Pillow here too: the output is opened)

    with tempfile.TemporaryDirectory(prefix="atelier-large-") as tmp:
        src = Path(tmp) / f"photo_{width}x{height}.jpg"
        synthetic_photo(src, width, height)
        out = Path(tmp) / "out"
        path = style_file(style)
        cmd = [sys.executable, "-m", "engine", "stylize", str(src), "--style", str(path or style),
               "--out", str(out), "--device", "cpu"]
        if paint_size is not None:
            cmd += ["--paint-size", str(paint_size)]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "ATELIER_HOME": str(Path(tmp) / "home")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if proc.returncode != 0:
            raise SystemExit(f"atelier stylize failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        outputs = sorted(out.glob("*.jpg"))
        with Image.open(outputs[0]) as im:
            size = im.size
        # ru_maxrss is in KiB on Linux, bytes on macOS
        peak_bytes = peak * (1 if sys.platform == "darwin" else 1024)
        if peak <= before:
            print("note: peak RSS did not exceed an earlier child's; the figure is an upper bound")
        return {"width": width, "height": height, "megapixels": round(width * height / 1e6, 1),
                "input_bytes": src.stat().st_size, "style": style, "paint_size": paint_size,
                "seconds": round(seconds, 1), "peak_rss_gb": round(peak_bytes / 1e9, 2),
                "peak_rss_bytes_per_pixel": round(peak_bytes / (width * height), 1), "output_size": list(size),
                "command": " ".join(cmd[1:])}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=12000)
    p.add_argument("--height", type=int, default=9000)
    p.add_argument("--style", default="van_gogh")
    p.add_argument("--paint-size", type=int, default=None, help="as `atelier stylize --paint-size` (default: its own)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="24 MP smoke run")
    args = p.parse_args()
    width, height = (6000, 4000) if args.quick else (args.width, args.height)
    busy = warn_if_busy(args.threads)
    result = run(width, height, args.style, args.paint_size, args.threads)
    print(f"{result['megapixels']} MP: {result['seconds']} s, peak RSS {result['peak_rss_gb']} GB "
          f"({result['peak_rss_bytes_per_pixel']} bytes/pixel), output {result['output_size']}")
    data = {"machine": machine_info(args.threads), "busy_warning": busy, "result": result}
    target = results_dir(args.quick) / "large_photo.json"
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"saved {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
