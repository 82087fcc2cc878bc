"""Trim the ICU data library Qt brings into the Linux bundle to what an English-only app reads.

Why: `libicudata.so.NN` (PySide6's Qt links QtCore against ICU) is 30.6 MiB, the largest file in the
bundle after libtorch, and almost all of it is locale data for ~900 locales (names of languages,
currencies, units and time zones in every language, collation tailorings, legacy code-page
converters). Atelier ships in English only and calls no ICU-backed Qt API itself (QCollator,
QStringDecoder, QTimeZone); Qt falls back to ICU's root data where a locale is absent. So the
package keeps root and English in every tree and every non-locale item (Unicode properties,
normalization, collation's base table, time-zone and plural rules, converter aliases), and drops
the rest; icupkg refuses a package whose kept items name a dropped one, so the result is consistent.
Also dropped, because Qt never asks ICU for them (libQt6Core, the only bundled library that links
ICU, imports case mapping, calendar/time zone, converter and collation functions only: no `ubrk_`,
`utrans_`, `u_charName` or `uspoof_`): the break iterators' rules and their Thai, Lao, Khmer, Burmese
and CJK word dictionaries (3.3 MiB; Qt breaks text with its own Unicode tables), transliteration
(1.1 MiB), Unicode character names and the spoof checker's confusables. Checked through PySide6
with the trimmed library, German locale: the same collation order (de_DE), case mapping (tr_TR's
dotted I) and number formats as the full data; only legacy decoders such as Shift_JIS are gone
(UTF-8/16/32, ASCII and Latin-1 are algorithmic in ICU and stay).

How: the library is nothing but one exported symbol, `icudtNN_dat`, holding an ICU common-data
package. The package is cut out of the library's .rodata, trimmed with ICU's own `icupkg`, turned
into assembly by ICU's `genccode`, and linked back into a shared library of the same soname (needs
icu-devtools and gcc; Debian/Ubuntu: `apt-get install icu-devtools gcc`).

    python packaging/trim_icu.py dist/Atelier/_internal/PySide6/Qt/lib/libicudata.so.73
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# A locale's resource: "de", "de_AT", "zh_Hant_TW", "sr_Latn_BA" (tree items carry a "tree/" prefix).
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]*)*$")  # also ICU's aliases "de_", "es__TRADITIONAL"
_KEEP_LOCALES = re.compile(r"^(root|en|en_[A-Za-z0-9_]+)$")
# Bookkeeping resources of every tree: the index of its locales and the shared string pool.
_TREE_FILES = {"res_index", "pool"}
# Items for ICU services Qt does not call (see above): character names, the spoof checker's data.
_UNUSED_BY_QT = {"unames.icu", "confusables.cfu", "confusablesWholeScript.cfu"}


def keep(item: str) -> bool:
    """Whether a package item (e.g. `coll/de.res`, `af.res`, `brkitr/cjdict.dict`) stays."""
    name = item.rsplit("/", 1)[-1]
    stem, _, ext = name.rpartition(".")
    if ext == "cnv":  # legacy code pages; UTF-8/16/32, ASCII and Latin-1 are algorithmic, no table
        return False
    if item.startswith(("brkitr/", "translit/")) or name in _UNUSED_BY_QT:
        return False
    if item.startswith("rbnf/"):  # spelled-out numbers: unused by Qt
        return stem in _TREE_FILES or stem == "root"
    if ext == "res" and stem not in _TREE_FILES and _LOCALE.match(stem):
        return bool(_KEEP_LOCALES.match(stem))
    return True


def _run(*cmd: str | Path) -> str:
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True).stdout


def data_symbol(lib: Path) -> tuple[str, int, int]:
    """(symbol, file offset, size) of the `icudtNN_dat` package inside the library."""
    for line in _run("nm", "-D", "-S", "--defined-only", lib).splitlines():
        parts = line.split()
        if len(parts) == 4 and re.fullmatch(r"icudt\d+_dat", parts[3]):
            addr, size, name = int(parts[0], 16), int(parts[1], 16), parts[3]
            break
    else:
        raise SystemExit(f"{lib}: no icudtNN_dat symbol (not an ICU data library?)")
    for line in _run("readelf", "-SW", lib).splitlines():
        m = re.search(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m:
            sec_addr, sec_off, sec_size = (int(m.group(i), 16) for i in (2, 3, 4))
            if sec_addr <= addr < sec_addr + sec_size:
                return name, addr - sec_addr + sec_off, size
    raise SystemExit(f"{lib}: could not find the section holding {name}")


def extract_package(lib: Path, folder: Path) -> tuple[str, Path]:
    """(symbol, package file): the library's data package written to `folder` under ICU's own name
    (icudtNNl.dat; icupkg checks the name against the package's prefix)."""
    symbol, offset, size = data_symbol(lib)
    pkg = folder / f"{symbol.removesuffix('_dat')}l.dat"
    folder.mkdir(exist_ok=True)
    with lib.open("rb") as f:
        f.seek(offset)
        pkg.write_bytes(f.read(size))
    return symbol, pkg


def check_library(lib: Path, symbol: str, items: int, tmp: Path) -> None:
    """The new library exports the same symbol, and the package inside it reads back with all the
    kept items (a broken package would only show when Qt first asks ICU for data, e.g. a collation)."""
    name, back = extract_package(lib, tmp / "check")
    if name != symbol:
        raise SystemExit(f"{lib}: exports {name}, not {symbol}")
    found = len(_run("icupkg", "-l", back).split())
    if found != items:
        raise SystemExit(f"{lib}: the trimmed package reads back with {found} items, not {items}")


def trim(lib: Path) -> tuple[int, int]:
    """Replace `lib` by a trimmed copy; returns (bytes before, bytes after)."""
    for tool in ("icupkg", "genccode", "gcc", "nm", "readelf"):
        if shutil.which(tool) is None:
            raise SystemExit(f"error: {tool} not found: install icu-devtools, gcc and binutils")
    before = lib.stat().st_size
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        symbol, pkg = extract_package(lib, tmp)
        entry = symbol.removesuffix("_dat")  # icudt73
        items = _run("icupkg", "-l", pkg).split()
        drop = [i for i in items if not keep(i)]
        kept = len(items) - len(drop)
        (tmp / "drop.txt").write_text("\n".join(drop) + "\n")
        out_pkg = tmp / "out" / pkg.name
        out_pkg.parent.mkdir()
        _run("icupkg", "-r", tmp / "drop.txt", pkg, out_pkg)
        _run("genccode", "-q", "-a", "gcc", "-e", entry, "-d", tmp, out_pkg)
        asm = next(tmp.glob("*.S"))
        new_lib = tmp / lib.name
        _run("gcc", "-shared", "-nostdlib", f"-Wl,-soname,{lib.name}", "-o", new_lib, asm)
        _run("strip", "--strip-unneeded", new_lib)
        check_library(new_lib, symbol, kept, tmp)
        shutil.copyfile(new_lib, lib)
        print(f"{lib.name}: kept {kept} of {len(items)} ICU data items")
    return before, lib.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library", type=Path, help="libicudata.so.NN inside the bundle")
    args = ap.parse_args(argv)
    before, after = trim(args.library)
    print(f"{args.library.name}: {before / 2**20:.1f} -> {after / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
