"""Forgery signatures: the traces of *how* a document was made and altered.

A signature keeps what differs between forgery workshops, not what every
genuine document of a design shares. It has three kinds of components:

* ``tokens`` -- categorical traces: the document-number scheme (``"AB9999999"``),
  the normalised issuing-authority text, MRZ habits (what is written into empty
  check digits, a wrong composite check digit), ...
* ``vectors`` -- named numeric vectors of fixed length (see :data:`VECTOR_SPECS`):
  MRZ print geometry (pitch, size, offset, stroke), the print or scan pattern of
  a background zone, background colour/texture, paste traces around the portrait.
  Deviations from the *design* are taken by :mod:`docfraud.cluster`, which
  standardises each vector per design (robust median / MAD over the database),
  so raw measurements can be stored here.
* ``portrait_hash`` -- perceptual hash (pHash, 64 bit) of the portrait and of its
  mirror image: a reused photo links documents even after rescaling, JPEG
  compression or mirroring.

Plus ``number`` (the document number, for sequential-number schemes),
``evidence`` (detector name -> score in [0, 1], the profile of forensic evidence),
``risk`` (fused risk in [0, 1]) and ``seen`` (ISO date the document was seen).

Image-based components are computed by :func:`portrait_hash`,
:func:`mrz_print_metrics`, :func:`print_pattern`, :func:`background_profile` and
:func:`paste_traces` from an RGB image and a zone box ``(x, y, w, h)`` in pixels
(zones come from ``docfraud.layout``). OpenCV, SciPy and imagehash are imported
inside those functions.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from docfraud.errors import InputError

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Box = tuple[int, int, int, int]

#: name -> (length, meaning of each entry). Every vector in a Signature has this length.
VECTOR_SPECS: dict[str, tuple[str, ...]] = {
    "mrz": ("pitch_ratio", "size_ratio", "offset_x", "offset_y", "stroke_ratio"),
    "print": ("period_px", "angle_cos4", "angle_sin4", "strength"),
    "background": ("L", "a", "b", "L_std", "hf_ratio"),
    "paste": ("seam_ratio", "blockiness", "noise_ratio"),
    "viz": tuple(f"{f}_{m}" for f in ("surname", "given_names", "birth_date", "expiry_date",
                                       "document_number") for m in ("height", "top")),
}

#: visual-zone fields measured by :func:`viz_print_metrics`, in vector order
VIZ_FIELDS: tuple[str, ...] = ("surname", "given_names", "birth_date", "expiry_date",
                               "document_number")

#: severity of a finding -> evidence score when a detector reports no score itself
_SEVERITY_SCORE = {"low": 0.33, "medium": 0.66, "high": 1.0}

_HASH_BITS = 64

#: MRZ checks whose outcome depends on the day of screening, not on how the document was made
_TIME_CHECKS = frozenset({"not_expired"})


@dataclass
class Signature:
    """Forgery signature of one document.

    Attributes:
        doc_id: identifier of the document (the file as given, or the sha256).
        design: design / document type the document claims to be, e.g. ``"UTO-P"``,
            or ``""`` when unknown. Vectors are standardised per design.
        tokens: categorical components, name -> string value.
        vectors: numeric components, name -> float64 array of length
            ``len(VECTOR_SPECS[name])``; absent when not measured.
        portrait_hash: ``(hash, mirror_hash)`` 64-bit pHash values of the portrait
            and its mirror image, or None.
        number: the document number as printed (letters and digits), or None.
        evidence: detector name -> evidence score in [0, 1].
        risk: fused risk score in [0, 1] (1 = surely forged).
        seen: ISO date (``YYYY-MM-DD``) the document was seen, or None.
        info: small JSON-able extras carried into reports (thumbnail path, ...).
    """

    doc_id: str
    design: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    vectors: dict[str, FloatArray] = field(default_factory=dict)
    portrait_hash: tuple[int, int] | None = None
    number: str | None = None
    evidence: dict[str, float] = field(default_factory=dict)
    risk: float = 0.0
    seen: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.doc_id, str) or not self.doc_id:
            raise InputError(f"signature doc_id must be a non-empty string, got {self.doc_id!r}")
        clean: dict[str, FloatArray] = {}
        for name, vec in self.vectors.items():
            spec = VECTOR_SPECS.get(name)
            if spec is None:
                raise InputError(
                    f"unknown signature vector {name!r}; known: {', '.join(VECTOR_SPECS)}")
            arr = np.asarray(vec, dtype=np.float64).reshape(-1)
            if arr.shape[0] != len(spec):
                raise InputError(
                    f"signature vector {name!r} needs {len(spec)} values, got {arr.shape[0]}")
            if not np.all(np.isfinite(arr)):
                raise InputError(f"signature vector {name!r} has non-finite values: {arr}")
            clean[name] = arr
        self.vectors = clean
        if self.portrait_hash is not None:
            h, m = self.portrait_hash
            if not (0 <= int(h) < 2**_HASH_BITS and 0 <= int(m) < 2**_HASH_BITS):
                raise InputError("portrait_hash values must be 64-bit unsigned integers")
            self.portrait_hash = (int(h), int(m))
        if not 0.0 <= float(self.risk) <= 1.0 or math.isnan(float(self.risk)):
            raise InputError(f"signature risk must be in [0, 1], got {self.risk!r}")
        self.risk = float(self.risk)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict; hashes as 16-digit hex strings. Inverse of :meth:`from_dict`."""
        return {
            "doc_id": self.doc_id,
            "design": self.design,
            "tokens": dict(self.tokens),
            "vectors": {k: [float(x) for x in v] for k, v in self.vectors.items()},
            "portrait_hash": (
                [f"{self.portrait_hash[0]:016x}", f"{self.portrait_hash[1]:016x}"]
                if self.portrait_hash is not None else None),
            "number": self.number,
            "evidence": {k: float(v) for k, v in self.evidence.items()},
            "risk": self.risk,
            "seen": self.seen,
            "info": dict(self.info),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Signature:
        """Build from :meth:`to_dict` output; raises InputError on malformed data."""
        if not isinstance(d, Mapping):
            raise InputError(f"a signature must be a JSON object, got {type(d).__name__}")
        try:
            ph = d.get("portrait_hash")
            phash = (int(ph[0], 16), int(ph[1], 16)) if ph else None
            return cls(
                doc_id=str(d["doc_id"]),
                design=str(d.get("design") or ""),
                tokens={str(k): str(v) for k, v in (d.get("tokens") or {}).items()},
                vectors={str(k): np.asarray(v, dtype=np.float64)
                         for k, v in (d.get("vectors") or {}).items()},
                portrait_hash=phash,
                number=None if d.get("number") is None else str(d["number"]),
                evidence={str(k): float(v) for k, v in (d.get("evidence") or {}).items()},
                risk=float(d.get("risk") or 0.0),
                seen=None if d.get("seen") is None else str(d["seen"]),
                info=dict(d.get("info") or {}),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"malformed signature {dict(d).get('doc_id', '?')!r}: {exc}") from exc


# --------------------------------------------------------------------------- comparisons

def hamming(a: int, b: int) -> int:
    """Number of differing bits of two 64-bit hashes (0..64)."""
    return (int(a) ^ int(b)).bit_count()


def portrait_distance(a: tuple[int, int] | None, b: tuple[int, int] | None) -> int | None:
    """Mirror-robust portrait distance in bits (0..64), None when either is missing.

    The minimum over (a, b), (a, mirror b) and (mirror a, b): a photo reused
    mirrored matches as well as one reused as is.
    """
    if a is None or b is None:
        return None
    return min(hamming(a[0], b[0]), hamming(a[0], b[1]), hamming(a[1], b[0]))


def vector_distance(a: FloatArray | None, b: FloatArray | None) -> float | None:
    """Euclidean distance of two same-length vectors divided by sqrt(length); None if missing."""
    if a is None or b is None:
        return None
    return float(np.linalg.norm(a - b) / math.sqrt(a.shape[0]))


def token_matches(a: Signature, b: Signature) -> list[str]:
    """Names of tokens present in both with the same non-empty value."""
    return sorted(k for k, v in a.tokens.items() if v and b.tokens.get(k) == v)


# --------------------------------------------------------------------------- text components

def number_scheme(number: str) -> str:
    """Pattern of a document number: letters kept, each digit -> ``9``, fillers dropped.

    >>> number_scheme("AB1234567<")
    'AB9999999'
    """
    return re.sub(r"[0-9]", "9", number.replace("<", "").strip().upper())


def number_value(number: str) -> int | None:
    """The numeric part of a document number (its digits as one integer), or None: also
    for a placeholder, at most two significant digits after leading zeros that fill at
    least half the number (specimens print ``0000000`` or ``XA0000014``), which would
    make every specimen a "number in sequence" with every other. (A zero-padded serial
    with three or more significant digits, ``AB0000123``, keeps its value.)"""
    digits = re.sub(r"[^0-9]", "", number)
    if not digits or len(digits) > 18:
        return None
    leading = len(digits) - len(digits.lstrip("0"))
    if len(digits) >= 4 and 2 * leading >= len(digits) and int(digits) < 100:
        return None
    return int(digits)


def normalise_authority(text: str) -> str:
    """Authority text compared as written: upper case, single spaces, no punctuation."""
    return " ".join(re.sub(r"[^A-Z0-9 ]", " ", text.upper()).split())


def mrz_habits(mrz: Mapping[str, Any]) -> dict[str, str]:
    """MRZ habits from a screen result's ``"mrz"`` object: how checks were written.

    Returns tokens ``mrz_format``, ``mrz_failed`` (sorted names of failing checks,
    ``"none"``; checks that depend on when the document is seen, such as
    ``not_expired``, are left out: they say nothing about how it was made) and,
    when the optional-data check digit is visible in the lines, ``mrz_empty_check``
    (``"<"`` or ``"0"``).
    """
    out: dict[str, str] = {}
    fmt = mrz.get("format")
    if fmt:
        out["mrz_format"] = str(fmt)
    checks = mrz.get("checks")
    if isinstance(checks, Mapping):
        failed = sorted(str(k) for k, v in checks.items()
                        if v is False and str(k) not in _TIME_CHECKS)
        out["mrz_failed"] = ",".join(failed) if failed else "none"
    lines = mrz.get("lines") or []
    if fmt == "TD3" and len(lines) == 2 and len(lines[1]) == 44:
        personal = lines[1][28:42]
        if personal.strip("<") == "":
            out["mrz_empty_check"] = lines[1][42]
    return out


# --------------------------------------------------------------------------- image components

def _crop(image: npt.NDArray[Any], box: Box, what: str) -> npt.NDArray[np.uint8]:
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.dtype != np.uint8:
        raise InputError(
            f"{what}: image must be a uint8 array (H, W) or (H, W, 3), got "
            f"{getattr(image, 'dtype', type(image).__name__)} {getattr(image, 'shape', '')}")
    try:
        x, y, w, h = (int(v) for v in box)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: box must be (x, y, w, h), got {box!r}") from exc
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, image.shape[1]), min(y + h, image.shape[0])
    if x1 - x0 < 8 or y1 - y0 < 8:
        raise InputError(f"{what}: box {box!r} leaves less than 8x8 pixels of a "
                         f"{image.shape[1]}x{image.shape[0]} image")
    return np.ascontiguousarray(image[y0:y1, x0:x1])


