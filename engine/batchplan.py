"""Which file each photo of a batch becomes, decided before anything is painted.

Rules, each because a user lost something without it:
- One output per input. Folders named together keep their names under `--out`
  (`100CANON/IMG_0001.JPG` and `101CANON/IMG_0001.JPG` no longer meet in one `IMG_0001_monet.jpg`),
  subfolders keep their layout, and where names still meet (`x.png` and `x.jpg` with `--format png`,
  two files named one by one) the later one gets a distinct name: `x_jpg_monet.png`, then
  `x_monet-2.png`... An input whose own type is the output's keeps the plain name.
- A file that is there already counts as this photo's output only if its mark says so
  (engine.provenance); anything else, an original above all, is never replaced: the painting takes
  the next free name and the summary says why.
- This photo's earlier painting is `DONE` when its mark records the settings the batch paints with
  now (or none: marks from before settings were recorded), else `CHANGED`, and then the next free
  name is kept for it as `spare` (where `keep-both` paints). Every name of the photo is looked at up
  to the first free one, so after `keep-both` the painting with today's settings is found as done
  under `x_monet-2.jpg`. An answer (engine.rerun) turns each `CHANGED` into what is done with it;
  the plan itself never changes with the answer, so asking first and painting later agree.
- Paintings found in input folders (a batch into its own folder, run again) are left alone, not
  painted again as `x_monet_monet.png`. A file named on the command line is painted whatever it is.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.errors import ImageReadError
from engine.imageio import is_image_path, peek_alpha, unread_files, unread_hint
from engine.paintlook import PaintLook
from engine.provenance import Mark, is_painting, painting_id, read_mark
from engine.rerun import KEEP_BOTH, OVERWRITE, REPLACE, SKIP, ChangedOutputs
from engine.stylize import bounded_name, output_path_for

MAX_NUMBERED = 999  # x_monet-2 ... x_monet-999: beyond that something is wrong with the folder


@dataclass
class InputSet:
    files: list[Path]
    rel_dirs: dict[Path, Path]  # file -> its folder under --out (keeps the input folders' layout)
    missing: list[str] = field(default_factory=list)
    named: set[Path] = field(default_factory=set)  # files given one by one (painted even if paintings)


def collect_inputs(paths: list[Path], recursive: bool = False) -> InputSet:
    """The photos in `paths` (files and folders), each once, with the folder it goes to under --out."""
    several_folders = sum(1 for p in paths if p.is_dir()) > 1
    files: list[Path] = []
    rel_dirs: dict[Path, Path] = {}
    named: set[Path] = set()
    missing: list[str] = []
    seen: set[str] = set()
    others: list[Path] = []  # what else the folders hold: said when they hold no photo (`unread_hint`)

    def add(f: Path, rel: Path) -> None:
        key = os.path.normcase(os.path.abspath(f))
        if key not in seen:  # the same photo reached twice is painted once
            seen.add(key)
            files.append(f)
            rel_dirs[f] = rel

    for p in paths:
        if p.is_dir():
            top = Path(p.resolve().name) if several_folders else Path()
            for f in sorted(p.rglob("*") if recursive else p.iterdir()):
                parts = f.relative_to(p).parts
                if f.is_file() and is_image_path(f) and "stylized" not in parts[:-1]:
                    add(f, top.joinpath(*parts[:-1]))
                else:
                    others.append(f)
        elif p.is_file():
            add(p, Path())
            named.add(p)
        else:
            missing.append(str(p))
    if not files and missing:
        raise ImageReadError(f"not found: {', '.join(missing)}")
    if not files:
        raise ImageReadError("no images found in " + ", ".join(str(p) for p in paths)
                             + _why_none(unread_files(others), recursive))
    return InputSet(files, rel_dirs, missing, named)


def _why_none(unread: Counter[str], recursive: bool) -> str:
    """What a folder without photos held instead (`unread_hint`), and that subfolders were not searched."""
    hint = unread_hint(unread)
    hints = [hint] if hint else []
    if not recursive:
        hints.append("subfolders were not searched: --recursive, or Include subfolders in the app")
    return f" ({'; '.join(hints)})"


# What becomes of a photo: planned (PAINT, DONE, CHANGED), then for CHANGED the answer (engine.rerun)
PAINT, DONE, CHANGED = "paint", "done", "changed"
PAINTED = (PAINT, REPLACE, KEEP_BOTH)  # the actions that paint (SKIP, DONE and CHANGED do not)


@dataclass(frozen=True)
class Planned:
    source: Path
    target: Path  # the name to paint, or this photo's painting found there (done, or other settings)
    action: str = PAINT  # PAINT | DONE | CHANGED, and once answered REPLACE | KEEP_BOTH | SKIP
    why_renamed: str = ""  # why the target is not the plain name (for the summary)
    spare: Path | None = None  # CHANGED: the free name `keep-both` paints to
    was: str = ""  # CHANGED: the earlier painting's settings in words (engine.paintlook; "" unknown)

    @property
    def paints(self) -> bool:
        return self.action in PAINTED

    @property
    def output(self) -> Path:
        """The file this photo's painting is written to: `spare` beside the earlier one for KEEP_BOTH."""
        return self.spare if self.action == KEEP_BOTH and self.spare is not None else self.target


