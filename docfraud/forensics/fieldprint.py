"""Placement of the personalised text against the layout of the document's design.

An issuer personalises a document in one pass: every field's text starts where the
design puts it, on its baseline, all of them moved together by the personalisation
printer's registration against the pre-printed card. A forger who erases a field and
prints a new value sets it by hand, a fraction of a millimetre off; the fields he leaves
alone stay where the issuer printed them. So a field whose baseline lies off the common
line of the others is a trace of re-printed data (data alteration, erase and rewrite,
naive alteration), where the value and its check digits are otherwise consistent.

Method: the card is registered onto the reference of its design
(:func:`docfraud.forensics.reference.registration`, shared with the reference
comparison); each field of the design's layout (:class:`docfraud.reference.FieldLayout`)
is cut out of the photographed image at ``PATCH_PX_PER_MM`` in the reference's frame,
from just above its capitals (its label lies higher) to below its baseline. The printed
text is the dark ink of the patch, in the columns where that ink fills the capitals' band
densely (a dark-scanned security background's thin lines cross it sparsely; a wide box's
empty rest is left out); its baseline is the steepest fall of the ink's row profile within
``SEARCH_CAP`` capital heights of where the design puts it (sub-pixel: a parabola through
the derivative), the profile read along the slope, up to ``MAX_SKEW``, that makes the fall
steepest (a registration's small rotation, or a field printed again by hand, tilts a long
line of text against the card by a few rows), at the column where the design starts the
text (version 3). Text narrower than ``MIN_TEXT_CAPS`` capital heights is not measured (a
single letter's own edges, a three-letter code's round overshoot, outweigh the line). Each field's
offset from the design, less a plane through the document's offsets (the registration's
smooth error; fitted robustly, its slopes held small by ``PLANE_RIDGE``), is its
deviation (mm): ``baseline_dev_max`` the largest, ``baseline_dev_second`` the second
(a forger often rewrites two fields), ``baseline_spread`` the median and
``baseline_dev_ratio`` the largest against the spread (one field off among tight
others; a blurred photo measures every field less surely).

Widths (version 2): a forger who keeps the issuer's font prints within a few per cent of
its size, which still runs a 25 mm date up to 0.75 mm long or short. Where the reference
library records the issuer's :class:`~docfraud.reference.Typeface`, each field whose text
the MRZ fixes (:func:`printed_text`) is matched against that text set in the issuer's font
(:func:`measure_width`: column profiles across the capitals' middle, over a range of
scales); its ratio, less the field's ratio on genuine renders
(:attr:`FieldLayout.width <docfraud.reference.FieldLayout>`) and against the median of the
document's fields, is its width deviation: ``width_dev_max``, ``width_dev_second``, finding
``FIELD_TEXT_SIZE_DIFFERS`` (medium) from ``WIDTH_FINDING``. Measured (docs/benchmarks.md,
session 22): on 1,800 genuine screened development images the largest deviation has median
0.003 and 99th percentile 0.0125.

Where it applies: the document's design is in the reference library with its field
layout and the card registers onto it; at least ``MIN_FIELDS`` fields show measurable
text. Designs outside the library are not judged (their layout is unknown).

Measured (docs/benchmarks.md, screening, session 19): on the screened images of
docfraud.synth seeds 502 and 503 (where the constants were chosen), the largest deviation
alone separates data alterations from genuine documents at ROC AUC 0.80-0.82; the fusion
weighs it with the other detectors.

Score: ``clip((baseline_dev_max - SCORE_FROM_MM) / SCORE_SPAN_MM)`` or, where larger,
``clip((width_dev_max - WIDTH_SCORE_FROM) / WIDTH_SCORE_SPAN)``; finding
``FIELD_TEXT_MISPLACED`` (medium) for each field whose baseline lies more than
``FINDING_MM`` off the others'.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import ModelError
from docfraud.findings import Finding
from docfraud.forensics.base import Analysis, DetectorResult
from docfraud.forensics.reference import RegisteredDetector, image_patch
from docfraud.forensics.registry import register
from docfraud.reference import FieldLayout, ReferenceDesign, Typeface

if TYPE_CHECKING:
    from docfraud.mrz import MrzResult

logger = logging.getLogger(__name__)

#: resolution of the field patches cut out of the image (reference frame)
PATCH_PX_PER_MM = 16.0
#: the baseline is looked for within this many capital heights of the design's
SEARCH_CAP = 0.35
#: the patch starts this many capital heights above the design's capitals
ABOVE_CAP = 0.2
#: the patch starts this many millimetres left of the design's text
SEARCH_LEFT_MM = 1.5
#: ink: this far from the patch's paper level towards its darkest print (0-1)
INK_LEVEL = 0.5
#: a patch whose darkest print is less than this many grey levels under its paper
#: shows no text
MIN_CONTRAST = 35.0
#: a field's text must run at least this many capital heights (a single letter's edges,
#: the bottom of P's bowl, outweigh its baseline)
MIN_TEXT_CAPS = 4.0
#: the text's columns: where its ink fills at least this share of the densest text's
#: (:func:`text_columns`)
TEXT_DENSITY = 0.35
#: the text's baseline is looked for along slopes up to this (rows per column, about 1
#: degree), in these steps, its columns taken in blocks this many capitals wide
MAX_SKEW = 0.018
SKEW_STEP = 0.002
SKEW_BLOCK_CAPS = 0.25
#: fields whose printed text follows from the MRZ (field -> MRZ field): its width is known
WIDTH_FIELDS = {"birth_date": "birth_date", "expiry_date": "expiry_date",
                "number": "document_number", "passport_number": "document_number",
                "surname": "surname", "given_names": "given_names"}
#: ICAO 9303 transliterations that write one printed letter as two: a pair in an MRZ name
#: may stand for itself or for one of these letters (Ø is as wide as Ö)
DIGRAPHS: dict[str, tuple[str, ...]] = {
    "AE": ("Ä", "Æ"), "OE": ("Ö", "Œ"), "UE": ("Ü",), "AA": ("Å",), "SS": ("ß",),
    "TH": ("Þ",), "IJ": ("Ĳ",)}
#: a word starting with one of these letters may have been printed with an apostrophe
#: after it (O'NEILL, D'ANGELO, L'HEUREUX), which the MRZ drops
APOSTROPHE_AFTER = frozenset("ODL")
#: a name with more possible spellings than this is not measured
MAX_SPELLINGS = 8
#: names of fewer letters are not measured (an initial, a truncated given name)
MIN_NAME_LETTERS = 4
#: the text's width is taken across the capitals' middle, between these heights above
#: its baseline (capitals): a T's bar, an A's feet, a Q's tail fall outside
WIDTH_BAND = (0.1, 0.8)
#: printed width / the issuer's width searched over this range, in these steps
SCALE_RANGE = (0.85, 1.18)
SCALE_STEP = 0.002
#: the printed text is looked for up to this far along its line from the design's start
SHIFT_MM = 1.0
#: column profiles are smoothed by a Gaussian this many em wide (sigma)
PROFILE_SIGMA_EM = 0.05
#: darkness is never scaled by less than this share of the patch's darkest print
LOCAL_FLOOR = 0.45
#: a field whose printed text matches the typeset text less well than this (Pearson
#: correlation of the profiles) is not measured. Genuine development captures: 1 % of
#: documents have a field under 0.92, none under 0.86; text in another font matches down
#: to 0.6 (measured: its width is evidence), but so does a spelling the MRZ does not give
#: (``ST. JOHN`` for ST JOHN: 0.85; a number printed in groups: 0.75), which a design
#: whose issuer prints such text must record in its typeface before widths are trusted
MIN_MATCH = 0.6
#: the median ratio of a document's fields (the capture's scale) is taken within this
#: much of 1 (genuine development captures: 0.989-1.007): two or three re-printed fields
#: among four must not move it onto them
COMMON_RANGE = 0.015
#: text longer than this share of its box may have been condensed by the issuer to fit
#: it: not measured
FIT_SHARE = 0.97
#: width deviations (a share of the width) where the score starts, over which it rises
#: to 1, and from which a field is reported
WIDTH_SCORE_FROM = 0.015
WIDTH_SCORE_SPAN = 0.03
WIDTH_FINDING = 0.04
#: fields of one to three characters by ICAO's rules (document type and code,
#: nationality, sex): a round letter's overshoot outweighs their line
SHORT_FIELDS = frozenset({"type", "code", "nationality", "sex"})
#: fewest fields with measured text for a verdict
MIN_FIELDS = 4
#: each field's genuine spread (scripts/fit_field_spread.py); a field it does not name
#: has ``DEFAULT_SPREAD_MM``, and none is taken under ``MIN_SPREAD_MM``
SPREAD_PATH = Path(__file__).resolve().parents[2] / "models" / "field_spread.json"
DEFAULT_SPREAD_MM = 0.08
MIN_SPREAD_MM = 0.03
#: the document's spread taken as at least this in ``baseline_dev_ratio`` (mm)
RATIO_FLOOR_MM = 0.02
#: ridge on the plane's slopes, per field (mm squared): a registration tilts the
#: measured offsets by a fraction of a pixel across the card, not more
PLANE_RIDGE = 20.0
SCORE_FROM_MM = 0.06
SCORE_SPAN_MM = 0.12
FINDING_MM = 0.15


@dataclass(frozen=True)
class FieldPrint:
    """One field's text measured in the reference frame (reference pixels).

    Attributes:
        name: the field's name.
        baseline: the text's baseline where the design starts it (its ``x``), reference
            pixels.
        skew: the baseline's slope against the registered card (rise in rows per column;
            positive runs down to the right).
    """

    name: str
    baseline: float
    skew: float = 0.0


def _fall(profile: NDArray[np.float64], centre: float, half: float
          ) -> tuple[float, float] | None:
    """Sub-pixel position of the steepest fall of ``profile`` within ``half`` of
    ``centre``, and its size; None when the window is outside the profile."""
    d = -np.diff(profile)
    lo, hi = max(int(np.floor(centre - half)), 1), min(int(np.ceil(centre + half)), d.size - 1)
    if hi - lo < 2:
        return None
    i = lo + int(np.argmax(d[lo:hi]))
    # d[i] = p[i] - p[i+1]: the edge lies between samples i and i + 1
    return i + 0.5 + _vertex(d[i - 1], d[i], d[i + 1]), float(d[i])


def _vertex(a: float, b: float, c: float) -> float:
    """Where a parabola through three equally spaced samples ``a, b, c`` peaks, from the
    middle one (-0.5 to 0.5 samples); 0 where ``b`` is no peak."""
    den = a - 2 * b + c
    return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5)) if den < 0 else 0.0


def text_columns(ink: NDArray[np.bool_], base: float, cap: float) -> NDArray[np.bool_]:
    """The columns of a field patch that carry its text: where the ink fills at least
    ``TEXT_DENSITY`` of the densest text's share of the capitals' middle (rows ``cap``
    (pixels) above ``base`` (0.2-0.8 of it), smoothed over half a capital). The security
    background's thin lines cross that band sparsely; a wide box whose text fills only
    part of it is not averaged over its empty rest."""
    import cv2

    band = ink[max(int(base - 0.8 * cap), 0):max(int(base - 0.2 * cap), 1)]
    if band.size == 0:
        return np.zeros(ink.shape[1], bool)
    density = band.mean(axis=0, dtype=np.float32)[None, :]
    smooth = cv2.blur(density, (max(3, int(0.5 * cap) | 1), 1))[0]
    top = float(smooth.max())
    return np.asarray(smooth >= TEXT_DENSITY * top, bool) if top > 0 else np.zeros_like(
        smooth, bool)


def _block_profiles(text: NDArray[np.float64], cols: NDArray[np.intp], origin: float,
                    block: int) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                         NDArray[np.float64]]:
    """The text's row profiles summed per block of ``block`` text columns (``cols``, at
    least one): (profiles (n, rows), weights (n,): columns per block, each block's mean
    column less ``origin``). Reading a tilted line then shifts a few dozen block profiles,
    not every column of a patch up to 1,400 columns wide."""
    groups = np.arange(cols.size) // max(block, 1)
    n = int(groups[-1]) + 1
    profiles = np.zeros((n, text.shape[0]))
    np.add.at(profiles, groups, text[:, cols].T)
    weights = np.bincount(groups, minlength=n).astype(np.float64)
    centres = np.bincount(groups, weights=cols.astype(np.float64), minlength=n) / weights
    return profiles, weights, centres - origin


def _profiles_at(profiles: NDArray[np.float64], weights: NDArray[np.float64],
                 offsets: NDArray[np.float64], skews: NDArray[np.float64]
                 ) -> NDArray[np.float64]:
    """For each of ``skews``, the mean row profile of the blocks with each block's rows
    read ``skew`` x its ``offsets`` lower (linear interpolation; rows past the patch read
    as paper): (skews, rows). Along the text's own slope its baseline falls in the same
    row in every block, so the profile's fall there is steepest."""
    rows = profiles.shape[1]
    y = np.arange(rows)[None, None, :] + skews[:, None, None] * offsets[None, :, None]
    i0 = np.floor(y).astype(np.intp)
    frac = y - i0
    padded = np.pad(profiles, ((0, 0), (1, 2)))
    take = np.arange(profiles.shape[0])[None, :, None]
    lo = padded[take, np.clip(i0 + 1, 0, rows + 2)]
    hi = padded[take, np.clip(i0 + 2, 0, rows + 2)]
    return np.asarray(((1 - frac) * lo + frac * hi).sum(axis=1) / weights.sum(), np.float64)


