"""Where a batch writes: never over an original, whatever the flags; one output per input; earlier
paintings are recognised (never painted again as `x_mine_mine.png`, never mistaken for originals)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from engine.cli import main
from tests.conftest import photo


def _sha(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _stylize(*args: str) -> int:
    return main(["stylize", *args, "--style", "mine", "--device", "cpu"])


def _images(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix in (".png", ".jpg")}


@pytest.mark.parametrize("flags", [[], ["--overwrite"]])
def test_in_place_batch_never_replaces_an_original(style, tmp_path, capsys, flags):
    """`photo_mine.png` is a real photo beside `photo.png`: it is never replaced (it used to be, with
    --overwrite) and `photo.png` is not skipped as "already done" (it used to be, without)."""
    f = tmp_path / "F"
    f.mkdir()
    Image.fromarray(photo(64, 48, seed=1)).save(f / "photo.png")
    Image.fromarray(photo(64, 48, seed=2)).save(f / "photo_mine.png")
    originals = _sha(f)
    assert _stylize(str(f), "--out", str(f), *flags) == 0
    out = capsys.readouterr().out
    assert {k: v for k, v in _sha(f).items() if k in originals} == originals
    painted = _images(f) - set(originals)
    assert len(painted) == 2, painted  # one painting of each photo, under names that were free
    assert "2 stylized" in out and "photo_mine.png" in out  # the summary says why a name changed


@pytest.mark.parametrize("flags", [[], ["--overwrite"]])
def test_rerunning_in_place_neither_repaints_paintings_nor_touches_originals(style, tmp_path, capsys, flags):
    f = tmp_path / "F"
    f.mkdir()
    for i in range(2):
        Image.fromarray(photo(64, 48, seed=i)).save(f / f"x{i}.png")
    originals = _sha(f)
    assert _stylize(str(f), "--out", str(f)) == 0
    first = _images(f)
    assert first == {"x0.png", "x1.png", "x0_mine.png", "x1_mine.png"}
    capsys.readouterr()
    assert _stylize(str(f), "--out", str(f), *flags) == 0
    out = capsys.readouterr().out
    assert _images(f) == first  # no x0_mine_mine.png
    assert {k: v for k, v in _sha(f).items() if k in originals} == originals
    assert ("2 stylized" if flags else "2 already done") in out


def test_a_painting_named_on_the_command_line_is_still_painted(style, tmp_path):
    """Leaving earlier paintings alone applies to folders; a file named explicitly is what the user asked for."""
    f = tmp_path / "F"
    f.mkdir()
    Image.fromarray(photo(64, 48)).save(f / "x.png")
    assert _stylize(str(f / "x.png"), "--out", str(f)) == 0
    assert _stylize(str(f / "x_mine.png"), "--out", str(f)) == 0
    assert (f / "x_mine_mine.png").is_file()


def test_same_names_in_two_input_folders_give_two_outputs(style, tmp_path, capsys):
    dcim = tmp_path / "DCIM"
    for i, cam in enumerate(("100CANON", "101CANON")):
        (dcim / cam).mkdir(parents=True)
        Image.fromarray(photo(64, 48, seed=i)).save(dcim / cam / "IMG_0001.JPG", quality=90)
    before = _sha(dcim)
    out = tmp_path / "out"
    assert _stylize(str(dcim / "100CANON"), str(dcim / "101CANON"), "--out", str(out)) == 0
    assert "2 stylized" in capsys.readouterr().out
    assert _images(out) == {"100CANON/IMG_0001_mine.jpg", "101CANON/IMG_0001_mine.jpg"}
    assert _stylize(str(dcim / "100CANON"), str(dcim / "101CANON"), "--out", str(out)) == 0
    assert "2 already done" in capsys.readouterr().out
    assert _sha(dcim) == before


def test_same_named_files_given_one_by_one_give_two_outputs(style, tmp_path, capsys):
    for i, cam in enumerate(("a", "b")):
        (tmp_path / cam).mkdir()
        Image.fromarray(photo(64, 48, seed=i)).save(tmp_path / cam / "IMG_0001.JPG", quality=90)
    out = tmp_path / "out"
    files = [str(tmp_path / "a" / "IMG_0001.JPG"), str(tmp_path / "b" / "IMG_0001.JPG")]
    assert _stylize(*files, "--out", str(out)) == 0
    assert "2 stylized" in capsys.readouterr().out
    written = sorted(out.glob("*.jpg"))
    assert len(written) == 2
    pixels = [Image.open(p).convert("L").resize((8, 8)).tobytes() for p in written]
    assert pixels[0] != pixels[1]  # two paintings of two photos, not one twice
    assert _stylize(*files, "--out", str(out)) == 0
    assert "2 already done" in capsys.readouterr().out  # each finds its own painting again


def test_formats_that_collide_get_unique_names(style, tmp_path, capsys):
    f = tmp_path / "F"
    f.mkdir()
    Image.fromarray(photo(64, 48, seed=1)).save(f / "x.png")
    Image.fromarray(photo(64, 48, seed=2)).save(f / "x.jpg", quality=90)
    out = tmp_path / "out"
    assert _stylize(str(f), "--out", str(out), "--format", "png") == 0
    text = capsys.readouterr().out
    assert "2 stylized" in text
    assert _images(out) == {"x_mine.png", "x_jpg_mine.png"}  # the PNG keeps the plain name
    assert "x_jpg_mine.png" in text
    assert _stylize(str(f), "--out", str(out), "--format", "png") == 0
    assert "2 already done" in capsys.readouterr().out


def test_outputs_say_they_are_paintings_and_of_what(style, tmp_path):
    """The mark that makes the above possible: written into each output file by Atelier."""
    from engine.provenance import is_painting, painting_of

    Image.fromarray(photo(64, 48)).save(tmp_path / "x.png")
    Image.fromarray(photo(64, 48, seed=4)).save(tmp_path / "y.png")
    assert _stylize(str(tmp_path / "x.png"), str(tmp_path / "y.png"), "--out", str(tmp_path / "o")) == 0
    out = tmp_path / "o" / "x_mine.png"
    assert is_painting(out) and not is_painting(tmp_path / "x.png")
    assert painting_of(out, tmp_path / "x.png", "mine")
    assert not painting_of(out, tmp_path / "y.png", "mine") and not painting_of(out, tmp_path / "x.png", "other")
