"""The settings a painting was made with, as its mark records them (engine.provenance).

Why: a batch run again after the strength was changed used to report every photo "already done", and
the only way out (`--overwrite`) repainted everything. With the settings in each painting, a batch
tells a painting made the way it would paint now (done) from one made otherwise (engine.rerun asks
what to do with those).

Recorded: what changes the pixels a user sees, and only that: strength, preserve colours, brushwork,
the largest side (`max_size`), the size strokes are painted at (`paint_size`), and the style's own
content (engine.stylefile.paint_digests: its weights, and its brushstrokes where brushwork is
painted), so a retrained style counts as a change but a renamed or re-described one does not, and
turning brushwork on is told as that alone, not also as other strokes. Not recorded: the
output format (it changes the file's name, so the old file is never mistaken for the new one), JPEG
quality (how the file is encoded, not what is painted) and the tile size (tiles share normalization
statistics, so they paint the same picture).

Two forms, for two readers:
- `digest`, 8 hex digits of the canonical values: what batches compare. It does not depend on the
  words, so a later version may word them differently without making old paintings look changed.
- `words()`, ASCII for the EXIF Software tag, one `setting value` pair per setting, named as the
  command line names them: `strength 80 %, preserve-colors no, brushwork off, max-size full,
  paint-size 1600 px, style 1a2b3c4d` (and `strokes <digest>` with brushwork on). A person can
  read them (any EXIF viewer), and `changes` reads them back to say what differs ("strength 80 % ->
  100 %").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from engine.messages import StylizeOptions

# The settings recorded as digests of the style file, which mean nothing to a person: engine.rerun
# tells their change as what happened to the style.
STYLE, STROKES = "style", "strokes"


@dataclass(frozen=True)
class PaintLook:
    strength: float
    preserve_colors: bool
    brushwork: float
    max_size: int | None
    paint_size: int | None
    style: str  # the style file's weights (engine.stylefile.paint_digests)
    strokes: str | None = None  # its brushstrokes; None when no brushwork is painted (they do not show)

    @classmethod
    def of(cls, options: StylizeOptions, style_path: Path) -> PaintLook:
        """The look `options` paint with the style file at `style_path` (reads the file once)."""
        from engine.stylefile import paint_digests  # here: it brings torch, which `atelier --help` need not load

        weights, strokes = paint_digests(style_path)
        return cls(options.strength, options.preserve_colors, options.brushwork, options.max_size,
                   options.paint_size, weights, strokes if options.brushwork > 0 else None)

    @property
    def digest(self) -> str:
        canonical = json.dumps([round(self.strength, 4), self.preserve_colors, round(self.brushwork, 4),
                                self.max_size, self.paint_size, self.style, self.strokes])
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:8]

    def settings(self) -> dict[str, str]:
        """Each setting's value as a person reads it, keyed by its command-line name."""
        settings = {
            "strength": _percent(self.strength),
            "preserve-colors": "yes" if self.preserve_colors else "no",
            "brushwork": _percent(self.brushwork) if self.brushwork > 0 else "off",
            "max-size": f"{self.max_size} px" if self.max_size else "full",
            "paint-size": f"{self.paint_size} px" if self.paint_size else "full",
            STYLE: self.style,
        }
        if self.strokes is not None:
            settings[STROKES] = self.strokes
        return settings

    def words(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in self.settings().items())


def _percent(value: float) -> str:
    return f"{round(value * 100, 1):g} %"


def read_words(words: str) -> dict[str, str]:
    """`words()` read back into settings; what cannot be read is left out (an unknown setting from a
    later version, a damaged tag): a change is then not described, never described wrongly."""
    settings = {}
    for pair in words.split(", "):
        name, _, value = pair.partition(" ")
        if name and value:
            settings[name] = value
    return settings


def changes(was_words: str, now: PaintLook) -> list[tuple[str, str, str]]:
    """(setting, before, after) for each setting that differs between a painting's recorded words and
    `now`, in the order `settings()` lists them; empty when the earlier settings are unknown. A setting
    recorded on one side only (strokes, with brushwork turned on) is told by the one that differs."""
    was = read_words(was_words)
    return [(name, was[name], value) for name, value in now.settings().items()
            if name in was and was[name] != value]
