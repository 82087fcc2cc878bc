"""Every bad input of DESIGN.md section 5 gives a clear message; odd but valid inputs just work."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import ImageReadError, OutputError
from engine.imageio import load_image, save_image_atomic
from engine.paths import format_samples
from tests.conftest import photo


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        load_image(p)


def test_truncated_jpeg(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(photo(200, 150)).save(buf, "JPEG")
    p = tmp_path / "cut.jpg"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    with pytest.raises(ImageReadError, match="cut.jpg: .*(truncated|damaged|decoded)"):
        load_image(p)


def test_not_an_image(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("this is text, not a photo")
    with pytest.raises(ImageReadError, match="not an image"):
        load_image(p)


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="not found"):
        load_image(tmp_path / "nope.png")


def test_decompression_bomb_refused(tmp_path):
    p = tmp_path / "bomb.png"
    Image.new("L", (5000, 5000)).save(p)  # small file, 25 MP of pixels
    with pytest.raises(ImageReadError, match="decompression bomb"):
        load_image(p, max_pixels=10_000_000)


def test_cmyk_16bit_palette_gray_alpha(tmp_path):
    rgb = photo(64, 48)
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "cmyk.jpg")
    Image.fromarray((np.arange(64 * 48).reshape(48, 64) * 20).astype(np.uint16)).save(tmp_path / "g16.png")
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "pal.png")
    Image.fromarray(rgb).convert("L").save(tmp_path / "gray.jpg")
    rgba = Image.fromarray(rgb).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))))
    rgba.save(tmp_path / "alpha.png")
    for name in ("cmyk.jpg", "g16.png", "pal.png", "gray.jpg", "alpha.png"):
        img = load_image(tmp_path / name)
        assert img.rgb.shape == (48, 64, 3) and img.rgb.dtype == np.uint8, name
    g16 = load_image(tmp_path / "g16.png").rgb
    assert g16.max() > 200  # scaled from 16 bits, not clipped to black or white
    assert load_image(tmp_path / "alpha.png").alpha is not None
    assert load_image(tmp_path / "gray.jpg").alpha is None


def test_exif_rotation_applied(tmp_path):
    img = Image.fromarray(photo(80, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    img.save(tmp_path / "rot.jpg", exif=exif.tobytes())
    loaded = load_image(tmp_path / "rot.jpg")
    assert loaded.size == (40, 80)


def test_unicode_path(tmp_path):
    d = tmp_path / "фото 写真 é"
    d.mkdir()
    Image.fromarray(photo()).save(d / "ünïcødé.png")
    assert load_image(d / "ünïcødé.png").size == (96, 64)


def test_atomic_save_keeps_icc_and_exif(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0112] = 6
    icc = b"\x00" * 128  # an opaque blob is enough to check it is carried
    out = save_image_atomic(tmp_path / "o.jpg", photo(), None, icc, exif.tobytes())
    with Image.open(out) as im:
        assert im.info.get("icc_profile") == icc
        e = im.getexif()
        assert e.get(0x010F) == "TestCam" and e.get(0x0112) == 1  # orientation reset: pixels upright
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_output_folder(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            save_image_atomic(d / "o.png", photo())
    finally:
        d.chmod(0o700)


def test_output_folder_that_is_a_file(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        save_image_atomic(blocker / "o.png", photo())


def test_disk_full_reported_and_nothing_left(tmp_path, monkeypatch):
    import errno

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(Image.Image, "save", full)
    with pytest.raises(OutputError, match="disk is full"):
        save_image_atomic(tmp_path / "o.png", photo())
    assert list(tmp_path.iterdir()) == []


def test_pillows_own_limit_agrees_with_atelier_s():
    """Pillow refused anything above its 89.5 MP default as a bomb: a 108 MP phone photo, though
    Atelier's own limit is 200 MP. Importing the engine sets Pillow's to the same value."""
    from engine.imageio import MAX_PIXELS

    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS
    assert MAX_PIXELS >= 12_000 * 9_000  # the 108 MP photo of bench/large_photo.py


def test_a_photo_above_pillows_limit_but_within_ours_loads_without_a_warning(tmp_path, monkeypatch):
    """Small stand-in for 108 MP vs 89.5 MP: Pillow's limit set below the photo, Atelier's above it."""
    import warnings

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    p = tmp_path / "big.png"
    Image.new("RGB", (1500, 1000), (90, 120, 200)).save(p)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        img = load_image(p, max_pixels=2_000_000)
        from engine.imageio import peek_alpha

        peek_alpha(p)
    assert img.size == (1500, 1000)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    with pytest.raises(ImageReadError, match="1500x1000 is 2 megapixels, more than the 1 MP limit"):
        load_image(p, max_pixels=1_000_000)  # a real bomb for this limit is still refused


def test_a_header_claiming_400_megapixels_is_refused_before_decoding(tmp_path):
    """A real bomb: a tiny file whose header claims 20000 x 20000 pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    p = tmp_path / "bomb.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
                  + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    with pytest.raises(ImageReadError, match="bomb"):
        load_image(p)


@pytest.mark.parametrize("sample", format_samples(), ids=lambda p: p.suffix)
def test_phone_photos_heic_and_avif_are_read(sample):
    """HEIC is what iPhones save (read through pi-heif), AVIF what newer phones and the web do (Pillow):
    read, not refused as "not an image". The same 48x32 picture: red left half, blue right."""
    image = load_image(sample)
    assert image.rgb.shape == (32, 48, 3) and image.source_format in ("HEIF", "AVIF")
    assert np.abs(image.rgb[16, 4].astype(int) - (200, 40, 40)).max() <= 8  # lossy, within a few levels
    assert np.abs(image.rgb[16, 44].astype(int) - (40, 60, 200)).max() <= 8


def test_a_heic_photo_is_painted_into_a_jpeg(tmp_path):
    """Atelier reads HEIC and AVIF but does not write them: "same format" gives a JPEG beside it, not a
    huge PNG."""
    from engine.stylize import output_path_for

    assert output_path_for(Path("IMG_0001.HEIC"), tmp_path, "monet", "same", False).name == "IMG_0001_monet.jpg"
    assert output_path_for(Path("IMG_0001.heif"), tmp_path, "monet", "png", False).name == "IMG_0001_monet.png"
    assert output_path_for(Path("PXL_0001.avif"), tmp_path, "monet", "same", False).name == "PXL_0001_monet.jpg"


def test_an_avif_with_transparency_is_painted_into_a_png(tmp_path):
    """A JPEG would drop its alpha: the header says it has one, so the output is a PNG that keeps it."""
    from engine.imageio import peek_alpha
    from engine.stylize import output_path_for

    rgba = np.zeros((32, 48, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    rgba[:, :10, 3] = 0
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cut_out.avif")
    assert peek_alpha(tmp_path / "cut_out.avif") and load_image(tmp_path / "cut_out.avif").alpha is not None
    assert output_path_for(tmp_path / "cut_out.avif", tmp_path, "monet", "same", True).suffix == ".png"
    assert not peek_alpha(format_samples()[1])  # the opaque sample


def test_without_the_heic_decoder_a_heic_photo_says_what_is_missing(monkeypatch, no_heif_decoder):
    """A platform without pi-heif's wheel still reads every other format; a HEIC photo names the package."""
    import engine.imageio

    monkeypatch.setattr(engine.imageio, "HEIF_READABLE", False)
    with pytest.raises(ImageReadError, match="red_blue.heic: HEIC photos need the pi-heif package"):
        load_image(format_samples()[0])
