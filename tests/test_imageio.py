from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docfraud.errors import ImageError
from docfraud.imageio import MAX_PIXELS, load_document, load_image, to_rgb_uint8


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buf, format="PNG")
    return buf.getvalue()


def test_rgb_png_round_trip(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    path = tmp_path / "a.png"
    path.write_bytes(_png(rgb))
    doc = load_document(path)
    assert doc.pixels.dtype == np.uint8 and doc.pixels.shape == (20, 30, 3)
    assert np.array_equal(doc.pixels, rgb)
    assert doc.format == "PNG" and len(doc.sha256) == 64 and doc.source == str(path)


def test_grayscale_alpha_16bit_and_1x1() -> None:
    gray = np.full((5, 6), 100, dtype=np.uint8)
    assert load_image(_png(gray)).shape == (5, 6, 3)
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 3] = 0  # fully transparent -> white paper
    assert (load_image(_png(rgba)) == 255).all()
    deep = np.full((3, 3), 65535, dtype=np.uint16)
    assert (load_image(_png(deep)) == 255).all()
    assert load_image(_png(np.zeros((1, 1, 3), np.uint8))).shape == (1, 1, 3)


def test_32_bit_integer_tiff_in_8_bit_range_is_not_blackened() -> None:
    """A mode-I TIFF (32-bit integers, as some scanning tools write) holding 0-255 values
    keeps its grey levels; it was divided by 257 as if it were 16-bit, i.e. made black."""
    grey = np.tile(np.arange(0, 256, 5, dtype=np.int32), (4, 1))
    buf = io.BytesIO()
    Image.fromarray(grey, mode="I").save(buf, "TIFF")
    pixels = load_image(buf.getvalue())
    assert np.array_equal(pixels[..., 0], grey.astype(np.uint8))
    deep = io.BytesIO()
    Image.fromarray(np.full((2, 2), 65535, dtype=np.int32), mode="I").save(deep, "TIFF")
    assert (load_image(deep.getvalue()) == 255).all()


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    assert load_image(buf.getvalue()).shape == (40, 20, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"this is a text file, not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "corrupt|not an image"),
    ],
)
def test_bad_bytes(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        load_document(data)


def test_truncated_jpeg(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (200, 200, 3), np.uint8)).save(
        buf, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageError, match="corrupt or truncated"):
        load_document(path)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    side = int(MAX_PIXELS**0.5) + 100
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, format="PNG")  # tiny file, huge image
    assert len(buf.getvalue()) < 2_000_000
    with pytest.raises(ImageError, match="decompression bomb"):
        load_document(buf.getvalue())


def test_missing_directory_and_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        load_document(tmp_path / "nope.jpg")
    with pytest.raises(ImageError, match="directory"):
        load_document(tmp_path)
    with pytest.raises(ImageError, match="expected a path"):
        load_document(3.5)  # type: ignore[arg-type]


def test_pipe_and_device_are_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO was read as 'is empty (0 bytes)' (and a read could block for ever)."""
    import os

    fifo = tmp_path / "scan.jpg"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(ImageError, match="not a regular file"):
            load_document(path)


def test_array_conversion() -> None:
    assert to_rgb_uint8(np.ones((2, 2), np.float32)).max() == 255
    with pytest.raises(ImageError):
        to_rgb_uint8(np.zeros((2, 2, 5)))
    with pytest.raises(ImageError):
        to_rgb_uint8(np.full((2, 2), np.nan))
