"""`atelier` on the command line: devices, styles, stylize, train, self-test.

Every failure a user can cause prints one clear line (no traceback) and exits non-zero.
Ctrl-C stops cleanly: a batch keeps finished outputs and resumes later; training checkpoints.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from engine import __version__, limits
from engine.errors import AtelierError, Cancelled
from engine.messages import IF_CHANGED, STROKES, StylizeOptions
from engine.printable import printable
from engine.progress import Progress, ProgressUpdate
from engine.rerun import KEEP_BOTH, OVERWRITE, REPLACE, SKIP, ChangedOutputs


def _fmt_eta(s: float | None) -> str:
    if s is None:
        return "--:--"
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


class ProgressBar:
    """A one-line text progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self._last_plain = -1.0

    def __call__(self, u: ProgressUpdate) -> None:
        extra = " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in u.metrics.items())
        pct = u.fraction * 100
        if self.tty:
            filled = int(u.fraction * 30)
            bar = "#" * filled + "-" * (30 - filled)
            sys.stderr.write(f"\r{self.label} [{bar}] {pct:5.1f}% eta {_fmt_eta(u.eta_s)} {extra}\x1b[K")
            sys.stderr.flush()
        elif pct - self._last_plain >= 5 or u.fraction >= 1.0:
            self._last_plain = pct
            print(f"{self.label} {pct:5.1f}% eta {_fmt_eta(u.eta_s)} {extra}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")  # Ctrl-C, shutdown, closing the terminal / logging out


@contextlib.contextmanager
def _stop_on_signals(progress: Progress) -> Iterator[None]:
    """Ctrl-C, a shutdown (SIGTERM) or a logout (SIGHUP) stop the job at its next progress point, so
    a batch keeps its paintings and writes its report and training saves a checkpoint (SIGTERM used to
    kill training on the spot). A second signal exits at once. The previous handlers come back after."""
    def handler(signum: int, _frame: FrameType | None) -> None:
        if progress.token.cancelled:
            raise KeyboardInterrupt
        why = "" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})"
        print(f"\nstopping after the current step{why} (Ctrl-C again to force)...", file=sys.stderr)
        progress.token.cancel()

    previous = {}
    if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
        for name in STOP_SIGNALS:
            sig = getattr(signal, name, None)
            if sig is not None:
                previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _shell_quote(path: Path) -> str:
    """A path as it must be typed in this system's shell (spaces, quotes)."""
    return subprocess.list2cmdline([str(path)]) if sys.platform == "win32" else shlex.quote(str(path))


# ------------------------------------------------------------------------------------- commands
def cmd_devices(args: argparse.Namespace) -> int:
    from engine.devices import available_devices

    for d in available_devices():
        print(d.describe())
    return 0


def cmd_styles(args: argparse.Namespace) -> int:
    from engine.catalog import Catalog

    cat = Catalog()
    if args.action == "list":
        styles = cat.list()
        from engine.brushwork import preset_name

        for e in styles:
            kind = "built-in" if e.builtin else "user"
            strokes = preset_name(e.meta.strokes) or "own"
            print(f"{e.slug:<20} {e.name:<24} {e.meta.architecture:<8} {kind:<8} {strokes:<9} {e.meta.author}")
        for p in cat.problems:
            print(f"warning: {p}", file=sys.stderr)
        if not styles:
            print("no styles installed", file=sys.stderr)
        return 0
    if args.action == "import":
        e = cat.import_file(Path(args.target), overwrite=args.force)
        print(f"imported {e.name!r} as {e.slug}")
    elif args.action == "export":
        if not args.dest:
            raise AtelierError("export needs a destination: atelier styles export NAME FILE")
        print(f"exported to {cat.export(args.target, Path(args.dest))}")
    elif args.action == "remove":
        e = cat.remove(args.target)
        print(f"removed {e.name!r}")
    elif args.action == "strokes":
        if not args.dest:
            raise AtelierError(f"strokes needs a preset: atelier styles strokes NAME {{{','.join(STROKES)}}}")
        e = cat.set_strokes(args.target, args.dest)
        print(f"{e.name!r} now paints with {args.dest} brushstrokes")
    return 0


