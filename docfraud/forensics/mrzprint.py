"""Detector 3, MRZ print: does the MRZ look printed the way ICAO and issuers print it?

The MRZ is set in OCR-B at a fixed pitch of 2.54 mm (10 characters per inch) on lines
4.23 mm apart, all characters on one baseline. Genuine printers hold these to a fraction
of a pixel; counterfeit workshops and hand edits often do not: another monospaced font,
a pitch that drifts, characters pasted a little high or low, a line re-typed at another
size. The detector straightens the MRZ found by the reader, cuts each line into its
character cells and measures

* pitch: spread of the ink centroids around the regular grid, in pitch units;
* baseline: spread of the glyph bottoms (fillers '<' excluded), in glyph heights;
* geometry: pitch / glyph height and line spacing / glyph height against OCR-B's;
* glyph shape: correlation of each cell with the OCR-B glyph of the character read;
* cell consistency (measures for fusion): how far single cells stray from the rest in
  glyph height, stroke width, glyph correlation and top position (characters
  overprinted in another font or size).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.forensics.base import Analysis, Detector, DetectorResult
from docfraud.forensics.registry import register

OCRB_FONT = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
# OCR-B size 1: cap height about 2.35 mm on a 2.54 mm pitch, lines 4.23 mm apart
PITCH_PER_HEIGHT = 2.54 / 2.35
SPACING_PER_HEIGHT = 4.23 / 2.35
CELL_H = 32  # glyph comparison size, pixels


@cache
def _template(char: str) -> NDArray[np.float32] | None:
    """The OCR-B glyph of ``char`` as a (CELL_H, CELL_H) ink map in [0, 1], ink-box aligned."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype(OCRB_FONT, 64)
    except OSError:
        return None
    img = Image.new("L", (96, 96), 0)
    ImageDraw.Draw(img).text((16, 8), char, font=font, fill=255)
    return _normalise_glyph(np.asarray(img, dtype=np.float32) / 255.0)


def _normalise_glyph(ink: NDArray[np.float32]) -> NDArray[np.float32] | None:
    """Crop to the ink box, scale into a CELL_H square keeping the aspect ratio."""
    import cv2

    ys, xs = np.nonzero(ink > 0.35)
    if len(ys) < 4:
        return None
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    scale = (CELL_H - 4) / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((CELL_H, CELL_H), np.float32)
    y0, x0 = (CELL_H - nh) // 2, (CELL_H - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = small
    return out


