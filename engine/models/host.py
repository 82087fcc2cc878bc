"""Keeps loaded generators on their device, ready to run, and forgets the ones not used lately.

Only the engine thread touches a `ModelHost`. A model is loaded once per (style file, device),
moved to the device in half precision where a probe shows half stays within tolerance of float32,
and kept in channels-last layout on CPU (measured 1.3x faster there). On the CPU it runs through
ONNX Runtime when that loads (`engine.inference`, 2.3-4.9x faster than torch there); the torch module
stays for GPUs, for training previews and as the fallback. Callers run a model through
`LoadedModel.run` / `run_with_stats`, never by calling the module, so both engines serve every path.
`unload_idle` is the engine's idle-time housekeeping.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine.devices import DeviceInfo, free_cache
from engine.inference import NormStats, OnnxGenerator, onnx_for, torch_threads
from engine.models.generator import Generator
from engine.models.norm import StatsNorm, set_norm_mode
from engine.stylefile import StyleMeta, load_style

HALF_TOLERANCE = 2.0 / 255.0  # mean absolute difference allowed between half and float32 output


@dataclass
class LoadedModel:
    generator: Generator
    meta: StyleMeta
    device: DeviceInfo
    dtype: torch.dtype
    last_used: float = field(default_factory=time.monotonic)
    signature: tuple[int, int] = (0, 0)  # the style file's mtime and size when it was loaded
    onnx: OnnxGenerator | None = None  # CPU only: the same generator in ONNX Runtime (engine.inference)

    @property
    def engine(self) -> str:
        """What runs the generator: "onnxruntime" or "torch"."""
        return "onnxruntime" if self.onnx is not None else "torch"

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device.torch_device, self.dtype)
        if self.device.spec == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def torch_side(self) -> AbstractContextManager:
        """Context for torch's own work around the generator (conversions, stabilizer, finishing):
        one thread while ONNX Runtime paints, see `engine.inference.torch_threads`."""
        return torch_threads(1) if self.onnx is not None else nullcontext()

    def release_memory(self, norms: str) -> None:
        """Give back the memory pool of ONNX Runtime's `norms` session ("own", "blend", "given") after
        a large job, rather than keep it until idle (`OnnxGenerator.release`); torch frees as it goes."""
        if self.onnx is not None:
            self.onnx.release(norms)

    def release_batch_sessions(self) -> None:
        """After a batch that painted photos side by side: give back its 1-thread ONNX Runtime sessions
        (each keeps a memory pool of its largest pass) rather than keep them until idle housekeeping."""
        if self.onnx is not None:
            self.onnx.release_other_thread_counts()

    def _holes(self, holes: torch.Tensor | None) -> torch.Tensor | None:
        return None if holes is None else self.prepare(holes)

    def run(self, x: torch.Tensor, holes: torch.Tensor | None = None) -> torch.Tensor:
        """The painting of `x` (1 x 3 x H x W float32 in [-1, 1], sides a multiple of the generator's
        factor), normalized on its own statistics; float32, on the model's device. `holes`: for a tile,
        the whole photo's enclosed holes under it (`Generator.forward`)."""
        if self.onnx is not None:
            return self.onnx(x, holes)
        with torch.inference_mode():
            return self.generator(self.prepare(x), self._holes(holes)).float()

    def run_with_stats(self, x: torch.Tensor, given: NormStats | None, keep: float,
                       holes: torch.Tensor | None = None) -> tuple[torch.Tensor, NormStats]:
        """`run`, with each layer normalized on `keep * given + (1 - keep) * own` statistics (own only
        when `given` is None); returns the painting and the statistics used. keep=1 freezes `given`
        (tiles of one photo), 0 < keep < 1 smooths them over time (live frames)."""
        if self.onnx is not None:
            return self.onnx.run_with_stats(x, given, keep, holes)
        g = self.generator
        norms = [m for m in g.modules() if isinstance(m, StatsNorm)]
        if given is None:
            set_norm_mode(g, "capture")
        else:
            set_norm_mode(g, "frozen" if keep >= 1.0 else "smooth", keep)
            for m, s in zip(norms, given, strict=True):
                m.stored = s
        try:
            with torch.inference_mode():
                y = g(self.prepare(x), self._holes(holes)).float()
            stats: NormStats = [m.stored for m in norms]
        finally:
            set_norm_mode(g, "normal")
        return y, stats


def _file_signature(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)  # load_style reports the real problem
    return (st.st_mtime_ns, st.st_size)


def half_is_safe(generator: Generator, device: torch.device) -> bool:
    """Compare half and float32 outputs on a fixed random image; True if within tolerance."""
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(1, 3, 128, 128, generator=g) * 2 - 1).to(device)
    with torch.inference_mode():
        ref = generator.to(device, torch.float32)(x).float()
        half = generator.to(device, torch.float16)(x.half()).float()
    ok = bool(torch.isfinite(half).all()) and float((ref - half).abs().mean()) / 2 <= HALF_TOLERANCE
    return ok


def prepare_generator(generator: Generator, device: DeviceInfo) -> tuple[Generator, torch.dtype]:
    generator = generator.eval()
    dtype = torch.float32
    if device.half and half_is_safe(generator, device.torch_device):
        dtype = torch.float16
    generator = generator.to(device.torch_device, dtype)
    if device.spec == "cpu":
        generator = generator.to(memory_format=torch.channels_last)
    return generator, dtype


def load_model(generator: Generator, meta: StyleMeta, device: DeviceInfo,
               signature: tuple[int, int] = (0, 0)) -> LoadedModel:
    generator, dtype = prepare_generator(generator, device)
    onnx = onnx_for(generator) if device.spec == "cpu" else None
    return LoadedModel(generator, meta, device, dtype, signature=signature, onnx=onnx)


class ModelHost:
    def __init__(self) -> None:
        self._models: dict[tuple[str, str], LoadedModel] = {}

    def get(self, style_path: Path, device: DeviceInfo) -> LoadedModel:
        """The style's model on `device`, loaded once; loaded again if the file has changed since
        (a style retrained or re-imported under the same name, or given other brushstrokes)."""
        key = (str(Path(style_path).resolve()), device.spec)
        signature = _file_signature(Path(style_path))
        model = self._models.get(key)
        if model is None or model.signature != signature:
            generator, meta = load_style(style_path)
            model = load_model(generator, meta, device, signature)
            self._models[key] = model
        model.last_used = time.monotonic()
        return model

    def put(self, key: str, generator: Generator, meta: StyleMeta, device: DeviceInfo) -> LoadedModel:
        """Host an in-memory generator (tests, training previews) under a key."""
        model = load_model(generator, meta, device)
        self._models[(key, device.spec)] = model
        return model

    def unload_idle(self, max_idle_s: float = 300.0, keep: int = 2) -> int:
        """Drop models unused for `max_idle_s`, keeping the `keep` most recent; the kept ones give
        ONNX Runtime's memory pools back (`OnnxGenerator.release`)."""
        by_age = sorted(self._models.items(), key=lambda kv: kv[1].last_used, reverse=True)
        now = time.monotonic()
        dropped = 0
        for i, (key, model) in enumerate(by_age):
            if i >= keep and now - model.last_used > max_idle_s:
                del self._models[key]
                free_cache(model.device)
                dropped += 1
            elif model.onnx is not None:
                model.onnx.release()
        return dropped

    def clear(self) -> None:
        devices = {m.device for m in self._models.values()}
        self._models.clear()
        for d in devices:
            free_cache(d)

    def __len__(self) -> int:
        return len(self._models)
