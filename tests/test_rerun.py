"""A batch run again after a change does what the user means (engine.rerun): paintings made with the
same settings are done (also after a stop), ones made with other settings are asked about and each
answer does what it says; old marks without settings still count as done; originals never change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from engine.batch import changed_outputs, collect_inputs, run_batch
from engine.cli import main
from engine.devices import resolve_device
from engine.imageio import save_image_atomic
from engine.messages import StylizeOptions
from engine.models.host import ModelHost
from engine.paintlook import PaintLook, changes
from engine.progress import Progress
from engine.provenance import painting_id, read_mark
from engine.rerun import KEEP_BOTH, OVERWRITE, REPLACE, SKIP
from tests.conftest import make_style, photo

N = 3


def _sha(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def src(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(N):
        Image.fromarray(photo(64, 48, seed=i)).save(d / f"p{i}.png")
    return d


def _batch(catalog, src: Path, out: Path, strength: float = 1.0, style: str = "tiny", **kwargs):
    return run_batch(ModelHost(), catalog.find(style), resolve_device("cpu"), collect_inputs([src]), out,
                     StylizeOptions(strength=strength), Progress(), **kwargs)


def _paintings(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.png"))


def test_same_settings_are_done_and_the_mark_says_which(catalog, src, tmp_path):
    out = tmp_path / "out"
    assert len(_batch(catalog, src, out, 0.8).done) == N
    mark = read_mark(out / "p0_tiny.png")
    assert mark is not None and mark.look is not None
    assert "strength 80 %" in mark.words and "preserve-colors no" in mark.words  # readable in any EXIF viewer
    before = _sha(out)
    again = _batch(catalog, src, out, 0.8)
    assert again.question is None and len(again.skipped) == N and not again.done
    assert {k: v for k, v in _sha(out).items() if k.endswith(".png")} == {k: v for k, v in before.items()
                                                                          if k.endswith(".png")}


def test_a_strength_change_asks_before_painting_anything(catalog, src, tmp_path):
    out = tmp_path / "out"
    _batch(catalog, src, out, 0.8)
    before, originals = _sha(out), _sha(src)
    report = _batch(catalog, src, out, 1.0)
    q = report.question
    assert q is not None and q.count == N and q.folders == (str(out),)
    assert q.changes == (("strength", "80 %", "100 %"),)
    assert q.sentence() == f"{N} paintings in {out} were made with other settings (strength 80 % -> 100 %)"
    assert not report.done and not report.skipped
    assert _sha(out) == before and _sha(src) == originals  # nothing painted, no report kept


def test_replace_paints_them_again_in_place(catalog, src, tmp_path):
    out = tmp_path / "out"
    _batch(catalog, src, out, 0.5)
    before, originals = _sha(out), _sha(src)
    report = _batch(catalog, src, out, 1.0, if_changed=REPLACE)
    assert len(report.done) == N and len(report.replaced) == N and report.question is None
    assert _paintings(out) == [f"p{i}_tiny.png" for i in range(N)]  # the same names, new paintings
    after = _sha(out)
    assert all(after[name] != before[name] for name in _paintings(out))
    assert "strength 100 %" in read_mark(out / "p0_tiny.png").words
    assert _sha(src) == originals
    assert f"{N} painting(s) made with other settings replaced" in report.summary()
    assert len(_batch(catalog, src, out, 1.0).skipped) == N  # and now they are done


def test_keep_both_paints_beside_and_never_touches_the_earlier_ones(catalog, src, tmp_path):
    out = tmp_path / "out"
    _batch(catalog, src, out, 0.5)
    earlier, originals = _sha(out), _sha(src)
    report = _batch(catalog, src, out, 1.0, if_changed=KEEP_BOTH)
    assert len(report.kept_both) == N and len(report.done) == N
    assert report.kept_both[0]["earlier"] == str(out / "p0_tiny.png")
    assert _paintings(out) == sorted([f"p{i}_tiny.png" for i in range(N)] + [f"p{i}_tiny-2.png" for i in range(N)])
    now = _sha(out)
    assert all(now[name] == earlier[name] for name in earlier if name.endswith(".png"))
    assert _sha(src) == originals
    # run again with today's settings: the paintings beside are found as done, nothing is asked
    again = _batch(catalog, src, out, 1.0)
    assert again.question is None and len(again.skipped) == N
    # and a third strength keeps both again, under the next free name
    third = _batch(catalog, src, out, 0.3, if_changed=KEEP_BOTH)
    assert {Path(k["output"]).name for k in third.kept_both} == {f"p{i}_tiny-3.png" for i in range(N)}


def test_skip_leaves_them_and_paints_only_new_photos(catalog, src, tmp_path):
    out = tmp_path / "out"
    _batch(catalog, src, out, 0.5)
    earlier = _sha(out)
    Image.fromarray(photo(64, 48, seed=9)).save(src / "new.png")
    report = _batch(catalog, src, out, 1.0, if_changed=SKIP)
    assert len(report.skipped_changed) == N and [Path(p).name for p in report.done] == ["new_tiny.png"]
    assert all(_sha(out)[name] == earlier[name] for name in earlier if name.endswith(".png"))
    assert f"{N} skipped" in report.summary()


def test_a_stopped_batch_resumes_with_the_same_settings_without_asking(catalog, src, tmp_path):
    out = tmp_path / "out"
    def stop_at_the_second_photo(update) -> None:
        if update.stage.startswith("1/"):
            progress.token.cancel()

    progress = Progress(stop_at_the_second_photo)
    report = run_batch(ModelHost(), catalog.find("tiny"), resolve_device("cpu"), collect_inputs([src]), out,
                       StylizeOptions(strength=0.7), progress, painters=1)
    assert report.cancelled and 1 <= len(report.done) < N
    (out / ".p9_tiny.99999999-0123abcd.partial.png").write_bytes(b"half a painting")  # a killed run's leftover
    resumed = _batch(catalog, src, out, 0.7)
    assert resumed.question is None and len(resumed.skipped) == len(report.done)
    assert len(resumed.done) == N - len(report.done)
    assert not list(out.glob(".*partial*"))


def test_old_marks_without_settings_still_count_as_done(catalog, src, tmp_path):
    """Paintings from before settings were recorded are not suddenly painted again, or asked about."""
    out = tmp_path / "out"
    out.mkdir()
    for i in range(N):
        source = src / f"p{i}.png"
        old_mark = f"Atelier 0.1.0 painting {painting_id(source, out, 'tiny')}"
        save_image_atomic(out / f"p{i}_tiny.png", photo(64, 48, seed=20 + i), software=old_mark)
    mark = read_mark(out / "p0_tiny.png")
    assert mark is not None and mark.look is None and mark.words == ""
    report = _batch(catalog, src, out, 0.4)
    assert report.question is None and len(report.skipped) == N and not report.done
    assert len(_batch(catalog, src, out, 0.4, if_changed=OVERWRITE).replaced) == N  # --overwrite still can


def test_overwrite_replaces_paintings_made_with_the_same_settings_too(catalog, src, tmp_path):
    out = tmp_path / "out"
    _batch(catalog, src, out)
    report = _batch(catalog, src, out, if_changed=OVERWRITE)
    assert len(report.replaced) == N and not report.skipped


def test_a_retrained_style_counts_as_a_change_a_redescribed_one_does_not(catalog, src, tmp_path):
    from dataclasses import replace

    from engine.stylefile import load_style, save_style

    out = tmp_path / "out"
    _batch(catalog, src, out)
    entry = catalog.find("tiny")
    options = StylizeOptions()
    generator, meta = load_style(entry.path)
    save_style(entry.path, generator, replace(meta, description="said otherwise"))
    assert changed_outputs(collect_inputs([src]), out, catalog.find("tiny"), options) is None
    make_style(entry.path, "Tiny", seed=7)  # retrained: other weights, same name
    q = changed_outputs(collect_inputs([src]), out, catalog.find("tiny"), options)
    assert q is not None and q.count == N and q.what_changed() == "the style was retrained or updated"


def test_the_look_words_and_digest(catalog):
    path = catalog.find("tiny").path
    look = PaintLook.of(StylizeOptions(strength=0.8, brushwork=0.25, max_size=2048, paint_size=None), path)
    assert look.words().startswith("strength 80 %, preserve-colors no, brushwork 25 %, max-size 2048 px, "
                                   "paint-size full, style ")
    assert look.words().isascii()  # the EXIF Software tag is ASCII
    assert PaintLook.of(StylizeOptions(strength=0.8, brushwork=0.25, max_size=2048, paint_size=None),
                        path).digest == look.digest
    assert PaintLook.of(StylizeOptions(strength=0.81), path).digest != PaintLook.of(StylizeOptions(strength=0.8),
                                                                                    path).digest
    plain = PaintLook.of(StylizeOptions(), path)
    assert "strokes" not in plain.words()  # without brushwork the strokes do not show, and are not recorded
    # turning brushwork on is told as that alone, not as a changed style
    assert changes(plain.words(), PaintLook.of(StylizeOptions(brushwork=0.25), path)) == [("brushwork", "off", "25 %")]
    assert changes("", plain) == [] and changes("strength 80 %, future-setting x", plain) == [
        ("strength", "80 %", "100 %")]


def test_the_photos_own_exif_is_kept_beside_the_mark(catalog, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    exif = Image.Exif()
    exif[0x013B] = "Ada Photographer"  # Artist
    exif[0x010E] = "harbour at dawn"  # ImageDescription
    Image.fromarray(photo(64, 48)).save(d / "p.jpg", exif=exif.tobytes(), quality=90)
    out = tmp_path / "out"
    _batch(catalog, d, out, 0.6)
    written = Image.open(out / "p_tiny.jpg").getexif()
    assert written[0x013B] == "Ada Photographer" and written[0x010E] == "harbour at dawn"
    assert "strength 60 %" in written[0x0131]


# ----------------------------------------------------------------------------- the command line
def _stylize(folder: Path, *flags: str) -> int:
    return main(["stylize", str(folder), "--style", "mine", "--device", "cpu", "--format", "png", *flags])


def test_cli_without_a_terminal_stops_with_one_line_and_exit_2(style, src, capsys):
    assert _stylize(src, "--strength", "1") == 0
    out = src / "stylized"
    before, originals = _sha(out), _sha(src)
    capsys.readouterr()
    assert _stylize(src, "--strength", "0.8") == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0] == (f"error: {N} paintings in {out} were made with other settings (strength 100 % -> 80 %); "
                        "nothing was painted. Say what to do with them: --if-changed replace | keep-both | skip")
    assert "stylized" not in captured.out
    assert _sha(out) == before and _sha(src) == originals


def test_cli_answers_in_advance_and_the_summary_counts(style, src, capsys):
    assert _stylize(src, "--strength", "1") == 0
    capsys.readouterr()
    assert _stylize(src, "--strength", "0.8", "--if-changed", "keep-both") == 0
    out = capsys.readouterr().out
    assert f"{N} stylized, 0 already done" in out and f"{N} painted beside earlier painting(s)" in out
    assert _stylize(src, "--strength", "0.8") == 0  # the paintings beside are done
    assert f"0 stylized, {N} already done" in capsys.readouterr().out


def test_cli_asks_on_a_terminal(style, src, capsys, monkeypatch):
    assert _stylize(src, "--strength", "1") == 0
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    replies = iter(["maybe", "r"])
    monkeypatch.setattr("builtins.input", lambda: next(replies))
    capsys.readouterr()
    assert _stylize(src, "--strength", "0.5") == 0
    captured = capsys.readouterr()
    assert "were made with other settings (strength 100 % -> 50 %)" in captured.err
    assert captured.err.count("[r]eplace them") == 2  # asked again after an answer it did not know
    assert f"{N} painting(s) made with other settings replaced" in captured.out


def test_cli_overwrite_and_if_changed_are_one_choice(style, src, capsys):
    with pytest.raises(SystemExit) as exc:
        _stylize(src, "--overwrite", "--if-changed", "skip")
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
