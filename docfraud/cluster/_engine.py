"""Link model, series formation, explanations and matching."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from docfraud.cluster._pairs import (
    FEATURE_NAMES,
    candidate_pairs,
    cross_pairs,
    pair_features,
    portrait_bits,
    portrait_comparable,
)
from docfraud.cluster._table import F64, I64, Table, build_table
from docfraud.errors import InputError, ModelError
from docfraud.signature import VECTOR_SPECS, Signature

log = logging.getLogger(__name__)

#: default link model, reproduced by scripts/train_link_model.py
DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "cluster_link.json"

#: pairs are scored in chunks of this many to bound memory
_CHUNK = 200_000


@dataclass(frozen=True)
class LinkModel:
    """Logistic link model: P(two documents share a source | pair features).

    Attributes:
        features: feature names, must equal :data:`FEATURE_NAMES`.
        mean, scale: standardisation of the features, (F,) float64.
        coef: (F,) float64 logistic coefficients; ``intercept`` float.
        threshold: link probability at or above which two documents are linked.
        min_risk: documents with a lower risk stay unassigned (genuine-looking).
        split_density: connected components sparser than this are split by Louvain.
        merge_ratio: Louvain parts joined by at least this many links per member of
            the smaller part are merged back (a split through a true series).
        attach_threshold, attach_min_links: a document below ``min_risk`` joins a
            series when at least ``attach_min_links`` of its links to the series'
            members reach ``attach_threshold`` (forgeries the screen missed).
        info: provenance (training seeds, modi, figures).
    """

    features: tuple[str, ...]
    mean: F64
    scale: F64
    coef: F64
    intercept: float
    threshold: float = 0.5
    min_risk: float = 0.5
    split_density: float = 0.5
    merge_ratio: float = 1.0
    attach_threshold: float = 0.97
    attach_min_links: int = 2
    info: dict[str, Any] = field(default_factory=dict)

    def predict(self, x: F64) -> F64:
        """Link probabilities in [0, 1] of (P, F) features -> (P,) float64."""
        logit = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -40, 40)))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "docfraud.cluster.LinkModel", "version": 1,
                "features": list(self.features), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "threshold": self.threshold,
                "min_risk": self.min_risk, "split_density": self.split_density,
                "merge_ratio": self.merge_ratio, "attach_threshold": self.attach_threshold,
                "attach_min_links": self.attach_min_links, "info": self.info}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LinkModel:
        try:
            m = cls(features=tuple(d["features"]), mean=np.asarray(d["mean"], dtype=np.float64),
                    scale=np.asarray(d["scale"], dtype=np.float64),
                    coef=np.asarray(d["coef"], dtype=np.float64),
                    intercept=float(d["intercept"]), threshold=float(d["threshold"]),
                    min_risk=float(d["min_risk"]),
                    split_density=float(d.get("split_density", 0.5)),
                    merge_ratio=float(d.get("merge_ratio", 1.0)),
                    attach_threshold=float(d.get("attach_threshold", 0.97)),
                    attach_min_links=int(d.get("attach_min_links", 2)),
                    info=dict(d.get("info", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"malformed link model: {exc}") from exc
        if m.features != FEATURE_NAMES:
            raise ModelError("link model was trained on other pair features; rerun "
                             "scripts/train_link_model.py")
        return m

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path | None = None) -> LinkModel:
        """Load a model file (default: ``$DOCFRAUD_MODELS/cluster_link.json`` or models/)."""
        if path is None:
            env = os.environ.get("DOCFRAUD_MODELS")
            path = Path(env) / "cluster_link.json" if env else DEFAULT_MODEL
        p = Path(path)
        if not p.is_file():
            raise ModelError(f"link model not found at {p}; run scripts/train_link_model.py")
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"link model {p} is not valid JSON: {exc}") from exc
        return cls.from_dict(d)


@dataclass
class Series:
    """One suspected common source.

    Attributes:
        id: ``"S001"``, ... (largest series first).
        rows: table rows of the members.
        links: (L, 2) int64 linked rows inside the series and ``link_p`` (L,) their probabilities.
        shared: plain-words list of what links the members.
    """

    id: str
    rows: I64
    links: I64
    link_p: F64
    shared: list[str] = field(default_factory=list)


@dataclass
class ClusterResult:
    """Series found among signatures.

    Attributes:
        table: the signatures as arrays (``table.sigs`` in input order).
        series: the series, largest first.
        unassigned: rows in no series.
        edges: (E, 2) int64 scored candidate pairs with ``edge_p`` >= the link threshold.
        model: the link model used.
        stats: counts and timings.
    """

    table: Table
    series: list[Series]
    unassigned: I64
    edges: I64
    edge_p: F64
    model: LinkModel
    stats: dict[str, Any]

    def to_dict(self, *, max_links: int = 500) -> dict[str, Any]:
        """The ``clusters.json`` contract (DESIGN.md section 3)."""
        sigs = self.table.sigs
        out = []
        for s in self.series:
            seen = sorted(x for x in (sigs[r].seen for r in s.rows) if x)
            order = np.argsort(-s.link_p)[:max_links]
            out.append({
                "id": s.id,
                "members": [sigs[r].doc_id for r in s.rows],
                "shared": s.shared,
                "size": len(s.rows),
                "cohesion": float(s.link_p.mean()) if s.link_p.size else 0.0,
                "links": [{"a": sigs[int(s.links[k, 0])].doc_id,
                           "b": sigs[int(s.links[k, 1])].doc_id,
                           "p": round(float(s.link_p[k]), 4)} for k in order],
                "designs": sorted({sigs[r].design for r in s.rows if sigs[r].design}),
                "first_seen": seen[0] if seen else None,
                "last_seen": seen[-1] if seen else None,
            })
        return {"series": out, "unassigned": [sigs[r].doc_id for r in self.unassigned],
                "params": {"threshold": self.model.threshold, "min_risk": self.model.min_risk},
                "stats": self.stats}


def score_pairs(table: Table, pairs: I64, model: LinkModel) -> F64:
    """Link probability of each pair, (P,) float64, computed in bounded chunks."""
    out = np.empty(len(pairs))
    for s in range(0, len(pairs), _CHUNK):
        out[s:s + _CHUNK] = model.predict(pair_features(table, pairs[s:s + _CHUNK]))
    return out


def _components(n: int, edges: I64) -> I64:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    return np.asarray(labels, dtype=np.int64)


def _louvain_split(edges: I64, p: F64, *, merge_ratio: float) -> list[I64]:
    """Louvain communities of one component, parts with many links between them merged back."""
    import networkx as nx

    g = nx.Graph()
    pc = np.clip(p, 1e-6, 1 - 1e-6)
    w = np.maximum(np.log(pc / (1 - pc)), 0.01)
    g.add_weighted_edges_from(
        (int(a), int(b), float(x)) for (a, b), x in zip(edges, w, strict=True))
    coms = [np.array(sorted(c), dtype=np.int64)
            for c in nx.community.louvain_communities(g, weight="weight", seed=0)]
    label = {int(r): ci for ci, c in enumerate(coms) for r in c}
    between: Counter[tuple[int, int]] = Counter()
    for a, b in edges:
        ca, cb = label[int(a)], label[int(b)]
        if ca != cb:
            between[(min(ca, cb), max(ca, cb))] += 1
    parent = list(range(len(coms)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (ca, cb), cnt in between.items():
        if cnt >= merge_ratio * min(coms[ca].size, coms[cb].size):
            parent[find(ca)] = find(cb)
    merged: dict[int, list[I64]] = {}
    for ci, c in enumerate(coms):
        merged.setdefault(find(ci), []).append(c)
    return [np.sort(np.concatenate(v)) for v in merged.values()]


def form_series(n: int, edges: I64, p: F64, *, split_density: float, merge_ratio: float = 1.0,
                min_size: int = 2) -> list[I64]:
    """Groups of rows from linked pairs.

    Connected components of the link graph; a component of 4+ rows whose link
    density is below ``split_density`` (chaining through a few false links) is
    split by Louvain community detection (networkx, weights = link log-odds,
    seed 0), and parts joined by ``merge_ratio`` links or more per member of the
    smaller part are merged back.

    Returns:
        Row arrays (int64) with at least ``min_size`` rows each.
    """
    if len(edges) == 0:
        return []
    labels = _components(n, edges)
    order = np.argsort(labels[edges[:, 0]], kind="stable")
    e_sorted, p_sorted = edges[order], p[order]
    e_lab = labels[e_sorted[:, 0]]
    starts = np.flatnonzero(np.r_[True, e_lab[1:] != e_lab[:-1]])
    ends = np.r_[starts[1:], len(e_lab)]
    groups: list[I64] = []
    for s, t in zip(starts, ends, strict=True):
        ee = e_sorted[s:t]
        nodes = np.unique(ee)
        size = nodes.size
        density = (t - s) / (size * (size - 1) / 2)
        if size >= 4 and density < split_density:
            groups.extend(_louvain_split(ee, p_sorted[s:t], merge_ratio=merge_ratio))
        else:
            groups.append(nodes.astype(np.int64))
    return [g for g in groups if g.size >= min_size]


def _fmt_dev(name: str, dim: str, value: float, ref: float) -> str:
    if name == "mrz" and dim in ("pitch_ratio", "size_ratio"):
        return f"MRZ {dim.replace('_ratio', '')} {100 * (value / ref - 1):+.1f}% vs. design"
    if name == "print" and dim == "period_px":
        return f"print pattern period {value:.2f} px (design {ref:.2f} px)"
    return f"{name} {dim} {value:.3g} (design {ref:.3g})"


def explain(table: Table, rows: I64, *, max_items: int = 8,
            number_text: Callable[[str], str] | None = None) -> list[str]:
    """What the members of a group share, most telling first (plain words).

    Args:
        table: the signatures.
        rows: the group's rows.
        max_items: longest list returned.
        number_text: how document numbers are written (e.g. a pseudonymiser).
    """
    show = number_text or (lambda x: x)
    n = rows.size
    out: list[str] = []
    sigs = table.sigs
    # reused portraits: members whose portrait hash is within the verification radius of another
    hp = rows[table.has_phash[rows]]
    if hp.size >= 2:
        ii, jj = np.triu_indices(hp.size, k=1)
        pr = np.stack([hp[ii], hp[jj]], axis=1)
        pr = pr[portrait_comparable(table, pr)]
        close = pr[portrait_bits(table, pr) <= 10]
        if close.size:
            users = np.unique(close)
            out.append(f"same portrait photo reused (pHash, mirror-robust) in {users.size}/{n} "
                       "documents")
    auth = table.authority[rows]
    if (auth >= 0).any():
        code, cnt = Counter(auth[auth >= 0].tolist()).most_common(1)[0]
        share = table.authority_count[code] / len(table)
        n_low = max(int((table.risk < 0.5).sum()), 1)
        official = table.authority_count_low[code] / n_low >= 0.05
        if cnt >= max(2, 0.5 * n) and share < 0.2 and not official:
            out.append(f"authority text '{table.authority_names[code]}' ({cnt}/{n})")
    sch = table.scheme[rows]
    if (sch >= 0).any():
        code, cnt = Counter(sch[sch >= 0].tolist()).most_common(1)[0]
        vals = table.number[rows][(sch == code) & ~np.isnan(table.number[rows])]
        if vals.size >= 2:
            v = np.sort(vals)
            gaps = np.diff(v)
            seq = int((gaps <= 1000).sum()) + 1
            if seq >= max(2, 0.5 * n):
                in_scheme = [r for r in rows if table.scheme[r] == code]
                lo = show(next(str(sigs[r].number) for r in in_scheme if table.number[r] == v[0]))
                hi = show(next(str(sigs[r].number) for r in in_scheme
                               if table.number[r] == v[-1]))
                out.append(f"document numbers close in sequence ({seq}/{n}), "
                           f"scheme {table.scheme_names[code]}: {lo} .. {hi}")
    for tok, (codes, counts) in table.habits.items():
        c = codes[rows]
        if (c >= 0).any():
            code, cnt = Counter(c[c >= 0].tolist()).most_common(1)[0]
            if cnt >= max(2, 0.7 * n) and counts[code] / len(table) < 0.3:
                val = next(sigs[r].tokens.get(tok) for r in rows if codes[r] == code)
                out.append(f"MRZ habit {tok}={val!r} ({cnt}/{n})")
    devs: list[tuple[float, str]] = []
    for name, spec in VECTOR_SPECS.items():
        z = table.z[name][rows]
        ok = ~np.isnan(z[:, 0])
        if ok.sum() < max(2, 0.5 * n):
            continue
        med_z = np.median(z[ok], axis=0)
        spread = np.median(np.abs(z[ok] - med_z), axis=0) * 1.4826
        raw = np.median(table.raw[name][rows][ok], axis=0)
        dcode = int(np.bincount(table.design[rows]).argmax())
        ref = table.ref_median[name][dcode]
        for k, dim in enumerate(spec):
            if abs(med_z[k]) >= 4 and spread[k] < 0.5 * abs(med_z[k]):
                devs.append((abs(float(med_z[k])), _fmt_dev(name, dim, float(raw[k]),
                                                          float(ref[k]))))
    out.extend(t for _, t in sorted(devs, reverse=True)[:4])
    if table.evidence.shape[1]:
        ev = table.evidence[rows].mean(axis=0)
        top = [f"{table.detectors[k]} {ev[k]:.2f}" for k in np.argsort(-ev)[:3] if ev[k] >= 0.4]
        if top:
            out.append("detector evidence: " + ", ".join(top))
    return out[:max_items]


def _attach_low_risk(table: Table, groups: list[I64], edges: I64, edge_p: F64,
                     model: LinkModel, *, k: int) -> tuple[list[I64], I64, F64, int]:
    """Attach documents below ``min_risk`` to series they link to strongly."""
    if not groups:
        return groups, edges, edge_p, 0
    low = np.flatnonzero(table.risk < model.min_risk).astype(np.int64)
    members = np.concatenate(groups)
    if low.size == 0:
        return groups, edges, edge_p, 0
    pairs = cross_pairs(table, low, members, k=k)
    if not len(pairs):
        return groups, edges, edge_p, 0
    p = score_pairs(table, pairs, model)
    strong = p >= model.attach_threshold
    pairs, p = pairs[strong], p[strong]
    gid = np.full(len(table), -1, dtype=np.int64)
    for gi, g in enumerate(groups):
        gid[g] = gi
    votes: dict[int, Counter[int]] = {}
    for (q, t) in pairs:
        votes.setdefault(int(q), Counter())[int(gid[t])] += 1
    add: dict[int, list[int]] = {}
    for q, c in votes.items():
        best, cnt = c.most_common(1)[0]
        if cnt >= model.attach_min_links:
            add.setdefault(best, []).append(q)
    if not add:
        return groups, edges, edge_p, 0
    new_groups = [np.sort(np.r_[g, np.array(add.get(gi, []), dtype=np.int64)])
                  for gi, g in enumerate(groups)]
    attached = {q for qs in add.values() for q in qs}
    q_group = {q: g for g, qs in add.items() for q in qs}
    keep = np.array([q_group.get(int(q), -2) == gid[t] for q, t in pairs], dtype=bool)
    return (new_groups, np.concatenate([edges, pairs[keep]]), np.concatenate([edge_p, p[keep]]),
            len(attached))


def cluster(
    signatures: Sequence[Signature],
    *,
    model: LinkModel | None = None,
    k: int = 10,
    min_size: int = 2,
) -> ClusterResult:
    """Group signatures into series of suspected common source.

    Documents with ``risk < model.min_risk`` stay unassigned; the rest are
    linked through candidate pairs (blocking + k nearest neighbours, never all
    pairs), scored by the link model, grouped by :func:`form_series` and
    explained by :func:`explain`.

    Args:
        signatures: the documents; doc_ids must be unique.
        model: link model (default :meth:`LinkModel.load`).
        k: neighbours per document in the nearest-neighbour index.
        min_size: smallest series.

    Raises:
        InputError: duplicate doc_ids.
    """
    import time

    model = model or LinkModel.load()
    t0 = time.perf_counter()
    ids = [s.doc_id for s in signatures]
    if len(set(ids)) != len(ids):
        dup = next(x for x, c in Counter(ids).items() if c > 1)
        raise InputError(f"duplicate document id {dup!r} in the signatures")
    table = build_table(signatures)
    t1 = time.perf_counter()
    active = np.flatnonzero(table.risk >= model.min_risk).astype(np.int64)
    pairs = candidate_pairs(table, active, k=k)
    t2 = time.perf_counter()
    p = score_pairs(table, pairs, model) if len(pairs) else np.zeros(0)
    keep = p >= model.threshold
    edges, edge_p = pairs[keep], p[keep]
    t3 = time.perf_counter()
    groups = form_series(len(table), edges, edge_p, split_density=model.split_density,
                         merge_ratio=model.merge_ratio, min_size=min_size)
    t_groups = time.perf_counter()
    groups, edges, edge_p, attached = _attach_low_risk(table, groups, edges, edge_p, model, k=k)
    groups.sort(key=lambda g: (-g.size, int(g[0])))
    member = np.full(len(table), -1, dtype=np.int64)
    for gi, g in enumerate(groups):
        member[g] = gi
    same = (member[edges[:, 0]] == member[edges[:, 1]]) & (member[edges[:, 0]] >= 0)
    series: list[Series] = []
    e_in, p_in = edges[same], edge_p[same]
    g_of = member[e_in[:, 0]]
    order = np.argsort(g_of, kind="stable")
    e_in, p_in, g_of = e_in[order], p_in[order], g_of[order]
    bounds = np.searchsorted(g_of, np.arange(len(groups) + 1))
    for gi, g in enumerate(groups):
        a, b = bounds[gi], bounds[gi + 1]
        series.append(Series(id=f"S{gi + 1:03d}", rows=g, links=e_in[a:b], link_p=p_in[a:b],
                             shared=explain(table, g)))
    t4 = time.perf_counter()
    unassigned = np.flatnonzero(member < 0).astype(np.int64)
    stats = {"documents": len(table), "clustered": int(active.size), "attached": attached,
             "candidate_pairs": len(pairs), "links": len(edges), "series": len(series),
             "seconds": {"table": round(t1 - t0, 3), "candidates": round(t2 - t1, 3),
                         "scoring": round(t3 - t2, 3), "series": round(t_groups - t3, 3),
                         "attach_and_explain": round(t4 - t_groups, 3)}}
    log.info("clustered %d documents: %s", len(table), stats)
    return ClusterResult(table=table, series=series, unassigned=unassigned, edges=edges,
                         edge_p=edge_p, model=model, stats=stats)


def match(
    signature: Signature,
    result: ClusterResult,
    *,
    top: int = 5,
    k: int = 30,
) -> list[dict[str, Any]]:
    """Rank the known series a new document most likely belongs to.

    The new signature is standardised with the database, candidate members come
    from the same blocking + nearest-neighbour search as clustering, and each
    series is scored by its strongest link (``p_max``) with the mean of its three
    strongest (``p_top3``) and the number of members linked above the threshold.

    Returns:
        Up to ``top`` dicts ``{"series", "p_max", "p_top3", "linked_members",
        "size", "shared", "members"}``, best first; empty when nothing links.
    """
    sigs = list(result.table.sigs)
    if signature.doc_id in {s.doc_id for s in sigs}:
        signature = Signature.from_dict({**signature.to_dict(),
                                         "doc_id": signature.doc_id + " (query)"})
    table = build_table([*sigs, signature])
    q = len(sigs)
    member = np.full(len(table), -1, dtype=np.int64)
    for gi, s in enumerate(result.series):
        member[s.rows] = gi
    rows = np.r_[np.flatnonzero(member >= 0), q].astype(np.int64)
    pairs = candidate_pairs(table, rows, k=k)
    pairs = pairs[(pairs[:, 0] == q) | (pairs[:, 1] == q)]
    if not len(pairs):
        return []
    p = score_pairs(table, pairs, result.model)
    other = np.where(pairs[:, 0] == q, pairs[:, 1], pairs[:, 0])
    ranked: list[dict[str, Any]] = []
    for gi in np.unique(member[other]):
        if gi < 0:
            continue
        ps = np.sort(p[member[other] == gi])[::-1]
        s = result.series[int(gi)]
        ranked.append({"series": s.id, "p_max": round(float(ps[0]), 4),
                       "p_top3": round(float(ps[:3].mean()), 4),
                       "linked_members": int((ps >= result.model.threshold).sum()),
                       "size": int(s.rows.size), "shared": s.shared,
                       "members": [sigs[r].doc_id for r in s.rows[:10]]})
    ranked.sort(key=lambda d: (-float(d["p_max"]), -float(d["p_top3"])))
    return ranked[:top]

