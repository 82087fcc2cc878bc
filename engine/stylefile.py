"""A style on disk: one shareable `.atelier-style` file (safetensors weights + metadata).

safetensors holds only tensors and a string->string metadata map, so loading a style can never run
code (no pickle anywhere). Metadata keys: `format` (atelier-style/1), `name`, `author`,
`architecture`, `arch_config` (JSON), `training` (JSON: the recipe), `strength`, `max_size`,
`description`, `brush` (JSON, optional: the style's strokes, engine.brushwork.Brush), `thumbnail`
(base64 PNG: the style's painting of the sample photo) and `artwork` (base64 PNG, optional: one of the
works it learned from, so the gallery can show the painter's own hand beside the style's). A file is
validated before use: header size, metadata, every tensor name, shape and dtype against the declared
architecture, and finite values.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import re
import struct
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import save as safetensors_save

from engine.atomicfile import write_bytes_atomic
from engine.brushwork import DEFAULT_BRUSH, Brush
from engine.errors import StyleFileError
from engine.models.generator import ARCHITECTURES, Generator, GeneratorConfig, known_layouts

FORMAT = "atelier-style/1"
SUFFIX = ".atelier-style"
MAX_FILE_BYTES = 64 * 2**20  # the largest real style is a few MB; anything far above is suspect
MAX_HEADER_BYTES = 4 * 2**20
MAX_THUMBNAIL_BYTES = 1 * 2**20
_NAME = re.compile(r"^[\w][\w .'()+-]{0,63}$", re.UNICODE)
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                              *(f"lpt{i}" for i in range(10))})


@dataclass(frozen=True)
class StyleMeta:
    name: str
    architecture: str
    author: str = ""
    description: str = ""
    strength: float = 1.0
    max_size: int | None = None
    training: dict[str, Any] = field(default_factory=dict)
    thumbnail_png: bytes = b""
    brush: Brush | None = None  # None: the file names no strokes and DEFAULT_BRUSH paints them
    artwork_png: bytes = b""  # one of the artworks it was trained on, small (the gallery shows it)

    @property
    def strokes(self) -> Brush:
        return self.brush if self.brush is not None else DEFAULT_BRUSH

    def slug(self) -> str:
        return slugify(self.name)


def slugify(name: str) -> str:
    """The style's file name and identity. NFKC + case folding first, so names that read the same
    (`Monet`, `ＭＯＮＥＴ`, `MONET`; `Straße`, `STRASSE`) are one style, never two files side by side."""
    folded = unicodedata.normalize("NFKC", name).strip().casefold()
    s = re.sub(r"[^\w]+", "_", folded, flags=re.UNICODE).strip("_")
    return s or "style"


def check_name_syntax(name: str) -> str:
    """The characters a style name may have (any style file, old or new)."""
    name = name.strip()
    if not _NAME.match(name):
        raise StyleFileError(
            f"style name {name!r} is not allowed: use 1-64 letters, digits, spaces or . ' ( ) + - _"
        )
    return name


def validate_name(name: str) -> str:
    """A name for a new or imported style: allowed characters, and a file name every system can
    store (`con.atelier-style` cannot exist on Windows: CON is a device there, whatever follows)."""
    name = check_name_syntax(name)
    if slugify(name) in WINDOWS_RESERVED:
        raise StyleFileError(f"style name {name!r} is reserved by Windows for a device; choose another name")
    return name


def encode_thumbnail(image: Image.Image, size: int = 256) -> bytes:
    img = image.convert("RGB")
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def decode_thumbnail(data: bytes) -> Image.Image | None:
    if not data:
        return None
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
        return img.convert("RGB")
    except Exception:
        return None


def save_style(path: Path, generator: Generator, meta: StyleMeta, half: bool = True) -> None:
    """Write atomically (temp name, then rename) so a crash never leaves half a style file."""
    check_name_syntax(meta.name)
    dtype = torch.float16 if half else torch.float32
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in generator.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "name": meta.name,
        "author": meta.author,
        "description": meta.description,
        "architecture": meta.architecture,
        "arch_config": json.dumps(generator.config.to_dict()),
        "training": json.dumps(meta.training),
        "strength": repr(float(meta.strength)),
        "max_size": "" if meta.max_size is None else str(int(meta.max_size)),
        "thumbnail": base64.b64encode(meta.thumbnail_png).decode("ascii"),
    }
    if meta.artwork_png:
        metadata["artwork"] = base64.b64encode(meta.artwork_png).decode("ascii")
    if meta.brush is not None:
        metadata["brush"] = json.dumps(meta.brush.to_dict())
    data = safetensors_save(tensors, metadata=metadata)
    path = Path(path)
    try:
        write_bytes_atomic(path, data)
    except OSError as exc:
        raise StyleFileError(f"could not write style file {path}: {exc.strerror or exc}") from exc


def _check_header(path: Path) -> None:
    """Reject files that are not safetensors before any parser sees them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise StyleFileError(f"style file {path} cannot be read: {exc.strerror or exc}") from exc
    if size < 16:
        raise StyleFileError(f"{path.name} is empty or truncated ({size} bytes): not a style file")
    if size > MAX_FILE_BYTES:
        raise StyleFileError(f"{path.name} is {size / 2**20:.0f} MB, far larger than any style; refused")
    with open(path, "rb") as f:
        head = f.read(9)
    (n,) = struct.unpack("<Q", head[:8])
    if n > MAX_HEADER_BYTES or n + 8 > size or head[8:9] != b"{":
        raise StyleFileError(f"{path.name} is not an Atelier style file (bad or truncated header)")