def measure_field(grey: NDArray[np.uint8], to_image: NDArray[np.float64],
                  name: str, layout: FieldLayout, px_per_mm: float) -> FieldPrint | None:
    """The baseline of a field's text (reference pixels), or None where the field shows
    no measurable text.

    The text's columns are found by the density of their ink (:func:`text_columns`); the
    row profile of their ink is read along lines of each slope up to ``MAX_SKEW`` (the
    text may lie tilted against the registered card: a registration's small rotation, a
    re-printed field's own) and the baseline is the steepest fall of the profile, over
    the slopes, within ``SEARCH_CAP`` capital heights of where the design puts it, at the
    column where the design starts the text.

    Args:
        grey: the photographed image, greyscale.
        to_image: 3x3, reference pixels -> image pixels.
        name: the field's name.
        layout: where the design prints it.
        px_per_mm: the reference's resolution.
    """
    k = PATCH_PX_PER_MM / px_per_mm
    bx, _by, bw, _bh = layout.box
    x0 = min(bx, layout.baseline[0]) - SEARCH_LEFT_MM * px_per_mm
    # from just above the capitals (the field's label lies higher) to below the baseline
    y0 = layout.baseline[1] - (1.0 + ABOVE_CAP) * layout.cap
    cut = image_patch(grey, to_image, (x0, y0, bx + bw,
                                       layout.baseline[1] + 2 * SEARCH_CAP * layout.cap), k)
    if cut is None:
        return None  # too small, or the field runs off the photographed image
    g = cut[0].astype(np.float32)
    paper, darkest = float(np.percentile(g, 70)), float(np.percentile(g, 1))
    if paper - darkest < MIN_CONTRAST:
        return None
    dark = np.clip((paper - g) / (paper - darkest), 0.0, 1.0)
    ink = dark >= INK_LEVEL
    base_nom = (layout.baseline[1] - y0) * k
    cap = layout.cap * k
    cols = np.nonzero(text_columns(ink, base_nom, cap))[0]
    if cols.size < 4 or cols[-1] - cols[0] < MIN_TEXT_CAPS * cap:
        return None  # one or two glyphs: a letter's own edges (P's bowl) outweigh the line
    text = np.where(ink, dark, 0.0).astype(np.float64)
    profiles, weights, offsets = _block_profiles(
        text, cols, (layout.baseline[0] - x0) * k, max(int(SKEW_BLOCK_CAPS * cap), 1))
    skews = np.linspace(-MAX_SKEW, MAX_SKEW, 2 * round(MAX_SKEW / SKEW_STEP) + 1)
    sheared = _profiles_at(profiles, weights, offsets, skews)
    best: tuple[float, float, NDArray[np.float64], float] | None = None
    for skew, profile in zip(skews, sheared, strict=True):
        rows = np.convolve(profile, [0.25, 0.5, 0.25], mode="same")
        found = _fall(rows, base_nom, SEARCH_CAP * cap)
        if found is not None and (best is None or found[1] > best[1]):
            best = (found[0], found[1], rows, float(skew))
    if best is None:
        return None
    base, fall, rows, skew = best
    body = rows[max(int(base - 0.8 * cap), 0):int(base)]
    level = float(np.median(body)) if body.size else 0.0
    if level <= 0 or fall < 0.2 * level:
        return None
    return FieldPrint(name=name, baseline=y0 + base / k, skew=skew)