def _ask_if_changed(question: ChangedOutputs) -> str | None:
    """The user's answer for earlier paintings made with other settings, asked on the terminal;
    None to paint nothing. Asked only when stdin is a terminal (`cmd_stylize`)."""
    print(f"{question.sentence()}.", file=sys.stderr)
    choices = {"r": REPLACE, "k": KEEP_BOTH, "s": SKIP, "c": None}
    while True:
        print("[r]eplace them, [k]eep both (the new ones go beside them), [s]kip them, or [c]ancel? ",
              end="", file=sys.stderr, flush=True)
        try:
            reply = input().strip().lower()
        except EOFError:
            return None
        if reply[:1] in choices:
            return choices[reply[:1]]


def _if_changed(args: argparse.Namespace, question: ChangedOutputs | None) -> tuple[str | None, int | None]:
    """(answer, None) to go on, or (None, exit status) to stop before painting anything."""
    if question is None or args.if_changed is not None:
        return args.if_changed, None
    if sys.stdin.isatty():
        answer = _ask_if_changed(question)
        if answer is None:
            print("nothing was painted", file=sys.stderr)
            return None, 1
        return answer, None
    return None, _unanswered(question)


def _unanswered(question: ChangedOutputs) -> int:
    """Nobody can answer (no terminal): one line naming the count, the change and the choices; exit 2."""
    print(f"error: {question.sentence()}; nothing was painted. Say what to do with them: "
          f"--if-changed {' | '.join(IF_CHANGED)}", file=sys.stderr)
    return 2


def cmd_stylize(args: argparse.Namespace) -> int:
    """Stylize files/folders with one style, or with every built-in style (`--style all`).

    Earlier paintings made with other settings (engine.rerun) are looked for in every style's output
    before anything is painted, and asked about once: `--if-changed` answers in advance; otherwise the
    question is asked on a terminal, or the command stops with exit status 2 when nobody can answer."""
    from engine.batch import changed_outputs, collect_inputs, run_batch
    from engine.catalog import Catalog
    from engine.devices import resolve_device
    from engine.messages import StylizeOptions
    from engine.models.host import ModelHost

    limits.check_flags([(limits.STRENGTH, args.strength), (limits.BRUSHWORK, args.brushwork),
                        (limits.TILE_SIZE, args.tile), (limits.MAX_SIZE, args.max_size),
                        (limits.PAINT_SIZE, args.paint_size or None)])
    options = StylizeOptions(strength=args.strength, preserve_colors=args.preserve_colors,
                             max_size=args.max_size, tile_size=args.tile, output_format=args.format,
                             paint_size=args.paint_size or None, brushwork=args.brushwork)
    catalog = Catalog()
    if args.style.strip().lower() == "all":
        entries = [e for e in catalog.list() if e.builtin]
        if not entries:
            raise AtelierError("no built-in styles are installed")
    else:
        entries = [catalog.find(args.style)]
    device = resolve_device(args.device, lambda m: print(f"note: {m}", file=sys.stderr))
    inputs = collect_inputs([Path(p) for p in args.inputs], args.recursive)
    out_dir = Path(args.out) if args.out else None
    question = None
    if args.if_changed is None:
        question = ChangedOutputs.combined(q for e in entries if (q := changed_outputs(inputs, out_dir, e, options)))
    answer, stop = _if_changed(args, question)
    if stop is not None:
        return stop
    host = ModelHost()
    status = 0
    for entry in entries:
        bar = ProgressBar(f"{entry.slug}")
        progress = Progress(bar, min_interval_s=0.2)
        print(f"{len(inputs.files)} image(s), style {entry.name!r}, device {device.describe()}", file=sys.stderr)
        with _stop_on_signals(progress):
            report = run_batch(host, entry, device, inputs, out_dir, options, progress,
                               notice=lambda m: print(f"\nnote: {m}", file=sys.stderr), if_changed=answer)
        bar.close()
        if report.question is not None:  # painted meanwhile, by another program, with other settings
            return _unanswered(report.question)
        print(f"{entry.name}: {report.summary()}")
        for out in report.done:
            print(f"  wrote {printable(out)}")
        if report.report_path:
            print(f"report: {printable(str(report.report_path))}")
        if report.cancelled:
            return 130
        if report.failed:
            status = 1
    return status


