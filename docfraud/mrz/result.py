"""The typed result of reading or parsing an MRZ."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from docfraud.findings import Finding, scaled_box

#: mean character confidence of a confident reading (:attr:`MrzResult.believable`,
#: :attr:`MrzResult.sure`)
SURE_CONFIDENCE = 0.9


@dataclass(slots=True)
class MrzResult:
    """What is known about one MRZ.

    Attributes:
        found: an MRZ was found (always True for text input).
        format: ``"TD1"``, ``"TD2"``, ``"TD3"``, ``"MRVA"``, ``"MRVB"``, ``"FRA_ID"`` or None.
        lines: the MRZ lines after OCR repair (equal to ``raw_lines`` for text input).
        raw_lines: the lines as recognised, before repair.
        fields: parsed fields, JSON-able (dates as ISO strings or None).
        checks: every check that was made, name -> passed.
        findings: one :class:`~docfraud.findings.Finding` per failed check.
        repairs: OCR repairs applied: dicts with ``line``, ``position``, ``before``,
            ``after``, ``field`` and ``reason``.
        reason: why no MRZ was found, when ``found`` is False.
        extra: reader facts (engine, orientation, region, timings, confidences).
    """

    found: bool
    format: str | None = None
    lines: list[str] = field(default_factory=list)
    raw_lines: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when an MRZ was found and every check passed."""
        return self.found and bool(self.checks) and all(self.checks.values())

    @property
    def check_digits_valid(self) -> bool:
        """True when every check digit passed (dates, codes and names aside)."""
        return self.found and all(
            ok for name, ok in self.checks.items() if name.startswith("check_digit.")
        )

    @property
    def confidence(self) -> float:
        """The reader's mean character confidence (0 when it gave none)."""
        value = self.extra.get("confidence")
        return float(value) if isinstance(value, int | float) else 0.0

    @property
    def believable(self) -> bool:
        """Found, and every check digit passing or read confidently (mean character
        confidence at least :data:`SURE_CONFIDENCE`): not a reading of texture."""
        return self.found and (self.check_digits_valid or self.confidence >= SURE_CONFIDENCE)

    @property
    def sure(self) -> bool:
        """Found, every check digit passing and read confidently."""
        return self.found and self.check_digits_valid and self.confidence >= SURE_CONFIDENCE

    def rank(self) -> tuple[bool, bool, float]:
        """How good a reading of an image is: believable, every check digit passing,
        then mean character confidence (compare readings of one MRZ)."""
        return (self.believable, self.found and self.check_digits_valid, self.confidence)

    def moved(self, *, factor: float = 1.0,
              offset: tuple[float, float] = (0.0, 0.0)) -> MrzResult:
        """This result in another pixel frame: its region and its findings' regions moved
        by ``offset`` and then multiplied by ``factor``, its glyph height multiplied by
        ``factor`` (a reading of a crop or of a resized copy, in the image's frame)."""
        extra = dict(self.extra)
        region = extra.get("region")
        if isinstance(region, list | tuple) and len(region) == 4:
            extra["region"] = list(scaled_box(region, factor, offset))
        if isinstance(extra.get("glyph_height"), int | float):
            extra["glyph_height"] = round(float(extra["glyph_height"]) * factor, 2)
        return replace(self, findings=[f.moved(factor=factor, offset=offset)
                                       for f in self.findings], extra=extra)

    @classmethod
    def not_found(cls, reason: str, **extra: Any) -> MrzResult:
        """A result for an image in which no readable MRZ was found."""
        return cls(found=False, reason=reason, extra=dict(extra))

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "format": self.format,
            "lines": list(self.lines),
            "raw_lines": list(self.raw_lines),
            "fields": dict(self.fields),
            "checks": dict(self.checks),
            "valid": self.valid,
            "findings": [f.to_dict() for f in self.findings],
            "repairs": [dict(r) for r in self.repairs],
            "reason": self.reason,
            **({"extra": self.extra} if self.extra else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MrzResult:
        return cls(
            found=bool(d["found"]),
            format=d.get("format"),
            lines=list(d.get("lines", [])),
            raw_lines=list(d.get("raw_lines", [])),
            fields=dict(d.get("fields", {})),
            checks=dict(d.get("checks", {})),
            findings=[Finding.from_dict(f) for f in d.get("findings", [])],
            repairs=list(d.get("repairs", [])),
            reason=d.get("reason"),
            extra=dict(d.get("extra", {})),
        )
