"""Link documents by forgery signature into series (suspected common source).

Pipeline: :func:`cluster` builds a per-design standardised table of the
signatures, draws candidate pairs by blocking (portrait-hash bands, number
scheme with close numbers, rare authority text) plus a k-nearest-neighbour
index (never all pairs), scores them with a calibrated logistic
:class:`LinkModel`, links pairs above its threshold, groups connected
components (splitting sparse ones with Louvain) and explains what each series
shares. :func:`match` ranks the series a new document most likely belongs to.
"""

from __future__ import annotations

from docfraud.cluster._engine import (
    DEFAULT_MODEL,
    ClusterResult,
    LinkModel,
    Series,
    cluster,
    explain,
    form_series,
    match,
    score_pairs,
)
from docfraud.cluster._pairs import FEATURE_NAMES, candidate_pairs, pair_features
from docfraud.cluster._table import Table, build_table

__all__ = [
    "DEFAULT_MODEL",
    "FEATURE_NAMES",
    "ClusterResult",
    "LinkModel",
    "Series",
    "Table",
    "build_table",
    "candidate_pairs",
    "cluster",
    "explain",
    "form_series",
    "match",
    "pair_features",
    "score_pairs",
]
