"""Analyses of synthetic documents with the zones the pipeline would find.

Until the MRZ image reader lands, the MRZ facts a reader reports (region, text angle,
glyph height) are derived from the synthetic truth: the printed MRZ text is parsed,
its quad in the image gives the region, the capture homography gives the angle and
scale. :func:`docfraud.layout.find_zones` then places the zones exactly as it does
for a read MRZ.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from docfraud.forensics import Analysis
from docfraud.layout import CAP_MM, find_zones
from docfraud.mrz import parse
from docfraud.synth import SynthDocument


def mrz_facts(truth: dict[str, Any]) -> dict[str, Any]:
    """``region``, ``angle`` (degrees) and ``glyph_height`` (pixels) of the printed MRZ."""
    quad = np.asarray(truth["layout"]["mrz"], dtype=np.float64)
    x0, y0 = quad.min(axis=0)
    x1, y1 = quad.max(axis=0)
    hmat = np.asarray(truth["layout"]["homography"], dtype=np.float64)
    px, py, pw, ph = truth["page_layout"]["mrz"]["box"]
    cx, cy = px + pw / 2, py + ph / 2

    def warp(x: float, y: float) -> tuple[float, float]:
        v = hmat @ np.array([x, y, 1.0])
        return float(v[0] / v[2]), float(v[1] / v[2])

    a, b = warp(cx, cy), warp(cx + 100.0, cy)
    scale = math.hypot(b[0] - a[0], b[1] - a[1]) / 100.0
    px_per_mm = float(truth["page_layout"]["px_per_mm"])
    return {
        "region": [int(x0), int(y0), math.ceil(x1 - x0), math.ceil(y1 - y0)],
        "angle": math.degrees(math.atan2(b[1] - a[1], b[0] - a[0])),
        "glyph_height": CAP_MM * px_per_mm * scale,
    }


def synth_analysis(doc: SynthDocument) -> Analysis:
    """Analysis of a synthetic document: its image, the printed MRZ and the layout zones."""
    assert doc.image is not None
    mrz = parse(doc.truth["mrz"]["printed"])
    mrz.extra.update(mrz_facts(doc.truth))
    analysis = Analysis.from_source(doc.image, mrz=mrz)
    analysis.zones = find_zones(analysis)
    return analysis
