"""How a loaded generator runs on the CPU: ONNX Runtime where it loads, torch otherwise.

Chosen by measurement (`bench/engines.py`, docs/benchmarks-history.md "CPU inference engine"): the trained
"fast" generators ran 2.3-4.9x faster through ONNX Runtime than through torch (channels-last float32,
the previous path) on a shared 2-core CPU, and ORT slows down far less when another process shares
the cores. bfloat16 torch left the output up to 22/255 from float32, and `torch.compile` was 2-5x
slower than ORT and needs a C++ compiler at run time (users have none), so neither is used.
Training and GPUs keep torch.

The graph is written from the generator's own weights when a style is loaded
(`engine.models.onnx_graph`, about 0.1 s): no network, no file on disk, nothing to keep in step with
the style file. A probe then runs it next to torch on a small image; any failure (ONNX Runtime
missing or broken, a layout the writer does not know, outputs that disagree) leaves the model on
torch, said once in the log, and the app works as before.

`NormStats` carry the per-layer normalization statistics that tiling freezes and the live view
smooths: `OnnxGenerator.run_with_stats(x, given, keep)` normalizes each layer with
`keep * given + (1 - keep) * own`, the same rule as `StatsNorm`'s smooth mode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch

from engine.models.generator import Generator
from engine.models.norm import StatsNorm
from engine.models.onnx_graph import generator_to_onnx, norm_count

log = logging.getLogger(__name__)

PROBE_TOLERANCE = 2.0 / 255.0  # largest difference from torch allowed on the probe image, in [0, 1] units
NormStats = list[tuple[torch.Tensor, torch.Tensor]]  # per StatsNorm in forward order: (mean, var), (1, C, 1, 1)

_warned: set[str] = set()
_warn_lock = threading.Lock()


def _warn_once(reason: str) -> None:
    with _warn_lock:
        if reason in _warned:
            return
        _warned.add(reason)
    log.warning("ONNX Runtime not used, the generator runs on torch (slower on CPU): %s", reason)


def fallback_reasons() -> list[str]:
    """Why ONNX Runtime was not used, for each reason logged so far (the self-test reports them)."""
    with _warn_lock:
        return sorted(_warned)


class OnnxGenerator:
    """A generator's ONNX Runtime sessions, one per way of normalizing (engine.models.onnx_graph)."""

    def __init__(self, generator: Generator, threads: int | None = None) -> None:
        import onnxruntime as ort

        self._ort = ort
        self.threads = threads or torch.get_num_threads()
        self.norms = norm_count(generator)
        self._generator = generator
        # One session per way of normalizing ("own", "blend", "given") and thread count (`onnx_threads`);
        # "own" on the generator's threads is built now (a failure falls back to torch at load), the
        # others on first use: stills need neither.
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, int], object] = {
            ("own", self.threads): self._session(generator_to_onnx(generator), self.threads)}

    def _session(self, model: bytes, threads: int):
        ort = self._ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Threads block instead of spinning between runs: on a shared CPU a spinning pool takes the cores
        # the stabilizer, the GUI or another program need (measured in bench/engines.py).
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # No memory pattern: it keeps one block per input shape planned for a whole pass, so the edge
        # and middle tiles of a photo each held their own (peak RSS of a 4000x3000 photo in 2048 px
        # tiles 2.64 -> 1.98 GB, measured); no speed difference measured at 640x480 to 1700x2200.
        so.enable_mem_pattern = False
        so.log_severity_level = 3
        return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])

    def _get(self, norms: str):
        threads = _onnx_threads or self.threads
        with self._lock:  # painters of a batch may ask for the same new session at once: build it once
            session = self._sessions.get((norms, threads))
            if session is None:
                session = self._session(generator_to_onnx(self._generator, norms), threads)
                self._sessions[(norms, threads)] = session
        return session

    def release(self, norms: str | None = None) -> None:
        """Drop the sessions (or the one for `norms`) and with them ONNX Runtime's memory pools, which
        keep the largest pass's memory (1.7 GB after the tiles of a 4000x3000 photo, measured); they
        are rebuilt on next use (~0.1 s)."""
        self._drop(lambda key: norms is None or key[0] == norms)

    def session_thread_counts(self) -> set[int]:
        """The thread counts that have a live session (what a batch left behind, for tests and logs)."""
        with self._lock:
            return {threads for _, threads in self._sessions}

    def release_other_thread_counts(self) -> None:
        """Drop the sessions built for another thread count than the generator's own (a batch's
        1-thread ones, `onnx_threads`) and their memory pools; the generator's own stay for stills."""
        self._drop(lambda key: key[1] != self.threads)

    def _drop(self, matches: Callable[[tuple[str, int]], bool]) -> None:
        """Drop the sessions whose (normalization, threads) key `matches`."""
        with self._lock:
            for key in [k for k in self._sessions if matches(k)]:
                del self._sessions[key]

    def _inputs(self, x: torch.Tensor, holes: torch.Tensor | None) -> dict[str, np.ndarray]:
        """The graph's image inputs: `x`, and for layout 4 the holes its faces enclose (found on `x`
        unless given: a tile gets the whole photo's, `Generator.forward`)."""
        feeds = {"x": _numpy(x)}
        if self._generator.config.fill_holes:
            feeds["holes"] = _numpy(self._generator.holes_of(x) if holes is None else holes)
        return feeds

    def __call__(self, x: torch.Tensor, holes: torch.Tensor | None = None) -> torch.Tensor:
        """N x 3 x H x W float32 in [-1, 1] (sides a multiple of the generator's factor) -> same shape.
        The graph takes one image at a time (`generator_to_onnx`); a batch is painted image by image."""
        if x.shape[0] > 1:
            return torch.cat([self(x[i:i + 1], None if holes is None else holes[i:i + 1]) for i in range(x.shape[0])])
        y = self._get("own").run(["y"], self._inputs(x, holes))[0]
        return torch.from_numpy(y)

    def run_with_stats(self, x: torch.Tensor, given: NormStats | None, keep: float,
                       holes: torch.Tensor | None = None) -> tuple[torch.Tensor, NormStats]:
        """One image (N = 1) normalized on keep * given + (1 - keep) * its own statistics."""
        mode = "given" if given is not None and keep >= 1.0 else "blend"
        session = self._get(mode)
        feeds = self._inputs(x, holes)
        if mode == "blend":
            feeds["keep"] = np.array(keep if given else 0.0, np.float32)
        for i, (mean, var) in enumerate(given or _zero_stats(self._generator)):
            feeds[f"mean_{i}"], feeds[f"var_{i}"] = _numpy(mean).reshape(-1), _numpy(var).reshape(-1)
        if mode == "given":
            return torch.from_numpy(session.run(["y"], feeds)[0]), given
        names = ["y"] + [f"{k}_out_{i}" for i in range(self.norms) for k in ("mean", "var")]
        outs = session.run(names, feeds)
        vec = [torch.from_numpy(o).view(1, -1, 1, 1) for o in outs[1:]]
        stats = [(vec[2 * i], vec[2 * i + 1]) for i in range(self.norms)]
        return torch.from_numpy(outs[0]), stats


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch on `n` threads inside the block (process-wide; only the engine thread runs torch).

    Used for the small steps around an ONNX Runtime pass. Measured on the shared 2-core CPU, a live
    frame at 640x480: with torch on two threads its steps took 1.1 s a frame after ORT passes
    (phase correlation 338 ms, fringe cleanup 248 ms, even the uint8 -> float conversion 46 ms)
    against 50 ms on one thread: between ORT passes torch's OpenMP worker goes to sleep, and each
    small parallel step then waits for it to be woken and scheduled on a busy core.
    """
    before = torch.get_num_threads()
    if before == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


_onnx_threads: int | None = None  # set by `onnx_threads`; None: each generator's own count


@contextmanager
def onnx_threads(n: int | None) -> Iterator[None]:
    """ONNX Runtime passes on `n` threads inside the block (None: each generator's own count, as outside
    any block); process-wide, like `torch_threads`; sessions for that count are built on first use and kept.

    For a batch that paints two photos at once on two cores: both painters share one session, and with
    the generator's two threads their passes took 227-236 ms a photo, no better than one photo at a
    time (225-230), while with one thread each they took 197-208 (1024x768, interleaved, 2026-12-06): a
    1-thread session runs each pass on its caller's thread, two 2-thread passes fight over one pool.
    """
    global _onnx_threads
    before = _onnx_threads
    _onnx_threads = n
    try:
        yield
    finally:
        _onnx_threads = before


def _numpy(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().float().cpu().numpy())


def _zero_stats(generator: Generator) -> NormStats:
    return [(torch.zeros(1, m.weight.shape[0], 1, 1), torch.ones(1, m.weight.shape[0], 1, 1))
            for m in generator.modules() if isinstance(m, StatsNorm)]


def onnx_for(generator: Generator, probe_side: int = 64) -> OnnxGenerator | None:
    """ONNX Runtime sessions for `generator` (float32, CPU), or None (torch is used; logged once)."""
    try:
        runner = OnnxGenerator(generator)
    except ImportError as exc:
        _warn_once(f"onnxruntime cannot be imported ({exc})")
        return None
    except NotImplementedError as exc:
        _warn_once(f"this generator layout has no ONNX form ({exc})")
        return None
    except Exception as exc:  # a broken install or an unsupported CPU: the app still works on torch
        _warn_once(f"ONNX Runtime failed to load the generator ({type(exc).__name__}: {exc})")
        return None
    g = torch.Generator().manual_seed(0)
    side = probe_side - probe_side % generator.config.factor
    x = torch.rand(1, 3, side, side, generator=g) * 2 - 1
    try:
        with torch.inference_mode():
            ref = generator(x)
        got = runner(x)
        diff = float((got - ref).abs().max()) / 2  # [-1, 1] -> [0, 1] units
    except Exception as exc:
        _warn_once(f"ONNX Runtime failed on a probe image ({type(exc).__name__}: {exc})")
        return None
    if not diff <= PROBE_TOLERANCE:
        _warn_once(f"its output differs from torch by {diff * 255:.1f}/255 on a probe image")
        return None
    return runner
