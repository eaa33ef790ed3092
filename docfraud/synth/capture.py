"""Capture simulation: a printed page as a flatbed scanner or a phone camera records it.

Parameters are drawn by :func:`sample_capture_params` from their own random stream;
callers never condition them on whether the document is forged (a classifier
looking only at file size, JPEG quality or image size must stay near chance).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import InputError
from docfraud.synth._cv import jpeg_roundtrip

RGBImage = NDArray[np.uint8]
Homography = NDArray[np.float64]


@dataclass(frozen=True)
class CaptureParams:
    """How one document is captured (all JSON-ready).

    Attributes:
        mode: ``"scan"`` or ``"phone"``.
        rotation: quarter turns of the document in the image, 0, 90, 180 or 270 degrees.
        angle_deg: small extra rotation.
        perspective: corner displacement as a fraction of the document size (phones).
        margins: (left, top, right, bottom) background around the document, as fractions of
            the document's rotated bounding box.
        long_side: long side of the output image in pixels.
        blur_sigma: Gaussian defocus in output pixels.
        noise_sigma: sensor noise (standard deviation in 8-bit levels).
        illumination: strength of a linear light gradient, and its direction in degrees.
        vignette: darkening towards the corners.
        glare: (strength 0-1, x, y as fractions of the image, radius as a fraction of the long
            side); strength 0 means none.
        gains: per-channel white balance (R, G, B).
        gamma: tone curve exponent.
        background: ``"scanner_white"``, ``"scanner_grey"``, ``"table"``, ``"cloth"``.
        background_rgb: base colour of the background.
        format: ``"JPEG"`` or ``"PNG"``.
        quality: JPEG quality (ignored for PNG).
        resave_quality: quality of a second JPEG save (messenger apps), or 0 for none.
        px_scale: image pixels per page pixel (a scanner's fixed resolution); 0 scales the
            document and its margins to ``long_side``.
    """

    mode: str
    rotation: int
    angle_deg: float
    perspective: float
    margins: tuple[float, float, float, float]
    long_side: int
    blur_sigma: float
    noise_sigma: float
    illumination: tuple[float, float]
    vignette: float
    glare: tuple[float, float, float, float]
    gains: tuple[float, float, float]
    gamma: float
    background: str
    background_rgb: tuple[int, int, int]
    format: str
    quality: int
    resave_quality: int
    px_scale: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaptureParams:
        values = dict(data)
        for key in ("margins", "illumination", "glare", "gains", "background_rgb"):
            values[key] = tuple(values[key])
        return cls(**values)


def _r(value: float, nd: int = 3) -> float:
    return round(float(value), nd)


#: share of images turned by a quarter turn (90, 180 or 270 degrees)
QUARTER_TURN_RATE = 0.2
#: how a document lies on a scanner's glass: tilt (standard deviation, degrees) and the
#: range of each margin around it (a share of its size)
SCAN_TILT_SD = 1.2
SCAN_MARGINS = (0.005, 0.08)


def _quarter_turn(rng: np.random.Generator, rate: float = QUARTER_TURN_RATE) -> int:
    return int(rng.choice([90, 180, 270])) if rng.random() < rate else 0


def sample_capture_params(
    rng: np.random.Generator,
    *,
    long_side: tuple[int, int] = (1100, 1800),
    phone_rate: float = 0.55,
    png_rate: float = 0.12,
    quarter_turn_rate: float = QUARTER_TURN_RATE,
) -> CaptureParams:
    """Draw capture parameters (independently of the document and its label).

    Args:
        rng: random generator reserved for capture.
        long_side: range of the output image's long side in pixels.
        phone_rate: share of phone photos (the rest are scans).
        png_rate: share of PNG files (the rest are JPEG).
        quarter_turn_rate: share of images turned by 90, 180 or 270 degrees.
    """
    phone = bool(rng.random() < phone_rate)
    rotation = _quarter_turn(rng, quarter_turn_rate)
    if phone:
        angle = rng.normal(0, 6)
        perspective = rng.uniform(0.0, 0.07)
        margins = tuple(_r(v) for v in rng.uniform(0.04, 0.3, 4))
        blur = rng.uniform(0.0, 1.6)
        noise = rng.uniform(1.0, 7.0)
        illum = (_r(rng.uniform(0.0, 0.35)), _r(rng.uniform(0, 360)))
        vignette = rng.uniform(0.0, 0.35)
        glare = (
            (
                _r(rng.uniform(0.2, 0.7)),
                _r(rng.uniform(0.15, 0.85)),
                _r(rng.uniform(0.15, 0.85)),
                _r(rng.uniform(0.05, 0.2)),
            )
            if rng.random() < 0.35
            else (0.0, 0.5, 0.5, 0.1)
        )
        background = str(rng.choice(["table", "cloth", "table", "scanner_grey"]))
        base = rng.integers(30, 200, 3) if background != "scanner_grey" else np.full(3, 90)
        gains = tuple(_r(v) for v in rng.uniform(0.9, 1.1, 3))
        gamma = rng.uniform(0.85, 1.2)
        resave = int(rng.integers(55, 90)) if rng.random() < 0.25 else 0
    else:
        angle = rng.normal(0, SCAN_TILT_SD)
        perspective = 0.0
        margins = tuple(_r(v) for v in rng.uniform(*SCAN_MARGINS, 4))
        blur = rng.uniform(0.0, 0.8)
        noise = rng.uniform(0.3, 3.0)
        illum = (_r(rng.uniform(0.0, 0.08)), _r(rng.uniform(0, 360)))
        vignette = 0.0
        glare = (0.0, 0.5, 0.5, 0.1)
        background = str(rng.choice(["scanner_white", "scanner_grey"]))
        base = (
            np.full(3, int(rng.integers(225, 256)))
            if background == "scanner_white"
            else np.full(3, int(rng.integers(40, 120)))
        )
        gains = tuple(_r(v) for v in rng.uniform(0.96, 1.04, 3))
        gamma = rng.uniform(0.9, 1.1)
        resave = 0
    fmt = "PNG" if rng.random() < png_rate else "JPEG"
    return CaptureParams(
        mode="phone" if phone else "scan",
        rotation=rotation,
        angle_deg=_r(angle),
        perspective=_r(perspective),
        margins=margins,  # type: ignore[arg-type]
        long_side=int(rng.integers(long_side[0], long_side[1] + 1)),
        blur_sigma=_r(blur),
        noise_sigma=_r(noise),
        illumination=illum,
        vignette=_r(vignette),
        glare=glare,
        gains=gains,  # type: ignore[arg-type]
        gamma=_r(gamma),
        background=background,
        background_rgb=(int(base[0]), int(base[1]), int(base[2])),
        format=fmt,
        quality=int(rng.integers(60, 96)),
        resave_quality=resave,
    )


#: how documents are captured: ``"mixed"`` (phones and scanners of any setting, each
#: document its own) or ``"lab"`` (every document on one flatbed scanner at one setting)
CAPTURE_KINDS = ("mixed", "lab")


#: resolution of the laboratory scanner (300 dpi) in pixels per mm
LAB_PX_PER_MM = 300 / 25.4


def lab_scanner(rng: np.random.Generator) -> CaptureParams:
    """The settings of one laboratory flatbed scanner (drawn once per dataset).

    A document lab scans seized documents on one scanner at one resolution (300 dpi:
    a card and a passport page come out at their own sizes), tone curve and file
    format; what still changes from document to document is how each lies on the glass
    (:func:`lab_capture_params`).
    """
    from docfraud.synth.designs import PX_PER_MM

    white = bool(rng.random() < 0.5)
    base = int(rng.integers(225, 256)) if white else int(rng.integers(40, 120))
    return CaptureParams(
        mode="scan", rotation=0, angle_deg=0.0, perspective=0.0, margins=(0.03, 0.03, 0.03, 0.03),
        long_side=0, blur_sigma=_r(rng.uniform(0.2, 0.6)), noise_sigma=_r(rng.uniform(0.5, 1.5)),
        illumination=(0.0, 0.0), vignette=0.0, glare=(0.0, 0.5, 0.5, 0.1),
        gains=tuple(_r(v) for v in rng.uniform(0.98, 1.02, 3)),  # type: ignore[arg-type]
        gamma=_r(rng.uniform(0.95, 1.05)),
        background="scanner_white" if white else "scanner_grey",
        background_rgb=(base, base, base), format="JPEG",
        quality=int(rng.integers(85, 96)), resave_quality=0,
        px_scale=round(LAB_PX_PER_MM / PX_PER_MM, 6))


def lab_capture_params(scanner: CaptureParams, rng: np.random.Generator) -> CaptureParams:
    """One document on ``scanner``'s glass: its placement (a small angle, the margins
    around it, upright or turned) is its own, everything else is the scanner's."""
    rotation = _quarter_turn(rng)
    margins = tuple(_r(v) for v in rng.uniform(*SCAN_MARGINS, 4))
    return replace(scanner, rotation=rotation, angle_deg=_r(rng.normal(0, SCAN_TILT_SD)),
                   margins=margins)  # type: ignore[arg-type]


