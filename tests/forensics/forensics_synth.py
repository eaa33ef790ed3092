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
    org = (int(round((pad + fx) * oversample)), int(round((th + pad + fy) * oversample)))
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
