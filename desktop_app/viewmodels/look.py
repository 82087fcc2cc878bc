"""The look: which style, how strong, how much brushwork, whose colours. One object for every tab.

Photo previews it, Save and Batch paint it, Live shows it (DESIGN.md section 7), so what the user
previews is what a batch paints. A job takes a frozen `Look` when it starts: changing the look
(another style clicked in the gallery) while a batch runs changes the next job, never the running one.
The look is remembered between runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import Signal

from desktop_app.viewmodels.properties import ObservableObject, Property
from engine.messages import StylizeOptions


class LookStore(Protocol):
    """Where the look is remembered (AppSettings; tests may pass a dict-backed stand-in)."""

    def text(self, key: str, default: str = "") -> str: ...
    def number(self, key: str, default: float) -> float: ...
    def flag(self, key: str, default: bool = False) -> bool: ...
    def set_value(self, key: str, value: object) -> None: ...


@dataclass(frozen=True)
class Look:
    style: str
    strength: float = 1.0
    brushwork: float = StylizeOptions.brushwork
    preserve_colors: bool = False

    def options(self, **extra: object) -> StylizeOptions:
        """Engine options painting this look (plus e.g. the output format)."""
        fields: dict[str, object] = {"strength": self.strength, "preserve_colors": self.preserve_colors,
                                     "brushwork": self.brushwork}
        return StylizeOptions(**(fields | extra))  # type: ignore[arg-type]

    def describe(self, style_name: str) -> str:
        """One line a person can check: "Monet · strength 80 % · brushwork off · own colours"."""
        parts = [style_name or self.style or "no style", f"strength {round(self.strength * 100)} %",
                 f"brushwork {round(self.brushwork * 100)} %" if self.brushwork > 0 else "brushwork off"]
        if self.preserve_colors:
            parts.append("the photo's own colours")
        return " · ".join(parts)


def _unit(_owner: object, value: object) -> float:
    return min(1.0, max(0.0, float(value)))  # type: ignore[arg-type]


KEYS = {"style": "look/style", "strength": "look/strength", "brushwork": "look/brushwork",
        "preserve_colors": "look/preserve_colors"}


class LookViewModel(ObservableObject):
    style = Property("")                 # slug of the chosen style ("" when none is installed)
    strength = Property(1.0, setter=_unit)
    brushwork = Property(StylizeOptions.brushwork, setter=_unit)
    preserve_colors = Property(False)
    changed = Signal(object)             # the new Look, after any of the four changed

    def __init__(self, store: LookStore | None = None) -> None:
        super().__init__()
        self._store = store
        if store is not None:
            self.style = store.text(KEYS["style"])
            self.strength = store.number(KEYS["strength"], 1.0)
            self.brushwork = store.number(KEYS["brushwork"], StylizeOptions.brushwork)
            self.preserve_colors = store.flag(KEYS["preserve_colors"])
        for name in KEYS:
            getattr(self, f"{name}_changed").connect(lambda value, n=name: self._on_change(n, value))

    def current(self) -> Look:
        return Look(self.style, self.strength, self.brushwork, self.preserve_colors)

    def _on_change(self, name: str, value: object) -> None:
        if self._store is not None:
            self._store.set_value(KEYS[name], value)
        self.changed.emit(self.current())
