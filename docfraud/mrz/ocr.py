"""MRZ line recognisers: a fixed-pitch cell classifier (own CNN) and Tesseract.

MRZ text is OCR-B at a fixed pitch, so a rectified line of known length ``n``
(30, 36 or 44) is cut into ``n`` equal cells whose centres are fitted to the ink,
and each cell is classified into one of 37 classes (A-Z, 0-9, '<') by a small CNN
(``models/mrz_ocr.onnx``, trained by ``scripts/train_mrz_ocr.py``; lines of small
glyphs go to the same network trained mostly on small, blurred glyphs,
``models/mrz_ocr_small.onnx``, loaded only when such a line comes). The CNN runs on
ONNX Runtime (OpenCV's dnn module where it is missing: :mod:`docfraud._onnx`) so that
reading an MRZ never pays for importing torch.

Tesseract (through pytesseract) is the second engine, used on whole line strips.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import ModelError

if TYPE_CHECKING:
    from docfraud._onnx import OnnxNet

logger = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
#: Classifier input: one character cell, (CELL_H, CELL_W) float32.
CELL_H, CELL_W = 32, 24
#: Crop window around a cell centre, in pitches (width) and glyph heights (height).
CROP_W_PITCH, CROP_H_CAP = 1.25, 1.6
#: Mean ink width of an OCR-B glyph as a fraction of the pitch (measured on the font).
_INK_WIDTH = 0.65
#: the character grid's pitch may grow or shrink along a line by up to this share
#: (perspective), searched in this many steps (:func:`_grid_search`)
SLOPE_RANGE = 0.5
SLOPE_STEPS = 11

MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "mrz_ocr.onnx"
#: The same network trained mostly on small, blurred glyphs (``scripts/train_mrz_ocr.py
#: --small-glyphs``): read.py uses it for lines whose glyphs are small in the image.
SMALL_MODEL_PATH = MODEL_PATH.with_name("mrz_ocr_small.onnx")


@dataclass(frozen=True)
class LineCells:
    """Character cells found on one line strip.

    Attributes:
        centers: (n, 2) float64 x, y of each cell centre in strip pixels.
        pitch: character pitch in pixels.
        height: glyph height in pixels.
        fit_error: RMS distance of the ink centroids from the fitted grid, in pitches
            (small for a good fit; large when ``n`` or the line extent is wrong).
    """

    centers: NDArray[np.float64]
    pitch: float
    height: float
    fit_error: float


def ink_map(gray: NDArray[np.uint8], *, glyph_height: float) -> NDArray[np.float32]:
    """Background-normalised ink: (H, W) float32 in [0, 1], 1 = darkest print.

    Args:
        gray: (H, W) uint8 line strip, dark text on lighter ground.
        glyph_height: approximate glyph height in pixels (sets the background filter).
    """
    import cv2

    g = gray.astype(np.float32)
    k = max(3, int(glyph_height * 1.2) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    bg = cv2.dilate(g, kernel)
    bg = cv2.blur(bg, (k, k))
    ink = np.clip(bg - g, 0, None)
    top = float(np.percentile(ink, 99.5))
    return np.asarray(np.clip(ink / max(top, 8.0), 0.0, 1.0), dtype=np.float32)


def _robust_line(xs: NDArray[np.float64], ys: NDArray[np.float64], w: NDArray[np.float64],
                 tol: float) -> tuple[float, float, NDArray[np.bool_]]:
    """Weighted least-squares y = a + b x, refitted without points off by more than tol."""
    keep = w > 0
    a, b = 0.0, 0.0
    for _ in range(3):
        if keep.sum() < 2:
            break
        b, a = np.polyfit(xs[keep], ys[keep], 1, w=np.sqrt(w[keep]))
        res = np.abs(ys - (a + b * xs))
        new_keep = (w > 0) & (res < tol)
        if new_keep.sum() < max(2, 0.5 * keep.sum()) or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    return float(a), float(b), keep


def _robust_poly(xs: NDArray[np.float64], ys: NDArray[np.float64], w: NDArray[np.float64],
                 tol: float, deg: int) -> tuple[NDArray[np.float64] | None, NDArray[np.bool_]]:
    """Weighted polynomial fit (coefficients low order first), refitted without outliers."""
    keep = w > 0
    coef: NDArray[np.float64] | None = None
    for _ in range(3):
        if keep.sum() < deg + 2:
            break
        c = np.polyfit(xs[keep], ys[keep], deg, w=np.sqrt(w[keep]))[::-1]
        coef = np.concatenate([c, np.zeros(3 - len(c))])
        res = np.abs(ys - np.polyval(c[::-1], xs))
        new_keep = (w > 0) & (res < tol)
        if new_keep.sum() < max(deg + 2, 0.5 * keep.sum()) or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    return coef, keep


def _grid_search(colw: NDArray[np.float64], n: int, left: float, right: float,
                 pitch0: float) -> tuple[float, float, float]:
    """Best character grid for a column ink profile: (left edge of cell 0, pitch, slope).

    Cell boundaries are ``x0 + pitch * (k + slope * k**2 / (2 n))``, k = 0..n.

    A good grid puts cell boundaries in the gaps between glyphs, leaves no cell empty
    (an MRZ prints a character, at least a filler, in every cell) and leaves little
    ink outside (a border or stray mark beside the line stays outside).

    The grid is searched by its two ends (left edge of the first cell, right edge of
    the last) rather than by start and pitch: a pitch error adds up along a 44-cell
    line, so searching ends keeps every cell within a fraction of a pitch of its place.
    ``left``/``right``: first and last ink column of the line; ``pitch0``: the pitch
    they imply.
    """
    w = len(colw)
    xs = np.arange(w, dtype=np.float64)
    prof = np.convolve(colw, np.ones(3) / 3.0, mode="same")
    cum = np.concatenate([[0.0], np.cumsum(colw)])
    total = max(float(cum[-1]), 1e-6)

    k = np.arange(n + 1, dtype=np.float64)

    def search(x0s: NDArray[np.float64], xes: NDArray[np.float64],
               slopes: NDArray[np.float64]) -> tuple[float, float, float]:
        # boundaries b_k = x0 + p (k + t k^2 / 2n): the local pitch grows from p to
        # p (1 + t) along the line (perspective foreshortening); p follows from the ends
        x0 = x0s[:, None, None, None]
        xe = xes[None, :, None, None]
        t = slopes[None, None, :, None]
        p = (xe - x0) / (n + t * n / 2.0)  # (S, E, T, 1)
        b = x0 + p * (k + t * k**2 / (2 * n))  # (S, E, T, n+1)
        edge = np.interp(np.clip(b, 0, w - 1), xs, prof)
        inside = np.interp(np.clip(b, 0, w), np.arange(w + 1, dtype=np.float64), cum)
        mass = np.diff(inside, axis=-1)
        span = inside[..., -1] - inside[..., 0]
        width = b[..., -1] - b[..., 0]
        boundary_cost = edge.mean(axis=-1) / np.maximum(span / np.maximum(width, 1.0), 1e-6)
        avg = mass.mean(axis=-1, keepdims=True)
        empty = (mass < 0.12 * np.maximum(avg, 1e-6)).mean(axis=-1)
        outside = 1.0 - span / total
        pp = p[..., 0]
        off_image = (b[..., 0] < -0.3 * pp) | (b[..., -1] > w + 0.3 * pp)
        # the mean pitch against the ink's: the first cell's pitch of a foreshortened
        # line lies further from it the stronger the perspective
        mean_pitch = ((xe - x0) / n)[..., 0]
        bad_pitch = (mean_pitch < 0.85 * pitch0) | (mean_pitch > 1.15 * pitch0)
        cost = boundary_cost + 3.0 * outside + 3.0 * empty + 10.0 * (off_image | bad_pitch)
        i, j, m = np.unravel_index(int(np.argmin(cost)), cost.shape)
        return float(x0s[i]), float(xes[j]), float(slopes[m])

    # coarse: ends within -0.6..+1.6 pitches of the ink's ends (a stray mark beside the
    # line may have been taken for ink), slope +-50 % (a phone photo at an angle
    # foreshortens a line's far end: pitch growing 45 % along a synthetic capture's line)
    margin = 0.5 * (1.0 - _INK_WIDTH) * pitch0  # blank part of the end cells
    step = max(1.0, pitch0 / 5)
    x0, xe, t = search(np.arange(left - margin - 0.6 * pitch0, left + 1.6 * pitch0, step),
                       np.arange(right + 1 + margin + 0.6 * pitch0, right - 1.6 * pitch0, -step),
                       np.linspace(-SLOPE_RANGE, SLOPE_RANGE, SLOPE_STEPS))
    # fine, around the coarse optimum
    fine = np.linspace(-step, step, 9)
    x0, xe, t = search(x0 + fine, xe + fine, t + np.linspace(-0.06, 0.06, 5))
    return x0, (xe - x0) / (n + t * n / 2.0), t


def segment_line(ink: NDArray[np.float32], n: int, *, whole: bool = False) -> LineCells | None:
    """Fit a grid of ``n`` fixed-pitch cells to the text line in the middle of ``ink``.

    Args:
        ink: (H, W) float32 in [0, 1] from :func:`ink_map`; the line runs roughly
            horizontally through the vertical middle of the strip.
        n: number of characters on the line (30, 36 or 44).
        whole: the line spans all ink of the strip's text band (a strip cut to where
            its text ends); by default it is the heaviest run of ink between gaps wider
            than a glyph, which leaves out marks beside the line but also a part of the
            line whose thin, faint print breaks up.

    Returns:
        The cells, or None when no line of text is found.
    """
    import cv2

    h, w = ink.shape
    u8 = (ink * 255).astype(np.uint8)
    thr, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    binary = (u8 > max(thr, 50)).astype(np.float32)
    rows = binary.sum(axis=1)
    rows_s = np.convolve(rows, np.ones(3) / 3, mode="same")
    if rows_s.max(initial=0) <= 0:
        return None
    # text bands: runs of rows with ink; keep the tallest-enough, heaviest, most central
    expected = h / 2.4
    level = 0.25 * float(rows_s.max())
    above = np.concatenate([[False], rows_s > level, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    best_band: tuple[float, int, int] | None = None
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        height = b - a
        if height < 0.35 * expected:
            continue
        centre = (a + b - 1) / 2.0
        weight = float(rows_s[a:b].sum()) * np.exp(-(((centre - h / 2.0) / (0.35 * h)) ** 2))
        if best_band is None or weight > best_band[0]:
            best_band = (weight, int(a), int(b - 1))
    if best_band is None:
        return None
    _, top, bottom = best_band
    band_h = bottom - top + 1
    if band_h < 3:
        return None
    band = binary[top:bottom + 1]
    cols = band.sum(axis=0)
    on = np.flatnonzero(cols > 0)
    if on.size < 2:
        return None
    # split into runs of columns separated by gaps wider than a glyph height
    breaks = np.flatnonzero(np.diff(on) > max(2.0, 1.0 * band_h))
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [on.size - 1]])
    masses = [cols[on[s]:on[e] + 1].sum() for s, e in zip(starts, ends, strict=True)]
    best = int(np.argmax(masses))
    left, right = float(on[starts[best]]), float(on[ends[best]])
    if whole:
        left, right = float(on[0]), float(on[-1])
    pitch = (right - left + 1.0) / (n - 1 + _INK_WIDTH)
    if pitch < 2.0:
        return None
    colw = ink[top:bottom + 1].sum(axis=0).astype(np.float64)
    x0, p0, slope = _grid_search(colw, n, left, right, pitch)
    idx = np.arange(n, dtype=np.float64)
    # cell centres of that grid as x_i = q0 + q1 i + q2 i^2
    c0 = x0 + p0 * (0.5 + slope / (4 * n))
    pitch = p0 * (1 + slope / (2 * n))
    xs_all = np.arange(w, dtype=np.float64)
    err = 1.0
    # centres x_i = q0 + q1 i + q2 i^2: the quadratic term absorbs perspective
    q = np.array([c0, pitch, p0 * slope / (2 * n)])
    grid_centers = q[0] + q[1] * idx + q[2] * idx**2
    for _ in range(3):
        centers = q[0] + q[1] * idx + q[2] * idx**2
        local = np.maximum(q[1] + 2 * q[2] * idx, 1.0)
        cx = np.zeros(n)
        mass = np.zeros(n)
        for i, c in enumerate(centers):
            lo = max(0, round(c - local[i] / 2))
            hi = min(w, round(c + local[i] / 2))
            if hi <= lo:
                continue
            m = colw[lo:hi]
            s = m.sum()
            if s > 0:
                cx[i] = float((m * xs_all[lo:hi]).sum() / s)
                mass[i] = s
        fit, keep = _robust_poly(idx, cx, mass, tol=0.3 * pitch, deg=2)
        if fit is None or keep.sum() < n // 2 or fit[1] <= 0:
            break
        # implausible bending (pitch growing by more than the grid search allows
        # along the line): stay linear
        if 2 * abs(fit[2]) * n > (SLOPE_RANGE + 0.1) * fit[1]:
            lin, keep = _robust_poly(idx, cx, mass, tol=0.3 * pitch, deg=1)
            if lin is None or lin[1] <= 0:
                break
            fit = np.array([lin[0], lin[1], 0.0])
        moved = fit[0] + fit[1] * idx + fit[2] * idx**2 - grid_centers
        if np.abs(moved).max() > 0.4 * pitch:  # the refinement slipped a cell: keep the grid
            break
        q = fit
        pred = q[0] + q[1] * idx + q[2] * idx**2
        err = float(np.sqrt(np.mean(((cx - pred)[keep] / q[1]) ** 2)))
    centers_x = q[0] + q[1] * idx + q[2] * idx**2
    pitch = float(q[1] + q[2] * (n - 1))
    # vertical: ink centroid per cell, fitted along the line (residual tilt)
    rowsw = np.arange(h, dtype=np.float64)[:, None]
    cy = np.zeros(n)
    my = np.zeros(n)
    heights = []
    lo_y, hi_y = max(0, int(top - 0.5 * band_h)), min(h, int(bottom + 0.5 * band_h) + 1)
    for i, c in enumerate(centers_x):
        lo, hi = max(0, round(c - pitch * 0.4)), min(w, round(c + pitch * 0.4))
        if hi <= lo:
            continue
        patch = ink[lo_y:hi_y, lo:hi].astype(np.float64)
        s = patch.sum()
        if s > 0:
            cy[i] = float((patch * rowsw[lo_y:hi_y]).sum() / s)
            my[i] = s
            prow = np.flatnonzero(binary[lo_y:hi_y, lo:hi].max(axis=1) > 0)
            if prow.size:
                heights.append(prow[-1] - prow[0] + 1)
    a_y, b_y, _ = _robust_line(centers_x, cy, my, tol=0.3 * band_h)
    if my.sum() <= 0:
        a_y, b_y = (top + bottom) / 2.0, 0.0
    height = float(np.percentile(heights, 75)) if heights else float(band_h)
    height = max(3.0, min(height, float(band_h) * 1.2))
    centers_y = a_y + b_y * centers_x
    return LineCells(
        centers=np.stack([centers_x, centers_y], axis=1), pitch=float(pitch), height=height,
        fit_error=err,
    )


def cell_crops(ink: NDArray[np.float32], cells: LineCells) -> NDArray[np.float32]:
    """Cut and resize each cell: (n, CELL_H, CELL_W) float32 (ink in [0, 1])."""
    import cv2

    cw = max(2, round(cells.pitch * CROP_W_PITCH))
    ch = max(2, round(cells.height * CROP_H_CAP))
    out = np.empty((len(cells.centers), CELL_H, CELL_W), np.float32)
    interp = cv2.INTER_AREA if ch > CELL_H else cv2.INTER_LINEAR
    for i, (x, y) in enumerate(cells.centers):
        patch = cv2.getRectSubPix(ink, (cw, ch), (float(x), float(y)))
        out[i] = cv2.resize(patch, (CELL_W, CELL_H), interpolation=interp)
    return out


def standardize(crops: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per-crop contrast normalisation applied before the CNN (training and inference)."""
    mean = crops.mean(axis=(1, 2), keepdims=True)
    std = crops.std(axis=(1, 2), keepdims=True)
    return np.asarray((crops - mean) / (std + 0.05), dtype=np.float32)


