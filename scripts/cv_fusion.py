#!/usr/bin/env python3
"""Cross-validate fusion variants on the cached training documents (out-of-fold logits).

Folds are grouped by cache file, i.e. by dataset seed (a seed's documents are never split
between training and scoring), so the figures say how a fusion fitted on the other seeds
does on an unseen seed -- steadier than a single held-out seed (1440 genuine documents
instead of 150-300), and free to use for choices because no evaluation seed is touched.
Prints ROC AUC and the share caught at the 1 % false-alarm threshold of the out-of-fold
genuine scores, overall and per forgery kind (AUC / caught).

Variants: ``free`` (no constraints), ``monotone`` (docfraud.score.feature_direction),
``monotone-free:PREFIX+PREFIX`` (constraints, but features starting with a prefix free).

Usage: python scripts/cv_fusion.py [--cache runs/fusion] [--variants free,monotone]
       [--folds 6]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detect_common import one_percent_threshold, rate_at, row_features

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "fusion",
                    help="directory of train_fusion.py's cached JSON lines (one per seed)")
    ap.add_argument("--variants", default="free,monotone")
    ap.add_argument("--folds", type=int, default=6)
    ap.add_argument("--augment-without", default="reference.",
                    help="as train_fusion.py; the held-out documents are also scored "
                         "without these features (as documents of a design outside the "
                         "reference library)")
    args = ap.parse_args()
    augment = tuple(p for p in args.augment_without.split(",") if p)
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    from docfraud.score import fit

    files = sorted(args.cache.glob("*.jsonl"))
    if len(files) < args.folds:
        ap.error(f"{args.cache} holds {len(files)} cached sets; need at least --folds "
                 f"{args.folds}")
    rows, groups = [], []
    for g, path in enumerate(files):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if not row.get("error"):
                rows.append(row)
                groups.append(g)
    x = [row_features(r) for r in rows]
    y = np.array([r["label"] for r in rows])
    fold = np.array(groups) % args.folds
    kind = np.array(["genuine" if r["label"] == 0 else r["operators"][0] for r in rows])
    print(f"{len(rows)} documents ({int((y == 0).sum())} genuine) from {len(files)} sets "
          f"in {args.cache}, {args.folds} folds grouped by set")
    names = sorted({k for feats in x for k in feats})
    for variant in args.variants.split(","):
        monotone = variant.startswith("monotone")
        free = tuple(variant.split(":", 1)[1].split("+")) if ":" in variant else ()
        directions = {n: 0 for n in names if free and n.startswith(free)}
        oof = np.zeros(len(rows))
        oof_without = np.zeros(len(rows))
        with threadpool_limits(1):
            for k in range(args.folds):
                train = np.where(fold != k)[0]
                labels = [int(y[i]) for i in train]
                part = [x[i] for i in train]
                model = fit(part, labels, calibration_rows=part, calibration_labels=labels,
                            method="trees", monotone=monotone, directions=directions,
                            augment_without=augment)
                for i in np.where(fold == k)[0]:
                    oof[i] = model.logit(x[i])[0]
                    stripped = {n: v for n, v in x[i].items() if not n.startswith(augment)}
                    oof_without[i] = model.logit(stripped)[0]
        for label, scores in ((variant, oof), (f"{variant}, without {','.join(augment)}",
                                               oof_without)):
            if label != variant and not augment:
                continue
            genuine = scores[y == 0]
            t1 = one_percent_threshold(genuine)
            out = [f"{label}: AUC {roc_auc_score(y, scores):.3f}, caught @1% FA "
                   f"{rate_at(t1, scores[y == 1]) * 100:.1f}%"]
            for name in sorted(set(kind) - {"genuine"}):
                forged = scores[kind == name]
                auc = roc_auc_score([0] * len(genuine) + [1] * len(forged),
                                    list(genuine) + list(forged))
                out.append(f"{name} {auc:.3f}/{rate_at(t1, forged) * 100:.0f}%")
            print("  ".join(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
