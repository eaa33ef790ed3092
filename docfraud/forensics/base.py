"""The detector protocol: :class:`Analysis` in, :class:`DetectorResult` out.

Every forensic detector reads one :class:`Analysis` (the document plus whatever the
pipeline learnt about it: MRZ, page, zones) and returns one :class:`DetectorResult`
with the same shape of output: a suspicion score, a heatmap, findings and a status.
Derived arrays that several detectors need (luminance, noise residual, downscaled
copies) are computed once, lazily, and cached on the :class:`Analysis`.

:func:`execute` runs a detector safely: non-applicable input gives status
``"not_applicable"``, any exception gives status ``"failed"`` with the reason, so one
broken detector never stops the screening of a document.
"""

from __future__ import annotations

import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from docfraud.findings import Finding
from docfraud.imageio import Document, ImageSource, load_document

if TYPE_CHECKING:
    from docfraud.mrz import MrzResult

logger = logging.getLogger(__name__)

Status = Literal["ok", "not_applicable", "failed"]
STATUSES: tuple[Status, ...] = ("ok", "not_applicable", "failed")
Box = tuple[int, int, int, int]
FloatMap = NDArray[np.float32]

T = TypeVar("T")


def _summarise_heatmap(heatmap: FloatMap) -> dict[str, Any]:
    """Small JSON-able summary of a heatmap: shape, statistics and the hot area."""
    hot = heatmap >= 0.5
    summary: dict[str, Any] = {
        "shape": [int(heatmap.shape[0]), int(heatmap.shape[1])],
        "mean": round(float(heatmap.mean()), 4) if heatmap.size else 0.0,
        "max": round(float(heatmap.max()), 4) if heatmap.size else 0.0,
        "hot_fraction": round(float(hot.mean()), 4) if heatmap.size else 0.0,
        "hot_box": None,
    }
    rows: NDArray[np.bool_] = np.asarray(hot.any(axis=1), dtype=np.bool_)
    if rows.any():  # the box from row and column projections (np.nonzero is 20x slower)
        cols: NDArray[np.bool_] = np.asarray(hot.any(axis=0), dtype=np.bool_)
        y0, y1 = int(rows.argmax()), len(rows) - int(rows[::-1].argmax())
        x0, x1 = int(cols.argmax()), len(cols) - int(cols[::-1].argmax())
        summary["hot_box"] = [x0, y0, x1 - x0, y1 - y0]
    return summary


