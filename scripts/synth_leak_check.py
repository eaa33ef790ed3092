#!/usr/bin/env python3
"""Leak check: can file size, JPEG quality and image size alone tell forged from genuine?

Generates a synthetic dataset (or reads one with --data), then cross-validates two
classifiers on container-level features only: file size, estimated JPEG quality
(0 for PNG), PNG flag, width, height and bytes per pixel. The capture simulation
draws these independently of the label, so ROC AUC must stay near 0.5; the check
passes at <= 0.6.

    PYTHONPATH=. python3 scripts/synth_leak_check.py --genuine 300 --workshops 6 --seed 1234
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from docfraud.synth import generate_dataset

# IJG standard luminance quantisation table (quality 50), in zig-zag-independent raster order
_STD_LUMA = np.array(
    [
        16,
        11,
        10,
        16,
        24,
        40,
        51,
        61,
        12,
        12,
        14,
        19,
        26,
        58,
        60,
        55,
        14,
        13,
        16,
        24,
        40,
        57,
        69,
        56,
        14,
        17,
        22,
        29,
        51,
        87,
        80,
        62,
        18,
        22,
        37,
        56,
        68,
        109,
        103,
        77,
        24,
        35,
        55,
        64,
        81,
        104,
        113,
        92,
        49,
        64,
        78,
        87,
        103,
        121,
        120,
        101,
        72,
        92,
        95,
        98,
        112,
        100,
        103,
        99,
    ],
    dtype=np.float64,
)


def jpeg_quality(path: Path) -> float:
    """IJG quality estimated from the luminance quantisation table (0 for non-JPEG)."""
    with Image.open(path) as im:
        tables = getattr(im, "quantization", None)
        if not tables:
            return 0.0
        luma = np.array(tables[0], dtype=np.float64)
    # PIL returns the table in zig-zag order; the ratio to the standard table is what matters,
    # so compare sorted values (order-independent)
    scale = float(np.median(np.sort(luma) / np.sort(_STD_LUMA)) * 100)
    return (200 - scale) / 2 if scale <= 100 else 5000 / scale


def features(root: Path, truths: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for t in truths:
        path = root / t["file"]
        size = path.stat().st_size
        with Image.open(path) as im:
            w, h = im.size
        rows.append([size, jpeg_quality(path), float(path.suffix == ".png"), w, h, size / (w * h)])
        labels.append(1 if t["label"] == "forged" else 0)
    return np.array(rows, dtype=np.float64), np.array(labels)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--data", help="existing dataset folder (with truth.jsonl)")
    ap.add_argument("--genuine", type=int, default=300)
    ap.add_argument("--workshops", type=int, default=6)
    ap.add_argument("--per-workshop", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.6)
    args = ap.parse_args()

    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    tmp = None
    if args.data:
        root = Path(args.data)
        truths = [json.loads(line) for line in (root / "truth.jsonl").open(encoding="utf-8")]
    else:
        tmp = tempfile.TemporaryDirectory(prefix="synth-leak-")
        root = Path(tmp.name)
        start = time.perf_counter()
        truths = generate_dataset(
            root,
            genuine=args.genuine,
            workshops=args.workshops,
            per_workshop=args.per_workshop,
            seed=args.seed,
            workers=args.workers,
        )
        print(f"generated {len(truths)} documents in {time.perf_counter() - start:.0f} s")
    x, y = features(root, truths)
    print(f"documents: {len(y)} ({int(y.sum())} forged, {int(len(y) - y.sum())} genuine)")
    print("features: file size, JPEG quality, PNG flag, width, height, bytes per pixel")
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    models = {
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "gradient boosting": GradientBoostingClassifier(random_state=0),
    }
    worst = 0.0
    for name, model in models.items():
        auc = cross_val_score(model, x, y, cv=cv, scoring="roc_auc")
        worst = max(worst, float(auc.mean()))
        print(f"{name:20s} ROC AUC {auc.mean():.3f} +/- {auc.std():.3f} (5-fold)")
    ok = worst <= args.threshold
    print(
        f"leak check {'PASSED' if ok else 'FAILED'}: max AUC {worst:.3f} "
        f"(threshold {args.threshold})"
    )
    if tmp is not None:
        tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
