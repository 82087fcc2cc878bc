"""atelier-cli.exe (Windows): the console face of the windowed Atelier.exe next to it.

Why it exists: a windowed (GUI-subsystem) Windows program has no console, so `Atelier.exe --self-test`
typed in cmd or PowerShell prints nowhere and returns before it has finished. This console program
runs Atelier.exe with its own console handles passed explicitly as the child's stdin/stdout/stderr
(a windowed child then writes into this console), waits for it and returns its exit status. It is a
few MiB of standard library, where a second console build of the app carried another copy of the
app's 35.6 MiB archive. Linux and macOS need no such thing: `Atelier --self-test` prints to the terminal.

Standard library only: packaging/atelier.spec freezes it in its own tiny analysis.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

APP = "Atelier.exe" if sys.platform == "win32" else "Atelier"


def app_command() -> list[str]:
    """The windowed app beside this launcher's executable."""
    return [os.path.join(os.path.dirname(os.path.abspath(sys.executable)), APP)]


def _handle(stream):
    """The stream itself when it is backed by a real handle (a console, a pipe, a file), else None."""
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return stream


def run(argv: Sequence[str], command: Sequence[str] | None = None) -> int:
    # The child is another frozen application, not a helper process of this one: without this,
    # PyInstaller's bootloader would take it for our subprocess and reuse our runtime settings.
    env = dict(os.environ, PYINSTALLER_RESET_ENVIRONMENT="1")
    child = subprocess.Popen([*(command or app_command()), *argv], stdin=_handle(sys.stdin),
                             stdout=_handle(sys.stdout), stderr=_handle(sys.stderr), env=env)
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches console programs only: stop the windowed child too
        child.terminate()
        child.wait()
        return 130


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
