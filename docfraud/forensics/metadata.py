"""Metadata traces of editing: EXIF/XMP/PNG-text software names, thumbnails, dates.

What it reads (from the original file bytes, never the pixels alone):

* EXIF ``Software`` / ``ProcessingSoftware``, XMP ``CreatorTool`` and
  ``xmpMM:History`` ``softwareAgent``, PNG text chunks, JPEG comments and the
  Photoshop image-resource segment (APP13) - names of image editors there mean the
  file was last written by an editor, not by a camera or scanner;
* the EXIF thumbnail (IFD1): cameras write it from the same capture; editors often
  leave it untouched, so a thumbnail that disagrees with the image (globally or in one
  region) shows the picture was changed after capture;
* dates: modification after capture, impossible order, dates in the future.

Everything is parsed without decoding the main image again; XMP is read with
regular expressions (no XML entity expansion).
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.findings import Finding
from docfraud.forensics.base import Analysis, Detector, DetectorResult, FloatMap, box_of
from docfraud.forensics.registry import register

logger = logging.getLogger(__name__)

#: (pattern, canonical name, severity) of software that edits pixel content
EDITORS: tuple[tuple[str, str], ...] = (
    (r"photoshop", "Adobe Photoshop"),
    (r"\bgimp\b", "GIMP"),
    (r"paint\.net", "Paint.NET"),
    (r"pixelmator", "Pixelmator"),
    (r"affinity\s*photo", "Affinity Photo"),
    (r"photopea", "Photopea"),
    (r"\bkrita\b", "Krita"),
    (r"paint\s*shop\s*pro|paintshop", "PaintShop Pro"),
    (r"photo-?paint", "Corel PHOTO-PAINT"),
    (r"imageready", "Adobe ImageReady"),
    (r"fireworks", "Adobe Fireworks"),
    (r"illustrator", "Adobe Illustrator"),
    (r"inkscape", "Inkscape"),
    (r"picsart", "PicsArt"),
    (r"snapseed", "Snapseed"),
    (r"\bcanva\b", "Canva"),
    (r"\bfotor\b", "Fotor"),
    (r"photoscape", "PhotoScape"),
    (r"facetune", "Facetune"),
    (r"photodirector", "PhotoDirector"),
)
#: raw developers: adjust whole images; can retouch, but are also used honestly
DEVELOPERS: tuple[tuple[str, str], ...] = (
    (r"lightroom", "Adobe Lightroom"),
    (r"camera\s*raw", "Adobe Camera Raw"),
    (r"capture\s*one", "Capture One"),
    (r"darktable", "darktable"),
    (r"rawtherapee", "RawTherapee"),
)

_TAG_SOFTWARE = 0x0131
_TAG_PROCESSING_SOFTWARE = 0x000B
_TAG_DATETIME = 0x0132
_TAG_ORIENTATION = 0x0112
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_DATETIME_DIGITIZED = 0x9004
_TAG_THUMB_OFFSET = 0x0201
_TAG_THUMB_LENGTH = 0x0202
_IFD_EXIF = 0x8769
_IFD1 = -1  # PIL.ExifTags.IFD.IFD1

_XMP_RE = re.compile(rb"<x:xmpmeta[\s>].*?</x:xmpmeta>", re.DOTALL)
_MAX_XMP = 4 * 1024 * 1024
_MAX_THUMB = 512 * 1024


def _xmp_values(xmp: str, name: str) -> list[str]:
    """Values of an XMP property, written as attribute or element (``prefix:Name``)."""
    values = re.findall(rf'\b{name}\s*=\s*"([^"]*)"', xmp)
    values += re.findall(rf"<{name}>([^<]*)</{name}>", xmp)
    return [v.strip() for v in values if v.strip()]


def _parse_exif_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip().rstrip("\x00")
    try:
        return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _parse_xmp_date(value: str) -> datetime | None:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _match_software(text: str) -> tuple[str, str] | None:
    """(canonical name, kind) where kind is ``"editor"`` or ``"developer"``, or None."""
    for pattern, canonical in EDITORS:
        if re.search(pattern, text, re.IGNORECASE):
            return canonical, "editor"
    for pattern, canonical in DEVELOPERS:
        if re.search(pattern, text, re.IGNORECASE):
            return canonical, "developer"
    return None


def _orient(image: Any, orientation: int) -> Any:
    """Apply an EXIF orientation (1-8) to a PIL image, as ImageOps.exif_transpose does."""
    from PIL import Image

    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return image if method is None else image.transpose(method)


def _normalise(a: NDArray[np.float32]) -> NDArray[np.float32]:
    std = float(a.std())
    return np.asarray((a - float(a.mean())) / max(std, 1.0), dtype=np.float32)


def compare_thumbnail(
    gray: NDArray[np.uint8], thumb_gray: NDArray[np.uint8]
) -> tuple[float, NDArray[np.float32], tuple[int, int, int, int]]:
    """Compare an image with its thumbnail.

    Args:
        gray: (H, W) uint8 luma of the image (display orientation).
        thumb_gray: (h, w) uint8 luma of the decoded thumbnail, same orientation.

    Returns:
        (correlation, diff, content_box): Pearson correlation in [-1, 1] of the two
        at thumbnail scale; ``diff`` (h', w') float32 absolute difference of the
        contrast-normalised images (in standard deviations) over the thumbnail's
        content area; ``content_box`` (x, y, w, h) of that area in the thumbnail
        (thumbnails of other aspect ratios are letterboxed).
    """
    import cv2

    th, tw = thumb_gray.shape
    h, w = gray.shape
    aspect, t_aspect = w / h, tw / th
    if aspect > t_aspect:
        cw, ch = tw, max(1, round(tw / aspect))
    else:
        cw, ch = max(1, round(th * aspect)), th
    cx, cy = (tw - cw) // 2, (th - ch) // 2
    content: NDArray[np.float32] = thumb_gray[cy:cy + ch, cx:cx + cw].astype(np.float32)
    small: NDArray[np.float32] = cv2.resize(
        gray, (cw, ch), interpolation=cv2.INTER_AREA).astype(np.float32)
    if min(cw, ch) >= 16:
        content = np.asarray(cv2.GaussianBlur(content, (0, 0), 1.0), dtype=np.float32)
        small = np.asarray(cv2.GaussianBlur(small, (0, 0), 1.0), dtype=np.float32)
    a, b = _normalise(small), _normalise(content)
    corr = float((a * b).mean())
    diff = np.abs(a - b).astype(np.float32)
    return corr, diff, (cx, cy, cw, ch)


@register
class MetadataDetector(Detector):
    name = "metadata"
    version = "1"
    description = "EXIF/XMP editing-software traces, EXIF thumbnail mismatch, date inconsistencies"
    codes = (
        "META_EDITING_SOFTWARE",
        "META_RAW_DEVELOPER",
        "META_THUMBNAIL_MISMATCH",
        "META_MODIFIED_AFTER_CAPTURE",
        "META_DATE_ORDER",
        "META_DATE_IN_FUTURE",
    )

    #: thumbnail whose correlation with the image is below this disagrees globally
    thumb_min_corr = 0.6
    #: normalised thumbnail difference (in std) above which a pixel disagrees locally
    thumb_local_diff = 1.2
    #: fraction of the thumbnail that must disagree locally to report a region
    thumb_min_area = 0.004

    def applies_to(self, analysis: Analysis) -> bool:
        return analysis.document.raw is not None

    def not_applicable_reason(self, analysis: Analysis) -> str:
        return "no file bytes (image given as an array), so no metadata to read"

    def run(self, analysis: Analysis) -> DetectorResult:
        from PIL import Image

        raw = analysis.document.raw
        assert raw is not None
        findings: list[Finding] = []
        data: dict[str, Any] = {"format": analysis.document.format}
        evidence: list[dict[str, str]] = []
        heatmap: FloatMap | None = None

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(raw))  # headers only; pixels are not decoded
            exif = img.getexif()
            info = dict(img.info)

        def note_software(where: str, value: Any) -> None:
            if not isinstance(value, str | bytes):
                return
            text = value.decode("latin-1", "replace") if isinstance(value, bytes) else value
            text = text.strip().rstrip("\x00")[:200]
            if not text:
                return
            data.setdefault("software", []).append({"where": where, "value": text})
            match = _match_software(text)
            if match is not None:
                evidence.append({"where": where, "value": text, "software": match[0],
                                 "kind": match[1]})

        # --- software names -------------------------------------------------------
        note_software("EXIF Software", exif.get(_TAG_SOFTWARE))
        note_software("EXIF ProcessingSoftware", exif.get(_TAG_PROCESSING_SOFTWARE))
        for key in ("Software", "software", "Comment", "comment", "Description", "Title",
                    "Author", "Source"):
            if key in info:
                note_software(f"{analysis.document.format or 'file'} {key}", info[key])
        if "photoshop" in info:
            evidence.append({"where": "JPEG APP13 image resources", "value": "8BIM",
                             "software": "Adobe Photoshop", "kind": "editor"})
        make, model = exif.get(_TAG_MAKE), exif.get(_TAG_MODEL)
        if isinstance(make, str) and make.strip("\x00 "):
            data["camera"] = f"{make.strip(chr(0))} {str(model or '').strip(chr(0))}".strip()

        xmp_text = self._xmp(raw)
        xmp_dates: dict[str, datetime] = {}
        if xmp_text:
            data["xmp"] = True
            for tool in _xmp_values(xmp_text, "xmp:CreatorTool"):
                note_software("XMP CreatorTool", tool)
            agents = _xmp_values(xmp_text, "stEvt:softwareAgent")
            actions = _xmp_values(xmp_text, "stEvt:action")
            if actions:
                data["xmp_history_actions"] = actions[:20]
            for agent in dict.fromkeys(agents):
                note_software("XMP History softwareAgent", agent)
            for prop in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate",
                         "photoshop:DateCreated"):
                for value in _xmp_values(xmp_text, prop)[:1]:
                    parsed = _parse_xmp_date(value)
                    if parsed is not None:
                        xmp_dates[prop] = parsed

        editors = [e for e in evidence if e["kind"] == "editor"]
        developers = [e for e in evidence if e["kind"] == "developer"]
        if editors:
            names = sorted({e["software"] for e in editors})
            findings.append(self.finding(
                "META_EDITING_SOFTWARE", "medium",
                f"the file was written by image-editing software ({', '.join(names)}), "
                "not straight by a camera or scanner",
                data={"evidence": editors[:10]},
            ))
        elif developers:
            names = sorted({e["software"] for e in developers})
            findings.append(self.finding(
                "META_RAW_DEVELOPER", "low",
                f"the file was processed by photo-development software ({', '.join(names)})",
                data={"evidence": developers[:10]},
            ))

        # --- dates -----------------------------------------------------------------
        with warnings.catch_warnings():  # Pillow warns about malformed EXIF as it reads it
            warnings.simplefilter("ignore")
            exif_ifd = exif.get_ifd(_IFD_EXIF) if _IFD_EXIF in exif else {}
        modified = _parse_exif_date(exif.get(_TAG_DATETIME))
        original = _parse_exif_date(exif_ifd.get(_TAG_DATETIME_ORIGINAL))
        digitized = _parse_exif_date(exif_ifd.get(_TAG_DATETIME_DIGITIZED))
        captured = original or digitized
        findings += self._date_findings(modified, captured, xmp_dates, data)

        # --- thumbnail ---------------------------------------------------------------
        thumb = self._thumbnail(exif)
        if thumb is not None:
            orientation = exif.get(_TAG_ORIENTATION, 1)
            thumb_findings, heatmap = self._check_thumbnail(
                analysis, thumb, orientation if isinstance(orientation, int) else 1, data)
            findings += thumb_findings

        weights = {"high": 0.8, "medium": 0.5, "low": 0.2}
        keep = 1.0
        for f in findings:
            keep *= 1.0 - weights[f.severity]
        return self.result(score=1.0 - keep, heatmap=heatmap, findings=findings, data=data)

    @staticmethod
    def _xmp(raw: bytes) -> str | None:
        match = _XMP_RE.search(raw)
        if match is None or len(match.group(0)) > _MAX_XMP:
            return None
        return match.group(0).decode("utf-8", "replace")

    def _date_findings(
        self,
        modified: datetime | None,
        captured: datetime | None,
        xmp_dates: dict[str, datetime],
        data: dict[str, Any],
    ) -> list[Finding]:
        findings: list[Finding] = []
        if modified:
            data["exif_modified"] = modified.isoformat()
        if captured:
            data["exif_captured"] = captured.isoformat()
        if modified and captured:
            gap = (modified - captured).total_seconds()
            if gap > 60:
                findings.append(self.finding(
                    "META_MODIFIED_AFTER_CAPTURE", "low",
                    f"EXIF says the file was modified {modified:%Y-%m-%d %H:%M:%S}, "
                    f"after it was captured {captured:%Y-%m-%d %H:%M:%S}",
                    data={"captured": captured.isoformat(), "modified": modified.isoformat()},
                ))
            elif gap < -60:
                findings.append(self.finding(
                    "META_DATE_ORDER", "low",
                    "EXIF modification date is earlier than the capture date",
                    data={"captured": captured.isoformat(), "modified": modified.isoformat()},
                ))
        create, modify = xmp_dates.get("xmp:CreateDate"), xmp_dates.get("xmp:ModifyDate")
        if create and modify and (create.tzinfo is None) == (modify.tzinfo is None):
            gap = (modify - create).total_seconds()
            if gap > 60 and not any(f.code == "META_MODIFIED_AFTER_CAPTURE" for f in findings):
                findings.append(self.finding(
                    "META_MODIFIED_AFTER_CAPTURE", "low",
                    f"XMP says the file was modified {modify.isoformat()}, after it was "
                    f"created {create.isoformat()}",
                    data={"created": create.isoformat(), "modified": modify.isoformat()},
                ))
            elif gap < -60:
                findings.append(self.finding(
                    "META_DATE_ORDER", "low", "XMP ModifyDate is earlier than CreateDate",
                    data={"created": create.isoformat(), "modified": modify.isoformat()},
                ))
        now = datetime.now()
        future = [
            d for d in (modified, captured, *xmp_dates.values())
            if d is not None and d.replace(tzinfo=None) > now + timedelta(days=1)
        ]
        if future:
            findings.append(self.finding(
                "META_DATE_IN_FUTURE", "low",
                f"metadata carries a date in the future ({future[0].isoformat()})",
                data={"date": future[0].isoformat()},
            ))
        return findings

    @staticmethod
    def _thumbnail(exif: Any) -> bytes | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ifd1 = exif.get_ifd(_IFD1)
        except Exception:  # malformed IFD1: no thumbnail to compare
            return None
        offset, length = ifd1.get(_TAG_THUMB_OFFSET), ifd1.get(_TAG_THUMB_LENGTH)
        tiff = getattr(exif, "_loaded_exif", None)
        if not isinstance(offset, int) or not isinstance(length, int) or not tiff:
            return None
        if tiff.startswith(b"Exif\x00\x00"):
            tiff = tiff[6:]
        if length <= 0 or length > _MAX_THUMB or offset + length > len(tiff):
            return None
        return bytes(tiff[offset:offset + length])

    def _check_thumbnail(
        self, analysis: Analysis, thumb: bytes, orientation: int, data: dict[str, Any]
    ) -> tuple[list[Finding], FloatMap | None]:
        import cv2
        from PIL import Image

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                timg = Image.open(io.BytesIO(thumb))
                if timg.size[0] * timg.size[1] > 1_000_000:
                    return [], None
                timg = _orient(timg.convert("L"), orientation)
                tgray = np.asarray(timg, dtype=np.uint8)
        except Exception as exc:
            data["thumbnail"] = {"decodable": False, "error": str(exc)[:200]}
            return [], None
        if min(tgray.shape) < 8:
            return [], None
        corr, diff, (_, _, cw, ch) = compare_thumbnail(analysis.gray, tgray)
        data["thumbnail"] = {"size": [int(tgray.shape[1]), int(tgray.shape[0])],
                             "correlation": round(corr, 4)}
        h, w = analysis.shape
        heat = np.clip((diff - 0.4) / (2 * self.thumb_local_diff), 0.0, 1.0)
        heatmap = np.asarray(cv2.resize(heat, (w, h), interpolation=cv2.INTER_LINEAR),
                             dtype=np.float32)
        if corr < self.thumb_min_corr:
            return [self.finding(
                "META_THUMBNAIL_MISMATCH", "high",
                f"the embedded EXIF thumbnail shows a different picture (correlation "
                f"{corr:.2f}): the image was changed after capture",
                data={"correlation": round(corr, 4)},
            )], heatmap
        smooth = cv2.blur(diff, (3, 3))
        bad = smooth > self.thumb_local_diff
        data["thumbnail"]["disagreeing_fraction"] = round(float(bad.mean()), 5)
        if bad.mean() >= self.thumb_min_area:
            box = box_of(bad)
            assert box is not None
            sx, sy = w / cw, h / ch
            region = (round(box[0] * sx), round(box[1] * sy), max(1, round(box[2] * sx)),
                      max(1, round(box[3] * sy)))
            return [self.finding(
                "META_THUMBNAIL_MISMATCH", "high",
                "the embedded EXIF thumbnail differs from the image in one region: the "
                "region was changed after capture",
                region=region,
                data={"correlation": round(corr, 4),
                      "disagreeing_fraction": round(float(bad.mean()), 5)},
            )], heatmap
        return [], heatmap
