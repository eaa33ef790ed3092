#!/usr/bin/env python3
"""How far could series mapping get on screened images with what screening measures?

Two ceilings for the screened docfraud.synth sets of ``scripts/cluster_synth_signatures.py
DIR OUT --screen CACHE`` (signatures with ``info.truth`` = ``SET:W03`` for a workshop,
``SET:lone:N`` / ``SET:genuine:N`` otherwise, and the cached screen records):

* **Oracle bounds** (per test set): B-cubed F1 of the forged documents when the series the
  link model finds are joined by every pair of one workshop whose two documents both pass
  the risk gate, for the workshops of one family of modi at a time (photo substitution;
  re-printed visual-zone text: data alteration, naive alteration, erase and rewrite; the
  rest) and for all. What the families would add if their members were linked.
* **Learned pair ceiling**: a gradient-boosted classifier of "same workshop" over pairs of
  documents past the gate, fitted on the training sets and scored on the test sets, with
  (a) the link model's pair features (:data:`docfraud.cluster.FEATURE_NAMES`) and its link
  probability, and (b) the same plus, for every numeric measurement the detectors record
  (each detector's ``data``, its score) and every signature vector entry, the absolute
  difference of the two documents' values and the smaller magnitude, each standardised
  per design by median / MAD. Printed: pair ROC AUC and the share of same-workshop pairs
  found at pairwise precision 0.95 / 0.90 / 0.80, next to the shipped link model's.

All pairs of documents past the gate are scored (not only candidate pairs): a diagnostic
for sets of a few hundred documents, not a clustering method.

    PYTHONPATH=. python scripts/series_ceiling.py --train T_screen.jsonl:CACHE_T \\
        T2_screen.jsonl:CACHE_T2 --test E3_screen.jsonl:CACHE_E3 E4_screen.jsonl:CACHE_E4

``--generated`` asks the same of the generated signatures ``scripts/eval_cluster.py`` is
judged on (its six held-out sets, ``traits="synth"``): the oracle bounds; the **trace
bounds** -- B-cubed F1 if every workshop were linked perfectly except those whose documents
carry nothing of their own workshop in the generated signature (copy-move and
erase-and-rewrite: only the evidence level of their modus and a small shift), and, second,
also except the alteration workshops whose numbering shows on at most 17 % of their
documents and whose MRZ habit is the issuer's own; the boosted pair classifier over the link
features, fitted on fresh generated sets of the training modi only (seeds ``--train-seeds``,
default 7101-7104: 4-5 million pairs); and that classifier put in the link model's place
inside :func:`docfraud.cluster.cluster` (same candidate pairs, gate and series forming; a
document under the gate joins a series only through links at or above the higher of the
link threshold and the model's attach threshold) at several link thresholds: pairwise
precision and B-cubed F1 on a tuning set of the training modi (``--tune-seed``, default
7201) and on each held-out set.

    PYTHONPATH=. python scripts/series_ceiling.py --generated
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from docfraud.cluster import LinkModel, build_table, cluster, pair_features  # noqa: E402
from docfraud.cluster.metrics import labels_from_result, scores  # noqa: E402
from docfraud.cluster.synthetic import TRAIN_MODI, generate  # noqa: E402
from docfraud.signature import Signature  # noqa: E402

REPRINT = ("data_alteration", "naive_alteration", "erase_and_rewrite")
FAMILIES = {
    "photo substitution": lambda m: "photo_substitution" in m,
    "re-printed text": lambda m: any(op in m for op in REPRINT),
    "other modi": lambda m: "photo_substitution" not in m and not any(op in m for op in REPRINT),
    "all": lambda m: True,
}
PRECISIONS = (0.95, 0.90, 0.80)


def _flat(value: Any, prefix: str, out: dict[str, float]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(v, f"{prefix}{k}.", out)
    elif isinstance(value, (bool, int, float)):
        out[prefix[:-1]] = float(value)


def load_set(spec: str) -> tuple[str, list[Signature], list[dict[str, float]]]:
    """``SIGNATURES.jsonl:CACHE`` -> (name, signatures, numeric measurements per document)."""
    sig_path, _, cache = spec.partition(":")
    if not cache:
        raise SystemExit(f"{spec!r}: give SIGNATURES.jsonl:CACHE_DIR")
    sigs = [Signature.from_dict(json.loads(x)) for x in Path(sig_path).read_text().splitlines()
            if x.strip()]
    measures = []
    for s in sigs:
        rec = json.loads((Path(cache) / f"{Path(s.doc_id).stem}.json").read_text())
        m: dict[str, float] = {}
        for d in rec.get("detectors") or []:
            _flat(d.get("data") or {}, f"{d['detector']}.", m)
            if d.get("score") is not None:
                m[f"{d['detector']}.score"] = float(d["score"])
        for name, vec in s.vectors.items():
            for k, x in enumerate(vec):
                m[f"vector.{name}.{k}"] = float(x)
        measures.append(m)
    return Path(sig_path).stem, sigs, measures


def oracle_bounds(sigs: list[Signature], model: LinkModel) -> dict[str, float]:
    """B-cubed F1 (forged documents) of the model's series joined by every same-workshop
    pair past the gate, per family of modi."""
    base = labels_from_result(cluster(sigs, model=model))
    truth = [s.info["truth"] for s in sigs]
    forged = [i for i, t in enumerate(truth) if "genuine:" not in t]
    out = {"none": scores([truth[i] for i in forged], [base[i] for i in forged])["bcubed_f1"]}
    for name, member in FAMILIES.items():
        groups: dict[str, list[int]] = defaultdict(list)
        for i, lab in enumerate(base):
            groups[f"s:{lab}"].append(i)
        for i in forged:
            if ("lone:" not in truth[i] and sigs[i].risk >= model.min_risk
                    and member(str(sigs[i].info.get("modus", "")))):
                groups[f"w:{truth[i]}"].append(i)
        # each group chained to its first member; the joined series are the components
        edges = np.array([(rows[0], r) for rows in groups.values() for r in rows[1:]],
                         dtype=np.int64).reshape(-1, 2)
        graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])),
                           shape=(len(sigs), len(sigs)))
        _, comp = connected_components(graph, directed=False)
        out[name] = scores([truth[i] for i in forged],
                           [str(comp[i]) for i in forged])["bcubed_f1"]
    return out


def pair_data(sigs: list[Signature], measures: list[dict[str, float]], keys: list[str],
              model: LinkModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(link features + link p, measurement features, link p, same-workshop) per pair of
    documents past the gate."""
    act = np.flatnonzero([s.risk >= model.min_risk for s in sigs])
    sub = [sigs[i] for i in act]
    ii, jj = np.triu_indices(len(sub), 1)
    # the table of every document, as cluster() builds it (each design standardised over
    # all its documents, not only those past the gate)
    pf = pair_features(build_table(sigs), np.stack([act[ii], act[jj]], axis=1).astype(np.int64))
    link_p = model.predict(pf)
    raw = np.array([[measures[i].get(k, np.nan) for k in keys] for i in act], dtype=np.float64)
    design = np.array([s.design for s in sub])
    z = np.full_like(raw, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        for d in set(design):
            rows = design == d
            med = np.nanmedian(raw[rows], axis=0)
            mad = np.nanmedian(np.abs(raw[rows] - med), axis=0) * 1.4826
            z[rows] = (raw[rows] - med) / np.where(mad > 1e-9, mad, 1e-9)
    z = np.clip(z, -50, 50)
    meas = np.concatenate([np.abs(z[ii] - z[jj]), np.minimum(np.abs(z[ii]), np.abs(z[jj]))],
                          axis=1)
    truth = [s.info["truth"] for s in sub]
    same = np.array([truth[a] == truth[b] and "genuine:" not in truth[a]
                     and "lone:" not in truth[a] for a, b in zip(ii, jj, strict=True)])
    return np.concatenate([pf, link_p[:, None]], axis=1), meas, link_p, same


def recall_at(p: np.ndarray, y: np.ndarray, precision: float) -> float:
    """Largest share of positives found by a threshold on ``p`` whose precision is at
    least ``precision``."""
    order = np.argsort(-p, kind="stable")
    tp = np.cumsum(y[order])
    prec = tp / np.arange(1, len(y) + 1)
    ok = prec >= precision
    return float(tp[ok].max() / max(y.sum(), 1)) if ok.any() else 0.0


def pair_row(name: str, label: str, p: np.ndarray, same: np.ndarray) -> dict[str, Any]:
    """One row of the pair table: ``label``'s scores ``p`` of the pairs of set ``name``."""
    from sklearn.metrics import roc_auc_score

    return {"set": name, "pairs": len(same), "same": int(same.sum()), "scorer": label,
            "auc": float(roc_auc_score(same, p)) if 0 < same.sum() < len(same) else None,
            **{f"r@p{q:.2f}": recall_at(p, same, q) for q in PRECISIONS}}


def print_oracle_table(bounds: dict[str, dict[str, float]]) -> None:
    """Markdown table of :func:`oracle_bounds` per set name."""
    print("| set | shipped | + photo substitution | + re-printed text | + other modi | + all |")
    print("|---|---|---|---|---|---|")
    for name, b in bounds.items():
        print(f"| {name} | {b['none']:.3f} | {b['photo substitution']:.3f} | "
              f"{b['re-printed text']:.3f} | {b['other modi']:.3f} | {b['all']:.3f} |")


def print_pair_table(rows: list[dict[str, Any]]) -> None:
    """Markdown table of :func:`pair_row` rows."""
    head = " | ".join(f"R@P{p:.2f}" for p in PRECISIONS)
    print(f"\n| set | pairs | same | scorer | AUC | {head} |")
    print("|---|---|---|---|---|" + "---|" * len(PRECISIONS))
    for r in rows:
        rec = " | ".join(f"{r[f'r@p{q:.2f}']:.3f}" for q in PRECISIONS)
        auc = "-" if r["auc"] is None else f"{r['auc']:.3f}"
        print(f"| {r['set']} | {r['pairs']} | {r['same']} | {r['scorer']} | {auc} | {rec} |")


@dataclass(frozen=True)
class BoostedLink(LinkModel):
    """The link model with its logistic score replaced by a fitted classifier's probability
    (anything with ``predict_proba`` over :data:`docfraud.cluster.FEATURE_NAMES`); gate,
    threshold and series forming as the link model's. A diagnostic, not shipped."""

    scorer: Any = None

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.scorer.predict_proba(x)[:, 1], dtype=np.float64)