def printed_text(name: str, mrz: MrzResult, typeface: Typeface,
                 number_pattern: str | None = None) -> tuple[str, ...]:
    """The text the issuer may have printed in field ``name``, as the MRZ gives it (a date
    in the design's style, the document number, a name): one text, or for a name each
    spelling the MRZ's letters may stand for (:func:`spellings`); empty where the MRZ does
    not fix it: another field, a value the reader may have misread
    (:func:`docfraud.forensics.vizcheck.unsure_fields`), a document number outside the
    design's series (``number_pattern``), a name that may be truncated in the MRZ,
    shorter than ``MIN_NAME_LETTERS`` or with more than ``MAX_SPELLINGS`` spellings."""
    import datetime as dt

    from docfraud.forensics.vizcheck import unsure_fields

    key = WIDTH_FIELDS.get(name)
    if key is None or not mrz.found or key in unsure_fields(mrz):
        return ()
    value = str(mrz.fields.get(key) or "")
    if key in ("birth_date", "expiry_date"):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return ()
        if typeface.date_style == "dot":
            return (day.strftime("%d.%m.%Y"),)
        return (f"{day.day:02d} {typeface.months[day.month - 1]} {day.year}",)
    if key == "document_number":
        value = value.replace("<", "")
        if number_pattern is not None and re.fullmatch(number_pattern, value) is None:
            return ()  # not the design's series: misread, or not this design's number
        return (value,) if len(value) >= MIN_NAME_LETTERS else ()
    letters = value.replace(" ", "")
    if (len(letters) < MIN_NAME_LETTERS or not (letters.isascii() and letters.isalpha())
            or _names_truncated(mrz)):
        return ()
    return spellings(" ".join(value.split()))


