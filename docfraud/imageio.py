"""Safe image loading: every image enters docfraud through :func:`load_image`.

Decoding is done by Pillow with hard limits so that hostile files (decompression
bombs, truncated data, wrong types) fail fast with :class:`~docfraud.errors.ImageError`
instead of exhausting memory or raising library-specific exceptions.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import ImageError

logger = logging.getLogger(__name__)

#: Largest accepted image, in pixels (about 80 megapixels: a 600 dpi A4 scan is ~35 MP).
MAX_PIXELS = 80_000_000
#: Largest accepted file, in bytes.
MAX_FILE_BYTES = 200 * 1024 * 1024

ImageSource = str | os.PathLike[str] | bytes | NDArray[Any]


@dataclass(frozen=True)
class Document:
    """An image as it entered docfraud.

    Attributes:
        pixels: (H, W, 3) uint8 RGB, EXIF orientation applied.
        sha256: hex digest of the original bytes (or of the array for in-memory input).
        source: the path as given, or ``"<bytes>"`` / ``"<array>"``.
        format: container format as decoded (``"JPEG"``, ``"PNG"``, ...) or None.
        raw: the original file bytes, kept for detectors that read the container
            (JPEG quantisation tables, EXIF); None for array input.
        info: decoder facts (``exif`` bytes, ``icc_profile`` presence, bit depth, mode).
    """

    pixels: NDArray[np.uint8]
    sha256: str
    source: str
    format: str | None = None
    raw: bytes | None = field(default=None, repr=False)
    info: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])


def _read_bytes(path: Path) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageError(f"no such file: {path}") from None
    except OSError as exc:
        raise ImageError(f"cannot access {path}: {exc.strerror or exc}") from None
    if path.is_dir():
        raise ImageError(f"{path} is a directory, not an image file")
    if not stat.S_ISREG(st.st_mode):
        # a pipe, device or socket reports size 0 and may block a read for ever
        raise ImageError(f"{path} is not a regular file (a pipe, device or socket)")
    if st.st_size == 0:
        raise ImageError(f"{path} is empty (0 bytes)")
    if st.st_size > MAX_FILE_BYTES:
        raise ImageError(
            f"{path} is {st.st_size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror or exc}") from None


def to_rgb_uint8(array: NDArray[Any]) -> NDArray[np.uint8]:
    """Convert a grayscale, RGB or RGBA array of any integer or float dtype to (H, W, 3) uint8.

    Floats are taken to be in [0, 1]; 16-bit integers are scaled down; alpha is
    composited over white (the colour of paper).
    """
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4) or a.shape[0] < 1 or a.shape[1] < 1:
        raise ImageError(
            f"expected an image array of shape (H, W), (H, W, 3) or (H, W, 4); got {a.shape}"
        )
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif np.issubdtype(a.dtype, np.floating):
        if not np.all(np.isfinite(a)):
            raise ImageError("image array contains NaN or infinite values")
        a = np.clip(a * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif a.dtype == np.uint16 or (np.issubdtype(a.dtype, np.integer) and a.max(initial=0) > 255):
        a = np.clip(a.astype(np.int64) // 257, 0, 255).astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    channels = a.shape[2]
    if channels in (2, 4):
        alpha = a[:, :, -1:].astype(np.float32) / 255.0
        colour = a[:, :, :-1].astype(np.float32)
        a = (colour * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
        channels -= 1
    if channels == 1:
        a = np.repeat(a, 3, axis=2)
    return np.ascontiguousarray(a)


def decode_image(data: bytes, *, source: str = "<bytes>") -> Document:
    """Decode encoded image bytes into a :class:`Document`; see :func:`load_image`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageError(f"{source} is empty (0 bytes)")
    digest = hashlib.sha256(data).hexdigest()
    Image.MAX_IMAGE_PIXELS = None  # we enforce our own, stricter limit below
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img: Image.Image = Image.open(io.BytesIO(data))
            width, height = img.size
            if width < 1 or height < 1:
                raise ImageError(f"{source} has no pixels ({width}x{height})")
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"{source} is {width}x{height} = {width * height / 1e6:.0f} megapixels; "
                    f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels (possible decompression bomb)"
                )
            fmt = img.format
            info: dict[str, Any] = {
                "mode": img.mode,
                "exif": img.info.get("exif"),
                "icc_profile": img.info.get("icc_profile") is not None,
                "frames": getattr(img, "n_frames", 1),
            }
            img.load()
            img = ImageOps.exif_transpose(img) or img
            if img.mode in ("I;16", "I;16B", "I;16L") or (img.mode == "I" and fmt == "PNG"):
                # (a 16-bit grey PNG opens as mode I in older Pillow)
                info["bit_depth"] = 16
                pixels = to_rgb_uint8(np.clip(np.asarray(img), 0, 65535).astype(np.uint16))
            elif img.mode == "I":
                # 32-bit integers (TIFF): the container does not say the range; to_rgb_uint8
                # takes values up to 255 as 8-bit and scales larger ones down as 16-bit
                arr = np.clip(np.asarray(img).astype(np.int64), 0, 65535)
                info["bit_depth"] = 16 if arr.max(initial=0) > 255 else 8
                pixels = to_rgb_uint8(arr)
            else:
                if img.mode not in ("RGB", "RGBA", "L", "LA"):
                    img = img.convert("RGBA" if "A" in img.mode or "transparency" in img.info
                                      else "RGB")
                pixels = to_rgb_uint8(np.asarray(img))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(
            f"{source} is not an image in a supported format (JPEG, PNG, TIFF, BMP, WebP, ...)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{source} is corrupt or truncated: {exc}") from None
    except Image.DecompressionBombError as exc:  # pragma: no cover - limit disabled above
        raise ImageError(f"{source}: {exc}") from None
    except MemoryError:
        raise ImageError(f"{source} is too large to decode in memory") from None
    return Document(pixels=pixels, sha256=digest, source=source, format=fmt, raw=data, info=info)


