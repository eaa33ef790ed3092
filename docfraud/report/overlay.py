"""Images for reports: the document downscaled, detector heatmaps as translucent overlays."""

from __future__ import annotations

import base64
import io

import numpy as np
from numpy.typing import NDArray


def _encode(image: NDArray[np.uint8], fmt: str, **options: object) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format=fmt, **options)
    mime = "image/jpeg" if fmt == "JPEG" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def fit_size(shape: tuple[int, int], max_side: int) -> tuple[int, int, float]:
    """(width, height, scale) of an image of ``shape`` (H, W) shrunk to ``max_side``."""
    h, w = shape
    scale = min(1.0, max_side / max(h, w))
    return max(1, round(w * scale)), max(1, round(h * scale)), scale


def image_data_uri(pixels: NDArray[np.uint8], *, max_side: int = 1100) -> str:
    """The document as a JPEG data URI, longer side at most ``max_side``."""
    import cv2

    w, h, scale = fit_size((pixels.shape[0], pixels.shape[1]), max_side)
    small = pixels if scale >= 1.0 else cv2.resize(pixels, (w, h), interpolation=cv2.INTER_AREA)
    return _encode(np.ascontiguousarray(small), "JPEG", quality=88)


def heatmap_data_uri(heatmap: NDArray[np.float32], *, width: int, height: int) -> str:
    """A heatmap in [0, 1] as a red-yellow RGBA PNG data URI, transparent where cold."""
    import cv2

    hm = cv2.resize(np.asarray(heatmap, np.float32), (width, height),
                    interpolation=cv2.INTER_LINEAR)
    hm = np.clip(hm, 0.0, 1.0)
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = (255 * (1.0 - hm)).astype(np.uint8)
    rgba[..., 3] = (200 * np.clip((hm - 0.25) / 0.75, 0.0, 1.0)).astype(np.uint8)
    return _encode(rgba, "PNG")
