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
  overprinted in another font or size);
* glyphs against their twins (:func:`self_consistency`): each character compared with
  the same character printed elsewhere in the same MRZ -- same document, same capture,
  so blur, resolution and the issuer's rendering cancel, and a date or number overprinted
  in another font stands out (finding ``PRINT_MRZ_GLYPHS_DIFFER``). Its cells come from
  :func:`cell_edges`, which matches OCR-B's column profile of the read text along each
  line (the centroid grid above is kept for the pitch and the cell measures).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.forensics.base import Analysis, Detector, DetectorResult
from docfraud.forensics.mrzlogic import reading_unsure
from docfraud.forensics.registry import register

OCRB_FONT = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
# OCR-B size 1: cap height about 2.35 mm on a 2.54 mm pitch, lines 4.23 mm apart
PITCH_PER_HEIGHT = 2.54 / 2.35
SPACING_PER_HEIGHT = 4.23 / 2.35
CELL_H = 32  # glyph comparison size, pixels


@cache
def _ocrb(size: int) -> Any:
    """OCR-B at ``size`` pixels per em (a PIL font), None where it is not installed."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype(OCRB_FONT, size)
    except OSError:
        return None


@cache
def _template(char: str) -> NDArray[np.float32] | None:
    """The OCR-B glyph of ``char`` as a (CELL_H, CELL_H) ink map in [0, 1], ink-box aligned."""
    from PIL import Image, ImageDraw

    font = _ocrb(64)
    if font is None:
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
    line_profiles: list[tuple[str, NDArray[np.float32], int, int, float]] = []
    # the pitch the crop's extent gives (upright_mrz pads 0.6 glyph heights each side):
    # the ink's extent falls short where part of the line is faded
    span_pitch = max(gray.shape[1] - 1.2 * glyph, 1.0) / max(len(lines[0]), 1)
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
        line_profiles.append((text, soft[a:b].sum(axis=0), a, b, pitch))
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
    # the cells of the glyph comparison within the MRZ, placed by the glyph height measured
    # here (the reader's can be far off)
    matched: list[dict[str, Any]] = []
    for text, profile, a, b, pitch in line_profiles:
        edges = cell_edges(profile, text, (pitch, span_pitch), height)
        if edges is None:
            continue
        for i, ch in enumerate(text):
            if ch != "<" and edges[i] >= 0 and edges[i + 1] <= profile.shape[0]:
                matched.append({"char": ch, "box": (round(edges[i]), a, round(edges[i + 1]), b)})
    out.update(self_consistency(gray, matched, height))
    if n > 1:
        out["spacing_per_height"] = float(np.median(np.diff(centres)) / height)
    return out


#: OCR-B glyph column profiles: rendered at this size, sampled every half pixel from the
#: centre of the advance, PROFILE_REACH pixels either side
PROFILE_SIZE, PROFILE_REACH = 64, 48


@cache
def _cap_height() -> float | None:
    """Cap height of OCR-B rendered at PROFILE_SIZE (ink height of 'H')."""
    prof = _glyph_image("H")
    if prof is None:
        return None
    rows = np.nonzero(prof.sum(axis=1) > 0)[0]
    return float(rows[-1] - rows[0] + 1)


@cache
def _glyph_image(char: str) -> NDArray[np.float32] | None:
    """OCR-B ``char`` at PROFILE_SIZE, ink in [0, 1], the advance centred on column 80."""
    from PIL import Image, ImageDraw

    font = _ocrb(PROFILE_SIZE)
    if font is None:
        return None
    advance = float(font.getlength("0"))  # OCR-B is monospaced
    img = Image.new("L", (160, 96), 0)
    ImageDraw.Draw(img).text((80 - advance / 2, 8), char, font=font, fill=255)
    return np.asarray(img, dtype=np.float32) / 255.0


@cache
def _column_profile(char: str) -> NDArray[np.float32] | None:
    """Ink of the OCR-B glyph ``char`` summed down each column, in cap heights, sampled
    every half pixel of PROFILE_SIZE from PROFILE_REACH left to PROFILE_REACH right of the
    centre of its advance."""
    img, cap = _glyph_image(char), _cap_height()
    if img is None or cap is None:
        return None
    cols = img.sum(axis=0) / cap
    xs = 80 + np.arange(-PROFILE_REACH, PROFILE_REACH + 0.25, 0.5)
    return np.asarray(np.interp(xs, np.arange(cols.shape[0]), cols, left=0.0, right=0.0),
                      np.float32)


def cell_edges(profile: NDArray[np.float32], text: str, pitches: tuple[float, float],
               glyph: float) -> NDArray[np.float64] | None:
    """The ``len(text) + 1`` boundaries of the character cells of one MRZ line.

    ``profile`` is the line's column ink profile. Each character's OCR-B column profile
    (glyphs ``glyph`` pixels high) is matched along it, and the best chain of cell
    centres, each 0.85-1.15 ``pitch`` after the last, is found by dynamic programming: a
    capture's perspective and lens bend the pitch along the line, so no one regular (or
    quadratic) grid fits a whole line, and a grid fitted to ink centroids slips by a cell
    along runs of fillers. ``pitches``: two estimates (the steps may range 0.85 times the
    smaller to 1.15 times the larger; the second is preferred). Boundaries lie halfway
    between centres. None without OCR-B or when the profile is too short.
    """
    import cv2

    n, width = len(text), profile.shape[0]
    pitch = pitches[1]
    low, high = min(pitches), max(pitches)
    glyphs = {c: _column_profile(c) for c in set(text)}
    cap = _cap_height()
    if (n < 4 or pitch < 4 or width < n * pitch * 0.8 or cap is None
            or any(g is None for g in glyphs.values())):
        return None
    scale = glyph / cap  # image pixels per PROFILE_SIZE pixel
    sigma = max(pitch / 12.0, 0.7)
    prof = cv2.GaussianBlur(profile.astype(np.float32).reshape(1, -1), (0, 0), sigma).ravel()
    # take away the paper's slow trend (one cell's running mean)
    win = max(3, int(pitch) | 1)
    prof = prof - cv2.blur(prof.reshape(1, -1), (win, 1)).ravel()
    half = int(pitch / 2)
    t = np.arange(-half, half + 1, dtype=np.float64)
    response: dict[str, NDArray[np.float64]] = {}
    for c, g in glyphs.items():
        assert g is not None
        raw = np.interp(t / scale * 2 + PROFILE_REACH * 2, np.arange(g.shape[0]), g,
                        left=0.0, right=0.0)
        kern = cv2.GaussianBlur(raw.astype(np.float32).reshape(1, -1), (0, 0), sigma).ravel()
        kern = kern - kern.mean()
        response[c] = np.correlate(prof.astype(np.float64), kern.astype(np.float64), "same")
    steps = np.arange(max(2, int(0.85 * low)), int(np.ceil(1.15 * high)) + 1)
    penalty = 0.02 * float(np.abs(np.stack(list(response.values()))).max()) * (
        (steps - pitch) / pitch) ** 2 * 10
    value = response[text[0]].copy()
    back = np.zeros((n, width), np.int64)
    for i in range(1, n):
        best = np.full(width, -np.inf)
        arg = np.zeros(width, np.int64)
        for d, pen in zip(steps, penalty, strict=True):
            cand = np.full(width, -np.inf)
            cand[d:] = value[:-d] - pen
            better = cand > best
            best[better] = cand[better]
            arg[better] = d
        value = best + response[text[i]]
        back[i] = arg
    if not np.isfinite(value.max()):  # no chain of n cells fits the profile
        return None
    centres = np.zeros(n, np.float64)
    x = int(np.argmax(value))
    for i in range(n - 1, -1, -1):
        centres[i] = x
        x -= int(back[i, x]) if i else 0
    mids = (centres[1:] + centres[:-1]) / 2
    first = centres[0] - (centres[1] - centres[0]) / 2
    last = centres[-1] + (centres[-1] - centres[-2]) / 2
    return np.concatenate([[first], mids, [last]])


#: a character whose glyph differs from the same character elsewhere in the MRZ by more
#: than this (1 - normalised correlation) counts as an odd one out
SELF_ODD = 0.15
#: PRINT_MRZ_GLYPHS_DIFFER when the second largest dissimilarity exceeds this (above the
#: 99.5th percentile of genuine development documents, seeds 3307-3310: 0.29)
SELF_DIFFER = 0.30
#: ... and no more than this share of the compared glyphs are odd
SELF_ODD_SHARE = 0.3


def _glyph_window(q_source: NDArray[np.float32], box: tuple[int, int, int, int],
                  size: tuple[int, int], reach: int) -> NDArray[np.float32] | None:
    """Ink map (0 paper .. 1 ink, normalised on the glyph's own surroundings, so fading
    and tints cancel) of ``size`` (h, w) centred on the ink centroid of cell ``box`` of
    the padded gray ``q_source`` (padded by ``2 * reach``)."""
    x0, a, x1, b = box
    cx0, cy0 = (x0 + x1) // 2 + 2 * reach, (a + b) // 2 + 2 * reach
    big = q_source[cy0 - reach:cy0 + reach, cx0 - reach:cx0 + reach]
    lo, hi = float(np.percentile(big, 2)), float(np.percentile(big, 85))
    q = np.clip((hi - big) / max(hi - lo, 8.0), 0.0, 1.0)
    q = np.clip((q - 0.3) / 0.5, 0.0, 1.0)  # light background print drops out
    ya, xa = max(a - cy0 + 3 * reach, 0), max(x0 - cx0 + 3 * reach, 0)
    w = q[ya:b - cy0 + 3 * reach, xa:x1 - cx0 + 3 * reach]
    w = np.where(w > 0.5, w, 0.0)
    if w.sum() < 1:
        return None
    cy = float((w.sum(axis=1) * np.arange(w.shape[0])).sum() / w.sum()) + ya
    cx = float((w.sum(axis=0) * np.arange(w.shape[1])).sum() / w.sum()) + xa
    h, wd = size
    y0 = min(max(round(cy - h / 2), 0), 2 * reach - h)
    x0_ = min(max(round(cx - wd / 2), 0), 2 * reach - wd)
    return np.asarray(q[y0:y0 + h, x0_:x0_ + wd], np.float32)


#: glyphs are compared at this height (pixels; windows resampled to it): the cost of a
#: comparison does not grow with the capture's resolution
SELF_GLYPH_PX = 48
#: each glyph is compared with at most this many twins (spread along the group)
SELF_MAX_TWINS = 12


def self_consistency(gray: NDArray[np.uint8], cells: list[dict[str, Any]], glyph: float
                     ) -> dict[str, float]:
    """How far single MRZ characters differ from the same character printed elsewhere in
    the same MRZ: an overprinted date or number in another font, size or weight stands
    out against the issuer's own glyphs on the same document and capture, which a
    comparison with the OCR-B template (blur, resolution, the issuer's rendering)
    cannot resolve. ``cells``: ``{"char", "box": (x0, y0, x1, y1)}`` from
    :func:`cell_edges`; ``glyph``: the glyph height (pixels). Each glyph is compared
    (normalised correlation, shifts up to a fifth of a glyph vertically and an eighth
    horizontally) with the other glyphs of its character (at most SELF_MAX_TWINS); its
    dissimilarity (1 - correlation) is the median over them. A glyph or twin without
    contrast in the compared middle is not compared. Returns ``glyph_self_max`` (the
    largest), ``glyph_self_second`` (the second largest, not counting the largest's twin
    where the two are their character's only pair: they share one comparison),
    ``glyph_self_median``, ``glyph_self_odd`` (how many exceed SELF_ODD) and
    ``glyph_self_n`` (how many were compared); nothing when fewer than 8 glyphs have a
    twin or the glyphs are under 6 pixels high."""
    import cv2

    if len(cells) < 8 or not math.isfinite(glyph) or glyph < 6:
        return {}
    if glyph > SELF_GLYPH_PX:  # a large capture: compared at SELF_GLYPH_PX, done so once
        f = SELF_GLYPH_PX / glyph
        gray = np.asarray(cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA),
                          np.uint8)
        cells = [{**c, "box": tuple(round(v * f) for v in c["box"])} for c in cells]
        glyph = SELF_GLYPH_PX
    pitch = float(np.median([c["box"][2] - c["box"][0] for c in cells]))
    if pitch < 3:
        return {}
    size = (round(glyph * 1.5), round(pitch * 1.2))
    reach = int(max(size)) + 1
    padded = np.pad(gray.astype(np.float32), 2 * reach, mode="edge")
    k = SELF_GLYPH_PX / glyph
    mh, mw = round(0.2 * SELF_GLYPH_PX), round(0.12 * SELF_GLYPH_PX)
    maps: list[NDArray[np.float32] | None] = []
    for c in cells:
        win = _glyph_window(padded, c["box"], size, reach)
        if win is not None:
            win = np.asarray(cv2.resize(win, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC
                                        if k > 1 else cv2.INTER_AREA), np.float32)
            if win.shape[0] <= 2 * mh + 1 or win.shape[1] <= 2 * mw + 1:
                win = None
        maps.append(win)
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(cells):
        if maps[i] is not None:
            groups.setdefault(c["char"], []).append(i)

    def middle(x: NDArray[np.float32] | None) -> NDArray[np.float32] | None:
        if x is None:
            return None
        m = x[mh:-mh, mw:-mw]
        return m if float(m.std()) > 1e-3 else None

    middles = [middle(x) for x in maps]
    pairs: dict[tuple[int, int], float | None] = {}  # one comparison per pair, both ways

    def dissimilarity(i: int, j: int) -> float | None:
        key = (min(i, j), max(i, j))
        if key not in pairs:
            a, b, mid_a, mid_b = maps[i], maps[j], middles[i], middles[j]
            if a is None or b is None or mid_a is None or mid_b is None or b.shape != a.shape:
                pairs[key] = None
            else:
                r = max(float(cv2.matchTemplate(b, mid_a, cv2.TM_CCOEFF_NORMED).max()),
                        float(cv2.matchTemplate(a, mid_b, cv2.TM_CCOEFF_NORMED).max()))
                pairs[key] = 1.0 - r
        return pairs[key]

    scores: list[tuple[float, int, int]] = []  # (dissimilarity, cell, its group's size)
    for idx in groups.values():
        if len(idx) < 2:
            continue
        for ii, i in enumerate(idx):
            others = [j for jj, j in enumerate(idx) if jj != ii]
            if len(others) > SELF_MAX_TWINS:
                others = [others[int(t)] for t in
                          np.linspace(0, len(others) - 1, SELF_MAX_TWINS).round()]
            d = [dv for j in others if (dv := dissimilarity(i, j)) is not None]
            if d:
                scores.append((float(np.median(d)), i, len(idx)))
    if len(scores) < 8:
        return {}
    scores.sort(key=lambda t: -t[0])
    top, top_cell, top_group = scores[0]
    twin = ({j for j in groups[cells[top_cell]["char"]] if j != top_cell}
            if top_group == 2 else set())
    second = next(s for s, i, _ in scores[1:] if i not in twin) if len(scores) > 2 else top
    v = np.array([s for s, _, _ in scores])
    return {"glyph_self_max": top, "glyph_self_second": float(second),
            "glyph_self_median": float(np.median(v)),
            "glyph_self_odd": float((v > SELF_ODD).sum()), "glyph_self_n": float(v.size)}


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
    version = "3"
    description = ("MRZ print against ICAO/OCR-B: pitch, baseline, geometry, glyph shapes, "
                   "glyphs against their twins in the same MRZ")
    codes = ("PRINT_MRZ_PITCH_IRREGULAR", "PRINT_MRZ_BASELINE_IRREGULAR",
             "PRINT_MRZ_GEOMETRY", "PRINT_MRZ_FONT_MISMATCH", "PRINT_MRZ_GLYPHS_DIFFER")

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
        # glyphs unlike their twins: the second largest dissimilarity (one odd glyph can be
        # a smudge), z = 3 at SELF_DIFFER; not where most glyphs differ (an MRZ misread or
        # segmented wrongly, not overprinted in places) nor where the reading is unsure
        # (MRZ_UNSURE_READING: its characters, which pair the twins, may be misread)
        self_z = 0.0
        second, odd = m.get("glyph_self_second"), m.get("glyph_self_odd")
        if (second is not None and odd is not None and odd <= SELF_ODD_SHARE * m["glyph_self_n"]
                and not reading_unsure(analysis.mrz)):
            self_z = max(0.0, (second - 0.10) / ((SELF_DIFFER - 0.10) / 3.0))
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
        if self_z > 3:
            findings.append(self.finding(
                "PRINT_MRZ_GLYPHS_DIFFER", "medium",
                f"{odd:.0f} MRZ characters are shaped unlike the same characters elsewhere in "
                f"this MRZ (dissimilarity {m['glyph_self_max']:.2f}, genuine prints under "
                f"{SELF_DIFFER:.2f}): overprinted in another font or size?", region=zone))
        z = max(pitch_z, base_z, geom_z, font_z, self_z)
        score = 1.0 - math.exp(-max(0.0, z - 1.0) / 3.0)
        return self.result(score=score, findings=findings, data={k: v for k, v in m.items()})