def paint_digests(path: Path) -> tuple[str, str]:
    """What in this style file changes its paintings, as 8 hex digits each: its weights, and its
    brushstrokes (which paint only where brushwork is asked for). Not its name, description or
    pictures: a style re-described must not make its earlier paintings look out of date
    (engine.paintlook). Reads the file (a few MB) once; a file saved again with the same weights has
    the same digest (`set_brush` keeps them bit for bit)."""
    path = Path(path)
    _check_header(path)
    weights = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = f.read(n)
            for chunk in iter(lambda: f.read(1 << 20), b""):
                weights.update(chunk)
        brush = (json.loads(header).get("__metadata__") or {}).get("brush", "")
    except (OSError, ValueError, AttributeError) as exc:
        raise StyleFileError(f"{path.name} is not a readable style file: {exc}") from exc
    strokes = hashlib.sha256(_canonical_brush(brush).encode("utf-8"))
    return weights.hexdigest()[:8], strokes.hexdigest()[:8]


def _canonical_brush(raw: object) -> str:
    """The brush metadata with its numbers as floats, in its own key order. A style written with whole
    numbers (`"length": 10`) reads back as floats and is written again as `10.0`; without this, saving
    a file again with the same strokes (new gallery card, new name) changed its strokes digest and made
    its earlier brushwork paintings look out of date. Files already written with floats keep their digest."""
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return str(raw)
    return json.dumps({k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in data.items()})