def _corr(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    a = a - a.mean()
    b = b - b.mean()
    d = math.sqrt(float((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / d) if d > 1e-9 else 0.0


def upright_mrz(analysis: Analysis) -> tuple[NDArray[np.uint8], float] | None:
    """The MRZ area rotated upright as (h, w) uint8 gray, plus the glyph height in it.

    Uses the reader's ``region`` (bounding box), ``angle`` (text direction, degrees) and
    ``glyph_height``; None when they are missing.
    """
    import cv2

    mrz = analysis.mrz
    if mrz is None or not mrz.found:
        return None
    region, angle = mrz.extra.get("region"), mrz.extra.get("angle")
    glyph = mrz.extra.get("glyph_height")
    if region is None or angle is None or not glyph:
        return None
    from docfraud.layout import rotated_extent

    x, y, w, h = (float(v) for v in region)
    extent = rotated_extent(region, float(angle))
    if extent is not None:
        length, height = extent
    else:
        n_chars = len(mrz.lines[0])
        length = n_chars * float(glyph) * PITCH_PER_HEIGHT
        height = (len(mrz.lines) - 1) * float(glyph) * SPACING_PER_HEIGHT + float(glyph)
    if length < 20 or height < 4:
        return None
    pad = 0.6 * float(glyph)
    out_w, out_h = int(length + 2 * pad), int(height + 2 * pad)
    cx, cy = x + w / 2, y + h / 2
    # rotate about the MRZ centre so the text runs left to right, then crop
    m = cv2.getRotationMatrix2D((cx, cy), float(angle), 1.0)
    m[0, 2] += out_w / 2 - cx
    m[1, 2] += out_h / 2 - cy
    crop = cv2.warpAffine(analysis.gray, m, (out_w, out_h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(crop, np.uint8), float(glyph)


def measure(gray: NDArray[np.uint8], lines: list[str], glyph: float) -> dict[str, Any] | None:
    """Print measurements of an upright MRZ crop whose text is ``lines``."""
    import cv2

    blur = cv2.GaussianBlur(gray, (0, 0), max(glyph / 20.0, 0.5))
    _, ink = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink01 = (ink > 0).astype(np.float32)
    rows = ink01.sum(axis=1)
    if rows.max() <= 0:
        return None
    # line bands: split the row profile into len(lines) bands around its peaks
    n = len(lines)
    active = rows > 0.15 * rows.max()
    bands: list[tuple[int, int]] = []
    start = None
    for i, a in enumerate(active):
        if a and start is None:
            start = i
        elif not a and start is not None:
            bands.append((start, i))
            start = None
    if start is not None:
        bands.append((start, len(active)))
    bands = [b for b in bands if b[1] - b[0] >= 0.4 * glyph]
    if len(bands) != n:
        return None
    pitch_dev: list[float] = []
    base_dev: list[float] = []
    corrs: list[float] = []
    heights: list[float] = []
    pitches: list[float] = []
    centres = [(a + b) / 2 for a, b in bands]
    # soft ink (0 paper .. 1 ink) for stroke widths: 2 x ink area / ink perimeter
    lo, hi = float(np.percentile(blur, 5)), float(np.percentile(blur, 95))
    soft = np.clip((hi - blur.astype(np.float32)) / max(hi - lo, 1.0), 0.0, 1.0)
    cells: list[dict[str, Any]] = []
    centres_done: list[int] = []
    for (a, b), text in zip(bands, lines, strict=True):
        band = ink01[a:b]
        cols = np.nonzero(band.sum(axis=0) > 0)[0]
        if len(cols) < len(text):
            return None
        left, right = float(cols[0]), float(cols[-1] + 1)
        # first and last cells are not always inked ('<'): fit the grid on inked cells
        pitch = (right - left) / len(text)
        pitches.append(pitch)

        def centroids(band: NDArray[np.float32], centres: list[float], half: float
                      ) -> list[tuple[int, float]]:
            out = []
            for i, c in enumerate(centres):
                x0, x1 = max(0, int(c - half)), max(1, int(c + half))
                cell = band[:, x0:x1]
                mass = cell.sum()
                if mass >= 3:
                    out.append((i, float((cell.sum(axis=0) * np.arange(cell.shape[1])).sum()
                                         / mass) + x0))
            return out

        # pass 1 on an even grid; pass 2 on a grid refitted with a quadratic, which follows
        # the smooth change of pitch that perspective causes but not single stray glyphs
        grid = [left + (i + 0.5) * pitch for i in range(len(text))]
        first = centroids(band, grid, pitch / 2)
        if len(first) < 4:
            return None
        idx = np.array([i for i, _ in first], np.float64)
        model = np.polyfit(idx, np.array([c for _, c in first]), 2)
        fitted = np.polyval(model, np.arange(len(text), dtype=np.float64))
        xs = centroids(band, list(fitted), pitch / 2)
        ys_bottom: list[tuple[float, float]] = []
        for i, ch in enumerate(text):
            if ch == "<":
                continue
            x0, x1 = max(0, int(fitted[i] - pitch / 2)), max(1, int(fitted[i] + pitch / 2))
            cell = band[:, x0:x1]
            if cell.sum() < 3:
                continue
            ys = np.nonzero(cell.sum(axis=1) > 0)[0]
            ys_bottom.append((float(fitted[i]), float(ys[-1])))
            heights.append(float(ys[-1] - ys[0] + 1))
            tmpl = _template(ch)
            glyph_map = _normalise_glyph(cell)
            corr = None
            if tmpl is not None and glyph_map is not None:
                corr = _corr(glyph_map, tmpl)
                corrs.append(corr)
            soft_cell = soft[a:b, x0:x1]
            perimeter = float(np.abs(np.diff(soft_cell, axis=0)).sum()
                              + np.abs(np.diff(soft_cell, axis=1)).sum())
            stroke = 2.0 * float(soft_cell.sum()) / perimeter if perimeter > 0 else None
            cells.append({"height": float(ys[-1] - ys[0] + 1), "top": float(a + ys[0]),
                          "x": float(fitted[i]), "corr": corr, "stroke": stroke,
                          "line": len(centres_done)})
        if len(xs) >= 5:
            idx = np.array([i for i, _ in xs], np.float64)
            cxs = np.array([c for _, c in xs], np.float64)
            coef = np.polyfit(idx, cxs, 2)
            pitch_dev.extend(list((cxs - np.polyval(coef, idx)) / max(pitch, 1e-6)))
        if len(ys_bottom) >= 4:
            # residual from a straight baseline: a tilt is not an irregularity
            bx = np.array([x for x, _ in ys_bottom])
            by = np.array([y for _, y in ys_bottom])
            line = np.polyfit(bx, by, 1)
            base_dev.extend(list((by - np.polyval(line, bx)) / max(glyph, 1.0)))
        centres_done.append(a)
    if not heights or not pitch_dev:
        return None
    height = float(np.median(heights))
    out: dict[str, Any] = {
        "pitch_spread": float(np.std(pitch_dev)),
        "pitch_max": float(np.max(np.abs(pitch_dev))),
        "baseline_spread": float(np.std(base_dev)) if base_dev else 0.0,
        "pitch_per_height": float(np.median(pitches) / height),
        "glyph_corr": float(np.median(corrs)) if corrs else None,
        "glyph_corr_low": float(np.percentile(corrs, 10)) if corrs else None,
    }
    out.update(cell_consistency(cells, glyph))
    if n > 1:
        out["spacing_per_height"] = float(np.median(np.diff(centres)) / height)
    return out


def cell_consistency(cells: list[dict[str, Any]], glyph: float) -> dict[str, float]:
    """How much single character cells differ from the rest of the MRZ (an overprinted
    character comes in another font or size): the largest relative deviation of a cell's
    glyph height and stroke width from the median, the number of cells deviating more
    than 10 % (height) / 25 % (stroke), the shortfall of the worst glyph correlation
    below the median, the number of cells more than 0.15 below it, and the largest top
    deviation from its line's straight fit, in glyph heights."""
    out: dict[str, float] = {}
    if len(cells) < 8:
        return out
    h = np.array([c["height"] for c in cells])
    dev = np.abs(h - np.median(h)) / max(float(np.median(h)), 1.0)
    out["cell_height_dev"] = float(dev.max())
    out["cell_height_outliers"] = float((dev > 0.10).sum())
    strokes = np.array([c["stroke"] for c in cells if c["stroke"] is not None])
    if strokes.size >= 8:
        sdev = np.abs(strokes - np.median(strokes)) / max(float(np.median(strokes)), 1e-6)
        out["cell_stroke_dev"] = float(sdev.max())
        out["cell_stroke_outliers"] = float((sdev > 0.25).sum())
    corrs = np.array([c["corr"] for c in cells if c["corr"] is not None])
    if corrs.size >= 8:
        med = float(np.median(corrs))
        out["cell_corr_gap"] = float(med - corrs.min())
        out["cell_corr_outliers"] = float((corrs < med - 0.15).sum())
    tops: list[float] = []
    for line in {c["line"] for c in cells}:
        pts = [(c["x"], c["top"]) for c in cells if c["line"] == line]
        if len(pts) >= 4:
            x = np.array([p[0] for p in pts])
            y = np.array([p[1] for p in pts])
            fit = np.polyfit(x, y, 1)
            tops.extend(list(np.abs(y - np.polyval(fit, x)) / max(glyph, 1.0)))
    if tops:
        out["cell_top_dev"] = float(max(tops))
    return out


@register
class MrzPrintDetector(Detector):
    name = "mrzprint"
    version = "1"
    description = "MRZ print against ICAO/OCR-B: pitch, baseline, geometry, glyph shapes"
    codes = ("PRINT_MRZ_PITCH_IRREGULAR", "PRINT_MRZ_BASELINE_IRREGULAR",
             "PRINT_MRZ_GEOMETRY", "PRINT_MRZ_FONT_MISMATCH")

    def applies_to(self, analysis: Analysis) -> bool:
        mrz = analysis.mrz
        return mrz is not None and mrz.found and "region" in mrz.extra

    def not_applicable_reason(self, analysis: Analysis) -> str:
        return "no MRZ located in the image"

    def run(self, analysis: Analysis) -> DetectorResult:
        assert analysis.mrz is not None
        crop = upright_mrz(analysis)
        if crop is None:
            return DetectorResult(detector=self.name, status="not_applicable",
                                  reason="MRZ geometry unknown")
        gray, glyph = crop
        if glyph < 9:
            return DetectorResult(detector=self.name, status="not_applicable",
                                  reason=f"MRZ characters too small to measure ({glyph:.0f} px)")
        m = measure(gray, list(analysis.mrz.lines), glyph)
        if m is None:
            return DetectorResult(detector=self.name, status="not_applicable",
                                  reason="MRZ lines could not be segmented for measurement")
        zone = analysis.zones.get("mrz")
        findings = []
        # deviations in units of their genuine spread, combined into one score
        pitch_z = max(0.0, (m["pitch_spread"] - 0.06) / 0.04)
        base_z = max(0.0, (m["baseline_spread"] - 0.05) / 0.03)
        geom_z = abs(m["pitch_per_height"] - PITCH_PER_HEIGHT) / 0.12
        if "spacing_per_height" in m:
            geom_z = max(geom_z, abs(m["spacing_per_height"] - SPACING_PER_HEIGHT) / 0.25)
        corr = m["glyph_corr"]
        font_z = max(0.0, (0.80 - corr) / 0.07) if corr is not None else 0.0
        if pitch_z > 3:
            findings.append(self.finding(
                "PRINT_MRZ_PITCH_IRREGULAR", "medium",
                f"MRZ characters stray from a regular pitch (spread {m['pitch_spread']:.2f} "
                "pitch): printed or pasted in pieces?", region=zone))
        if base_z > 3:
            findings.append(self.finding(
                "PRINT_MRZ_BASELINE_IRREGULAR", "medium",
                f"MRZ characters do not share one baseline (spread "
                f"{m['baseline_spread']:.2f} glyph heights)", region=zone))
        if geom_z > 3:
            findings.append(self.finding(
                "PRINT_MRZ_GEOMETRY", "medium",
                f"MRZ pitch or line spacing off ICAO geometry (pitch/height "
                f"{m['pitch_per_height']:.2f}, expected {PITCH_PER_HEIGHT:.2f})", region=zone))
        if font_z > 3:
            findings.append(self.finding(
                "PRINT_MRZ_FONT_MISMATCH", "high",
                f"MRZ glyphs do not match OCR-B (median correlation {corr:.2f})", region=zone))
        z = max(pitch_z, base_z, geom_z, font_z)
        score = 1.0 - math.exp(-max(0.0, z - 1.0) / 3.0)
        return self.result(score=score, findings=findings, data={k: v for k, v in m.items()})
