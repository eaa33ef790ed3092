#!/usr/bin/env python3
"""ROC AUC of every forensic detector on simple synthetic forgeries.

Each case is a pair made from the same base image with the same capture parameters
(JPEG qualities drawn independently of the label): one genuine, one forged. Kinds:

* splice_aligned    JPEG q1 -> decode -> paste never-compressed content -> JPEG q2
                    (the genuine twin is re-saved the same way, so it is double-JPEG too)
* splice_shifted    never-compressed background, paste from a JPEG (q1) off the 8x8 grid,
                    JPEG q2 (genuine twin: saved once at q2)
* noise_splice      region with added noise (sigma 1.5-3) or smoothed (sigma 0.6-1.0),
                    saved as PNG or JPEG 88-96
* copy_move         a region (20 % of each side) copied elsewhere, JPEG 85-95
* camera_thumbnail  'camera' JPEG with EXIF thumbnail from capture; forged: a region
                    replaced after capture
Base images alternate between a synthetic document (text, guilloche, paper noise) and a
synthetic natural texture. Seeds start at 1000 (the tests use 0-199).

Also printed: a 'quality only' baseline (score = last JPEG quality), which must be at
chance because qualities do not depend on the label.

Usage: PYTHONPATH=. python scripts/eval_forensics_basic.py [--n 30] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docfraud.forensics import Analysis, available_detectors, run_detectors  # noqa: E402
from tests.forensics import forensics_synth as fs  # noqa: E402


def make_case(kind: str, seed: int, shape: tuple[int, int]) -> list[tuple[bytes, int, int]]:
    """[(file bytes, label, last quality)] for the genuine and the forged twin."""
    rng = np.random.default_rng(seed)
    h, w = shape
    base = fs.document_image(rng, h, w) if seed % 2 == 0 else fs.natural_image(rng, h, w)
    q1 = int(rng.integers(55, 86))
    q2 = int(rng.integers(86, 97))
    out = []
    for label in (0, 1):
        r = np.random.default_rng(seed * 7 + 1)  # same draws for both twins
        if kind == "splice_aligned":
            data, _ = fs.splice_aligned(r, base, forged=bool(label), q1=q1, q2=q2)
        elif kind == "splice_shifted":
            data, _ = fs.splice_shifted_jpeg(r, base, forged=bool(label), q1=min(q1, 80), q2=q2)
        elif kind == "noise_splice":
            qn = 100 if seed % 3 == 0 else int(np.clip(q2, 88, 96))
            q2 = qn
            data, _ = fs.noise_splice(r, base, forged=bool(label), q2=qn)
        elif kind == "copy_move":
            q2 = int(np.clip(q2, 85, 95))
            data, _ = fs.copy_move(r, base, forged=bool(label), q2=q2)
        elif kind == "camera_thumbnail":
            data, _ = fs.camera_file(r, base, forged=bool(label), q2=q2)
        else:
            raise ValueError(kind)
        out.append((data, label, q2))
    return out


def auc(labels: list[int], scores: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def tpr_at_zero_fp(labels: list[int], scores: list[float]) -> float:
    neg = [s for s, lab in zip(scores, labels, strict=True) if lab == 0]
    pos = [s for s, lab in zip(scores, labels, strict=True) if lab == 1]
    top = max(neg)
    return float(np.mean([p > top for p in pos]))


KINDS = ("splice_aligned", "splice_shifted", "noise_splice", "copy_move", "camera_thumbnail")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=30, help="pairs per kind")
    p.add_argument("--height", type=int, default=600)
    p.add_argument("--width", type=int, default=900)
    p.add_argument("--seed", type=int, default=1000)
    p.add_argument("--kinds", nargs="*", default=list(KINDS))
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    names = available_detectors()
    results: dict[str, Any] = {"n_pairs": args.n, "shape": [args.height, args.width],
                               "kinds": {}}
    timings: dict[str, list[float]] = {n: [] for n in names}
    print(f"detectors: {', '.join(names)}; {args.n} pairs per kind; "
          f"{args.width}x{args.height} px; seeds {args.seed}..{args.seed + args.n - 1}")
    for kind in args.kinds:
        labels: list[int] = []
        quality: list[float] = []
        scores: dict[str, list[float]] = {n: [] for n in names}
        t0 = time.time()
        for i in range(args.n):
            for data, label, q in make_case(kind, args.seed + i, (args.height, args.width)):
                res = run_detectors(Analysis.from_source(data))
                labels.append(label)
                quality.append(float(q))
                for r in res:
                    # a detector that does not apply says nothing: score 0
                    scores[r.detector].append(r.score if r.score is not None else 0.0)
                    timings[r.detector].append(r.timing_ms)
        row: dict[str, Any] = {
            n: {"auc": round(auc(labels, s), 3), "tpr_at_0fp": round(tpr_at_zero_fp(labels, s), 3)}
            for n, s in scores.items()
        }
        best = [max(v) for v in zip(*scores.values(), strict=True)]
        row["max_of_detectors"] = {"auc": round(auc(labels, best), 3),
                                   "tpr_at_0fp": round(tpr_at_zero_fp(labels, best), 3)}
        row["quality_only"] = {"auc": round(auc(labels, quality), 3)}
        results["kinds"][kind] = row
        cells = "  ".join(f"{n}={v['auc']:.3f}" for n, v in row.items())
        print(f"{kind:17s} AUC  {cells}   ({time.time() - t0:.0f} s)")
    print("TPR at zero false alarms (the highest genuine score as threshold):")
    for kind, row in results["kinds"].items():
        cells = "  ".join(f"{n}={v['tpr_at_0fp']:.2f}" for n, v in row.items() if "tpr_at_0fp" in v)
        print(f"  {kind:17s} {cells}")
    results["median_ms"] = {n: round(float(np.median(t)), 1) for n, t in timings.items() if t}
    print("median ms per detector at this size:", results["median_ms"])
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
