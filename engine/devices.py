"""Which device runs the models: `auto | cpu | cuda[:N] | mps`, resolved once with a tiny probe.

The device is an explicit value in every request; nothing reads environment variables behind the
caller's back. Half precision is used on CUDA/MPS only where a probe shows the output stays within
a small tolerance of float32 (checked per model when it is loaded, see `engine.models.host`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import torch

from engine.errors import DeviceError

_SPEC = re.compile(r"^(auto|cpu|mps|cuda(?::(\d+))?)$")


@dataclass(frozen=True)
class DeviceInfo:
    spec: str  # canonical: cpu, cuda:0, mps
    name: str  # human readable
    memory_gb: float | None
    half: bool  # whether half precision is used on it

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.spec)

    @property
    def dtype(self) -> torch.dtype:
        return torch.float16 if self.half else torch.float32

    def describe(self) -> str:
        mem = f", {self.memory_gb:.1f} GB" if self.memory_gb else ""
        prec = "half precision" if self.half else "full precision"
        return f"{self.spec}: {self.name}{mem}, {prec}"


def validate_spec(spec: str) -> str:
    spec = spec.strip().lower()
    if not _SPEC.match(spec):
        raise DeviceError(f"unknown device {spec!r}: use auto, cpu, cuda, cuda:N or mps")
    return spec


def _cpu_info() -> DeviceInfo:
    import platform

    name = platform.processor() or platform.machine() or "CPU"
    return DeviceInfo("cpu", f"{name} ({torch.get_num_threads()} threads)", None, False)


@cache
def _probe(spec: str) -> DeviceInfo:
    """Run a tiny convolution on the device; raise DeviceError if it does not work."""
    device = torch.device(spec)
    try:
        x = torch.ones(1, 3, 8, 8, device=device)
        w = torch.ones(4, 3, 3, 3, device=device)
        y = torch.nn.functional.conv2d(x, w, padding=1)
        float(y.sum().item())
    except Exception as exc:  # the driver's own words are the most useful detail
        raise DeviceError(f"device {spec} is present but cannot run models: {exc}") from exc
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return DeviceInfo(spec, props.name, props.total_memory / 2**30, True)
    if device.type == "mps":
        return DeviceInfo(spec, "Apple GPU (Metal)", None, True)
    return _cpu_info()


def available_devices(problems: list[str] | None = None) -> list[DeviceInfo]:
    """Every device that passes the probe, best first; failed probes are appended to `problems`."""
    found: list[DeviceInfo] = []
    candidates: list[str] = []
    if torch.cuda.is_available():
        candidates += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        candidates.append("mps")
    for spec in candidates:
        try:
            found.append(_probe(spec))
        except DeviceError as exc:
            if problems is not None:
                problems.append(str(exc))
    found.append(_probe("cpu"))
    return found


def resolve_device(spec: str = "auto", notice=None) -> DeviceInfo:
    """Turn a device request into a probed device, or raise DeviceError with what is available.

    With "auto", a GPU that is present but fails its probe is skipped and the job runs on the CPU;
    `notice` (a callable taking a message) is told why, so the user sees it instead of guessing.
    """
    spec = validate_spec(spec)
    if spec == "auto":
        problems: list[str] = []
        best = available_devices(problems)[0]
        if problems and best.spec == "cpu" and notice is not None:
            notice(f"Using the CPU: {problems[0]}")
        return best
    if spec == "cpu":
        return _probe("cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("CUDA was requested but no NVIDIA GPU is usable here "
                              "(no CUDA build of torch, or no driver). Use --device cpu or auto.")
        index = int(spec.split(":")[1]) if ":" in spec else 0
        if index >= torch.cuda.device_count():
            raise DeviceError(f"CUDA device {index} does not exist; "
                              f"found {torch.cuda.device_count()} GPU(s)")
        return _probe(f"cuda:{index}")
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_available():
        raise DeviceError("MPS (Apple GPU) was requested but is not available on this machine")
    return _probe("mps")


def torch_build() -> str:
    """Which torch this installation runs and what it was built for, e.g. "torch 2.14.1+cu126 (CUDA 12.6)".

    The status bar shows it so a user can tell the CPU installer from the NVIDIA one: a CPU-only torch
    never lists a GPU, however good the card.
    """
    mps = getattr(torch.backends, "mps", None)
    if torch.version.cuda:
        built_for = f"CUDA {torch.version.cuda}"
    elif mps is not None and mps.is_built():
        built_for = "Apple GPU"
    else:
        built_for = "CPU only"
    return f"torch {torch.__version__} ({built_for})"


def is_out_of_memory(exc: BaseException) -> bool:
    """True for the out-of-memory errors of any backend (CUDA, MPS, CPU allocator)."""
    if isinstance(exc, torch.cuda.OutOfMemoryError | MemoryError):
        return True
    text = str(exc).lower()
    # ONNX Runtime (the CPU engine) says "Failed to allocate memory for requested buffer of size ..."
    return "out of memory" in text or "mps backend out of memory" in text or "failed to allocate memory" in text


def free_cache(device: DeviceInfo) -> None:
    if device.torch_device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.torch_device.type == "mps":
        torch.mps.empty_cache()
