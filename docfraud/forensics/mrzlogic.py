"""Detector 1, MRZ logic: the MRZ core's findings (check digits, codes, dates, names).

The MRZ is read once by the pipeline (:func:`docfraud.mrz.read`) and kept on the
:class:`~docfraud.forensics.base.Analysis`; this detector turns its failed checks into a
score and places each finding on the image where it can (the character's cell when the
MRZ is upright, the MRZ zone otherwise).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from docfraud.findings import Finding
from docfraud.forensics.base import Analysis, Box, Detector, DetectorResult
from docfraud.forensics.registry import register

if TYPE_CHECKING:
    from docfraud.mrz.result import MrzResult

# how strongly one finding of a severity speaks for forgery, combined noisy-or
_WEIGHT = {"low": 0.08, "medium": 0.45, "high": 0.85}


def _cell_box(zone: Box, n_lines: int, n_chars: int, data: dict[str, Any]) -> Box | None:
    """Pixel box of the characters a finding names (``line`` plus ``position`` or
    ``start``/``stop``), assuming an upright MRZ filling ``zone``."""
    line = data.get("line")
    if line is None:
        return None
    start = data.get("position", data.get("start"))
    stop = data.get("stop", start + 1 if start is not None else None)
    if start is None or stop is None:
        return None
    x, y, w, h = zone
    cw, lh = w / n_chars, h / n_lines
    return (int(x + start * cw), int(y + line * lh), max(1, int((stop - start) * cw)),
            max(1, int(lh)))


def _yymmdd(text: str) -> tuple[int, int, int] | None:
    if len(text) != 6 or not text.isdigit():
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    return (yy, mm, dd) if 1 <= mm <= 12 and 1 <= dd <= 31 else None


def personal_number_birth(fields: dict[str, Any]) -> float:
    """Whether the personal number (optional data) encodes the birth date, as many
    issuers' personal numbers do (YYMMDD or DDMMYY at its start).

    Returns 1.0 when it does, -1.0 when its start reads as a date (either order) whose
    year is within 15 years of the birth year but that is not the birth date (the mark of
    a birth date altered in the MRZ but not in the personal number), 0.0 otherwise
    (no personal number, or no date in it).
    """
    birth = fields.get("birth_date")
    if not isinstance(birth, str) or len(birth) != 10:
        return 0.0
    by, bm, bd = int(birth[2:4]), int(birth[5:7]), int(birth[8:10])
    shown: list[tuple[int, int, int]] = []
    for key in ("optional_data", "optional_data_2"):
        head = str(fields.get(key) or "").replace("<", "")[:6]
        for parsed in (_yymmdd(head), _yymmdd(head[4:] + head[2:4] + head[:2])):
            if parsed is not None:
                shown.append(parsed)
    if not shown:
        return 0.0
    if (by, bm, bd) in shown:
        return 1.0
    near = any(min(abs(y - by), 100 - abs(y - by)) <= 15 for y, _, _ in shown)
    return -1.0 if near else 0.0


#: mean character confidence under which a reading whose check digits fail is reported
#: as unsure (MRZ_UNSURE_READING): the 38 real specimens read at 0.90 or more, the MRZ-like
#: text of photos without an MRZ at 0.25-0.55
UNSURE_READING_CONFIDENCE = 0.6
#: findings of a reading's structure (codes, fillers, impossible dates); two or more
#: different ones mark a garbled reading (MRZ_UNSURE_READING whatever the confidence): a
#: misread -- glare over part of a line, a grid a cell off -- breaks codes, fillers and
#: check digits at once, while forgers' MRZs, written by software, keep their structure.
#: In the fusion sets of sessions 13-15, 9 of 1,200 genuine evaluation documents and 2 of
#: 1,440 genuine training documents read this way, and 22 of 3,360 forged ones.
STRUCTURE_CODES = frozenset({
    "MRZ_DOCUMENT_CODE_INVALID", "MRZ_ISSUING_STATE_UNKNOWN", "MRZ_NATIONALITY_UNKNOWN",
    "MRZ_SEX_INVALID", "MRZ_NAME_EMPTY", "MRZ_NAME_INVALID_CHARACTER", "MRZ_FILLER_MISPLACED",
    "MRZ_DOCUMENT_NUMBER_EMPTY", "MRZ_NAME_SEPARATOR_MISSING", "MRZ_BIRTH_DATE_INVALID",
    "MRZ_EXPIRY_DATE_INVALID"})
GARBLED_MIN_STRUCTURE = 2


def garbled(codes: Iterable[str]) -> bool:
    """Whether the MRZ finding ``codes`` of one reading mark it as garbled: at least
    :data:`GARBLED_MIN_STRUCTURE` different :data:`STRUCTURE_CODES`."""
    return len(set(codes) & STRUCTURE_CODES) >= GARBLED_MIN_STRUCTURE


def reading_unsure(mrz: MrzResult) -> bool:
    """Whether a reading is too unsure to be checked (``MRZ_UNSURE_READING``): its check
    digits fail at a mean character confidence under :data:`UNSURE_READING_CONFIDENCE`,
    or it reads garbled (:func:`garbled`)."""
    confidence = float(mrz.extra.get("confidence") or 0.0)
    return ((not mrz.check_digits_valid and confidence < UNSURE_READING_CONFIDENCE)
            or garbled(f.code for f in mrz.findings))


@register
class MrzLogicDetector(Detector):
    name = "mrz"
    version = "1"
    description = "ICAO 9303 consistency of the MRZ: check digits, codes, dates, names, fillers"
    codes = ("MRZ_NOT_FOUND", "MRZ_PERSONAL_NUMBER_BIRTH_MISMATCH", "MRZ_UNSURE_READING")

    def run(self, analysis: Analysis) -> DetectorResult:
        mrz = analysis.mrz
        if mrz is None:
            return DetectorResult(detector=self.name, status="not_applicable",
                                  reason="the MRZ was not read for this analysis")
        if not mrz.found:
            finding = self.finding(
                "MRZ_NOT_FOUND", "medium",
                f"no readable machine readable zone: {mrz.reason}; check the document by hand",
            )
            return self.result(score=0.5, findings=[finding],
                               data={"found": False, "reason": mrz.reason})
        zone = analysis.zones.get("mrz")
        angle = float(mrz.extra.get("angle", 0.0) or 0.0)
        upright = zone is not None and (abs(angle) < 3.0 or abs(angle - 360.0) < 3.0)
        findings: list[Finding] = []
        keep = 1.0
        for f in mrz.findings:
            region = f.region
            if region is None and zone is not None:
                cell = _cell_box(zone, len(mrz.lines), len(mrz.lines[0]), dict(f.data or {})
                                 ) if upright else None
                region = cell or zone
            findings.append(dataclasses.replace(f, region=region))
            keep *= 1.0 - _WEIGHT[f.severity]
        confidence = float(mrz.extra.get("confidence") or 0.0)
        unsure = not mrz.check_digits_valid and confidence < UNSURE_READING_CONFIDENCE
        if reading_unsure(mrz):
            # not in the score either: text that only looks like an MRZ (the visual zone
            # of a photo that leaves the MRZ out, a texture) is read this way, and its
            # "data errors" are misreadings; the verdict treats the MRZ as unread
            # (docfraud.score.fuse)
            findings.append(self.finding(
                "MRZ_UNSURE_READING", "medium",
                (f"the MRZ-like text was read too unsurely to be checked (mean character "
                 f"confidence {confidence:.2f}, check digits failing)" if unsure else
                 "the MRZ reads garbled (codes, fillers or dates malformed in more than one "
                 f"way; mean character confidence {confidence:.2f})")
                + ": its data findings may be misreadings; check the document by hand",
                region=zone))
        personal = personal_number_birth(mrz.fields)
        if personal < 0:
            # not in the score: many issuers' personal numbers hold no birth date, so a
            # date-like start may be chance; fusion weighs it (docfraud.score)
            findings.append(self.finding(
                "MRZ_PERSONAL_NUMBER_BIRTH_MISMATCH", "low",
                "the personal number starts with a date close to, but not, the birth date "
                f"{mrz.fields.get('birth_date')}: was the birth date altered?",
                region=zone))
        return self.result(
            score=1.0 - keep,
            findings=findings,
            data={"found": True, "format": mrz.format, "valid": mrz.valid,
                  "check_digits_valid": mrz.check_digits_valid,
                  "repairs": len(mrz.repairs),
                  # how sure the reader was: a failed check digit on an unsure reading
                  # is more likely a misread than a forgery
                  "confidence": confidence,
                  "min_char_confidence": float(mrz.extra.get("min_char_confidence") or 0.0),
                  "engines": len(mrz.extra.get("engines") or ()),
                  "personal_number_birth": personal},
        )
