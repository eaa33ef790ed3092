"""Synthetic images and files for the forensic detector tests (made in the test, seeded)."""

from __future__ import annotations

import io
import struct

import numpy as np
from numpy.typing import NDArray
from PIL import Image

_TYPES = {"ascii": 2, "short": 3, "long": 4}


def _ifd(entries: list[tuple[int, str, object]], base: int, next_ifd: int) -> tuple[bytes, bytes]:
    """Encode one little-endian TIFF IFD at offset ``base``; returns (ifd bytes, data bytes)."""
    entries = sorted(entries, key=lambda e: e[0])
    n = len(entries)
    data_start = base + 2 + 12 * n + 4
    body = struct.pack("<H", n)
    data = b""
    for tag, kind, value in entries:
        if kind == "ascii":
            raw = str(value).encode("ascii") + b"\x00"
            count = len(raw)
            if count <= 4:
                field = raw.ljust(4, b"\x00")
            else:
                field = struct.pack("<I", data_start + len(data))
                data += raw + (b"\x00" if len(raw) % 2 else b"")
        elif kind == "short":
            count, field = 1, struct.pack("<HH", int(value), 0)  # type: ignore[call-overload]
        else:
            count, field = 1, struct.pack("<I", int(value))  # type: ignore[call-overload]
        body += struct.pack("<HHI", tag, _TYPES[kind], count) + field
    body += struct.pack("<I", next_ifd)
    return body, data


def build_exif(
    *,
    software: str | None = None,
    make: str | None = None,
    modified: str | None = None,
    original: str | None = None,
    thumbnail: bytes | None = None,
) -> bytes:
    """Hand-made EXIF block (``Exif\\0\\0`` + TIFF) with IFD0, Exif IFD and IFD1 thumbnail."""
    ifd0: list[tuple[int, str, object]] = []
    if software:
        ifd0.append((0x0131, "ascii", software))
    if make:
        ifd0.append((0x010F, "ascii", make))
    if modified:
        ifd0.append((0x0132, "ascii", modified))
    exif_entries: list[tuple[int, str, object]] = []
    if original:
        exif_entries.append((0x9003, "ascii", original))
    # layout: header(8) | IFD0 | IFD0 data | ExifIFD | data | IFD1 | thumbnail
    def size(entries: list[tuple[int, str, object]]) -> int:
        return 2 + 12 * len(entries) + 4

    n0 = len(ifd0) + (1 if exif_entries else 0)
    ifd0_probe, ifd0_data_probe = _ifd(
        [*ifd0, *([(0x8769, "long", 0)] if exif_entries else [])], 8, 0)
    pos = 8 + len(ifd0_probe) + len(ifd0_data_probe)
    exif_off = pos
    if exif_entries:
        e_body, e_data = _ifd(exif_entries, exif_off, 0)
        pos += len(e_body) + len(e_data)
    ifd1_off = pos if thumbnail is not None else 0
    entries0 = [*ifd0, *([(0x8769, "long", exif_off)] if exif_entries else [])]
    assert len(entries0) == n0
    body0, data0 = _ifd(entries0, 8, ifd1_off)
    out = b"II*\x00" + struct.pack("<I", 8) + body0 + data0
    if exif_entries:
        e_body, e_data = _ifd(exif_entries, exif_off, 0)
        out += e_body + e_data
    if thumbnail is not None:
        assert len(out) == ifd1_off
        thumb_off = ifd1_off + size([(0, "", 0)] * 3)
        b1, d1 = _ifd([(0x0103, "short", 6), (0x0201, "long", thumb_off),
                       (0x0202, "long", len(thumbnail))], ifd1_off, 0)
        out += b1 + d1 + thumbnail
    return b"Exif\x00\x00" + out


