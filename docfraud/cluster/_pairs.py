"""Candidate pairs (blocking + nearest neighbours) and pairwise features."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from docfraud.cluster._table import F64, HABIT_TOKENS, I64, Table, embedding, popcount64
from docfraud.signature import VECTOR_SPECS

log = logging.getLogger(__name__)

#: portrait hash bands (16 bits each) used as blocking keys
_BANDS = 4
#: portrait pairs further apart than this (bits of 64) are not candidates from the hash
PORTRAIT_MAX_BITS = 12


def portrait_bits(table: Table, pairs: I64) -> I64:
    """Mirror-robust Hamming distance (0..64) of the portrait hashes of each pair."""
    hi, hj = table.phash[pairs[:, 0]], table.phash[pairs[:, 1]]
    return np.minimum(np.minimum(popcount64(hi[:, 0] ^ hj[:, 0]), popcount64(hi[:, 0] ^ hj[:, 1])),
                      popcount64(hi[:, 1] ^ hj[:, 0]))


def portrait_comparable(table: Table, pairs: I64) -> npt.NDArray[np.bool_]:
    """Whether both documents of each pair have a portrait hash taken in the same kind of
    zone (the design's own box or the MRZ format's nominal one; an unrecorded kind is
    compared with any): one photo cropped by the two differs by more than a reuse."""
    i, j = pairs[:, 0], pairs[:, 1]
    zi, zj = table.portrait_zone[i], table.portrait_zone[j]
    same = (zi < 0) | (zj < 0) | (zi == zj)
    return np.asarray(table.has_phash[i] & table.has_phash[j] & same, dtype=np.bool_)


def _bucket_pairs(keys: I64, rows: I64, *, order: F64 | None, cap: int, window: int) -> I64:
    """Pairs of rows sharing a key (keys < 0 ignored).

    A bucket of at most ``cap`` rows gives all its pairs; a larger one is sorted
    by ``order`` (or row) and each row is paired with the next ``window`` rows
    (sorted neighbourhood), so the work stays O(N * window).

    Returns:
        (P, 2) int64 row pairs, unordered.
    """
    ok = keys >= 0
    keys, rows = keys[ok], rows[ok]
    if keys.size < 2:
        return np.zeros((0, 2), dtype=np.int64)
    sec = order[ok] if order is not None else rows.astype(np.float64)
    idx = np.lexsort((sec, keys))
    keys, rows = keys[idx], rows[idx]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    sizes = ends - starts
    out: list[I64] = []
    small = np.flatnonzero((sizes >= 2) & (sizes <= cap))
    for b in small:
        members = rows[starts[b]:ends[b]]
        ii, jj = np.triu_indices(members.size, k=1)
        out.append(np.stack([members[ii], members[jj]], axis=1))
    # sorted neighbourhood over everything else at once: neighbours within the same key
    for off in range(1, window + 1):
        a = np.arange(keys.size - off)
        same = keys[a] == keys[a + off]
        big = np.isin(np.searchsorted(starts, a, side="right") - 1, np.flatnonzero(sizes > cap))
        sel = a[same & big]
        if sel.size:
            out.append(np.stack([rows[sel], rows[sel + off]], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)


def _unique_pairs(parts: list[I64], n: int) -> I64:
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    allp = np.concatenate(parts)
    allp = allp[allp[:, 0] != allp[:, 1]]
    lo = np.minimum(allp[:, 0], allp[:, 1])
    hi = np.maximum(allp[:, 0], allp[:, 1])
    code = np.unique(lo * np.int64(n) + hi)
    return np.stack([code // n, code % n], axis=1)


def blocking_pairs(table: Table, rows: I64, *, cap: int = 60, window: int = 6) -> I64:
    """Pairs among ``rows`` that share a blocking key.

    Keys: 16-bit bands of the portrait hash and of its mirror (LSH, verified by
    the full mirror-robust Hamming distance <= :data:`PORTRAIT_MAX_BITS`), the
    number scheme with numbers at most 5000 apart (sorted neighbourhood), and a
    rare authority text. Large buckets are handled by sorted neighbourhood, so
    the work is O(len(rows) * window).

    Returns:
        (P, 2) int64 unique pairs (i < j) of table rows.
    """
    rows = np.asarray(rows, dtype=np.int64)
    parts: list[I64] = []
    prow = rows[table.has_phash[rows]]
    if prow.size >= 2:
        ph = table.phash[prow]
        both = np.concatenate([prow, prow])
        found: list[I64] = []
        for band in range(_BANDS):
            shift = np.uint64(16 * band)
            # hash and mirror hash share one key space, so a mirrored reuse meets too
            mixed = np.concatenate([((ph[:, 0] >> shift) & np.uint64(0xFFFF)).astype(np.int64),
                                    ((ph[:, 1] >> shift) & np.uint64(0xFFFF)).astype(np.int64)])
            pairs = _bucket_pairs(mixed, both, order=None, cap=cap, window=window)
            found.append(pairs[pairs[:, 0] != pairs[:, 1]])
        pp = np.concatenate(found)
        if pp.size:
            # verify: random band collisions are far apart in full Hamming distance
            pp = pp[portrait_comparable(table, pp)]
            parts.append(pp[portrait_bits(table, pp) <= PORTRAIT_MAX_BITS])
    num = table.number[rows]
    sch = table.scheme[rows]
    ok = ~np.isnan(num) & (sch >= 0)
    if ok.sum() >= 2:
        # within a scheme, and across schemes (a workshop's serial counter on two designs)
        for keys in (sch[ok], np.zeros(int(ok.sum()), dtype=np.int64)):
            pairs = _bucket_pairs(keys, rows[ok], order=num[ok], cap=0, window=window)
            if pairs.size:
                close = np.abs(table.number[pairs[:, 0]] - table.number[pairs[:, 1]]) <= 5000
                parts.append(pairs[close])
    auth = table.authority[rows]
    if auth.size and table.authority_count.size:
        counts = table.authority_count[np.maximum(auth, 0)]
        rare = (auth >= 0) & (counts <= max(cap * 4, int(0.02 * len(table))))
        order = np.nan_to_num(table.seen_day[rows], nan=0.0)
        parts.append(_bucket_pairs(np.where(rare, auth, -1), rows, order=order, cap=cap,
                                   window=window))
    return _unique_pairs(parts, len(table))


#: nearest-neighbour index: exact below this many targets, else IVF with cells of ~this size
_IVF_CELL = 1000
#: IVF cells searched per query (recall of the true 10 neighbours ~0.999 on generated data)
_IVF_PROBE = 6


def knn_pairs(table: Table, queries: I64, targets: I64, *, k: int) -> I64:
    """Each query row paired with its ``k`` nearest target rows in :func:`embedding` space.

    faiss: exact search (IndexFlatL2) for up to 2000 targets, else an inverted
    file index (IndexIVFFlat, ~1000 targets per cell, 6 cells probed), so the
    time grows linearly with the number of documents.

    Returns:
        (P, 2) int64 unique pairs (i < j) of table rows.
    """
    import faiss

    queries = np.asarray(queries, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    if queries.size == 0 or targets.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    xt = np.ascontiguousarray(embedding(table, targets), dtype=np.float32)
    xq = np.ascontiguousarray(embedding(table, queries), dtype=np.float32)
    dim = xt.shape[1]
    kk = min(k + 1, targets.size)
    index: Any
    if targets.size <= 2 * _IVF_CELL:
        index = faiss.IndexFlatL2(dim)
    else:
        quantizer = faiss.IndexFlatL2(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, int(targets.size // _IVF_CELL))
        index.train(xt)
        index.nprobe = _IVF_PROBE
    index.add(xt)
    _, ind = index.search(xq, kk)
    a = np.repeat(queries, kk)
    flat = ind.reshape(-1)
    ok = flat >= 0
    b = targets[np.where(ok, flat, 0)]
    return _unique_pairs([np.stack([a[ok], b[ok]], axis=1)], len(table))


def candidate_pairs(table: Table, rows: I64, *, k: int = 10, cap: int = 60,
                    window: int = 6) -> I64:
    """Candidate pairs among ``rows`` (never all pairs): k nearest neighbours + blocking.

    Returns:
        (P, 2) int64 unique pairs (i < j) of table rows.
    """
    rows = np.asarray(rows, dtype=np.int64)
    return _unique_pairs([knn_pairs(table, rows, rows, k=k),
                          blocking_pairs(table, rows, cap=cap, window=window)], len(table))


def cross_pairs(table: Table, queries: I64, targets: I64, *, k: int = 10, cap: int = 60,
                window: int = 6) -> I64:
    """Candidate pairs between ``queries`` and ``targets`` (disjoint row sets).

    Returns:
        (P, 2) int64 pairs with the query row first.
    """
    queries = np.asarray(queries, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    pairs = _unique_pairs([knn_pairs(table, queries, targets, k=k),
                           blocking_pairs(table, np.r_[queries, targets], cap=cap,
                                          window=window)], len(table))
    is_q = np.zeros(len(table), dtype=bool)
    is_q[queries] = True
    is_t = np.zeros(len(table), dtype=bool)
    is_t[targets] = True
    a, b = pairs[:, 0], pairs[:, 1]
    fwd = is_q[a] & is_t[b]
    rev = is_t[a] & is_q[b]
    return np.concatenate([pairs[fwd], pairs[rev][:, ::-1]])


def _component_features(z1: F64, z2: F64) -> tuple[F64, F64, F64, F64]:
    """(present, agreement on atypical values, disagreement, atypicality) per pair."""
    present = ~(np.isnan(z1[:, 0]) | np.isnan(z2[:, 0]))
    a = np.where(present[:, None], z1, 0.0)
    b = np.where(present[:, None], z2, 0.0)
    d = np.abs(a - b)
    m = np.minimum(np.abs(a), np.abs(b))
    same_side = np.sign(a) == np.sign(b)
    agree = (np.exp(-0.5 * (d / 2.0) ** 2) * (1.0 - np.exp(-0.5 * (m / 3.0) ** 2))
             * same_side).mean(axis=1)
    dis = np.log1p(d).mean(axis=1)
    aty = np.log1p(m).mean(axis=1)
    f = present.astype(np.float64)
    return f, agree * f, dis * f, aty * f


FEATURE_NAMES: tuple[str, ...] = (
    *(f"{c}_{k}" for c in VECTOR_SPECS for k in ("present", "agree", "dis", "atyp")),
    "portrait_present", "portrait_same", "portrait_close",
    "number_present", "number_same_scheme", "number_logdiff", "number_near", "number_surprise",
    "authority_match_rarity", "authority_mismatch",
    *(f"habit_{t}" for t in HABIT_TOKENS),
    "same_design", "evidence_cos", "evidence_l1",
)
# The date a document was seen is not a pair feature: documents screened in one batch
# share it whatever their source, so closeness in time would link them all.


def pair_features(table: Table, pairs: I64) -> F64:
    """Features of each pair, columns named by :data:`FEATURE_NAMES`.

    Args:
        table: the signatures.
        pairs: (P, 2) int64 rows.

    Returns:
        (P, F) float64.
    """
    i, j = pairs[:, 0], pairs[:, 1]
    n = len(table)
    cols: list[F64] = []
    for name in VECTOR_SPECS:
        cols.extend(_component_features(table.z[name][i], table.z[name][j]))
    hp = portrait_comparable(table, pairs)
    dist = portrait_bits(table, pairs).astype(np.float64)
    cols += [hp.astype(np.float64), np.where(hp, np.exp(-dist / 4.0), 0.0),
             np.where(hp, (dist <= 10).astype(np.float64), 0.0)]
    ni, nj = table.number[i], table.number[j]
    np_ok = ~np.isnan(ni) & ~np.isnan(nj)
    diff = np.abs(np.where(np_ok, ni - nj, 0.0))
    # expected count of unrelated numbers between the two: closeness means little where
    # numbers are dense
    dens = np.maximum(table.number_density[i], table.number_density[j])
    cols += [np_ok.astype(np.float64),
             (np_ok & (table.scheme[i] == table.scheme[j]) & (table.scheme[i] >= 0)).astype(
                 np.float64),
             np.where(np_ok, np.log10(1.0 + diff), 0.0),
             np.where(np_ok, np.exp(-diff / 300.0), 0.0),
             np.where(np_ok, np.log1p(diff * np.nan_to_num(dens)), 0.0)]
    ai, aj = table.authority[i], table.authority[j]
    a_ok = (ai >= 0) & (aj >= 0)
    cnt = (table.authority_count[np.maximum(ai, 0)].astype(np.float64)
           if table.authority_count.size else np.ones(len(i)))
    cols += [np.where(a_ok & (ai == aj), np.log(n / np.maximum(cnt, 1.0)), 0.0),
             (a_ok & (ai != aj)).astype(np.float64)]
    for tok in HABIT_TOKENS:
        codes, counts = table.habits[tok]
        ci, cj = codes[i], codes[j]
        ok = (ci >= 0) & (ci == cj)
        c = counts[np.maximum(ci, 0)].astype(np.float64) if counts.size else np.ones(len(i))
        cols.append(np.where(ok, np.log(n / np.maximum(c, 1.0)), 0.0))
    cols.append((table.design[i] == table.design[j]).astype(np.float64))
    ei, ej = table.evidence[i], table.evidence[j]
    if ei.shape[1]:
        cos = (ei * ej).sum(1) / (np.linalg.norm(ei, axis=1) * np.linalg.norm(ej, axis=1) + 1e-9)
        l1 = np.abs(ei - ej).mean(1)
    else:
        cos = l1 = np.zeros(len(i))
    cols += [cos, l1]
    out = np.stack(cols, axis=1)
    assert out.shape[1] == len(FEATURE_NAMES)
    return out
