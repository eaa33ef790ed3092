"""Find the MRZ in a document image and cut out one rectified strip per MRZ line.

Method (all on a copy scaled so its longer side is ``WORK_SIZE`` px):

1. black-hat filter: dark strokes on lighter ground, whatever their size;
2. text orientation: the dominant direction between neighbouring character blobs
   (histogram of nearest-neighbour angles), so any rotation and tilt works;
3. rotate the binary stroke map to horizontal, join characters into line blobs,
   and merge collinear pieces;
4. group 2 or 3 long, parallel, equally long, evenly spaced lines into MRZ candidates;
5. for each line, sample a strip straight from the full-resolution image with one
   affine warp, scaled to a glyph height of ``STRIP_GLYPH`` px.

The text may still be upside down (0 or 180 degrees): the reader decides that by
recognition confidence and check digits.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

#: Longer side of the working copy, in pixels.
WORK_SIZE = 1000
#: Glyph height of the strips handed to the recogniser, in pixels.
STRIP_GLYPH = 24.0
#: Line pieces merged at most (bounds the time spent on heavily textured pages).
MAX_BOXES = 1200
#: Lines with a smaller glyph height in the original image are no MRZ, px.
MIN_GLYPH_PX = 4.0
#: Groups per text direction that the exhaustive search also traces along bent lines.
TRACED_GROUPS = 2
#: Two pieces of a row are chained into one line across a gap of at most this many
#: line heights (see _chained) ...
CHAIN_GAP = 8.0
#: ... and a group holding a chained line scores this much less.
CHAINED_PENALTY = 0.2
#: Offsets (degrees) from the strongest text direction also tried by the exhaustive
#: search where no likely direction gives a candidate.
NEAR_ANGLES = (-2.5, 2.5, -5.0, 5.0)
#: ... whose groups score this much of what they would (ranked after the others).
NEAR_RANK = 0.8
#: Strip height in glyph heights.
STRIP_HEIGHT = 2.4
#: Score discount of a two-line group completed from a line's pieces where a three-line
#: group holds its whole line (see _groups).
COMPLETED_PENALTY = 0.1
#: A group's lines are followed this many times their found length past either end
#: (see _extended_lines).
EXTEND_REACH = 1.5
#: ... and extended where they go on by at least this many glyph heights.
EXTEND_MIN = 1.5
#: Glyph height of the strips on which lines are followed past their ends, px.
EXTEND_GLYPH = 12.0
#: Groups per text direction and stroke map that are followed past their found ends.
EXTENDED_GROUPS = 2
#: Score factor of an extended group against the group as found (just below it).
EXTENDED_RANK = 0.999
#: A window past a line's found part holds text if its ink in the line's band is at
#: least this fraction of the found part's typical window.
EXTEND_INK = 0.15
#: ... or this fraction where the band holds at least four times the ink density of the
#: paper rows beside it (print washed out by glare).
EXTEND_FAINT = 0.02
#: The best this many groups per text direction and stroke map of the exhaustive search,
#: where they have two lines, are also completed to a three-line TD1 by a line at their
#: spacing beside them (see _completed_td1); locate returns at most twice this many
#: completions (the best scoring) in all.
COMPLETED_TD1_GROUPS = 2
#: Where the best group of a text direction has lines that all slope one way by at least
#: this (dy/dx in the rotated frame), the direction turned by their mean slope is searched
#: too (see _candidates).
SLOPE_RETRY = 0.01
#: ... and its groups are kept only where its best group scores this much more than the
#: best group before turning (its lines came out longer).
TURN_GAIN = 0.05
#: A line re-centred (_refine_line) by more than this many line spacings keeps its found
#: centre and glyph height: it has jumped onto its neighbour (an MRZ line over a texture
#: whose strongest ink band nearby is the next line).
REFINE_MAX_MOVE = 0.5


@dataclass(frozen=True)
class LineBox:
    """A text-line blob in the rotated working frame: centre, length, height (px)."""

    cx: float
    cy: float
    length: float
    height: float
    slope: float = 0.0  # dy/dx of the line's centre in the rotated frame
    #: one of two rows of pieces beside a whole line, one beyond the other
    #: (_completed_groups): print washed out towards one end, so the reader levels the
    #: ink (MrzCandidate.uneven)
    pieces: bool = False

    @property
    def left(self) -> float:
        return self.cx - self.length / 2

    @property
    def right(self) -> float:
        return self.cx + self.length / 2


@dataclass(frozen=True)
class MrzCandidate:
    """A group of MRZ lines found in the image.

    Attributes:
        strips: one (STRIP_HEIGHT * STRIP_GLYPH, L) uint8 grey strip per line, top line first
            in reading order if the text is upright (reverse order and rotate 180 degrees
            otherwise).
        angle: text direction in the original image, degrees (image x axis, y down).
        glyph_height: estimated glyph height in the original image, px.
        region: (x, y, w, h) bounding box of the MRZ in the original image.
        score: ranking score (higher is more MRZ-like).
        textured: found only among the darkest strokes (the page's background texture
            is printed almost as dark as the MRZ), so the reader should ignore faint ink.
        uneven: lines extended past their found part (_extended_lines): parts of the print
            may be much fainter than others (glare), so the reader levels the ink.
        added_line: index (in ``strips``) of a line added to a two-line group at the
            group's spacing where no line was found (_completed_td1: a TD1 whose outer
            line is lost in a texture), None for lines as found; the reader trusts such a
            reading only where the added line reads confidently.
    """

    strips: tuple[NDArray[np.uint8], ...]
    angle: float
    glyph_height: float
    region: tuple[int, int, int, int]
    score: float
    textured: bool = False
    uneven: bool = False
    added_line: int | None = None

    @property
    def n_lines(self) -> int:
        return len(self.strips)

    @property
    def completed(self) -> bool:
        """A line was added where none was found (see ``added_line``)."""
        return self.added_line is not None


def _to_gray(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    import cv2

    if image.ndim == 2:
        return image
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def _stroke_maps(small: NDArray[np.uint8], *, exhaustive: bool) -> list[NDArray[np.uint8]]:
    """Binary (0/255) maps of dark strokes: the black-hat above its Otsu threshold, and
    (``exhaustive``) above a second Otsu threshold among the strokes themselves.

    The second map keeps only the darkest strokes: where a guilloche or wave texture is
    printed almost as dark as the MRZ, the first map joins text and texture into one
    mesh, the second keeps the print.
    """
    import cv2

    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (13, 13))
    bh = cv2.morphologyEx(small, cv2.MORPH_BLACKHAT, kernel)
    thr, _ = cv2.threshold(bh, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    thr = max(thr, 20.0)
    maps = [np.asarray((bh > thr).astype(np.uint8) * 255, dtype=np.uint8)]
    if exhaustive:
        strokes = bh[bh > thr]
        if strokes.size >= 100:
            thr2, _ = cv2.threshold(strokes.reshape(1, -1), 0, 255,
                                    cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            if thr2 > 1.2 * thr:
                maps.append(np.asarray((bh > thr2).astype(np.uint8) * 255, dtype=np.uint8))
    return maps


def dominant_angle(binary: NDArray[np.uint8]) -> tuple[float, float]:
    """Dominant text direction in degrees [0, 180) and the median blob height."""
    peaks, size = text_angles(binary, peaks=1)
    return peaks[0], size


def text_angles(binary: NDArray[np.uint8], *, peaks: int = 3) -> tuple[list[float], float]:
    """Up to ``peaks`` likely text directions in degrees [0, 180), strongest first, and the
    median blob height.

    Uses the direction from each small blob to its nearest neighbour: inside text
    lines characters are closer to each other than to the next line.
    """
    import cv2

    n, _, stats, cents = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n < 4:
        return [0.0], 10.0
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    size = np.maximum(w, h)
    keep = (area >= 3) & (size <= 60) & (size >= 3)
    pts = cents[1:][keep]
    if len(pts) < 4:
        return [0.0], 10.0
    if len(pts) > 2500:  # plenty for a histogram; bounds the exact search below
        pts = pts[np.linspace(0, len(pts) - 1, 2500).astype(int)]
    pts32 = np.ascontiguousarray(pts, dtype=np.float32)
    # exact (hence deterministic) nearest neighbours by OpenCV's FLANN linear search
    index = cv2.flann_Index(pts32, {"algorithm": 0})  # type: ignore[attr-defined]
    nn, _ = index.knnSearch(pts32, 3)
    angles = []
    for j in (1, 2):
        v = pts32[nn[:, j]] - pts32
        ok = (v != 0).any(axis=1)
        angles.append(np.degrees(np.arctan2(v[ok, 1], v[ok, 0])) % 180.0)
    ang = np.concatenate(angles)
    hist = np.bincount(np.round(ang).astype(int) % 180, minlength=180).astype(np.float64)
    kern = np.exp(-0.5 * (np.arange(-6, 7) / 2.0) ** 2)
    smooth = np.convolve(np.concatenate([hist[-6:], hist, hist[:6]]), kern, mode="valid")
    found: list[float] = []
    for _ in range(peaks):
        peak = int(np.argmax(smooth))
        if smooth[peak] <= 0:
            break
        # sub-degree refinement: circular mean of angles near the peak
        d = ((ang - peak + 90.0) % 180.0) - 90.0
        near = np.abs(d) < 4.0
        found.append((peak + float(np.mean(d[near]))) % 180.0 if near.any() else float(peak))
        for k in range(-10, 11):  # suppress this peak before looking for the next
            smooth[(peak + k) % 180] = 0.0
    return found or [0.0], float(np.median(np.minimum(w, h)[keep]))


def _rotate(img: NDArray[np.uint8], angle: float) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """Rotate so that direction ``angle`` (deg, image coords) becomes the +x axis."""
    import cv2

    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos) + 1, int(h * cos + w * sin) + 1
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    out = cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_NEAREST, borderValue=0)
    return np.asarray(out, dtype=np.uint8), np.asarray(m, dtype=np.float64)


def _split_rows(mask: NDArray[np.bool_], x: int, y: int) -> list[list[float]]:
    """Boxes (x0, y0, x1, y1) of the text rows in one wide blob.

    Two MRZ lines printed close together (small glyphs, blur) touch here and there and
    form one blob; rows of the blob that hold little ink separate them.
    """
    prof = mask.sum(axis=1).astype(np.float64)
    on = np.concatenate([[False], prof > 0.2 * prof.max(), [False]])
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    tall = max(6.0, 0.35 * mask.shape[0])
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)
            if b - a >= tall]
    if len(runs) < 2:
        return [[float(x), float(y), float(x + mask.shape[1]), float(y + mask.shape[0])]]
    out = []
    for a, b in runs:
        cols = np.flatnonzero(mask[a:b].any(axis=0))
        out.append([float(x + cols[0]), float(y + a), float(x + cols[-1] + 1), float(y + b)])
    return out


def _merge_pieces(boxes: list[list[float]]) -> list[list[float]]:
    """Merge boxes (x0, y0, x1, y1), sorted by x0, into line boxes: a box joins the first
    earlier line box it overlaps vertically by > 60 % of the smaller height (heights
    within 1.8x) with a horizontal gap < 1.5 heights; repeated until stable (4 rounds at
    most). Vectorised over the line boxes: textured pages give a thousand pieces."""
    merged = [list(b) for b in boxes]
    for _ in range(4):
        before = len(merged)
        out = np.zeros((max(1, len(merged)), 4))
        k = 0
        for b in merged:
            if k:
                m = out[:k]
                mh = m[:, 3] - m[:, 1]
                bh = b[3] - b[1]
                lo, hi = np.minimum(mh, bh), np.maximum(mh, bh)
                overlap = np.minimum(m[:, 3], b[3]) - np.maximum(m[:, 1], b[1])
                gap = np.maximum(b[0] - m[:, 2], m[:, 0] - b[2])
                ok = (overlap >= 0.6 * lo) & (hi <= 1.8 * lo) & (gap < 1.5 * lo)
                hit = np.flatnonzero(ok)
                if hit.size:
                    j = int(hit[0])
                    out[j, 0], out[j, 1] = min(out[j, 0], b[0]), min(out[j, 1], b[1])
                    out[j, 2], out[j, 3] = max(out[j, 2], b[2]), max(out[j, 3], b[3])
                    continue
            out[k] = b
            k += 1
        merged = [[float(v) for v in row] for row in out[:k]]
        if len(merged) == before:
            break
    return merged


def _line_boxes(binary_rot: NDArray[np.uint8]) -> list[LineBox]:
    """Text-line blobs in a horizontal binary stroke map."""
    import cv2

    closed = cv2.morphologyEx(
        binary_rot, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 1))
    )
    _n, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    boxes = []
    for i, (x, y, w, h, area) in enumerate(stats[1:], start=1):
        if h < 3 or h > 80 or w < 2 or area < 4:
            continue
        if h >= 16 and w >= 3 * h:
            boxes.extend(_split_rows(labels[y:y + h, x:x + w] == i, x, y))
            continue
        boxes.append([float(x), float(y), float(x + w), float(y + h)])
    if len(boxes) > MAX_BOXES:  # heavy background texture: keep the widest pieces
        boxes = sorted(boxes, key=lambda b: b[0] - b[2])[:MAX_BOXES]
    # merge collinear pieces: vertical overlap > 60 % and gap < 1.5 heights, until stable
    merged = _merge_pieces(sorted(boxes, key=lambda b: b[0]))
    out = []
    for x0, y0, x1, y1 in merged:
        if (x1 - x0) < 12 * 3 or (x1 - x0) < 3 * (y1 - y0):
            continue
        # thickness and tilt from the ink itself: a slightly tilted line has a tall box
        sub = closed[int(y0):int(y1), int(x0):int(x1)] > 0
        counts = sub.sum(axis=0).astype(np.float64)
        cols = np.flatnonzero(counts > 0)
        if cols.size < 10:
            continue
        top = np.argmax(sub, axis=0)[cols]
        bottom = sub.shape[0] - 1 - np.argmax(sub[::-1], axis=0)[cols]
        extent = (bottom - top + 1).astype(np.float64)
        thick = float(np.percentile(extent, 75))
        full = extent >= 0.7 * thick  # columns through whole glyphs, not stray marks
        if full.sum() < 10:
            continue
        mid = (top + bottom)[full] / 2.0
        slope, icpt = np.polyfit(cols[full].astype(np.float64), mid, 1)
        if abs(slope) > 0.06:  # not a straight text line
            slope, icpt = 0.0, float(np.median(mid))
        length = x1 - x0
        if length >= 12 * thick and thick >= 3:
            xm = (x1 - x0) / 2.0
            out.append(LineBox((x0 + x1) / 2, y0 + icpt + slope * xm, length, thick,
                               float(slope)))
    return out


def _row_beside(lines: list[LineBox], a: LineBox, near: LineBox,
                sign: float) -> LineBox | None:
    """The row of pieces next to ``near`` on side ``sign`` (-1 above, +1 below), inside
    the whole line ``a``'s extent, as one line of that extent; None where its pieces
    cover less than 0.4 of it."""
    pieces = [
        b for b in lines
        if b is not a and b is not near
        and 0.85 * a.height < sign * (b.cy - near.cy) < 3.2 * a.height
        and b.left > a.left - a.height and b.right < a.right + a.height
        and 0.6 * a.height < b.height < 1.7 * a.height
    ]
    if not pieces:
        return None
    # pieces of one row only: the row nearest to the line beside it
    gap = min(abs(b.cy - near.cy) for b in pieces)
    row = [b for b in pieces if abs(abs(b.cy - near.cy) - gap) < 0.5 * a.height]
    wsum = sum(b.length for b in row)
    if wsum < 0.4 * a.length:
        return None
    cy = sum(b.cy * b.length for b in row) / wsum
    h = float(np.median([b.height for b in row]))
    return LineBox(a.cx, cy, a.length, h, a.slope)


def _completed_groups(lines: list[LineBox]) -> list[list[LineBox]]:
    """Groups made of one whole line and neighbours found only in pieces.

    Glare or faint print can break an MRZ line (often its run of fillers) into pieces
    that no longer merge; pieces on a parallel row beside a long line, inside its
    extent, stand for a line of the same extent. A line with such rows on both sides
    also gives a three-line group (TD1), and so does a line with two such rows, one
    beyond the other, on one side (the first line of a TD1 whose other two lines are
    washed out towards one end).
    """
    out: list[list[LineBox]] = []
    for a in lines:
        if a.length < 25 * a.height:
            continue
        beside: dict[float, LineBox] = {}
        for sign in (-1.0, 1.0):
            virtual = _row_beside(lines, a, a, sign)
            if virtual is None:
                continue
            out.append([virtual, a] if sign < 0 else [a, virtual])
            beside[sign] = virtual
            further = _row_beside(lines, a, virtual, sign)
            if further is not None and abs(further.cy - virtual.cy) < 1.5 * abs(virtual.cy - a.cy):
                # two lines washed out towards one end (glare): their ink is levelled
                rows = [dataclasses.replace(b, pieces=True) for b in (virtual, further)]
                out.append([rows[1], rows[0], a] if sign < 0 else [a, *rows])
        if len(beside) == 2:  # the middle line of a TD1 whose outer lines are in pieces
            out.append([beside[-1.0], a, beside[1.0]])
    return out


def _chained(lines: list[LineBox]) -> list[LineBox]:
    """Lines made of two pieces on one row across a gap (glare splitting an MRZ line).

    For each piece, the nearest piece to its right whose centre lies on its row (within
    0.35 heights of its line), of a height within 1.5x, beyond a gap of 1.5 to
    CHAIN_GAP heights (shorter gaps are merged by _merge_pieces), gives one line over
    both.
    """
    out = []
    for a in lines:
        best: LineBox | None = None
        for b in lines:
            lo, hi = min(a.height, b.height), max(a.height, b.height)
            gap = b.left - a.right
            if not 1.5 * lo <= gap <= CHAIN_GAP * hi or hi > 1.5 * lo:
                continue
            if abs(b.cy - (a.cy + a.slope * (b.cx - a.cx))) > 0.35 * hi:
                continue
            if best is None or b.left < best.left:
                best = b
        if best is None:
            continue
        b = best
        cx = (a.left + b.right) / 2.0
        slope = (b.cy - a.cy) / (b.cx - a.cx)
        if abs(slope) > 0.06:
            continue
        weight = a.length + b.length
        out.append(LineBox(cx, a.cy + slope * (cx - a.cx), b.right - a.left,
                           (a.height * a.length + b.height * b.length) / weight, slope))
    return out


def _groups(lines: list[LineBox]) -> list[tuple[list[LineBox], float]]:
    """Groups of 2 or 3 consecutive, parallel, equally long lines, with a score.

    Lines chained from two pieces across a gap (_chained) take part too; a group holding
    one ranks CHAINED_PENALTY lower.
    """
    chained = _chained(lines)
    is_chained = {id(b) for b in chained}
    lines = sorted(lines + chained, key=lambda b: b.cy)
    out: list[tuple[list[LineBox], float]] = []

    def compatible(a: LineBox, b: LineBox) -> bool:
        h = max(a.height, b.height)
        return (
            abs(a.length - b.length) < 0.12 * max(a.length, b.length)
            and abs(a.left - b.left) < 0.08 * max(a.length, b.length) + h
            and max(a.height, b.height) < 2.0 * min(a.height, b.height)
            and 0.85 * h < (b.cy - a.cy) < 3.2 * h
        )

    for i, a in enumerate(lines):
        nexts = [b for b in lines[i + 1:] if compatible(a, b)]
        for b in nexts:
            group = [a, b]
            out.append((group, 0.0))
            for c in lines:
                if c.cy > b.cy and compatible(b, c) and abs(c.length - a.length) < 0.12 * a.length:
                    out.append(([a, b, c], 0.0))
    # a group completed from pieces (1.0 marks it) ranks below a three-line group holding
    # its whole line: a TD1 zone whose middle line is a little short is three lines, not
    # the first line plus its neighbour's pieces
    in_three = {id(b) for g, _ in out if len(g) == 3 for b in g}
    out.extend((g, float(any(id(b) in in_three for b in g))) for g in _completed_groups(lines))
    scored = []
    for group, completed in out:
        hs = np.array([g.height for g in group])
        ls = np.array([g.length for g in group])
        aspect = float(np.mean(ls / hs))
        # MRZ lines are 30-44 characters; glyph pitch ~ glyph height
        if aspect < 14 or aspect > 90:
            continue
        # long, equally long lines; a third line adds a little (TD1) but cannot
        # outweigh longer lines
        score = float(np.mean(ls)) * (1.0 - float(np.std(ls) / np.mean(ls))) * (
            1.0 + 0.05 * (len(group) - 2)) * (1.0 - COMPLETED_PENALTY * completed) * (
            1.0 - CHAINED_PENALTY * any(id(b) in is_chained for b in group))
        scored.append((group, score))
    scored.sort(key=lambda t: -t[1])
    return scored


def _equal_lengths(group: list[LineBox]) -> list[LineBox]:
    """The lines of a group, each stretched to the group's whole extent.

    MRZ lines are equally long and start together; a line whose faint end (a run of
    fillers) or start was lost from the stroke map would otherwise be cut a character
    or two short, and its grid squeezed (groups hold lines within 12 % of each other's
    length, see _groups).
    """
    left = min(b.left for b in group)
    right = max(b.right for b in group)
    out = []
    for b in group:
        cx = (left + right) / 2.0
        out.append(dataclasses.replace(b, cx=cx, cy=b.cy + b.slope * (cx - b.cx),
                                       length=right - left))
    return out


def _strip(
    gray: NDArray[np.uint8],
    center: tuple[float, float],
    angle: float,
    length: float,
    glyph: float,
    height: float = STRIP_HEIGHT,
) -> NDArray[np.uint8]:
    """Sample a strip along ``angle`` from ``gray`` (full resolution), glyphs scaled to
    STRIP_GLYPH px, ``height`` glyph heights tall; ``length`` and ``glyph`` are in
    ``gray`` pixels."""
    import cv2

    f = STRIP_GLYPH / max(glyph, 1.0)
    src = gray
    cx, cy = center
    # strong downscaling: pre-shrink so that bilinear sampling does not alias
    while f < 0.5 and min(src.shape) > 32:
        src = np.asarray(cv2.pyrDown(src), dtype=np.uint8)
        f *= 2.0
        cx, cy, length, glyph = cx / 2.0, cy / 2.0, length / 2.0, glyph / 2.0
    out_w = round((length + 2.2 * glyph) * f)
    out_h = round(height * STRIP_GLYPH)
    a = math.radians(angle)
    d = np.array([math.cos(a), math.sin(a)])
    nrm = np.array([-math.sin(a), math.cos(a)])
    m = np.zeros((2, 3))
    m[:, 0] = d / f
    m[:, 1] = nrm / f
    m[:, 2] = np.array([cx, cy]) - (out_w / 2.0) * d / f - (out_h / 2.0) * nrm / f
    strip = cv2.warpAffine(
        src, m, (out_w, out_h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(strip, dtype=np.uint8)


def _traced_strip(
    gray: NDArray[np.uint8],
    center: tuple[float, float],
    angle: float,
    length: float,
    glyph: float,
) -> NDArray[np.uint8] | None:
    """A line strip that follows a bent line (page curl) beyond its straight part.

    Samples a tall strip reaching 40 % of the line's length past either end, follows
    the ink band window by window outwards from the middle (the part already found),
    predicting each window's height from the last two, stops where two windows in a row
    hold less than a quarter of the typical ink, and resamples the strip along the
    traced centre line. Returns a strip like :func:`_strip`, or None without a trace.
    """
    import cv2

    from docfraud.mrz.ocr import ink_map

    ext = 0.4 * length
    tall = _strip(gray, center, angle, length + 2 * ext, glyph, height=5.0)
    h, w = tall.shape
    ink = ink_map(tall, glyph_height=STRIP_GLYPH).astype(np.float64)
    win = int(1.5 * STRIP_GLYPH)
    n_win = w // win
    if n_win < 6:
        return None
    rows = np.arange(h, dtype=np.float64)
    ys = np.full(n_win, np.nan)
    mid = n_win // 2
    band = 0.7 * STRIP_GLYPH
    # typical ink of the line: windows around the middle
    core = ink[int(h / 2 - band):int(h / 2 + band), (mid - 2) * win:(mid + 2) * win]
    typical = float(core.sum()) / 4.0
    if typical <= 0:
        return None
    lo_i, hi_i = mid, mid - 1
    for direction in (1, -1):
        track: list[tuple[float, float]] = [(mid * win, h / 2.0)]
        misses = 0
        i = mid if direction > 0 else mid - 1
        while 0 <= i < n_win:
            xc = (i + 0.5) * win
            if len(track) >= 2:
                (xa, ya), (xb, yb) = track[-2], track[-1]
                pred = yb + (yb - ya) / (xb - xa) * (xc - xb) if xb != xa else yb
            else:
                pred = track[-1][1]
            lo, hi = max(0, int(pred - band)), min(h, int(pred + band) + 1)
            prof = ink[lo:hi, i * win:(i + 1) * win].sum(axis=1)
            if prof.sum() < 0.15 * typical:
                misses += 1
                if misses >= 2:
                    break
            else:
                misses = 0
                y = float((prof * rows[lo:hi]).sum() / prof.sum())
                y = float(np.clip(y, pred - 0.5 * STRIP_GLYPH, pred + 0.5 * STRIP_GLYPH))
                ys[i] = y
                track.append((xc, y))
                lo_i, hi_i = min(lo_i, i), max(hi_i, i)
            i += direction
    good = np.flatnonzero(~np.isnan(ys))
    if good.size < 6:
        return None
    xs = (good + 0.5) * win
    coef = np.polyfit(xs, ys[good], 2)
    x0 = max(0.0, lo_i * win - 0.8 * STRIP_GLYPH)
    x1 = min(float(w), (hi_i + 1) * win + 0.8 * STRIP_GLYPH)
    out_h = round(STRIP_HEIGHT * STRIP_GLYPH)
    us = np.arange(int(x0), int(x1), dtype=np.float32)
    yc = np.polyval(coef, us.astype(np.float64)).astype(np.float32)
    map_x = np.tile(us, (out_h, 1))
    map_y = yc[None, :] + (np.arange(out_h, dtype=np.float32) - out_h / 2.0)[:, None]
    out = cv2.remap(tall, map_x, map_y.astype(np.float32), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out, dtype=np.uint8)


@dataclass(frozen=True)
class _LineGeom:
    """One MRZ line at full resolution: centre (x, y), direction (deg), length, glyph (px)."""

    center: tuple[float, float]
    angle: float
    length: float
    glyph: float


def _bbox(points: Sequence[NDArray[np.float64]], size: tuple[int, int]
          ) -> tuple[int, int, int, int]:
    """(x, y, w, h) bounding box of image points (x, y), clipped to an image (w, h)."""
    pa = np.array(points)
    x0, y0 = (max(0, int(v)) for v in np.floor(pa.min(axis=0)))
    x1, y1 = (int(v) for v in np.ceil(pa.max(axis=0)))
    return x0, y0, min(size[0], x1) - x0, min(size[1], y1) - y0


def _region(lines: list[_LineGeom], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x, y, w, h) bounding box of lines (each one glyph tall) inside an image (w, h)."""
    pts = []
    for g in lines:
        rad = math.radians(g.angle)
        d = np.array([math.cos(rad), math.sin(rad)])
        nrm = np.array([-math.sin(rad), math.cos(rad)])
        for u in (-g.length / 2, g.length / 2):
            for v in (-g.glyph / 2, g.glyph / 2):
                pts.append(np.array(g.center) + u * d + v * nrm)
    return _bbox(pts, size)