def _background(
    params: CaptureParams, size: tuple[int, int], rng: np.random.Generator
) -> NDArray[np.uint8]:
    """Scanner lid or table/cloth texture, (H, W, 3) uint8; built at a quarter of the size."""
    import cv2

    w, h = size
    gh, gw = max(h // 4, 2), max(w // 4, 2)
    base = np.array(params.background_rgb, np.float32)
    coarse = cv2.resize(
        rng.normal(0, 1, (6, 8)).astype(np.float32), (gw, gh), interpolation=cv2.INTER_CUBIC
    )
    amount = {"scanner_white": 2.0, "scanner_grey": 4.0, "table": 14.0, "cloth": 8.0}[
        params.background
    ]
    small = base + (amount * coarse)[..., None]
    if params.background == "table":  # wood grain
        grain = np.repeat(rng.normal(0, 1, (gh, 1)).astype(np.float32), gw, axis=1)
        small += 8.0 * grain[..., None]
    elif params.background == "cloth":  # weave
        yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
        small += 8.0 * (np.sin(xx * 1.3) * np.sin(yy * 1.3))[..., None]
    small_u8 = np.clip(small, 0, 255).astype(np.uint8)
    return np.asarray(cv2.resize(small_u8, (w, h), interpolation=cv2.INTER_LINEAR), np.uint8)


def capture_geometry(
    page_size: tuple[int, int], params: CaptureParams, rng: np.random.Generator
) -> tuple[Homography, tuple[int, int]]:
    """Homography from page pixels to image pixels, and the image size (W, H)."""
    import cv2

    pw, ph = page_size
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float64)
    centred = src - (pw / 2, ph / 2)
    theta = np.deg2rad(params.rotation + params.angle_deg)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    dst = centred @ rot.T
    dst += rng.normal(0, params.perspective * max(pw, ph) / 2, dst.shape)
    x0, y0 = dst.min(axis=0)
    x1, y1 = dst.max(axis=0)
    bw, bh = x1 - x0, y1 - y0
    ml, mt, mr, mb = params.margins
    cw, ch = bw * (1 + ml + mr), bh * (1 + mt + mb)
    scale = params.px_scale if params.px_scale > 0 else params.long_side / max(cw, ch)
    dst = (dst - (x0 - ml * bw, y0 - mt * bh)) * scale
    size = (max(round(cw * scale), 16), max(round(ch * scale), 16))
    homography = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
    return np.asarray(homography, np.float64), size