def load_document(source: ImageSource) -> Document:
    """Load an image from a path, encoded bytes or an array into a :class:`Document`.

    Args:
        source: a file path, the bytes of an encoded image, or an array
            (H, W), (H, W, 3) or (H, W, 4) of any numeric dtype.

    Raises:
        ImageError: the file is missing, empty, too large, corrupt, truncated or not an image.
    """
    if isinstance(source, np.ndarray):
        pixels = to_rgb_uint8(source)
        if pixels.shape[0] * pixels.shape[1] > MAX_PIXELS:
            raise ImageError(f"array of shape {source.shape} exceeds {MAX_PIXELS} pixels")
        digest = hashlib.sha256(pixels.tobytes()).hexdigest()
        return Document(pixels=pixels, sha256=digest, source="<array>")
    if isinstance(source, bytes | bytearray | memoryview):
        return decode_image(bytes(source))
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return decode_image(_read_bytes(path), source=os.fspath(source))
    raise ImageError(
        f"expected a path, bytes or a numpy array; got {type(source).__name__}"
    )


#: an image whose long side exceeds this many pixels is analysed at :data:`WORKING_SIDE`
WORKING_MAX_SIDE = 2400
#: long side (pixels) of the working copy of a larger image: a 12-48 megapixel phone photo
#: is screened at about the resolution of the captures the detectors and the fusion were
#: fitted on (long side 1100-1800 px), in about the time of one
WORKING_SIDE = 2000


def working_copy(document: Document, *, max_side: int = WORKING_MAX_SIDE,
                 side: int = WORKING_SIDE) -> Document:
    """The document as it is analysed: itself, or, when its long side exceeds
    ``max_side`` pixels, a copy downscaled (area averaging) to a long side of ``side``.

    The copy keeps the file's bytes (``raw``: the JPEG detector reads the file's own 8x8
    grid at native resolution), digest, source and format; ``info["working_scale"]``
    (< 1) is its size over the original's and ``info["native_size"]`` the original
    (H, W). Coordinates measured on the copy divided by the scale are the original's.
    """
    from dataclasses import replace

    import cv2

    h, w = document.shape
    if max(h, w) <= max_side:
        return document
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    pixels = np.ascontiguousarray(
        cv2.resize(document.pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    info = {**document.info, "native_size": (h, w), "working_scale": size[0] / w}
    return replace(document, pixels=pixels, info=info)


def native_pixels(document: Document) -> NDArray[np.uint8]:
    """(H, W, 3) uint8 RGB at the file's own resolution: the pixels of ``document``, or
    for a :func:`working_copy`, its file decoded again."""
    if "working_scale" not in document.info or document.raw is None:
        return document.pixels
    return decode_image(document.raw, source=document.source).pixels


def load_image(source: ImageSource) -> NDArray[np.uint8]:
    """Load an image as (H, W, 3) uint8 RGB with EXIF orientation applied.

    See :func:`load_document` for the accepted inputs and errors.
    """
    return load_document(source).pixels
