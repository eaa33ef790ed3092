"""Render MRZ text in OCR-B, with capture degradations, for training and evaluating readers.

Used by ``scripts/train_mrz_ocr.py`` (line strips for the cell classifier) and by
``scripts/bench_mrz_read.py`` / tests (whole synthetic MRZ images, rotated, tilted,
blurred and JPEG-compressed). Everything is driven by a :class:`numpy.random.Generator`
so a seed reproduces an image exactly.
"""

from __future__ import annotations

import functools
import io
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

#: The OCR-B font the MRZ is printed in (Debian package fonts-ocr-b).
OCRB_FONT = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"

# Render size: font size 64 px gives a cap height of ~46 px and a pitch of ~46 px.
_FONT_PX = 64


@functools.lru_cache(maxsize=16)
def _font(size: int, path: str = str(OCRB_FONT)) -> Any:
    from PIL import ImageFont

    if not Path(path).exists():
        from docfraud.errors import ModelError

        raise ModelError(f"font not found at {path} (OCR-B: install fonts-ocr-b)")
    return ImageFont.truetype(path, size)


def random_mrz_line(rng: np.random.Generator, length: int) -> str:
    """A random line that looks like MRZ text: runs of letters, digits and '<' fillers."""
    out: list[str] = []
    while len(out) < length:
        kind = rng.choice(3, p=[0.4, 0.35, 0.25])
        run = int(rng.integers(1, 12))
        if kind == 0:
            out.extend(rng.choice(list(_LETTERS), size=run))
        elif kind == 1:
            out.extend(rng.choice(list(_DIGITS), size=run))
        else:
            out.extend("<" * run)
        if rng.random() < 0.3:
            out.append(str(rng.choice(list(ALPHABET))))
    return "".join(out[:length])


