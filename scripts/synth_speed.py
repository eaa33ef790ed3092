#!/usr/bin/env python3
"""Speed of the synthetic-document generator, in documents per second per core.

Generates a dataset into a temporary folder in one process with one OpenCV thread
(so the figure is per core), after a short warm-up that fills the design caches,
and prints documents per second and the projected time for a 20,000-document
training set on two cores.

    PYTHONPATH=. python3 scripts/synth_speed.py --docs 120 --seed 5
"""

from __future__ import annotations

import argparse
import tempfile
import time

import cv2

from docfraud.synth import generate_dataset


def main() -> None:
    ap = argparse.ArgumentParser(description="synthetic document generator speed")
    ap.add_argument("--docs", type=int, default=120, help="documents to time (about)")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    third = max(args.docs // 3, 1)
    with tempfile.TemporaryDirectory(prefix="synth-speed-") as tmp:
        generate_dataset(
            tmp + "/warm", genuine=6, forged=7, workshops=1, per_workshop=2, seed=args.seed + 1
        )
        start = time.perf_counter()
        truths = generate_dataset(
            tmp + "/run",
            genuine=third,
            forged=third,
            workshops=3,
            per_workshop=max(third // 3, 1),
            seed=args.seed,
        )
        elapsed = time.perf_counter() - start
    rate = len(truths) / elapsed
    print(f"{len(truths)} documents (images, masks, truth) in {elapsed:.1f} s on 1 core")
    print(f"{rate:.2f} documents/s/core; {1000 * elapsed / len(truths):.0f} ms per document")
    print(f"20,000 documents on 2 cores: {20000 / (2 * rate) / 60:.0f} min (projected)")


if __name__ == "__main__":
    main()
