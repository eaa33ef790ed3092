#!/usr/bin/env python3
"""Which link-model pair features separate same-workshop from different-workshop pairs?

Reads screened signatures of docfraud.synth images (``scripts/cluster_synth_signatures.py
DIR OUT --screen CACHE``; ``info.truth`` = ``SET:W03`` for a workshop, ``SET:lone:N`` /
``SET:genuine:N`` otherwise), clusters them with a link model and prints, per workshop,
how many of its members share a series. Then, over ALL pairs of forged documents (not
only the candidate pairs, so a feature the candidates miss still shows), the ROC AUC of
each pair feature (:data:`docfraud.cluster.FEATURE_NAMES`) for:

* ``not found``: same-workshop pairs of the workshops the model does not find
  (no two members in one series) against pairs of documents of different sources;
* ``all``: same-workshop pairs of every workshop against the same negatives.

AUC 0.5 = the feature carries nothing; 1.0 = higher on same-workshop pairs always. The
share of pairs where the feature is non-zero says whether it is there at all.

    PYTHONPATH=. python scripts/series_pair_separability.py T_screen.jsonl [--model M]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docfraud.cluster import FEATURE_NAMES, LinkModel, build_table, cluster, pair_features  # noqa: E402
from docfraud.cluster.metrics import labels_from_result  # noqa: E402
from docfraud.signature import Signature  # noqa: E402


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney ROC AUC (ties count half)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.r_[pos, neg])
    return float((ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("signatures", type=Path, nargs="+")
    ap.add_argument("--model", type=Path, default=None, help="link model (default models/)")
    args = ap.parse_args()
    sigs = [Signature.from_dict(json.loads(x)) for p in args.signatures
            for x in p.read_text().splitlines() if x.strip()]
    model = LinkModel.load(args.model) if args.model else None
    res = cluster(sigs, model=model) if model else cluster(sigs)
    pred = labels_from_result(res)
    truth = [str(s.info["truth"]) for s in sigs]
    shops = sorted({t for t in truth if ":W" in t})
    found: set[str] = set()
    print("| workshop | modus | members | gated in (risk >= gate) | largest share of one series |")
    print("|---|---|---|---|---|")
    gate = res.model.min_risk if hasattr(res, "model") else None
    for w in shops:
        idx = [i for i, t in enumerate(truth) if t == w]
        in_series = [pred[i] for i in idx if not pred[i].startswith("_u")]
        best = max((in_series.count(s) for s in set(in_series)), default=0)
        if best >= 2:
            found.add(w)
        risky = sum(1 for i in idx if gate is None or (sigs[i].risk or 0.0) >= gate)
        print(f"| {w} | {sigs[idx[0]].info.get('modus')} | {len(idx)} | {risky} | {best} |")
    forged = [i for i, t in enumerate(truth) if ":genuine:" not in t]
    table = build_table(sigs)
    pairs = np.array(list(itertools.combinations(forged, 2)), dtype=np.int64)
    t = np.array(truth)
    same = t[pairs[:, 0]] == t[pairs[:, 1]]
    lost = same & np.isin(t[pairs[:, 0]], sorted(set(shops) - found))
    x = pair_features(table, pairs)
    print(f"\n{len(forged)} forged documents, {len(pairs)} pairs: {int(same.sum())} same-workshop "
          f"({int(lost.sum())} of workshops not found: {sorted(set(shops) - found)}), "
          f"{int((~same).sum())} different-source")
    print("\n| feature | AUC not found | AUC all | non-zero: same (not found) "
          "| non-zero: different |")
    print("|---|---|---|---|---|")
    for k, name in enumerate(FEATURE_NAMES):
        col = x[:, k]
        a_lost = auc(col[lost], col[~same]) if lost.any() else float("nan")
        a_all = auc(col[same], col[~same])
        print(f"| {name} | {a_lost:.3f} | {a_all:.3f} | {(col[lost] != 0).mean():.2f} | "
              f"{(col[~same] != 0).mean():.2f} |")
    # per modus of the workshops not found: the features furthest from chance
    modus = np.array([str(s.info.get("modus")) for s in sigs])
    print("\n| modus (workshops not found) | same-workshop pairs | five features furthest "
          "from AUC 0.5 |")
    print("|---|---|---|")
    for m in sorted(set(modus[pairs[lost, 0]])):
        sel = lost & (modus[pairs[:, 0]] == m)
        aucs = [(auc(x[sel, k], x[~same, k]), name) for k, name in enumerate(FEATURE_NAMES)]
        top = sorted(aucs, key=lambda t: -abs(t[0] - 0.5))[:5]
        print(f"| {m} | {int(sel.sum())} | "
              + ", ".join(f"{name} {a:.2f}" for a, name in top) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