def read_meta(path: Path) -> StyleMeta:
    """Metadata only (fast: the gallery lists styles without loading weights)."""
    path = Path(path)
    _check_header(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = f.metadata() or {}
    except Exception as exc:
        raise StyleFileError(f"{path.name} is not a readable style file: {exc}") from exc
    return _parse_meta(raw, path.name)


def _parse_meta(raw: dict[str, str], label: str) -> StyleMeta:
    if raw.get("format") != FORMAT:
        raise StyleFileError(f"{label} is not an Atelier style (format {raw.get('format')!r})")
    try:
        arch = raw["architecture"]
        if arch not in ARCHITECTURES:
            raise StyleFileError(f"{label} uses unknown architecture {arch!r}; update Atelier")
        thumb = base64.b64decode(raw.get("thumbnail", ""), validate=True)
        artwork = base64.b64decode(raw.get("artwork", ""), validate=True)
        if len(thumb) > MAX_THUMBNAIL_BYTES or len(artwork) > MAX_THUMBNAIL_BYTES:
            raise StyleFileError(f"{label} has an oversized thumbnail; refused")
        strength = float(raw.get("strength", "1.0"))
        if not (0.0 <= strength <= 1.0 and math.isfinite(strength)):
            raise StyleFileError(f"{label} has an invalid recommended strength {strength}")
        max_size = int(raw["max_size"]) if raw.get("max_size") else None
        training = json.loads(raw.get("training") or "{}")
        if not isinstance(training, dict):
            raise StyleFileError(f"{label} has malformed training metadata")
        brush = _parse_brush(raw.get("brush"), label)
        return StyleMeta(
            name=check_name_syntax(raw["name"]),
            architecture=arch,
            author=raw.get("author", "")[:200],
            description=raw.get("description", "")[:2000],
            strength=strength,
            max_size=max_size,
            training=training,
            thumbnail_png=thumb,
            brush=brush,
            artwork_png=artwork,
        )
    except StyleFileError:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise StyleFileError(f"{label} has malformed metadata ({exc})") from exc


def _parse_brush(raw: str | None, label: str) -> Brush | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return Brush.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise StyleFileError(f"{label} has invalid brush settings ({exc})") from exc


def set_brush(path: Path, brush: Brush) -> StyleMeta:
    """Rewrite a style file with other brushstrokes: same weights (fp16 -> fp32 -> fp16 is exact),
    same metadata otherwise, written atomically like any save."""
    generator, meta = load_style(path)
    meta = replace(meta, brush=brush)
    save_style(path, generator, meta)
    return meta


def load_style(path: Path) -> tuple[Generator, StyleMeta]:
    """Load and validate a style file into a float32 CPU generator."""
    path = Path(path)
    meta = read_meta(path)
    with safe_open(str(path), framework="pt") as f:
        raw_cfg = (f.metadata() or {}).get("arch_config", "{}")
        try:
            fields = json.loads(raw_cfg)
            if not isinstance(fields, dict):
                raise ValueError(raw_cfg)
            # A field this version does not have comes from a newer layout (as `fill_holes` did for
            # layout 4, which the version before it called "malformed"): ask for an update, not a new file.
            newer = not set(fields) <= set(GeneratorConfig.__dataclass_fields__)
            config = None if newer else GeneratorConfig(**fields)
        except (TypeError, ValueError) as exc:
            raise StyleFileError(f"{path.name} has malformed architecture metadata") from exc
        # Only layouts this version knows (the current one and older ones) are built: a file cannot
        # ask for an arbitrary network size.
        if config is None or config not in known_layouts(meta.architecture):
            raise StyleFileError(f"{path.name}: its {meta.architecture} layout is not one this "
                                 "Atelier version knows; update Atelier")
        generator = Generator(config)
        expected = generator.state_dict()
        names = set(f.keys())
        if names != set(expected):
            missing = sorted(set(expected) - names)[:3]
            extra = sorted(names - set(expected))[:3]
            raise StyleFileError(f"{path.name} does not match its architecture "
                                 f"(missing {missing}, unexpected {extra})")
        state = {}
        for key in names:
            t = f.get_tensor(key)
            if t.shape != expected[key].shape:
                raise StyleFileError(f"{path.name}: tensor {key} has shape {tuple(t.shape)}, "
                                     f"expected {tuple(expected[key].shape)}")
            if t.dtype not in (torch.float16, torch.float32, torch.bfloat16):
                raise StyleFileError(f"{path.name}: tensor {key} has dtype {t.dtype}")
            t = t.float()
            if not torch.isfinite(t).all():
                raise StyleFileError(f"{path.name}: tensor {key} holds NaN or infinite values")
            state[key] = t
    generator.load_state_dict(state)
    generator.eval()
    return generator, meta