def _background(rng: np.random.Generator, h: int, w: int) -> NDArray[np.float32]:
    """Paper-like grey background in [0, 1] with smooth shading and optional guilloche lines."""
    base = rng.uniform(0.6, 1.0)
    small = rng.normal(0.0, 1.0, size=(max(2, h // 40), max(2, w // 40))).astype(np.float32)
    import cv2

    smooth = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    bg = base + rng.uniform(0.0, 0.12) * smooth
    if rng.random() < 0.5:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        f1, f2 = rng.uniform(0.02, 0.25, size=2)
        ph = rng.uniform(0, 2 * math.pi)
        wave = np.sin(f1 * xx + 3.0 * np.sin(f2 * yy + ph) + rng.uniform(0, 6) * yy / h)
        bg -= rng.uniform(0.0, 0.25) * (wave > rng.uniform(0.6, 0.95)).astype(np.float32)
    if rng.random() < 0.3:  # glare: a bright soft blob
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        r = rng.uniform(0.2, 1.0) * max(h, w)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        dist2 = (yy - cy) ** 2 + (xx - cx) ** 2
        bg += rng.uniform(0.1, 0.5) * np.exp(-dist2 / (2 * (r / 2) ** 2))
    return np.asarray(np.clip(bg, 0.0, 1.2), dtype=np.float32)


def render_block(
    lines: Sequence[str],
    rng: np.random.Generator,
    *,
    font_px: int = _FONT_PX,
    tracking: float = 0.0,
    jitter: float = 0.0,
    line_gap: float | None = None,
    margin: tuple[float, float] = (1.0, 1.0),
    stroke: int = 0,
    font_path: str = str(OCRB_FONT),
) -> tuple[NDArray[np.float32], list[NDArray[np.float64]], float, float]:
    """Render MRZ lines as ink coverage at high resolution.

    Args:
        lines: the MRZ lines (A-Z, 0-9, '<').
        rng: random generator (per-character jitter).
        font_px: font size in pixels.
        tracking: relative change of the character pitch (0.02 = 2 % wider).
        jitter: per-character random offset, as a fraction of the pitch.
        line_gap: baseline-to-baseline distance in cap heights (default random 1.6-2.1).
        margin: (horizontal, vertical) margins in pitches / cap heights.
        stroke: PIL stroke width in pixels (bolder print).
        font_path: the font file (OCR-B by default; other monospaced fonts for variety).

    Returns:
        ink: (H, W) float32 in [0, 1], 1 = ink.
        centers: per line, (n, 2) float64 x, y centres of each character cell.
        pitch: character pitch in pixels.
        cap: cap height in pixels.
    """
    from PIL import Image, ImageDraw

    font = _font(font_px, font_path)
    pitch = font.getlength("A") * (1.0 + tracking)
    top_a = font.getbbox("A")
    cap = float(top_a[3] - top_a[1])
    gap = (line_gap if line_gap is not None else rng.uniform(1.6, 2.1)) * cap
    n = max(len(s) for s in lines)
    mx, my = margin[0] * pitch, margin[1] * cap
    w = math.ceil(2 * mx + n * pitch)
    h = math.ceil(2 * my + cap + gap * (len(lines) - 1))
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    centers: list[NDArray[np.float64]] = []
    for li, text in enumerate(lines):
        y_top = my + li * gap
        cs = np.zeros((len(text), 2))
        for i, ch in enumerate(text):
            dx, dy = (rng.normal(0.0, jitter, size=2) * pitch) if jitter > 0 else (0.0, 0.0)
            x = mx + i * pitch + dx
            draw.text(
                (x, y_top - top_a[1] + dy), ch, font=font, fill=255,
                stroke_width=stroke, stroke_fill=255,
            )
            cs[i] = (x + pitch / 2.0, y_top + cap / 2.0 + dy)
        centers.append(cs)
    ink = np.asarray(img, dtype=np.float32) / 255.0
    return ink, centers, pitch, cap


def degrade(
    gray: NDArray[np.float32],
    rng: np.random.Generator,
    *,
    blur: float | None = None,
    noise: float | None = None,
    jpeg: int | None = None,
) -> NDArray[np.uint8]:
    """Blur, noise and JPEG-compress a grey image in [0, 1]; returns (H, W) uint8."""
    import cv2

    sigma = rng.uniform(0.0, 1.3) if blur is None else blur
    out: NDArray[Any] = gray
    if sigma > 0.2:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), sigma))
    nz = rng.uniform(0.0, 0.06) if noise is None else noise
    if nz > 0:
        out = out + rng.normal(0.0, nz, size=out.shape).astype(np.float32)
    u8 = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
    q = int(rng.integers(25, 96)) if jpeg is None else jpeg
    if q < 100:
        ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, q])
        decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else None
        if decoded is not None:
            u8 = np.asarray(decoded, dtype=np.uint8)
    return np.asarray(u8, dtype=np.uint8)


def compose(
    ink: NDArray[np.float32], rng: np.random.Generator, *, bg: NDArray[np.float32] | None = None
) -> NDArray[np.float32]:
    """Print ink coverage onto a background: (H, W) float32 grey in [0, 1]."""
    h, w = ink.shape
    back = _background(rng, h, w) if bg is None else bg
    darkness = rng.uniform(0.55, 0.95)
    ink_level = np.clip(back - darkness, 0.0, None) if rng.random() < 0.5 else rng.uniform(0.0, 0.3)
    return np.asarray(back * (1.0 - ink) + ink_level * ink, dtype=np.float32)


