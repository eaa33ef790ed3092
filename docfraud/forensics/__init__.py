"""Image-forensic detectors.

Each detector is one module of this package that registers itself with
:func:`docfraud.forensics.registry.register`; the registry discovers the modules
lazily, so adding a detector is adding one file. Typical use::

    from docfraud.forensics import Analysis, run_detectors
    results = run_detectors(Analysis.from_source("passport.jpg"))
"""

from __future__ import annotations

from docfraud.forensics.base import (
    Analysis,
    Detector,
    DetectorResult,
    execute,
)
from docfraud.forensics.registry import (
    available_detectors,
    get_detector,
    register,
    run_detectors,
)

__all__ = [
    "Analysis",
    "Detector",
    "DetectorResult",
    "available_detectors",
    "execute",
    "get_detector",
    "register",
    "run_detectors",
]
