"""Change-only observable properties for view-models.

Declaring `name = Property(default)` on an `ObservableObject` subclass creates a `name_changed`
Qt signal; assigning a value emits it only when the value really changed. Views bind to those
signals, so a model can publish state freely without causing redraw storms or feedback loops
(the idea of Acly/krita-ai-diffusion `properties.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

T = TypeVar("T")


class Property(Generic[T]):
    """A descriptor holding a value per instance; setting it emits `<name>_changed` on change."""

    def __init__(self, default: T, setter: Callable[[Any, T], T] | None = None) -> None:
        self.default = default
        self.name = ""
        self._setter = setter  # optional normaliser (e.g. clamp) applied before comparing

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        return obj.__dict__.get(f"_prop_{self.name}", self.default)

    def __set__(self, obj: Any, value: T) -> None:
        if self._setter is not None:
            value = self._setter(obj, value)
        key = f"_prop_{self.name}"
        old = obj.__dict__.get(key, self.default)
        if _same(old, value):
            return
        obj.__dict__[key] = value
        getattr(obj, f"{self.name}_changed").emit(value)


def _same(a: Any, b: Any) -> bool:
    """Equality that never raises (numpy arrays, QImages) and treats identity as equal."""
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


class _ObservableMeta(type(QObject)):  # type: ignore[misc]
    """Adds one `Signal(object)` per `Property` before Qt builds the class's meta-object."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]):
        for key, value in list(attrs.items()):
            if isinstance(value, Property) and f"{key}_changed" not in attrs:
                attrs[f"{key}_changed"] = Signal(object)
        return super().__new__(mcs, name, bases, attrs)


class ObservableObject(QObject, metaclass=_ObservableMeta):
    """Base class of every view-model."""