def spellings(name: str) -> tuple[str, ...]:
    """Each way the issuer may have printed an MRZ name (capitals, words separated by
    spaces): a pair of ``DIGRAPHS`` as itself or as the letter it transliterates (MUELLER
    may be printed MÜLLER), a space between words as a space or a hyphen (SCHMIDT-
    BRÜCKNER), the first O, D or L of a word of ``MIN_NAME_LETTERS`` or more with or
    without an apostrophe after it (the MRZ drops it: O'NEILL is ONEILL). Letters with
    accents keep their base letter's width (É, Ñ, Ç) and need no spelling of their own.
    Empty beyond ``MAX_SPELLINGS``."""
    import itertools

    options: list[tuple[str, ...]] = []
    i = 0
    while i < len(name):
        word = name[i:].split(" ", 1)[0]
        if (name[i] in APOSTROPHE_AFTER and (i == 0 or name[i - 1] == " ")
                and len(word) >= MIN_NAME_LETTERS and name[i:i + 2] not in DIGRAPHS):
            options.append((name[i], name[i] + "'"))  # O'NEILL, D'ANGELO: ONEILL in the MRZ
            i += 1
            continue
        pair = name[i:i + 2]
        if pair in DIGRAPHS:
            options.append((pair, *DIGRAPHS[pair]))
            i += 2
            continue
        options.append((" ", "-") if name[i] == " " else (name[i],))
        i += 1
    if math.prod(len(o) for o in options) > MAX_SPELLINGS:
        return ()
    return tuple("".join(p) for p in itertools.product(*options))


