"""How many photos a folder batch paints at once, and on how many threads each.

Measured on the 2-core CPU (bench/folder_throughput.py; docs/benchmarks-history.md): the model on two
threads keeps both cores only partly busy (barriers, memory stalls: one thread paints a 1024x768
photo in 1.45x the time of two, not 2x), and the reader and writer threads found no idle core to
use. Two photos at once, each with the model on one thread, painted 1.2x (torch) to 1.3x (ONNX
Runtime) as many photos a second as one photo on two threads. So on the CPU a batch paints as many
photos at once as it has threads, up to `MAX_PAINTERS`, each on its share of them; an accelerator
paints one photo at a time (it has no idle cores to fill, and out-of-memory recovery changes the
model in use).

torch's thread count is process-wide: it is shared out for the batch and put back afterwards, so
stills and the live view keep theirs. Only the engine thread runs batches, one at a time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from engine.devices import DeviceInfo
from engine.inference import onnx_threads, torch_threads

MAX_PAINTERS = 2  # measured on 2 cores; more at once would mostly add memory


def painters_for(device: DeviceInfo) -> int:
    """Photos painted at once on `device`."""
    if device.spec != "cpu":
        return 1
    return max(1, min(MAX_PAINTERS, torch.get_num_threads()))


_unshared: int | None = None  # torch's thread count before the share, while one is in force


@contextlib.contextmanager
def threads_shared_by(painters: int) -> Iterator[int]:
    """torch's and ONNX Runtime's threads shared out among `painters` inside the block (at least one
    each); yields each painter's count."""
    global _unshared
    before, _unshared = _unshared, torch.get_num_threads()
    each = max(1, _unshared // painters)
    try:
        with torch_threads(each), onnx_threads(each):
            yield each
    finally:
        _unshared = before


@contextlib.contextmanager
def every_thread() -> Iterator[None]:
    """Inside a share: a photo painted with nothing beside it (a large, tiled one, or the only painter)
    gets every thread back, torch's and ONNX Runtime's alike; otherwise it would leave a core idle."""
    with torch_threads(_unshared or torch.get_num_threads()), onnx_threads(None):
        yield