def _text_extent(gray: NDArray[np.uint8], line: _LineGeom,
                 reach: float) -> tuple[float, float, float] | None:
    """How far a line's text goes on beyond its found ends, and its residual slope.

    Samples a strip along the line reaching ``reach`` times its length past either end
    (clipped to the image), and walks outwards from the found part window by window (one
    glyph height wide) while the window still holds text: ink in the line's band at least
    EXTEND_INK of the found part's typical window and at least twice as dense as in the
    paper rows just above and below it, or, for print washed out by glare, at least
    EXTEND_FAINT and four times as dense. One
    window without text is crossed (a faint filler); two end the line.

    Returns (more on the left, more on the right, slope dy/dx of the ink centre along the
    whole text) in ``gray`` pixels, or None when the found part holds no ink.
    """
    from docfraud.mrz.ocr import ink_map

    h0, w0 = gray.shape
    rad = math.radians(line.angle)
    d = np.array([math.cos(rad), math.sin(rad)])
    cx, cy = line.center

    def room(sign: float) -> float:
        """Distance from the centre to the image border along +-d, px."""
        best = np.inf
        for k, lim in ((0, w0 - 1.0), (1, h0 - 1.0)):
            v = sign * d[k]
            p = (cx, cy)[k]
            if v > 1e-6:
                best = min(best, (lim - p) / v)
            elif v < -1e-6:
                best = min(best, -p / v)
        return float(best)

    ext_l = float(np.clip(room(-1.0) - line.length / 2, 0.0, reach * line.length))
    ext_r = float(np.clip(room(1.0) - line.length / 2, 0.0, reach * line.length))
    if ext_l + ext_r < line.glyph:
        return None
    shift = (ext_r - ext_l) / 2.0
    center = (cx + shift * d[0], cy + shift * d[1])
    total = line.length + ext_l + ext_r
    # sampled at half the strips' scale (glyphs EXTEND_GLYPH px high): only ink is measured
    g_px = EXTEND_GLYPH
    sample_glyph = line.glyph * STRIP_GLYPH / g_px
    strip = _strip(gray, center, line.angle, total, sample_glyph,
                   height=STRIP_HEIGHT * g_px / STRIP_GLYPH)
    f = g_px / max(line.glyph, 1e-6)  # strip px per gray px
    ink = ink_map(strip, glyph_height=g_px).astype(np.float64)
    h, w = ink.shape
    mid = h / 2.0
    band = ink[int(mid - 0.6 * g_px):int(mid + 0.6 * g_px)]
    # paper rows between MRZ lines (lines are 1.8 glyph heights apart)
    paper = np.concatenate([ink[:int(mid - 0.85 * g_px)], ink[int(mid + 0.85 * g_px):]])
    win = int(g_px)
    pad = 1.1 * sample_glyph * f  # _strip's margin on either side, strip px
    a = pad + ext_l * f  # found part, strip px
    b = a + line.length * f
    n_win = w // win
    if n_win < 4:
        return None
    band_ink = np.add.reduceat(band.sum(axis=0), np.arange(0, n_win * win, win))[:n_win]
    paper_ink = np.add.reduceat(paper.sum(axis=0), np.arange(0, n_win * win, win))[:n_win]
    band_density = band_ink / max(1, band.shape[0])
    paper_density = paper_ink / max(1, paper.shape[0])
    found = [i for i in range(n_win) if a <= i * win and (i + 1) * win <= b]
    if len(found) < 3:
        return None
    typical = float(np.median(band_ink[found]))
    if typical <= 0:
        return None
    # faint text (glare) is text where the paper around it is clean
    ratio = band_density / np.maximum(paper_density, 1e-9)
    text = (((band_ink >= EXTEND_INK * typical) & (ratio >= 2.0))
            | ((band_ink >= EXTEND_FAINT * typical) & (ratio >= 4.0)))

    def walk(start: int, step: int) -> int:
        """Last window with text, walking from ``start`` (the first window past the
        found part) by ``step``; ``start - step`` if none."""
        last = start - step
        misses = 0
        i = start
        while 0 <= i < n_win:
            if text[i]:
                last, misses = i, 0
            else:
                misses += 1
                if misses >= 2:
                    break
            i += step
        return last

    first_out_l = int(a // win) - 1
    first_out_r = int(-(-b // win))
    lo = walk(first_out_l, -1)
    hi = walk(first_out_r, 1)
    more_l = max(0.0, (a - lo * win)) / f if lo < first_out_l + 1 else 0.0
    more_r = max(0.0, ((hi + 1) * win - b)) / f if hi > first_out_r - 1 else 0.0
    # the ink centre along the whole text: a slope error of the found part grows when
    # the line is extended
    lo_w = lo if lo <= first_out_l else found[0]
    hi_w = hi if hi >= first_out_r else found[-1]
    rows = np.arange(band.shape[0], dtype=np.float64)[:, None]
    xs, ys, ws = [], [], []
    for i in range(lo_w, hi_w + 1):
        block = band[:, i * win:(i + 1) * win]
        s = float(block.sum())
        if s > 0 and text[i] | (i in found):
            xs.append((i + 0.5) * win)
            ys.append(float((block * rows).sum()) / s)
            ws.append(s)
    slope = 0.0
    if len(xs) >= 4:
        slope = float(np.polyfit(xs, ys, 1, w=np.sqrt(ws))[0])
        if abs(slope) > 0.05:
            slope = 0.0
    return more_l, more_r, slope


def _extended_lines(gray: NDArray[np.uint8], lines: list[_LineGeom]) -> list[_LineGeom] | None:
    """The lines of a group extended to where their text really ends, or None.

    Glare, a faint run of fillers or a background texture can hide part of the MRZ from
    the stroke map, so that a group is found only in part (its left or right part).
    MRZ lines are equally long and start together, so a side of the group is extended
    only where every line goes on there by at least EXTEND_MIN glyph heights
    (:func:`_text_extent`), by the most of them; each line is turned by the residual
    slope found along its text. None when no side is extended.
    """
    extents = [_text_extent(gray, g, EXTEND_REACH) for g in lines]
    if any(e is None for e in extents):
        return None
    ok = [e for e in extents if e is not None]
    glyph = float(np.median([g.glyph for g in lines]))
    # a side is extended only where every line goes on (clutter beside one line is no
    # MRZ), by the most any line goes on (the faint end of one line may be lost)
    more_l = max(e[0] for e in ok) if min(e[0] for e in ok) >= EXTEND_MIN * glyph else 0.0
    more_r = max(e[1] for e in ok) if min(e[1] for e in ok) >= EXTEND_MIN * glyph else 0.0
    if more_l == more_r == 0.0:
        return None
    out = []
    for g, (_, _, slope) in zip(lines, ok, strict=True):
        rad = math.radians(g.angle)
        shift = (more_r - more_l) / 2.0
        center = (g.center[0] + shift * math.cos(rad), g.center[1] + shift * math.sin(rad))
        out.append(_LineGeom(center, g.angle + math.degrees(math.atan(slope)),
                             g.length + more_l + more_r, g.glyph))
    return out


def _refine_line(
    gray: NDArray[np.uint8],
    center: tuple[float, float],
    angle: float,
    length: float,
    glyph: float,
    spacing: float,
) -> tuple[tuple[float, float], float]:
    """Re-centre a line and re-measure its glyph height on a full-resolution strip.

    Line blobs found at working scale are inflated by blur and by print touching the
    line (guilloches, borders), so their centre and height are rough. Returns the new
    centre and glyph height in ``gray`` pixels; the centre and glyph as given where the
    strongest ink band lies more than REFINE_MAX_MOVE line spacings away (the next line,
    where this one is lost in a texture).
    """
    import cv2

    # a probe strip tall enough to hold the line whatever the error, not the next line
    probe_glyph = min(glyph, 0.8 * spacing) if spacing > 0 else glyph
    strip = _strip(gray, center, angle, length, probe_glyph * 1.6)
    h = strip.shape[0]
    k = max(3, int(STRIP_GLYPH * 0.6) | 1)
    bh = cv2.morphologyEx(strip, cv2.MORPH_BLACKHAT,
                          cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    thr, _ = cv2.threshold(bh, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = bh > max(thr, 20)
    rows = ink.mean(axis=1)
    rows = np.convolve(rows, np.ones(3) / 3, mode="same")
    if rows.max(initial=0) <= 0:
        return center, glyph
    above = np.concatenate([[False], rows > 0.3 * rows.max(), [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    best: tuple[float, int, int] | None = None
    unit = STRIP_GLYPH / 1.6  # the probe's expected glyph height, px
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a < 0.3 * unit or b - a > 2.5 * unit:
            continue
        if float((ink[a:b].any(axis=0)).mean()) > 0.92:  # a solid bar (an edge), not text
            continue
        mid = (a + b - 1) / 2.0
        weight = float(rows[a:b].sum()) * np.exp(-(((mid - h / 2.0) / (0.3 * h)) ** 2))
        if best is None or weight > best[0]:
            best = (weight, int(a), int(b))
    if best is None:
        return center, glyph
    _, a, b = best
    f = (STRIP_GLYPH / (probe_glyph * 1.6))  # strip px per gray px
    dy = ((a + b - 1) / 2.0 - (h - 1) / 2.0) / f
    if spacing > 0 and abs(dy) > REFINE_MAX_MOVE * spacing:
        return center, glyph
    rad = math.radians(angle)
    new_center = (center[0] - math.sin(rad) * dy, center[1] + math.cos(rad) * dy)
    new_glyph = float(np.clip((b - a) / f, 0.5 * glyph, 1.5 * glyph))
    return new_center, new_glyph


def locate(
    image: NDArray[np.uint8], *, max_candidates: int = 6, exhaustive: bool = False
) -> list[MrzCandidate]:
    """Find MRZ candidates in an image.

    Args:
        image: (H, W, 3) RGB or (H, W) grey uint8.
        max_candidates: how many candidates as found to return at most (twice as many
            in the exhaustive search).
        exhaustive: also try the second and third most common blob directions (for
            pages whose background texture outvotes the text) and a stricter stroke
            map; slower.

    Returns:
        Candidates, most MRZ-like first; empty when nothing looks like an MRZ. The
        exhaustive search appends, after all of them whatever their score, up to
        2 * COMPLETED_TD1_GROUPS two-line groups completed to three lines
        (_completed_td1, ``MrzCandidate.added_line`` set).
    """
    import cv2

    gray = _to_gray(image)
    h0, w0 = gray.shape
    s = WORK_SIZE / max(h0, w0)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    small = np.asarray(
        cv2.resize(gray, (max(1, round(w0 * s)), max(1, round(h0 * s))), interpolation=interp),
        dtype=np.uint8,
    )
    cands: list[MrzCandidate] = []
    completed: list[MrzCandidate] = []
    maps = _stroke_maps(small, exhaustive=exhaustive)
    for map_no, binary in enumerate(maps):
        found = _candidates(gray, binary, s, exhaustive=exhaustive,
                            max_candidates=max_candidates)
        # candidates of the strict map (texture removed) are kept even when the first
        # map's texture groups outscore them
        extra = [c for c in found if c.completed]
        found = [c for c in found if not c.completed]
        if map_no:
            found = [dataclasses.replace(c, textured=True) for c in found[:max_candidates // 2]]
            extra = [dataclasses.replace(c, textured=True) for c in extra]
        cands.extend(found)
        completed.extend(extra)
    cands.sort(key=lambda c: -c.score)
    completed.sort(key=lambda c: -c.score)
    # TD1 completions (exhaustive search only) come after every candidate as found
    return (cands[:max_candidates * 2 if exhaustive else max_candidates]
            + completed[:2 * COMPLETED_TD1_GROUPS])


def _candidates(gray: NDArray[np.uint8], binary: NDArray[np.uint8], s: float, *,
                exhaustive: bool, max_candidates: int) -> list[MrzCandidate]:
    """MRZ candidates from one stroke map (working scale ``s``), most MRZ-like first."""
    import cv2

    h0, w0 = gray.shape
    angles, _ = text_angles(binary, peaks=3 if exhaustive else 1)
    cands: list[MrzCandidate] = []
    completed: list[MrzCandidate] = []  # returned after the others, whatever their score
    tried: list[float] = []
    order = [angles[0], angles[0] + 90.0] + [a for a in angles[1:]]
    widened = False
    extended = 0  # candidates of groups followed past their found ends
    k = 0
    while True:
        if k == len(order):
            # nothing found in any likely direction: the strongest one may be a few
            # degrees off (a texture biases it), enough to merge neighbouring MRZ lines
            if not exhaustive or cands or widened:
                break
            widened = True
            order += [angles[0] + d for d in NEAR_ANGLES]
        ang = order[k] % 180.0
        k += 1
        if ang > 90.0:  # prefer the upright reading direction; 180 is tried by the reader
            ang -= 180.0
        if any(abs(((ang - t + 90) % 180) - 90) < 2 for t in tried):
            continue
        tried.append(ang)
        rot, m = _rotate(binary, ang)
        groups = [(g, sc, ang, m) for g, sc in _groups(_line_boxes(rot))]
        turn = _common_slope(groups[0][0]) if groups else 0.0
        if turn:
            # the best group's lines all slope one way: the direction estimate is off
            # (perspective: the page's other text runs another way), enough to break
            # the lines into pieces that no longer merge; the direction turned by their
            # slope gives them whole; kept only where its best group is clearly longer
            turned = ang + math.degrees(math.atan(turn))
            rot, m = _rotate(binary, turned)
            more = [(g, sc, turned, m) for g, sc in _groups(_line_boxes(rot))]
            if more and more[0][1] > (1.0 + TURN_GAIN) * groups[0][1]:
                groups = sorted(groups + more, key=lambda t: -t[1])
        if widened:  # a direction beside the estimate: after whatever else was found
            groups = [(g, sc * NEAR_RANK, a, gm) for g, sc, a, gm in groups]
        for rank, (group, score, g_ang, g_m) in enumerate(groups[:max_candidates]):
            inv = cv2.invertAffineTransform(g_m)
            strips = []
            traced: list[NDArray[np.uint8] | None] = []
            pts = []
            glyph = float(np.median([g.height for g in group])) / s
            if glyph < MIN_GLYPH_PX:  # no print this small is legible (noise, texture)
                continue
            spacing = float(np.median(np.diff([g.cy for g in group]))) / s
            group = _equal_lengths(group)
            geoms = []
            for g in group:
                c_small = inv @ np.array([g.cx, g.cy, 1.0])
                c = (float(c_small[0] / s), float(c_small[1] / s))
                line_ang = g_ang + math.degrees(math.atan(g.slope))
                c, glyph_line = _refine_line(gray, c, line_ang, g.length / s, glyph, spacing)
                geoms.append(_LineGeom(c, line_ang, g.length / s, glyph_line))
                strips.append(_strip(gray, c, line_ang, g.length / s, glyph_line))
                if exhaustive and len(cands) - extended < 2 * TRACED_GROUPS:
                    traced.append(_traced_strip(gray, c, line_ang, g.length / s, glyph_line))
                for dx in (-g.length / 2, g.length / 2):
                    for dy in (-g.height / 2, g.height / 2):
                        p = inv @ np.array([g.cx + dx, g.cy + dy, 1.0])
                        pts.append(p / s)
            region = _bbox(pts, (w0, h0))
            cands.append(MrzCandidate(tuple(strips), g_ang, glyph, region, score,
                                      uneven=any(g.pieces for g in group)))
            longer = _extended_lines(gray, geoms) if rank < EXTENDED_GROUPS else None
            if longer is not None:
                extended += 1
                # the same group followed to where its text ends (a part hidden by glare
                # or texture), read right after the group as found
                cands.append(MrzCandidate(
                    tuple(_strip(gray, e.center, e.angle, e.length, e.glyph) for e in longer),
                    g_ang, glyph, _region(longer, (w0, h0)), score * EXTENDED_RANK,
                    uneven=True))
            if traced and all(t is not None for t in traced):
                # the same lines followed beyond their straight part (a curled page)
                cands.append(MrzCandidate(tuple(t for t in traced if t is not None), g_ang,
                                          glyph, region, score))
            if exhaustive and len(geoms) == 2 and rank < COMPLETED_TD1_GROUPS:
                completed.extend(_completed_td1(gray, geoms, g_ang, glyph, score))
        if cands and not exhaustive:
            break
    cands.sort(key=lambda c: -c.score)
    completed.sort(key=lambda c: -c.score)
    return cands[:max_candidates] + completed


def _common_slope(group: list[LineBox]) -> float:
    """The mean slope (dy/dx) of a group's lines where all slope the same way by at
    least SLOPE_RETRY, else 0.0."""
    slopes = np.array([b.slope for b in group])
    if np.all(slopes >= SLOPE_RETRY) or np.all(slopes <= -SLOPE_RETRY):
        return float(np.mean(slopes))
    return 0.0


def _completed_td1(gray: NDArray[np.uint8], lines: list[_LineGeom], angle: float,
                   glyph: float, score: float) -> list[MrzCandidate]:
    """A two-line group completed to three lines, once above and once below.

    The outer line of a TD1 can be lost in a background texture (its glyphs joined to
    the texture's strokes in both stroke maps) while its two neighbours are found. The
    third line is placed at the group's own spacing beyond either line (the two lines'
    centres extrapolated), re-centred on the ink there (_refine_line), as long as the
    group; the candidates mark the added line (``added_line``).
    """
    h0, w0 = gray.shape
    a, b = lines
    step = (b.center[0] - a.center[0], b.center[1] - a.center[1])
    spacing = math.hypot(*step)
    out = []
    for first in (True, False):
        near = a if first else b
        sign = -1.0 if first else 1.0
        center = (near.center[0] + sign * step[0], near.center[1] + sign * step[1])
        if not (0.0 <= center[0] < w0 and 0.0 <= center[1] < h0):
            continue
        center, line_glyph = _refine_line(gray, center, near.angle, near.length, near.glyph,
                                          spacing)
        extra = _LineGeom(center, near.angle, near.length, line_glyph)
        three = [extra, a, b] if first else [a, b, extra]
        out.append(MrzCandidate(
            tuple(_strip(gray, g.center, g.angle, g.length, g.glyph) for g in three),
            angle, glyph, _region(three, (w0, h0)), score, added_line=0 if first else 2))
    return out
