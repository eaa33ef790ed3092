"""Photo substitution: traces of a portrait pasted over the genuine one.

A forger who substitutes the holder's photo brings in a picture with its own history:
taken, resampled to fit, JPEG-compressed, printed or pasted over the page. The page
around it keeps the issuer's printing. Inside the nominal portrait zone (from
:func:`docfraud.layout.find_zones`) this detector

1. turns the zone upright (card axes; through the card placement the layout found),
2. finds the photo rectangle: the strongest long straight edges near each side,
3. compares the photo with the page around it (a ring of 1-4 mm):
   fine texture (high-pass energy: the issuer prints the background's line pattern
   across the photo on most designs, and a resampled photo has lost its fine detail),
   the noise level on smooth pixels, sharpness of edges (Laplacian / gradient ratio),
   periodic blocking inside the photo (an earlier JPEG compression at another scale
   leaves a block grid whose period is not 8), the transition at the photo border
   (a feathered paste leaves a soft border, a halo of other brightness next to it),
4. and compares the photo with the ghost image (the faded second portrait of many
   designs, which forgers leave alone): the photo, grey, blurred and with thin dark lines
   and text closed away (as in the search zone), is matched over the ``ghost_search``
   zone at several scales; a genuine ghost correlates with its portrait, a substituted
   photo does not. A mismatch counts only where a ghost outline was found at all.

Each comparison is a log-ratio or correlation turned into a standard score with
centres and spreads measured on genuine synthetic documents (seed 4242, not an
evaluation seed; the ghost's centre on development seeds 7171 and 7272). On the
synthetic set only the ghost comparison and the noise level
separate substituted photos (see :func:`combine` and ``scripts/eval_portrait_viz.py``):
the synthetic forger's photo is printed at page resolution before capture, so its
resampling and JPEG history hardly survive the capture. The other comparisons are
measured and reported in ``data`` but raise no finding.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.findings import Finding
from docfraud.forensics.base import Analysis, Box, Detector, DetectorResult
from docfraud.forensics.registry import register

logger = logging.getLogger(__name__)

F32 = NDArray[np.float32]

#: resolution of the upright crops, pixels per millimetre (the image's own when lower)
_MAX_PX_PER_MM = 10.0
#: page ring compared with the photo: from 1 to 4 mm outside the photo border
_RING_MM = (1.0, 4.0)
_GHOST_PX_PER_MM = 5.0
#: dark details narrower than this are closed away before the ghost comparison: the
#: background's line pattern and text printed over the faded ghost (and the issuer's lines
#: across the photo) otherwise dominate its detail (development seeds 7171, 7272, designs
#: with a ghost: ROC AUC of the detail correlation, substituted against genuine photos,
#: 0.84 without closing, 0.85 / 0.87 / 0.90 / 0.89 / 0.89 with 0.6 / 1.0 / 1.4 / 1.8 / 2.2 mm)
_GHOST_CLEAN_MM = 1.4


@dataclass(frozen=True)
class Upright:
    """An upright crop of a card rectangle and the way back to the image.

    ``pixels`` (h, w, 3) float32 RGB in [0, 255]; ``valid`` (h, w) bool (inside the
    image); ``matrix`` 2x3 affine mapping crop (u, v) to image (x, y); ``px_per_mm``.
    """

    pixels: F32
    valid: NDArray[np.bool_]
    matrix: NDArray[np.float64]
    px_per_mm: float


def upright_crop(analysis: Analysis, zone: str, *, margin_mm: float = 0.0,
                 max_px_per_mm: float = _MAX_PX_PER_MM,
                 px_per_mm: float | None = None) -> Upright | None:
    """Crop of ``zone`` turned upright with the card placement, or the zone's box as is.

    With a card placement (cached by :func:`docfraud.layout.find_zones`) the zone's card
    rectangle, grown by ``margin_mm``, is resampled upright; without one, the zone box
    (grown by the margin at an assumed 10 px/mm) is cropped as it lies.
    ``px_per_mm`` forces the crop's resolution (up- or downsampling); by default it is
    the image's own, at most ``max_px_per_mm``.
    """
    import cv2

    from docfraud.layout import GEOMETRY, Placement

    box = analysis.zones.get(zone)
    if box is None:
        return None
    pixels = analysis.pixels
    h_img, w_img = analysis.shape
    placement = analysis._cache.get("placement")
    if isinstance(placement, Placement) and zone in GEOMETRY[placement.fmt].zones:
        x, y, w, h = GEOMETRY[placement.fmt].zones[zone]
        x, y, w, h = x - margin_mm, y - margin_mm, w + 2 * margin_mm, h + 2 * margin_mm
        k = px_per_mm if px_per_mm is not None else min(max_px_per_mm, placement.scale)
        if k * w < 16 or k * h < 16:
            return None
        f = placement.scale / k
        c, s = math.cos(placement.angle), math.sin(placement.angle)
        tx, ty = placement.to_image(x, y)
        matrix = np.array([[f * c, -f * s, tx], [f * s, f * c, ty]], dtype=np.float64)
        size = (round(k * w), round(k * h))
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        crop = cv2.warpAffine(pixels, matrix, size, flags=flags, borderMode=cv2.BORDER_CONSTANT)
        ones = np.full((h_img, w_img), 255, np.uint8)
        valid = cv2.warpAffine(ones, matrix, size, flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT) > 0
        return Upright(np.asarray(crop, dtype=np.float32), valid, matrix, k)
    x0, y0, w, h = box
    m = round(margin_mm * 10.0)
    xa, ya = max(0, x0 - m), max(0, y0 - m)
    xb, yb = min(w_img, x0 + w + m), min(h_img, y0 + h + m)
    if xb - xa < 16 or yb - ya < 16:
        return None
    as_is: F32 = np.asarray(pixels[ya:yb, xa:xb], dtype=np.float32)
    shift = np.array([[1.0, 0.0, xa], [0.0, 1.0, ya]], dtype=np.float64)
    return Upright(as_is, np.ones(as_is.shape[:2], np.bool_), shift, 10.0)


def luma(rgb: F32) -> F32:
    """(h, w) float32 luma (ITU-R 601) of an (h, w, 3) float32 RGB image."""
    return np.asarray(rgb @ np.array([0.299, 0.587, 0.114], np.float32), dtype=np.float32)


def find_photo(gray: F32, inner: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Photo rectangle (x0, y0, x1, y1) inside the nominal zone ``inner`` of an upright crop.

    The photo border is the longest straight edge near each side: the column profile of
    the horizontal gradient (over the middle rows) peaks at the left and right borders,
    the row profile of the vertical gradient at the top and bottom. Falls back to the
    zone inset by 4 % when the peaks do not make a plausible rectangle.
    """
    import cv2

    zx0, zy0, zx1, zy1 = inner
    zw, zh = zx1 - zx0, zy1 - zy0
    blur = cv2.GaussianBlur(gray, (0, 0), 1.0)
    gx = np.abs(cv2.Sobel(blur, cv2.CV_32F, 1, 0, ksize=3))
    gy = np.abs(cv2.Sobel(blur, cv2.CV_32F, 0, 1, ksize=3))
    band_y = slice(zy0 + zh // 4, zy1 - zh // 4)
    band_x = slice(zx0 + zw // 4, zx1 - zw // 4)
    # median over the band: a straight border is strong on most rows, a blob on few
    cols = np.median(gx[band_y, :], axis=0)
    rows = np.median(gy[:, band_x], axis=1)

    def peak(profile: F32, lo: int, hi: int) -> int:
        lo, hi = max(lo, 0), min(hi, profile.size)
        return lo + int(np.argmax(profile[lo:hi])) if hi > lo else lo

    span_x, span_y = max(2, int(0.22 * zw)), max(2, int(0.22 * zh))
    x0 = peak(cols, zx0 - span_x // 3, zx0 + span_x)
    x1 = peak(cols, zx1 - span_x, zx1 + span_x // 3) + 1
    y0 = peak(rows, zy0 - span_y // 3, zy0 + span_y)
    y1 = peak(rows, zy1 - span_y, zy1 + span_y // 3) + 1
    if x1 - x0 < 0.6 * zw or y1 - y0 < 0.6 * zh:
        ix, iy = round(0.04 * zw), round(0.04 * zh)
        return zx0 + ix, zy0 + iy, zx1 - ix, zy1 - iy
    return x0, y0, x1, y1


def _residual(gray: F32) -> F32:
    import cv2

    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32) / 6.0
    return np.asarray(cv2.filter2D(gray, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT),
                      dtype=np.float32)


def _rms_sigma(values: F32) -> float:
    """RMS of residuals clipped at 4 robust sigmas (+0.3 grey levels: quantisation)."""
    if values.size < 50:
        return float("nan")
    clip = 4.0 * (1.4826 * float(np.median(np.abs(values))) + 0.5)
    return float(np.sqrt(np.mean(np.minimum(values * values, clip * clip)))) + 0.3


def _sharpness(gray: F32, mask: NDArray[np.bool_]) -> float:
    """Mean |Laplacian| / mean |gradient| over the strongest 10 % gradients in ``mask``:
    a scale of edge width (sharper edges give higher values), independent of contrast."""
    import cv2

    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    grad = np.abs(gx) + np.abs(gy)
    lap = np.abs(cv2.Laplacian(gray, cv2.CV_32F, ksize=3))
    g = grad[mask]
    if g.size < 100:
        return float("nan")
    strong = mask & (grad >= max(float(np.percentile(g, 90)), 8.0))
    if strong.sum() < 30:
        return float("nan")
    return float(lap[strong].mean() / (grad[strong].mean() + 1e-6))


def block_periodicity(gray: F32) -> tuple[float, float]:
    """Strength and period of a periodic grid of block edges (an earlier JPEG compression
    at another scale), from the autocorrelation of the column and row profiles of the
    absolute second difference. Returns (prominence, period in pixels); prominence is
    the peak's autocorrelation (0 for none, about 1 for a clean grid)."""
    best, best_period = 0.0, 0.0
    for axis in (0, 1):
        d2 = np.abs(np.diff(gray, n=2, axis=1 - axis))
        profile = np.median(d2, axis=axis).astype(np.float64)
        n = profile.size
        if n < 64:
            continue
        # remove the slow trend (content) with a moving average of 15 px
        k = 15
        trend = np.convolve(profile, np.ones(k) / k, mode="same")
        p = (profile - trend)[k:-k]
        p = p - p.mean()
        denom = float((p * p).sum())
        if denom <= 1e-9:
            continue
        lags = range(6, min(48, p.size // 3))
        ac = np.array([float((p[:-lag] * p[lag:]).sum()) / denom for lag in lags])
        if ac.size < 3:
            continue
        i = int(np.argmax(ac))
        lag = 6 + i
        # a true grid repeats at twice the period as well
        twice = 2 * lag
        ac2 = float((p[:-twice] * p[twice:]).sum()) / denom if twice < p.size // 2 else 0.0
        value = float(min(ac[i], max(ac2, 0.0)))
        if value > best:
            best, best_period = value, float(lag)
    return best, best_period


def _border_softness(gray: F32, rect: tuple[int, int, int, int]) -> float:
    """Width of the transition across the photo border, in crop pixels: contrast across
    the border divided by the peak gradient across it (median over the four sides)."""
    x0, y0, x1, y1 = rect
    h, w = gray.shape
    widths: list[float] = []
    d = 5  # strips of 2 d pixels across each side, outside first
    sides: list[F32] = []
    if d <= x0 < w - d and y1 - y0 > 20:
        sides.append(gray[y0 + 10:y1 - 10, x0 - d:x0 + d])
    if d <= x1 < w - d and y1 - y0 > 20:
        sides.append(gray[y0 + 10:y1 - 10, x1 - d:x1 + d][:, ::-1])
    if d <= y0 < h - d and x1 - x0 > 20:
        sides.append(gray[y0 - d:y0 + d, x0 + 10:x1 - 10].T)
    if d <= y1 < h - d and x1 - x0 > 20:
        sides.append(gray[y1 - d:y1 + d, x0 + 10:x1 - 10].T[:, ::-1])
    for strip in sides:
        outside = strip[:, :2].mean(axis=1)
        inside = strip[:, -2:].mean(axis=1)
        contrast = np.abs(inside - outside)
        grad = np.abs(np.diff(strip, axis=1)).max(axis=1)
        ok = contrast > 12
        if ok.sum() >= 10:
            widths.append(float(np.median(contrast[ok] / (grad[ok] + 1e-3))))
    return float(np.median(widths)) if widths else float("nan")


def ghost_similarity(photo_gray: F32, search_gray: F32, *, px_per_mm: float
                     ) -> dict[str, Any]:
    """Find the ghost image in the search zone and compare it with the photo.

    The centre of the photo (robust to an inexact photo rectangle), shrunk to widths and
    heights of 42-70 % of the photo, is matched over the search zone at
    ``_GHOST_PX_PER_MM`` (both closed with a ``_GHOST_CLEAN_MM`` disc, which removes thin
    dark lines and text, and slightly blurred: the ghost is a soft, faded copy printed
    under the background's lines).

    Returns a dict (empty when nothing could be matched): ``shape`` (best normalised
    correlation, [-1, 1]), ``presence`` (how much darker the centre of the match is
    than the page around it), ``detail`` (correlation of the band-pass details at the
    match after the closing: hair, face and shoulder outlines and broad shading -- the
    closing also removes eyes, brows and glasses at this scale -- where the shared
    head-and-shoulders shape cancels; this is what tells one person from another) and
    ``box`` (x, y, w, h) in search-crop pixels.
    """
    import cv2

    f = _GHOST_PX_PER_MM / px_per_mm
    ph, pw = photo_gray.shape
    sh, sw = search_gray.shape
    k = max(3, round(_GHOST_CLEAN_MM * _GHOST_PX_PER_MM) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))

    def clean(img: Any) -> F32:
        closed = cv2.morphologyEx(np.asarray(img, dtype=np.float32), cv2.MORPH_CLOSE, disc)
        return np.asarray(cv2.GaussianBlur(closed, (0, 0), 0.8), dtype=np.float32)

    small_search = clean(cv2.resize(search_gray, (max(1, round(sw * f)), max(1, round(sh * f))),
                                    interpolation=cv2.INTER_AREA))
    my, mx = round(0.1 * ph), round(0.1 * pw)
    centre = photo_gray[my:ph - my, mx:pw - mx]
    ch, cw = centre.shape
    best: dict[str, Any] = {"shape": -1.0}
    for sx in (0.42, 0.47, 0.52, 0.58, 0.64, 0.7):
        for sy in (0.42, 0.47, 0.52, 0.58, 0.64, 0.7):
            tw, th = round(cw * f * sx), round(ch * f * sy)
            if tw < 8 or th < 8 or tw >= small_search.shape[1] or th >= small_search.shape[0]:
                continue
            templ = clean(cv2.resize(centre, (tw, th), interpolation=cv2.INTER_AREA))
            if float(templ.std()) < 1.0:
                continue
            res = cv2.matchTemplate(small_search, templ, cv2.TM_CCOEFF_NORMED)
            _, score, _, loc = cv2.minMaxLoc(res)
            if score > best["shape"]:
                x, y = loc
                best = {"shape": float(score),
                        "box": (round(x / f), round(y / f), round(tw / f), round(th / f)),
                        "pair": (templ, small_search[y:y + th, x:x + tw])}
    if "pair" not in best:
        return {}
    templ, window = best.pop("pair")
    best["detail"] = _detail_correlation(templ, window)
    # a ghost darkens the page (most in its centre); background alone does not
    x, y, w, h = (round(v * f) for v in best["box"])
    core = small_search[y + h // 4:y + h - h // 4, x + w // 4:x + w - w // 4]
    ring = np.ones(small_search.shape, np.bool_)
    ring[max(0, y - h // 6):y + h + h // 6, max(0, x - w // 6):x + w + w // 6] = False
    page = float(np.median(small_search[ring])) if ring.sum() > 50 else float(
        np.percentile(small_search, 90))
    best["presence"] = 1.0 - float(np.median(core)) / max(page, 1.0) if core.size else 0.0
    return best


def _detail_correlation(a: F32, b: F32) -> float:
    """Correlation of the band-pass detail (difference of Gaussians, sigma 1 and 3 px) of two
    aligned images (hair line, outlines, shading); the shared head-and-shoulders shape
    cancels."""
    import cv2

    def dog(x: F32) -> F32:
        return np.asarray(cv2.GaussianBlur(x, (0, 0), 1.0) - cv2.GaussianBlur(x, (0, 0), 3.0),
                          dtype=np.float32)

    da, db = dog(a).ravel(), dog(b).ravel()
    da, db = da - da.mean(), db - db.mean()
    denom = float(np.sqrt((da * da).sum() * (db * db).sum()))
    return float((da * db).sum() / denom) if denom > 1e-6 else 0.0


#: (median, spread, direction) of each comparison on genuine synthetic documents
#: (seed 4242, 20 genuine documents of all designs; the ghost: seeds 7171 and 7272, spread
#: kept from seed 4242); direction -1: only lower values are
#: suspicious, +1: only higher, 0: both.
_GENUINE: dict[str, tuple[float, float, int]] = {
    "texture": (-0.3, 0.45, -1),
    "noise": (0.0, 0.2, 0),
    "sharpness": (-0.2, 0.16, 0),
    "blocking": (0.05, 0.1, 1),
    "border": (2.0, 0.66, -1),
    # after closing (_GHOST_CLEAN_MM): median of 0.65 on the 120 genuine documents of
    # development seeds 7171 and 7272 (0.45 before, seed 4242)
    "ghost": (0.65, 0.15, -1),
}


#: ghost detail correlation that is neutral; above it the ghost vouches for the photo
_GHOST_NEUTRAL = 0.35
#: outline correlation above which the search zone is taken to hold a ghost at all (a
#: mismatching ghost counts as suspicion only then). Development seeds 7171 and 7272, all
#: designs: genuine documents given full ghost suspicion 15 % without the gate, 3.3 % with
#: it; substituted photos 50 % and 30 %; ROC AUC of the ghost term 0.81 -> 0.83
_GHOST_FOUND = 0.6


def combine(measured: dict[str, Any], z: dict[str, float]) -> float:
    """Score in [0, 1] from the comparisons.

    Only the noise-level mismatch and the ghost comparison drive it; texture, sharpness,
    blocking and border separated substituted from genuine photos no better than chance
    on the synthetic set (AUC 0.45-0.6, scripts/eval_portrait_viz.py) and only report
    extreme values as findings. The ghost counts both ways: a ghost whose details
    match the photo vouches for it (down to -3), a ghost that does not match counts as
    suspicion (up to +1) - at most +1, and only where something of the photo's outline
    was found in the search zone (``ghost_shape`` >= ``_GHOST_FOUND``): a design without
    a ghost image, or with its ghost elsewhere (most real passports), otherwise looks
    the same as a mismatching ghost to this measure.
    """
    evidence = 0.5 * max(0.0, z.get("noise", 0.0) - 1.0)
    ghost = measured.get("ghost")
    if isinstance(ghost, float) and math.isfinite(ghost):
        ghost_evidence = min(1.0, max(-3.0, (_GHOST_NEUTRAL - ghost) / 0.15))
        shape = measured.get("ghost_shape")
        if not (isinstance(shape, float) and shape >= _GHOST_FOUND):
            ghost_evidence = min(ghost_evidence, 0.0)
        evidence += ghost_evidence
    return 1.0 / (1.0 + math.exp(-2.0 * (evidence - 0.5)))


def standard_scores(measured: dict[str, Any]) -> dict[str, float]:
    """How far each comparison lies from the genuine range, in spreads (>= 0)."""
    z: dict[str, float] = {}
    for key, (mu, sd, direction) in _GENUINE.items():
        value = measured.get(key)
        if not isinstance(value, float) or not math.isfinite(value):
            continue
        d = (value - mu) / sd
        z[key] = abs(d) if direction == 0 else max(0.0, d * direction)
    return z


@register
class PortraitDetector(Detector):
    name = "portrait"
    version = "1"
    description = ("photo substitution: photo vs surrounding page (texture, noise, sharpness, "
                   "blocking, border) and photo vs ghost image")
    #: texture, sharpness, blocking and border comparisons are measured (``data``) but
    #: raise no finding: on the synthetic set they flagged genuine documents as often as
    #: substituted ones
    codes = ("PORTRAIT_NOISE_MISMATCH", "PORTRAIT_GHOST_MISMATCH")

    def applies_to(self, analysis: Analysis) -> bool:
        box = analysis.zones.get("portrait")
        return box is not None and box[2] >= 40 and box[3] >= 40

    def not_applicable_reason(self, analysis: Analysis) -> str:
        if "portrait" not in analysis.zones:
            return "no portrait zone (MRZ not found or format without a portrait)"
        return "portrait zone too small to analyse"

    def measure(self, analysis: Analysis) -> dict[str, Any]:
        """The raw comparisons (see the module docstring) and where the photo is."""
        import cv2

        margin = _RING_MM[1] + 1.0
        up = upright_crop(analysis, "portrait", margin_mm=margin)
        if up is None:
            return {}
        gray = luma(up.pixels)
        h, w = gray.shape
        m = round(margin * up.px_per_mm)
        inner = (m, m, max(m + 1, w - m), max(m + 1, h - m))
        x0, y0, x1, y1 = find_photo(gray, inner)
        valid = up.valid & (gray > 3)
        photo = np.zeros((h, w), np.bool_)
        ix, iy = max(2, round(0.04 * (x1 - x0))), max(2, round(0.04 * (y1 - y0)))
        photo[y0 + iy:y1 - iy, x0 + ix:x1 - ix] = True
        photo &= valid
        r0, r1 = (round(v * up.px_per_mm) for v in _RING_MM)
        ring = np.zeros((h, w), np.bool_)
        ring[max(0, y0 - r1):y1 + r1, max(0, x0 - r1):x1 + r1] = True
        ring[max(0, y0 - r0):y1 + r0, max(0, x0 - r0):x1 + r0] = False
        ring &= valid
        out: dict[str, Any] = {"upright": up, "rect": (x0, y0, x1, y1)}
        if photo.sum() < 400 or ring.sum() < 200:
            return out
        out["photo_ok"] = True
        res = _residual(gray)
        absres = np.abs(res)
        out["texture"] = math.log((float(absres[photo].mean()) + 0.05)
                                  / (float(absres[ring].mean()) + 0.05))
        blur = cv2.GaussianBlur(gray, (0, 0), 1.5)
        grad = np.abs(cv2.Sobel(blur, cv2.CV_32F, 1, 0, ksize=3)) + np.abs(
            cv2.Sobel(blur, cv2.CV_32F, 0, 1, ksize=3))
        smooth = grad < 16.0
        s_in = _rms_sigma(res[photo & smooth])
        s_out = _rms_sigma(res[ring & smooth])
        if math.isfinite(s_in) and math.isfinite(s_out):
            out["noise"] = math.log(s_in / s_out)
            out["noise_levels"] = (s_in, s_out)
        sh_in, sh_out = _sharpness(gray, photo), _sharpness(gray, ring)
        if math.isfinite(sh_in) and math.isfinite(sh_out):
            out["sharpness"] = math.log(sh_in / sh_out)
        py0, py1, px0, px1 = y0 + iy, y1 - iy, x0 + ix, x1 - ix
        prominence, period = block_periodicity(gray[py0:py1, px0:px1])
        out["blocking"], out["blocking_period"] = prominence, period
        softness = _border_softness(gray, (x0, y0, x1, y1))
        if math.isfinite(softness):
            out["border"] = softness
        search = upright_crop(analysis, "ghost_search")
        if search is not None:
            ghost = ghost_similarity(
                gray[y0:y1, x0:x1], luma(search.pixels), px_per_mm=up.px_per_mm)
            if ghost:
                out["ghost_shape"] = ghost["shape"]
                out["ghost_presence"] = ghost["presence"]
                out["ghost"] = ghost["detail"]
                out["ghost_box"] = ghost["box"]
                out["ghost_upright"] = search
        return out

    def run(self, analysis: Analysis) -> DetectorResult:
        import cv2

        m = self.measure(analysis)
        if "rect" not in m:
            return self.result(score=0.0, data={"reason": "portrait zone outside the image"})
        up: Upright = m["upright"]
        x0, y0, x1, y1 = m["rect"]
        z = standard_scores(m)
        score = combine(m, z)
        photo_box = self._image_box(up, (x0, y0, x1, y1), analysis.shape)
        findings: list[Finding] = []

        def flag(key: str, code: str, message: str, region: Box | None) -> None:
            if z.get(key, 0.0) >= 4.0:
                findings.append(self.finding(
                    code, "medium", message, region=region,
                    data={"z": round(z[key], 2), "value": round(float(m[key]), 4)}))

        flag("noise", "PORTRAIT_NOISE_MISMATCH",
             "the photo's noise level differs from the page around it: it may come from "
             "another source", photo_box)
        if m.get("ghost", 1.0) < 0.1 and m.get("ghost_shape", 0.0) >= 0.75:
            search: Upright = m["ghost_upright"]
            gx, gy, gw, gh = m["ghost_box"]
            ghost_box = self._image_box(search, (gx, gy, gx + gw, gy + gh), analysis.shape)
            findings.append(self.finding(
                "PORTRAIT_GHOST_MISMATCH", "medium",
                f"the ghost image does not match the portrait (correlation {m['ghost']:.2f})",
                region=ghost_box,
                data={"z": round(z["ghost"], 2), "correlation": round(float(m["ghost"]), 3),
                      "portrait_region": list(photo_box) if photo_box else None}))
        heat = np.zeros((y1 - y0, x1 - x0), np.float32) + float(score)
        h, w = analysis.shape
        # the photo's score over the photo area, carried back into image coordinates
        heatmap = np.asarray(cv2.warpAffine(
            np.pad(heat, ((y0, 0), (x0, 0))), up.matrix, (w, h),
            flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT), dtype=np.float32)
        data: dict[str, Any] = {k: round(float(v), 4) for k, v in m.items()
                                if isinstance(v, float)}
        data["z"] = {k: round(v, 3) for k, v in z.items()}
        data["photo_region"] = list(photo_box) if photo_box else None
        return self.result(score=score, heatmap=heatmap, findings=findings,
                           data=data)

    @staticmethod
    def _image_box(up: Upright, rect: tuple[int, int, int, int], shape: tuple[int, int]
                   ) -> Box | None:
        x0, y0, x1, y1 = rect
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], np.float64)
        pts = corners @ up.matrix.T
        h, w = shape
        xa, ya = max(0, int(pts[:, 0].min())), max(0, int(pts[:, 1].min()))
        xb, yb = min(w, math.ceil(pts[:, 0].max())), min(h, math.ceil(pts[:, 1].max()))
        if xb <= xa or yb <= ya:
            return None
        return xa, ya, xb - xa, yb - ya
