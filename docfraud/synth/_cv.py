"""Typed helpers around OpenCV's codec calls (OpenCV's stubs return Optional Mats)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import ImageError


def jpeg_roundtrip(image: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    """``image`` after JPEG compression at ``quality`` (same shape and channel order)."""
    import cv2

    ok, buf = cv2.imencode(
        ".jpg", np.ascontiguousarray(image), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:  # pragma: no cover - OpenCV failure
        raise ImageError("JPEG encoding failed")
    out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if out is None:  # pragma: no cover
        raise ImageError("JPEG decoding failed")
    return np.asarray(out, dtype=np.uint8).reshape(image.shape)


def decode_rgb(data: bytes) -> NDArray[np.uint8]:
    """Decode image file bytes to (H, W, 3) uint8 RGB."""
    import cv2

    buf = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if buf is None:  # pragma: no cover
        raise ImageError("could not decode the generated image")
    return np.asarray(cv2.cvtColor(buf, cv2.COLOR_BGR2RGB), dtype=np.uint8)
