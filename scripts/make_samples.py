#!/usr/bin/env python3
"""Regenerate the committed sample set in samples/ (about 30 documents, a few MB).

10 genuine documents (some with null edits) across the designs, one lone forgery of
every kind, and 3 workshops of 4 documents each; JPEG at a modest resolution.

    PYTHONPATH=. python3 scripts/make_samples.py [--out samples]

Same as: docfraud synth --out samples --genuine 10 --forged 7 --workshops 3
         --per-workshop 4 --seed 2026 --long-side 900 1100 --png-rate 0
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from docfraud.synth import forgery_operators, generate_dataset


def main() -> None:
    ap = argparse.ArgumentParser(description="regenerate samples/")
    ap.add_argument("--out", default="samples")
    args = ap.parse_args()
    out = Path(args.out)
    for sub in ("images", "masks"):
        shutil.rmtree(out / sub, ignore_errors=True)
    truths = generate_dataset(
        out,
        genuine=10,
        forged=len(forgery_operators()),
        workshops=3,
        per_workshop=4,
        seed=2026,
        long_side=(900, 1100),
        png_rate=0.0,
        null_rate=0.3,
    )
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {len(truths)} documents to {out} ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
