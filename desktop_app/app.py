"""QApplication set-up: names (for QSettings), icon, high-DPI and a palette that follows the system.

Fusion is used everywhere because it honours the system's light/dark palette on every platform
(Qt 6.5+ reports the colour scheme), and looks the same in screenshots and tests.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from engine.paths import resources_dir


def app_icon() -> QIcon:
    icon = QIcon()
    folder = resources_dir() / "icons"
    for name in ("atelier.png", "atelier.ico"):
        if (folder / name).is_file():
            icon.addFile(str(folder / name))
    return icon


def create_application(argv: list[str] | None = None) -> QApplication:
    """Create (or reuse) the QApplication with Atelier's identity and look."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QCoreApplication.setApplicationName("Atelier")
    QCoreApplication.setOrganizationName("Atelier")
    QCoreApplication.setOrganizationDomain("atelier.local")
    QGuiApplication.setApplicationDisplayName("Atelier")
    app.setStyle("Fusion")
    app.setWindowIcon(app_icon())
    # No setPalette anywhere: Qt then keeps the application palette in step with the platform's
    # light/dark scheme (also when it changes while Atelier runs), and every widget paints with it.
    return app
