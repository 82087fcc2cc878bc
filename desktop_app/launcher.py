"""The `atelier` command: the GUI, the GUI with a photo, the self-test, or the command-line tool.

    atelier                  -> open the window
    atelier photo.jpg        -> open the window with that photo
    atelier --self-test ...  -> engine.selftest (checks an installation; no window)
    atelier <anything else>  -> engine.cli (stylize, train, styles, devices ...)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def _is_photo(arg: str) -> bool:
    from engine.imageio import is_image_path

    path = Path(arg)
    return path.is_file() and is_image_path(path)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--self-test":
        from engine.selftest import main as selftest  # written separately; imported only when asked for

        return int(selftest(args[1:]) or 0)
    if not args:
        return run_gui()
    if len(args) == 1 and _is_photo(args[0]):
        return run_gui(Path(args[0]))
    from engine.cli import main as cli_main

    return int(cli_main(args) or 0)


def run_gui(photo: Path | None = None) -> int:
    """Start Qt with a qasync event loop (so view-model code may `await bridge.submit(request)`)."""
    import asyncio

    import qasync
    from PySide6.QtCore import QTimer

    from desktop_app.app import create_application
    from desktop_app.main_window import MainWindow

    app = create_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    window = MainWindow(open_path=photo)
    window.show()
    QTimer.singleShot(0, window.offer_update_check)  # once the window is up: asks the first time only
    with loop:
        loop.run_until_complete(closed.wait())
    return 0


if __name__ == "__main__":
    sys.exit(main())