def boosted_link(model: LinkModel, scorer: Any, threshold: float) -> BoostedLink:
    """``model``'s settings with ``scorer`` as its link score and ``threshold`` as its
    link threshold; a document under the gate is attached to a series through links at
    or above the higher of the two thresholds (the scorer never saw such pairs)."""
    base = BoostedLink(**{f.name: getattr(model, f.name) for f in fields(model)},
                       scorer=scorer)
    return replace(base, threshold=threshold,
                   attach_threshold=max(model.attach_threshold, threshold))


#: alteration modi whose workshops carry, at most, their numbering and MRZ habit
_ALTERATIONS = frozenset({"data_alteration", "mrz_only_alteration", "naive_alteration"})
#: modi whose workshops carry nothing of their own in a generated signature
_TRACELESS = frozenset({"copy_move", "erase_and_rewrite"})


def trace_bounds(sigs: list[Signature]) -> dict[str, float]:
    """B-cubed F1 (forged documents) of the true series with some workshops' documents left
    alone: ``"no trace"`` those of copy-move and erase-and-rewrite workshops; ``"+ weak"``
    also those of alteration workshops whose numbering shows on <= 17 % of their documents
    and whose MRZ empty-check habit is the issuer's ``"<"`` (``traits="synth"`` sets)."""
    truth = [s.info["truth"] for s in sigs]
    forged = [i for i, t in enumerate(truth) if "genuine:" not in t]

    def kind(i: int) -> str:
        modus = set(str(sigs[i].info["modus"]).split("+"))
        if modus <= _TRACELESS:
            return "none"
        if (modus <= _ALTERATIONS and "lone:" not in truth[i]
                and float(sigs[i].info.get("number_share", 1.0)) <= 0.17
                and sigs[i].tokens.get("mrz_empty_check") == "<"):
            return "weak"
        return ""

    kinds = {i: kind(i) for i in forged}
    gold = [truth[i] for i in forged]
    return {
        "no trace": scores(gold, [f"alone:{i}" if kinds[i] == "none" else truth[i]
                                  for i in forged])["bcubed_f1"],
        "+ weak": scores(gold, [f"alone:{i}" if kinds[i] else truth[i]
                                for i in forged])["bcubed_f1"],
        "workshop documents": float(sum("lone:" not in truth[i] for i in forged)),
        "no-trace documents": float(sum(kinds[i] == "none" and "lone:" not in truth[i]
                                        for i in forged)),
        "weak documents": float(sum(kinds[i] == "weak" for i in forged)),
    }