class CellClassifier:
    """The cell CNN, run from the ONNX file the training script writes
    (:class:`docfraud._onnx.OnnxNet`: ONNX Runtime where installed, else OpenCV's dnn
    module).

    Architecture (see ``scripts/train_mrz_ocr.py``): three conv3x3 + batch norm + ReLU +
    maxpool2 blocks (16, 32, 64 channels), then fully connected 768 -> 128 -> 37.
    An ONNX engine is used at run time so that reading an MRZ never pays for importing
    torch.
    """

    def __init__(self, net: OnnxNet) -> None:
        self._net = net

    @classmethod
    def load(cls, path: Path = MODEL_PATH, *, engine: str | None = None) -> CellClassifier:
        """The classifier stored at ``path`` (``engine`` as :class:`OnnxNet` takes it)."""
        from docfraud._onnx import OnnxNet

        if not path.is_file():
            raise ModelError(f"MRZ OCR model not found at {path}; run scripts/train_mrz_ocr.py")
        return cls(OnnxNet(path, what="MRZ OCR model", engine=engine))

    def logits(self, crops: NDArray[np.float32]) -> NDArray[np.float32]:
        """(B, CELL_H, CELL_W) float32 ink crops -> (B, 37) float32 logits."""
        if len(crops) == 0:
            return np.zeros((0, len(ALPHABET)), np.float32)
        return self._net.run(standardize(crops)[:, None])

    def predict(self, crops: NDArray[np.float32]) -> NDArray[np.float32]:
        """(B, CELL_H, CELL_W) crops -> (B, 37) float32 class probabilities (ALPHABET order)."""
        z = self.logits(crops)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)


@functools.lru_cache(maxsize=1)
def default_classifier() -> CellClassifier:
    """The shipped classifier, loaded once per process."""
    return CellClassifier.load()


@functools.lru_cache(maxsize=1)
def small_glyph_classifier() -> CellClassifier:
    """The shipped small-glyph classifier (SMALL_MODEL_PATH), loaded once per process."""
    return CellClassifier.load(SMALL_MODEL_PATH)


def tesseract_line(gray: NDArray[np.uint8], *, timeout: float = 2.0) -> str:
    """Read one line strip with Tesseract restricted to the MRZ alphabet.

    Args:
        gray: (H, W) uint8 strip, dark text on light ground, text about 20-40 px tall.

    Returns:
        The text (A-Z, 0-9, '<'), possibly of the wrong length; "" if Tesseract fails.
    """
    from docfraud import tesseract
    from docfraud.errors import OcrError

    try:
        text = tesseract.image_to_string(gray, psm=7, oem=1, whitelist=ALPHABET,
                                         timeout=timeout)
    except OcrError as exc:  # the second engine is optional: the CNN reading stands
        logger.warning("%s", exc)
        return ""
    return "".join(ch for ch in text.upper() if ch in ALPHABET)
