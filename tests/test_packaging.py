"""The PyInstaller spec ships everything the app loads lazily -- checked in milliseconds, without building.

Why: PyInstaller cannot always see modules imported inside functions or by name, nor data found at
run time; such a gap only shows in the built app, on a user's machine, when that code path runs.
This reads packaging/atelier.spec with `ast` and fails when a lazy import in engine/ or desktop_app/
is not in its HIDDEN_IMPORTS, or when DATAS lacks the styles or the sample photo. The same helpers
(packaging/check_bundle.py) later check the built bundle itself.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "atelier.spec"


def _load_packaging_script(name: str):
    # Loaded by path: a `packaging` package would shadow the PyPI `packaging` library.
    spec = importlib.util.spec_from_file_location(f"atelier_{name}", ROOT / "packaging" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cb = _load_packaging_script("check_bundle")


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


# ------------------------------------------------------------------ the bundle checks, on fake bundles
def fake_elf(path: Path, needed: list[str], versions: list[str] = (), symtab: bool = False) -> Path:
    """A minimal 64-bit ELF file with DT_NEEDED entries and GLIBC symbol versions (what read_elf reads),
    and with `symtab` an (empty) symbol table, as an unstripped file has."""
    import struct

    names = ["libc.so.6", *needed, *versions]
    strtab, offsets = b"\0", {}
    for name in names:
        offsets[name] = len(strtab)
        strtab += name.encode() + b"\0"
    dynamic = b"".join(struct.pack("<qQ", 1, offsets[n]) for n in needed) + struct.pack("<qQ", 0, 0)
    verneed = struct.pack("<HHIII", 1, len(versions), offsets["libc.so.6"], 16, 0)
    for i, version in enumerate(versions):
        verneed += struct.pack("<IHHII", 0, 0, i + 2, offsets[version], 16 if i < len(versions) - 1 else 0)
    dynstr_at, dynamic_at = 64, 64 + len(strtab)
    verneed_at = dynamic_at + len(dynamic)
    shoff = verneed_at + len(verneed)
    sections = [
        struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, dynstr_at, len(strtab), 0, 0, 1, 0),
        struct.pack("<IIQQQQIIQQ", 0, 6, 0, 0, dynamic_at, len(dynamic), 1, 0, 8, 16),
        struct.pack("<IIQQQQIIQQ", 0, 0x6FFFFFFE, 0, 0, verneed_at, len(verneed), 1, 1 if versions else 0, 8, 0),
    ]
    if symtab:
        sections.append(struct.pack("<IIQQQQIIQQ", 0, 2, 0, 0, 0, 0, 1, 0, 8, 24))
    header = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + bytes(9), 3, 62, 1, 0, 0, shoff, 0, 64, 0, 0,
                         64, len(sections), 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + strtab + dynamic + verneed + b"".join(sections))
    return path


def fake_bundle(root: Path) -> Path:
    """An _internal folder shaped like a good Linux bundle: wheel libraries, links to them, kept host libs."""
    internal = root / "Atelier" / "_internal"
    fake_elf(internal / "PySide6/Qt/plugins/platforms/libqxcb.so", ["libQt6XcbQpa.so.6", "libglib-2.0.so.0"],
             ["GLIBC_2.14", "GLIBC_2.34"])
    fake_elf(internal / "PySide6/Qt/lib/libQt6Core.so.6", ["libstdc++.so.6"], ["GLIBC_2.28"])
    (internal / "libQt6Core.so.6").symlink_to("PySide6/Qt/lib/libQt6Core.so.6")
    fake_elf(internal / "libpython3.11.so.1.0", [], ["GLIBC_2.17"])
    fake_elf(internal / "libxcb-cursor.so.0", [])
    (internal / "PySide6/Qt/translations").mkdir(parents=True)
    (internal / "PySide6/Qt/translations/qtbase_en.qm").write_bytes(b"qm")
    return internal


def test_read_elf_finds_needed_libraries_and_symbol_versions(tmp_path):
    elf = cb.read_elf(fake_elf(tmp_path / "libx.so", ["libQt6Pdf.so.6", "libm.so.6"], ["GLIBC_2.17", "GLIBC_2.36"]))
    assert elf.needed == ["libQt6Pdf.so.6", "libm.so.6"]
    assert elf.versions == {"GLIBC_2.17", "GLIBC_2.36"}
    (tmp_path / "text.so").write_text("not an ELF file")
    assert cb.read_elf(tmp_path / "text.so") is None


@pytest.mark.skipif(not Path("/bin/sh").is_file() or sys.platform != "linux", reason="needs a Linux ELF program")
def test_read_elf_reads_a_real_program():
    elf = cb.read_elf(Path("/bin/sh").resolve())
    assert "libc.so.6" in elf.needed
    assert any(v.startswith("GLIBC_2.") for v in elf.versions)


def test_a_good_fake_bundle_passes_the_exclusion_checks(tmp_path):
    internal = fake_bundle(tmp_path)
    assert cb.excluded_problems(internal, cpu_only=True, platform="linux") == []


@pytest.mark.parametrize(("make", "expected"), [
    (lambda i: fake_elf(i / "PySide6/Qt/plugins/platforminputcontexts/libkeyboard.so", ["libQt6VirtualKeyboard.so.6"]),
     "libkeyboard.so needs the excluded library libQt6VirtualKeyboard.so.6"),
    (lambda i: fake_elf(i / "PySide6/Qt/lib/libQt6Quick3D.so.6", []), "excluded library is bundled: PySide6/Qt/lib/"),
    (lambda i: fake_elf(i / "libgtk-3.so.0", []), "excluded library is bundled: libgtk-3.so.0"),
    (lambda i: fake_elf(i / "torch/lib/libstdc++.so.6", []), "excluded library is bundled: torch/lib/libstdc++.so.6"),
    (lambda i: fake_elf(i / "libpulse.so.0", []), "library copied from the build system: libpulse.so.0"),
    (lambda i: (i / "PySide6/Qt/translations/qtbase_de.qm").write_bytes(b"qm"), "1 Qt translation(s)"),
    (lambda i: (i / "torch/testing/_internal").mkdir(parents=True), "should not be bundled: torch/testing/_internal"),
    (lambda i: fake_elf(i / "PySide6/Qt/plugins/platformthemes/libqgtk3.so", []), "platformthemes/libqgtk3.so"),
    (lambda i: (i / "nvidia/cublas").mkdir(parents=True), "should not be bundled: nvidia"),
    (lambda i: fake_elf(i / "PySide6/Qt/plugins/platforms/libqvnc.so", []),
     "the spec drops it, but it is bundled: PySide6/Qt/plugins/platforms/libqvnc.so"),
    (lambda i: fake_elf(i / "torch/bin/test_api", []), "the spec drops it, but it is bundled: torch/bin/test_api"),
    (lambda i: fake_elf(i / "torch/lib/libtorch_cpu.so", [], symtab=True),
     "1 binary file(s) not stripped, e.g. torch/lib/libtorch_cpu.so"),
    (lambda i: (i / "torch/nn").mkdir(parents=True) or (i / "torch/nn/linear.py").write_text("class Linear: ...\n"),
     "1 torch source file(s) that torch never reads, e.g. torch/nn/linear.py"),
])
def test_an_excluded_thing_that_came_back_is_refused(tmp_path, make, expected):
    internal = fake_bundle(tmp_path)
    make(internal)
    problems = cb.excluded_problems(internal, cpu_only=True, platform="linux")
    assert any(expected in p for p in problems), problems


def test_what_the_spec_keeps_on_purpose_passes(tmp_path):
    """torch sources torch reads, unstripped auditwheel libraries, and any symbol table off Linux."""
    internal = fake_bundle(tmp_path)
    (internal / "torch/_dynamo").mkdir(parents=True)
    (internal / "torch/_dynamo/config.py").write_text("install_config_module(sys.modules[__name__])\n")
    (internal / "torch/functional.py").write_text("from torch._jit_internal import _overload as overload\n")
    (internal / "torch/nn/modules").mkdir(parents=True)
    (internal / "torch/nn/modules/rnn.py").write_text("class RNN:\n    @torch._jit_internal._overload_method\n")
    fake_elf(internal / "numpy.libs/libscipy_openblas64_.so", [], symtab=True)
    assert cb.excluded_problems(internal, cpu_only=True, platform="linux") == []
    fake_elf(internal / "PySide6/QtCore.abi3.so", [], symtab=True)
    (internal / "torch/nn/linear.py").write_text("class Linear: ...\n")
    assert cb.excluded_problems(internal, platform="darwin") == [], "stripped and torch-trimmed on Linux only"
    assert cb.excluded_problems(internal, platform="linux")


def test_an_excluded_module_that_came_back_is_refused(tmp_path):
    internal = fake_bundle(tmp_path)
    ok = {"torch", "torch._inductor.config", "onnxruntime", "PIL.Image"}
    assert cb.excluded_module_problems(ok, internal, "linux") == []
    codegen = {"torch._inductor.codegen.cpp", "torch._inductor.codegen"}
    [problem] = cb.excluded_module_problems(codegen, internal, "linux")
    assert "excluded module is bundled: torch._inductor.codegen (2 module(s) in the archive" in problem
    assert cb.excluded_module_problems(codegen, internal, "win32") == [], "torch is trimmed on Linux only"
    fake_elf(internal / "PIL/_avif.cpython-311-x86_64-linux-gnu.so", [])
    [problem] = cb.excluded_module_problems(set(), internal, "win32")
    assert "excluded module is bundled: PIL._avif (on disk)" in problem


def test_linux_system_libraries_are_only_refused_on_linux(tmp_path):
    internal = fake_bundle(tmp_path)
    fake_elf(internal / "libstdc++.so.6", [])
    assert cb.excluded_problems(internal, platform="win32") == []
    assert cb.excluded_problems(internal, platform="linux")


def test_size_budget(tmp_path):
    bundle = tmp_path / "Atelier"
    bundle.mkdir()
    with open(bundle / "libtorch_cpu.so", "wb") as fh:  # sparse: 700 MiB that take no disk
        fh.truncate(700 * 2**20)
    assert cb.budget_problems(bundle, 800) == []
    [problem] = cb.budget_problems(bundle, 600)
    assert "700 MiB, over its budget of 600 MiB" in problem


def test_untrimmed_icu_data_is_refused_on_linux(tmp_path):
    internal = fake_bundle(tmp_path)
    icu = internal / "PySide6/Qt/lib/libicudata.so.73"
    icu.parent.mkdir(parents=True, exist_ok=True)
    with open(icu, "wb") as fh:  # sparse: as large as PySide6's, taking no disk
        fh.truncate(31 * 2**20)
    [problem] = cb.excluded_problems(internal, platform="linux")
    assert "libicudata.so.73 is 31.0 MiB: Qt's ICU data was not trimmed" in problem
    assert cb.excluded_problems(internal, platform="darwin") == []
    with open(icu, "wb") as fh:  # the break iterators' dictionaries came back: 8 MiB
        fh.truncate(8 * 2**20)
    assert len(cb.excluded_problems(internal, platform="linux")) == 1
    with open(icu, "wb") as fh:
        fh.truncate(int(3.5 * 2**20))
    assert cb.excluded_problems(internal, platform="linux") == []


def test_icu_trim_keeps_root_english_and_the_shared_data():
    keep = _load_packaging_script("trim_icu").keep
    kept = ["root.res", "en.res", "en_GB.res", "pool.res", "res_index.res", "coll/root.res", "coll/en.res",
            "coll/ucadata.icu", "coll/res_index.res", "uprops.icu", "ucase.icu", "nfc.nrm", "cnvalias.icu",
            "zoneinfo64.res", "supplementalData.res", "likelySubtags.res", "plurals.res", "icuver.res",
            "zone/root.res", "zone/en.res", "rbnf/root.res"]
    dropped = ["de.res", "de_AT.res", "zh_Hant_TW.res", "sr_Latn_BA.res", "fil.res", "coll/de.res", "coll/de_.res",
               "coll/es__TRADITIONAL.res", "lang/fr.res", "zone/ja.res", "curr/sv.res", "unit/de.res",
               "region/pt_BR.res", "rbnf/de.res", "translit/el_Latn.res", "ibm-943_P15A-2003.cnv", "gb18030.cnv",
               # services Qt never calls: break iterators and their dictionaries, transliteration, names
               "brkitr/line.brk", "brkitr/root.res", "brkitr/cjdict.dict", "translit/root.res", "unames.icu",
               "confusables.cfu"]
    assert [i for i in kept if not keep(i)] == []
    assert [i for i in dropped if keep(i)] == []


def test_glibc_floor(tmp_path):
    internal = fake_bundle(tmp_path)
    assert cb.glibc_needed(internal) == ((2, 34), "PySide6/Qt/plugins/platforms/libqxcb.so")
    assert cb.glibc_problems(internal, "2.34") == []
    fake_elf(internal / "torch/lib/libtorch_cpu.so", [], ["GLIBC_2.36"])
    [problem] = cb.glibc_problems(internal, "2.34")
    assert "torch/lib/libtorch_cpu.so needs glibc 2.36, newer than the promised minimum 2.34" in problem


def test_translation_language():
    assert cb.translation_language("qtbase_de.qm") == "de"
    assert cb.translation_language("qt_help_pt_BR.qm") == "pt"
    assert cb.translation_language("qtmultimedia_en.qm") == "en"
    assert cb.translation_language("atelier.png") is None


def test_spec_drops_what_the_check_refuses():
    """The spec must drop what check_bundle refuses, or every build would fail its check."""
    kept = cb.spec_literal("LINUX_SYSTEM_LIBRARIES_KEPT", SPEC)
    assert not [lib for lib in cb.LINUX_SYSTEM_LIBRARY_PREFIXES if lib.startswith(tuple(kept))]
    drop = " ".join(cb.spec_literal("DROP_GLOBS", SPEC))
    for what in ("torch/testing/_internal", "qtvirtualkeyboard", "gtk3"):
        assert what in drop
    drop_libraries = cb.spec_literal("DROP_BINARY_PREFIXES", SPEC)
    assert "Qt6VirtualKeyboard" in drop_libraries
    # Qt's FFmpeg multimedia plugin (camera, video) links Quick and Qml: excluding them breaks the live view.
    assert not cb.excluded_qt_library("libQt6Quick.so.6") and not cb.excluded_qt_library("libQt6Qml.so.6")
    assert "imageio_ffmpeg/binaries/*" in cb.spec_literal("DROP_GLOBS_LINUX", SPEC)
    # The window needs X11 or Wayland, the build's headless tests offscreen.
    for kept in ("libqxcb.so", "libqwayland.so", "libqoffscreen.so"):
        assert not cb.dropped_by_spec(f"PySide6/Qt/plugins/platforms/{kept}", "linux"), kept


def test_torch_sources_the_spec_keeps():
    """torch's config modules read their own source at import; the TorchScript overloads warn without theirs."""
    import re

    read = re.compile("|".join(cb.spec_literal("TORCH_SOURCES_READ", SPEC)), re.MULTILINE)
    for needed in ("install_config_module(sys.modules[__name__])",
                   "from torch._jit_internal import _overload as overload, boolean_dispatch",
                   "    @torch._jit_internal._overload_method\n    def forward(self, input, hx=None):",
                   "@_overload\ndef interpolate(input):"):
        assert read.search(needed), needed
    for unread in ("import torch\nclass Linear(Module): ...", "from typing import overload\n@overload\ndef f(): ..."):
        assert not read.search(unread), unread


