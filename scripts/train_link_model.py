#!/usr/bin/env python3
"""Train the cluster link model (models/cluster_link.json).

Generated training workshops: training seeds 101-103 and tuning seeds 104-105 use
only TRAIN_MODI; the evaluation (scripts/eval_cluster.py) uses other seeds and adds
the held-out modi operandi.

    PYTHONPATH=. python scripts/train_link_model.py [--out models/cluster_link.json]

Signatures extracted from docfraud.synth images (scripts/cluster_synth_signatures.py),
alone or mixed with the generated ones (``--mix-generated``): the logistic model is
fitted on the pairs of the ``--signatures`` files (plus generated seeds 101-103),
the series thresholds are chosen on ``--tune-signatures`` (plus generated seeds
104-105), each tuning set counting equally. The shipped model:

    PYTHONPATH=. python scripts/train_link_model.py --mix-generated \
        --signatures T_screen.jsonl --tune-signatures T2_screen.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docfraud.cluster import (  # noqa: E402
    FEATURE_NAMES,
    LinkModel,
    build_table,
    candidate_pairs,
    cluster,
    pair_features,
)
from docfraud.cluster.metrics import labels_from_result, scores  # noqa: E402
from docfraud.cluster.synthetic import HELDOUT_MODI, TRAIN_MODI, generate  # noqa: E402

TRAIN_SEEDS = (101, 102, 103)
TUNE_SEEDS = (104, 105)
MIN_RISK = 0.5


def dataset(seed: int, traits: str = "all") -> list:  # type: ignore[type-arg]
    return generate(seed=seed, workshops=60, lone=400, genuine=4000, modi=TRAIN_MODI,
                    prefix=f"s{seed}_", traits=traits)


def forged_scores(sigs: list, res: object) -> dict[str, float]:  # type: ignore[type-arg]
    """Scores over forged documents plus the share of genuine ones put in a series."""
    pred = labels_from_result(res)
    truth = [s.info["truth"] for s in sigs]
    forged = [i for i, t in enumerate(truth) if "genuine:" not in t]
    genuine = [i for i, t in enumerate(truth) if "genuine:" in t]
    sc = scores([truth[i] for i in forged], [pred[i] for i in forged])
    sc["genuine_in_series"] = sum(not pred[i].startswith("_u") for i in genuine) / len(genuine)
    return sc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "models" / "cluster_link.json"))
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--signatures", type=Path, nargs="+",
                    help="train on these signature JSONL files (info.truth = source) "
                         "instead of generated workshops, e.g. from cluster_synth_signatures.py")
    ap.add_argument("--tune-signatures", type=Path, nargs="+",
                    help="choose the series thresholds on these files (default: the "
                         "--signatures files)")
    ap.add_argument("--mix-generated", action="store_true",
                    help="with --signatures: also train and tune on the generated seeds")
    ap.add_argument("--extracted-weight", type=float, default=0.0,
                    help="with --mix-generated: total weight of the extracted pairs relative "
                         "to the generated ones (default 0: each pair counts once)")
    ap.add_argument("--train-min-risk", type=float, default=MIN_RISK,
                    help="fit the link model on candidate pairs among documents with at least "
                         f"this risk (default {MIN_RISK})")
    ap.add_argument("--per-format", action="store_true",
                    help="standardise the screened signatures per MRZ format, as the screen "
                         "path did before it used the registered design (how the shipped "
                         "model was fitted; docs/benchmarks.md)")
    ap.add_argument("--traits", choices=("all", "synth"), default="all",
                    help="generated workshops: which carry which trait "
                         "(docfraud.cluster.synthetic; default all)")
    ap.add_argument("--min-risk", type=float, nargs="+", default=[MIN_RISK],
                    help=f"risk gates tried when tuning (default {MIN_RISK})")
    args = ap.parse_args()
    for p in [*(args.signatures or []), *(args.tune_signatures or [])]:
        if not p.is_file():
            ap.error(f"signature file {p} not found")
    if (args.mix_generated or args.tune_signatures) and not args.signatures:
        ap.error("--mix-generated and --tune-signatures need --signatures")
    from sklearn.linear_model import LogisticRegression

    t0 = time.time()
    from docfraud.signature import Signature

    def read(paths: list[Path]) -> list[list[Signature]]:
        sets = [[Signature.from_dict(json.loads(x)) for x in p.read_text().splitlines()
                 if x.strip()] for p in paths]
        if args.per_format:
            for sig in (s for one in sets for s in one):
                # what signature_from_screen wrote as the design before c01734a
                sig.design = sig.tokens.get("mrz_format") or "None"
        return sets

    train_sets: list[tuple[str, list[Signature], bool]] = []
    if args.signatures:
        train_sets += [(str(p), sigs, True)
                       for p, sigs in zip(args.signatures, read(args.signatures), strict=True)]
    if not args.signatures or args.mix_generated:
        train_sets += [(f"seed {seed}", dataset(seed, args.traits), False)
                       for seed in TRAIN_SEEDS]
    xs, ys, ws = [], [], []
    for name, sigs, extracted in train_sets:
        table = build_table(sigs)
        active = np.flatnonzero(table.risk >= args.train_min_risk)
        pairs = candidate_pairs(table, active)
        truth = np.array([s.info["truth"] for s in sigs])
        xs.append(pair_features(table, pairs))
        ys.append((truth[pairs[:, 0]] == truth[pairs[:, 1]]).astype(int))
        ws.append(np.full(len(pairs), -1.0 if extracted else 1.0))
        print(f"{name}: {len(sigs)} docs, {len(active)} active, {len(pairs)} candidate "
              f"pairs, {ys[-1].sum()} same-source", flush=True)
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    ext = w < 0
    w = np.ones(len(y))
    if args.extracted_weight > 0 and ext.any() and (~ext).any():
        w[ext] = args.extracted_weight * (~ext).sum() / ext.sum()
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=args.C, max_iter=5000)
    lr.fit((x - mean) / scale, y, sample_weight=w)
    base = LinkModel(features=FEATURE_NAMES, mean=mean, scale=scale, coef=lr.coef_[0].copy(),
                     intercept=float(lr.intercept_[0]), min_risk=args.train_min_risk)
    p = base.predict(x)
    # calibration check on the training pairs: mean predicted vs. observed per bin
    bins = np.clip((p * 10).astype(int), 0, 9)
    calib = [(b / 10, float(p[bins == b].mean()), float(y[bins == b].mean()),
              int((bins == b).sum())) for b in range(10) if (bins == b).any()]
    print("calibration (bin, mean p, observed, n):")
    for row in calib:
        print("  {:.1f}  {:.3f}  {:.3f}  {}".format(*row))

    tunes: list[list[Signature]] = []
    if args.signatures:
        tunes += read(args.tune_signatures or args.signatures)
    if not args.signatures or args.mix_generated:
        tunes += [dataset(seed, args.traits) for seed in TUNE_SEEDS]
    best = None
    grid = [(thr, dens, merge, att, gate)
            for gate in args.min_risk
            for thr in (0.5, 0.7, 0.8, 0.9, 0.95)
            for dens in (0.0, 0.3, 0.6)
            for merge in ((1.0,) if dens == 0.0 else (0.5, 1.0))
            for att in (0.95, 0.98, 0.995)]
    for thr, dens, merge, att, gate in grid:
        m = LinkModel(features=FEATURE_NAMES, mean=mean, scale=scale, coef=base.coef,
                      intercept=base.intercept, threshold=thr, min_risk=gate,
                      split_density=dens, merge_ratio=merge, attach_threshold=att)
        all_sc = [forged_scores(t, cluster(t, model=m)) for t in tunes]
        sc = {k: float(np.mean([x[k] for x in all_sc])) for k in all_sc[0]}
        ok = (min(x["pairwise_precision"] for x in all_sc) >= 0.97
              and max(x["genuine_in_series"] for x in all_sc) <= 0.01)
        # when no setting keeps that margin on every tuning set, one that meets the
        # targets (precision 0.95, genuine 2 %) on every set comes first
        ok_targets = (min(x["pairwise_precision"] for x in all_sc) >= 0.95
                      and max(x["genuine_in_series"] for x in all_sc) <= 0.02)
        # ties (to 3 decimals) go to splitting sparse components: single
        # linkage chains unrelated series through a few false links
        key = (ok, ok_targets, round(sc["bcubed_f1"], 3), dens > 0, -abs(merge - 0.5))
        print(f"  min_risk {gate:.2f} threshold {thr:.2f} split_density {dens:.2f} merge "
              f"{merge:.1f} attach {att:.3f}: min P "
              f"{min(x['pairwise_precision'] for x in all_sc):.3f} "
              f"P {sc['pairwise_precision']:.3f} "
              f"R {sc['pairwise_recall']:.3f} B3-F1 {sc['bcubed_f1']:.3f} "
              f"genuine {sc['genuine_in_series']:.4f}", flush=True)
        if best is None or key > best[0]:
            best = (key, m, sc)
    assert best is not None
    _, chosen, sc = best
    model = LinkModel(
        features=FEATURE_NAMES, mean=mean, scale=scale, coef=base.coef, intercept=base.intercept,
        threshold=chosen.threshold, min_risk=chosen.min_risk, split_density=chosen.split_density,
        merge_ratio=chosen.merge_ratio, attach_threshold=chosen.attach_threshold,
        info={"script": "scripts/train_link_model.py",
              **({"signatures": [p.name for p in args.signatures],
                  "tune_signatures": [p.name for p in args.tune_signatures or args.signatures]}
                 if args.signatures else {}),
              **({"train_seeds": list(TRAIN_SEEDS), "tune_seeds": list(TUNE_SEEDS),
                  "modi": ["+".join(m) for m in TRAIN_MODI],
                  "held_out_modi": ["+".join(m) for m in HELDOUT_MODI]}
                 if not args.signatures or args.mix_generated else {}),
              "traits": args.traits,
              "extracted_weight": args.extracted_weight, "per_format": args.per_format,
              "C": args.C, "train_min_risk": args.train_min_risk,
              "training_pairs": len(y), "positive_pairs": int(y.sum()),
              "tuning_scores": {k: round(v, 4) for k, v in sc.items()}})
    model.save(args.out)
    print(f"chose min_risk {model.min_risk} threshold {model.threshold} "
          f"split_density {model.split_density} merge_ratio "
          f"{model.merge_ratio} attach {model.attach_threshold}: "
          f"{json.dumps(model.info['tuning_scores'])}")
    print("coefficients:")
    for name, c in sorted(zip(FEATURE_NAMES, model.coef, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {name:28s} {c:+.3f}")
    print(f"wrote {args.out} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