def _names_truncated(mrz: MrzResult) -> bool:
    """Whether the MRZ's name field is full to its last character (the names may be
    cut short)."""
    from docfraud.mrz.formats import FORMATS

    fmt = FORMATS.get(mrz.format or "")
    if fmt is None or not fmt.has_field("name"):
        return True
    spec = fmt.field("name")
    if spec.line >= len(mrz.lines) or len(mrz.lines[spec.line]) < spec.stop:
        return True
    return mrz.lines[spec.line][spec.stop - 1] != "<"


@lru_cache(maxsize=8)
def _font(path: str, em: float) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(path, em)


@lru_cache(maxsize=256)
def text_profile(path: str, em: float, cap: float, text: str
                 ) -> tuple[NDArray[np.float64], int, float]:
    """The column profile of ``text`` set in the font at ``path`` at ``em`` pixels per
    em: its darkness (0-1) summed across ``WIDTH_BAND`` of capitals ``cap`` pixels tall,
    per column, smoothed as :func:`measure_width` smooths a printed field's; the index of
    the pen's start in it, and the pen's advance (pixels)."""
    from PIL import Image, ImageDraw

    font = _font(path, em)
    advance = float(font.getlength(text))
    pad = int(em)
    base = int(2 * em)
    canvas = Image.new("L", (int(advance) + 2 * pad, int(3 * em)), 255)
    ImageDraw.Draw(canvas).text((pad, base), text, font=font, fill=0, anchor="ls")
    band = np.asarray(canvas)[int(base - WIDTH_BAND[1] * cap):int(base - WIDTH_BAND[0] * cap)]
    profile = _columns((255.0 - band.astype(np.float64)) / 255.0, em)
    profile.flags.writeable = False  # cached: shared by every caller
    return profile, pad, advance


def _columns(darkness: NDArray[np.float64], em: float) -> NDArray[np.float64]:
    """The column profile of a band of text: its darkness summed per column, smoothed by
    a Gaussian of ``PROFILE_SIGMA_EM`` em (``em`` pixels)."""
    import cv2

    return np.asarray(cv2.GaussianBlur(darkness.sum(axis=0)[None, :], (0, 0),
                                       sigmaX=PROFILE_SIGMA_EM * em)[0], np.float64)


def best_width(grey: NDArray[np.uint8], to_image: NDArray[np.float64], layout: FieldLayout,
               baseline: float, texts: tuple[str, ...], font_file: str, em: float,
               px_per_mm: float) -> tuple[float, float] | None:
    """:func:`measure_width` of the one of ``texts`` (a name's spellings) the field's
    print matches best; None where none is matched."""
    tries = [found for text in texts
             if (found := measure_width(grey, to_image, layout, baseline, text, font_file,
                                        em, px_per_mm)) is not None]
    return max(tries, key=lambda t: t[1]) if tries else None


def _darkness(patch: NDArray[np.uint8], em: float) -> NDArray[np.float64] | None:
    """The print of a band of text as darkness 0-1 against its local paper and print:
    light falls unevenly across a photographed card (glare, a shadow), so the paper is
    the patch with its strokes closed over (a max filter wider than a bold stroke,
    smoothed) and the darkness is scaled by the darkest print within an em of each
    pixel, never by less than ``LOCAL_FLOOR`` of the patch's darkest (the security
    background's paler lines stay pale). None for a patch without print
    (``MIN_CONTRAST``)."""
    import cv2

    g = patch.astype(np.float32)
    stroke = max(3, round(0.4 * em) | 1)
    paper = cv2.dilate(g, np.ones((1, stroke), np.uint8))
    paper = cv2.blur(paper, (max(3, int(em) | 1), 1))
    dark = np.maximum(paper - g, 0.0)
    top = float(np.percentile(dark, 99.5))
    if top < MIN_CONTRAST:
        return None
    near = cv2.dilate(dark, np.ones((dark.shape[0], max(3, int(2 * em) | 1)), np.uint8))
    return np.asarray(np.clip(dark / np.maximum(near, LOCAL_FLOOR * top), 0.0, 1.0),
                      np.float64)


