"""The styles a user can pick: built-in ones (shipped, read-only) and their own (imported/trained).

Listing reads metadata only. Importing validates the whole file (`load_style`) before copying it in,
so a corrupt or hostile file never reaches the gallery.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from engine.brushwork import stroke_preset
from engine.errors import StyleFileError
from engine.paths import builtin_styles_dir, user_styles_dir
from engine.stylefile import SUFFIX, StyleMeta, load_style, read_meta, set_brush, slugify, validate_name
from engine.styleprobe import probe_generator


@dataclass(frozen=True)
class StyleEntry:
    slug: str
    path: Path
    meta: StyleMeta
    builtin: bool

    @property
    def name(self) -> str:
        return self.meta.name


class Catalog:
    def __init__(self, builtin_dir: Path | None = None, user_dir: Path | None = None) -> None:
        self.builtin_dir = builtin_dir or builtin_styles_dir()
        self.user_dir = user_dir or user_styles_dir()
        self.problems: list[str] = []  # unreadable style files seen by the last listing

    def list(self) -> list[StyleEntry]:
        self.problems = []
        entries: dict[str, StyleEntry] = {}
        for folder, builtin in ((self.builtin_dir, True), (self.user_dir, False)):
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob(f"*{SUFFIX}")):
                try:
                    meta = read_meta(path)
                except StyleFileError as exc:
                    self.problems.append(str(exc))
                    continue
                slug = path.name[: -len(SUFFIX)]
                if slug in entries:  # a user style never shadows a built-in one
                    continue
                entries[slug] = StyleEntry(slug, path, meta, builtin)
        return list(entries.values())

    def find(self, name: str) -> StyleEntry:
        """By slug, display name (in any case or character width) or a path to a style file."""
        p = Path(name)
        if p.suffix == SUFFIX and p.exists():
            meta = read_meta(p)
            return StyleEntry(meta.slug(), p, meta, False)
        key = slugify(name)
        styles = self.list()
        for e in styles:
            if key in (e.slug, slugify(e.name)):
                return e
        known = ", ".join(e.slug for e in styles) or "none installed"
        raise StyleFileError(f"no style named {name!r}; available: {known}")

    def import_file(self, path: Path, overwrite: bool = False) -> StyleEntry:
        """Validate the whole file (format, a name every system can store, a generator that paints)
        and install it; a name that is an installed style's in another spelling counts as taken."""
        path = Path(path)
        generator, meta = load_style(path)  # full validation: shapes, dtypes, finite values
        validate_name(meta.name)
        probe_generator(generator, path.name)
        slug = meta.slug()
        dest = self.user_dir / f"{slug}{SUFFIX}"
        for e in self.list():
            if slug not in (e.slug, slugify(e.name)):
                continue
            if e.builtin:
                raise StyleFileError(f"a built-in style is already called {e.name!r}; rename it first")
            if not overwrite:
                raise StyleFileError(f"a style called {e.name!r} is already installed (names that differ only "
                                     "in case or character width count as the same)")
            dest = e.path  # replaced where it is: one style, not two spellings of it
        if dest.exists() and not overwrite:
            raise StyleFileError(f"a style called {meta.name!r} is already installed")
        try:
            self.user_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StyleFileError(f"cannot create your styles folder {self.user_dir}: {exc.strerror or exc}") from exc
        _copy_atomic(path, dest)
        return StyleEntry(dest.name[: -len(SUFFIX)], dest, meta, False)

    def export(self, name: str, dest: Path) -> Path:
        entry = self.find(name)
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / f"{entry.slug}{SUFFIX}"
        _copy_atomic(entry.path, dest)
        return dest

    def remove(self, name: str) -> StyleEntry:
        entry = self.find(name)
        if entry.builtin:
            raise StyleFileError(f"{entry.name!r} is built in and cannot be removed")
        entry.path.unlink()
        return entry

    def set_strokes(self, name: str, preset: str) -> StyleEntry:
        """Give one of the user's styles other brushstrokes (a preset of engine.messages.STROKES).

        The weights are copied unchanged; the file is rewritten atomically. Built-in styles are
        not changed (export one and import the copy under another name to change its strokes).
        """
        entry = self.find(name)
        if entry.builtin:
            raise StyleFileError(f"{entry.name!r} is built in and keeps its own brushstrokes")
        try:
            brush = stroke_preset(preset)
        except ValueError as exc:
            raise StyleFileError(str(exc)) from None
        return StyleEntry(entry.slug, entry.path, set_brush(entry.path, brush), False)

    def user_path_for(self, name: str) -> Path:
        return self.user_dir / f"{slugify(name)}{SUFFIX}"


def _copy_atomic(src: Path, dest: Path) -> None:
    """Copy under a temporary name, then rename: the destination is a whole style file or untouched.
    A destination that cannot be written is one clear line (a missing folder was a traceback)."""
    folder = dest.parent
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise StyleFileError(f"cannot write {dest.name}: the folder {folder} {what}")
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        shutil.copyfile(src, tmp)
        tmp.replace(dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise StyleFileError(f"cannot write {dest}: {exc.strerror or exc}") from exc
