"""Page and zones of a document, derived from where its MRZ is.

ICAO Doc 9303 fixes the size of each document format and where its MRZ sits (fixed
character pitch 2.54 mm, line spacing 4.23 mm, margins from the card edges). Once the
MRZ reader has found the MRZ (its centre, text direction and size in the image), the
card outline follows, and with it the nominal zones of the visual inspection side:
the portrait (zone V), the ghost image and the area of the printed data fields. The
detectors refine inside these zones; a document whose MRZ was not found gets no zones,
and zone-based detectors report ``not_applicable``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docfraud.forensics.base import Analysis

Box = tuple[int, int, int, int]

PITCH_MM = 2.54
LINE_MM = 4.23
CAP_MM = 2.35


@dataclass(frozen=True)
class CardGeometry:
    """Nominal geometry of one MRZ format, in millimetres from the card's top-left corner.

    ``zones`` are (x, y, w, h) rectangles; a negative ``y`` lies on the card printed
    above this one (a TD1 front scanned above its back).
    """

    size: tuple[float, float]
    mrz_left: float
    mrz_bottom: float
    zones: Mapping[str, tuple[float, float, float, float]]


_TD1_GAP = 6.0
GEOMETRY: dict[str, CardGeometry] = {
    "TD3": CardGeometry((125.0, 88.0), 6.0, 7.0, {
        "portrait": (4.0, 15.0, 39.0, 49.0),
        "viz": (41.5, 12.0, 79.5, 55.0),
        "ghost_search": (80.0, 15.0, 44.0, 52.0),
    }),
    "MRVA": CardGeometry((120.0, 80.0), 6.0, 7.0, {
        "portrait": (4.0, 12.0, 36.0, 45.0),
        "viz": (38.5, 10.0, 77.5, 50.0),
    }),
    "TD2": CardGeometry((105.0, 74.0), 6.0, 6.7, {
        "portrait": (3.0, 10.0, 31.0, 39.0),
        "viz": (32.5, 9.0, 69.5, 45.0),
        "ghost_search": (68.0, 12.0, 36.0, 44.0),
    }),
    "MRVB": CardGeometry((105.0, 74.0), 6.0, 6.7, {
        "portrait": (3.0, 10.0, 31.0, 39.0),
        "viz": (32.5, 9.0, 69.5, 45.0),
    }),
    "FRA_ID": CardGeometry((85.6, 54.0), 3.0, 5.0, {}),
    # TD1: the MRZ is on the back; the portrait is on the front, often scanned above it
    "TD1": CardGeometry((85.6, 54.0), 4.7, 5.4, {
        "portrait": (1.5, -54.0 - _TD1_GAP + 8.0, 27.0, 35.0),
        "viz": (23.0, -54.0 - _TD1_GAP + 6.0, 60.0, 40.0),
        "ghost_search": (56.0, -54.0 - _TD1_GAP + 18.0, 29.0, 30.0),
        "back_viz": (2.0, 2.0, 81.0, 26.0),
    }),
}


@dataclass(frozen=True)
class Placement:
    """Where a card lies in the image: a similarity transform from card millimetres.

    Attributes:
        origin: image point (x, y) of the card's top-left corner.
        angle: direction of the card's x axis (the text direction), radians, y down.
        scale: pixels per millimetre.
        fmt: the MRZ format the geometry belongs to.
    """

    origin: tuple[float, float]
    angle: float
    scale: float
    fmt: str

    def to_image(self, u: float, v: float) -> tuple[float, float]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return (self.origin[0] + self.scale * (u * c - v * s),
                self.origin[1] + self.scale * (u * s + v * c))

    def quad(self, rect: tuple[float, float, float, float]) -> list[tuple[float, float]]:
        x, y, w, h = rect
        return [self.to_image(x, y), self.to_image(x + w, y), self.to_image(x + w, y + h),
                self.to_image(x, y + h)]

    def box(self, rect: tuple[float, float, float, float], shape: tuple[int, int],
            *, min_inside: float = 0.5) -> Box | None:
        """Axis-aligned image box of a card rectangle, clipped to the image; None when less
        than ``min_inside`` of it lies in the image."""
        pts = self.quad(rect)
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        h, w = shape
        cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)
        if cx1 <= cx0 or cy1 <= cy0:
            return None
        inside = (cx1 - cx0) * (cy1 - cy0) / max((x1 - x0) * (y1 - y0), 1e-9)
        if inside < min_inside:
            return None
        return int(cx0), int(cy0), max(1, int(cx1 - cx0)), max(1, int(cy1 - cy0))


def rotated_extent(region: Any, angle_deg: float) -> tuple[float, float] | None:
    """(length, height) of a rectangle rotated by ``angle_deg`` from its bounding box
    ``region`` (x, y, w, h): solves w = L|cos| + H|sin|, h = L|sin| + H|cos|. None near
    45 degrees, where the bounding box does not determine them, or when inconsistent."""
    _, _, w, h = (float(v) for v in region)
    theta = math.radians(angle_deg)
    c, s = abs(math.cos(theta)), abs(math.sin(theta))
    det = c * c - s * s
    if abs(det) <= 0.25:
        return None
    length, height = (w * c - h * s) / det, (h * c - w * s) / det
    if length <= 0:
        return None
    return length, max(height, 0.0)


def place_card(mrz_extra: Mapping[str, Any], fmt: str, n_lines: int, n_chars: int
               ) -> Placement | None:
    """Card placement from the reader's MRZ facts (``region``, ``angle``, ``glyph_height``).

    ``region`` is the MRZ bounding box (x, y, w, h) in the image, ``angle`` the text
    direction in degrees (0 = left to right, 180 = upside down), ``glyph_height`` the
    character height in pixels. Returns None if the facts are missing.
    """
    geometry = GEOMETRY.get(fmt)
    region = mrz_extra.get("region")
    angle_deg = mrz_extra.get("angle")
    if geometry is None or region is None or angle_deg is None:
        return None
    x, y, w, h = (float(v) for v in region)
    theta = math.radians(float(angle_deg))
    text_mm = n_chars * PITCH_MM
    extent = rotated_extent(region, float(angle_deg))
    scale = extent[0] / text_mm if extent is not None else None
    if scale is None:
        glyph = mrz_extra.get("glyph_height")
        if not glyph:
            return None
        scale = float(glyph) / CAP_MM
    _card_w, card_h = geometry.size
    centre_u = geometry.mrz_left + text_mm / 2
    centre_v = card_h - geometry.mrz_bottom - (n_lines - 1) * LINE_MM / 2
    cx, cy = x + w / 2, y + h / 2
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    origin = (cx - scale * (centre_u * cos_t - centre_v * sin_t),
              cy - scale * (centre_u * sin_t + centre_v * cos_t))
    return Placement(origin, theta, scale, fmt)


def find_zones(analysis: Analysis) -> dict[str, Box]:
    """Zones of the analysed image: ``mrz``, ``card`` and the nominal ``portrait``,
    ``viz``, ``ghost_search`` (and ``back_viz`` on TD1) that lie inside the image.

    Empty when no MRZ was found.
    """
    mrz = analysis.mrz
    if mrz is None or not mrz.found or mrz.format is None:
        return {}
    zones: dict[str, Box] = {}
    region = mrz.extra.get("region")
    if region is not None:
        zones["mrz"] = tuple(int(v) for v in region)  # type: ignore[assignment]
    n_chars = len(mrz.lines[0]) if mrz.lines else 0
    placement = place_card(mrz.extra, mrz.format, len(mrz.lines), n_chars)
    if placement is None:
        return zones
    shape = analysis.shape
    geometry = GEOMETRY[mrz.format]
    card = placement.box((0.0, 0.0, *geometry.size), shape, min_inside=0.3)
    if card is not None:
        zones["card"] = card
    for name, rect in geometry.zones.items():
        b = placement.box(rect, shape)
        if b is not None and b[2] >= 8 and b[3] >= 8:
            zones[name] = b
    analysis.cached("placement", lambda: placement)
    return zones


#: a strip of card background (guilloche, no text) per format, for print-pattern measures
BACKGROUND_MM: dict[str, tuple[float, float, float, float]] = {
    "TD3": (46.0, 64.0, 74.0, 4.0), "MRVA": (44.0, 1.5, 70.0, 4.5),
    "TD2": (38.0, 1.5, 62.0, 4.5), "MRVB": (38.0, 1.5, 62.0, 4.5),
    "TD1": (30.0, 29.0, 52.0, 4.0), "FRA_ID": (30.0, 2.0, 50.0, 4.0),
}


def rectify_transform(
    analysis: Analysis, *, px_per_mm: float = 8.0
) -> tuple[Any, tuple[int, int], float, tuple[float, float, float, float]] | None:
    """The affine map from image pixels to the straightened card of :func:`rectify`.

    Returns:
        ((2, 3) float64 affine image -> page, (page width, page height), the card y (mm)
        of the page's top row (negative for a TD1 whose front lies above its back), the
        nominal MRZ rectangle (x, y, w, h) in card millimetres), or None when the card
        could not be placed.
    """
    import cv2
    import numpy as np

    placement = analysis._cache.get("placement")
    mrz = analysis.mrz
    if placement is None or mrz is None or mrz.format not in GEOMETRY or not mrz.lines:
        return None
    geometry = GEOMETRY[mrz.format]
    card_w, card_h = geometry.size
    top = min([0.0] + [r[1] for r in geometry.zones.values()])
    n_lines, n_chars = len(mrz.lines), len(mrz.lines[0])
    mrz_rect = (geometry.mrz_left - 1.0,
                card_h - geometry.mrz_bottom - (n_lines - 1) * LINE_MM - CAP_MM,
                n_chars * PITCH_MM + 2.0, (n_lines - 1) * LINE_MM + 2 * CAP_MM)
    out_w, out_h = round(card_w * px_per_mm), round((card_h - top) * px_per_mm)
    # page pixel (px, py) <- card mm (px / k, py / k + top) <- image
    src = np.array([placement.to_image(0.0, top), placement.to_image(card_w, top),
                    placement.to_image(0.0, card_h)], dtype=np.float32)
    dst = np.array([[0, 0], [out_w, 0], [0, out_h]], dtype=np.float32)
    return cv2.getAffineTransform(src, dst), (out_w, out_h), top, mrz_rect


def rectify(
    analysis: Analysis, *, px_per_mm: float = 8.0
) -> tuple[Any, dict[str, Box]] | None:
    """The card cut out of the image and straightened, with its nominal zones.

    Returns:
        ((h, w, 3) uint8 page at ``px_per_mm``, zone name -> (x, y, w, h) in page pixels:
        ``mrz`` (nominal MRZ zone), ``portrait``, ``background``), or None when the card
        could not be placed. For TD1 the page also covers the front card above the back.
    """
    import cv2

    transform = rectify_transform(analysis, px_per_mm=px_per_mm)
    if transform is None or analysis.mrz is None or analysis.mrz.format is None:
        return None
    m, (out_w, out_h), top, mrz_rect = transform
    fmt = analysis.mrz.format
    geometry = GEOMETRY[fmt]
    page = cv2.warpAffine(analysis.pixels, m, (out_w, out_h), flags=cv2.INTER_AREA,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))

    def to_page(rect: tuple[float, float, float, float]) -> Box:
        x, y, w, h = rect
        return (round(x * px_per_mm), round((y - top) * px_per_mm), round(w * px_per_mm),
                round(h * px_per_mm))

    zones = {"mrz": to_page(mrz_rect)}
    if "portrait" in geometry.zones:
        zones["portrait"] = to_page(geometry.zones["portrait"])
    if fmt in BACKGROUND_MM:
        zones["background"] = to_page(BACKGROUND_MM[fmt])
    return page, zones