def measure_width(grey: NDArray[np.uint8], to_image: NDArray[np.float64],
                  layout: FieldLayout, baseline: float, text: str, font_file: str,
                  em: float, px_per_mm: float) -> tuple[float, float] | None:
    """How much wider (> 1) or narrower (< 1) a field's text is printed than ``text`` set
    in the issuer's typeface (``font_file`` at ``em`` reference pixels per em), and how
    well the two match (correlation); None where the text cannot be matched.

    The field is cut out at ``PATCH_PX_PER_MM`` over ``WIDTH_BAND`` of the capitals above
    the measured ``baseline`` (reference pixels), from before the design's start of the
    text to past its end at the largest scale searched; the column profile of its print
    (:func:`_darkness`, summed per column, smoothed) is matched against the typeset
    text's (:func:`text_profile`) stretched by each scale of ``SCALE_RANGE`` and moved
    up to ``SHIFT_MM`` along the line (Pearson correlation); the best scale (refined
    between steps) is the ratio (at either end of the range: at least that far off). A
    best match at the end of the moves is no measure (a text starting farther off is
    matched with a wrong scale making up for the shift). Matching the glyphs' strokes,
    not the ends of the ink, leaves out what blur does to a letter's thin ends (the
    terminals of a C, a T's bar) and the security background's lines that touch the
    text. Text the issuer may have condensed to fit its box (over ``FIT_SHARE`` of it)
    is not measured."""
    k = PATCH_PX_PER_MM / px_per_mm
    emk = em * k
    profile, origin, advance = text_profile(font_file, emk, layout.cap * k, text)
    if advance > FIT_SHARE * layout.box[2] * k:
        return None
    shift = SHIFT_MM * PATCH_PX_PER_MM
    lo, hi = SCALE_RANGE
    before = origin * hi + shift + 2
    after = (profile.size - origin) * hi + shift + 2
    x0 = layout.baseline[0] - before / k
    cut = image_patch(grey, to_image, (x0, baseline - WIDTH_BAND[1] * layout.cap,
                                       layout.baseline[0] + after / k,
                                       baseline - WIDTH_BAND[0] * layout.cap), k)
    if cut is None:
        return None
    dark = _darkness(cut[0], emk)
    if dark is None:
        return None
    seen = _columns(dark, emk)
    pen = (layout.baseline[0] - x0) * k  # the design's start of the text, patch columns
    scales = np.linspace(lo, hi, round((hi - lo) / SCALE_STEP) + 1)
    best = np.full(scales.size, -1.0)
    moved = np.zeros(scales.size, int)
    moves = np.arange(-int(shift), int(shift) + 1)
    # each window's sum and sum of squares from running sums: the Pearson correlation of
    # every move at once, without copying the windows out (the moves are contiguous)
    run1 = np.concatenate(([0.0], np.cumsum(seen)))
    run2 = np.concatenate(([0.0], np.cumsum(seen * seen)))
    columns = np.arange(profile.size)
    for i, scale in enumerate(scales):
        n = int(profile.size * scale)
        stretched = np.interp(np.arange(n) / scale, columns, profile)
        stretched = stretched - stretched.mean()
        norm = float(np.sqrt((stretched ** 2).sum()))
        starts = np.round(pen - origin * scale).astype(int) + moves
        inside = (starts >= 0) & (starts + n <= seen.size)
        starts = starts[inside]
        if norm <= 0 or starts.size == 0:
            continue
        sums = run1[starts + n] - run1[starts]
        spread = np.maximum(run2[starts + n] - run2[starts] - sums * sums / n, 0.0)
        dots = np.correlate(seen[starts[0]:starts[-1] + n], stretched, "valid")
        dots = dots - sums / n * float(stretched.sum())
        denom = np.sqrt(spread) * norm
        r = dots / np.where(denom > 0, denom, np.inf)
        j = int(np.argmax(r))
        best[i], moved[i] = float(r[j]), int(moves[inside][j])
    i = int(np.argmax(best))
    if best[i] < MIN_MATCH or abs(moved[i]) >= int(shift):
        # no match, or one at the end of the moves searched: the text starts farther off,
        # where a wrong scale would make up for the shift
        return None
    ratio = float(scales[i])
    if 0 < i < scales.size - 1:
        ratio += SCALE_STEP * _vertex(best[i - 1], best[i], best[i + 1])
    return ratio, float(best[i])


