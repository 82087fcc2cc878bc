"""Training: finite losses, exact resume after a kill, cancel keeps a checkpoint, data checks, export."""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.brushwork import STROKE_PRESETS
from engine.devices import resolve_device
from engine.errors import Cancelled, DataCheckError
from engine.models.faces import detector
from engine.progress import Progress
from engine.stylefile import StyleMeta, load_style
from engine.training.data import check_folder
from engine.training.losses import PERCEPTUAL_REFERENCES
from engine.training.session import TrainSpec, spec_from_run, train_style
from engine.training.trainer import CHECKPOINT, TrainConfig, Trainer
from tests.conftest import photo

TINY = TrainConfig(crop=64, steps=4, art_side=160, photo_side=160, nce_patches=32, eval_every=2,
                   checkpoint_every_s=1e9, preview_every_s=1e9, seed=3)


def _art(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for i in range(n):
        strokes = rng.integers(0, 255, (20, 20, 3), dtype=np.uint8)
        Image.fromarray(strokes).resize((160, 150), Image.Resampling.NEAREST).save(folder / f"art{i}.png")
    return folder


def _photos(folder: Path, n: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(photo(170, 140, seed=i)).save(folder / f"p{i}.jpg", quality=92)
    return folder


@pytest.fixture
def data(tmp_path):
    return _art(tmp_path / "art"), _photos(tmp_path / "photos")


def _trainer(data, run_dir, config=TINY, resuming=False):
    art, photos = data
    return Trainer(config, [art], photos, run_dir, resolve_device("cpu"), resuming=resuming)


def test_a_few_steps_give_finite_losses(data, tmp_path):
    tr = _trainer(data, tmp_path / "run")
    for _ in range(3):
        losses = tr.train_step()
        assert set(losses) >= {"d", "gan", "nce", "struct", "style", "perceptual"}
        assert losses["style"] > 0 and losses["perceptual"] >= 0  # the loss network's terms are on
        assert all(np.isfinite(v) for v in losses.values())
    assert tr.step == 3


def test_the_quality_size_trains_too(data, tmp_path):
    """`atelier train --size quality` crashed on a PatchNCE layer only the fast size has."""
    tr = _trainer(data, tmp_path / "run", replace(TINY, architecture="quality"))
    assert tr.nce_layers == (2, 3, 4)  # two downsampling levels and the middle of the residual stack
    assert all(np.isfinite(v) for v in tr.train_step().values())
    assert _trainer(data, tmp_path / "fast").nce_layers == (2, 3, 4, 5)  # what fast runs always used


def test_patchnce_layers_the_generator_lacks_are_refused_clearly(data, tmp_path):
    with pytest.raises(DataCheckError, match=r"nce_layers \[2, 5\] do not fit a quality generator \(layers 0-4\)"):
        _trainer(data, tmp_path / "run", replace(TINY, architecture="quality", nce_layers=(2, 5)))


def test_resume_continues_exactly_where_a_killed_run_stopped(data, tmp_path):
    detector.cache_clear()  # the first run loads the face detector mid-step, as a fresh process does
    torch.manual_seed(0)
    straight = _trainer(data, tmp_path / "a")
    for _ in range(4):
        straight.train_step()
    # the "killed" run: 2 steps, checkpoint, then the process dies
    killed = _trainer(data, tmp_path / "b")
    for _ in range(2):
        killed.train_step()
    killed.save_checkpoint()
    del killed
    resumed = _trainer(data, tmp_path / "b", resuming=True)  # the palette map comes from the checkpoint
    resumed.load_checkpoint()
    assert resumed.step == 2
    for _ in range(2):
        resumed.train_step()
    assert resumed.step == straight.step == 4
    for (k, a), (_, b) in zip(straight.generator.state_dict().items(), resumed.generator.state_dict().items(),
                              strict=True):
        assert torch.allclose(a, b, atol=1e-6), k


def test_cancel_leaves_a_usable_checkpoint(data, tmp_path):
    tr = _trainer(data, tmp_path / "run", replace(TINY, steps=50))
    progress = Progress()
    calls = {"n": 0}
    original = progress.report

    def report(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            progress.token.cancel()
        original(*a, **k)
    progress.report = report
    with pytest.raises(Cancelled):
        tr.run(progress, StyleMeta(name="C", architecture="fast"))
    ckpt = tmp_path / "run" / CHECKPOINT
    assert ckpt.exists()
    again = _trainer(data, tmp_path / "run")
    again.load_checkpoint()
    assert again.step == 3
    again.train_step()


def test_session_exports_a_style_the_engine_loads_and_resumes(data, tmp_path):
    art, photos = data
    out = tmp_path / "styles" / "new.atelier-style"
    spec = TrainSpec((art,), photos, "New Style", tmp_path / "run", out, TINY, author="Me", strokes="dabs")
    outcome = train_style(spec, resolve_device("cpu"), Progress(), log=lambda m: None)
    g, meta = load_style(outcome.style_path)
    assert meta.name == "New Style" and meta.author == "Me" and meta.training["step"] >= 2
    assert meta.brush == STROKE_PRESETS["dabs"]  # the chosen brushstrokes travel with the style
    assert meta.thumbnail_png  # rendered by the model on the sample photo
    with torch.no_grad():
        y = g(torch.zeros(1, 3, 64, 64))
    assert y.shape == (1, 3, 64, 64)
    # resume picks up the stored spec; more steps continue from the checkpoint
    spec2 = replace(spec_from_run(tmp_path / "run"), config=replace(TINY, steps=6))
    assert spec2.strokes == "dabs"
    outcome2 = train_style(spec2, resolve_device("cpu"), Progress(), log=lambda m: None)
    assert outcome2.steps == 6
    assert load_style(outcome2.style_path)[1].brush == STROKE_PRESETS["dabs"]


def test_train_longer_continues_a_finished_run(data, tmp_path):
    """A finished run's budget is spent: resuming it as it was ends at once. `more_minutes` gives it more."""
    art, photos = data
    out = tmp_path / "styles" / "longer.atelier-style"
    spec = TrainSpec((art,), photos, "Longer", tmp_path / "run", out, TINY)
    first = train_style(spec, resolve_device("cpu"), Progress(), log=lambda m: None)
    assert first.steps == 4
    logged: list[str] = []
    longer = train_style(replace(spec_from_run(tmp_path / "run"), more_minutes=0.01), resolve_device("cpu"),
                         Progress(), log=logged.append)
    assert longer.steps > first.steps and longer.seconds > first.seconds
    assert any(line.startswith("resuming") for line in logged)


def test_finish_early_keeps_the_best_result(data, tmp_path):
    tr = _trainer(data, tmp_path / "run", replace(TINY, steps=1000))
    progress = Progress()
    progress.token.finish()
    result = tr.run(progress, StyleMeta(name="Early", architecture="fast"))
    assert result.best_path is not None and load_style(result.best_path)[1].name == "Early"


def _scripted_scores(monkeypatch, scores: list[float]) -> None:
    """Trainer.evaluate returns these scores in turn (lower is better), the last one from then on."""
    it = iter(scores)
    last = [scores[-1]]

    def evaluate(self):
        last[0] = next(it, last[0])
        return {"score": last[0], "ssim": 0.9, "edges": 0.9, "texture": 0.01, "colour": 0.1}

    monkeypatch.setattr(Trainer, "evaluate", evaluate)


def test_training_stops_when_its_checks_find_nothing_better(data, tmp_path, monkeypatch):
    """A 20-minute budget whose best step came early is not spent on worse ones: the run ends and
    the user's style is the best step, with one line saying why."""
    art, photos = data
    _scripted_scores(monkeypatch, [1.0, 0.8, 0.9, 1.2, 1.1])  # best at the 2nd check, then only worse
    config = replace(TINY, steps=1000, eval_every=1, patience=3)
    out = tmp_path / "styles" / "early.atelier-style"
    logged: list[str] = []
    outcome = train_style(TrainSpec((art,), photos, "Early", tmp_path / "run", out, config), resolve_device("cpu"),
                          Progress(), log=logged.append)
    assert outcome.stopped_early and outcome.steps == 5  # checks at steps 1..5: best at 2, three worse
    assert load_style(out)[1].training["step"] == 2
    assert any("found nothing better than step 2" in line for line in logged)


def test_training_that_keeps_improving_uses_its_whole_budget(data, tmp_path, monkeypatch):
    _scripted_scores(monkeypatch, [1.0 - 0.1 * i for i in range(8)])
    tr = _trainer(data, tmp_path / "run", replace(TINY, steps=6, eval_every=1, patience=2))
    result = tr.run(Progress(), StyleMeta(name="Improving", architecture="fast"))
    assert not result.stopped_early and result.step == 6
    assert [h["step"] for h in result.history] == [1, 2, 3, 4, 5, 6]  # the last step is not measured twice


def test_checkpoints_are_picked_by_the_loss_networks_style_distance(data, tmp_path):
    tr = _trainer(data, tmp_path / "run")
    m = tr.evaluate()
    assert m["style"] > 0 and np.isfinite(m["score"])
    base = tr.input_scores
    penalty = 4.0 * max(0.0, 0.6 - m["ssim"]) + 4.0 * max(0.0, 0.75 - m["edges"])
    assert m["score"] == pytest.approx(m["style"] / base["style"] + 0.5 * m["colour"] / base["colour"] + penalty)
    old_run = _trainer(data, tmp_path / "old", replace(TINY, w_style=0.0))
    assert "style" not in old_run.evaluate()  # runs without the loss network are scored as before


def test_data_check_messages(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = check_folder(empty, 1, "artwork")
    assert not r.ok and "too few artwork images" in r.error
    assert "does not exist" in check_folder(tmp_path / "missing", 1, "photo").error
    raw = tmp_path / "raw"  # a camera's RAW files: the wizard says what they are and what to do
    raw.mkdir()
    (raw / "DSC_0001.NEF").write_bytes(b"raw")
    error = check_folder(raw, 1, "photo").error
    assert "it holds 1 .nef file" in error and "exported as JPEG or TIFF" in error

    d = tmp_path / "mixed"
    _art(d, 2)
    Image.fromarray(photo(60, 50)).save(d / "tiny.png")
    Image.fromarray(photo(900, 150)).save(d / "strip.png")
    (d / "broken.jpg").write_bytes(b"not a jpeg")
    Image.open(d / "art0.png").save(d / "copy_of_art0.png")
    blank = np.full((200, 200, 3), 250, np.uint8)
    blank[90:110, 20:180] = 0  # a line of "text" on white paper
    Image.fromarray(blank).save(d / "page.png")
    r = check_folder(d, 1, "artwork")
    reasons = {i.path.name: i.reason for i in r.excluded}
    assert "too small" in reasons["tiny.png"]
    assert "aspect ratio" in reasons["strip.png"]
    assert "cannot be decoded" in reasons["broken.jpg"] or "not an image" in reasons["broken.jpg"]
    assert "duplicate of art0.png" in reasons["copy_of_art0.png"]
    assert "mostly border" in reasons["page.png"]
    assert sorted(p.name for p in r.usable) == ["art0.png", "art1.png"]


def test_too_few_photos_stops_before_training(data, tmp_path):
    art, _ = data
    few = _photos(tmp_path / "few", 2)
    with pytest.raises(DataCheckError, match="too few photo images"):
        Trainer(TINY, [art], few, tmp_path / "run", resolve_device("cpu"))


def test_a_run_saved_before_the_skin_options_resumes_as_it_was_trained():
    old = {k: v for k, v in TINY.__dict__.items()
           if k not in ("skin_colour_keep", "w_skin_chroma", "w_face_fine", "warp_noise", "w_range")}
    resumed = TrainConfig.from_dict(old)
    assert resumed.skin_colour_keep == 0.0  # not today's default of keeping skin colour...
    assert resumed.w_skin_chroma == 0.0  # ...nor of holding faces to it
    assert resumed.w_face_fine == 0.0  # ...nor at full resolution
    assert resumed.warp_noise == 0.0  # ...nor noise in the warp term
    assert resumed.w_range == 0.0  # ...nor the charge for overshooting the output's range
    assert TrainConfig().w_skin_chroma > 0 and TrainConfig().w_face_fine > 0  # which a new run does
    assert TrainConfig().warp_noise > 0 and TrainConfig().w_range > 0
    assert TrainConfig.from_json(TINY.to_json()) == TINY


def test_a_run_that_trained_with_the_removed_texture_terms_is_refused_with_what_to_do():
    now = asdict(TINY)
    textured = {**now, "w_texture": 1.75, "w_bands": 0.3, "w_style": 0.0}  # before the loss network
    from_before_the_keys = {k: v for k, v in now.items() if k not in ("w_style", "w_perceptual", "style_layers")}
    for saved in (textured, from_before_the_keys):
        with pytest.raises(DataCheckError, match="best.atelier-style in the run folder"):
            TrainConfig.from_dict(saved)
    # saved between the loss network and the removal: the terms were off, it resumes as it was
    assert TrainConfig.from_dict({**now, "w_texture": 0.0, "w_bands": 0.0}) == TINY


def test_the_perceptual_layers_of_a_saved_run_are_the_ones_it_trains_with(data, tmp_path):
    shallow = TrainConfig.from_json(replace(TINY, perceptual_layers=(2,)).to_json())
    assert shallow.perceptual_layers == (2,)  # JSON lists come back as the tuple the trainer compares
    tr = _trainer(data, tmp_path / "run", shallow)
    assert tr.perceptual.layers == (2,)
    assert math.isfinite(tr.train_step()["perceptual"])


def test_the_perceptual_term_keeps_the_photo_in_the_painters_colours_but_faces_as_they_are(data, tmp_path,
                                                                                         monkeypatch):
    """The perceptual term compares the painting with the photo through the painter's palette (whose
    features carry colour), except on faces, which keep the photo's own features; a run saved with an
    older reference goes on with the one it trained with."""
    import engine.training.trainer as trainer_module

    def left_half_is_a_face(v, *_):
        skin = torch.zeros_like(v[:, :1])
        skin[..., : v.shape[-1] // 2] = 1
        return skin

    monkeypatch.setattr(trainer_module, "face_map", left_half_is_a_face)
    monkeypatch.setattr(trainer_module, "skin_map", left_half_is_a_face)
    for reference in PERCEPTUAL_REFERENCES:
        tr = _trainer(data, tmp_path / f"run_{reference}", replace(TINY, perceptual_reference=reference))
        seen: list[torch.Tensor] = []
        shown: list[torch.Tensor] = []
        measure, paint = tr.perceptual.forward, tr.generator.residual
        tr.perceptual.forward = lambda kept, *a, _m=measure, _s=seen, **k: _s.append(kept) or _m(kept, *a, **k)
        tr.generator.residual = lambda x, *a, _g=paint, _s=shown, **k: _s.append(x) or _g(x, *a, **k)
        tr.train_step()
        kept, photo = seen[0], shown[0]
        assert kept.shape == photo.shape
        half = photo.shape[-1] // 2
        recoloured = float((kept[..., half:] - photo[..., half:]).abs().mean())  # off the face
        if reference == "photo":
            assert torch.equal(kept, photo)
        else:
            assert recoloured > 0.01  # the painter's palette moved the colours
        face_as_photographed = torch.equal(kept[..., :half], photo[..., :half])
        assert face_as_photographed == (reference != "palette")
    assert TrainConfig().perceptual_reference == "palette_photo_faces"


def test_runs_saved_before_the_perceptual_reference_resume_with_the_one_they_trained_with(caplog):
    before_the_key = {k: v for k, v in TINY.__dict__.items() if k != "perceptual_reference"}
    assert TrainConfig.from_dict(before_the_key).perceptual_reference == "photo"
    for on_palette, reference in ((True, "palette"), (False, "photo")):
        saved = before_the_key | {"perceptual_on_palette": on_palette}  # stop 33's runs saved a bool
        assert TrainConfig.from_dict(saved).perceptual_reference == reference
    assert "does not have" not in caplog.text  # the bool is understood, not ignored
    with pytest.raises(ValueError, match="perceptual_reference must be one of"):
        replace(TINY, perceptual_reference="faces")


def test_a_run_saved_before_perceptual_layers_were_saved_keeps_both_depths():
    old = {k: v for k, v in TINY.__dict__.items() if k != "perceptual_layers"}
    assert TrainConfig.from_dict(old).perceptual_layers == (2, 3)  # not today's default (2,)


def test_a_new_run_from_an_unguided_base_starts_exactly_where_the_base_paints(data, tmp_path):
    """The shipped base model predates the skin guide (layout 2): a new run adopts its weights with the
    guide channel at zero, so the first step starts from the base's own paintings."""
    from engine.models.generator import LEGACY_LAYOUTS, Generator
    from engine.stylefile import save_style

    base = Generator(LEGACY_LAYOUTS["fast"][3])
    with torch.no_grad():
        for p in base.parameters():
            p.normal_(0, 0.05)
    base_path = tmp_path / "base.atelier-style"
    save_style(base_path, base, StyleMeta(name="Base", architecture="fast"), half=False)
    art, photos = data
    tr = Trainer(TINY, [art], photos, tmp_path / "run", resolve_device("cpu"), base=base_path)
    assert tr.generator.config.guide and tr.generator.config.fill_holes
    # The base's own network with the current output (layout 5 adds the residual in plain colour
    # space, the base in atanh space): the new run starts exactly there.
    expected = Generator(replace(base.config, output=tr.generator.config.output))
    expected.load_state_dict(base.state_dict())
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(tr.generator.eval()(x), expected.eval()(x), atol=1e-6)
    assert math.isfinite(tr.train_step()["style"])


def test_a_run_started_before_the_skin_guide_resumes_in_its_own_layout(data, tmp_path):
    from engine.models.generator import LEGACY_LAYOUTS, Generator

    old = _trainer(data, tmp_path / "run")
    old.generator = Generator(LEGACY_LAYOUTS["fast"][3])  # as a run of the previous version was built
    old.ema = Generator(LEGACY_LAYOUTS["fast"][3]).eval()
    old.opt_g = old._generator_optimizer()
    old.train_step()
    old.save_checkpoint()
    resumed = _trainer(data, tmp_path / "run", resuming=True)
    resumed.load_checkpoint()
    assert not resumed.generator.config.guide and resumed.step == 1
    assert math.isfinite(resumed.train_step()["style"])


def test_a_run_saved_before_checkpoints_named_their_layout_resumes_seeing_the_plain_skin_map(data, tmp_path):
    """A layout-3 run's checkpoint has a four-channel stem and no layout: it resumes as layout 3, and its
    losses keep the plain skin map they started with (not the filled one of layout 4)."""
    from engine.models.generator import LEGACY_LAYOUTS, Generator
    from engine.models.skin import skin_map

    old = _trainer(data, tmp_path / "run")
    old.generator = Generator(LEGACY_LAYOUTS["fast"][2])
    old.ema = Generator(LEGACY_LAYOUTS["fast"][2]).eval()
    old.opt_g = old._generator_optimizer()
    old.train_step()
    state = old.state()
    del state["layout"]  # as the previous version wrote it
    (tmp_path / "run").mkdir(exist_ok=True)
    torch.save(state, tmp_path / "run" / "checkpoint.pt")
    resumed = _trainer(data, tmp_path / "run", resuming=True)
    resumed.load_checkpoint()
    assert resumed.generator.config == LEGACY_LAYOUTS["fast"][2]
    assert resumed.guide_map is skin_map  # the map its losses are given each step, too
    assert math.isfinite(resumed.train_step()["style"])