#: a zone whose grey levels spread less than this (standard deviation) holds no picture:
#: the blank margin of a rectified page, a card's back without a photo
BLANK_STD = 2.0


def _require_content(gray: npt.NDArray[np.uint8], what: str) -> None:
    """Raise :class:`InputError` for a blank (near-uniform) crop: every blank crop hashes
    and measures alike, which would link unrelated documents."""
    spread = float(gray.std())
    if spread < BLANK_STD:
        raise InputError(f"{what}: the zone is blank (grey-level spread {spread:.1f}); "
                         "nothing to measure")


def _gray(crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    import cv2

    if crop.ndim == 2:
        return crop
    return np.asarray(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


#: part of the portrait zone hashed (x0, x1, y0, y1 as fractions): the inner face, without
#: the photo's edges, background and the zone margin, which differ between documents that
#: carry the same printed photo
FACE_CROP = (0.2, 0.8, 0.12, 0.78)


def portrait_hash(image: npt.NDArray[np.uint8], box: Box) -> tuple[int, int]:
    """pHash of the inner face of the portrait zone and of its mirror image.

    Args:
        image: RGB (H, W, 3) or gray (H, W) uint8.
        box: portrait zone (x, y, w, h) in pixels; the hash covers :data:`FACE_CROP` of it.

    Returns:
        ``(hash, mirror_hash)``: 64-bit unsigned ints; compare with :func:`portrait_distance`.
        pHash keeps low DCT frequencies, so rescaling and JPEG compression move
        only a few bits.

    Raises:
        InputError: the box is malformed or off the image, or the face crop is blank
            (grey-level spread under :data:`BLANK_STD`; every blank crop has the same hash).
    """
    import imagehash
    from PIL import Image

    try:
        x, y, w, h = (int(v) for v in box)
    except (TypeError, ValueError) as exc:
        raise InputError(f"portrait_hash: box must be (x, y, w, h), got {box!r}") from exc
    fx0, fx1, fy0, fy1 = FACE_CROP
    inner = (x + round(fx0 * w), y + round(fy0 * h), round((fx1 - fx0) * w),
             round((fy1 - fy0) * h))
    gray = _gray(_crop(image, inner, "portrait_hash"))
    _require_content(gray, "portrait_hash")
    pil = Image.fromarray(gray)
    ph = imagehash.phash(pil, hash_size=8)
    pm = imagehash.phash(pil.transpose(Image.Transpose.FLIP_LEFT_RIGHT), hash_size=8)
    return int(str(ph), 16), int(str(pm), 16)


def _dominant_period(profile: FloatArray, *, lo: float, hi: float) -> float:
    """Dominant period (samples) of a 1-D profile between lo and hi via the spectrum."""
    p = profile - profile.mean()
    n = p.shape[0]
    spec = np.abs(np.fft.rfft(p * np.hanning(n), n=4 * n))
    freqs = np.fft.rfftfreq(4 * n)
    ok = (freqs > 1.0 / hi) & (freqs < 1.0 / lo)
    if not np.any(ok) or spec[ok].max() <= 0:
        return float("nan")
    f = freqs[ok][int(np.argmax(spec[ok]))]
    return float(1.0 / f)


def mrz_print_metrics(
    image: npt.NDArray[np.uint8], box: Box, *, chars_per_line: int, lines: int,
) -> FloatArray:
    """How the MRZ was printed, relative to its zone.

    Args:
        image: RGB or gray uint8 document image (ideally the rectified page).
        box: MRZ zone (x, y, w, h) as the design places it.
        chars_per_line: 44 (TD3), 36 (TD2), 30 (TD1).
        lines: number of MRZ lines (2 or 3).

    Returns:
        float64 (5,) -- ``pitch_ratio`` (measured character pitch / zone width per
        character; 1.0 = as designed), ``size_ratio`` (mean text-line height /
        zone height per line), ``offset_x`` and ``offset_y`` (ink start relative to
        the zone, in zone widths / heights), ``stroke_ratio`` (stroke width /
        text-line height). NaN-free: unmeasurable entries raise InputError.
    """
    import cv2

    gray = _gray(_crop(image, box, "mrz_print_metrics"))
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ink_b = ink > 0
    if ink_b.mean() < 0.005:
        raise InputError("mrz_print_metrics: no ink in the MRZ zone")
    h, w = ink_b.shape
    rows = ink_b.mean(axis=1)
    row_on = rows > max(0.02, 0.2 * rows.max())
    runs: list[tuple[int, int]] = []
    start = -1
    for i, on in enumerate(row_on):
        if on and start < 0:
            start = i
        elif not on and start >= 0:
            runs.append((start, i))
            start = -1
    if start >= 0:
        runs.append((start, h))
    runs = [r for r in runs if r[1] - r[0] >= 3]
    if not runs:
        raise InputError("mrz_print_metrics: no text lines found in the MRZ zone")
    line_h = float(np.mean([b - a for a, b in runs]))
    nominal_pitch = w / chars_per_line
    periods = []
    for a, b in runs:
        cols = ink_b[a:b].mean(axis=0).astype(np.float64)
        per = _dominant_period(cols, lo=0.5 * nominal_pitch, hi=1.6 * nominal_pitch)
        if math.isfinite(per):
            periods.append(per)
    if not periods:
        raise InputError("mrz_print_metrics: no character pitch found")
    ys, xs = np.nonzero(ink_b)
    dist = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    stroke = 2.0 * float(dist[ink_b].mean())
    return np.array([
        float(np.median(periods)) / nominal_pitch,
        line_h / (h / max(lines, 1)),
        float(xs.min()) / w,
        float(ys.min()) / h,
        stroke / line_h,
    ], dtype=np.float64)


def print_pattern(image: npt.NDArray[np.uint8], box: Box) -> FloatArray:
    """Print or scan pattern of a background zone from its 2-D spectrum.

    Args:
        image: RGB or gray uint8 image; the box should hold background only.
        box: zone (x, y, w, h), at least 32x32 pixels is advisable.

    Returns:
        float64 (4,) -- ``period_px`` of the strongest periodic pattern (pixels,
        2..N/4), its angle as ``cos 4θ`` and ``sin 4θ`` (halftone screens are
        symmetric under 90° turns), and ``strength`` = peak / total AC energy in [0, 1].
    """
    crop = _gray(_crop(image, box, "print_pattern")).astype(np.float64)
    crop -= crop.mean()
    h, w = crop.shape
    win = np.outer(np.hanning(h), np.hanning(w))
    spec = np.abs(np.fft.fftshift(np.fft.fft2(crop * win))) ** 2
    fy = np.fft.fftshift(np.fft.fftfreq(h))[:, None]
    fx = np.fft.fftshift(np.fft.fftfreq(w))[None, :]
    rad = np.sqrt(fx**2 + fy**2)
    band = (rad >= 4.0 / min(h, w)) & (rad <= 0.5)
    total = float(spec[band].sum())
    if total <= 0:
        return np.array([0.0, 1.0, 0.0, 0.0])
    masked = np.where(band, spec, 0.0)
    iy, ix = np.unravel_index(int(np.argmax(masked)), masked.shape)
    f = float(rad[iy, ix])
    theta = math.atan2(float(fy[iy, 0]), float(fx[0, ix]))
    # energy in a 3x3 neighbourhood of the peak and of its mirror (the spectrum is symmetric)
    peak = float(masked[max(iy - 1, 0):iy + 2, max(ix - 1, 0):ix + 2].sum()) * 2.0
    return np.array([1.0 / f, math.cos(4 * theta), math.sin(4 * theta), min(peak / total, 1.0)])


def background_profile(image: npt.NDArray[np.uint8], box: Box) -> FloatArray:
    """Colour and texture of a background zone.

    Args:
        image: RGB (H, W, 3) uint8.
        box: zone (x, y, w, h) holding background guilloche/tint only.

    Returns:
        float64 (5,) -- mean CIE L*, a*, b* (OpenCV 8-bit scale: L in 0..255,
        a/b offset by 128), std of L, and the share of gradient energy at the
        finest scale (``hf_ratio`` in [0, 1]; print vs. the design's line work).
    """
    import cv2

    crop = _crop(image, box, "background_profile")
    if crop.ndim == 2:
        crop = np.repeat(crop[:, :, None], 3, axis=2)
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float64)
    lum = lab[:, :, 0]
    fine = np.abs(np.diff(lum, axis=1)).mean() + np.abs(np.diff(lum, axis=0)).mean()
    blur = cv2.GaussianBlur(lum, (0, 0), 2.0)
    coarse = np.abs(np.diff(blur, axis=1)).mean() + np.abs(np.diff(blur, axis=0)).mean()
    hf = fine / (fine + coarse) if fine + coarse > 0 else 0.0
    return np.array([lum.mean(), lab[:, :, 1].mean(), lab[:, :, 2].mean(), lum.std(), hf])


def paste_traces(image: npt.NDArray[np.uint8], box: Box) -> FloatArray:
    """Traces of pasting a portrait (or any patch) into ``box``.

    Returns:
        float64 (3,) -- ``seam_ratio``: gradient magnitude on the box border
        relative to the area around it (a hard seam gives > 1); ``blockiness``:
        luminance steps on the 8-pixel JPEG grid relative to off-grid steps inside
        the box (recompressed patches give > 1); ``noise_ratio``: noise level
        inside / outside the box (a patch with different noise gives != 1).

    Raises:
        InputError: the box is off the image, or it and its surroundings are blank
            (grey-level spread under :data:`BLANK_STD`: a page margin).
    """
    import cv2

    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
        raise InputError("paste_traces: image must be a uint8 array (H, W) or (H, W, 3)")
    x, y, w, h = (int(v) for v in box)
    m = max(4, min(w, h) // 6)
    outer = (x - m, y - m, w + 2 * m, h + 2 * m)
    big_gray = _gray(_crop(image, outer, "paste_traces"))
    # blank around and inside the box (a page margin): a flat patch pasted on a printed
    # page is measured, it has a seam
    _require_content(big_gray, "paste_traces")
    big = big_gray.astype(np.float64)
    inner = _gray(_crop(image, box, "paste_traces")).astype(np.float64)
    ox, oy = max(x - m, 0), max(y - m, 0)
    gx = cv2.Sobel(big, cv2.CV_64F, 1, 0, ksize=3)
    gy = cv2.Sobel(big, cv2.CV_64F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    border = np.zeros(mag.shape, dtype=bool)
    # the box as cropped: a box reaching over the image's edge is measured where it lies
    # inside (its crop starts at the edge). Only its sides inside the image are a seam:
    # where the image cuts the box there is no border to see
    h_img, w_img = image.shape[:2]
    bx0, by0 = max(x, 0) - ox, max(y, 0) - oy
    bx1, by1 = bx0 + inner.shape[1] - 1, by0 + inner.shape[0] - 1
    for xx, inside in ((bx0, x > 0), (bx1, x + w < w_img)):
        if inside:
            border[max(by0, 0):by1 + 1, max(xx - 1, 0):xx + 2] = True
    for yy, inside in ((by0, y > 0), (by1, y + h < h_img)):
        if inside:
            border[max(yy - 1, 0):yy + 2, max(bx0, 0):bx1 + 1] = True
    around = ~border
    # a box cut by the image on every side has no seam to measure: neutral
    seam = (float(mag[border].mean() / (mag[around].mean() + 1e-6))
            if border.any() and around.any() else 1.0)
    dx = np.abs(np.diff(inner, axis=1))
    cols = np.arange(dx.shape[1])
    on_grid = dx[:, (cols % 8) == 7].mean() if dx.shape[1] >= 8 else 0.0
    off_grid = dx[:, (cols % 8) != 7].mean()
    block = float(on_grid / (off_grid + 1e-6))

    # noise level = mean absolute residual of a 3x3 median filter (a median of the
    # residuals is 0 or 1 grey level on clean 8-bit pages, too coarse for a ratio)
    def noise(a: npt.NDArray[np.float64]) -> float:
        return float(np.mean(np.abs(a - cv2.medianBlur(a.astype(np.float32), 3))) + 1e-3)

    mask_out = np.ones(big.shape, dtype=bool)
    mask_out[by0:by1 + 1, bx0:bx1 + 1] = False
    big_noise = np.abs(big - cv2.medianBlur(big.astype(np.float32), 3))
    if not mask_out.any():  # nothing around the box: no noise to compare with
        return np.array([seam, block, 1.0])
    out_noise = float(np.mean(big_noise[mask_out]) + 1e-3)
    return np.array([seam, block, noise(inner) / out_noise])


def viz_print_metrics(image: npt.NDArray[np.uint8], field_boxes: Mapping[str, Box], *,
                      ink_level: int = 100) -> FloatArray:
    """How the visual-zone fields were printed: text height and top offset in each box.

    A forger who rewrites a field prints it in another font, size or position; the
    design's own printing gives the same values on every genuine document.

    Args:
        image: RGB or gray uint8 rectified page.
        field_boxes: the design's field boxes (x, y, w, h) in page pixels, keyed by
            :data:`VIZ_FIELDS` names (``"document_number"`` may be given as
            ``"passport_number"`` or ``"number"``).
        ink_level: gray level below which a pixel counts as text ink (0..255).

    Returns:
        float64 (10,) -- per field ``height`` (ink height / box height) and ``top``
        (ink top offset / box height); 0.0 for a field without a box or without ink.
    """
    out = np.zeros(2 * len(VIZ_FIELDS))
    aliases = {"document_number": ("document_number", "passport_number", "number")}
    for k, name in enumerate(VIZ_FIELDS):
        box = next((field_boxes[a] for a in aliases.get(name, (name,)) if a in field_boxes), None)
        if box is None:
            continue
        try:
            gray = _gray(_crop(image, box, "viz_print_metrics"))
        except InputError:
            continue
        rows = (gray < ink_level).mean(axis=1)
        on = np.flatnonzero(rows > 0.02)
        if on.size < 2:
            continue
        h = gray.shape[0]
        out[2 * k] = (on[-1] - on[0] + 1) / h
        out[2 * k + 1] = on[0] / h
    return out


# --------------------------------------------------------------------------- from screen records

def evidence_profile(
    findings: Sequence[Mapping[str, Any]],
    detector_scores: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, float]:
    """Detector name -> evidence score in [0, 1] from findings and detector scores.

    ``detector_scores`` is either name -> score (or -> result dict), or the list of
    detector result dicts of a screen record (``"detectors"``). A detector's score
    (when the screen result has one) wins; otherwise the highest severity of its
    findings (low 0.33, medium 0.66, high 1.0).
    """
    if isinstance(detector_scores, Sequence) and not isinstance(detector_scores, str):
        detector_scores = {str(d.get("detector")): d for d in detector_scores
                           if isinstance(d, Mapping)}
    out: dict[str, float] = {}
    for f in findings:
        det = str(f.get("detector") or "unknown")
        out[det] = max(out.get(det, 0.0), _SEVERITY_SCORE.get(str(f.get("severity")), 0.33))
    for det, score in (detector_scores or {}).items():
        if isinstance(score, Mapping):
            score = score.get("score")
        if isinstance(score, int | float) and math.isfinite(float(score)):
            out[str(det)] = min(max(float(score), 0.0), 1.0)
    return out


def signature_from_record(record: Mapping[str, Any]) -> Signature:
    """Signature of one stored screen result (``docfraud screen --json`` object).

    A record with a ``"signature"`` object (written by the screen pipeline) uses
    it; what it lacks is filled from the record: the MRZ fields (document number
    scheme, habits), findings (evidence profile), ``risk.score`` and the file.

    Raises:
        InputError: the record is not an object or has no ``file``/``sha256``.
    """
    if not isinstance(record, Mapping):
        raise InputError(f"a screen record must be a JSON object, got {type(record).__name__}")
    doc_id = record.get("file") or record.get("sha256")
    sig_d = record.get("signature")
    if isinstance(sig_d, Mapping):
        merged = dict(sig_d)
        merged.setdefault("doc_id", doc_id)
        sig = Signature.from_dict(merged)
    else:
        if not doc_id:
            raise InputError("screen record has neither 'file' nor 'sha256'")
        sig = Signature(doc_id=str(doc_id))
    mrz = record.get("mrz")
    if isinstance(mrz, Mapping) and mrz.get("found", True):
        fields = mrz.get("fields") or {}
        num = fields.get("document_number")
        if num and sig.number is None:
            sig.number = str(num).replace("<", "")
        if num and "number_scheme" not in sig.tokens:
            sig.tokens["number_scheme"] = number_scheme(str(num))
        for k, v in mrz_habits(mrz).items():
            sig.tokens.setdefault(k, v)
        if not sig.design:
            sig.design = "-".join(str(fields.get(k) or "") for k in
                                  ("issuing_state", "document_code")) + f"-{mrz.get('format', '')}"
    if not sig.evidence:
        sig.evidence = evidence_profile(record.get("findings") or [], record.get("detectors"))
    risk = record.get("risk")
    if isinstance(risk, Mapping) and isinstance(risk.get("score"), int | float) and sig.risk == 0:
        sig.risk = min(max(float(risk["score"]), 0.0), 1.0)
    sig.info.setdefault("file", record.get("file"))
    if record.get("sha256"):
        sig.info.setdefault("sha256", record.get("sha256"))
    return sig



def signature_from_page(
    page: npt.NDArray[np.uint8],
    *,
    doc_id: str,
    design: str,
    zones: Mapping[str, Box],
    mrz_format: str | None = None,
    mrz_lines: Sequence[str] | None = None,
    authority: str | None = None,
    evidence: Mapping[str, float] | None = None,
    risk: float = 0.0,
    seen: str | None = None,
    portrait_zone: str | None = None,
) -> Signature:
    """Signature of one document from its rectified page and zones.

    Args:
        page: (H, W, 3) uint8 RGB rectified page (``docfraud.layout``).
        doc_id: document identifier.
        design: design / document type (vectors are standardised per design).
        zones: ``"portrait"``, ``"mrz"`` (the design's nominal MRZ zone, not where
            this document's MRZ happens to be), ``"background"`` (a background-only
            area) and ``"viz_<field>"`` (the design's field boxes, see
            :func:`viz_print_metrics`), boxes (x, y, w, h) in page pixels; missing
            zones leave their components out.
        mrz_format: ``"TD3"``, ``"TD2"``, ``"TD1"``, ... of the MRZ.
        mrz_lines: the MRZ as read (for number scheme and habits); None if unread.
        authority: issuing-authority text as read in the visual zone.
        evidence: detector name -> score in [0, 1].
        risk: fused risk in [0, 1].
        seen: ISO date the document was seen.
        portrait_zone: where the ``"portrait"`` zone comes from (``"design"``: the
            design's own box; ``"nominal"``: the MRZ format's), kept as the token
            ``portrait_zone`` with the hash: the hashes of one photo cropped by the two
            kinds of zone differ, so :mod:`docfraud.cluster` compares only hashes of the
            same kind (or of unrecorded kind).

    Returns:
        The signature; a component whose zone cannot be measured (no ink, box off
        the page) is left out and logged, never guessed.
    """
    from docfraud.errors import DocfraudError

    vectors: dict[str, FloatArray] = {}
    phash: tuple[int, int] | None = None
    jobs: list[tuple[str, Any]] = []
    if "portrait" in zones:
        jobs.append(("portrait", lambda: portrait_hash(page, zones["portrait"])))
        jobs.append(("paste", lambda: paste_traces(page, zones["portrait"])))
    if "mrz" in zones and mrz_format:
        chars = {"TD1": 30, "TD2": 36, "MRVB": 36, "FRA_ID": 36}.get(mrz_format, 44)
        lines = 3 if mrz_format == "TD1" else 2
        jobs.append(("mrz", lambda: mrz_print_metrics(page, zones["mrz"], chars_per_line=chars,
                                                      lines=lines)))
    fields = {k[4:]: v for k, v in zones.items() if k.startswith("viz_")}
    if fields:
        jobs.append(("viz", lambda: viz_print_metrics(page, fields)))
    if "background" in zones:
        jobs.append(("print", lambda: print_pattern(page, zones["background"])))
        jobs.append(("background", lambda: background_profile(page, zones["background"])))
    for name, job in jobs:
        try:
            value = job()
        except DocfraudError as exc:
            log.info("%s: no %s component: %s", doc_id, name, exc)
            continue
        if name == "portrait":
            phash = value
        else:
            vectors[name] = value
    tokens: dict[str, str] = {}
    number: str | None = None
    if mrz_lines:
        from docfraud.mrz import parse

        try:
            res = parse(list(mrz_lines), format=mrz_format)
        except DocfraudError as exc:
            log.info("%s: MRZ not parsed: %s", doc_id, exc)
        else:
            num = res.fields.get("document_number")
            if num:
                number = str(num).replace("<", "")
                tokens["number_scheme"] = number_scheme(number)
            tokens.update(mrz_habits({"format": res.format, "checks": res.checks,
                                      "lines": res.lines}))
    if authority:
        tokens["authority"] = normalise_authority(authority)
    if portrait_zone and phash is not None:
        tokens["portrait_zone"] = portrait_zone
    return Signature(doc_id=doc_id, design=design, tokens=tokens, vectors=vectors,
                     portrait_hash=phash, number=number, evidence=dict(evidence or {}),
                     risk=risk, seen=seen)


def screened_design(record: Mapping[str, Any]) -> str | None:
    """The design the ``reference`` detector registered the card on, or None.

    Signatures are standardised per design: two designs of one MRZ format (an identity
    card and a residence permit, both TD1) differ in background, layout and portrait
    print, and documents scanned alike would look "atypical together" against a median
    of both.
    """
    for d in record.get("detectors") or []:
        if (isinstance(d, Mapping) and d.get("detector") == "reference"
                and d.get("status") == "ok" and isinstance(d.get("data"), Mapping)):
            name = d["data"].get("design")
            return str(name) if name else None
    return None


def signature_from_screen(
    record: Mapping[str, Any], page: npt.NDArray[np.uint8], zones: Mapping[str, Box], *,
    seen: str | None = None,
    portrait_zone: str | None = None,
) -> Signature:
    """Signature of a screened document from its screen record and straightened card.

    What ``docfraud screen --signature`` computes (:func:`docfraud.screen.extract_signature`).

    Args:
        record: the screen JSON object (``"file"``, ``"mrz"``, ``"detectors"``, ``"risk"``).
        page: (H, W, 3) uint8 RGB card from :func:`docfraud.screen.signature_zones`.
        zones: its zones (x, y, w, h) in page pixels.
        seen: ISO date the document was seen.
        portrait_zone: where the portrait zone comes from (:func:`signature_from_page`).
    """
    mrz = record.get("mrz") if isinstance(record.get("mrz"), Mapping) else {}
    assert isinstance(mrz, Mapping)
    fmt = mrz.get("format")
    lines = mrz.get("lines") or None
    evidence = {str(d.get("detector")): float(d["score"]) for d in record.get("detectors") or []
                if isinstance(d, Mapping) and isinstance(d.get("score"), int | float)}
    risk_d = record.get("risk")
    risk = float(risk_d.get("score") or 0.0) if isinstance(risk_d, Mapping) else 0.0
    sig = signature_from_page(
        page, doc_id=str(record.get("file") or record.get("sha256") or "?"),
        design=screened_design(record) or str(fmt),
        zones=zones, mrz_format=None if fmt is None else str(fmt),
        mrz_lines=None if lines is None else [str(x) for x in lines], evidence=evidence,
        risk=min(max(risk, 0.0), 1.0), seen=seen, portrait_zone=portrait_zone)
    return signature_from_record({**record, "signature": sig.to_dict()})
