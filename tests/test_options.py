"""Every numeric option is checked before any work starts, with one line naming the option:
on the command line, in the request types the GUI sends, and in the GUI's own controls."""

from __future__ import annotations

import pytest
from PIL import Image

from engine.cli import main
from engine.messages import StylizeOptions, Train
from tests.conftest import make_style, photo


@pytest.fixture(scope="module")
def style_file(tmp_path_factory) -> str:
    """One style file for the module, used by path (`--style FILE`): nothing to import per test."""
    return str(make_style(tmp_path_factory.mktemp("style") / "mine.atelier-style", "Mine"))


@pytest.fixture
def env(atelier_home, tmp_path):
    Image.fromarray(photo(120, 80)).save(tmp_path / "p.jpg")
    return tmp_path


def _one_error_line(err: str, *words: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    for w in words:
        assert w in lines[0], lines[0]


@pytest.mark.parametrize("flag,value", [
    ("--tile", "16"), ("--tile", "0"), ("--tile", "-1"), ("--tile", "32"), ("--tile", "100000"),
    ("--max-size", "0"), ("--max-size", "-5"), ("--paint-size", "-1"), ("--paint-size", "10"),
    ("--strength", "nan"), ("--brushwork", "-0.5"),
])
def test_stylize_refuses_bad_numbers_before_any_work(env, style_file, capsys, flag, value):
    out = env / "o"
    code = main(["stylize", str(env / "p.jpg"), "--style", style_file, "--out", str(out), "--device", "cpu",
                 flag, value])
    assert code == 2
    _one_error_line(capsys.readouterr().err, flag)
    assert not out.exists()  # refused before anything was painted or created


@pytest.mark.parametrize("flag,value", [
    ("--minutes", "0"), ("--minutes", "-1"), ("--steps", "0"), ("--steps", "-3"),
    ("--content-weight", "-1"), ("--content-weight", "nan"), ("--crop", "16"), ("--crop", "100"),
    ("--crop", "0"), ("--seed", "-1"),
])
def test_train_refuses_bad_numbers_before_any_work(env, capsys, monkeypatch, flag, value):
    import engine.training.session as session

    monkeypatch.setattr(session, "train_style", lambda *_a, **_k: pytest.fail("training started"))
    run = env / "run"
    code = main(["train", "--art", str(env), "--photos", str(env), "--name", "x", "--base", "none",
                 "--run-dir", str(run), flag, value])
    assert code != 0
    _one_error_line(capsys.readouterr().err, flag)
    assert not run.exists()


@pytest.mark.parametrize("kwargs,words", [
    ({"tile_size": 16}, "tile size"), ({"tile_size": 0}, "tile size"), ({"tile_size": -1}, "tile size"),
    ({"jpeg_quality": 0}, "JPEG quality"), ({"jpeg_quality": 101}, "JPEG quality"),
    ({"max_size": 0}, "max size"), ({"paint_size": 10}, "paint size"),
])
def test_stylize_options_refuse_bad_numbers(kwargs, words):
    with pytest.raises(ValueError, match=words):
        StylizeOptions(**kwargs)


@pytest.mark.parametrize("kwargs,words", [
    ({"minutes": 0}, "training time"), ({"minutes": -5}, "training time"), ({"steps": 0}, "steps"),
    ({"content_weight": -1}, "content weight"), ({"skin_colour_keep": 2}, "skin colour keep"),
    ({"crop": 16}, "crop"), ({"crop": 100}, "crop"),
])
def test_train_request_refuses_bad_numbers(tmp_path, kwargs, words):
    base = dict(art_dir=tmp_path, photo_dir=tmp_path, name="x", run_dir=tmp_path / "run")
    Train(**base)  # the defaults are valid
    with pytest.raises(ValueError, match=words):
        Train(**base, **kwargs)


def test_a_valid_tile_size_still_paints(env, style_file, capsys):
    """The smallest allowed tile really tiles (the old `--tile 16` painted a flat grey picture)."""
    import numpy as np

    from engine.limits import TILE_SIZE

    Image.fromarray(photo(320, 288)).save(env / "big.png")  # 2 x 2 tiles
    assert main(["stylize", str(env / "big.png"), "--style", style_file, "--out", str(env / "o"), "--device", "cpu",
                 "--paint-size", "0", "--tile", str(int(TILE_SIZE.low))]) == 0
    out = np.asarray(Image.open(env / "o" / "big_mine.png"), dtype=np.float32)
    assert out.std() > 10  # a picture, not a flat grey field


def test_run_tiled_refuses_a_tile_no_larger_than_its_overlap():
    """The tiler itself refuses what it cannot do instead of dividing by zero or blending to grey."""
    import numpy as np

    from engine.tiling import run_tiled

    with pytest.raises(ValueError, match="tile"):
        run_tiled(None, np.zeros((100, 100, 3), np.uint8), tile=32)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs,words", [({"strength": 1.5}, "strength"), ({"brushwork": -1}, "brushwork"),
                                          ({"run_short_side": -8}, "run short side")])
def test_live_frames_refuse_bad_numbers(kwargs, words):
    from engine.messages import StylizeFrame

    StylizeFrame(b"\0" * 12, 2, 2, "mine")  # the defaults are valid
    with pytest.raises(ValueError, match=words):
        StylizeFrame(b"\0" * 12, 2, 2, "mine", **kwargs)
