"""The CPU engine (ONNX Runtime, engine.inference) paints what the torch generator paints, and falls
back to torch, saying so once, when it cannot."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from engine import inference
from engine.devices import resolve_device
from engine.messages import StylizeOptions
from engine.models.generator import ARCHITECTURES, LEGACY_LAYOUTS, Generator
from engine.models.host import ModelHost, load_model
from engine.models.norm import StatsNorm, set_norm_mode
from engine.stylefile import StyleMeta
from engine.tiling import run_tiled
from tests.conftest import photo

TOLERANCE = 2.0 / 255.0  # in [0, 1] units: both engines must give the same 8-bit picture within 2 levels
LAYOUTS = [(a, c) for a, c in ARCHITECTURES.items()] + [(a, c) for a, cs in LEGACY_LAYOUTS.items() for c in cs]


def _generator(config, seed: int = 0) -> Generator:
    """Random weights everywhere (norm affines and the head included), so every layer matters."""
    torch.manual_seed(seed)
    g = Generator(config)
    with torch.no_grad():
        for p in g.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return g.eval()


def _model(config, seed: int = 0):
    meta = StyleMeta(name="Tiny", architecture="fast")
    return load_model(_generator(config, seed), meta, resolve_device("cpu"))


def _diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).abs().max()) / 2  # [-1, 1] -> [0, 1]


def _version(c) -> str:
    if c.output == "knee":
        return "v5"
    return "v4" if c.fill_holes else "v3" if c.guide else "v2" if c.skips else "v1"


def test_the_knee_output_follows_the_sum_stays_in_range_and_is_never_flat():
    """Layout 5 adds the residual in plain colour space: inside the knee the output is photo +
    residual exactly; beyond it bends towards +-1 without reaching it, and a gradient remains (a
    clamp's flat zero gradient left saturated blotches on faces)."""
    from engine.models.generator import KNEE, soft_clip

    far = soft_clip(torch.tensor([-5.0, 5.0]))
    assert float(far.abs().max()) <= 1.0
    y = torch.linspace(-1.5, 1.5, 301, requires_grad=True)  # a photo in [-1, 1] plus a residual
    out = soft_clip(y)
    inside = y.abs() <= KNEE
    assert torch.equal(out[inside], y[inside])
    assert float(out.detach().abs().max()) < 1.0
    assert bool((out[1:] > out[:-1]).all())  # strictly increasing
    out.sum().backward()
    assert float(y.grad.min()) > 0


@pytest.mark.parametrize("arch, config", LAYOUTS, ids=[f"{a}-{_version(c)}" for a, c in LAYOUTS])
def test_onnx_runtime_paints_what_torch_paints(arch, config):
    model = _model(config)
    assert model.engine == "onnxruntime"
    x = torch.rand(1, 3, 40, 56, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.inference_mode():
        ref = model.generator(x)
    assert _diff(model.run(x), ref) <= TOLERANCE

    # statistics captured on one image and frozen on another (tiles), and smoothed (live frames)
    other = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(2)) * 2 - 1
    g = model.generator
    set_norm_mode(g, "capture")
    with torch.inference_mode():
        g(x)
    set_norm_mode(g, "frozen")
    with torch.inference_mode():
        ref_frozen = g(other)
    set_norm_mode(g, "smooth", 0.85)
    with torch.inference_mode():
        ref_smooth = g(other)
    set_norm_mode(g, "normal")

    _, stats = model.run_with_stats(x, None, 0.0)
    frozen, same = model.run_with_stats(other, stats, 1.0)
    assert _diff(frozen, ref_frozen) <= TOLERANCE
    assert all(torch.allclose(a[0], b[0]) and torch.allclose(a[1], b[1]) for a, b in zip(same, stats, strict=True))
    smooth, _ = model.run_with_stats(other, stats, 0.85)
    assert _diff(smooth, ref_smooth) <= TOLERANCE


def test_a_batch_of_images_is_painted_one_by_one():
    model = _model(ARCHITECTURES["fast"])
    x = torch.rand(2, 3, 32, 48, generator=torch.Generator().manual_seed(3)) * 2 - 1
    with torch.inference_mode():
        ref = model.generator(x)
    assert _diff(model.onnx(x), ref) <= TOLERANCE  # the graph itself takes one image


def test_both_engines_tile_a_photo_alike():
    onnx_model = _model(ARCHITECTURES["fast"])
    torch_model = load_model(_generator(ARCHITECTURES["fast"]), onnx_model.meta, onnx_model.device)
    torch_model.onnx = None
    rgb = photo(200, 136)
    a = run_tiled(onnx_model, rgb, 96, overlap=16, context=16)
    b = run_tiled(torch_model, rgb, 96, overlap=16, context=16)
    assert np.abs(a - b).max() / 2 <= TOLERANCE


def test_falls_back_to_torch_and_says_so_once(monkeypatch, caplog):
    def broken(*_a, **_k):
        raise ImportError("no onnxruntime here")

    monkeypatch.setattr(inference, "OnnxGenerator", broken)
    monkeypatch.setattr(inference, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="engine.inference"):
        first = _model(ARCHITECTURES["fast"])
        second = _model(ARCHITECTURES["fast"], seed=1)
    assert first.engine == second.engine == "torch"
    warnings = [r for r in caplog.records if "runs on torch" in r.getMessage()]
    assert len(warnings) == 1 and "no onnxruntime here" in warnings[0].getMessage()
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.inference_mode():
        assert _diff(first.run(x), first.generator(x)) < 1e-5  # the same torch network (memory layouts may differ)


def test_a_graph_that_disagrees_with_torch_is_not_used(monkeypatch, caplog):
    real = inference.OnnxGenerator

    class Wrong(real):
        def __call__(self, x):
            return super().__call__(x) * 0.5

    monkeypatch.setattr(inference, "OnnxGenerator", Wrong)
    monkeypatch.setattr(inference, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="engine.inference"):
        model = _model(ARCHITECTURES["fast"])
    assert model.engine == "torch"
    assert any("differs from torch" in r.getMessage() for r in caplog.records)


def test_a_layer_the_writer_does_not_know_falls_back(monkeypatch):
    g = _generator(ARCHITECTURES["fast"])
    g.stem[3] = torch.nn.GELU()  # not in the generator's vocabulary
    monkeypatch.setattr(inference, "_warned", set())
    model = load_model(g, StyleMeta(name="Odd", architecture="fast"), resolve_device("cpu"))
    assert model.engine == "torch"


def test_styles_loaded_on_the_cpu_use_onnx_runtime(catalog, tmp_path):
    from engine.stylize import stylize_file

    host = ModelHost()
    entry = catalog.find("tiny")
    model = host.get(entry.path, resolve_device("cpu"))
    assert model.engine == "onnxruntime"
    src = tmp_path / "in.png"
    from PIL import Image

    Image.fromarray(photo(80, 56)).save(src)
    result = stylize_file(host, entry.path, model, src, tmp_path / "out.png", StylizeOptions())
    assert result.width == 80 and result.height == 56
    assert not any(isinstance(m, StatsNorm) and m.mode != "normal" for m in model.generator.modules())


def test_torch_runs_single_threaded_beside_onnx_runtime_and_is_restored():
    model = _model(ARCHITECTURES["fast"])
    before = torch.get_num_threads()
    with model.torch_side():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    model.onnx = None  # torch paints: it keeps its threads
    with model.torch_side():
        assert torch.get_num_threads() == before


def test_idle_housekeeping_gives_onnx_runtime_memory_back(catalog):
    host = ModelHost()
    model = host.get(catalog.find("tiny").path, resolve_device("cpu"))
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    before = model.run(x)
    _, stats = model.run_with_stats(x, None, 0.0)
    assert host.unload_idle() == 0  # kept: it is the most recent
    assert not model.onnx._sessions  # ... but its sessions (and their memory pools) are gone
    assert torch.equal(model.run(x), before)  # rebuilt on next use
    assert _diff(model.run_with_stats(x, stats, 1.0)[0], before) <= TOLERANCE


def test_a_batch_painter_gets_onnx_runtime_passes_on_its_share_of_the_threads():
    """Two photos at once on two cores: each pass on one thread (a 2-thread session shared by both
    painters was no faster than one photo at a time), with the same painting."""
    from engine.batchthreads import threads_shared_by

    model = _model(ARCHITECTURES["fast"])
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        whole = model.run(x)
        with threads_shared_by(2) as each:
            assert each == 1
            shared = model.run(x)
        used = {threads for (_norms, threads) in model.onnx._sessions}
    finally:
        torch.set_num_threads(before)
    assert 1 in used and model.onnx._sessions[("own", 1)].get_session_options().intra_op_num_threads == 1
    assert _diff(shared, whole) <= TOLERANCE
