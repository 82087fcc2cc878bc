"""The training loop: a content-preserving GAN that learns a style from a few artworks.

One step (batch of photo crops x, artwork crops y):
  D: LSGAN on DiffAugment(y) vs DiffAugment(G(x)) over texture/colour heads.
  G: adversarial + PatchNCE(x, G(x)) on G's encoder + L1 identity on G(y) ~ y
     + low-pass luminance structure (weight = "keep content") + warp consistency (every 2nd step).
An EMA of G is what gets exported; the best EMA by a measured score is kept as the run goes.

Runs are never lost: a checkpoint (weights, optimizers, step, config, RNG state, time spent) is
written atomically every `checkpoint_every_s` and on stop/cancel, loaded with weights_only=True,
and a resumed run continues with exactly the crops and augmentations the killed run would have drawn.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.devices import DeviceInfo
from engine.errors import Cancelled, DataCheckError
from engine.metrics import (
    colour_distance,
    colour_stats,
    set_distance,
    ssim_luminance,
    texture_distance,
    texture_features,
)
from engine.models.discriminator import StyleDiscriminator
from engine.models.generator import Generator, build_generator
from engine.pixels import to_tensor, to_uint8
from engine.progress import Progress
from engine.stylefile import StyleMeta, encode_thumbnail, load_style, save_style
from engine.training.data import check_folder, check_folders, load_working_set, random_crops, require
from engine.training.diffaugment import diff_augment
from engine.training.losses import (
    PaletteLoss,
    PatchNCE,
    TextureLoss,
    lsgan_d,
    lsgan_g,
    structure_loss,
    warp_consistency,
)

CHECKPOINT = "checkpoint.pt"
BEST = "best.atelier-style"


@dataclass(frozen=True)
class TrainConfig:
    architecture: str = "fast"
    crop: int = 128
    batch: int = 1
    steps: int = 4000
    minutes: float | None = None  # time budget; when set, `steps` is derived from measured speed
    lr_g: float = 1e-3
    lr_d: float = 2e-4
    w_gan: float = 1.5
    w_nce: float = 0.2
    w_idt: float = 0.0
    w_texture: float = 10.0
    w_palette: float = 10.0
    content_weight: float = 1.0  # the user's "keep content" dial: scales the structure term
    w_struct: float = 0.3
    w_warp: float = 1.0
    warp_every: int = 2
    nce_layers: tuple[int, ...] = (2, 3, 4, 5)
    nce_patches: int = 128
    ema: float = 0.98
    art_side: int = 512
    photo_side: int = 512
    seed: int = 0
    checkpoint_every_s: float = 60.0
    preview_every_s: float = 5.0
    eval_every: int = 250
    min_art: int = 1
    min_photos: int = 4

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> TrainConfig:
        d = json.loads(text)
        d["nce_layers"] = tuple(d["nce_layers"])
        return TrainConfig(**d)


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    best_path: Path | None
    best_score: float | None
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


PreviewSink = Callable[[np.ndarray, int], None]


def _atomic_torch_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    torch.save(obj, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Trainer:
    """Holds the models and optimizers of one run; `run()` trains until steps, time, stop or cancel."""

    def __init__(self, config: TrainConfig, art_dirs: list[Path], photo_dir: Path, run_dir: Path,
                 device: DeviceInfo, base: Path | None = None,
                 eval_photos: list[Path] | None = None, exclude_photos: tuple[str, ...] = ()) -> None:
        self.config = config
        self.device = device
        self.run_dir = Path(run_dir)
        self.art_dirs, self.photo_dir = [Path(a) for a in art_dirs], Path(photo_dir)
        self.art_report = require(check_folders(self.art_dirs, config.min_art, "artwork"))
        self.photo_report = require(check_folder(photo_dir, config.min_photos, "photo", exclude_photos))
        torch.manual_seed(config.seed)
        dev = device.torch_device
        self.generator: Generator = build_generator(config.architecture).to(dev)
        self.base = base
        if base is not None:
            base_g, base_meta = load_style(base)
            if base_meta.architecture != config.architecture:
                raise DataCheckError(f"base style {base_meta.name!r} is a {base_meta.architecture} model; "
                                     f"this run trains a {config.architecture} model")
            self.generator.load_state_dict(base_g.state_dict())
        self.ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
        self.discriminator = StyleDiscriminator().to(dev)
        chans = [self._channels(i) for i in config.nce_layers]
        self.nce = PatchNCE(chans, patches=config.nce_patches).to(dev)
        self.texture = TextureLoss().to(dev)
        self.opt_g = torch.optim.Adam(list(self.generator.parameters()) + list(self.nce.parameters()),
                                      lr=config.lr_g, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d, betas=(0.5, 0.999))
        self.step = 0
        self.seconds = 0.0
        self.best_score: float | None = None
        self.history: list[dict[str, float]] = []
        self.art = load_working_set(self.art_report.usable, config.art_side)
        self.photos = load_working_set(self.photo_report.usable, config.photo_side)
        self.texture.set_target(random_crops(self.art, 32, config.crop).to(dev))
        self.palette = PaletteLoss()
        self.palette.set_target([a.to(dev) for a in self.art])
        usable = self.photo_report.usable
        eval_paths = eval_photos or usable[:: max(1, len(usable) // 4)][:4]  # spread over the set
        self.eval_images = [self._eval_image(p) for p in eval_paths]
        self.art_textures = [texture_features(to_uint8(a)) for a in self.art]
        self.art_colours = [colour_stats(to_uint8(a)) for a in self.art]

    def _channels(self, layer: int) -> int:
        with torch.no_grad():
            x = torch.zeros(1, 3, 64, 64, device=self.device.torch_device)
            return self.generator.encode(x, (layer,))[0].shape[1]

    @staticmethod
    def _eval_image(path: Path) -> np.ndarray:
        from engine.imageio import load_image
        from engine.stylize import _fit

        rgb, _ = _fit(load_image(path).rgb, None, 256)
        h, w = rgb.shape[:2]
        return rgb[: h - h % 8, : w - w % 8]

    # ------------------------------------------------------------------------------ one step
    def train_step(self) -> dict[str, float]:
        c = self.config
        dev = self.device.torch_device
        x = random_crops(self.photos, c.batch, c.crop).to(dev)
        y = random_crops(self.art, c.batch, c.crop).to(dev)
        g, d = self.generator.train(), self.discriminator.train()

        fake = g(x)
        # --- D
        self.opt_d.zero_grad(set_to_none=True)
        loss_d = lsgan_d(d(diff_augment(y)), d(diff_augment(fake.detach())))
        loss_d.backward()
        self.opt_d.step()
        # --- G
        self.opt_g.zero_grad(set_to_none=True)
        d.requires_grad_(False)
        loss_gan = lsgan_g(d(diff_augment(fake)))
        d.requires_grad_(True)
        loss_nce = self.nce(g.encode(x, c.nce_layers), g.encode(fake, c.nce_layers))
        loss_idt = torch.nn.functional.l1_loss(g(y), y)
        loss_struct = structure_loss(x, fake)
        loss_tex = self.texture(fake)
        loss_pal = self.palette(fake)
        total = (c.w_gan * loss_gan + c.w_nce * loss_nce + c.w_idt * loss_idt
                 + c.w_struct * c.content_weight * loss_struct + c.w_texture * loss_tex + c.w_palette * loss_pal)
        losses = {k: float(v.detach()) for k, v in (("d", loss_d), ("gan", loss_gan), ("nce", loss_nce),
                                                     ("idt", loss_idt), ("struct", loss_struct),
                                                     ("texture", loss_tex), ("palette", loss_pal))}
        if c.w_warp > 0 and self.step % c.warp_every == 0:
            loss_warp = warp_consistency(g, x, fake)
            total = total + c.w_warp * loss_warp
            losses["warp"] = float(loss_warp.detach())
        total.backward()
        self.opt_g.step()
        with torch.no_grad():
            for pe, pg in zip(self.ema.parameters(), g.parameters(), strict=True):
                pe.lerp_(pg, 1 - c.ema)
        self.step += 1
        for v in losses.values():
            if not np.isfinite(v):
                raise FloatingPointError(f"training diverged at step {self.step} (a loss became {v})")
        return losses

    # ------------------------------------------------------------------------------ measuring
    def stylize_eval(self, model: Generator | None = None) -> list[np.ndarray]:
        model = model or self.ema
        outs = []
        with torch.inference_mode():
            for rgb in self.eval_images:
                x = to_tensor(rgb)
                outs.append(to_uint8(model.eval()(x.to(self.device.torch_device))[0]))
        return outs

    def evaluate(self) -> dict[str, float]:
        """Style distance (texture + colour) to the artworks and content kept, on fixed photos."""
        outs = self.stylize_eval()
        tex = set_distance([texture_features(o) for o in outs], self.art_textures, texture_distance)
        col = set_distance([colour_stats(o) for o in outs], self.art_colours, colour_distance)
        ssim = float(np.mean([ssim_luminance(a, b) for a, b in zip(self.eval_images, outs, strict=True)]))
        # Lower is better. Content is a floor: below SSIM 0.85 faces start to melt (seen on ukiyo-e at
        # 0.80), so such checkpoints are only kept when nothing better exists.
        score = tex + 0.5 * col + 4.0 * max(0.0, 0.85 - ssim)
        return {"texture": tex, "colour": col, "ssim": ssim, "score": score}

    def preview(self, photos: int = 3, side: int = 160) -> np.ndarray:
        """A strip: each fixed photo above its stylized version, for the UI and the CLI."""
        from PIL import Image

        outs = self.stylize_eval()
        cols = []
        for a, b in list(zip(self.eval_images, outs, strict=True))[:photos]:
            pair = np.concatenate([a, b], axis=0)
            h, w = pair.shape[:2]
            s = side / w
            cols.append(np.asarray(Image.fromarray(pair).resize((side, max(1, round(h * s))))))
        height = min(c.shape[0] for c in cols)
        return np.concatenate([c[:height] for c in cols], axis=1)

    # ------------------------------------------------------------------------------ persistence
    def state(self) -> dict[str, Any]:
        return {
            "generator": self.generator.state_dict(),
            "ema": self.ema.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "nce": self.nce.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "step": self.step,
            "seconds": self.seconds,
            "best_score": -1.0 if self.best_score is None else self.best_score,
            "config": self.config.to_json(),
            "rng": torch.get_rng_state(),
            "history": json.dumps(self.history),
            "art_dirs": json.dumps([str(a) for a in self.art_dirs]),
            "photo_dir": str(self.photo_dir),
            "base": "" if self.base is None else str(self.base),
        }

    def save_checkpoint(self) -> Path:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / CHECKPOINT
        _atomic_torch_save(self.state(), path)
        return path

    def load_checkpoint(self, path: Path | None = None) -> None:
        path = path or self.run_dir / CHECKPOINT
        s = torch.load(path, map_location=self.device.torch_device, weights_only=True)
        self.generator.load_state_dict(s["generator"])
        self.ema.load_state_dict(s["ema"])
        self.discriminator.load_state_dict(s["discriminator"])
        self.nce.load_state_dict(s["nce"])
        self.opt_g.load_state_dict(s["opt_g"])
        self.opt_d.load_state_dict(s["opt_d"])
        self.step = int(s["step"])
        self.seconds = float(s["seconds"])
        self.best_score = None if s["best_score"] < 0 else float(s["best_score"])
        self.history = json.loads(s["history"])
        torch.set_rng_state(s["rng"].cpu())

    def save_best(self, meta: StyleMeta) -> Path:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / BEST
        save_style(path, self.ema, meta)
        return path

    # ------------------------------------------------------------------------------ the loop
    def run(self, progress: Progress, meta: StyleMeta, on_preview: PreviewSink | None = None,
            total_steps: int | None = None) -> TrainResult:
        c = self.config
        total = total_steps or c.steps
        budget_s = c.minutes * 60 if c.minutes else None
        last_ckpt = last_preview = time.monotonic()
        started_step = self.step
        try:
            while True:
                done_by_steps = budget_s is None and self.step >= total
                done_by_time = budget_s is not None and self.seconds >= budget_s
                if done_by_steps or done_by_time or progress.token.finish_requested:
                    break
                t0 = time.perf_counter()
                losses = self.train_step()
                self.seconds += time.perf_counter() - t0
                if self.step % c.eval_every == 0:
                    self._evaluate_and_keep(meta)
                fraction = self.seconds / budget_s if budget_s else self.step / total
                now = time.monotonic()
                if on_preview and now - last_preview >= c.preview_every_s:
                    on_preview(self.preview(), self.step)
                    last_preview = now
                if now - last_ckpt >= c.checkpoint_every_s:
                    self.save_checkpoint()
                    last_ckpt = now
                progress.report(fraction, "training", {"step": self.step, **losses})
        except Cancelled:
            self.save_checkpoint()
            raise
        if self.step > started_step or self.best_score is None:
            self._evaluate_and_keep(meta)
        self.save_checkpoint()
        progress.report(1.0, "done", {"step": self.step}, force=True)
        best = self.run_dir / BEST
        return TrainResult(self.run_dir, self.step, best if best.exists() else None, self.best_score,
                           self.seconds, self.history)

    def _evaluate_and_keep(self, meta: StyleMeta) -> None:
        m = self.evaluate()
        m["step"] = float(self.step)
        self.history.append(m)
        if self.best_score is None or m["score"] < self.best_score:
            self.best_score = m["score"]
            self.save_best(self._meta_with_recipe(meta, m))

    def _meta_with_recipe(self, meta: StyleMeta, measured: dict[str, float]) -> StyleMeta:
        from engine.paths import sample_photo

        recipe = dict(meta.training)
        recipe.update({
            "config": json.loads(self.config.to_json()),
            "step": self.step,
            "seconds": round(self.seconds, 1),
            "device": self.device.describe(),
            "art_images": len(self.art_report.usable),
            "photo_images": len(self.photo_report.usable),
            "base": None if self.base is None else Path(self.base).name,
            "measured": {k: round(v, 4) for k, v in measured.items()},
        })
        thumb = b""
        sample = sample_photo()
        if sample.exists():
            from PIL import Image

            from engine.imageio import load_image
            from engine.stylize import _fit

            rgb, _ = _fit(load_image(sample).rgb, None, 256)
            x = to_tensor(rgb)
            with torch.inference_mode():
                out = to_uint8(self.ema.eval()(x.to(self.device.torch_device))[0])
            thumb = encode_thumbnail(Image.fromarray(out))
        return replace(meta, training=recipe, thumbnail_png=thumb, architecture=self.config.architecture)


def measure_step_seconds(trainer: Trainer, steps: int = 6) -> float:
    """Median seconds per step on this device (after one warm-up step); the RNG is restored after."""
    rng = torch.get_rng_state()
    state = copy.deepcopy({k: v for k, v in trainer.state().items() if k in ("generator", "ema", "discriminator",
                                                                           "nce", "opt_g", "opt_d")})
    step0 = trainer.step
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        trainer.train_step()
        if i:
            times.append(time.perf_counter() - t0)
    trainer.generator.load_state_dict(state["generator"])
    trainer.ema.load_state_dict(state["ema"])
    trainer.discriminator.load_state_dict(state["discriminator"])
    trainer.nce.load_state_dict(state["nce"])
    trainer.opt_g.load_state_dict(state["opt_g"])
    trainer.opt_d.load_state_dict(state["opt_d"])
    trainer.step = step0
    torch.set_rng_state(rng)
    return float(np.median(times))
