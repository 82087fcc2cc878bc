"""The `atelier` command line: the main job works, and every user mistake gets one clear line."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from engine.cli import main
from engine.devices import resolve_device, validate_spec
from engine.errors import DeviceError
from tests.conftest import make_style, photo


@pytest.fixture
def env(atelier_home, tmp_path, monkeypatch):
    """A user folder with one imported style, and a photo."""
    style = make_style(tmp_path / "mine.atelier-style", "Mine")
    assert main(["styles", "import", str(style)]) == 0
    Image.fromarray(photo(120, 80)).save(tmp_path / "p.jpg")
    return tmp_path


def test_stylize_a_photo(env, capsys):
    assert main(["stylize", str(env / "p.jpg"), "--style", "mine", "--out", str(env / "o"), "--device", "cpu"]) == 0
    out = env / "o" / "p_mine.jpg"
    assert Image.open(out).size == (120, 80)
    assert "1 stylized" in capsys.readouterr().out


def test_stylize_all_builtin_styles(env, capsys, monkeypatch, styles_dirs):
    monkeypatch.setattr("engine.catalog.builtin_styles_dir", lambda: styles_dirs[0])
    assert main(["stylize", str(env / "p.jpg"), "--style", "all", "--out", str(env / "all"), "--device", "cpu"]) == 0
    assert sorted(p.name for p in (env / "all").glob("*.jpg")) == ["p_tiny.jpg", "p_tiny_two.jpg"]


def test_styles_list_export_remove(env, capsys):
    assert main(["styles", "list"]) == 0
    assert "mine" in capsys.readouterr().out
    assert main(["styles", "export", "mine", str(env / "shared.atelier-style")]) == 0
    assert (env / "shared.atelier-style").exists()
    assert main(["styles", "remove", "mine"]) == 0
    assert main(["styles", "remove", "mine"]) == 1
    assert "no style named 'mine'" in capsys.readouterr().err


def test_styles_strokes_changes_a_user_style_and_the_next_painting(env, capsys, monkeypatch, styles_dirs):
    """A trained style can get other brushstrokes without retraining; weights stay; built-ins refuse."""
    from engine.brushwork import STROKE_PRESETS
    from engine.catalog import Catalog
    from engine.devices import resolve_device
    from engine.models.host import ModelHost
    from engine.stylefile import load_style

    path = Catalog().find("mine").path
    before = load_style(path)[0].state_dict()
    host = ModelHost()
    assert host.get(path, resolve_device("cpu")).meta.brush is None
    assert main(["styles", "strokes", "mine", "hatching"]) == 0
    assert "now paints with hatching" in capsys.readouterr().out
    assert main(["styles", "list"]) == 0
    assert "hatching" in next(line for line in capsys.readouterr().out.splitlines() if line.startswith("mine"))
    generator, meta = load_style(path)
    assert meta.brush == STROKE_PRESETS["hatching"]
    assert all(torch.equal(before[k], v) for k, v in generator.state_dict().items())
    assert host.get(path, resolve_device("cpu")).meta.brush == STROKE_PRESETS["hatching"]  # not a stale copy

    assert main(["styles", "strokes", "mine", "impasto"]) == 1
    assert "unknown brushstrokes 'impasto'" in capsys.readouterr().err
    assert main(["styles", "strokes", "mine"]) == 1
    assert "needs a preset" in capsys.readouterr().err
    monkeypatch.setattr("engine.catalog.builtin_styles_dir", lambda: styles_dirs[0])
    assert main(["styles", "strokes", "tiny", "long"]) == 1
    assert "built in and keeps its own brushstrokes" in capsys.readouterr().err


@pytest.mark.parametrize("argv,code,message", [
    (["stylize", "nope.jpg", "--style", "mine"], 1, "not found: nope.jpg"),
    (["stylize", "{p}", "--style", "ghost"], 1, "no style named 'ghost'"),
    (["stylize", "{p}", "--style", "mine", "--strength", "3"], 2, "strength must be between 0 and 1"),
    (["stylize", "{p}", "--style", "mine", "--brushwork", "2"], 2, "brushwork must be between 0 and 1"),
    (["stylize", "{p}", "--style", "mine", "--device", "tpu"], 1, "unknown device 'tpu'"),
    (["styles", "import", "{d}/missing.atelier-style"], 1, "cannot be read"),
    (["train", "--art", "{d}"], 1, "train needs --art DIR, --photos DIR and --name NAME"),
    (["train", "--art", "{d}", "--photos", "{d}", "--name", "x", "--skin-colour-keep", "2"], 2,
     "--skin-colour-keep must be between 0 and 1"),
    (["train", "--art", "{d}", "--photos", "{d}", "--name", "x", "--skin-colour-hold", "50"], 2,
     "--skin-colour-hold must be between 0 and 20"),
])
def test_clear_errors(env, capsys, argv, code, message):
    argv = [a.format(p=env / "p.jpg", d=env) for a in argv]
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_devices_lists_the_cpu(capsys):
    assert main(["devices"]) == 0
    assert capsys.readouterr().out.startswith(("cpu", "cuda", "mps"))


def test_device_specs():
    assert validate_spec(" CUDA:1 ") == "cuda:1"
    assert resolve_device("cpu").spec == "cpu"
    assert resolve_device("auto").spec in ("cpu", "mps") or resolve_device("auto").spec.startswith("cuda")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no NVIDIA GPU is usable"):
            resolve_device("cuda")


def test_broken_gpu_falls_back_to_cpu_with_a_notice(monkeypatch):
    """A GPU that is present but fails its probe: auto runs on the CPU and says why."""
    import engine.devices as dev

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    real_probe = dev._probe

    def probe(spec):
        if spec.startswith("cuda"):
            raise DeviceError(f"device {spec} is present but cannot run models: driver too old")
        return real_probe(spec)
    monkeypatch.setattr(dev, "_probe", probe)
    notices: list[str] = []
    assert resolve_device("auto", notices.append).spec == "cpu"
    assert notices == ["Using the CPU: device cuda:0 is present but cannot run models: driver too old"]
    with pytest.raises(DeviceError, match="driver too old"):
        resolve_device("cuda")


def test_train_options_reach_the_trainer(env, monkeypatch):
    """The colour options of `atelier train` end up in the run's config (and so in run.json and
    the exported style's recipe)."""
    import engine.training.session as session
    from engine.errors import Cancelled

    seen = {}

    def fake_train(spec, *_a, **_k):
        seen["spec"] = spec
        raise Cancelled()

    monkeypatch.setattr(session, "train_style", fake_train)
    argv = ["train", "--art", str(env), "--photos", str(env), "--name", "x", "--base", "none",
            "--skin-colour-keep", "1", "--skin-colour-hold", "8", "--steps", "5", "--run-dir", str(env / "run")]
    assert main(argv) == 130  # stopped: the fake trainer cancels at once
    c = seen["spec"].config
    assert (c.skin_colour_keep, c.w_skin_chroma, c.steps) == (1.0, 8.0, 5)
