"""Contact sheet of styles on held-out photos: rows are photos, columns the input then each style.

Kept as a PNG so a person can look (DESIGN.md section 6): metrics say whether content is kept and the
palette/texture moved, the sheet says whether it looks like the painter. Each photo is stylized at
`--work-size` px on the long side (the scale at which brushwork is judged in the app), then shown in
~250 px cells, with the style names on top. A style file without a training recipe in its metadata
(e.g. a random-weight smoke style) is marked with `*` so it is never mistaken for a trained style.

A second sheet (`--detail-out`, default docs/styles_detail.png) shows 1:1 crops of the same renders
(a face, a sky, a wall): at 250 px cells brushwork is invisible, and brushwork is half of a style.

    python scripts/contact_sheet.py                       # built-in styles -> docs/styles.png (+ detail)
    python scripts/contact_sheet.py --styles-dir DIR --out sheet.png --detail-out ""
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench._common import BUILTIN_ORDER, BUILTIN_STYLES, PHOTOS, heldout_photos  # noqa: E402

# Varied held-out photos: a person in a suit (astronaut), two portraits, a building, a landscape, colour.
DEFAULT_PHOTOS = [
    "cq100_pd_astronaut.jpg",
    "kodak_kodim04.png",
    "kodak_kodim15.png",
    "kodak_kodim01.png",
    "kodak_kodim19.png",
    "cq100_ccbysa_chili_peppers.jpg",
]
SUFFIX = ".atelier-style"
# 1:1 crops for the detail sheet: photo, then the crop's centre as fractions of width and height.
DETAIL_CROPS = [
    ("kodak_kodim04.png", 0.5, 0.42),  # a face
    ("kodak_kodim19.png", 0.45, 0.3),  # a sky and a lighthouse
    ("kodak_kodim01.png", 0.3, 0.5),  # a wall with windows
]


def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """DejaVu Sans where the system has it (Pillow's built-in font lacks accents: 'Cézanne')."""
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1 ships a scalable default font
    except TypeError:
        return ImageFont.load_default()


def list_styles(styles_dir: Path) -> list[Path]:
    """Built-in order first (van_gogh, ukiyo_e, ...), then any other style files by name."""
    files = {p.name[: -len(SUFFIX)]: p for p in sorted(styles_dir.glob(f"*{SUFFIX}"))}
    order = [s for s in BUILTIN_ORDER if s in files] + sorted(s for s in files if s not in BUILTIN_ORDER)
    return [files[s] for s in order]


def fit_cell(img: Image.Image, cell: int, bg: str) -> Image.Image:
    img = img.copy()
    img.thumbnail((cell, cell), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (cell, cell), bg)
    canvas.paste(img, ((cell - img.width) // 2, (cell - img.height) // 2))
    return canvas


def render_all(photos: list[Path], styles: list[Path], work_size: int, device: str,
               brushwork: float = 1.0) -> dict[str, list[Image.Image]]:
    """photo name -> [input, each style] rendered at `work_size` on the long side (input resized the same)."""
    from engine.devices import resolve_device
    from engine.imageio import load_image
    from engine.messages import StylizeOptions
    from engine.models.host import ModelHost
    from engine.stylefile import read_meta
    from engine.stylize import _fit, stylize_loaded

    dev = resolve_device(device)
    host = ModelHost()
    metas = [read_meta(p) for p in styles]
    out: dict[str, list[Image.Image]] = {}
    for photo in photos:
        image = load_image(photo)
        tiles = [Image.fromarray(_fit(image.rgb, None, work_size)[0])]
        for path, meta in zip(styles, metas, strict=True):
            opts = StylizeOptions(max_size=work_size, strength=meta.strength, brushwork=brushwork)
            rgb, _, _ = stylize_loaded(host, path, host.get(path, dev), image, opts)
            tiles.append(Image.fromarray(np.asarray(rgb)))
        out[photo.name] = tiles
        print(f"  {photo.name}: {len(styles)} styles", flush=True)
    return out


def build_detail_sheet(renders: dict[str, list[Image.Image]], labels: list[str], crop: int) -> Image.Image:
    """Rows: DETAIL_CROPS present in `renders`; columns: input then each style, 1:1 pixels."""
    rows = [(n, fx, fy) for n, fx, fy in DETAIL_CROPS if n in renders]
    gap, margin, header, caption = 6, 12, 34, 20
    cols = len(labels)
    width = 2 * margin + cols * crop + (cols - 1) * gap
    height = margin + header + len(rows) * (crop + caption + gap) + 24
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    f_head, f_small = font(16), font(13)
    for c, label in enumerate(labels):
        draw.text((margin + c * (crop + gap) + crop / 2, margin + header / 2), label, font=f_head, fill="black",
                  anchor="mm")
    for r, (name, fx, fy) in enumerate(rows):
        y = margin + header + r * (crop + caption + gap)
        for c, img in enumerate(renders[name]):
            cx, cy = int(img.width * fx), int(img.height * fy)
            x0 = min(max(0, cx - crop // 2), max(0, img.width - crop))
            y0 = min(max(0, cy - crop // 2), max(0, img.height - crop))
            sheet.paste(img.crop((x0, y0, x0 + crop, y0 + crop)), (margin + c * (crop + gap), y))
        draw.text((margin, y + crop + 3), f"{name}: 1:1 crop of the same renders", font=f_small, fill="#444")
    return sheet


def style_labels(styles: list[Path]) -> list[str]:
    from engine.stylefile import read_meta

    labels = ["input"]
    for m in (read_meta(p) for p in styles):
        label = m.name + ("" if m.training else " *")
        labels.append(label + (f" @{m.strength:g}" if m.strength < 1.0 else ""))
    return labels


def build_sheet(photos: list[Path], styles: list[Path], cell: int, work_size: int, device: str,
                renders: dict[str, list[Image.Image]] | None = None) -> Image.Image:
    from engine.stylefile import read_meta

    renders = renders or render_all(photos, styles, work_size, device)
    metas = [read_meta(p) for p in styles]
    labels = style_labels(styles)
    gap, margin, header, caption, footer = 6, 12, 34, 20, 44
    cols, rows = 1 + len(styles), len(photos)
    width = 2 * margin + cols * cell + (cols - 1) * gap
    height = margin + header + rows * (cell + caption + gap) + footer
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    f_head, f_small = font(18), font(13)
    for c, label in enumerate(labels):
        x = margin + c * (cell + gap)
        while draw.textlength(label, font=f_head) > cell and len(label) > 4:
            label = label[:-2] + "…"
        draw.text((x + cell / 2, margin + header / 2), label, font=f_head, fill="black", anchor="mm")
    for r, photo in enumerate(photos):
        y = margin + header + r * (cell + caption + gap)
        for c, t in enumerate(renders[photo.name]):
            sheet.paste(fit_cell(t, cell, "#f0f0f0"), (margin + c * (cell + gap), y))
        draw.text((margin, y + cell + 3), photo.name, font=f_small, fill="#444")
    lines = [f"rendered at {work_size} px long side, shown in {cell} px cells by scripts/contact_sheet.py"]
    if any(not m.training for m in metas):
        lines.insert(0, "* no training recipe in the style file: NOT a trained style (layout check only)")
    for i, line in enumerate(lines):
        draw.text((margin, height - footer + 2 + 18 * i), line, font=f_small, fill="#a00" if line[0] == "*" else "#444")
    return sheet


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--styles-dir", type=Path, default=BUILTIN_STYLES)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "styles.png")
    ap.add_argument("--photos", default=",".join(DEFAULT_PHOTOS),
                    help="comma list of held-out photo names (in the shared photos folder)")
    ap.add_argument("--cell", type=int, default=250, help="cell size in px")
    ap.add_argument("--detail-out", default=str(REPO / "docs" / "styles_detail.png"),
                    help="1:1 crops sheet ('' = none)")
    ap.add_argument("--crop", type=int, default=220, help="detail crop side in px")
    ap.add_argument("--work-size", type=int, default=1024, help="long side at which photos are stylized")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--brushwork", type=float, default=0.0, help="0..1, as `atelier stylize --brushwork` (default 0)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    heldout = {p.name for p in heldout_photos()}
    photos = [PHOTOS / n for n in args.photos.split(",") if n]
    not_heldout = [p.name for p in photos if p.name not in heldout]
    if not_heldout:
        print(f"note: not in bench/heldout_photos.txt (may have been trained on): {', '.join(not_heldout)}")
    missing = [p.name for p in photos if not p.exists()]
    if missing:
        print(f"photos not found under {PHOTOS}: {', '.join(missing)}", file=sys.stderr)
        return 2
    styles = list_styles(args.styles_dir)
    if not styles:
        print(f"no {SUFFIX} files in {args.styles_dir}", file=sys.stderr)
        return 2
    absent = [s for s in BUILTIN_ORDER if not (args.styles_dir / f"{s}{SUFFIX}").exists()]
    if absent and args.styles_dir == BUILTIN_STYLES:
        print(f"built-in styles not present (left out of the sheet): {', '.join(absent)}")
    print(f"{len(photos)} photos x {len(styles)} styles from {args.styles_dir}")
    renders = render_all(photos, styles, args.work_size, args.device, args.brushwork)
    sheets = [(args.out, build_sheet(photos, styles, args.cell, args.work_size, args.device, renders))]
    if args.detail_out:
        sheets.append((Path(args.detail_out), build_detail_sheet(renders, style_labels(styles), args.crop)))
    for out, sheet in sheets:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.partial.png")
        sheet.save(tmp, optimize=True)
        os.replace(tmp, out)
        print(f"wrote {out} ({sheet.width}x{sheet.height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
