"""Screen one document: read the MRZ, find the zones, run every detector, fuse a verdict.

:func:`screen` is what ``docfraud screen`` and the batch runner call; it returns a
:class:`ScreenReport` whose :meth:`~ScreenReport.to_dict` is the JSON contract of
DESIGN.md section 3.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from docfraud._text import safe_text
from docfraud.errors import EXIT_OK, EXIT_REFER, EXIT_REJECT
from docfraud.imageio import Document, ImageSource, load_document, native_pixels, working_copy

if TYPE_CHECKING:
    from docfraud.forensics.base import Analysis, DetectorResult
    from docfraud.mrz import MrzResult
    from docfraud.score import Risk

logger = logging.getLogger(__name__)

VERDICT_EXIT = {"clear": EXIT_OK, "refer": EXIT_REFER, "reject": EXIT_REJECT}


@dataclass
class ScreenReport:
    """Everything screening found out about one document."""

    file: str
    sha256: str
    mrz: MrzResult
    results: list[DetectorResult]
    risk: Risk
    zones: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    image_size: tuple[int, int] = (0, 0)
    #: pages (frames) in the file; only the first is screened
    pages: int = 1
    timing_ms: dict[str, float] = field(default_factory=dict)
    analysis: Analysis | None = field(default=None, repr=False)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [f.to_dict() for r in self.results for f in r.findings]

    @property
    def exit_code(self) -> int:
        return VERDICT_EXIT[self.risk.verdict]

    def to_dict(self) -> dict[str, Any]:
        mrz = self.mrz.to_dict()
        mrz.pop("findings", None)  # reported once, in "findings"
        return {
            "file": self.file,
            "sha256": self.sha256,
            "image": {"width": self.image_size[1], "height": self.image_size[0],
                      # a multi-page or animated file: only its first page is screened
                      **({"pages": self.pages} if self.pages > 1 else {})},
            "mrz": mrz,
            "findings": self.findings,
            "risk": self.risk.to_dict(),
            "detectors": [r.to_dict() for r in self.results],
            "zones": {k: list(v) for k, v in self.zones.items()},
            "timing_ms": {k: round(v, 1) for k, v in self.timing_ms.items()},
        }


def analyse(
    source: ImageSource | Document, *, detectors: Sequence[str] | None = None
) -> tuple[Analysis, list[DetectorResult], dict[str, float]]:
    """Load, read the MRZ, locate zones and run the detectors; no fusion.

    Returns:
        (analysis, detector results, timings in ms).

    Raises:
        ImageError: the input is not a readable image.
    """
    from docfraud.forensics.base import Analysis
    from docfraud.forensics.registry import run_detectors
    from docfraud.layout import find_zones
    from docfraud.mrz import read

    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    document = working_copy(source if isinstance(source, Document) else load_document(source))
    t1 = time.perf_counter()
    timing["load"] = (t1 - t0) * 1e3
    mrz = read(document.pixels)
    if ("working_scale" in document.info and document.raw is not None
            and (not mrz.sure or _glyph_height(mrz) < NATIVE_REREAD_GLYPH_PX)):
        # a large photo of a small document (a card on a table) leaves the MRZ too small
        # in the working copy; the reader locates at its own scale and reads glyphs from
        # the pixels it is given, so the file's own pixels are read too (rarely: an
        # unsure reading of a large image only; an array given as such keeps no other
        # pixels), in the working copy's frame
        again = _native_reading(document, mrz)
        if again.believable and again.rank()[:2] >= mrz.rank()[:2]:
            mrz = again  # more pixels per glyph: kept unless it reads worse
    t2 = time.perf_counter()
    timing["mrz"] = (t2 - t1) * 1e3
    analysis = Analysis(document=document, mrz=mrz)
    analysis.zones.update(find_zones(analysis))
    t3 = time.perf_counter()
    timing["layout"] = (t3 - t2) * 1e3
    results = run_detectors(analysis, names=detectors)
    t4 = time.perf_counter()
    timing["detectors"] = (t4 - t3) * 1e3
    for r in results:
        timing[f"detector.{r.detector}"] = r.timing_ms
    return analysis, results, timing


#: an MRZ read in a working copy not surely (MrzResult.sure) or with glyphs smaller than
#: this (px) is read again from the file's own pixels ...
NATIVE_REREAD_GLYPH_PX = 12.0
#: ... around where the working copy located it, this share of its long side on each
#: side, where that reading is believable
NATIVE_REREAD_MARGIN = 0.5


def _glyph_height(mrz: MrzResult) -> float:
    glyph = mrz.extra.get("glyph_height")
    return float(glyph) if isinstance(glyph, int | float) else 0.0


def _native_reading(document: Document, mrz: MrzResult) -> MrzResult:
    """The MRZ read from the file's own pixels of a working copy, in the working copy's
    frame: around where the working copy located a believable reading, if that reads
    believably; else in the reader's windows of the image (its whole was searched in
    the working copy, at the same scale)."""
    from docfraud.mrz import read, read_windows

    pixels = native_pixels(document)
    scale = float(document.info["working_scale"])
    region = mrz.extra.get("region")
    if mrz.believable and isinstance(region, list | tuple) and len(region) == 4:
        x, y, w, h = (float(v) / scale for v in region)
        pad = NATIVE_REREAD_MARGIN * max(w, h)
        x0, y0 = max(0, int(x - pad)), max(0, int(y - pad))
        crop = pixels[y0:int(y + h + pad), x0:int(x + w + pad)]
        if min(crop.shape[:2]) >= 16:
            again = read(crop, search_windows=False).moved(factor=scale, offset=(x0, y0))
            if again.believable:
                return again
    return read_windows(pixels).moved(factor=scale)


def screen(
    source: ImageSource | Document,
    *,
    detectors: Sequence[str] | None = None,
    file: str | None = None,
) -> ScreenReport:
    """Screen one document image.

    Args:
        source: a path, encoded bytes, an array or a loaded :class:`Document`.
        detectors: run only these detectors (default: all registered).
        file: the name to report (default: the path as given).

    Raises:
        ImageError: the input is not a readable image (exit code 2 in the CLI).
    """
    from docfraud.score import fuse

    t0 = time.perf_counter()
    analysis, results, timing = analyse(source, detectors=detectors)
    t1 = time.perf_counter()
    risk = fuse(results)
    timing["fusion"] = (time.perf_counter() - t1) * 1e3
    timing["total"] = (time.perf_counter() - t0) * 1e3
    doc = analysis.document
    assert analysis.mrz is not None
    mrz, zones = analysis.mrz, dict(analysis.zones)
    scale = float(doc.info.get("working_scale", 1.0))
    if scale != 1.0:
        # a large image was analysed at a working resolution: what the report says is
        # located in the image as given (the analysis keeps its own frame)
        results, mrz, zones = _in_native_frame(results, mrz, zones, 1.0 / scale)
    native = doc.info.get("native_size", doc.shape)
    return ScreenReport(
        # "as given", but valid UTF-8 for the JSON, HTML and database it goes to
        file=safe_text(file if file is not None else doc.source),
        sha256=doc.sha256,
        mrz=mrz,
        results=results,
        risk=risk,
        zones=zones,
        image_size=(int(native[0]), int(native[1])),
        pages=int(doc.info.get("frames") or 1),
        timing_ms=timing,
        analysis=analysis,
    )


def _in_native_frame(results: list[DetectorResult], mrz: MrzResult,
                     zones: dict[str, tuple[int, int, int, int]], factor: float
                     ) -> tuple[list[DetectorResult], MrzResult,
                                dict[str, tuple[int, int, int, int]]]:
    """Finding regions, the MRZ's region and glyph height, and the zones, multiplied by
    ``factor`` (from a working copy's pixels to the original image's)."""
    from docfraud.findings import scaled_box

    return ([replace(r, findings=tuple(f.moved(factor=factor) for f in r.findings))
             for r in results],
            mrz.moved(factor=factor),
            {k: scaled_box(v, factor) for k, v in zones.items()})


class SignatureZones(NamedTuple):
    """The straightened card and the zones a signature is measured in."""

    #: (h, w, 3) uint8 RGB card from :func:`docfraud.layout.rectify`
    page: Any
    #: zone name -> (x, y, w, h) page pixels: ``mrz``, ``portrait``, ``background``
    zones: dict[str, tuple[int, int, int, int]]
    #: where the portrait zone comes from: ``"design"`` (the design's own box, through
    #: the card's registration on its reference) or ``"nominal"`` (the MRZ format's)
    portrait_zone: str


def signature_zones(report: ScreenReport) -> SignatureZones | None:
    """The straightened card and the zones its signature is measured in, or None when
    the card could not be placed (no MRZ located).

    The portrait is where the design prints it when the card was registered on the
    reference of its design (:func:`docfraud.forensics.reference.portrait_on_page`; it
    may reach past the page's edge, and registers the card if the reference detector
    did not run), else the nominal zone of the MRZ format (designs place their photos
    differently, so a reused photo is hashed in the same crop only with the former;
    which one was used is recorded, and hashes of the two kinds are not compared).
    """
    from docfraud.forensics.reference import portrait_on_page
    from docfraud.layout import rectify

    analysis = report.analysis
    found = rectify(analysis) if analysis is not None else None
    if found is None or analysis is None:
        return None
    page, zones = found
    try:
        # the registration is the reference detector's (cached); computed here only when
        # that detector did not run
        box = portrait_on_page(analysis)
    except Exception as exc:  # a broken reference library or a failed registration:
        # the signature keeps the nominal zone rather than failing the document
        logger.warning("portrait zone not registered (%s: %s); the nominal zone is used",
                       type(exc).__name__, exc)
        box = None
    if box is not None:
        zones = {**zones, "portrait": box}
    return SignatureZones(page, zones, "design" if box is not None else "nominal")


def extract_signature(report: ScreenReport) -> Any:
    """The forgery signature of a screened document (:class:`docfraud.signature.Signature`).

    Image components are measured on the card straightened by :func:`docfraud.layout.rectify`
    (:func:`signature_zones`); without a located MRZ only the record-based components (MRZ
    habits, detector evidence) are available.
    """
    from docfraud.signature import signature_from_record, signature_from_screen

    record = report.to_dict()
    rect = signature_zones(report)
    if rect is None:
        return signature_from_record(record)
    return signature_from_screen(record, rect.page, rect.zones,
                                 seen=_dt.date.today().isoformat(),
                                 portrait_zone=rect.portrait_zone)


def report_assets(report: ScreenReport, *, max_side: int = 1000, heat_side: int = 256
                  ) -> dict[str, bytes]:
    """Images ``docfraud report`` shows for a stored document (see docs/batch.md).

    Returns:
        ``"preview.jpg"``: the document (JPEG, longer side at most ``max_side``), and
        ``"heatmap/<detector>.png"`` for each detector that ran and has a heatmap with
        some heat: a red-yellow RGBA overlay (longer side at most ``heat_side``) that the
        report stretches over the preview. Empty when the report kept no analysis.
    """
    from docfraud.report.overlay import encode_image, fit_size, heatmap_rgba, shrink

    if report.analysis is None:
        return {}
    pixels = report.analysis.pixels
    assets = {"preview.jpg": encode_image(shrink(pixels, max_side=max_side), "JPEG",
                                          quality=85)}
    width, height, _ = fit_size((pixels.shape[0], pixels.shape[1]), heat_side)
    for r in report.results:
        if r.status == "ok" and r.heatmap is not None and float(r.heatmap.max()) > 0.25:
            rgba = heatmap_rgba(r.heatmap, width=width, height=height)
            assets[f"heatmap/{r.detector}.png"] = encode_image(rgba, "PNG")
    return assets


def examine_file(source: ImageSource, *, file: str | None = None) -> dict[str, Any]:
    """Screen a document and return the record the batch runner stores: the screen
    contract plus ``"signature"`` (its forgery signature) and ``"assets"`` (name ->
    encoded bytes, :func:`report_assets`; the batch runner stores them apart, the rest
    is JSON-able)."""
    report = screen(source, file=file)
    record = report.to_dict()
    record["signature"] = extract_signature(report).to_dict()
    record["assets"] = report_assets(report)
    return record


def warm_up() -> None:
    """Import and load everything screening needs (detectors, models), without screening.

    ``scripts/bench_screen.py`` times it in a fresh interpreter: the start-up an officer's
    script pays on every ``docfraud screen`` call before any work on the image.
    """
    from docfraud.forensics.learned import load_model as load_learned
    from docfraud.forensics.registry import available_detectors, get_detector
    from docfraud.layout import find_zones  # noqa: F401
    from docfraud.mrz.ocr import default_classifier, small_glyph_classifier
    from docfraud.score import load_model

    for name in available_detectors():
        get_detector(name)
    default_classifier()
    small_glyph_classifier()
    load_model()
    load_learned()
    from docfraud import tesseract

    tesseract.preload()  # the visual-zone reader's engine (vizcheck)
