#!/usr/bin/env python3
"""MRZ reading of a document photographed from afar: a small document in a large frame.

`docfraud screen` analyses an image whose long side exceeds 2400 px at a working copy of
2000 px; a document filling a small part of a 24-48 MP frame is then too small there for
the MRZ reader. Where the working copy's reading is unsure, the screen reads the MRZ from
the file's own pixels (`docfraud.screen._native_reading`): around where it was located,
else in the whole image, where `docfraud.mrz.read` searches the windows of a large image
whose whole gives no sure reading.

Cases: every genuine document of the bundled samples (`samples/`, 760-1070 px long side,
as captured) placed at its own size on a plain grey frame of 6000 x 4500 and 8000 x 6000
px, near the top-left and near the bottom-right corner, and near the bottom-right corner
of a frame whose top-left 3000 x 2500 px hold lines of random capitals and fillers
(MRZ-like print, more MRZ-like to the reader's search than the document), JPEG 92.
For each case, in this process and one thread: the MRZ as the screen reads it now
(`docfraud.screen.analyse`, MRZ detector only) against the reading of the working copy
alone (what the screen read before: `docfraud.mrz.read` of `working_copy(...).pixels`),
both compared with the reading of the document image itself; and times. Only the MRZ is
checked, not the verdict (the other detectors see a small document at the working
resolution).

Usage: PYTHONPATH=. python scripts/bench_far_document.py [--frames 6000,8000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def print_block(frame: Any, width: int, height: int) -> None:
    """Lines of random capitals and fillers in the frame's top-left corner."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(1)
    chars = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
    frame[:height, :width] = 225
    for y in range(60, height, 70):
        cv2.putText(frame, "".join(rng.choice(chars, width // 30)), (20, y),
                    cv2.FONT_HERSHEY_SIMPLEX, 1.6, (30, 30, 30), 3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", default="6000,8000", help="frame widths (4:3), comma-separated")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # before numpy, OpenCV and torch start their thread pools

    import cv2
    import numpy as np

    from docfraud.imageio import decode_image, working_copy
    from docfraud.mrz import read
    from docfraud.screen import analyse

    cv2.setNumThreads(1)
    samples = ROOT / "samples"
    truth = [json.loads(line) for line in (samples / "truth.jsonl").read_text().splitlines()
             if line.strip()]
    files = [samples / t["file"] for t in truth
             if t["label"] == "genuine" and not t.get("operators")]
    rows = []
    print(f"{'document':<22} {'frame':>6} {'place':<12} {'before':<8} {'now':<8} "
          f"{'before s':>8} {'now s':>6}")
    for path in files:
        card = cv2.imread(str(path))
        expected = read(path).lines
        for width in (int(v) for v in args.frames.split(",")):
            height = width * 3 // 4
            for corner in ("top-left", "bottom-right", "print"):
                frame = np.full((height, width, 3), 110, np.uint8)
                if corner == "print":
                    print_block(frame, 3000, 2500)
                y0, x0 = (400, 500) if corner == "top-left" else (
                    height - card.shape[0] - 300, width - card.shape[1] - 200)
                frame[y0:y0 + card.shape[0], x0:x0 + card.shape[1]] = card
                _ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
                doc = decode_image(buf.tobytes(), source=f"{path.stem}-{width}.jpg")
                t0 = time.perf_counter()
                before = read(working_copy(doc).pixels)
                t1 = time.perf_counter()
                analysis, _, timing = analyse(doc, detectors=["mrz"])
                assert analysis.mrz is not None
                now = analysis.mrz
                rows.append((before.found and before.lines == expected,
                             now.found and now.lines == expected,
                             t1 - t0, timing["mrz"] / 1e3))
                print(f"{path.name:<22} {width:>6} {corner:<12} "
                      f"{'right' if rows[-1][0] else 'WRONG':<8} "
                      f"{'right' if rows[-1][1] else 'WRONG':<8} "
                      f"{rows[-1][2]:>8.2f} {rows[-1][3]:>6.2f}", flush=True)
    n = len(rows)
    print(f"\n{n} cases: read right from the working copy alone (before) "
          f"{sum(r[0] for r in rows)}/{n}, by the screen now {sum(r[1] for r in rows)}/{n}")
    print(f"MRZ time: before median {statistics.median(r[2] for r in rows):.2f} s, "
          f"max {max(r[2] for r in rows):.2f} s; now median "
          f"{statistics.median(r[3] for r in rows):.2f} s, max {max(r[3] for r in rows):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