def generated_ceiling(model: LinkModel, train: list[list[Signature]],
                      tune: list[Signature], test: list[tuple[str, list[Signature]]],
                      thresholds: tuple[float, ...]) -> dict[str, Any]:
    """Oracle and trace bounds, pair ceiling and the boosted scorer in ``cluster()``, on
    generated sets (``train``: sets of the training modi, the only ones fitted on; ``tune``:
    a set of the training modi to pick a threshold on; ``test``: named held-out sets).
    Returns ``{"oracle": {set: bounds}, "trace": {set: bounds}, "pairs": [rows],
    "clusters": [rows] (set "tune" first), "scorer": fitted, "training_pairs",
    "training_same"}``."""
    from eval_cluster import evaluate
    from sklearn.ensemble import HistGradientBoostingClassifier

    out: dict[str, Any] = {"oracle": {name: oracle_bounds(sigs, model) for name, sigs in test},
                           "trace": {name: trace_bounds(sigs) for name, sigs in test},
                           "pairs": [], "clusters": []}
    parts = [pair_data(sigs, [{} for _ in sigs], [], model) for sigs in train]
    x = np.concatenate([p[0][:, :-1] for p in parts])  # the link features, not the link p
    y = np.concatenate([p[3] for p in parts])
    out["training_pairs"], out["training_same"] = len(y), int(y.sum())
    gb = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=31,
                                        early_stopping=False, random_state=0).fit(x, y)
    out["scorer"] = gb
    for name, sigs in test:
        link_x, _, link_p, same = pair_data(sigs, [{} for _ in sigs], [], model)
        for label, p in (("shipped link model", link_p),
                         ("boosted, link features", gb.predict_proba(link_x[:, :-1])[:, 1])):
            out["pairs"].append(pair_row(name, label, p, same))
    for label, m in (("shipped link model", model),
                     *((f"boosted, link >= {t:g}", boosted_link(model, gb, t))
                       for t in thresholds)):
        for name, sigs in [("tune", tune), *test]:
            sc = evaluate(name, sigs, m)  # as scripts/eval_cluster.py scores the shipped model
            out["clusters"].append({"scorer": label, "set": name,
                                    "bcubed_f1": sc["bcubed_f1"],
                                    "pairwise_precision": sc["pairwise_precision"]})
    return out


