"""Style files: round trip, catalog import/export/remove, and refusal of corrupt or hostile files."""

from __future__ import annotations

import json
import pickle
import struct

import pytest
import torch
from safetensors.torch import save_file

from engine.catalog import Catalog
from engine.errors import StyleFileError
from engine.models.generator import build_generator
from engine.stylefile import StyleMeta, load_style, read_meta, save_style
from tests.conftest import make_style


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    g = build_generator("fast")
    with torch.no_grad():
        for p in g.parameters():
            p.normal_(0, 0.1)
    meta = StyleMeta(name="Round Trip", architecture="fast", author="Ann", description="d", strength=0.8,
                     training={"steps": 5}, thumbnail_png=b"")
    path = tmp_path / "rt.atelier-style"
    save_style(path, g, meta, half=False)
    g2, meta2 = load_style(path)
    assert meta2.name == "Round Trip" and meta2.author == "Ann" and meta2.strength == 0.8
    assert meta2.training == {"steps": 5}
    for (k, a), (_, b) in zip(g.state_dict().items(), g2.state_dict().items(), strict=True):
        assert torch.equal(a, b), k


def test_the_gallery_card_artwork_is_kept_and_bounded(tmp_path):
    """A style may carry one of its artworks (the gallery shows it); an oversized one is refused like a thumbnail."""
    import io

    from PIL import Image

    from engine.errors import StyleFileError
    from engine.stylefile import encode_thumbnail

    art = encode_thumbnail(Image.new("RGB", (300, 200), (200, 40, 40)))
    path = tmp_path / "card.atelier-style"
    save_style(path, build_generator("fast"), StyleMeta(name="Card", architecture="fast", artwork_png=art))
    meta = read_meta(path)
    assert meta.artwork_png == art and Image.open(io.BytesIO(meta.artwork_png)).size == (256, 171)
    assert read_meta(make_style(tmp_path / "plain.atelier-style")).artwork_png == b""  # optional
    huge = tmp_path / "huge.atelier-style"
    save_style(huge, build_generator("fast"), StyleMeta(name="Huge", architecture="fast", artwork_png=b"x" * 2**21))
    with pytest.raises(StyleFileError, match="oversized"):
        read_meta(huge)


def test_quality_architecture_round_trip(tmp_path):
    path = make_style(tmp_path / "q.atelier-style", "Quality One", architecture="quality")
    g, meta = load_style(path)
    assert meta.architecture == "quality" and g.config.downs == 2


@pytest.mark.parametrize("content,match", [
    (b"", "empty or truncated"),
    (b"hello world, not a style at all", "not an Atelier style file"),
    (struct.pack("<Q", 10**12) + b"{" + b"x" * 100, "bad or truncated header"),
])
def test_garbage_files_refused(tmp_path, content, match):
    p = tmp_path / "bad.atelier-style"
    p.write_bytes(content)
    with pytest.raises(StyleFileError, match=match):
        load_style(p)


def test_pickle_is_never_loaded(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("open('pwned','w').write('x')",))
    p = tmp_path / "evil.atelier-style"
    p.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(StyleFileError):
        load_style(p)
    assert not (tmp_path / "pwned").exists()


def test_truncated_style_refused(tmp_path):
    good = make_style(tmp_path / "g.atelier-style")
    data = good.read_bytes()
    bad = tmp_path / "t.atelier-style"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(StyleFileError):
        load_style(bad)


def _meta(**over):
    base = {"format": "atelier-style/1", "name": "X", "architecture": "fast",
            "arch_config": json.dumps(build_generator("fast").config.to_dict()), "training": "{}",
            "strength": "1.0", "max_size": "", "thumbnail": ""}
    base.update(over)
    return base


def test_wrong_shapes_nan_and_unknown_architecture_refused(tmp_path):
    state = {k: v.clone() for k, v in build_generator("fast").state_dict().items()}
    key = next(iter(state))
    p = tmp_path / "shape.atelier-style"
    save_file({**state, key: torch.zeros(3, 3)}, p, metadata=_meta())
    with pytest.raises(StyleFileError, match="shape"):
        load_style(p)
    nan = {**state, key: torch.full_like(state[key], float("nan"))}
    save_file(nan, p, metadata=_meta())
    with pytest.raises(StyleFileError, match="NaN"):
        load_style(p)
    save_file(state, p, metadata=_meta(architecture="giant"))
    with pytest.raises(StyleFileError, match="unknown architecture"):
        load_style(p)
    save_file({**state, "extra.weight": torch.zeros(1)}, p, metadata=_meta())
    with pytest.raises(StyleFileError, match="does not match"):
        load_style(p)
    save_file(state, p, metadata=_meta(name="../../etc/passwd"))
    with pytest.raises(StyleFileError, match="not allowed"):
        read_meta(p)
    save_file({k: v.to(torch.int32) for k, v in state.items()}, p, metadata=_meta())
    with pytest.raises(StyleFileError, match="dtype"):
        load_style(p)


def test_catalog_import_export_remove(styles_dirs, tmp_path):
    cat = Catalog(*styles_dirs)
    mine = make_style(tmp_path / "mine.atelier-style", "My Style")
    entry = cat.import_file(mine)
    assert entry.slug == "my_style" and not entry.builtin
    assert {e.slug for e in cat.list()} == {"tiny", "tiny_two", "my_style"}
    with pytest.raises(StyleFileError, match="already installed"):
        cat.import_file(mine)
    out = cat.export("My Style", tmp_path / "shared.atelier-style")
    assert load_style(out)[1].name == "My Style"
    with pytest.raises(StyleFileError, match="built in"):
        cat.remove("tiny")
    cat.remove("my_style")
    assert "my_style" not in {e.slug for e in cat.list()}
    with pytest.raises(StyleFileError, match="no style named"):
        cat.find("my_style")