def _plane(where: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.float64]:
    """A plane through ``values`` at ``where`` (n, 2; millimetres), fitted robustly:
    least squares with its slopes held small (ridge ``PLANE_RIDGE`` per point: fields
    that lie nearly in one line must not tilt it wildly), then again without the points
    lying more than twice the median residual off it (at least ``MIN_FIELDS`` kept);
    returns its value at every point."""
    centred = where - where.mean(axis=0)
    design = np.column_stack([np.ones(len(values)), centred])
    keep = np.ones(len(values), bool)
    fit = values
    for _ in range(3):
        a, v = design[keep], values[keep]
        penalty = np.diag([0.0, 1.0, 1.0]) * PLANE_RIDGE * int(keep.sum())
        coef = np.linalg.solve(a.T @ a + penalty, a.T @ v)
        fit = design @ coef
        res = np.abs(values - fit)
        limit = max(2.0 * float(np.median(res[keep])), 1e-6)
        new = res <= limit
        if new.sum() < MIN_FIELDS or (new == keep).all():
            break
        keep = new
    return np.asarray(fit, np.float64)


@lru_cache(maxsize=1)
def field_spread() -> dict[str, dict[str, float]]:
    """Design -> field -> genuine spread of the baseline deviation (mm), read once; empty
    where the file is absent.

    Raises:
        ModelError: the file is unreadable or malformed.
    """
    if not SPREAD_PATH.exists():
        return {}
    try:
        raw = json.loads(SPREAD_PATH.read_text())["spread_mm"]
        return {str(d): {str(k): float(v) for k, v in fields.items()}
                for d, fields in raw.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(f"{SPREAD_PATH} is unreadable ({exc}); rebuild it with "
                         "scripts/fit_field_spread.py") from exc


@register
class FieldPrintDetector(RegisteredDetector):
    name = "fieldprint"
    version = "3"
    description = ("personalised text placed against the layout of the document's design: "
                   "a field off the others' offset was printed again")
    codes = ("FIELD_TEXT_MISPLACED", "FIELD_TEXT_SIZE_DIFFERS")

    def run(self, analysis: Analysis) -> DetectorResult:
        import cv2

        found = self.registered(analysis)
        if isinstance(found, DetectorResult):
            return found
        design = found.design
        if not design.fields:
            return DetectorResult(detector=self.name, status="not_applicable",
                                  reason=f"the reference of {design.name} has no field layout")
        ref_to_image = found.reference_to_image()
        px_mm = design.px_per_mm
        measured = [m for name, layout in sorted(design.fields.items())
                    if name not in SHORT_FIELDS
                    and (m := measure_field(analysis.gray, ref_to_image, name, layout, px_mm))
                    is not None]
        data: dict[str, Any] = {"design": design.name, "fields_measured": len(measured),
                                "fields": len(design.fields)}
        if len(measured) < MIN_FIELDS:
            return DetectorResult(
                detector=self.name, status="not_applicable",
                reason=f"text measured in only {len(measured)} of the design's "
                       f"{len(design.fields)} fields", data=data)
        # the registration leaves a smooth error across the card (a slight tilt or scale):
        # each field's offset is taken against a plane through the others' (robust fit)
        # each field's offset from where the design prints it, less the field's typical
        # offset on genuine renders (round glyphs overshoot the line: a field of digits
        # measures lower than one of capitals)
        offsets = np.array([m.baseline - design.fields[m.name].baseline[1]
                            - design.fields[m.name].bias for m in measured])
        where = np.array([design.fields[m.name].baseline for m in measured]) / px_mm
        dev = np.abs(offsets - _plane(where, offsets)) / px_mm
        order = np.argsort(dev)[::-1]
        data["baseline_dev_max"] = round(float(dev[order[0]]), 4)
        data["baseline_dev_second"] = round(float(dev[order[1]]), 4)
        spread = float(np.median(dev))
        data["baseline_spread"] = round(spread, 4)
        # against the document's own spread (a blurred phone photo measures every field
        # less surely): one field off among tight others
        data["baseline_dev_ratio"] = round(float(dev[order[0]]) / max(spread, RATIO_FLOOR_MM), 3)
        data["offsets"] = {m.name: round(float(o) / px_mm, 4)
                           for m, o in zip(measured, offsets, strict=True)}
        # each deviation against its field's genuine spread: a field that measures loosely
        # on genuine captures (far from the card's middle, over dark guilloche) weighs less
        spreads = field_spread().get(design.name, {})
        z = np.array([d / max(spreads.get(m.name, DEFAULT_SPREAD_MM), MIN_SPREAD_MM)
                      for m, d in zip(measured, dev, strict=True)])
        z_sorted = np.sort(z)[::-1]
        data["baseline_z_max"] = round(float(z_sorted[0]), 3)
        data["baseline_z_second"] = round(float(z_sorted[1]), 3)
        data["deviations"] = {m.name: round(float(d), 3)
                              for m, d in zip(measured, dev, strict=True)}
        score = float(np.clip((dev[order[0]] - SCORE_FROM_MM) / SCORE_SPAN_MM, 0.0, 1.0))
        widths = self._widths(analysis, design, ref_to_image, measured, data)
        findings: list[Finding] = []
        h, w = analysis.shape

        def region(name: str) -> tuple[int, int, int, int]:
            bx, by, bw, bh = design.fields[name].box
            corners = np.array([[[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]]],
                               np.float32)
            pts = cv2.perspectiveTransform(corners, ref_to_image.astype(np.float64))[0]
            x0, y0 = np.clip(pts.min(axis=0), 0, [w - 1, h - 1])
            x1, y1 = np.clip(pts.max(axis=0), 0, [w - 1, h - 1])
            return int(x0), int(y0), max(1, int(x1 - x0)), max(1, int(y1 - y0))

        if widths:
            devs = sorted(widths.items(), key=lambda kv: -abs(kv[1]))
            score = max(score, float(np.clip((abs(devs[0][1]) - WIDTH_SCORE_FROM)
                                             / WIDTH_SCORE_SPAN, 0.0, 1.0)))
            for name, d in devs:
                if abs(d) <= WIDTH_FINDING:
                    break
                findings.append(self.finding(
                    "FIELD_TEXT_SIZE_DIFFERS", "medium",
                    f"the {name.replace('_', ' ')} is printed {abs(d):.0%} "
                    f"{'wider' if d > 0 else 'narrower'} than the issuer sets it (the other "
                    "fields' text keeps the issuer's size): printed again after the document "
                    "was issued?", region=region(name),
                    data={"field": name, "width_deviation": round(d, 4)}))
        for i in order:
            if dev[i] <= FINDING_MM:
                break
            m = measured[int(i)]
            findings.append(self.finding(
                "FIELD_TEXT_MISPLACED", "medium",
                f"the {m.name.replace('_', ' ')} is printed {dev[i]:.2f} mm off the line the "
                f"other fields' text keeps: printed again after the document was issued?",
                region=region(m.name),
                data={"field": m.name, "deviation_mm": round(float(dev[i]), 3)}))
        return self.result(score=score, findings=findings, data=data)

    def _widths(self, analysis: Analysis, design: ReferenceDesign,
                ref_to_image: NDArray[np.float64], measured: list[FieldPrint],
                data: dict[str, Any]) -> dict[str, float]:
        """Each measurable field's width deviation (a share: + wider, - narrower) from the
        issuer's setting of its text (:func:`measure_width`, less the field's genuine
        ratio ``FieldLayout.width``), taken against the median of the document's fields
        where three or more were measured (the capture's scale and blur widen or narrow
        them all), the median held within ``COMMON_RANGE`` of 1; adds ``width_fields``
        and, where a field was measured, ``width_dev_max`` (largest, absolute),
        ``width_dev_second`` (None for one field), ``widths`` (each field's ratio) and
        ``width_match_min`` (the poorest match of a field's print with the typeset text)
        to ``data``."""
        from docfraud.synth.fonts import find_font_file

        data["width_fields"] = 0
        typeface, mrz = design.typeface, analysis.mrz
        if typeface is None or mrz is None or not mrz.found:
            return {}
        font_file = find_font_file(typeface.font)
        if font_file is None:
            data["width_reason"] = f"the issuer's font {typeface.font} is not installed"
            return {}
        ratios: dict[str, float] = {}
        matches: list[float] = []
        for m in measured:
            layout = design.fields[m.name]
            found = best_width(analysis.gray, ref_to_image, layout, m.baseline,
                               printed_text(m.name, mrz, typeface, design.number_pattern),
                               font_file, typeface.em, design.px_per_mm)
            if found is not None:
                ratio, match = found
                ratios[m.name] = ratio / (layout.width or 1.0)
                matches.append(match)
        if not ratios:
            return {}
        data["width_match_min"] = round(min(matches), 4)
        common = (float(np.clip(np.median(list(ratios.values())), 1 - COMMON_RANGE,
                                1 + COMMON_RANGE)) if len(ratios) >= 3 else 1.0)
        devs = {k: v / common - 1.0 for k, v in ratios.items()}
        size = sorted((abs(v) for v in devs.values()), reverse=True)
        data.update(width_fields=len(devs), width_dev_max=round(size[0], 4),
                    width_dev_second=round(size[1], 4) if len(size) > 1 else None,
                    widths={k: round(v, 4) for k, v in ratios.items()})
        return devs
