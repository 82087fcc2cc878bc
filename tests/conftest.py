"""Shared fixtures: tiny random-weight styles (never shipped), tiny photos, an isolated user folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def make_style(path: Path, name: str = "Tiny", architecture: str = "fast", seed: int = 0,
               perturb: float = 0.05) -> Path:
    """A style file with random weights: a real generator, real format, but not a trained style."""
    from engine.models.generator import build_generator
    from engine.stylefile import StyleMeta, save_style

    torch.manual_seed(seed)
    g = build_generator(architecture)
    with torch.no_grad():  # make the head non-zero so the output differs from the input
        g.head[1].weight.normal_(0, perturb)
    save_style(path, g, StyleMeta(name=name, architecture=architecture, author="tests",
                                  description="random weights for tests"))
    return path


def photo(width: int = 96, height: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth synthetic photo with edges (gradients + shapes), uint8 RGB."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 127 + 100 * np.sin(xx / 11 + seed)
    g = 127 + 100 * np.cos(yy / 9)
    b = 127 + 60 * np.sin((xx + yy) / 17)
    img = np.stack([r, g, b], -1)
    img[height // 4: height // 2, width // 4: width // 2] = rng.integers(0, 255, 3)
    return np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)


@pytest.fixture
def atelier_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ATELIER_HOME", str(home))
    return home


@pytest.fixture
def styles_dirs(tmp_path) -> tuple[Path, Path]:
    builtin, user = tmp_path / "builtin", tmp_path / "user"
    builtin.mkdir()
    user.mkdir()
    make_style(builtin / "tiny.atelier-style", "Tiny")
    make_style(builtin / "tiny_two.atelier-style", "Tiny Two", seed=1)
    return builtin, user


@pytest.fixture
def catalog(styles_dirs):
    from engine.catalog import Catalog

    return Catalog(*styles_dirs)


@pytest.fixture
def photo_dir(tmp_path) -> Path:
    d = tmp_path / "photos"
    d.mkdir()
    for i in range(4):
        Image.fromarray(photo(96 + 8 * i, 64, seed=i)).save(d / f"p{i}.jpg", quality=92)
    return d


@pytest.fixture(scope="session")
def mine_style_file(tmp_path_factory) -> Path:
    """One tiny style file ("Mine") for the whole run: making one costs a second or two on a busy CPU."""
    return make_style(tmp_path_factory.mktemp("mine") / "mine.atelier-style", "Mine")


@pytest.fixture
def style(atelier_home, mine_style_file) -> str:
    """"Mine" imported into this test's own user folder; its slug, for `--style`."""
    from engine.cli import main

    assert main(["styles", "import", str(mine_style_file)]) == 0
    return "mine"


@pytest.fixture
def no_heif_decoder(monkeypatch):
    """Pillow with its HEIF opener refusing every file, as in a bundle that lost libheif."""

    def no_decoder(*_args):
        raise SyntaxError("no HEIF decoder")  # what Pillow's open loop treats as "not this format"

    monkeypatch.setitem(Image.OPEN, "HEIF", (no_decoder, Image.OPEN["HEIF"][1]))
