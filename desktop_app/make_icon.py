"""Draw Atelier's icon (a painter's palette with a brush) with Pillow; no third-party artwork.

Run `python -m desktop_app.make_icon` to regenerate resources/icons/atelier.{png,ico}.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


def draw_icon(size: int = 256) -> Image.Image:
    s = 4  # draw large, downscale for smooth edges
    n = size * s
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)

    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * n, y0 * n, x1 * n, y1 * n]

    shadow = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    ImageDraw.Draw(shadow).ellipse(box(0.08, 0.16, 0.92, 0.92), fill=(0, 0, 0, 90))
    img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(n * 0.02)))
    d.ellipse(box(0.06, 0.12, 0.90, 0.88), fill=(222, 184, 135, 255), outline=(150, 105, 60, 255),
              width=int(n * 0.012))
    d.ellipse(box(0.56, 0.56, 0.72, 0.72), fill=(0, 0, 0, 0))  # thumb hole
    d.ellipse(box(0.56, 0.56, 0.72, 0.72), outline=(150, 105, 60, 255), width=int(n * 0.01))
    paints = [((0.18, 0.30), (214, 48, 49)), ((0.34, 0.20), (253, 203, 110)), ((0.54, 0.20), (0, 148, 133)),
              ((0.68, 0.32), (9, 132, 227)), ((0.20, 0.52), (108, 92, 231)), ((0.30, 0.70), (45, 52, 54))]
    r = 0.075
    for (x, y), colour in paints:
        d.ellipse(box(x, y, x + 2 * r, y + 2 * r), fill=colour + (255,))
        d.ellipse(box(x + r * 0.4, y + r * 0.35, x + r * 0.9, y + r * 0.8), fill=(255, 255, 255, 90))
    brush = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    b = ImageDraw.Draw(brush)
    b.rounded_rectangle(box(0.47, 0.02, 0.55, 0.62), radius=n * 0.03, fill=(120, 72, 40, 255))
    b.rectangle(box(0.465, 0.58, 0.555, 0.70), fill=(190, 190, 198, 255))
    b.polygon([(0.465 * n, 0.70 * n), (0.555 * n, 0.70 * n), (0.535 * n, 0.86 * n), (0.51 * n, 0.93 * n),
               (0.485 * n, 0.86 * n)], fill=(30, 30, 30, 255))
    b.polygon([(0.49 * n, 0.86 * n), (0.53 * n, 0.86 * n), (0.51 * n, 0.93 * n)], fill=(214, 48, 49, 255))
    brush = brush.rotate(-35, resample=Image.Resampling.BICUBIC, center=(n * 0.5, n * 0.5))
    img.alpha_composite(brush)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    icon = draw_icon(512)
    icon.resize((256, 256), Image.Resampling.LANCZOS).save(ICON_DIR / "atelier.png")
    icon.save(ICON_DIR / "atelier.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128),
                                                (256, 256)])
    # No .icns in the repository: Pillow's writer stores every size up to 1024 px (0.6 MB);
    # PyInstaller converts the PNG to .icns itself when it builds the macOS bundle.


if __name__ == "__main__":
    main()
