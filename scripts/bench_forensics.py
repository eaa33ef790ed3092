#!/usr/bin/env python3
"""Time the forensic detectors on ~2-megapixel images, one core.

Prints, per image, the median over repeats of each detector's wall time and of all
detectors together (the budget of `docfraud screen` for the forensics of one 2 MP
photo is about 1 s including MRZ reading). Run with nothing else heavy on the machine.

Usage: PYTHONPATH=. python scripts/bench_forensics.py [--repeat 5] [IMAGE ...]
Without images: three synthetic 1600x1200 JPEGs (document, natural, repetitive
document) and the 2 MP specimens of /work/shared/benchmarks/mrz-specimens if present.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPECIMENS = Path("/work/shared/benchmarks/mrz-specimens/images")


def main(argv: list[str] | None = None) -> int:
    import cv2

    from docfraud.forensics import Analysis, available_detectors, run_detectors
    from tests.forensics import forensics_synth as fs

    cv2.setNumThreads(1)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("images", nargs="*", type=Path)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    inputs: list[tuple[str, bytes]] = []
    if args.images:
        inputs = [(str(x), x.read_bytes()) for x in args.images]
    else:
        rng = np.random.default_rng(0)
        inputs = [
            ("synthetic document 1600x1200", fs.jpeg_bytes(fs.document_image(rng, 1200, 1600))),
            ("synthetic natural 1600x1200", fs.jpeg_bytes(fs.natural_image(rng, 1200, 1600))),
            ("synthetic repetitive 1600x1200",
             fs.jpeg_bytes(fs.repetitive_document(rng, 1200, 1600))),
        ]
        for name in ("0_pass-lva.jpg", "100_pass-lux.jpg", "100_pass-bdr.jpg"):
            if (SPECIMENS / name).is_file():
                inputs.append((name, (SPECIMENS / name).read_bytes()))
    names = available_detectors()
    run_detectors(Analysis.from_source(inputs[0][1]))  # warm-up: imports, caches
    totals = []
    print(f"{'image':32s} {'MP':>5s} " + " ".join(f"{n:>9s}" for n in names)
          + f" {'all':>7s} {'+load':>7s}  (median ms of {args.repeat})")
    for label, data in inputs:
        per: dict[str, list[float]] = {n: [] for n in names}
        all_ms, with_load = [], []
        mp = 0.0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            analysis = Analysis.from_source(data)
            t1 = time.perf_counter()
            results = run_detectors(analysis)
            t2 = time.perf_counter()
            mp = analysis.shape[0] * analysis.shape[1] / 1e6
            for r in results:
                per[r.detector].append(r.timing_ms)
            all_ms.append((t2 - t1) * 1000)
            with_load.append((t2 - t0) * 1000)
        totals.append(float(np.median(all_ms)))
        print(f"{label[:32]:32s} {mp:5.2f} "
              + " ".join(f"{np.median(per[n]):9.0f}" for n in names)
              + f" {np.median(all_ms):7.0f} {np.median(with_load):7.0f}")
    print(f"median over images, all detectors: {np.median(totals):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
