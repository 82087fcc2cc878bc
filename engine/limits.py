"""The allowed range of every numeric option, in one place.

The command line, the request types the GUI sends (`engine.messages`) and the GUI's own controls all
read these, so a value one of them accepts is never refused (or worse, half-used) by another. An
out-of-range value is refused before any work starts with one line that names the option: a tile
no larger than the tiles' overlap used to blend to a flat grey picture and exit 0, and a zero tile
ended in a traceback in the middle of a batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class OptionError(ValueError):
    """An option's value is outside its range (a ValueError, so the CLI reports it as a usage error)."""


@dataclass(frozen=True)
class Limit:
    """`low <= value <= high` (or `low < value` when `open_low`), optionally a whole multiple of `step`."""

    name: str  # as a person reads it in the GUI and in request errors: "tile size"
    flag: str  # as typed on the command line: "--tile" ("" where the CLI has no such option)
    low: float
    high: float
    unit: str = ""
    integer: bool = False
    open_low: bool = False
    step: int = 1

    def check(self, value: float, label: str | None = None) -> None:
        """Raise OptionError naming `label` (default: `name`) when `value` is not allowed."""
        label = label or self.name
        ok = isinstance(value, int | float) and math.isfinite(value)
        ok = ok and (self.low < value if self.open_low else self.low <= value) and value <= self.high
        if ok and self.integer:
            ok = float(value).is_integer() and int(value) % self.step == 0
        if not ok:
            if self.open_low:
                rule = f"above {self.low:g} and at most {self.high:g}{self.unit}"
            else:
                rule = f"between {self.low:g} and {self.high:g}{self.unit}"
            if self.step > 1:
                rule += f", a multiple of {self.step}"
            shown = f"{value:g}" if isinstance(value, int | float) else repr(value)
            raise OptionError(f"{label} must be {rule}, not {shown}")

    def check_flag(self, value: float | None) -> None:
        """The command-line check: the message names the flag the user typed."""
        if value is not None:
            self.check(value, self.flag or self.name)


# ------------------------------------------------------------------------------- stylizing
STRENGTH = Limit("strength", "--strength", 0, 1)
BRUSHWORK = Limit("brushwork", "--brushwork", 0, 1)
# Below 256 px a tile is mostly its own overlap and context (engine.tiling); above 8192 one pass
# needs more memory than any device Atelier runs on has. 256 is also where out-of-memory recovery stops.
TILE_SIZE = Limit("tile size", "--tile", 256, 8192, " pixels", integer=True)
MAX_SIZE = Limit("max size", "--max-size", 16, 65535, " pixels", integer=True)  # 65535: JPEG's largest side
PAINT_SIZE = Limit("paint size", "--paint-size", 64, 65535, " pixels", integer=True)
JPEG_QUALITY = Limit("JPEG quality", "", 1, 100, integer=True)

# ------------------------------------------------------------------------------- training
TRAIN_MINUTES = Limit("training time", "--minutes", 0, 7 * 24 * 60, " minutes", open_low=True)
TRAIN_STEPS = Limit("steps", "--steps", 1, 10_000_000, integer=True)
CONTENT_WEIGHT = Limit("content weight", "--content-weight", 0, 10)
SKIN_COLOUR_KEEP = Limit("skin colour keep", "--skin-colour-keep", 0, 1)
SKIN_COLOUR_HOLD = Limit("skin colour hold", "--skin-colour-hold", 0, 20)
# Crops pass through the generator, whose core works at 1/8 scale (hence multiples of 8); below 64 px
# there is nothing left for the texture statistics, above 1024 a crop is larger than the training photos.
TRAIN_CROP = Limit("crop", "--crop", 64, 1024, " pixels", integer=True, step=8)
TRAIN_SEED = Limit("seed", "--seed", 0, 2**32 - 1, integer=True)


def check_flags(checks: list[tuple[Limit, float | None]]) -> None:
    """Check command-line values (None: not given) in order; the first bad one is reported."""
    for limit, value in checks:
        limit.check_flag(value)
