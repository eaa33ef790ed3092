"""Columnar view of many signatures, standardised per design."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from docfraud.signature import VECTOR_SPECS, Signature, number_scheme, number_value

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: tokens compared as habits (match weighted by rarity)
HABIT_TOKENS: tuple[str, ...] = ("mrz_empty_check", "mrz_failed", "mrz_format")

#: designs with fewer documents than this are standardised with the global statistics
MIN_DESIGN_DOCS = 20


def _codes(values: Sequence[str | None]) -> tuple[I64, dict[str, int], I64]:
    """Integer codes (-1 = missing), the vocabulary and the count of each code."""
    vocab: dict[str, int] = {}
    codes = np.full(len(values), -1, dtype=np.int64)
    for i, v in enumerate(values):
        if v:
            codes[i] = vocab.setdefault(v, len(vocab))
    counts = np.bincount(codes[codes >= 0], minlength=len(vocab)).astype(np.int64)
    return codes, vocab, counts


@dataclass
class Table:
    """Signatures as arrays.

    Attributes:
        sigs: the signatures, index = row.
        design: (N,) int64 design code.
        risk: (N,) float64 in [0, 1].
        raw: vector name -> (N, d) float64 raw values, NaN rows where missing.
        z: vector name -> (N, d) float64 robust z-scores vs. the document's design
            (median / 1.4826 MAD over all documents of the design), NaN where missing.
        ref_median: vector name -> (n_designs, d) float64 design medians (for explanations).
        evidence: (N, E) float64 detector evidence, 0 where a detector said nothing.
        detectors: the E detector names.
        phash: (N, 2) uint64 portrait (hash, mirror hash); ``has_phash`` (N,) bool;
            ``portrait_zone`` (N,) int64 code of the zone kind the hash was taken in
            (token ``portrait_zone``; -1 not recorded).
        number: (N,) float64 numeric part of the document number, NaN if none.
        number_density: (N,) float64 documents per unit of number in the number's decade
            (numbers with as many significant digits), NaN if none.
        scheme: (N,) int64 code of the number scheme (-1 none).
        authority: (N,) int64 code of the authority token (-1 none); ``authority_count`` per
            code, ``authority_count_low`` per code among documents with risk < 0.5 (the
            text genuine documents carry is common there).
        habits: token name -> ((N,) int64 codes, (K,) int64 counts).
        seen_day: (N,) float64 days since 1970-01-01, NaN if unknown.
    """

    sigs: list[Signature]
    design: I64
    design_names: list[str]
    risk: F64
    raw: dict[str, F64]
    z: dict[str, F64]
    ref_median: dict[str, F64]
    evidence: F64
    detectors: list[str]
    phash: npt.NDArray[np.uint64]
    has_phash: npt.NDArray[np.bool_]
    portrait_zone: I64
    number: F64
    number_density: F64
    scheme: I64
    scheme_names: list[str]
    authority: I64
    authority_names: list[str]
    authority_count: I64
    authority_count_low: I64
    habits: dict[str, tuple[I64, I64]]
    seen_day: F64

    def __len__(self) -> int:
        return len(self.sigs)


def build_table(sigs: Sequence[Signature]) -> Table:
    """Columnar, per-design standardised view of ``sigs`` (O(N))."""
    sigs = list(sigs)
    n = len(sigs)
    design, dvocab, dcounts = _codes([s.design or "?" for s in sigs])
    raw: dict[str, F64] = {}
    z: dict[str, F64] = {}
    ref_median: dict[str, F64] = {}
    for name, spec in VECTOR_SPECS.items():
        d = len(spec)
        arr = np.full((n, d), np.nan)
        for i, s in enumerate(sigs):
            v = s.vectors.get(name)
            if v is not None:
                arr[i] = v
        raw[name] = arr
        present = ~np.isnan(arr[:, 0])
        zz = np.full((n, d), np.nan)
        med_all = np.nanmedian(arr[present], axis=0) if present.any() else np.zeros(d)
        mad_all = (np.nanmedian(np.abs(arr[present] - med_all), axis=0) * 1.4826
                   if present.any() else np.ones(d))
        floor = np.maximum(0.05 * mad_all, 1e-6)
        meds = np.tile(med_all, (len(dvocab), 1))
        for code in range(len(dvocab)):
            rows = present & (design == code)
            if rows.sum() >= MIN_DESIGN_DOCS:
                med = np.median(arr[rows], axis=0)
                mad = np.median(np.abs(arr[rows] - med), axis=0) * 1.4826
            else:
                med, mad = med_all, mad_all
            meds[code] = med
            zz[rows] = (arr[rows] - med) / np.maximum(mad, floor)
        z[name] = np.clip(zz, -50.0, 50.0)
        ref_median[name] = meds
    detectors = sorted({k for s in sigs for k in s.evidence})
    didx = {k: j for j, k in enumerate(detectors)}
    evidence = np.zeros((n, len(detectors)))
    for i, s in enumerate(sigs):
        for key, val in s.evidence.items():
            evidence[i, didx[key]] = val
    phash = np.zeros((n, 2), dtype=np.uint64)
    has = np.zeros(n, dtype=bool)
    for i, s in enumerate(sigs):
        if s.portrait_hash is not None:
            phash[i] = s.portrait_hash
            has[i] = True
    numbers = np.full(n, np.nan)
    schemes: list[str | None] = []
    for i, s in enumerate(sigs):
        sch = s.tokens.get("number_scheme") or (number_scheme(s.number) if s.number else None)
        schemes.append(sch)
        if s.number:
            num = number_value(s.number)
            if num is not None:
                numbers[i] = float(num)
    scheme, svocab, _ = _codes(schemes)
    has_num = ~np.isnan(numbers)
    decade = np.full(n, -1, dtype=np.int64)
    decade[has_num] = np.floor(np.log10(np.maximum(numbers[has_num], 1.0))).astype(np.int64)
    density = np.full(n, np.nan)
    if has_num.any():
        counts = np.bincount(decade[has_num], minlength=int(decade.max()) + 1)
        widths = 9.0 * 10.0 ** np.arange(counts.size)
        density[has_num] = counts[decade[has_num]] / widths[decade[has_num]]
    authority, avocab, acount = _codes([s.tokens.get("authority") for s in sigs])
    habits: dict[str, tuple[I64, I64]] = {}
    for tok in HABIT_TOKENS:
        codes, _, counts = _codes([s.tokens.get(tok) for s in sigs])
        habits[tok] = (codes, counts)
    seen = np.full(n, np.nan)
    for i, s in enumerate(sigs):
        if s.seen:
            try:
                y, m, d = (int(x) for x in s.seen[:10].split("-"))
                seen[i] = float((np.datetime64(f"{y:04d}-{m:02d}-{d:02d}")
                                 - np.datetime64("1970-01-01")).astype(np.int64))
            except ValueError:
                pass
    del dcounts
    risk = np.array([s.risk for s in sigs], dtype=np.float64)
    return Table(
        sigs=sigs, design=design, design_names=list(dvocab), risk=risk,
        raw=raw, z=z, ref_median=ref_median, evidence=evidence, detectors=detectors,
        phash=phash, has_phash=has,
        portrait_zone=_codes([s.tokens.get("portrait_zone") for s in sigs])[0],
        number=numbers, number_density=density, scheme=scheme,
        scheme_names=list(svocab),
        authority=authority, authority_names=list(avocab), authority_count=acount,
        authority_count_low=np.bincount(
            authority[(authority >= 0) & (risk < 0.5)], minlength=len(avocab)).astype(np.int64),
        habits=habits, seen_day=seen)


def embedding(table: Table, rows: I64) -> F64:
    """Dense vectors for the nearest-neighbour index: signed log deviations.

    (len(rows), D) float64. ``sign(z) * log1p(|z|)`` keeps large deviations
    from swamping the rest; missing components are 0 (= typical of the design);
    detector evidence is appended with weight 2.
    """
    parts = []
    for name in VECTOR_SPECS:
        zz = table.z[name][rows]
        zz = np.where(np.isnan(zz), 0.0, zz)
        parts.append(np.sign(zz) * np.log1p(np.abs(zz)))
    parts.append(2.0 * table.evidence[rows])
    return np.hstack(parts) if parts else np.zeros((len(rows), 0))


def popcount64(x: npt.NDArray[np.uint64]) -> I64:
    """Bit counts of a uint64 array."""
    x = x.astype(np.uint64)
    out = np.zeros(x.shape, dtype=np.int64)
    for shift in range(0, 64, 8):
        out += _POP8[((x >> np.uint64(shift)) & np.uint64(0xFF)).astype(np.int64)]
    return out


_POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)

LOG2 = math.log(2.0)