def jpeg_bytes(pixels: NDArray[np.uint8], *, quality: int = 90, exif: bytes | None = None,
               subsampling: int = 0) -> bytes:
    buf = io.BytesIO()
    kwargs: dict[str, object] = {"quality": quality, "subsampling": subsampling}
    if exif is not None:
        kwargs["exif"] = exif
    Image.fromarray(pixels).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def png_bytes(pixels: NDArray[np.uint8]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def decode(data: bytes) -> NDArray[np.uint8]:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def natural_image(rng: np.random.Generator, h: int = 480, w: int = 640,
                  noise: float = 2.0) -> NDArray[np.uint8]:
    """Smooth random 'photo': blurred blobs + gradients + mild sensor noise, (h, w, 3) uint8."""
    import cv2

    base = rng.normal(0.0, 1.0, (h // 16 + 2, w // 16 + 2, 3)).astype(np.float32)
    big = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    detail = cv2.GaussianBlur(rng.normal(0, 1, (h, w, 3)).astype(np.float32), (0, 0), 2.0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    grad = (xx / w * 40 + yy / h * 25)[:, :, None]
    img = 120 + 35 * big + 25 * detail + grad + rng.normal(0, noise, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def document_image(rng: np.random.Generator, h: int = 600, w: int = 900) -> NDArray[np.uint8]:
    """Document-like image: pale background, guilloche-like wavy lines, text-ish marks, noise."""
    import cv2

    img = np.full((h, w, 3), (236, 232, 222), dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = rng.uniform(0, 6.28)
    waves = np.sin(xx / 9.0 + 6 * np.sin(yy / 37.0 + phase)) * np.sin(yy / 13.0)
    img -= (18 * (waves > 0.7))[:, :, None] * np.array([0.3, 1.0, 0.8], dtype=np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(14):
        x, y = int(rng.integers(40, w - 300)), int(rng.integers(40, h - 40))
        text = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789<"), 12))
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (30, 30, 40), 2,
                    cv2.LINE_AA)
    noisy = img.astype(np.float32) + rng.normal(0, 2.5, img.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def render_text(img: NDArray[np.uint8], text: str, x: float, y: float, *, scale: float = 1.0,
                oversample: int = 4) -> None:
    """Draw dark text at a sub-pixel position (x, y) = baseline start, in place.

    Rendered at ``oversample`` times the resolution and area-averaged down, as a camera
    or scanner samples print: two instances of the same word at different sub-pixel
    positions are similar but not pixel-identical.
    """
    import cv2

    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    pad = 4
    bw, bh = tw + 2 * pad, th + base + 2 * pad
    x0, y0 = int(np.floor(x)) - pad, int(np.floor(y)) - th - pad
    fx, fy = x - np.floor(x), y - np.floor(y)
    big = np.zeros((bh * oversample, bw * oversample), np.uint8)
    org = (round((pad + fx) * oversample), round((th + pad + fy) * oversample))
    cv2.putText(big, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale * oversample, 255,
                2 * oversample, cv2.LINE_AA)
    cover = cv2.resize(big, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    h, w = img.shape[:2]
    ys, xs = slice(max(0, y0), min(h, y0 + bh)), slice(max(0, x0), min(w, x0 + bw))
    c = cover[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0, None]
    region = img[ys, xs].astype(np.float32)
    img[ys, xs] = np.clip(region * (1 - c) + 25 * c, 0, 255).astype(np.uint8)


def repetitive_document(rng: np.random.Generator, h: int = 600, w: int = 900) -> NDArray[np.uint8]:
    """A genuine document full of legitimate repetition, as captured (noise added last).

    Guilloche bands (continuous periodic line pattern, sampled at non-integer period),
    two MRZ lines with long ``<<<<`` filler runs, the same words printed several
    times (country name, labels) at different sub-pixel positions.
    """
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.full((h, w, 3), 235.0, np.float32)
    phase = rng.uniform(0, 6.28)
    period = rng.uniform(7.0, 11.0)
    lines = np.abs(np.sin(xx / period + 5 * np.sin(yy / 23.3 + phase))) < 0.25
    rosette = np.abs(np.sin(np.hypot(xx - w / 2, yy - h / 3) / 4.3)) < 0.2
    band = ((yy // 120) % 2 == 0)
    img -= (40 * (lines & band) + 25 * (rosette & ~band))[:, :, None] * np.array(
        [0.4, 1.0, 0.7], np.float32)
    out = np.clip(img, 0, 255).astype(np.uint8)
    for k in range(3):
        render_text(out, "UTOPIA", 560 + rng.uniform(0, 1), 60 + 90 * k + rng.uniform(0, 1),
                    scale=1.1)
        render_text(out, "Surname / Nom", 40 + rng.uniform(0, 1), 60 + 90 * k + rng.uniform(0, 1),
                    scale=0.7)
    render_text(out, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<", 20 + rng.uniform(0, 1),
                h - 90 + rng.uniform(0, 1), scale=0.9)
    render_text(out, "L898902C36UTO7408122F1204159<<<<<<<<<<", 20 + rng.uniform(0, 1),
                h - 40 + rng.uniform(0, 1), scale=0.9)
    noisy = out.astype(np.float32) + rng.normal(0, 2.0, out.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


# --- forgeries (shared by the tests and scripts/eval_forensics_basic.py) ----------------

Box = tuple[int, int, int, int]


def random_box(rng: np.random.Generator, shape: tuple[int, int], *, frac: float = 0.25) -> Box:
    """(x, y, w, h) of a random rectangle about ``frac`` of each image side."""
    h, w = shape
    bh, bw = max(16, int(h * frac)), max(16, int(w * frac))
    return int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh)), bw, bh


def splice_aligned(rng: np.random.Generator, base: NDArray[np.uint8], *, forged: bool,
                   q1: int, q2: int) -> tuple[bytes, Box | None]:
    """JPEG q1 -> decode -> (paste never-compressed content) -> JPEG q2."""
    first = decode(jpeg_bytes(base, quality=q1))
    box = None
    if forged:
        other = natural_image(rng, *base.shape[:2]) if rng.random() < 0.5 else \
            document_image(rng, *base.shape[:2])
        x, y, bw, bh = box = random_box(rng, base.shape[:2])
        first = first.copy()
        first[y:y + bh, x:x + bw] = other[y:y + bh, x:x + bw]
    return jpeg_bytes(first, quality=q2), box


def splice_shifted_jpeg(rng: np.random.Generator, base: NDArray[np.uint8], *, forged: bool,
                        q1: int, q2: int, frac: float = 0.25,
                        shifts: tuple[int, int] = (1, 8)) -> tuple[bytes, Box | None]:
    """Never-compressed background; paste from a JPEG (quality q1) off the 8x8 grid; JPEG q2.

    The pasted content's grid is shifted by a random (dx, dy) in ``range(*shifts)``.
    """
    out = base.copy()
    box = None
    if forged:
        other = decode(jpeg_bytes(document_image(rng, *base.shape[:2]), quality=q1))
        dy, dx = int(rng.integers(*shifts)), int(rng.integers(*shifts))
        other = np.roll(other, (dy, dx), axis=(0, 1))
        x, y, bw, bh = box = random_box(rng, base.shape[:2], frac=frac)
        out[y:y + bh, x:x + bw] = other[y:y + bh, x:x + bw]
    return jpeg_bytes(out, quality=q2), box


def noise_splice(rng: np.random.Generator, base: NDArray[np.uint8], *, forged: bool,
                 q2: int) -> tuple[bytes, Box | None]:
    """A region with more noise (sigma 1.5-3) or smoothed (sigma 0.6-1.0); JPEG q2 or PNG."""
    import cv2

    out = base.astype(np.float32)
    box = None
    if forged:
        x, y, bw, bh = box = random_box(rng, base.shape[:2])
        patch = out[y:y + bh, x:x + bw]
        if rng.random() < 0.5:
            patch = patch + rng.normal(0, rng.uniform(1.5, 3.0), patch.shape)
        else:
            patch = cv2.GaussianBlur(patch, (0, 0), rng.uniform(0.6, 1.0))
        out[y:y + bh, x:x + bw] = patch
    pixels = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return (png_bytes(pixels) if q2 >= 100 else jpeg_bytes(pixels, quality=q2)), box


def copy_move(rng: np.random.Generator, base: NDArray[np.uint8], *, forged: bool,
              q2: int, frac: float = 0.2) -> tuple[bytes, Box | None]:
    """Copy a rectangle to a non-overlapping place in the same image; JPEG q2."""
    out = base.copy()
    box = None
    if forged:
        h, w = base.shape[:2]
        x0, y0, bw, bh = random_box(rng, (h, w), frac=frac)
        for _ in range(100):
            x1, y1 = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            if abs(x1 - x0) >= bw or abs(y1 - y0) >= bh:
                break
        out[y1:y1 + bh, x1:x1 + bw] = base[y0:y0 + bh, x0:x0 + bw]
        box = (x1, y1, bw, bh)
    return jpeg_bytes(out, quality=q2), box


def camera_file(rng: np.random.Generator, base: NDArray[np.uint8], *, forged: bool,
                q2: int) -> tuple[bytes, Box | None]:
    """A 'camera' JPEG with an EXIF thumbnail made at capture; forged: a region edited after."""
    import cv2

    h, w = base.shape[:2]
    thumb_size = (160, max(1, round(160 * h / w)))
    thumb = jpeg_bytes(cv2.resize(base, thumb_size, interpolation=cv2.INTER_AREA), quality=85)
    out = base.copy()
    box = None
    if forged:
        x, y, bw, bh = box = random_box(rng, (h, w), frac=0.2)
        other = natural_image(rng, h, w)  # a visible change (blank over blank is no edit)
        out[y:y + bh, x:x + bw] = other[y:y + bh, x:x + bw]
    exif = build_exif(make="ACME", modified="2024:03:01 10:00:00",
                      original="2024:03:01 10:00:00", thumbnail=thumb)
    return jpeg_bytes(out, quality=q2, exif=exif), box


def iou(a: Box | None, b: Box | None) -> float:
    if a is None or b is None:
        return 0.0
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


def heat_contrast(heatmap: NDArray[np.float32] | None, box: Box) -> float:
    """Mean heat inside the box minus mean heat outside."""
    if heatmap is None:
        return 0.0
    x, y, w, h = box
    inside = np.zeros(heatmap.shape, bool)
    inside[y:y + h, x:x + w] = True
    return float(heatmap[inside].mean() - heatmap[~inside].mean())