def main_generated(model: LinkModel, train_seeds: list[int], tune_seed: int,
                   thresholds: tuple[float, ...]) -> int:
    from eval_cluster import generated_sets

    def training_set(seed: int, prefix: str) -> list[Signature]:
        return generate(seed=seed, workshops=50, lone=400, genuine=4000, modi=TRAIN_MODI,
                        prefix=prefix, traits="synth")

    train = [training_set(s, f"t{s}_") for s in train_seeds]
    tune = training_set(tune_seed, f"u{tune_seed}_")
    test = list(generated_sets())
    res = generated_ceiling(model, train, tune, test, thresholds)
    print_oracle_table(res["oracle"])
    print("\n| set | workshop documents | no trace | weak | every other workshop linked "
          "| and the weak left alone too |")
    print("|---|---|---|---|---|---|")
    for name, b in res["trace"].items():
        print(f"| {name} | {b['workshop documents']:.0f} | {b['no-trace documents']:.0f} | "
              f"{b['weak documents']:.0f} | {b['no trace']:.3f} | {b['+ weak']:.3f} |")
    print(f"\ntraining pairs {res['training_pairs']}, same workshop {res['training_same']} "
          f"(seeds {train_seeds}, training modi)")
    print_pair_table(res["pairs"])
    names = ["tune", *(name for name, _ in test)]
    print("\nB-cubed F1 (pairwise precision) of the forged documents, series by cluster(); "
          "mean and lowest over the held-out sets:")
    print("\n| scorer | " + " | ".join(names) + " | mean F1 | lowest P |")
    print("|---|" + "---|" * (len(names) + 2))
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in res["clusters"]:
        by[r["scorer"]].append(r)
    for label, rows in by.items():
        cells = " | ".join(f"{r['bcubed_f1']:.3f} ({r['pairwise_precision']:.3f})" for r in rows)
        held = [r for r in rows if r["set"] != "tune"]
        print(f"| {label} | {cells} | {np.mean([r['bcubed_f1'] for r in held]):.3f} | "
              f"{min(r['pairwise_precision'] for r in held):.3f} |")
    return 0


