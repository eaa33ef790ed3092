"""Draw a document page: security background, portrait, ghost image, visual zone, MRZ.

``render_document(design, identity, rng)`` returns the page (RGB uint8 at
:data:`~docfraud.synth.designs.PX_PER_MM`) and its layout: boxes of every zone
in page pixels, as ``[x, y, w, h]`` lists (JSON-ready).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from docfraud.synth.designs import LABELS, MONTHS, PX_PER_MM, Design, Slot
from docfraud.synth.fonts import font_for_cap_height, get_font
from docfraud.synth.identity import Identity
from docfraud.synth.portrait import render_portrait

logger = logging.getLogger(__name__)

Box = list[int]  # [x, y, w, h] in pixels
RGBImage = NDArray[np.uint8]

#: ICAO 9303 OCR-B size 1: 2.54 mm pitch (10 characters per inch), 4.23 mm line spacing.
MRZ_PITCH_MM = 2.54
MRZ_LINE_MM = 4.23
MRZ_CAP_MM = 2.35
#: Left edge of the first character and centre line of the last MRZ line from the card's
#: left and bottom edges (mm), per ICAO 9303 parts 4-6 nominal positions (tolerance ~1 mm).
MRZ_MARGINS_MM: dict[str, tuple[float, float]] = {
    "TD3": (6.0, 7.0),
    "TD2": (6.0, 6.7),
    "TD1": (4.7, 5.4),
}


@dataclass(frozen=True)
class PrintStyle:
    """How a page is printed. The default is the genuine issuer's printing.

    Counterfeiters print with substitute fonts, a re-drawn background
    (``background_variant`` > 0), a different MRZ pitch or size, and their
    printer's dot pattern (``dots_period_px`` > 0).
    """

    value_font: str = "sans_bold"
    label_font: str = "sans"
    title_font: str = "serif_bold"
    mrz_font: str = "ocrb"
    mrz_pitch_scale: float = 1.0
    mrz_size_scale: float = 1.0
    mrz_offset_mm: tuple[float, float] = (0.0, 0.0)
    background_variant: int = 0
    dots_period_px: float = 0.0
    dots_angle_deg: float = 15.0
    dots_strength: float = 0.0
    ink: tuple[int, int, int] | None = None
    registration_jitter_mm: float = 0.15

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


GENUINE_STYLE = PrintStyle()


def mm(value: float) -> int:
    return round(value * PX_PER_MM)


def box_mm(x: float, y: float, w: float, h: float) -> Box:
    return [mm(x), mm(y), mm(w), mm(h)]


# ----------------------------------------------------------------------------- background


def _hypotrochoid(R: float, r: float, d: float, n: int = 1400) -> NDArray[np.float64]:
    t = np.linspace(0, 2 * np.pi * r / np.gcd(int(R), int(r)), n)
    x = (R - r) * np.cos(t) + d * np.cos((R - r) / r * t)
    y = (R - r) * np.sin(t) - d * np.sin((R - r) / r * t)
    return np.stack([x, y], axis=1)


def _card_pattern(design: Design, side: int, variant: int) -> NDArray[np.uint8]:
    """Security background of one card side: gradient, guilloche, rosette, microprint, emblem."""
    import cv2

    rng = np.random.default_rng([design.pattern_seed, side, variant])
    pal = design.palette
    w, h = mm(design.card_mm[0]), mm(design.card_mm[1])
    forged = variant > 0

    def jitter(c: tuple[int, int, int]) -> tuple[int, int, int]:
        if not forged:
            return c
        r, g, b = (int(np.clip(v + rng.integers(-14, 15), 0, 255)) for v in c)
        return (r, g, b)

    bg1 = np.array(jitter(pal.bg1), np.float32)
    bg2 = np.array(jitter(pal.bg2), np.float32)
    ang = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = np.cos(ang) * xs / w + np.sin(ang) * ys / h
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    img = bg1 * (1 - t[..., None]) + bg2 * t[..., None]
    # soft radial glow behind the rosette
    rcx, rcy = w * rng.uniform(0.55, 0.8), h * rng.uniform(0.3, 0.6)
    dist = np.sqrt((xs - rcx) ** 2 + (ys - rcy) ** 2) / max(w, h)
    img += (np.exp(-((dist / 0.25) ** 2)) * 10)[..., None]
    canvas = np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))
    line1, line2 = jitter(pal.line1), jitter(pal.line2)
    lw = 2 if forged else 1
    aa = cv2.LINE_AA
    # wave guilloche bands
    xs1 = np.arange(-10, w + 10, 3 if not forged else 6, dtype=np.float64)
    for band in range(int(rng.integers(2, 4))):
        base = h * rng.uniform(0.1, 0.9)
        amp, amp2 = h * rng.uniform(0.04, 0.12), h * rng.uniform(0.01, 0.04)
        lam, lam2 = w * rng.uniform(0.2, 0.5), w * rng.uniform(0.05, 0.12)
        phase = rng.uniform(0, 2 * np.pi)
        n_lines = int(rng.integers(14, 26)) // (2 if forged else 1)
        colour = line1 if band % 2 == 0 else line2
        for k in range(n_lines):
            yv = (
                base
                + amp * np.sin(2 * np.pi * xs1 / lam + phase + k * 0.22)
                + amp2 * np.sin(2 * np.pi * xs1 / lam2 + k * 0.5)
                + k * 1.6
            )
            pts = np.stack([xs1, yv], axis=1).astype(np.int32)
            cv2.polylines(canvas, [pts], False, colour, lw, aa)
    # rosette
    R = int(rng.integers(60, 90))
    r = int(rng.integers(7, 23))
    scale = min(w, h) * rng.uniform(0.22, 0.34) / R
    for k in range(4 if not forged else 2):
        d = r * (0.6 + 0.25 * k)
        curve = _hypotrochoid(R, r, d) * scale * (1 - 0.12 * k) + (rcx, rcy)
        cv2.polylines(canvas, [curve.astype(np.int32)], True, line2 if k % 2 else line1, lw, aa)
    # emblem
    ex, ey, er = design.emblem
    ex, ey, er = mm(ex), mm(ey), mm(er)
    if side == 0 or design.format != "TD1":
        col = jitter(pal.accent)
        cv2.circle(canvas, (ex, ey), er, col, lw + 1, aa)
        cv2.circle(canvas, (ex, ey), int(er * 0.8), col, lw, aa)
        star = [
            (
                ex + er * 0.7 * np.cos(np.pi / 2 + i * 4 * np.pi / 5),
                ey - er * 0.7 * np.sin(np.pi / 2 + i * 4 * np.pi / 5),
            )
            for i in range(5)
        ]
        cv2.polylines(canvas, [np.array(star, np.int32)], True, col, lw, aa)
        for i in range(24):
            a = i * np.pi / 12
            cv2.line(
                canvas,
                (int(ex + er * 1.05 * np.cos(a)), int(ey + er * 1.05 * np.sin(a))),
                (int(ex + er * 1.3 * np.cos(a)), int(ey + er * 1.3 * np.sin(a))),
                col,
                1,
                aa,
            )
    pil = Image.fromarray(canvas)
    draw = ImageDraw.Draw(pil)
    # microprint bands: text 0.45 mm high that a copier or a consumer printer cannot hold
    word = design.state[0].replace(" ", "") + "•"
    micro_y = [mm(design.card_mm[1] * f) for f in (0.135, 0.93 if design.format != "TD3" else 0.7)]
    for y in micro_y:
        if forged:  # a forger's printer blurs microprint into a dotted rule
            for x in range(0, w, 6):
                draw.rectangle([x, y + 1, x + 3, y + 3], fill=line1)
        else:
            font = font_for_cap_height("sans", 0.45 * PX_PER_MM)
            draw.text(
                (0, y), word * (w // max(int(font.getlength(word)), 1) + 2), font=font, fill=line1
            )
    return np.asarray(pil, dtype=np.uint8)


@lru_cache(maxsize=64)
def _page_background_cached(design: Design, variant: int) -> tuple[RGBImage, NDArray[np.bool_]]:
    import cv2

    pw, ph = mm(design.page_mm[0]), mm(design.page_mm[1])
    page = np.full((ph, pw, 3), 255, np.uint8)
    alpha = np.zeros((ph, pw), np.uint8)
    cw, ch = mm(design.card_mm[0]), mm(design.card_mm[1])
    radius = mm(3.18) if design.format != "TD3" else mm(0.8)
    for side in range(2 if design.two_sided else 1):
        oy = mm(design.side_offset_mm(side))
        page[oy : oy + ch, :cw] = _card_pattern(design, side, variant)
        card = np.zeros((ch, cw), np.uint8)
        cv2.rectangle(card, (radius, 0), (cw - 1 - radius, ch - 1), 255, -1)
        cv2.rectangle(card, (0, radius), (cw - 1, ch - 1 - radius), 255, -1)
        for cx, cy in (
            (radius, radius),
            (cw - 1 - radius, radius),
            (radius, ch - 1 - radius),
            (cw - 1 - radius, ch - 1 - radius),
        ):
            cv2.circle(card, (cx, cy), radius, 255, -1)
        alpha[oy : oy + ch, :cw] = card
    bg = page.copy()
    bg[alpha == 0] = 255
    bg.setflags(write=False)
    mask = alpha > 0
    mask.setflags(write=False)
    return bg, mask


def page_background(design: Design, *, variant: int = 0) -> tuple[RGBImage, NDArray[np.bool_]]:
    """The blank (unpersonalised) page of ``design`` and its card mask (cached, read-only).

    Returns:
        (H, W, 3) uint8 RGB page; (H, W) bool, True on the card(s), False outside them.
    """
    return _page_background_cached(design, int(variant))


# ----------------------------------------------------------------------------- text


def format_date(day: dt.date, design: Design) -> str:
    """Date as the design prints it: ``12 MAR/MARS 1985`` or ``12.03.1985``."""
    if design.date_style == "dot":
        return day.strftime("%d.%m.%Y")
    en = MONTHS["en"][day.month - 1]
    other = MONTHS[design.lang][day.month - 1]
    month = en if en == other else f"{en}/{other}"
    return f"{day.day:02d} {month} {day.year}"


def viz_values(design: Design, identity: Identity) -> dict[str, str]:
    """Text of every visual-zone field of ``design`` for ``identity`` (signature excluded)."""
    values = {
        "type": identity.document_code,
        "code": identity.issuing_state,
        "number": identity.document_number,
        "passport_number": identity.document_number,
        "surname": identity.surname.upper(),
        "given_names": identity.given_names.upper(),
        "nationality": identity.nationality,
        "birth_date": format_date(identity.birth_date, design),
        "sex": identity.sex,
        "place_of_birth": identity.place_of_birth.upper(),
        "issue_date": format_date(identity.issue_date, design),
        "authority": identity.authority.upper(),
        "expiry_date": format_date(identity.expiry_date, design),
        "personal_number": identity.personal_number,
    }
    return {s.key: values[s.key] for s in design.slots if s.key in values}


def label_text(key: str, design: Design) -> str:
    en = LABELS[key]["en"]
    other = LABELS[key][design.lang]
    return en if en == other else f"{en} / {other}"


def slot_boxes(design: Design, slot: Slot) -> tuple[Box, Box]:
    """(label box, value box) of ``slot`` in page pixels."""
    oy = design.side_offset_mm(slot.side)
    lab_h = design.label_cap_mm * 1.45
    val_h = design.value_cap_mm * 1.55
    label = box_mm(slot.x, slot.y + oy, slot.w, lab_h)
    value = box_mm(slot.x, slot.y + oy + lab_h + 0.25, slot.w, val_h)
    return label, value


def fit_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: Box,
    *,
    font_name: str,
    cap_px: float,
    fill: tuple[int, int, int],
    dx: float = 0.0,
    dy: float = 0.0,
    origin: tuple[int, int] = (0, 0),
) -> dict[str, Any]:
    """Draw ``text`` left-aligned in ``box`` with capitals ``cap_px`` tall, shrinking the
    font (to 55 %) and then truncating so that it never leaves the box. ``origin``: page
    position of the drawing surface's top-left corner (when drawing on a crop).

    Returns the drawn field record: text as printed, font, size, origin (baseline start) and
    ink bounding box [x, y, w, h].
    """
    x, y, w, h = box
    font = font_for_cap_height(font_name, cap_px)
    size = int(font.size)
    width = font.getlength(text)
    if width > w:
        size = max(int(size * w / width), int(size * 0.55))
        font = get_font(font_name, size)
        while text and font.getlength(text) > w:
            text = text[:-1]
        text = text.rstrip()
    base_x = x + dx
    base_y = y + cap_px + dy + max(0.0, (h - cap_px * 1.45) / 2)
    ink: Box = [int(x), int(y), 0, 0]
    if text:
        ox, oy = origin
        draw.text((base_x - ox, base_y - oy), text, font=font, fill=fill, anchor="ls")
        left, top, right, bottom = draw.textbbox(
            (base_x - ox, base_y - oy), text, font=font, anchor="ls"
        )
        ink = [int(left + ox), int(top + oy), int(right - left), int(bottom - top)]
    return {
        "text": text,
        "font": font_name,
        "size": size,
        "origin": [round(base_x, 2), round(base_y, 2)],
        "ink": ink,
    }


def char_boxes(field: dict[str, Any]) -> list[Box]:
    """Pixel cell of each character of a drawn field (from the font's advance widths)."""
    font = get_font(field["font"], field["size"])
    text: str = field["text"]
    x0, base = field["origin"]
    ascent, descent = font.getmetrics()
    boxes = []
    for i in range(len(text)):
        a = x0 + font.getlength(text[:i])
        b = x0 + font.getlength(text[: i + 1])
        boxes.append(
            [
                int(np.floor(a)),
                int(base - ascent * 0.8),
                int(np.ceil(b - a)),
                int(ascent * 0.8 + descent * 0.6),
            ]
        )
    return boxes


# ----------------------------------------------------------------------------- MRZ


def mrz_geometry(
    design: Design, n_lines: int, *, style: PrintStyle = GENUINE_STYLE
) -> dict[str, Any]:
    """Pixel geometry of the MRZ: first cell x, pitch, centre line of each line, cap height."""
    left_mm, bottom_mm = MRZ_MARGINS_MM[design.format]
    side = 1 if design.two_sided else 0
    card_bottom = design.side_offset_mm(side) + design.card_mm[1]
    pitch = MRZ_PITCH_MM * style.mrz_pitch_scale * PX_PER_MM
    centres = [
        (card_bottom - bottom_mm - (n_lines - 1 - i) * MRZ_LINE_MM + style.mrz_offset_mm[1])
        * PX_PER_MM
        for i in range(n_lines)
    ]
    return {
        "x0": (left_mm + style.mrz_offset_mm[0]) * PX_PER_MM,
        "pitch": pitch,
        "centres": centres,
        "cap": MRZ_CAP_MM * style.mrz_size_scale * PX_PER_MM,
        "font": style.mrz_font,
    }


def mrz_cell(geom: dict[str, Any], line: int, index: int) -> Box:
    """Pixel box of MRZ character ``index`` on ``line`` (one pitch wide, 1.5 caps tall)."""
    x = geom["x0"] + index * geom["pitch"]
    cy = geom["centres"][line]
    half = geom["cap"] * 0.75
    return [
        int(np.floor(x)),
        int(np.floor(cy - half)),
        int(np.ceil(geom["pitch"])),
        int(np.ceil(2 * half)),
    ]


def draw_mrz_chars(
    draw: ImageDraw.ImageDraw,
    geom: dict[str, Any],
    lines: list[str],
    *,
    fill: tuple[int, int, int],
    only: set[tuple[int, int]] | None = None,
    origin: tuple[int, int] = (0, 0),
) -> None:
    """Print MRZ characters at fixed pitch, each centred in its cell (``only``: those cells)."""
    font = font_for_cap_height(geom["font"], geom["cap"])
    for li, text in enumerate(lines):
        base = geom["centres"][li] + geom["cap"] / 2
        for i, ch in enumerate(text):
            if only is not None and (li, i) not in only:
                continue
            if ch == " ":
                continue
            cx = geom["x0"] + (i + 0.5) * geom["pitch"]
            draw.text((cx - origin[0], base - origin[1]), ch, font=font, fill=fill, anchor="ms")


def mrz_box(geom: dict[str, Any], lines: list[str]) -> Box:
    n = max(len(s) for s in lines)
    first = mrz_cell(geom, 0, 0)
    last = mrz_cell(geom, len(lines) - 1, n - 1)
    return [first[0], first[1], last[0] + last[2] - first[0], last[1] + last[3] - first[1]]


# ----------------------------------------------------------------------------- document


def _signature(
    draw: ImageDraw.ImageDraw, box: Box, rng: np.random.Generator, fill: tuple[int, int, int]
) -> None:
    x, y, w, h = box
    n = int(rng.integers(3, 6))
    t = np.linspace(0, 1, 120)
    xs = x + w * (0.05 + 0.6 * rng.uniform(0.7, 1.0) * t)
    ys = y + h * (
        0.5
        + 0.3 * np.sin(2 * np.pi * n * t + rng.uniform(0, 6)) * np.sin(np.pi * t)
        + 0.1 * np.sin(2 * np.pi * 1.7 * t)
    )
    draw.line(
        list(zip(xs.tolist(), ys.tolist(), strict=True)),
        fill=fill,
        width=max(2, int(PX_PER_MM * 0.22)),
        joint="curve",
    )


def age_on(identity: Identity) -> int:
    return max(0, (identity.issue_date - identity.birth_date).days // 365)


def portrait_image(
    identity: Identity,
    design: Design,
    size: tuple[int, int],
    *,
    face_seed: int | None = None,
    person: tuple[str, int] | None = None,
) -> RGBImage:
    """The holder's photo as the issuer prints it (greyscale on laser-engraved designs).

    Args:
        identity: the document's holder.
        design: the document design (greyscale or colour photo).
        size: (width, height) of the photo in pixels.
        face_seed: face to draw; default the holder's own.
        person: (sex, age in years) of the person photographed; default the holder's
            sex and age at issue. A photo that exists apart from the document (a
            workshop's reused one) passes its own (:func:`~docfraud.synth.portrait.face_person`).

    Returns:
        (height, width, 3) uint8 RGB.
    """
    sex, age = (identity.sex, age_on(identity)) if person is None else person
    img = render_portrait(identity.face_seed if face_seed is None else face_seed, sex, age, size)
    if design.grey_portrait:
        grey = img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        img = np.repeat(np.clip(grey * 0.92 + 10, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    return img


def print_portrait(
    page: RGBImage, background: RGBImage, photo: RGBImage, box: Box, *, overlay: float
) -> None:
    """Put ``photo`` into ``box`` of ``page``, with ``overlay`` of the background's
    guilloche printed across it (in place)."""
    x, y, w, h = box
    region = photo.astype(np.float32)
    if overlay > 0:
        bg = background[y : y + h, x : x + w].astype(np.float32)
        # only the line pattern (dark details of the background) crosses the photo
        detail = bg - bg.mean(axis=(0, 1), keepdims=True)
        region = region + overlay * 2.5 * np.minimum(detail, 0)
    page[y : y + h, x : x + w] = np.clip(region, 0, 255).astype(np.uint8)


def print_ghost(page: RGBImage, photo: RGBImage, box: Box) -> None:
    """Faded greyscale copy of the portrait, multiplied into the background (in place)."""
    import cv2

    x, y, w, h = box
    small = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
    grey = small.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0
    grey = np.asarray(cv2.GaussianBlur(grey, (0, 0), 0.7), dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    vignette = np.clip(1.6 - 1.1 * r2, 0.0, 1.0)  # fades out towards the box edges
    factor = 1.0 - 0.45 * (1.0 - grey) * vignette
    page[y : y + h, x : x + w] = np.clip(
        page[y : y + h, x : x + w] * factor[..., None], 0, 255
    ).astype(np.uint8)


@lru_cache(maxsize=16)
def _dot_screen(h: int, w: int, period: float, angle_deg: float) -> NDArray[np.float32]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.deg2rad(angle_deg)
    u = (np.cos(a) * xs + np.sin(a) * ys) * (2 * np.pi / period)
    v = (-np.sin(a) * xs + np.cos(a) * ys) * (2 * np.pi / period)
    screen: NDArray[np.float32] = (np.cos(u) * np.cos(v)).astype(np.float32)  # in [-1, 1]
    screen.setflags(write=False)
    return screen


def apply_print_dots(page: RGBImage, style: PrintStyle, card_mask: NDArray[np.bool_]) -> None:
    """A consumer printer's halftone: a periodic dot screen modulating the ink (in place)."""
    if style.dots_period_px <= 0 or style.dots_strength <= 0:
        return
    screen = _dot_screen(page.shape[0], page.shape[1], style.dots_period_px, style.dots_angle_deg)
    f = page.astype(np.float32)
    darkness = 1.0 - f.mean(axis=2, keepdims=True) / 255.0
    f -= style.dots_strength * 40.0 * screen[..., None] * (0.3 + darkness)
    out = np.clip(f, 0, 255).astype(np.uint8)
    page[card_mask] = out[card_mask]


def render_document(
    design: Design,
    identity: Identity,
    rng: np.random.Generator,
    *,
    style: PrintStyle = GENUINE_STYLE,
    mrz_lines: list[str] | None = None,
    viz: dict[str, str] | None = None,
    face_seed: int | None = None,
    person: tuple[str, int] | None = None,
) -> tuple[RGBImage, dict[str, Any]]:
    """Print one document.

    Args:
        design: the document design.
        identity: holder and document data.
        rng: random generator (registration jitter, signature).
        style: printing; :data:`GENUINE_STYLE` for the issuer's own printing.
        mrz_lines: MRZ text to print; default ``docfraud.mrz.generate`` of the identity.
        viz: visual-zone texts to print; default :func:`viz_values` of the identity.
        face_seed: photo to print; default the holder's own face.
        person: (sex, age) of the person in that photo; default the holder's sex and
            age at issue (see :func:`portrait_image`).

    Returns:
        page: (H, W, 3) uint8 RGB at :data:`PX_PER_MM` (TD3: 1500 x 1056).
        layout: JSON-ready dict: ``page_size`` [W, H], ``px_per_mm``, ``cards`` (boxes),
        ``portrait``, ``ghost`` (box or None), ``title``, ``signature``, ``fields``
        (key -> text, box, label_box, ink, font, size, origin), ``mrz`` (box, lines,
        geometry), all in page pixels.
    """
    from docfraud.mrz import generate

    if mrz_lines is None:
        mrz_lines = generate(identity.mrz_fields(), format=design.format)
    if viz is None:
        viz = viz_values(design, identity)
    background, card_mask = page_background(design, variant=style.background_variant)
    page = background.copy()
    pal = design.palette
    ink = style.ink or pal.ink
    jit = style.registration_jitter_mm * PX_PER_MM
    dx, dy = rng.uniform(-jit, jit, 2) if jit > 0 else (0.0, 0.0)

    portrait_box = box_mm(*design.portrait)
    portrait_box[1] += mm(design.side_offset_mm(0))
    photo = portrait_image(
        identity, design, (portrait_box[2], portrait_box[3]), face_seed=face_seed, person=person
    )
    print_portrait(page, background, photo, portrait_box, overlay=design.portrait_overlay)
    ghost_box: Box | None = None
    if design.ghost is not None:
        ghost_box = box_mm(*design.ghost)
        ghost_box[1] += mm(design.side_offset_mm(design.ghost_side))
        print_ghost(page, photo, ghost_box)

    pil = Image.fromarray(page)
    draw = ImageDraw.Draw(pil)
    # header: title and state name
    title_font = font_for_cap_height(
        style.title_font, 2.6 * PX_PER_MM if design.format != "TD1" else 1.9 * PX_PER_MM
    )
    small = font_for_cap_height(
        style.label_font, 1.5 * PX_PER_MM if design.format != "TD1" else 1.15 * PX_PER_MM
    )
    tx = mm(design.portrait[0])
    head_y = mm(3.0 if design.format != "TD1" else 1.8)
    draw.text((tx, head_y), design.state[0], font=small, fill=pal.accent, anchor="lt")
    draw.text(
        (tx + small.getlength(design.state[0]) + mm(2), head_y),
        design.state[1],
        font=small,
        fill=pal.accent,
        anchor="lt",
    )
    title_y = head_y + small.size + mm(0.6)
    title = f"{design.title[0]}  {design.title[1]}"
    max_w = mm(design.emblem[0] - design.emblem[2] * 1.4) - tx
    while title_font.getlength(title) > max_w and title_font.size > 10:
        title_font = get_font(style.title_font, title_font.size - 2)
    draw.text((tx, title_y), title, font=title_font, fill=pal.accent, anchor="lt")
    title_box = [
        tx,
        head_y,
        int(title_font.getlength(title)),
        int(title_y + title_font.size - head_y),
    ]

    label_cap = design.label_cap_mm * PX_PER_MM
    value_cap = design.value_cap_mm * PX_PER_MM
    label_font = font_for_cap_height(style.label_font, label_cap)
    fields: dict[str, Any] = {}
    signature_box: Box | None = None
    for slot in design.slots:
        label_box, value_box = slot_boxes(design, slot)
        label = label_text(slot.key, design)
        lf = label_font
        while lf.getlength(label) > label_box[2] and lf.size > 8:
            lf = get_font(style.label_font, lf.size - 1)
        draw.text(
            (label_box[0], label_box[1] + label_cap), label, font=lf, fill=pal.label, anchor="ls"
        )
        if slot.key == "signature":
            signature_box = value_box
            _signature(draw, value_box, rng, (30, 30, 90))
            continue
        record = fit_text(
            draw,
            viz[slot.key],
            value_box,
            font_name=style.value_font,
            cap_px=value_cap,
            fill=ink,
            dx=dx,
            dy=dy,
        )
        record["box"] = value_box
        record["label_box"] = label_box
        fields[slot.key] = record

    geom = mrz_geometry(design, len(mrz_lines), style=style)
    geom["x0"] += dx
    geom["centres"] = [c + dy for c in geom["centres"]]
    draw_mrz_chars(draw, geom, mrz_lines, fill=ink)
    page = np.asarray(pil, dtype=np.uint8).copy()
    apply_print_dots(page, style, card_mask)

    cards = []
    for side in range(2 if design.two_sided else 1):
        cards.append(
            [0, mm(design.side_offset_mm(side)), mm(design.card_mm[0]), mm(design.card_mm[1])]
        )
    layout: dict[str, Any] = {
        "design": design.name,
        "format": design.format,
        "px_per_mm": PX_PER_MM,
        "page_size": [int(page.shape[1]), int(page.shape[0])],
        "cards": cards,
        "portrait": portrait_box,
        "ghost": ghost_box,
        "title": title_box,
        "signature": signature_box,
        "fields": fields,
        "mrz": {
            "box": mrz_box(geom, mrz_lines),
            "lines": list(mrz_lines),
            "geometry": {
                k: (
                    round(v, 3)
                    if isinstance(v, float)
                    else [round(c, 3) for c in v]
                    if isinstance(v, list)
                    else v
                )
                for k, v in geom.items()
            },
        },
        "style": style.to_dict(),
    }
    return page, layout
