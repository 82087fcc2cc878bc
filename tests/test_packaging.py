"""The PyInstaller spec ships everything the app loads lazily -- checked in milliseconds, without building.

Why: PyInstaller cannot always see modules imported inside functions or by name, nor data found at
run time; such a gap only shows in the built app, on a user's machine, when that code path runs.
This reads packaging/atelier.spec with `ast` and fails when a lazy import in engine/ or desktop_app/
is not in its HIDDEN_IMPORTS, or when DATAS lacks the styles or the sample photo. The same helpers
(packaging/check_bundle.py) later check the built bundle itself.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "atelier.spec"


def _load_check_bundle():
    # Loaded by path: a `packaging` package would shadow the PyPI `packaging` library.
    spec = importlib.util.spec_from_file_location("atelier_check_bundle", ROOT / "packaging" / "check_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cb = _load_check_bundle()


@pytest.fixture(scope="module")
def hidden() -> list[str]:
    return cb.spec_literal("HIDDEN_IMPORTS", SPEC)


def test_spec_is_valid_python_with_literal_lists(hidden):
    compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec")
    assert all(isinstance(h, str) for h in hidden)
    assert cb.spec_literal("DATAS", SPEC)


def test_every_lazy_import_is_a_hidden_import(hidden):
    missing = cb.uncovered_lazy_imports(hidden, ROOT)
    report = "\n".join(f"  {m}  (imported in {', '.join(where)})" for m, where in missing.items())
    assert not missing, f"add these to HIDDEN_IMPORTS in packaging/atelier.spec:\n{report}"


def test_scanner_finds_the_known_lazy_imports():
    found = cb.lazy_imports(ROOT)
    assert "engine.selftest" in found, "desktop_app.launcher imports the self-test lazily"
    assert "desktop_app.launcher" in found, "packaging/entry.py imports the launcher after the hygiene"
    assert not any(m.split(".")[0] in ("os", "sys", "platform", "asyncio") for m in found), "stdlib is ignored"


def test_a_removed_hidden_import_is_reported(hidden):
    without = [h for h in hidden if h != "engine.selftest"]
    assert "engine.selftest" in cb.uncovered_lazy_imports(without, ROOT)


def test_scanner_sees_function_level_and_by_name_imports(tmp_path):
    pkg = tmp_path / "engine"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "plugin.py").write_text("")
    (pkg / "mod.py").write_text(textwrap.dedent("""
        import json
        import numpy                      # top level: PyInstaller sees it, not reported

        def f():
            import platform               # stdlib: ignored
            from engine.sub import plugin # a submodule through `from package import name`
            from .sub import plugin as p  # relative
            import PIL.Image

        class C:
            async def g(self):
                import safetensors.torch

        import importlib
        importlib.import_module("engine.sub.plugin")
        importlib.import_module("qasync")
    """))
    found = cb.lazy_imports(tmp_path, packages=("engine",), extra=())
    assert set(found) == {"engine.sub.plugin", "PIL.Image", "safetensors.torch", "qasync"}
    assert found["engine.sub.plugin"][0].startswith("engine/mod.py:")
    assert cb.uncovered_lazy_imports(["engine.sub.*", "PIL.Image", "safetensors.torch"], tmp_path) == {
        "qasync": ["engine/mod.py:17"]}


def test_coverage_rules():
    assert cb.covered("engine.training.trainer", ["engine.training.*"])
    assert cb.covered("engine.training", ["engine.training.*"])
    assert cb.covered("PySide6", ["PySide6.QtMultimedia"])  # a parent package comes with its submodule
    assert not cb.covered("engine.trainingx", ["engine.training.*"])
    assert not cb.covered("PySide6.QtMultimedia", ["PySide6"])  # a package does not bring its submodules


def test_datas_ship_styles_and_sample_photo():
    datas = cb.spec_literal("DATAS", SPEC)
    assert cb.missing_datas(datas) == []
    dests = {dest for _src, dest in datas}
    assert {"resources/styles", "resources/samples"} <= dests
    for src, _dest in datas:
        assert not Path(src).is_absolute(), "sources are relative to the repository root"


@pytest.mark.parametrize("drop", ["resources/styles", "resources/samples"])
def test_missing_data_folder_is_reported(drop):
    datas = [d for d in cb.spec_literal("DATAS", SPEC) if d[1] != drop]
    assert cb.missing_datas(datas) == [drop]


def test_spec_reads_name_and_version_from_pyproject_and_keeps_multimedia():
    text = SPEC.read_text(encoding="utf-8")
    assert "tomllib" in text and 'PROJECT["version"]' in text
    excludes = cb.spec_literal("QT_EXCLUDES", SPEC)
    assert "PySide6.QtWebEngineCore" in excludes
    assert not any("Multimedia" in e for e in excludes), "the live webcam view needs QtMultimedia"
    assert "PySide6.QtMultimedia" in cb.spec_literal("HIDDEN_IMPORTS", SPEC)
    # Excluding a module the app uses lazily would break it at run time.
    uses = set(cb.lazy_imports(ROOT))
    assert not uses & set(excludes + cb.spec_literal("OTHER_EXCLUDES", SPEC))


def test_entry_point_keeps_frozen_app_hygiene():
    text = (ROOT / "packaging" / "entry.py").read_text(encoding="utf-8")
    assert text.index("freeze_support()") < text.index("from desktop_app.launcher import")
    assert "sys.stdout is None" in text


def test_entry_point_redirects_missing_streams_to_a_log(atelier_home, monkeypatch):
    spec = importlib.util.spec_from_file_location("atelier_entry", ROOT / "packaging" / "entry.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    monkeypatch.setattr("sys.stdout", None)
    monkeypatch.setattr("sys.stderr", None)
    path = entry.redirect_missing_streams()
    import sys

    print("hello from a windowed app")
    sys.stderr.write("and its warnings\n")
    assert path == atelier_home / "logs" / "atelier.log"
    text = path.read_text(encoding="utf-8")
    assert "hello from a windowed app" in text and "and its warnings" in text
    import faulthandler

    faulthandler.disable()


def test_trimmed_torch_files_spare_what_import_torch_needs():
    """The spec drops torch's test programs; `import torch` still needs torch_shm_manager and its libraries."""
    import fnmatch

    drop = cb.spec_literal("DROP_GLOBS", SPEC)

    def dropped(dest: str) -> bool:
        return any(fnmatch.fnmatchcase(dest, p) for p in drop)

    for needed in ("torch/bin/torch_shm_manager", "torch/lib/libtorch_cpu.so", "torch/lib/libc10.so",
                   "torch/lib/torch_cpu.dll", "torch/_C.cpython-311-x86_64-linux-gnu.so", "torch/__init__.py"):
        assert not dropped(needed), needed
    for unused in ("torch/bin/test_api", "torch/bin/TCPStoreTest", "torch/bin/protoc", "torch/test/atest"):
        assert dropped(unused), unused