@dataclass(frozen=True, eq=False)
class DetectorResult:
    """What one detector says about one document.

    Attributes:
        detector: name of the detector (its registry name).
        score: suspicion in [0, 1], higher = more suspicious; None when the detector
            did not run (status not ``"ok"``) or has no opinion. Scores are *not*
            calibrated probabilities; :mod:`docfraud.score` calibrates them.
        heatmap: (H, W) float32 in [0, 1] in the coordinates of the analysed image
            (``analysis.pixels``), or None. Higher = more suspicious.
        findings: the reasons to doubt the document this detector found.
        status: ``"ok"``, ``"not_applicable"`` (input outside the detector's domain,
            e.g. a PNG for the JPEG detector) or ``"failed"`` (an error; see ``reason``).
        reason: why the status is not ``"ok"``, in plain words; None when ok.
        timing_ms: wall time the detector took.
        data: small JSON-able facts the detector measured (quality estimate, software
            name, ...) that fusion, signatures and reports may use.
        heatmap_summary: JSON-able summary of the heatmap (filled in automatically;
            kept by :meth:`from_dict` where the heatmap itself is not).
    """

    detector: str
    score: float | None = None
    heatmap: FloatMap | None = field(default=None, repr=False)
    findings: tuple[Finding, ...] = ()
    status: Status = "ok"
    reason: str | None = None
    timing_ms: float = 0.0
    data: Mapping[str, Any] = field(default_factory=dict)
    heatmap_summary: Mapping[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}; got {self.status!r}")
        if self.score is not None:
            score = float(self.score)
            if not math.isfinite(score):
                raise ValueError(f"score of {self.detector!r} is not finite: {self.score!r}")
            object.__setattr__(self, "score", min(1.0, max(0.0, score)))
        if self.heatmap is not None:
            hm = np.asarray(self.heatmap, dtype=np.float32)
            if hm.ndim != 2:
                raise ValueError(f"heatmap must be (H, W); got shape {hm.shape}")
            lo, hi = (float(hm.min()), float(hm.max())) if hm.size else (0.0, 0.0)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo >= 0.0 and hi <= 1.0):
                hm = np.clip(np.nan_to_num(hm, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
            object.__setattr__(self, "heatmap", hm)
            if self.heatmap_summary is None:
                object.__setattr__(self, "heatmap_summary", _summarise_heatmap(hm))
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "data", dict(self.data))

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict; the heatmap is summarised (shape, statistics, hot box), not copied."""
        return {
            "detector": self.detector,
            "score": None if self.score is None else round(self.score, 6),
            "status": self.status,
            "reason": self.reason,
            "timing_ms": round(self.timing_ms, 3),
            "findings": [f.to_dict() for f in self.findings],
            "heatmap": dict(self.heatmap_summary) if self.heatmap_summary is not None else None,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DetectorResult:
        """Inverse of :meth:`to_dict`; the heatmap comes back as None (only its summary)."""
        summary = d.get("heatmap")
        return cls(
            detector=str(d["detector"]),
            score=d.get("score"),
            heatmap=None,
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", ())),
            status=d.get("status", "ok"),
            reason=d.get("reason"),
            timing_ms=float(d.get("timing_ms", 0.0)),
            data=dict(d.get("data") or {}),
            heatmap_summary=dict(summary) if summary is not None else None,
        )


def luminance_of(pixels: NDArray[np.uint8]) -> FloatMap:
    """(H, W) float32 luma Y = 0.299 R + 0.587 G + 0.114 B in [0, 255], unrounded, of
    (H, W, 3) uint8 RGB ``pixels``."""
    p = pixels.astype(np.float32)
    return np.asarray(0.299 * p[:, :, 0] + 0.587 * p[:, :, 1] + 0.114 * p[:, :, 2],
                      dtype=np.float32)


@dataclass(eq=False)
class Analysis:
    """Everything the pipeline knows about one document; the one input of every detector.

    Attributes:
        document: the loaded image (:class:`docfraud.imageio.Document`).
        mrz: the MRZ reading, or None when not read / not found.
        page: (h, w, 3) uint8 rectified page image, or None when layout was not run.
        zones: name -> (x, y, w, h) in ``pixels`` coordinates; known names are
            ``"portrait"``, ``"ghost"``, ``"mrz"`` and ``"viz_<field>"``.

    Derived arrays are computed on first use and cached (see :meth:`cached`); treat
    every array returned here as read-only.
    """

    document: Document
    mrz: MrzResult | None = None
    page: NDArray[np.uint8] | None = None
    zones: dict[str, Box] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_source(
        cls,
        source: ImageSource | Document,
        *,
        mrz: MrzResult | None = None,
        zones: Mapping[str, Box] | None = None,
    ) -> Analysis:
        """Build an analysis from a path, bytes, array or an already loaded Document.

        Raises:
            ImageError: the image cannot be loaded (see :func:`docfraud.imageio.load_document`).
        """
        document = source if isinstance(source, Document) else load_document(source)
        return cls(document=document, mrz=mrz, zones=dict(zones or {}))

    @property
    def pixels(self) -> NDArray[np.uint8]:
        """(H, W, 3) uint8 RGB."""
        return self.document.pixels

    @property
    def shape(self) -> tuple[int, int]:
        return self.document.shape

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Return ``compute()``, computed once per analysis and key."""
        if key not in self._cache:
            self._cache[key] = compute()
        value: T = self._cache[key]
        return value

    @property
    def gray(self) -> NDArray[np.uint8]:
        """(H, W) uint8 luma (ITU-R 601, as JPEG uses)."""
        return self.cached("gray", lambda: np.clip(self.luminance + 0.5, 0, 255).astype(np.uint8))

    @property
    def luminance(self) -> FloatMap:
        """(H, W) float32 luma Y = 0.299 R + 0.587 G + 0.114 B in [0, 255], unrounded."""

        return self.cached("luminance", lambda: luminance_of(self.pixels))

    @property
    def noise_residual(self) -> FloatMap:
        """(H, W) float32 high-pass residual of the luminance, in grey levels.

        The 3x3 kernel ``[[1,-2,1],[-2,4,-2],[1,-2,1]] / 6`` (Immerkær's noise
        estimator) removes smooth content and up to quadratic ramps, so what remains
        is mostly sensor/scan noise plus edges; its standard deviation equals the
        noise standard deviation for white Gaussian noise.
        """

        def compute() -> FloatMap:
            import cv2

            kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32) / 6.0
            out = cv2.filter2D(self.luminance, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
            return np.asarray(out, dtype=np.float32)

        return self.cached("noise_residual", compute)

    def downscaled_gray(self, max_side: int) -> tuple[NDArray[np.uint8], float]:
        """Luma downscaled so that its longer side is at most ``max_side`` pixels.

        Returns:
            (image, scale): (h, w) uint8 and the factor ``scale`` <= 1 such that a
            point (x, y) of the downscaled image is (x / scale, y / scale) in ``pixels``.
        """

        def compute() -> tuple[NDArray[np.uint8], float]:
            import cv2

            h, w = self.shape
            scale = min(1.0, max_side / max(h, w))
            if scale >= 1.0:
                return self.gray, 1.0
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            small = cv2.resize(self.gray, size, interpolation=cv2.INTER_AREA)
            return np.asarray(small, dtype=np.uint8), scale

        return self.cached(f"downscaled_gray:{max_side}", compute)


class Detector(ABC):
    """Base class of forensic detectors.

    Subclasses set ``name`` (stable, lower_snake), ``version`` (bump when scores
    change meaning) and ``description``, override :meth:`run` and, where the input
    domain is restricted, :meth:`applies_to`. Register them with
    :func:`docfraud.forensics.registry.register`.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    #: finding codes this detector can emit (documented in docs/findings.md)
    codes: ClassVar[tuple[str, ...]] = ()

    def applies_to(self, analysis: Analysis) -> bool:
        """Whether the detector has anything to say about this input."""
        return True

    def not_applicable_reason(self, analysis: Analysis) -> str:
        """Plain-words reason used when :meth:`applies_to` is False."""
        return f"{self.name} does not apply to this input"

    @abstractmethod
    def run(self, analysis: Analysis) -> DetectorResult:
        """Analyse the document; may raise (``execute`` turns errors into ``failed``)."""

    def result(
        self,
        *,
        score: float | None,
        heatmap: FloatMap | None = None,
        findings: Sequence[Finding] = (),
        data: Mapping[str, Any] | None = None,
    ) -> DetectorResult:
        """Convenience constructor of an ``ok`` result named after this detector."""
        return DetectorResult(
            detector=self.name,
            score=score,
            heatmap=heatmap,
            findings=tuple(findings),
            status="ok",
            data=dict(data or {}),
        )

    def finding(
        self,
        code: str,
        severity: Literal["low", "medium", "high"],
        message: str,
        *,
        region: Box | None = None,
        data: dict[str, Any] | None = None,
    ) -> Finding:
        return Finding(
            code=code, severity=severity, detector=self.name, message=message,
            region=region, data=data,
        )


def execute(detector: Detector, analysis: Analysis) -> DetectorResult:
    """Run one detector without ever raising.

    Returns:
        The detector's result with ``timing_ms`` filled in; status ``"not_applicable"``
        when :meth:`Detector.applies_to` says so, ``"failed"`` (with the exception as
        ``reason``) when the detector raised or returned something that is not a
        :class:`DetectorResult` of its own name.
    """
    name = getattr(detector, "name", type(detector).__name__)
    start = time.perf_counter()

    def elapsed() -> float:
        return (time.perf_counter() - start) * 1000.0

    try:
        if not detector.applies_to(analysis):
            return DetectorResult(
                detector=name, status="not_applicable",
                reason=detector.not_applicable_reason(analysis), timing_ms=elapsed(),
            )
        result = detector.run(analysis)
        if not isinstance(result, DetectorResult):
            raise TypeError(f"run() returned {type(result).__name__}, not DetectorResult")
        return DetectorResult(
            detector=name, score=result.score, heatmap=result.heatmap,
            findings=result.findings, status=result.status, reason=result.reason,
            timing_ms=elapsed(), data=result.data,
        )
    except (Exception, MemoryError, RecursionError) as exc:  # never crash the pipeline
        logger.warning("detector %s failed: %s: %s", name, type(exc).__name__, exc,
                       exc_info=logger.isEnabledFor(logging.DEBUG))
        return DetectorResult(
            detector=name, status="failed", reason=f"{type(exc).__name__}: {exc}",
            timing_ms=elapsed(),
        )


def blocks_to_heatmap(values: NDArray[Any], shape: tuple[int, int], block: int) -> FloatMap:
    """Expand a (hb, wb) per-block map to an (H, W) float32 heatmap in [0, 1].

    Block (i, j) covers pixels [i*block, (i+1)*block) x [j*block, (j+1)*block);
    pixels beyond the last full block take the nearest block's value.
    """
    import cv2

    h, w = shape
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0)
    if v.size == 0:
        return np.zeros((h, w), dtype=np.float32)
    hb, wb = v.shape
    big = cv2.resize(v, (wb * block, hb * block), interpolation=cv2.INTER_NEAREST)
    big = big[:h, :w]
    pad_y, pad_x = h - big.shape[0], w - big.shape[1]
    if pad_y or pad_x:
        big = cv2.copyMakeBorder(big, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(big, dtype=np.float32)


def box_of(mask: NDArray[np.bool_], *, scale: float = 1.0) -> Box | None:
    """Bounding box (x, y, w, h) of True pixels of ``mask``, times ``scale``; None if empty."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    x0, y0 = int(xs.min()), int(ys.min())
    x1, y1 = int(xs.max()) + 1, int(ys.max()) + 1
    return (round(x0 * scale), round(y0 * scale), round((x1 - x0) * scale),
            round((y1 - y0) * scale))
