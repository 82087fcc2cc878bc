"""Write each built-in style's brushstrokes (engine.brushwork.Brush) into its style file.

The strokes are not learned (see engine/brushwork.py): they were chosen by eye, per painter, on
1:1 crops of held-out photos painted at 1024 px (docs/styles_detail.png). The weights are copied
unchanged (fp16 -> fp32 -> fp16 is exact); only the `brush` metadata changes.

    python scripts/set_style_brushes.py          # rewrites resources/styles/*.atelier-style
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from engine.brushwork import STROKE_PRESETS, Brush  # noqa: E402
from engine.stylefile import load_style, set_brush  # noqa: E402

BRUSHES: dict[str, Brush] = {  # the presets a new style's author picks from were named after these
    "van_gogh": STROKE_PRESETS["long"],  # long strokes that follow the forms and swirl in skies
    "monet": STROKE_PRESETS["dabs"],  # short dabs
    "cezanne": STROKE_PRESETS["hatching"],  # parallel hatching, up and to the right, in flat areas
    "munch": STROKE_PRESETS["flowing"],  # long flowing bands
    "ukiyo_e": STROKE_PRESETS["flat"],  # a print: flat areas of colour, barely any relief
    "turner": STROKE_PRESETS["flowing"],  # the storm's sweeping vortex, as Munch's bands
}


def main() -> int:
    for slug, brush in BRUSHES.items():
        path = REPO / "resources" / "styles" / f"{slug}.atelier-style"
        before = {k: v.half() for k, v in load_style(path)[0].state_dict().items()}
        set_brush(path, brush)
        after, check = load_style(path)
        assert check.brush == brush
        assert all(torch.equal(before[k], v.half()) for k, v in after.state_dict().items())
        print(f"{slug}: {brush}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