def main() -> int:
    from sklearn.ensemble import HistGradientBoostingClassifier

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", nargs="+", metavar="SIGS:CACHE")
    ap.add_argument("--test", nargs="+", metavar="SIGS:CACHE")
    ap.add_argument("--generated", action="store_true",
                    help="the generated held-out sets of scripts/eval_cluster.py instead")
    ap.add_argument("--train-seeds", type=int, nargs="+", default=[7101, 7102, 7103, 7104],
                    help="--generated: seeds of the generated training sets")
    ap.add_argument("--tune-seed", type=int, default=7201,
                    help="--generated: seed of the generated tuning set")
    ap.add_argument("--thresholds", type=float, nargs="+",
                    default=[0.9, 0.95, 0.97, 0.98, 0.99],
                    help="--generated: link thresholds of the boosted scorer")
    ap.add_argument("--model", default=None, help="link model JSON (default models/)")
    args = ap.parse_args()
    model = LinkModel.load(args.model)
    if args.generated and (args.train or args.test):
        ap.error("--generated makes its own sets: give it without --train/--test")
    if args.generated:
        return main_generated(model, args.train_seeds, args.tune_seed, tuple(args.thresholds))
    if not args.train or not args.test:
        ap.error("give --train and --test (screened sets), or --generated")
    train = [load_set(s) for s in args.train]
    test = [load_set(s) for s in args.test]
    seen: dict[str, int] = defaultdict(int)
    for _, _, ms in train:
        for m in ms:
            for k in m:
                seen[k] += 1
    n_train = sum(len(ms) for _, _, ms in train)
    # measurements most training documents have (timings say nothing of a workshop)
    keys = sorted(k for k, c in seen.items() if c >= 0.25 * n_train and ".timing" not in k)
    print(f"{len(keys)} measurements per document")

    print()
    print_oracle_table({name: oracle_bounds(sigs, model) for name, sigs, _ in test})

    parts = [pair_data(s, m, keys, model) for _, s, m in train]
    xa = np.concatenate([p[0] for p in parts])
    xb = np.concatenate([np.concatenate([p[0], p[1]], axis=1) for p in parts])
    y = np.concatenate([p[3] for p in parts])
    print(f"\ntraining pairs {len(y)}, same workshop {int(y.sum())}")

    def fit(x: np.ndarray) -> Any:
        return HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.05, max_leaf_nodes=15, class_weight="balanced",
            early_stopping=False, random_state=0).fit(x, y)

    gb_a, gb_b = fit(xa), fit(xb)
    rows = []
    for name, sigs, ms in test:
        link_x, meas, link_p, same = pair_data(sigs, ms, keys, model)
        for label, p in (("shipped link model", link_p),
                         ("boosted, link features", gb_a.predict_proba(link_x)[:, 1]),
                         ("boosted, + every measurement",
                          gb_b.predict_proba(np.concatenate([link_x, meas], axis=1))[:, 1])):
            rows.append(pair_row(name, label, p, same))
    print_pair_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
