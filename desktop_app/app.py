"""QApplication set-up: names (for QSettings), where settings live, icon, high-DPI, the look.

Fusion is used everywhere because it honours the system's light/dark palette on every platform
(Qt 6.5+ reports the colour scheme), and looks the same in screenshots and tests.
With `ATELIER_HOME` set (tests, portable installs) everything Atelier writes stays under it: its
settings and remembered folders, and Qt's own (file dialogs' history), as INI files in
ATELIER_HOME/settings instead of the registry or ~/.config.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from engine.paths import resources_dir, user_home


def app_icon() -> QIcon:
    icon = QIcon()
    folder = resources_dir() / "icons"
    for name in ("atelier.png", "atelier.ico"):
        if (folder / name).is_file():
            icon.addFile(str(folder / name))
    return icon


def keep_settings_under_atelier_home() -> None:
    """Point every QSettings (ours and Qt's) at ATELIER_HOME/settings when ATELIER_HOME is set."""
    if not os.environ.get("ATELIER_HOME"):
        return
    folder = str(user_home() / "settings")
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, folder)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)


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
    keep_settings_under_atelier_home()
    QGuiApplication.setApplicationDisplayName("Atelier")
    app.setStyle("Fusion")
    app.setWindowIcon(app_icon())
    # No setPalette anywhere: Qt then keeps the application palette in step with the platform's
    # light/dark scheme (also when it changes while Atelier runs), and every widget paints with it.
    return app
