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
        "viz": (45.0, 12.0, 76.0, 55.0),
        "ghost_search": (80.0, 15.0, 44.0, 52.0),
    }),
    "MRVA": CardGeometry((120.0, 80.0), 6.0, 7.0, {
        "portrait": (4.0, 12.0, 36.0, 45.0),
        "viz": (42.0, 10.0, 74.0, 50.0),
    }),
    "TD2": CardGeometry((105.0, 74.0), 6.0, 6.7, {
        "portrait": (3.0, 10.0, 31.0, 39.0),
        "viz": (36.0, 9.0, 66.0, 45.0),
        "ghost_search": (68.0, 12.0, 36.0, 44.0),
    }),
    "MRVB": CardGeometry((105.0, 74.0), 6.0, 6.7, {
        "portrait": (3.0, 10.0, 31.0, 39.0),
        "viz": (36.0, 9.0, 66.0, 45.0),
    }),
    "FRA_ID": CardGeometry((85.6, 54.0), 3.0, 5.0, {}),
    # TD1: the MRZ is on the back; the portrait is on the front, often scanned above it
    "TD1": CardGeometry((85.6, 54.0), 4.7, 5.4, {
        "portrait": (1.5, -54.0 - _TD1_GAP + 8.0, 27.0, 35.0),
        "viz": (28.0, -54.0 - _TD1_GAP + 8.0, 55.0, 38.0),
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
    c, s = abs(math.cos(theta)), abs(math.sin(theta))
    text_mm = n_chars * PITCH_MM
    (n_lines - 1) * LINE_MM + CAP_MM
    # bbox of a rotated rectangle: w = L c + H s, h = L s + H c  ->  solve for L
    det = c * c - s * s
    scale = None
    if abs(det) > 0.25:
        length = (w * c - h * s) / det
        if length > 0:
            scale = length / text_mm
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
