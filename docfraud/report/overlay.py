"""Images for reports: the document downscaled, detector heatmaps as translucent overlays."""

from __future__ import annotations

import base64
import io

import numpy as np
from numpy.typing import NDArray


def encode_image(image: NDArray[np.uint8], fmt: str, **options: object) -> bytes:
    """``image`` (H, W), (H, W, 3) or (H, W, 4) uint8 encoded as ``fmt`` ("JPEG", "PNG")."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format=fmt, **options)
    return buf.getvalue()


def _encode(image: NDArray[np.uint8], fmt: str, **options: object) -> str:
    mime = "image/jpeg" if fmt == "JPEG" else "image/png"
    data = encode_image(image, fmt, **options)
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def fit_size(shape: tuple[int, int], max_side: int) -> tuple[int, int, float]:
    """(width, height, scale) of an image of ``shape`` (H, W) shrunk to ``max_side``."""
    h, w = shape
    scale = min(1.0, max_side / max(h, w))
    return max(1, round(w * scale)), max(1, round(h * scale)), scale


def shrink(pixels: NDArray[np.uint8], *, max_side: int) -> NDArray[np.uint8]:
    """``pixels`` (H, W, 3) uint8 with the longer side at most ``max_side`` (area average)."""
    import cv2

    w, h, scale = fit_size((pixels.shape[0], pixels.shape[1]), max_side)
    small = pixels if scale >= 1.0 else cv2.resize(pixels, (w, h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small)


def image_data_uri(pixels: NDArray[np.uint8], *, max_side: int = 1100) -> str:
    """The document as a JPEG data URI, longer side at most ``max_side``."""
    return _encode(shrink(pixels, max_side=max_side), "JPEG", quality=88)


def heatmap_rgba(heatmap: NDArray[np.float32], *, width: int, height: int
                 ) -> NDArray[np.uint8]:
    """A heatmap (H, W) in [0, 1] resized to (height, width, 4) uint8 RGBA: red-yellow,
    transparent where cold (under 0.25)."""
    import cv2

    hm = cv2.resize(np.asarray(heatmap, np.float32), (width, height),
                    interpolation=cv2.INTER_LINEAR)
    hm = np.clip(hm, 0.0, 1.0)
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = (255 * (1.0 - hm)).astype(np.uint8)
    rgba[..., 3] = (200 * np.clip((hm - 0.25) / 0.75, 0.0, 1.0)).astype(np.uint8)
    return rgba


def heatmap_data_uri(heatmap: NDArray[np.float32], *, width: int, height: int) -> str:
    """A heatmap in [0, 1] as a red-yellow RGBA PNG data URI, transparent where cold."""
    return _encode(heatmap_rgba(heatmap, width=width, height=height), "PNG")
