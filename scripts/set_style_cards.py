"""Write each built-in style's gallery card into its style file: one line about the painter and one of
the works it learned from.

The gallery shows the painter's own work beside the style's painting of the user's photo, so choosing a
style is not guesswork (issue 15). The artworks are public-domain paintings from the training set in
../shared/data/styles/<slug>/ (sources in ../shared/data/SOURCES.md); a 256 px thumbnail of one is
stored. The weights are copied unchanged (fp16 -> fp32 -> fp16 is exact); only `description` and
`artwork` metadata change.

    python scripts/set_style_cards.py          # rewrites resources/styles/*.atelier-style
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from engine.stylefile import encode_thumbnail, load_style, save_style  # noqa: E402

ARTWORKS = REPO.parent / "shared" / "data" / "styles"
CARDS: dict[str, tuple[str, str]] = {  # slug: (artwork file, one line the card shows)
    "cezanne": ("cezanne_mont_sainte_victoire.jpg",
                "Paul Cézanne: colour laid in patches of parallel strokes; solid, calm forms."),
    "monet": ("monet_charing_cross_bridge.jpg",
              "Claude Monet: short dabs of broken colour; light and haze over soft edges."),
    "munch": ("munch_the_scream.jpg",
              "Edvard Munch: long flowing bands of strong colour (learned from one painting)."),
    "turner": ("turner_shipwreck_of_the_minotaur.jpg",
               "J. M. W. Turner: sweeping, luminous brushwork (learned from one painting)."),
    "ukiyo_e": ("hokusai_great_wave_off_kanagawa.jpg",
                "Japanese woodblock prints: flat areas of colour, clear outlines, few shades."),
    "van_gogh": ("van_gogh_the_starry_night_v2.jpg",
                 "Vincent van Gogh: thick strokes that follow the forms and swirl in skies."),
}


def main() -> int:
    for slug, (artwork, line) in CARDS.items():
        path = REPO / "resources" / "styles" / f"{slug}.atelier-style"
        generator, meta = load_style(path)
        before = {k: v.half() for k, v in generator.state_dict().items()}
        with Image.open(ARTWORKS / slug / artwork) as im:
            thumb = encode_thumbnail(im)
        save_style(path, generator, replace(meta, description=line, artwork_png=thumb))
        after, check = load_style(path)
        assert check.description == line and check.artwork_png == thumb
        assert all(torch.equal(before[k], v.half()) for k, v in after.state_dict().items())
        print(f"{slug}: {artwork} ({len(thumb) // 1024} KB), {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
