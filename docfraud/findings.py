"""The :class:`Finding`: one observation that speaks against a document.

Every component (the MRZ core, each forensic detector) reports what it found
as findings with a stable UPPER_SNAKE ``code``; every code is documented in
``docs/findings.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")


@dataclass(frozen=True)
class Finding:
    """One reason to doubt a document.

    Attributes:
        code: stable UPPER_SNAKE identifier, e.g. ``"MRZ_CHECK_DIGIT_BIRTH_DATE"``.
        severity: ``"low"``, ``"medium"`` or ``"high"``.
        detector: name of the component that produced it (``"mrz"``, ``"jpeg"``, ...).
        message: plain-words explanation for an examiner.
        region: (x, y, w, h) in pixels of the document image, or None.
        data: small JSON-able details (expected and found values, positions).
    """

    code: str
    severity: Severity
    detector: str
    message: str
    region: tuple[int, int, int, int] | None = None
    data: dict[str, Any] | None = None

    def moved(self, *, factor: float = 1.0,
              offset: tuple[float, float] = (0.0, 0.0)) -> Finding:
        """This finding with its region moved by ``offset``, then multiplied by ``factor``
        (a finding on a crop or a resized copy, in the image's frame)."""
        if self.region is None:
            return self
        return replace(self, region=scaled_box(self.region, factor, offset))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "detector": self.detector,
            "message": self.message,
            "region": list(self.region) if self.region is not None else None,
        }
        if self.data:
            out["data"] = self.data
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        region = d.get("region")
        return cls(
            code=d["code"],
            severity=d["severity"],
            detector=d["detector"],
            message=d["message"],
            region=tuple(region) if region is not None else None,  # type: ignore[arg-type]
            data=d.get("data"),
        )


def scaled_box(box: Sequence[float], factor: float = 1.0,
               offset: tuple[float, float] = (0.0, 0.0)) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` moved by ``offset``, then multiplied by ``factor`` (rounded)."""
    x, y, w, h = (float(v) for v in box)
    x, y = x + offset[0], y + offset[1]
    return round(x * factor), round(y * factor), round(w * factor), round(h * factor)
