"""A real, lightweight per-document pipeline for the batch tests.

It decodes the image with :func:`docfraud.imageio.load_document` (so corrupt,
truncated, bomb and non-image files fail exactly as in the real pipeline),
computes simple statistics, an average-hash signature, a preview and a gradient
heatmap, and returns them in the screen JSON contract. Environment variables let
tests observe and slow it down:

* ``DOCFRAUD_TEST_EXAMINE_LOG``: append ``sha256 pid`` for every call to this file;
* ``DOCFRAUD_TEST_EXAMINE_SLEEP``: seconds to sleep per document.

Files whose name contains ``crash-worker`` make the worker process die (``os._exit``).
"""

from __future__ import annotations

import io
import os
import time
from typing import Any

import numpy as np


def examine_light(data: bytes | str, *, source: str) -> dict[str, Any]:
    from PIL import Image

    from docfraud.imageio import load_document

    if "crash-worker" in os.path.basename(source):
        os._exit(3)
    doc = load_document(data)
    log = os.environ.get("DOCFRAUD_TEST_EXAMINE_LOG")
    if log:
        with open(log, "a") as fh:
            fh.write(f"{doc.sha256} {os.getpid()}\n")
    delay = float(os.environ.get("DOCFRAUD_TEST_EXAMINE_SLEEP", "0") or 0)
    if delay:
        time.sleep(delay)
    h, w = doc.shape
    grey = doc.pixels.astype(np.float32).mean(axis=2)
    small = np.asarray(Image.fromarray(grey.astype(np.uint8)).resize((8, 8)), dtype=np.float32)
    bits = "".join("1" if v > small.mean() else "0" for v in small.ravel())
    gy, gx = np.gradient(grey)
    mag = np.hypot(gx, gy)
    heat = (255 * mag / max(float(mag.max()), 1e-6)).astype(np.uint8)
    findings = []
    if float(grey.std()) < 4.0:
        findings.append({"code": "TEST_FLAT_IMAGE", "severity": "low", "detector": "light",
                         "message": "the image is almost uniform", "region": [0, 0, w, h]})
    ys, xs = np.unravel_index(int(mag.argmax()), mag.shape)
    findings.append({"code": "TEST_STRONGEST_EDGE", "severity": "low", "detector": "light",
                     "message": "strongest edge", "region": [max(0, int(xs) - 4),
                                                             max(0, int(ys) - 4), 8, 8]})
    prev = io.BytesIO()
    Image.fromarray(doc.pixels).save(prev, "JPEG", quality=80)
    heat_png = io.BytesIO()
    Image.fromarray(heat).save(heat_png, "PNG")
    score = float(min(1.0, grey.std() / 128.0))
    return {
        "file": source,
        "sha256": doc.sha256,
        "image": {"width": w, "height": h},
        "mrz": {"found": False, "format": None, "lines": [], "raw_lines": [], "fields": {},
                "valid": False},
        "findings": findings,
        "risk": {"score": score, "verdict": "clear" if score < 0.3 else "refer"},
        "signature": {"ahash": bits, "mean": [float(x) for x in doc.pixels.mean(axis=(0, 1))]},
        "timing_ms": {},
        "assets": {"preview.jpg": prev.getvalue(), "heatmap/light.png": heat_png.getvalue()},
    }


def examine_bytes(data: bytes | str, *, source: str) -> dict[str, Any]:
    """The cheapest real pipeline: no decoding, a signature from the bytes themselves."""
    import hashlib

    if isinstance(data, bytes):
        raw = data
    else:
        with open(data, "rb") as fh:
            raw = fh.read()
    return {"file": source, "sha256": hashlib.sha256(raw).hexdigest(), "findings": [],
            "mrz": {"found": False}, "risk": {"score": 0.0, "verdict": "clear"},
            "signature": {"length": len(raw)}}


def examine_file_kw(source: bytes | str, *, file: str | None = None) -> dict[str, Any]:
    """Same as :func:`examine_bytes` with the file name passed as ``file=`` (the spelling
    of ``docfraud.screen.examine_file``)."""
    out = examine_bytes(source, source=file or "<bytes>")
    out["seen_as"] = file
    return out
