#!/usr/bin/env python3
"""The learned detector's portrait measures on photo substitutions of one design.

Development check for ``scripts/train_learned.py`` weights (never an evaluation set):
genuine documents and photo substitutions of one design (by default the design held
out of every training, ``uto_residence_2021``), screened as ``docfraud screen`` does
(MRZ read, card placed), then each weights file's document score, ``portrait_mean`` and
``portrait_vs_card`` compared: ROC AUC, genuine median and 99th percentile, forged
median, all over the documents whose portrait zone was placed. Seed 5457 is a tuning
seed (scripts/detect_common.py).

Usage: python scripts/eval_learned_portrait.py NAME=WEIGHTS.onnx [NAME=WEIGHTS.onnx ...]
           [--design uto_residence_2021] [--seed 5457] [--n 40]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="NAME=path of an ONNX weights file")
    ap.add_argument("--design", default="uto_residence_2021")
    ap.add_argument("--seed", type=int, default=5457)
    ap.add_argument("--n", type=int, default=40, help="genuine and forged documents each")
    args = ap.parse_args()
    from sklearn.metrics import roc_auc_score

    from docfraud.forensics.learned import LearnedDetector
    from docfraud.screen import analyse
    from docfraud.synth import iter_documents

    models = {}
    for spec in args.models:
        name, _, path = spec.partition("=")
        if not path or not Path(path).is_file():
            ap.error(f"expected NAME=existing .onnx file, got {spec!r}")
        models[name] = Path(path)
    labels: list[int] = []
    values: dict[str, list[tuple[float | None, ...]]] = {m: [] for m in models}
    for doc in iter_documents(genuine=args.n, forged=args.n, workshops=0, seed=args.seed,
                              designs=[args.design], operators=["photo_substitution"],
                              null_rate=0.5):
        analysis, _, _ = analyse(doc.data, detectors=[])
        labels.append(0 if doc.truth["label"] == "genuine" else 1)
        for name, path in models.items():
            det = LearnedDetector()
            det.model_path = path
            r = det.run(analysis)
            values[name].append((r.score, r.data.get("portrait_mean"),
                                 r.data.get("portrait_vs_card")))
    y = np.array(labels)
    print(f"{args.design}, seed {args.seed}: {int((y == 0).sum())} genuine, {int(y.sum())} "
          "photo substitutions")
    print("| weights | measure | ROC AUC | genuine median | genuine 99th pct | forged median | n |")
    print("|---|---|---|---|---|---|---|")
    for name in models:
        # every measure over the same documents: those where the portrait was measured
        ok = np.array([t[1] is not None for t in values[name]])
        for i, what in enumerate(("score", "portrait_mean", "portrait_vs_card")):
            v = np.array([np.nan if t[i] is None else t[i] for t in values[name]], float)
            g, f = v[(y == 0) & ok], v[(y == 1) & ok]
            if not g.size or not f.size:
                print(f"| {name} | {what} | -- | | | | {int(ok.sum())} |")
                continue
            print(f"| {name} | {what} | {roc_auc_score(y[ok], v[ok]):.3f} | {np.median(g):.3f} "
                  f"| {np.quantile(g, 0.99):.3f} | {np.median(f):.3f} | {int(ok.sum())} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
