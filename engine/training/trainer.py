"""The training loop: a content-preserving GAN that learns a style from a few artworks.

Before the first step the painter's palette is fitted as a colour map from all photos to all
artworks (`PaletteMap`), and each artwork's feature statistics are measured through the pretrained
loss network (EfficientNet-Lite0, engine.models.lossnet).
One step (batch of photo crops x, artwork crops y):
  D: LSGAN on DiffAugment(y) vs DiffAugment(G(x)) over texture/colour heads (on 128-px sub-crops:
     D judges local style, and full crops made D cost as much as G on the CPU).
  G: adversarial + PatchNCE(x, G(x)) on G's encoder + L1 identity on G(y) ~ y
     + content against the palette-mapped photo and the loss network's perceptual term (weight =
     "keep content") + the loss network's feature statistics of one artwork per crop (`FeatureStyle`)
     + warp consistency (every `warp_every` steps). Runs saved before the loss network used
     random-feature Gram texture and Laplacian-band SWD instead; they resume with exactly those terms.
An EMA of G is what gets exported; the best EMA by a measured score is kept as the run goes.

Runs are never lost: a checkpoint (weights, optimizers, step, config, RNG state, time spent) is
written atomically every `checkpoint_every_s` and on stop/cancel, loaded with weights_only=True,
and a resumed run continues with exactly the crops and augmentations the killed run would have drawn.
"""

from __future__ import annotations

import copy
import json
import logging
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
    edge_agreement,
    set_distance,
    ssim_luminance,
    texture_distance,
    texture_features,
)
from engine.models.discriminator import StyleDiscriminator
from engine.models.faces import scaled
from engine.models.generator import Generator, GeneratorConfig, adopt_weights, build_generator
from engine.models.lossnet import load_lossnet
from engine.models.skin import face_map, skin_map
from engine.pixels import to_float, to_tensor, to_uint8
from engine.progress import Progress
from engine.stylefile import StyleMeta, encode_thumbnail, load_style, save_style
from engine.training.data import check_folder, check_folders, load_working_set, random_crops, require
from engine.training.diffaugment import diff_augment
from engine.training.losses import (
    PERCEPTUAL_REFERENCES,
    ContentLoss,
    FeatureStyle,
    PatchNCE,
    PerceptualContent,
    face_hold,
    feature_upto,
    lsgan_d,
    lsgan_g,
    perceptual_reference,
    warp_consistency,
)
from engine.training.palette import PaletteMap, palette_target

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
BEST = "best.atelier-style"