def cmd_train(args: argparse.Namespace) -> int:
    from engine.catalog import Catalog
    from engine.devices import resolve_device
    from engine.paths import runs_dir
    from engine.stylefile import slugify
    from engine.training.session import TrainSpec, spec_from_run, train_style
    from engine.training.trainer import TrainConfig

    limits.check_flags([(limits.TRAIN_MINUTES, args.minutes), (limits.TRAIN_STEPS, args.steps),
                        (limits.CONTENT_WEIGHT, args.content_weight), (limits.SKIN_COLOUR_KEEP, args.skin_colour_keep),
                        (limits.SKIN_COLOUR_HOLD, args.skin_colour_hold), (limits.TRAIN_CROP, args.crop),
                        (limits.TRAIN_SEED, args.seed)])
    device = resolve_device(args.device)
    cat = Catalog()
    if args.resume:
        run_dir = Path(args.resume)
        if not run_dir.exists():
            run_dir = runs_dir() / args.resume
        spec = spec_from_run(run_dir)
    else:
        if not (args.art and args.photos and args.name):
            raise AtelierError("train needs --art DIR, --photos DIR and --name NAME (or --resume RUN)")
        from engine.paths import base_model

        if args.base is None:  # the shipped base model when there is one, as the help says
            shipped = base_model()
            base = shipped if shipped.is_file() and args.size == "fast" else None
        elif args.base.lower() == "none":
            base = None
        else:
            base = cat.find(args.base).path
        config = TrainConfig(architecture=args.size, content_weight=args.content_weight,
                             skin_colour_keep=args.skin_colour_keep, w_skin_chroma=args.skin_colour_hold,
                             minutes=args.minutes, steps=args.steps or 4000,
                             **({"crop": args.crop} if args.crop else {}),
                             **({"seed": args.seed} if args.seed is not None else {}))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        # Absolute from here on: run.json and the resume command must work from any folder.
        run_dir = (Path(args.run_dir) if args.run_dir else runs_dir() / f"{slugify(args.name)}-{stamp}").absolute()
        output = (Path(args.output) if args.output else cat.user_path_for(args.name)).absolute()
        exclude = ()
        if args.exclude_photos:
            exclude = tuple(line.strip() for line in Path(args.exclude_photos).read_text().splitlines()
                            if line.strip() and not line.startswith("#"))
        spec = TrainSpec(tuple(Path(a).absolute() for a in args.art), Path(args.photos).absolute(), args.name,
                         run_dir, output,
                         config, base, False, args.author, exclude, args.strokes)
    bar = ProgressBar(spec.name)
    progress = Progress(bar, min_interval_s=0.5)
    print(f"training {spec.name!r} on {device.describe()}; run folder {spec.run_dir}", file=sys.stderr)
    preview_dir = spec.run_dir / "previews"

    def on_preview(img, step):
        from PIL import Image
        preview_dir.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(preview_dir / "latest.png")

    try:
        with _stop_on_signals(progress):
            outcome = train_style(spec, device, progress, on_preview, log=lambda m: print(m, file=sys.stderr))
    except Cancelled:
        bar.close()
        print(f"stopped; checkpoint saved. Resume with: atelier train --resume {_shell_quote(spec.run_dir)}")
        return 130
    bar.close()
    print(f"style {spec.name!r} written to {outcome.style_path} ({outcome.steps} steps, "
          f"{outcome.seconds / 60:.1f} min, score {outcome.score:.4f})")
    if args.history:
        Path(args.history).write_text(json.dumps(list(outcome.history), indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="atelier", description="Turn photos into paintings.")
    p.add_argument("--version", action="version", version=f"atelier {__version__}")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("devices", help="list the devices Atelier can use")
    s.set_defaults(func=cmd_devices)

    s = sub.add_parser("styles", help="list, import, export or remove styles, or change a style's brushstrokes")
    s.add_argument("action", choices=["list", "import", "export", "remove", "strokes"],
                   help="strokes NAME PRESET: one of your styles paints with other brushstrokes "
                        f"({', '.join(STROKES)})")
    s.add_argument("target", nargs="?", default="")
    s.add_argument("dest", nargs="?", default="")
    s.add_argument("--force", action="store_true", help="replace an installed style of the same name")
    s.set_defaults(func=cmd_styles)

    s = sub.add_parser("stylize", help="stylize photos or whole folders")
    s.add_argument("inputs", nargs="+", help="image files or folders")
    s.add_argument("--style", required=True, help="style name, a .atelier-style file, or 'all' (every built-in)")
    s.add_argument("--out", help="output folder (default: a 'stylized' folder beside each input)")
    s.add_argument("--strength", type=float, default=1.0)
    s.add_argument("--preserve-colors", action="store_true")
    s.add_argument("--brushwork", type=float, default=StylizeOptions.brushwork,
                   help="0..1: extra procedural brushstrokes over the style's learned ones (default 0 = none)")
    s.add_argument("--max-size", type=int, default=None, help="long side in pixels (default: full size)")
    s.add_argument("--tile", type=int, default=1024, help="tile size for large photos")
    s.add_argument("--paint-size", type=int, default=StylizeOptions.paint_size,
                   help="long side the painting is made at; larger photos keep their resolution and get its "
                        f"brushwork upscaled (default {StylizeOptions.paint_size}; 0 paints every pixel)")
    s.add_argument("--format", default="same", choices=["same", "jpg", "png", "webp"],
                   help="output format (default: the photo's own; HEIC and AVIF photos become JPEGs)")
    s.add_argument("--recursive", action="store_true")
    earlier = s.add_mutually_exclusive_group()
    earlier.add_argument("--if-changed", choices=IF_CHANGED, default=None,
                         help="what to do with earlier paintings made with other settings: replace them, "
                              "keep both (the new ones go beside them as photo_style-2.jpg) or skip them "
                              "(default: ask on a terminal, else stop with exit status 2)")
    earlier.add_argument("--overwrite", dest="if_changed", action="store_const", const=OVERWRITE,
                         help="replace every earlier painting of these photos, even those made with the "
                              "same settings")
    s.add_argument("--device", default="auto")
    s.set_defaults(func=cmd_stylize)

    s = sub.add_parser("train", help="teach Atelier a new style from your artworks")
    s.add_argument("--art", nargs="+", help="folder(s) of artworks")
    s.add_argument("--photos", help="folder of photos")
    s.add_argument("--name")
    s.add_argument("--author", default="")
    s.add_argument("--minutes", type=float, default=None, help="time budget")
    s.add_argument("--steps", type=int, default=None, help="steps (when no time budget is given)")
    s.add_argument("--base", default=None, help="style to start from (default: the base model; 'none')")
    s.add_argument("--content-weight", type=float, default=1.0, help="how strictly to keep the photo's layout")
    s.add_argument("--skin-colour-keep", type=float, default=0.8, metavar="F",
                   help="share of their own colour faces keep, 0-1 (default 0.8; 0: the painter's palette decides)")
    s.add_argument("--strokes", default="medium", choices=STROKES,
                   help="the brushwork the new style paints with (default medium; long = Van Gogh's, dabs = "
                        "Monet's, flowing = Munch's, hatching = Cezanne's, flat = a print's)")
    s.add_argument("--skin-colour-hold", type=float, default=4.0, metavar="W",
                   help="extra weight on keeping faces' colour, 0-20 (default 4; 0: faces are held no harder "
                        "than the rest); raise it for a painting whose dominant colour tints faces, such as a sea")
    s.add_argument("--size", default="fast", choices=["fast", "quality"])
    s.add_argument("--crop", type=int, default=None)
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--resume", default=None, metavar="RUN", help="resume a stopped run (folder or name)")
    s.add_argument("--run-dir", default=None)
    s.add_argument("--output", default=None, help="style file to write (default: your styles)")
    s.add_argument("--exclude-photos", default=None, help="file listing photo names never to train on")
    s.add_argument("--history", default=None, help="write measured scores per evaluation to this JSON file")
    s.add_argument("--device", default="auto")
    s.set_defaults(func=cmd_train)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AtelierError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # option validation (e.g. strength out of range)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