def capture(
    page: RGBImage,
    params: CaptureParams,
    rng: np.random.Generator,
    *,
    card_mask: NDArray[np.bool_] | None = None,
) -> tuple[RGBImage, Homography]:
    """Photograph or scan ``page``.

    Args:
        page: (H, W, 3) uint8 RGB page.
        params: capture parameters.
        rng: random generator for this capture (noise, background texture, perspective).
        card_mask: (H, W) bool, True where the page is a physical card; elsewhere the
            capture background shows through (two cards of a TD1 lying side by side).

    Returns:
        image: (H', W', 3) uint8 RGB before file encoding.
        homography: (3, 3) float64 mapping page pixel coordinates to image coordinates.
    """
    import cv2

    if page.ndim != 3 or page.shape[2] != 3 or page.dtype != np.uint8:
        raise InputError(f"page must be (H, W, 3) uint8; got {page.shape} {page.dtype}")
    ph, pw = page.shape[:2]
    homography, (w, h) = capture_geometry((pw, ph), params, rng)
    alpha_src = (
        np.full((ph, pw), 255, np.uint8) if card_mask is None else card_mask.astype(np.uint8) * 255
    )
    shrink = max(w, h) < max(pw, ph) * 0.8
    warped = cv2.warpPerspective(
        page,
        homography,
        (w, h),
        flags=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
    )
    alpha = cv2.warpPerspective(alpha_src, homography, (w, h), flags=cv2.INTER_LINEAR)
    a = alpha.astype(np.float32) * np.float32(1 / 255)
    comp = cv2.blendLinear(warped, _background(params, (w, h), rng), a, 1 - a)
    if params.blur_sigma > 0.3:
        comp = cv2.GaussianBlur(comp, (0, 0), params.blur_sigma)

    # light: gradient, vignette, white balance (multiplicative), glare (additive); built small
    gw, gh = 64, max(int(64 * h / w), 4)
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    xx, yy = xx / (gw - 1) - 0.5, yy / (gh - 1) - 0.5
    strength, direction = params.illumination
    d = np.deg2rad(direction)
    gain = (
        1.0 + strength * (np.cos(d) * xx + np.sin(d) * yy) - params.vignette * (xx**2 + yy**2) * 2
    )
    gain3 = gain[..., None] * np.array(params.gains, np.float32)
    glare_s, gx, gy, gr = params.glare
    offset = np.zeros((gh, gw, 3), np.float32)
    if glare_s > 0:
        offset += (
            glare_s
            * 255
            * np.exp(-((xx + 0.5 - gx) ** 2 + ((yy + 0.5 - gy) * gh / gw) ** 2) / (2 * gr**2))
        )[..., None]
    # sensor noise: luminance at full resolution, colour noise at a quarter
    chroma = rng.standard_normal((max(h // 4, 1), max(w // 4, 1), 3), dtype=np.float32)
    offset = cv2.resize(offset, (max(w // 4, 1), max(h // 4, 1))) + chroma * (
        params.noise_sigma * 0.5
    )
    f = comp.astype(np.float32)
    cv2.multiply(f, cv2.resize(gain3.astype(np.float32), (w, h)), dst=f)
    cv2.add(f, cv2.resize(offset, (w, h)), dst=f)
    f += rng.standard_normal((h, w, 1), dtype=np.float32) * np.float32(params.noise_sigma)
    np.clip(f, 0, 255, out=f)
    img = f.astype(np.uint8)
    if abs(params.gamma - 1.0) > 1e-3:
        lut = (np.linspace(0, 1, 256) ** params.gamma * 255).round().astype(np.uint8)
        img = np.asarray(cv2.LUT(img, lut), dtype=np.uint8)
    return np.ascontiguousarray(img), homography


def warp_mask(
    mask: NDArray[np.bool_], homography: Homography, size: tuple[int, int]
) -> NDArray[np.bool_]:
    """Carry a page mask into the captured image (conservatively: any overlap counts).

    Args:
        mask: (H, W) bool in page pixels.
        homography: from :func:`capture`.
        size: (W', H') of the captured image.
    """
    import cv2

    warped = cv2.warpPerspective(
        mask.astype(np.uint8) * 255, homography, size, flags=cv2.INTER_LINEAR
    )
    return np.asarray(warped > 0)


def warp_box(box: list[int], homography: Homography) -> list[list[float]]:
    """Corners [[x, y] x 4] (clockwise from top-left) of a page box in image coordinates."""
    x, y, w, h = box
    pts = np.array([[x, y, 1], [x + w, y, 1], [x + w, y + h, 1], [x, y + h, 1]], np.float64)
    out = pts @ homography.T
    out = out[:, :2] / out[:, 2:3]
    return [[round(float(px), 1), round(float(py), 1)] for px, py in out]


def encode(image: RGBImage, params: CaptureParams) -> tuple[bytes, str]:
    """Encode the captured image as the capture device saves it.

    Returns:
        (file bytes, extension without dot: ``"jpg"`` or ``"png"``).
    """
    import cv2

    bgr = np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), dtype=np.uint8)
    if params.format == "PNG":
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        ext = "png"
    else:
        if params.resave_quality:
            bgr = jpeg_roundtrip(bgr, params.quality)
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, params.resave_quality])
        else:
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, params.quality])
        ext = "jpg"
    if not ok:  # pragma: no cover - OpenCV failure
        raise InputError("could not encode the captured image")
    return buf.tobytes(), ext