@dataclass
class Plan:
    items: list[Planned]
    left_alone: list[Path]  # earlier paintings found in the input folders

    @property
    def out_dirs(self) -> list[Path]:
        return sorted({item.output.parent for item in self.items})

    @property
    def changed(self) -> list[Planned]:
        """Earlier paintings made with other settings that wait for an answer."""
        return [item for item in self.items if item.action == CHANGED]

    def question(self, now: PaintLook) -> ChangedOutputs | None:
        """What to ask about the earlier paintings made with other settings than `now` (None: none)."""
        return ChangedOutputs.of([(item.target, item.was) for item in self.changed], now)

    def answered(self, answer: str | None) -> Plan:
        """The plan with `answer` (engine.rerun.ANSWERS; None: none yet) given to its earlier paintings."""
        return self if answer is None else Plan([_answer(item, answer) for item in self.items], self.left_alone)


def _answer(item: Planned, answer: str) -> Planned:
    if item.action == CHANGED:
        return replace(item, action=answer if answer in (KEEP_BOTH, SKIP) else REPLACE)
    if item.action == DONE and answer == OVERWRITE:
        return replace(item, action=REPLACE)
    return item


def _ext(path: Path) -> str:
    """`.JPEG` -> `.jpg`: the suffix as output names spell it."""
    return path.suffix.lower().replace(".jpeg", ".jpg")


def _candidates(source: Path, plain: Path, style_slug: str) -> Iterator[Path]:
    yield plain
    src_ext = _ext(source).lstrip(".")
    if src_ext and _ext(source) != plain.suffix:
        yield plain.with_name(bounded_name(source.stem, f"_{src_ext}_{style_slug}{plain.suffix}"))
    for n in range(2, MAX_NUMBERED + 1):
        yield plain.with_name(bounded_name(source.stem, f"_{style_slug}-{n}{plain.suffix}"))


def _claim_key(path: Path) -> str:
    """One key per name on any file system (case-insensitive ones included)."""
    return os.path.normcase(os.path.abspath(path)).casefold()


def _place(source: Path, plain: Path, style_slug: str, look: str, claimed: set[str]) -> Planned:
    """The first name of `source` that is free, or its painting already (done, or made with other
    settings: then with the first free name as its spare). `look` is the PaintLook digest now."""
    why = ""
    earlier: tuple[Path, Mark] | None = None  # its first painting made with other settings
    for candidate in _candidates(source, plain, style_slug):
        key = _claim_key(candidate)
        if key in claimed:
            why = why or f"{plain.name} is another photo's painting in this batch"
            continue
        if os.path.lexists(candidate):
            mark = read_mark(candidate)
            if mark is not None and mark.painting == painting_id(source, candidate.parent, style_slug):
                if mark.look in (None, look):  # made as it would be now, or before settings were recorded
                    claimed.add(key)
                    return Planned(source, candidate, DONE, why if candidate != plain else "")
                earlier = earlier or (candidate, mark)
                continue
            why = why or (f"{plain.name} is another photo's painting" if mark is not None else
                          f"{plain.name} is not an Atelier painting and is never replaced")
            continue
        claimed.add(key)
        if earlier is None:
            return Planned(source, candidate, PAINT, why)
        target, mark = earlier
        claimed.add(_claim_key(target))
        return Planned(source, target, CHANGED, why if target != plain else "", spare=candidate, was=mark.words)
    raise ImageReadError(f"{source.name}: no free output name beside {plain.name} in {plain.parent}")


def _folder_for(f: Path, inputs: InputSet, out_dir: Path | None) -> Path:
    return f.parent / "stylized" if out_dir is None else out_dir / inputs.rel_dirs.get(f, Path())


def output_folders(inputs: InputSet, out_dir: Path | None) -> list[Path]:
    """Every folder the batch may write into (known before anything on disk is looked at)."""
    return sorted({_folder_for(f, inputs, out_dir) for f in inputs.files})


def plan_batch(inputs: InputSet, out_dir: Path | None, style_slug: str, fmt: str, look: str) -> Plan:
    """One distinct output per photo (see the module's rules); looks at the disk, writes nothing.
    `look` is the digest of the settings the batch paints with (engine.paintlook)."""
    sources: list[Path] = []
    left_alone: list[Path] = []
    for f in inputs.files:
        if f not in inputs.named and is_painting(f):
            left_alone.append(f)
        else:
            sources.append(f)
    plains = {}
    for f in sources:
        plains[f] = output_path_for(f, _folder_for(f, inputs, out_dir), style_slug, fmt, peek_alpha(f))
    # Inputs of the output's own type choose first, so `x.png` keeps `x_monet.png` beside `x.jpg`.
    order = sorted(sources, key=lambda f: _ext(f) != plains[f].suffix)
    claimed: set[str] = set()
    placed = {f: _place(f, plains[f], style_slug, look, claimed) for f in order}
    return Plan([placed[f] for f in sources], left_alone)
