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
text is the dark ink of the patch (the security background's lines are paler); its
baseline is the steepest fall of the ink's row profile within ``SEARCH_CAP`` capital
heights of where the design puts it (sub-pixel: a parabola through the derivative).
Text narrower than ``MIN_TEXT_CAPS`` capital heights is not measured (a single letter's
own edges, a three-letter code's round overshoot, outweigh the line). Each field's
offset from the design, less a plane through the document's offsets (the registration's
smooth error; fitted robustly, its slopes held small by ``PLANE_RIDGE``), is its
deviation (mm): ``baseline_dev_max`` the largest, ``baseline_dev_second`` the second
(a forger often rewrites two fields), ``baseline_spread`` the median and
``baseline_dev_ratio`` the largest against the spread (one field off among tight
others; a blurred photo measures every field less surely).

Where it applies: the document's design is in the reference library with its field
layout and the card registers onto it; at least ``MIN_FIELDS`` fields show measurable
text. Designs outside the library are not judged (their layout is unknown).

Measured (docs/benchmarks.md, screening, session 19): on the screened images of
docfraud.synth seeds 502 and 503 (where the constants were chosen), the largest deviation
alone separates data alterations from genuine documents at ROC AUC 0.80-0.82; the fusion
weighs it with the other detectors.

Score: ``clip((baseline_dev_max - SCORE_FROM_MM) / SCORE_SPAN_MM)``; finding
``FIELD_TEXT_MISPLACED`` (medium) for each field whose baseline lies more than
``FINDING_MM`` off the others'.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import ModelError
from docfraud.findings import Finding
from docfraud.forensics.base import Analysis, DetectorResult
from docfraud.forensics.reference import RegisteredDetector, image_patch
from docfraud.forensics.registry import register
from docfraud.reference import FieldLayout

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
    """One field's text measured in the reference frame (reference pixels)."""

    name: str
    baseline: float


def _fall(profile: NDArray[np.float64], centre: float, half: float
          ) -> tuple[float, float] | None:
    """Sub-pixel position of the steepest fall of ``profile`` within ``half`` of
    ``centre``, and its size; None when the window is outside the profile."""
    d = -np.diff(profile)
    lo, hi = max(int(np.floor(centre - half)), 1), min(int(np.ceil(centre + half)), d.size - 1)
    if hi - lo < 2:
        return None
    i = lo + int(np.argmax(d[lo:hi]))
    a, b, c = d[i - 1], d[i], d[i + 1]
    den = a - 2 * b + c
    shift = 0.5 * (a - c) / den if den < 0 else 0.0
    # d[i] = p[i] - p[i+1]: the edge lies between samples i and i + 1
    return i + 0.5 + float(np.clip(shift, -0.5, 0.5)), float(b)


def measure_field(grey: NDArray[np.uint8], to_image: NDArray[np.float64],
                  name: str, layout: FieldLayout, px_per_mm: float) -> FieldPrint | None:
    """The baseline of a field's text (reference pixels), or None where the field shows
    no measurable text.

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
    cols = np.nonzero(ink.sum(axis=0) >= 2)[0]
    if cols.size < 4 or cols[-1] - cols[0] < MIN_TEXT_CAPS * layout.cap * k:
        return None  # one or two glyphs: a letter's own edges (P's bowl) outweigh the line
    text = np.where(ink, dark, 0.0).astype(np.float64)
    rows = text[:, cols[0]:cols[-1] + 1].mean(axis=1)
    rows = np.convolve(rows, [0.25, 0.5, 0.25], mode="same")
    base_nom = (layout.baseline[1] - y0) * k
    found = _fall(rows, base_nom, SEARCH_CAP * layout.cap * k)
    if found is None:
        return None
    base, fall = found
    body = rows[max(int(base - 0.8 * layout.cap * k), 0):int(base)]
    level = float(np.median(body)) if body.size else 0.0
    if level <= 0 or fall < 0.2 * level:
        return None
    return FieldPrint(name=name, baseline=y0 + base / k)


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
    version = "1"
    description = ("personalised text placed against the layout of the document's design: "
                   "a field off the others' offset was printed again")
    codes = ("FIELD_TEXT_MISPLACED",)

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
        findings: list[Finding] = []
        h, w = analysis.shape
        for i in order:
            if dev[i] <= FINDING_MM:
                break
            m = measured[int(i)]
            bx, by, bw, bh = design.fields[m.name].box
            corners = np.array([[[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]]],
                               np.float32)
            pts = cv2.perspectiveTransform(corners, ref_to_image.astype(np.float64))[0]
            x0, y0 = np.clip(pts.min(axis=0), 0, [w - 1, h - 1])
            x1, y1 = np.clip(pts.max(axis=0), 0, [w - 1, h - 1])
            findings.append(self.finding(
                "FIELD_TEXT_MISPLACED", "medium",
                f"the {m.name.replace('_', ' ')} is printed {dev[i]:.2f} mm off the line the "
                f"other fields' text keeps: printed again after the document was issued?",
                region=(int(x0), int(y0), max(1, int(x1 - x0)), max(1, int(y1 - y0))),
                data={"field": m.name, "deviation_mm": round(float(dev[i]), 3)}))
        return self.result(score=score, findings=findings, data=data)
