"""Clustering quality: pairwise precision/recall, B-cubed and adjusted Rand index."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def _pairs_in(labels: Sequence[str]) -> int:
    return sum(c * (c - 1) // 2 for c in Counter(labels).values())


def scores(truth: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Agreement of a predicted partition with the truth.

    Args:
        truth: true source label per document (singletons get unique labels).
        pred: predicted series label per document (unassigned get unique labels).

    Returns:
        ``pairwise_precision``, ``pairwise_recall``, ``pairwise_f1``,
        ``bcubed_precision``, ``bcubed_recall``, ``bcubed_f1``, ``ari``
        (all in [0, 1], ARI in [-1, 1]). Pairwise precision is 1.0 when no pair is predicted.
    """
    from sklearn.metrics import adjusted_rand_score

    if len(truth) != len(pred):
        raise ValueError("truth and pred differ in length")
    n = len(truth)
    both = Counter(zip(truth, pred, strict=True))
    tcount, pcount = Counter(truth), Counter(pred)
    tp = sum(c * (c - 1) // 2 for c in both.values())
    pp, tpairs = _pairs_in(pred), _pairs_in(truth)
    prec = tp / pp if pp else 1.0
    rec = tp / tpairs if tpairs else 1.0
    bp = sum(c * c / pcount[p] for (_, p), c in both.items()) / n if n else 1.0
    br = sum(c * c / tcount[t] for (t, _), c in both.items()) / n if n else 1.0
    return {
        "pairwise_precision": prec, "pairwise_recall": rec,
        "pairwise_f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
        "bcubed_precision": bp, "bcubed_recall": br,
        "bcubed_f1": 2 * bp * br / (bp + br) if bp + br else 0.0,
        "ari": float(adjusted_rand_score(list(truth), list(pred))),
    }


def labels_from_result(result: Any) -> list[str]:
    """Predicted label per row of a ClusterResult (unassigned rows get unique labels)."""
    labels = [f"_u{i}" for i in range(len(result.table))]
    for s in result.series:
        for r in s.rows:
            labels[int(r)] = s.id
    return labels
