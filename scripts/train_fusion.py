#!/usr/bin/env python3
"""Fit the fusion model (models/fusion.json) on synthetic documents.

Training and calibration sets use their own seeds and leave out the held-out design and
forgery kind (scripts/detect_common.py); scripts/eval_detect.py evaluates on a third seed
with everything. Thresholds: 'refer' at 5 % and 'reject' at 1 % false alarms on the
genuine calibration documents.

Usage: python scripts/train_fusion.py [--genuine 150] [--forged 150] [--jobs 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detect_common import (
    CALIBRATION_SEED,
    HELD_OUT_DESIGN,
    HELD_OUT_OPERATOR,
    TRAIN_SEED,
    featurise_set,
    split_rows,
    train_designs,
    train_operators,
)

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genuine", type=int, default=150)
    ap.add_argument("--forged", type=int, default=150)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "fusion")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "fusion.json")
    args = ap.parse_args()
    from docfraud.score import fit

    common = {"designs": train_designs(), "operators": train_operators(), "workshops": 2,
              "per_workshop": 6}
    sets = {}
    for name, seed in (("train", TRAIN_SEED), ("calibration", CALIBRATION_SEED)):
        kwargs = {"genuine": args.genuine, "forged": args.forged, "seed": seed, **common}
        print(f"featurising {name} set (seed {seed})", file=sys.stderr)
        sets[name] = list(split_rows(featurise_set(
            kwargs, jobs=args.jobs, cache=args.cache / f"{name}-{seed}-{args.genuine}.jsonl")))
    train, cal = sets["train"], sets["calibration"]
    model = fit([r["features"] for r in train], [r["label"] for r in train],
                calibration_rows=[r["features"] for r in cal],
                calibration_labels=[r["label"] for r in cal],
                meta={"train_seed": TRAIN_SEED, "calibration_seed": CALIBRATION_SEED,
                      "held_out_design": HELD_OUT_DESIGN,
                      "held_out_operator": HELD_OUT_OPERATOR,
                      "train_documents": len(train), "calibration_documents": len(cal)})
    model.save(args.out)
    print(f"wrote {args.out}: {len(model.feature_names)} features, thresholds "
          f"{ {k: round(v, 3) for k, v in model.thresholds.items()} }")
    top = sorted(zip(model.feature_names, model.coef, strict=True), key=lambda t: -abs(t[1]))
    for name, c in top[:12]:
        print(f"  {name:32s} {c:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