def test_corrupt_import_refused_and_gallery_survives_a_bad_file(styles_dirs, tmp_path):
    cat = Catalog(*styles_dirs)
    bad = tmp_path / "bad.atelier-style"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(StyleFileError):
        cat.import_file(bad)
    (styles_dirs[1] / "junk.atelier-style").write_bytes(b"junk" * 10)
    assert {e.slug for e in cat.list()} == {"tiny", "tiny_two"}
    assert cat.problems and "junk" in cat.problems[0]


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_styles_saved_with_an_older_layout_still_load(tmp_path, version):
    """A style trained with layout 1 (no skips, nearest upsampling, clamp), 2 (before the skin guide),
    3 (the skin map with its holes), 4 (the residual in atanh space) or 5 (before the face detector)
    keeps working and paints as it did: never lost."""
    from engine.models.generator import LEGACY_LAYOUTS, Generator

    layout = LEGACY_LAYOUTS["fast"][5 - version]
    old = Generator(layout)
    with torch.no_grad():
        for p in old.parameters():
            p.normal_(0, 0.05)
    path = tmp_path / "old.atelier-style"
    save_style(path, old, StyleMeta(name="Old", architecture="fast"), half=False)
    g, _ = load_style(path)
    assert g.config == layout and g.config.fill_holes == (version >= 4) and not g.config.detect_faces
    assert g.config.guide == (version >= 3) and g.config.skips == (version >= 2)
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(g(x), old.eval()(x), atol=1e-6)


def test_unknown_layout_is_refused(tmp_path):
    """A file cannot ask for a network of any size it likes (a cheap denial of service)."""
    state = {k: v.clone() for k, v in build_generator("fast").state_dict().items()}
    big = {**build_generator("fast").config.to_dict(), "max_channels": 4096, "blocks": 64}
    p = tmp_path / "big.atelier-style"
    save_file(state, p, metadata=_meta(arch_config=json.dumps(big)))
    with pytest.raises(StyleFileError, match="layout"):
        load_style(p)


def test_a_style_from_a_newer_atelier_asks_for_an_update(tmp_path):
    """A layout field this version does not know means a newer Atelier wrote the file: the user is told
    to update, not that the file is broken."""
    state = {k: v.clone() for k, v in build_generator("fast").state_dict().items()}
    newer = {**build_generator("fast").config.to_dict(), "some_later_option": True}
    p = tmp_path / "newer.atelier-style"
    save_file(state, p, metadata=_meta(arch_config=json.dumps(newer)))
    with pytest.raises(StyleFileError, match="update Atelier"):
        load_style(p)
    save_file(state, p, metadata=_meta(arch_config="[1, 2]"))
    with pytest.raises(StyleFileError, match="malformed"):
        load_style(p)


def test_built_in_styles_carry_their_gallery_cards():
    """The gallery card of a built-in names its painter and shows one of their works; a retrained file
    carries the trainer's generic line instead (the built-ins lost their cards that way once)."""
    from engine.paths import builtin_styles_dir
    from engine.stylefile import decode_thumbnail, read_meta

    files = sorted(builtin_styles_dir().glob("*.atelier-style"))
    assert len(files) == 6
    for path in files:
        meta = read_meta(path)
        assert meta.description and not meta.description.startswith("Learned from"), path.name
        art = decode_thumbnail(meta.artwork_png)
        assert art is not None and min(art.size) >= 64, path.name


def test_built_in_styles_carry_their_painters_strokes():
    """The optional brushwork of a built-in is its painter's (long swirls, dabs, hatching...), not the
    trainer's default stroke, which is what a retrained file carries (lost that way in stop 25's retraining)."""
    from engine.brushwork import DEFAULT_BRUSH
    from engine.paths import builtin_styles_dir
    from engine.stylefile import read_meta

    brushes = {p.stem: read_meta(p).brush for p in builtin_styles_dir().glob("*.atelier-style")}
    assert len(brushes) == 6 and DEFAULT_BRUSH not in brushes.values(), brushes
    assert len(set(brushes.values())) == 5  # Munch and Turner share the flowing bands


def test_saving_again_keeps_the_paint_digests(tmp_path):
    """A style re-saved with the same weights and strokes (a new gallery line) paints the same, so its
    earlier paintings must not look out of date: whole-number strokes read back as floats once
    changed the strokes digest."""
    from dataclasses import replace

    from engine.brushwork import Brush
    from engine.stylefile import paint_digests

    path = tmp_path / "s.atelier-style"
    strokes = Brush(length=10, width=4, smear=0.8, relief=0.7, swirl=0.5)
    save_style(path, build_generator("fast"), StyleMeta(name="S", architecture="fast", brush=strokes))
    before = paint_digests(path)
    generator, meta = load_style(path)
    save_style(path, generator, replace(meta, description="A new line for the gallery card."))
    assert paint_digests(path) == before
    other = tmp_path / "o.atelier-style"
    save_style(other, generator, replace(meta, brush=Brush(length=11, width=4, smear=0.8, relief=0.7, swirl=0.5)))
    assert paint_digests(other)[1] != before[1]