@dataclass(frozen=True)
class TrainConfig:
    architecture: str = "fast"
    crop: int = 256  # photo/artwork crop side; texture statistics need room at 1/3 scale
    batch: int = 2
    steps: int = 4000
    minutes: float | None = None  # time budget; when set, `steps` is derived from measured speed
    lr_g: float = 1e-3
    lr_d: float = 2e-4
    w_gan: float = 1.0
    d_crop: int = 128  # D sees random sub-crops of this size
    w_nce: float = 0.1
    # No identity term (|G(artwork) - artwork|, CycleGAN's): measured on the built-ins' exact Van Gogh
    # command (1,200 steps, weight 1, 18 held-out photos at 512 px): reads as Van Gogh 67 -> 61 %, SSIM
    # 0.67 -> 0.69, edges 0.76 -> 0.78, texture removed 18 -> 12 %, colour 22 -> 20 %, one more G pass a step:
    # it trades style for content, which `content_weight` already does. Off in every run; removed 2026-12-06.
    palette_strength: float = 1.0  # how far colours move towards the painter's palette (0 = keep)
    content_weight: float = 1.0  # the user's "keep content" dial: scales the content term
    w_struct: float = 1.0  # weight of ContentLoss before the dial
    # Extra weight of the content term's colour on skin (0 = none). The discriminator's colour head
    # can turn faces a painting's dominant colour (Turner's green) or leave light blotches under the
    # eyes (Cezanne's) even where the target keeps skin's own colour; this holds faces to the target.
    w_skin_chroma: float = 4.0
    # Face-aware: skin keeps its tones and layout (0 = off); 3.0 before layout 3, 6.0 before layout 5
    # (see w_face_fine).
    w_skin: float = 12.0
    # Faces held to their target pixel by pixel (`losses.face_hold`; 0 = off). Van Gogh, 1,200 steps,
    # 18 held-out photos at 512 px: at 10, reads as Van Gogh as often (67 %), SSIM 0.64 -> 0.67, edges
    # 0.74 -> 0.76, and kodim04's cheeks and forehead clean where a run without it painted lid and
    # cheek dabs. 10 -> 30 (2026-12-06): a lid line is a few pixels of a crop's mean, and at 10 Ukiyo-e
    # still painted a magenta shadow over both lids of kodim04 (Van Gogh a purple one); at 30 its eyes
    # are clean at the same recognition (39 %), SSIM 0.70 -> 0.70, texture removed 27 -> 23 %, colour
    # removed 20 -> 24 %. 30 -> 90, with w_skin 6 -> 12, for layout 5 (2026-12-07): a residual in plain
    # colour space moves dark skin as easily as a wall, and at 30 Van Gogh painted stripes across
    # kodim15's shadowed eye; at 90 its faces are cleaner than layout 4's (kodim04's cheek patches gone)
    # and it reads as Van Gogh 72 % at SSIM 0.73 (Generator.compose).
    w_face_fine: float = 90.0
    # Share of its own colour skin keeps in the content target (0 = the palette map decides). Painters'
    # palettes have little dark brown: the map alone sends dark skin to grey or green.
    skin_colour_keep: float = 0.8
    w_warp: float = 1.0
    warp_every: int = 4
    # Sensor noise on the warped photo of the warp term (3 of 255 levels, a webcam's; 0 = none). Cézanne
    # trained 20 min without it turned the live bench's still-scene noise into 2.7x as much output change
    # (stabilized flicker 0.62; the 268-step Cézanne before it 0.26), with it 1.9x (0.50) at the same
    # recognition (61 %, 512 px) and SSIM (0.54 -> 0.53), 2026-12-07.
    warp_noise: float = 3 / 127.5
    # Charge for asking the output past the range a photo's pixels can take (`Generator.overshoot`): past
    # it the output is flat, no term can pull a region back, and it stays a black blotch (Turner's).
    # 0 = off (runs saved before it).
    w_range: float = 10.0
    # The pretrained eye (engine.models.lossnet): the painter's style as feature statistics of the
    # artworks, and the photo's content as its mid-level features. 0 = off (runs saved before it).
    # Van Gogh, 1,000 steps, 18 held-out photos at 512 px (README ablation): with the skin guide
    # (generator layout 3), w_style 2, content at 1/8 only and faces asking no style but held 7x read as
    # Van Gogh 67 % (the recipe before: 56 %) at SSIM 0.65 (0.80) with clean faces; without the guide the
    # same weights scratched strokes across faces. Runs saved before keep what they were started with.
    w_style: float = 2.0
    w_perceptual: float = 1.0
    style_layers: tuple[int, ...] = (1, 2, 3)
    # Depths at which the photo's content must survive (1/8; (2, 3) adds 1/16, as runs before layout 3).
    # Measured on Van Gogh, 400-500 steps: 1/8 alone with w_style 2 read as the painter as often (67 %)
    # as both with w_style 4, at SSIM 0.63 instead of 0.48.
    perceptual_layers: tuple[int, ...] = (2,)
    # What the perceptual term compares the painting's features with (PERCEPTUAL_REFERENCES):
    # "palette": the palette target (the photo in the painter's colours, which the structure and face
    # terms ask for too) rather than the "photo". EfficientNet's features carry colour, so against the
    # photo that term pulled every colour back while the others pushed it to the palette. Van Gogh, the
    # built-ins' command (1,200 steps, 18 held-out photos at 1024 px, 2026-12-07): reads as Van Gogh
    # 72 -> 78 %, colour distance removed 37 -> 41 %, SSIM 0.74 -> 0.74, edges 0.87 -> 0.86.
    # "palette_photo_faces": the palette target, but the photo itself where the face map is (skin keeps
    # its own features). Same run: 78 %, colour removed 42 %, SSIM 0.73, edges 0.86, and the pale stripe
    # that "palette" painted beside kodim04's nose at 1:1 is gone (mean change in the face boxes 6.9 /
    # 10.5 / 6.9 -> 6.6 / 10.6 / 6.6 levels). The six built-ins retrained with it (stop 34, README): the
    # face boxes changed less for four, as much for Monet, more specks for Turner; reads as painter
    # Ukiyo-e +2 photos of 18, Munch +1, Turner -3, Cézanne -2; a second seed of each setting read the
    # same for Turner (56 / 56 %) and Cézanne (56 / 56 %), so those gaps are run-to-run spread. SSIM
    # -0.01 to +0.02. Runs saved before the key resume with what they trained.
    perceptual_reference: str = "palette_photo_faces"
    style_crops_per_art: int = 4
    style_on_skin: float = 0.0  # share of the style term's weight that skin keeps (0.1 before layout 3)
    # Encoder layers PatchNCE compares; empty: the generator's own (Generator.nce_default_layers: each
    # downsampling level and the middle of its residual stack). A fixed (2, 3, 4, 5) fitted only the fast
    # size: the quality size (two downsamplings) has no layer 5, and `--size quality` crashed.
    nce_layers: tuple[int, ...] = ()
    nce_patches: int = 128
    ema: float = 0.98
    art_side: int = 1024  # long side: artworks at about their scanned size, strokes a few px wide
    photo_side: int = 1024  # photos at the size the styles are used at (and benchmarked at)
    seed: int = 0
    checkpoint_every_s: float = 60.0
    preview_every_s: float = 5.0
    eval_every: int = 250
    # Stop when this many evaluations in a row find nothing better than the kept step (0: never). In
    # 17 runs (the built-ins, the base, the experiments of issue 14) no new best ever came after more
    # than 2 such evaluations, while five of the six built-ins kept their first (Cézanne's 20-minute
    # budget: step 219 kept, 18 more minutes spent on worse ones). A run resumed or trained longer
    # gets this many evaluations again.
    patience: int = 4
    eval_side: int = 768  # long side of the evaluation photos (stroke scale as in real use)
    min_art: int = 1
    min_photos: int = 4

    def __post_init__(self) -> None:
        if self.perceptual_reference not in PERCEPTUAL_REFERENCES:
            raise ValueError(f"perceptual_reference must be one of {', '.join(PERCEPTUAL_REFERENCES)}, "
                             f"not {self.perceptual_reference!r}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> TrainConfig:
        """A config from saved JSON; keys of other versions are ignored (said once when they were set: the
        palette bounds, removed on 2026-12-06 as never adopted, were CLI options), missing ones take defaults.

        A run that trained with the random-feature texture terms (removed on 2026-12-06: the loss network's
        statistics replaced them and they lowered recognition on top of it) cannot go on with its recipe
        and is refused with what to do instead; a run saved before their keys (and the loss network's)
        existed had them on."""
        saved_before_the_keys = "w_texture" not in d and "w_style" not in d
        if float(d.get("w_texture", 0)) > 0 or float(d.get("w_bands", 0)) > 0 or saved_before_the_keys:
            raise DataCheckError(
                "this training run was started by an older Atelier with texture terms this version no longer "
                f"has, so it cannot go on; its best style so far is {BEST} in the run folder "
                "(import it in the gallery), or start a new run on the same artworks")
        if "perceptual_reference" not in d:  # saved before the key: a bool said palette or photo (or nothing)
            d = {k: v for k, v in d.items() if k != "perceptual_on_palette"} | {
                "perceptual_reference": "palette" if d.get("perceptual_on_palette") else "photo"}
        known = {f for f in TrainConfig.__dataclass_fields__}
        ignored = sorted(k for k, v in d.items() if k not in known and v)
        if ignored:
            log.warning("this run was saved with settings this version of Atelier does not have (%s); it goes on "
                        "without them", ", ".join(ignored))
        d = {k: v for k, v in d.items() if k in known}
        d.setdefault("skin_colour_keep", 0.0)  # runs saved before the option trained with the palette's skin
        d.setdefault("w_skin_chroma", 0.0)  # and before this one, without holding skin's colour
        d.setdefault("w_face_fine", 0.0)  # or faces at full resolution
        d.setdefault("warp_noise", 0.0)  # or noise in the warp term
        d.setdefault("w_range", 0.0)  # or the charge for overshooting the output's range
        d.setdefault("w_style", 0.0)  # and before the pretrained loss network
        d.setdefault("w_perceptual", 0.0)
        d.setdefault("perceptual_layers", (2, 3))  # the only depths before the key was saved
        for key in ("nce_layers", "style_layers", "perceptual_layers"):
            if key in d:
                d[key] = tuple(d[key])
        return TrainConfig(**d)

    @staticmethod
    def from_json(text: str) -> TrainConfig:
        return TrainConfig.from_dict(json.loads(text))


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    best_path: Path | None
    best_score: float | None
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False  # `patience` evaluations found nothing better: more steps cost content


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
                 eval_photos: list[Path] | None = None, exclude_photos: tuple[str, ...] = (),
                 resuming: bool = False) -> None:
        """`resuming`: load_checkpoint() follows, so the palette map is taken from it, not fitted again."""
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
            adopt_weights(self.generator, base_g.state_dict())
        self.nce_layers = self._nce_layers(config)
        self.ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
        self.discriminator = StyleDiscriminator().to(dev)
        chans = [self._channels(i) for i in self.nce_layers]
        self.nce = PatchNCE(chans, patches=config.nce_patches).to(dev)
        self.opt_g = self._generator_optimizer()
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d, betas=(0.5, 0.999))
        self.step = 0
        self.seconds = 0.0
        self.best_score: float | None = None
        self.history: list[dict[str, float]] = []
        self.art = load_working_set(self.art_report.usable, config.art_side)
        self.photos = load_working_set(self.photo_report.usable, config.photo_side)
        # Targets are measured once, from torch's own generator seeded apart from the training RNG,
        # so a resumed run rebuilds exactly the same ones. Terms with weight 0 are not built at all.
        rng = torch.get_rng_state()
        self.feature_style: FeatureStyle | None = None
        self.perceptual: PerceptualContent | None = None
        self.lossnet = None
        if config.w_style > 0 or config.w_perceptual > 0:
            self.lossnet = lossnet = load_lossnet(dev)
            if config.w_style > 0:
                torch.manual_seed(config.seed + 2)
                self.feature_style = FeatureStyle(lossnet, config.style_layers)
                crops = config.style_crops_per_art * (4 if len(self.art) == 1 else 1)  # a spread needs crops
                self.feature_style.set_target([random_crops([a], crops, config.crop).to(dev) for a in self.art])
            if config.w_perceptual > 0:
                self.perceptual = PerceptualContent(lossnet, config.perceptual_layers)
        torch.set_rng_state(rng)
        self.palette = (PaletteMap.identity() if resuming else self._fit_palette()).to(dev)
        self.content = ContentLoss(w_skin=config.w_skin, w_skin_chroma=config.w_skin_chroma).to(dev)
        usable = self.photo_report.usable
        eval_paths = eval_photos or usable[:: max(1, len(usable) // 4)][:4]  # spread over the set
        self.eval_images = [self._eval_image(p, config.eval_side) for p in eval_paths]
        self.preview_images = [self._eval_image(p, 384) for p in eval_paths[:3]]
        self.art_textures = [texture_features(a.permute(1, 2, 0).numpy()) for a in self.art]
        self.art_colours = [colour_stats(a.permute(1, 2, 0).numpy()) for a in self.art]
        self.input_scores = self._measure(self.eval_images)

    def _nce_layers(self, config: TrainConfig) -> tuple[int, ...]:
        """The encoder layers PatchNCE compares for this config and generator, or a clear error."""
        count = self.generator.nce_layer_count
        if not config.nce_layers:
            return self.generator.nce_default_layers
        if not all(0 <= i < count for i in config.nce_layers):
            raise DataCheckError(f"nce_layers {list(config.nce_layers)} do not fit a {config.architecture} generator "
                                 f"(layers 0-{count - 1})")
        return config.nce_layers

    def _fit_palette(self) -> PaletteMap:
        """The painter's palette from every photo and artwork, on 1/4-size copies (fast, same colours)."""
        def small(images: list[torch.Tensor]) -> list[torch.Tensor]:
            return [torch.nn.functional.interpolate(to_float(im)[None], scale_factor=0.25, mode="area")[0]
                    for im in images]
        if self.config.palette_strength <= 0:
            return PaletteMap.identity()
        return PaletteMap.fit(small(self.photos), small(self.art), strength=self.config.palette_strength,
                              seed=self.config.seed)

    def _channels(self, layer: int) -> int:
        with torch.no_grad():
            x = torch.zeros(1, 3, 64, 64, device=self.device.torch_device)
            return self.generator.encode(x, (layer,))[0].shape[1]

    @staticmethod
    def _eval_image(path: Path, side: int) -> np.ndarray:
        from engine.imageio import load_image
        from engine.stylize import _fit

        rgb, _ = _fit(load_image(path).rgb, None, side)
        h, w = rgb.shape[:2]
        return rgb[: h - h % 8, : w - w % 8]

    # ------------------------------------------------------------------------------ one step
    def _sub_crop(self, *images: torch.Tensor) -> list[torch.Tensor]:
        """The same random d_crop window of each batch (D judges local style)."""
        s = self.config.d_crop
        h, w = images[0].shape[-2:]
        if s >= min(h, w):
            return list(images)
        y0 = int(torch.randint(h - s + 1, (1,)))
        x0 = int(torch.randint(w - s + 1, (1,)))
        return [im[..., y0:y0 + s, x0:x0 + s] for im in images]

    def train_step(self) -> dict[str, float]:
        c = self.config
        dev = self.device.torch_device
        x = random_crops(self.photos, c.batch, c.crop).to(dev)
        y = random_crops(self.art, c.batch, c.crop).to(dev)
        g, d = self.generator.train(), self.discriminator.train()

        # The photo's faces and face holes, found once per step (a detector pass for layout 6) and used by
        # the generator, its encoder and the losses alike.
        with torch.no_grad():
            faces = g.faces_of(x)
            holes = g.holes_of(x, faces) if g.config.fill_holes else None
        residual = g.residual(x, holes)
        fake = g.compose(x, residual)
        y_d, fake_d = self._sub_crop(y, fake)
        # --- D
        self.opt_d.zero_grad(set_to_none=True)
        loss_d = lsgan_d(d(diff_augment(y_d)), d(diff_augment(fake_d.detach())))
        loss_d.backward()
        self.opt_d.step()
        # --- G
        self.opt_g.zero_grad(set_to_none=True)
        d.requires_grad_(False)
        loss_gan = lsgan_g(d(diff_augment(fake_d)))
        d.requires_grad_(True)
        layers = self.nce_layers
        fake_holes = None if holes is None else g.holes_of(fake.detach(), faces)  # faces stay where they were
        loss_nce = (self.nce(g.encode(x, layers, holes), g.encode(fake, layers, fake_holes)) if c.w_nce
                    else fake.new_zeros(()))
        # Face-aware (DESIGN.md section 4): skin keeps its colour, asks for little of the painter's
        # texture and holds its content harder, so faces take the palette and a light touch, not the
        # strokes of a sky. Found once per step: layout 4's map is a flood fill.
        guide = self.guide_for(faces, x.shape[-2:])
        with torch.no_grad():
            skin = guide(x) if holes is None else face_map(x, holes)  # x's holes are found above
            target = palette_target(self.palette, x, c.skin_colour_keep, skin)
        loss_struct = self.content(x, target, fake, guide)
        zero = fake.new_zeros(())
        loss_face = face_hold(fake, target, skin) if c.w_face_fine else zero
        feats = None  # one pass of the loss network over G's output serves both of its terms
        if self.feature_style is not None or self.perceptual is not None:
            layers = (c.style_layers if self.feature_style is not None else ()) + \
                (self.perceptual.layers if self.perceptual is not None else ())
            feats = self.lossnet.features(fake, upto=feature_upto(layers))
        loss_style = zero
        if self.feature_style is not None:
            loss_style = self.feature_style(fake, (1 - skin).clamp(min=c.style_on_skin), feats)
        kept = perceptual_reference(c.perceptual_reference, x, target, skin)
        loss_perc = zero if self.perceptual is None else self.perceptual(kept, fake, 1 + c.w_skin * skin, feats)
        total = (c.w_gan * loss_gan + c.w_nce * loss_nce
                 + c.content_weight * (c.w_struct * loss_struct + c.w_perceptual * loss_perc
                                       + c.w_face_fine * loss_face)
                 + c.w_style * loss_style)
        loss_range = g.overshoot(x, residual).mean() if c.w_range else zero
        total = total + c.w_range * loss_range
        losses = {k: float(v.detach()) for k, v in (("d", loss_d), ("gan", loss_gan), ("nce", loss_nce),
                                                     ("struct", loss_struct), ("style", loss_style),
                                                     ("perceptual", loss_perc), ("face", loss_face),
                                                     ("range", loss_range))}
        if c.w_warp > 0 and self.step % c.warp_every == 0:
            loss_warp = warp_consistency(g, x, fake, noise=c.warp_noise)
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
    def stylize_eval(self, model: Generator | None = None, images: list[np.ndarray] | None = None) -> list[np.ndarray]:
        model = model or self.ema
        outs = []
        with torch.inference_mode():
            for rgb in self.eval_images if images is None else images:
                x = to_tensor(rgb)
                outs.append(to_uint8(model.eval()(x.to(self.device.torch_device))[0]))
        return outs

    def _measure(self, outs: list[np.ndarray]) -> dict[str, float]:
        tex = set_distance([texture_features(o) for o in outs], self.art_textures, texture_distance)
        col = set_distance([colour_stats(o) for o in outs], self.art_colours, colour_distance)
        pairs = list(zip(self.eval_images, outs, strict=True))
        ssim = float(np.mean([ssim_luminance(a, b) for a, b in pairs]))
        edges = float(np.mean([edge_agreement(a, b) for a, b in pairs]))
        m = {"texture": tex, "colour": col, "ssim": ssim, "edges": edges}
        if self.feature_style is not None:
            dev = self.device.torch_device
            m["style"] = float(np.mean([self.feature_style.distance(to_tensor(o).to(dev)) for o in outs]))
        return m

    def evaluate(self) -> dict[str, float]:
        """Style distance (texture, colour) to the artworks and content kept, on fixed training photos.

        Score (lower is better): texture and colour distance relative to the unstyled photos', plus
        a penalty below a content floor (SSIM 0.6, edge agreement 0.75 on these photos): the
        painter's texture can always be bought by destroying the photo, and that is not a style.
        Texture is the loss network's style distance where the run has one: the random-feature Gram
        distance hardly moves under it (0.0126-0.0134 over a 1,200-step Van Gogh run whose strokes
        changed visibly), so it picked checkpoints by noise.
        """
        m = self._measure(self.stylize_eval())
        base = self.input_scores
        key = "style" if "style" in m else "texture"
        score = (m[key] / max(base[key], 1e-9) + 0.5 * m["colour"] / max(base["colour"], 1e-9)
                 + 4.0 * max(0.0, 0.6 - m["ssim"]) + 4.0 * max(0.0, 0.75 - m["edges"]))
        return {**m, "score": score}

    def preview(self, photos: int = 3, side: int = 160) -> np.ndarray:
        """A strip: each fixed photo above its stylized version, for the UI and the CLI."""
        from PIL import Image

        outs = self.stylize_eval(images=self.preview_images)
        cols = []
        for a, b in list(zip(self.preview_images, outs, strict=True))[:photos]:
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
            "palette": self.palette.lut,
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "step": self.step,
            "seconds": self.seconds,
            "best_score": -1.0 if self.best_score is None else self.best_score,
            "config": self.config.to_json(),
            "layout": json.dumps(self.generator.config.to_dict()),
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

    def _generator_optimizer(self) -> torch.optim.Adam:
        return torch.optim.Adam(list(self.generator.parameters()) + list(self.nce.parameters()),
                                lr=self.config.lr_g, betas=(0.5, 0.999))

    @property
    def guide_map(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """Where the losses see faces: the map the generator itself sees (engine.models.skin)."""
        return self.guide_for(None, None)

    def guide_for(self, faces: list[np.ndarray] | None,
                  size: tuple[int, int] | None) -> Callable[[torch.Tensor], torch.Tensor]:
        """`guide_map` with this step's detected faces (layout 6; boxes in the pixels of images of `size`),
        at whatever scale a loss looks: a detector finds nothing in a 64 px view of a crop, so the crop's
        faces are scaled down to it."""
        if not self.generator.config.fill_holes:
            return skin_map
        if faces is None or size is None:  # `guide_map`: no boxes, the fill looks for faces by colour
            return face_map
        g, (h, w) = self.generator, size

        def guide(v: torch.Tensor) -> torch.Tensor:
            return face_map(v, g.holes_of(v, scaled(faces, v.shape[-2] / h, v.shape[-1] / w)))

        return guide

    def _keep_layout_of(self, checkpoint: dict[str, Any]) -> None:
        """A run resumes in the layout it was started with: its optimizer's moments and its best step
        belong to that network. Checkpoints name their layout; older ones did not, and a stem that sees
        four channels there means the plain skin map (layout 3), three none (layout 2)."""
        if "layout" in checkpoint:
            layout = GeneratorConfig(**json.loads(checkpoint["layout"]))
        else:
            guided = checkpoint["generator"]["stem.1.weight"].shape[1] == 4
            layout = replace(self.generator.config, guide=guided, fill_holes=False, output="soft", detect_faces=False)
        if layout == self.generator.config:
            return
        self.generator = Generator(layout).to(self.device.torch_device)
        self.ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
        self.opt_g = self._generator_optimizer()

    def load_checkpoint(self, path: Path | None = None) -> None:
        path = path or self.run_dir / CHECKPOINT
        s = torch.load(path, map_location=self.device.torch_device, weights_only=True)
        self._keep_layout_of(s)
        self.generator.load_state_dict(s["generator"])
        self.ema.load_state_dict(s["ema"])
        self.discriminator.load_state_dict(s["discriminator"])
        self.nce.load_state_dict(s["nce"])
        if "palette" in s:
            self.palette = PaletteMap(s["palette"])
        elif not bool(self.palette.lut.any()):  # a checkpoint from before the map was stored
            self.palette = self._fit_palette().to(self.device.torch_device)
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
        stale = 0  # evaluations in a row, in this call, that found nothing better than the kept step
        try:
            while True:
                done_by_steps = budget_s is None and self.step >= total
                done_by_time = budget_s is not None and self.seconds >= budget_s
                stopped_early = bool(c.patience) and stale >= c.patience
                if done_by_steps or done_by_time or stopped_early or progress.token.finish_requested:
                    break
                t0 = time.perf_counter()
                losses = self.train_step()
                self.seconds += time.perf_counter() - t0
                if self.step % c.eval_every == 0:
                    stale = 0 if self._evaluate_and_keep(meta) else stale + 1
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
        evaluated = bool(self.history) and self.history[-1].get("step") == float(self.step)
        if (self.step > started_step and not evaluated) or self.best_score is None:
            self._evaluate_and_keep(meta)
        self.save_checkpoint()
        progress.report(1.0, "done", {"step": self.step}, force=True)
        best = self.run_dir / BEST
        return TrainResult(self.run_dir, self.step, best if best.exists() else None, self.best_score,
                           self.seconds, self.history, stopped_early)

    def _evaluate_and_keep(self, meta: StyleMeta) -> bool:
        """Measure the current EMA and keep it if it scores best so far; True if it was kept."""
        m = self.evaluate()
        m["step"] = float(self.step)
        self.history.append(m)
        if self.best_score is None or m["score"] < self.best_score:
            self.best_score = m["score"]
            self.save_best(self._meta_with_recipe(meta, m))
            return True
        return False

    @property
    def best_step(self) -> int | None:
        """The step of the kept (best-scoring) evaluation, if any."""
        scored = [h for h in self.history if "score" in h]
        return int(min(scored, key=lambda h: h["score"])["step"]) if scored else None

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
        return replace(meta, training=recipe, thumbnail_png=thumb, architecture=self.config.architecture,
                       artwork_png=meta.artwork_png or self._artwork_thumbnail(),
                       description=meta.description or self._describe_artworks())

    def _artwork_thumbnail(self) -> bytes:
        """One of the artworks, small, for the gallery card: the painter's own hand beside the style's."""
        from PIL import Image

        if not self.art:
            return b""
        return encode_thumbnail(Image.fromarray(self.art[0].permute(1, 2, 0).numpy()))

    def _describe_artworks(self) -> str:
        folders = ", ".join(sorted({Path(p).parent.name for p in self.art_report.usable}))
        n = len(self.art_report.usable)
        return f"Learned from {n} artwork{'s' if n != 1 else ''} in {folders}." if n else ""


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
