"""One training job from request to style file: checks, base, time budget, run, export.

Shared by `atelier train` and the engine thread (the GUI wizard), so both behave the same.
The time budget (`minutes`) measures this device's speed first and sizes the run from it: 256-px
crops everywhere (the texture statistics are taken at 1/3 scale and need the room), batch 2 on a CPU
and 4 on a GPU, evaluation ~12 times over the run, and the best result by the measured score is what
gets exported when time is up or the user stops early.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from engine.atomicfile import write_text_atomic
from engine.brushwork import stroke_preset
from engine.devices import DeviceInfo
from engine.errors import DataCheckError
from engine.progress import Progress
from engine.stylefile import StyleMeta, save_style, validate_name
from engine.training.trainer import CHECKPOINT, PreviewSink, TrainConfig, Trainer, measure_step_seconds


@dataclass(frozen=True)
class TrainSpec:
    art_dirs: tuple[Path, ...]
    photo_dir: Path
    name: str
    run_dir: Path
    output: Path
    config: TrainConfig
    base: Path | None = None
    resume: bool = False
    author: str = ""
    exclude_photos: tuple[str, ...] = ()
    strokes: str = "medium"  # engine.brushwork.STROKE_PRESETS: the brushwork the exported style carries
    more_minutes: float | None = None  # resuming: train this much longer than the run already has


@dataclass(frozen=True)
class TrainOutcome:
    style_path: Path
    steps: int
    seconds: float
    score: float | None
    history: tuple[dict[str, float], ...]
    stopped_early: bool = False  # ended before its budget: `patience` checks found nothing better


def read_run_config(run_dir: Path) -> dict:
    """The spec a run was started with (written beside its checkpoint), for --resume and the wizard."""
    path = Path(run_dir) / "run.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataCheckError(f"nothing to resume in {Path(run_dir).absolute()}: no readable run.json there") from exc


def _write_run_config(spec: TrainSpec) -> None:
    """Paths are stored absolute: a run resumed from another folder (or by the wizard after a
    restart) must find the same artworks and photos that relative paths named from the first one."""
    spec.run_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "art_dirs": [str(Path(a).absolute()) for a in spec.art_dirs],
        "photo_dir": str(Path(spec.photo_dir).absolute()),
        "name": spec.name,
        "output": str(Path(spec.output).absolute()),
        "config": json.loads(spec.config.to_json()),
        "base": None if spec.base is None else str(Path(spec.base).absolute()),
        "author": spec.author,
        "exclude_photos": list(spec.exclude_photos),
        "strokes": spec.strokes,
    }
    write_text_atomic(spec.run_dir / "run.json", json.dumps(data, indent=2))


def spec_from_run(run_dir: Path) -> TrainSpec:
    d = read_run_config(run_dir)
    base = Path(d["base"]) if d["base"] else None
    return TrainSpec(tuple(Path(a) for a in d["art_dirs"]), Path(d["photo_dir"]), d["name"], Path(run_dir).absolute(),
                     Path(d["output"]), TrainConfig.from_dict(d["config"]), base, True,
                     d.get("author", ""), tuple(d.get("exclude_photos", ())), d.get("strokes", "medium"))


def train_style(spec: TrainSpec, device: DeviceInfo, progress: Progress,
                on_preview: PreviewSink | None = None, log=print) -> TrainOutcome:
    validate_name(spec.name)
    brush = stroke_preset(spec.strokes)
    resuming = spec.resume and (spec.run_dir / CHECKPOINT).exists()
    if spec.resume and not resuming:
        raise DataCheckError(f"nothing to resume in {spec.run_dir}: no checkpoint there")
    config = spec.config
    if config.minutes and not resuming and device.spec != "cpu":
        config = replace(config, batch=max(config.batch, 4))  # a GPU has room for more crops per step
    progress.report(0.0, "checking data", force=True)
    trainer = Trainer(config, list(spec.art_dirs), spec.photo_dir, spec.run_dir, device, spec.base,
                      exclude_photos=spec.exclude_photos, resuming=resuming)
    for r in (trainer.art_report, trainer.photo_report):
        for issue in r.excluded:
            log(f"skipped {issue}")
    total_steps = config.steps
    if resuming:
        trainer.load_checkpoint()
        log(f"resuming {spec.run_dir.name} at step {trainer.step} ({trainer.seconds / 60:.1f} min trained)")
        if spec.more_minutes:  # "Train longer": a finished run's budget is spent, so it gets a new one
            config = replace(config, minutes=trainer.seconds / 60 + spec.more_minutes)
            trainer.config = config
    else:
        _write_run_config(replace(spec, config=config))
    if config.minutes:
        sec = measure_step_seconds(trainer)
        est = max(1, int((config.minutes * 60 - trainer.seconds) / sec))  # steps still to run
        trainer.config = config = replace(config, eval_every=max(25, est // 12))
        log(f"{sec:.2f} s per step on {device.spec} at {config.crop} px: about {est} steps in "
            f"{config.minutes:g} min")
    meta = StyleMeta(name=spec.name, architecture=config.architecture, author=spec.author,
                     training={"art": [Path(a).name for a in spec.art_dirs]}, brush=brush)
    result = trainer.run(progress, meta, on_preview, total_steps)
    if result.stopped_early:
        log(f"stopped at step {result.step} ({result.seconds / 60:.1f} min): the last {config.patience} checks "
            f"found nothing better than step {trainer.best_step}, and more training would only cost the photo's "
            "content; kept that step")
    if result.best_path is None:
        raise DataCheckError("training ended before any result could be measured")
    from engine.stylefile import load_style

    generator, best_meta = load_style(result.best_path)
    spec.output.parent.mkdir(parents=True, exist_ok=True)
    save_style(spec.output, generator, best_meta)
    return TrainOutcome(spec.output, result.step, result.seconds, result.best_score, tuple(result.history),
                        result.stopped_early)