def synthetic_mrz_image(
    lines: Sequence[str],
    *,
    seed: int,
    angle: float | None = None,
    width: int | None = None,
    blur: float | None = None,
    jpeg: int | None = None,
    perspective: float | None = None,
) -> NDArray[np.uint8]:
    """A synthetic photo/scan of an MRZ on a document: (H, W, 3) uint8 RGB.

    The MRZ block is drawn in the lower part of a card with clutter text above it,
    then rotated by ``angle`` degrees (any value), put through a mild perspective
    warp, resized to ``width`` pixels, blurred and JPEG-compressed.
    Unset parameters are drawn from ``seed``.
    """
    import cv2

    rng = np.random.default_rng(seed)
    font_px = 40
    ink, _, _pitch, cap = render_block(
        lines, rng, font_px=font_px, tracking=rng.uniform(-0.02, 0.03), jitter=0.01,
        margin=(1.2, 1.0), stroke=int(rng.integers(0, 2)),
    )
    mh, mw = ink.shape
    card_w = int(mw * rng.uniform(1.05, 1.2))
    card_h = int(card_w / rng.uniform(1.4, 1.6))
    card = np.zeros((card_h, card_w), np.float32)
    oy = card_h - mh - int(rng.uniform(0.0, 0.05) * card_h)
    ox = (card_w - mw) // 2
    card[oy:oy + mh, ox:ox + mw] = ink
    # clutter: visual-zone text lines and a dark portrait box
    from PIL import Image, ImageDraw

    pil = Image.fromarray((card * 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    small = _font(int(font_px * rng.uniform(0.6, 0.9)))
    x_text = int(card_w * 0.38)
    y = int(card_h * 0.08)
    while y < oy - 2 * cap:
        word = " ".join(
            random_mrz_line(rng, int(rng.integers(3, 12))).replace("<", "")
            for _ in range(int(rng.integers(1, 4)))
        )
        draw.text((x_text, y), word, font=small, fill=255)
        y += int(cap * rng.uniform(1.3, 2.2))
    draw.rectangle(
        (int(card_w * 0.05), int(card_h * 0.1), int(card_w * 0.32), int(oy - cap)), fill=180
    )
    card = np.asarray(pil, dtype=np.float32) / 255.0
    gray = compose(card, rng)
    # place the card on a larger background canvas
    pad = int(0.15 * card_w)
    canvas_bg = rng.uniform(0.05, 0.6)
    canvas = np.full((card_h + 2 * pad, card_w + 2 * pad), canvas_bg, np.float32)
    canvas += rng.normal(0, 0.03, size=canvas.shape).astype(np.float32)
    canvas[pad:pad + card_h, pad:pad + card_w] = gray
    h, w = canvas.shape
    # perspective then rotation about the centre, canvas grown to keep everything
    p = rng.uniform(0.0, 0.06) if perspective is None else perspective
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    dst = src + (rng.uniform(-p, p, size=(4, 2)) * np.array([w, h])).astype(np.float32)
    hmat = cv2.getPerspectiveTransform(src, dst)
    canvas = np.asarray(
        cv2.warpPerspective(canvas, hmat, (w, h), borderMode=cv2.BORDER_REPLICATE),
        dtype=np.float32,
    )
    a = rng.uniform(0, 360) if angle is None else angle
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), a, 1.0)
    cos, sin = abs(rot[0, 0]), abs(rot[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    rot[0, 2] += nw / 2 - w / 2
    rot[1, 2] += nh / 2 - h / 2
    canvas = np.asarray(
        cv2.warpAffine(canvas, rot, (nw, nh), flags=cv2.INTER_LINEAR,
                       borderValue=float(canvas_bg)),
        dtype=np.float32,
    )
    tw = int(rng.uniform(500, 1400)) if width is None else width
    scale = tw / canvas.shape[1]
    canvas = np.asarray(
        cv2.resize(canvas, (tw, max(8, int(canvas.shape[0] * scale))),
                   interpolation=cv2.INTER_AREA),
        dtype=np.float32,
    )
    u8 = degrade(canvas, rng, blur=blur, jpeg=jpeg, noise=rng.uniform(0.0, 0.03))
    return np.repeat(u8[:, :, None], 3, axis=2)


def encode_png(image: NDArray[np.uint8]) -> bytes:
    """PNG bytes of an (H, W, 3) RGB uint8 image."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()
