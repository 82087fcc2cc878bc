"""Typed access to what Atelier remembers between runs (QSettings underneath).

One small class so that keys and defaults live in one place and tests can hand in a QSettings
backed by a temporary INI file instead of the user's real preferences.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else QSettings()

    def _str(self, key: str, default: str = "") -> str:
        value = self.q.value(key, default)
        return str(value) if value is not None else default

    def _set(self, key: str, value: object) -> None:
        self.q.setValue(key, value)

    # device: auto | cpu | cuda:N | mps
    @property
    def device(self) -> str:
        return self._str("engine/device", "auto") or "auto"

    @device.setter
    def device(self, spec: str) -> None:
        self._set("engine/device", spec)

    # whether Atelier may read its release feed at start-up: None until the user has been asked
    @property
    def update_consent(self) -> bool | None:
        text = self._str("updates/allowed").lower()
        return None if text not in ("true", "false") else text == "true"

    @update_consent.setter
    def update_consent(self, allowed: bool) -> None:
        self._set("updates/allowed", "true" if allowed else "false")

    def folder(self, name: str) -> Path | None:
        """A remembered folder (`photo`, `save`, `batch_in`, `batch_out`, `style`) if it still exists."""
        text = self._str(f"folders/{name}")
        return Path(text) if text and Path(text).is_dir() else None

    def set_folder(self, name: str, folder: Path) -> None:
        self._set(f"folders/{name}", str(folder))

    def text(self, key: str, default: str = "") -> str:
        return self._str(key, default)

    def set_text(self, key: str, value: str) -> None:
        self._set(key, value)

    def number(self, key: str, default: float) -> float:
        try:
            return float(self.q.value(key, default))
        except (TypeError, ValueError):
            return default

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.q.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def blob(self, key: str) -> QByteArray | None:
        value = self.q.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_value(self, key: str, value: object) -> None:
        self._set(key, value)

    def sync(self) -> None:
        self.q.sync()