# ------------------------------------------------------------------ build helpers
def test_project_facts_pin_torch_inside_the_dependency_range():
    from packaging.requirements import Requirement

    project = _load_packaging_script("project")
    facts = project.facts()
    runtime = facts["runtime"].splitlines()
    assert not [r for r in runtime if project.requirement_name(r) in ("torch", "torchvision")]
    assert any(r.startswith("pyinstaller") for r in runtime) and any(r.startswith("pyside6") for r in runtime)
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    torch_req = next(Requirement(r) for r in dependencies if project.requirement_name(r) == "torch")
    assert torch_req.specifier.contains(facts["torch"]), "the bundled torch must satisfy the app's own range"
    assert facts["torch-cuda"].startswith("cu")


def test_project_script_prints_one_fact_and_refuses_unknown_ones():
    import subprocess

    script = str(ROOT / "packaging" / "project.py")
    out = subprocess.run([sys.executable, script, "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _load_packaging_script("project").facts()["version"]
    assert subprocess.run([sys.executable, script, "nonsense"], capture_output=True).returncode == 2


def test_cli_launcher_passes_arguments_output_and_exit_status(capfd):
    launcher = _load_packaging_script("cli_launcher")
    child = [sys.executable, "-c", "import os, sys; print('child got', sys.argv[1:], "
             "os.environ['PYINSTALLER_RESET_ENVIRONMENT']); sys.exit(3)"]
    assert launcher.run(["--self-test", "--max-size", "64"], command=child) == 3
    assert "child got ['--self-test', '--max-size', '64'] 1" in capfd.readouterr().out


# ------------------------------------------------------------------ workflow, scripts and README agree
def _readme_artefacts() -> set[str]:
    import re

    text = (ROOT / "packaging" / "README.md").read_text(encoding="utf-8")
    names = set(re.findall(r"`(Atelier-[^`]*<version>[^`]*\.(?:exe|bin|dmg|tar\.xz))`", text))
    return {n.replace("<version>", "0.1.0").replace("*", "1") for n in names}


def _release_globs() -> list[str]:
    import re

    text = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    globs = set(re.findall(r"(dist/Atelier(?:[^\s'\")$]|\$\{\{ matrix\.variant \}\})+)", text))
    return sorted({g.replace("${{ matrix.variant }}", v) for g in globs for v in ("cpu", "cuda")})


def test_release_uploads_exactly_the_files_the_readme_names():
    import fnmatch

    names, globs = _readme_artefacts(), _release_globs()
    assert {"Atelier-Setup-0.1.0-cpu.exe", "Atelier-Setup-0.1.0-cuda.exe", "Atelier-Setup-0.1.0-cuda-1.bin",
            "Atelier-0.1.0-macos-arm64.dmg", "Atelier-0.1.0-linux-x86_64.tar.xz"} <= names
    for name in names:
        assert any(fnmatch.fnmatch(f"dist/{name}", g) for g in globs), f"release.yml never uploads {name}"
    for glob in globs:
        if "-cpu-" not in glob:  # the CPU installer has no .bin slices
            assert any(fnmatch.fnmatch(f"dist/{n}", glob) for n in names), f"README never names {glob}"


def test_minimum_os_versions_agree():
    import plistlib

    plist = plistlib.loads((ROOT / "packaging" / "macos" / "Info.additions.plist").read_bytes())
    readmes = (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "packaging" / "README.md").read_text(
        encoding="utf-8")
    assert plist["LSMinimumSystemVersion"] == "14.0" and "macOS 14" in readmes and "12.3" not in readmes
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert 'MAX_GLIBC: "2.35"' in workflow and "glibc 2.35 or newer" in readmes
    assert "Open Anyway" in readmes  # macOS 15 Gatekeeper: right-click -> Open no longer works
