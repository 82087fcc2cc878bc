"""Importing a style refuses what would not work as one: weights that paint nothing usable, names
Windows cannot store, and names that are an installed style's name in another spelling."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.catalog import Catalog
from engine.errors import StyleFileError
from engine.models.generator import build_generator
from engine.stylefile import StyleMeta, save_style
from tests.conftest import make_style


def _style_with(path: Path, name: str, change, half: bool = True) -> Path:
    """A valid file (right shapes, finite numbers) whose generator `change` has spoiled."""
    torch.manual_seed(0)
    g = build_generator("fast")
    with torch.no_grad():
        change(g)
    save_style(path, g, StyleMeta(name=name, architecture="fast"), half=half)
    return path


def test_weights_that_paint_one_flat_colour_are_refused(styles_dirs, tmp_path):
    def saturate(g):
        g.head[1].bias.fill_(50.0)  # every pixel pushed far past white

    cat = Catalog(*styles_dirs)
    with pytest.raises(StyleFileError, match="flat"):
        cat.import_file(_style_with(tmp_path / "flat.atelier-style", "Flat", saturate))
    assert {e.slug for e in cat.list()} == {"tiny", "tiny_two"}


def test_weights_whose_pictures_are_not_numbers_are_refused(styles_dirs, tmp_path):
    def explode(g):
        for p in g.parameters():
            p.fill_(1e30)  # finite in float32, but the activations overflow to inf and NaN

    cat = Catalog(*styles_dirs)
    with pytest.raises(StyleFileError, match="NaN or infinite"):
        cat.import_file(_style_with(tmp_path / "nan.atelier-style", "Boom", explode, half=False))
    assert {e.slug for e in cat.list()} == {"tiny", "tiny_two"}


def test_a_usable_style_still_imports(styles_dirs, tmp_path):
    cat = Catalog(*styles_dirs)
    assert cat.import_file(make_style(tmp_path / "ok.atelier-style", "Fine")).slug == "fine"


@pytest.mark.parametrize("name", ["con", "NUL", "Aux", "prn", "com1", "LPT9", "lpt¹", " Con "])
def test_names_windows_reserves_are_refused(styles_dirs, tmp_path, name):
    cat = Catalog(*styles_dirs)
    style = make_style(tmp_path / "x.atelier-style", name)
    with pytest.raises(StyleFileError, match="reserved"):
        cat.import_file(style)
    assert not list(styles_dirs[1].iterdir())


@pytest.mark.parametrize("taken,other", [("Tiny", "ＴＩＮＹ"), ("Tiny", "tiny"), ("Straße", "STRASSE"),
                                         ("Mine", "ｍｉｎｅ")])
def test_names_that_normalise_to_an_installed_name_are_refused(styles_dirs, tmp_path, taken, other):
    cat = Catalog(*styles_dirs)
    if taken != "Tiny":
        cat.import_file(make_style(tmp_path / "first.atelier-style", taken))
    before = sorted(p.name for p in styles_dirs[1].iterdir())
    with pytest.raises(StyleFileError, match="already"):
        cat.import_file(make_style(tmp_path / "second.atelier-style", other))
    assert sorted(p.name for p in styles_dirs[1].iterdir()) == before


def test_force_replaces_the_style_of_the_same_normalised_name(styles_dirs, tmp_path):
    cat = Catalog(*styles_dirs)
    cat.import_file(make_style(tmp_path / "a.atelier-style", "Mine"))
    cat.import_file(make_style(tmp_path / "b.atelier-style", "ＭＩＮＥ", seed=5), overwrite=True)
    user = list(styles_dirs[1].iterdir())
    assert len(user) == 1  # replaced, not installed twice
    assert cat.find("mine").name == "ＭＩＮＥ" and cat.find("ＭＩＮＥ").path == user[0]
