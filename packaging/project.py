"""Print one fact from pyproject.toml for the build scripts (bash, PowerShell, the release workflow).

    python packaging/project.py version      # 0.1.0
    python packaging/project.py torch        # 2.14.1: the torch every installer bundles
    python packaging/project.py torch-cuda   # cu126: the CUDA build of the Windows NVIDIA installer
    python packaging/project.py runtime      # one requirement a line: the app's dependencies and the
                                             # `package` extra, without torch (each script installs the
                                             # pinned build itself) and torchvision (never imported by the
                                             # app; a PyPI torchvision would drag a CUDA torch back in)

Why one script: the Linux, macOS and Windows builds each used to carry their own copy of this parsing.
Standard library only, so it runs with the bare interpreter before any venv exists.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
NOT_BUNDLED_AS_IS = ("torch", "torchvision")


def requirement_name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req, maxsplit=1)[0].lower()


def facts(pyproject: Path = PYPROJECT) -> dict[str, str]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project, pins = data["project"], data["tool"]["atelier"]["packaging"]
    reqs = project["dependencies"] + project["optional-dependencies"]["package"]
    return {
        "version": project["version"],
        "torch": pins["torch"],
        "torch-cuda": pins["torch-cuda"],
        "runtime": "\n".join(r for r in reqs if requirement_name(r) not in NOT_BUNDLED_AS_IS),
    }


def main(argv: list[str]) -> int:
    known = facts()
    if len(argv) != 1 or argv[0] not in known:
        print(f"usage: project.py {{{'|'.join(known)}}}", file=sys.stderr)
        return 2
    print(known[argv[0]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
