#!/usr/bin/env python3
"""Time the learned detector: start-up cost and inference at 2 megapixels on one core.

Prints, for a synthetic document resized to about 2 MP (1224 x 1632):
- the cost of importing the detector module and of loading the ONNX weights (fresh
  interpreter each time);
- the median wall and CPU time of the detector's run() with a fresh Analysis
  (luminance and noise residual computed by the detector) and with them already
  cached (as in screening, where the noise detector computed them first), and the
  network's forward pass alone.
Wall time on a loaded machine overstates the cost; CPU time of a one-thread run does
not. Usage: python scripts/bench_learned.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _fresh(code: str) -> float:
    """Seconds reported by ``code`` (which prints one float) in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()

    import cv2
    import numpy as np

    cv2.setNumThreads(1)
    imports = [_fresh("import time; t = time.perf_counter(); import docfraud.forensics.learned; "
                      "print(time.perf_counter() - t)") for _ in range(3)]
    loads = [_fresh("import docfraud.forensics.learned as m, time; t = time.perf_counter(); "
                    "m.load_model(); print(time.perf_counter() - t)") for _ in range(3)]
    torch_loaded = _fresh("import sys, docfraud.forensics.learned as m; m.load_model(); "
                          "print(float('torch' in sys.modules))")
    print(f"import docfraud.forensics.learned: median {1000 * statistics.median(imports):.0f} ms "
          f"(numpy included; cv2 is imported on first use); "
          f"load weights (cv2 import included): {1000 * statistics.median(loads):.0f} ms; "
          f"torch imported: {bool(torch_loaded)}")

    from docfraud.forensics import Analysis
    from docfraud.forensics.learned import LearnedDetector, input_channels, load_model
    from docfraud.synth import iter_documents

    doc = next(iter(iter_documents(genuine=1, forged=0, workshops=0, seed=9100,
                                   designs=["uto_passport_2020"])))
    assert doc.image is not None
    img = np.ascontiguousarray(cv2.resize(doc.image, (1632, 1224), interpolation=cv2.INTER_AREA))
    det = LearnedDetector()
    model = load_model()

    def timed(fn: object) -> tuple[float, float]:
        walls, cpus = [], []
        for _ in range(args.runs):
            t, c = time.perf_counter(), time.process_time()
            fn()  # type: ignore[operator]
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        return 1000 * statistics.median(walls), 1000 * statistics.median(cpus)

    det.run(Analysis.from_source(img))  # warm up
    fresh = timed(lambda: det.run(Analysis.from_source(img)))
    cached_analysis = Analysis.from_source(img)
    _ = cached_analysis.noise_residual
    load_only = timed(lambda: Analysis.from_source(img))
    cached = timed(lambda: det.run(cached_analysis))
    channels = input_channels(img)
    forward = timed(lambda: model.cells(channels))
    h, w = img.shape[:2]
    print(f"image {w}x{h} ({h * w / 1e6:.2f} MP), one thread, median of {args.runs}:")
    print(f"  run() with fresh Analysis: wall {fresh[0]:.0f} ms, CPU {fresh[1]:.0f} ms "
          f"(of which Analysis.from_source on an array: CPU {load_only[1]:.0f} ms)")
    print(f"  run() with cached luminance/residual: wall {cached[0]:.0f} ms, "
          f"CPU {cached[1]:.0f} ms")
    print(f"  network forward pass alone: wall {forward[0]:.0f} ms, CPU {forward[1]:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
