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
- Paintings found in input folders (a batch into its own folder, run again) are left alone, not
  painted again as `x_monet_monet.png`. A file named on the command line is painted whatever it is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ImageReadError
from engine.imageio import is_image_path, peek_alpha
from engine.provenance import is_painting, painting_of
from engine.stylize import output_path_for

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
        elif p.is_file():
            add(p, Path())
            named.add(p)
        else:
            missing.append(str(p))
    if not files and missing:
        raise ImageReadError(f"not found: {', '.join(missing)}")
    if not files:
        raise ImageReadError("no images found in " + ", ".join(str(p) for p in paths) +
                             ("" if recursive else " (use --recursive for subfolders)"))
    return InputSet(files, rel_dirs, missing, named)


@dataclass(frozen=True)
class Planned:
    source: Path
    target: Path
    done: bool  # the target is already this photo's painting in this style
    why_renamed: str = ""  # why the target is not the plain name (for the summary)


@dataclass
class Plan:
    items: list[Planned]
    left_alone: list[Path]  # earlier paintings found in the input folders

    @property
    def out_dirs(self) -> list[Path]:
        return sorted({item.target.parent for item in self.items})


def _ext(path: Path) -> str:
    """`.JPEG` -> `.jpg`: the suffix as output names spell it."""
    return path.suffix.lower().replace(".jpeg", ".jpg")


def _candidates(source: Path, plain: Path, style_slug: str) -> Iterator[Path]:
    yield plain
    src_ext = _ext(source).lstrip(".")
    if src_ext and _ext(source) != plain.suffix:
        yield plain.with_name(f"{source.stem}_{src_ext}_{style_slug}{plain.suffix}")
    for n in range(2, MAX_NUMBERED + 1):
        yield plain.with_name(f"{source.stem}_{style_slug}-{n}{plain.suffix}")


def _place(source: Path, plain: Path, style_slug: str, claimed: set[str]) -> Planned:
    why = ""
    for candidate in _candidates(source, plain, style_slug):
        key = os.path.normcase(os.path.abspath(candidate)).casefold()  # one name on any file system
        if key in claimed:
            why = why or f"{plain.name} is another photo's painting in this batch"
            continue
        if os.path.lexists(candidate):
            if painting_of(candidate, source, style_slug):
                claimed.add(key)
                return Planned(source, candidate, True, why)
            why = why or (f"{plain.name} is another photo's painting" if is_painting(candidate) else
                          f"{plain.name} is not an Atelier painting and is never replaced")
            continue
        claimed.add(key)
        return Planned(source, candidate, False, why)
    raise ImageReadError(f"{source.name}: no free output name beside {plain.name} in {plain.parent}")


def _folder_for(f: Path, inputs: InputSet, out_dir: Path | None) -> Path:
    return f.parent / "stylized" if out_dir is None else out_dir / inputs.rel_dirs.get(f, Path())


def output_folders(inputs: InputSet, out_dir: Path | None) -> list[Path]:
    """Every folder the batch may write into (known before anything on disk is looked at)."""
    return sorted({_folder_for(f, inputs, out_dir) for f in inputs.files})


def plan_batch(inputs: InputSet, out_dir: Path | None, style_slug: str, fmt: str) -> Plan:
    """One distinct output per photo (see the module's rules); looks at the disk, writes nothing."""
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
    placed = {f: _place(f, plains[f], style_slug, claimed) for f in order}
    return Plan([placed[f] for f in sources], left_alone)
