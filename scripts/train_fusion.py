#!/usr/bin/env python3
"""Fit the fusion model (models/fusion.json) on synthetic documents.

Training and calibration sets use their own seeds and leave out the held-out design and
forgery kind (scripts/detect_common.py); scripts/eval_detect.py evaluates on a third seed
with everything. By default the model is fitted on both seeds and calibrated (Platt
scaling, thresholds) on 5-fold out-of-fold logits; ``--split`` fits on the training seed
and calibrates on the calibration seed. Thresholds: 'refer' at 5 % and 'reject' at 1 %
false alarms on the genuine documents calibrated on.

Usage: python scripts/train_fusion.py [--genuine 150] [--forged 150] [--jobs 2]
       [--method logistic|trees] [--l2 3] [--extra-seeds 4404,5505]
       [--kind-weights data_alteration=3]
       [--focus data_alteration:31031,32032 --focus-genuine 40]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detect_common import (
    CALIBRATION_SEED,
    EVAL_SEEDS,
    HELD_OUT_DESIGN,
    HELD_OUT_OPERATOR,
    TRAIN_SEED,
    add_refresh_arguments,
    featurise_set,
    one_percent_threshold,
    parse_seeds,
    rate_at,
    refresh_arguments,
    row_features,
    split_rows,
    train_designs,
    train_operators,
)

from docfraud.score import (  # (importable: detect_common puts the root first)
    GHOST_PREFIXES,
    UNSURE_MRZ_PREFIXES,
)

ROOT = Path(__file__).resolve().parents[1]


def report_split(model: object, rows: list[dict[str, object]],
                 feats: list[dict[str, float]], title: str) -> None:
    """ROC AUC and detection at 1 % false alarms on a split (overall and per kind)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from docfraud.score import FusionModel

    assert isinstance(model, FusionModel)
    z = np.array([model.logit(f)[0] for f in feats])
    y = np.array([r["label"] for r in rows])
    t = one_percent_threshold(z[y == 0])
    print(f"{title}: AUC {roc_auc_score(y, z):.3f}, caught @1% FA {rate_at(t, z[y == 1]):.3f}")
    kinds: dict[str, list[float]] = {}
    for r, v in zip(rows, z, strict=True):
        if r["label"]:
            kinds.setdefault(forgery_kind(r) or "workshop", []).append(float(v))
    g = list(z[y == 0])
    for kind, v in sorted(kinds.items()):
        auc = roc_auc_score([0] * len(g) + [1] * len(v), g + v)
        print(f"  {kind:22s} n {len(v):3d}  AUC {auc:.3f}  caught @1% FA "
              f"{rate_at(t, v):.3f}")


def forgery_kind(row: dict[str, object]) -> str | None:
    """The forgery kind (operator) of a lone forged document; None for genuine documents
    (null edits included) and workshop series."""
    ops = row.get("operators")
    if row.get("kind") == "forged" and isinstance(ops, list) and ops:
        return str(ops[0])
    return None


def parse_kind_weights(text: str, kinds: list[str]) -> dict[str, float]:
    """``KIND=WEIGHT,...`` -> {kind: weight}; ValueError for a kind not in ``kinds``, a
    weight that is not a positive number or a malformed item."""
    out: dict[str, float] = {}
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        kind, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{item!r} is not KIND=WEIGHT")
        if kind not in kinds:
            raise ValueError(f"unknown forgery kind {kind!r} (trained kinds: {', '.join(kinds)})")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"weight {value!r} of {kind} is not a number") from None
        if not (math.isfinite(weight) and weight > 0):
            raise ValueError(f"weight of {kind} must be a positive number")
        out[kind] = weight
    return out


def parse_focus(text: str, kinds: list[str]) -> tuple[str, list[int]]:
    """``KIND:SEEDS`` (seeds as :func:`detect_common.parse_seeds` reads them, ranges
    allowed) -> (kind, sorted seeds); ``""`` -> ("", [])."""
    if not text.strip():
        return "", []
    kind, sep, seeds = text.partition(":")
    kind = kind.strip()
    if not sep or kind not in kinds:
        raise ValueError(f"expected KIND:SEED,SEED,... with KIND one of {', '.join(kinds)}; "
                         f"got {text!r}")
    return kind, sorted(parse_seeds(seeds))


def focus_kwargs(common: dict[str, object], kind: str, seed: int, *, genuine: int,
                 forged: int) -> dict[str, object]:
    """The synthetic-set options of a ``--focus`` set: the training sets' designs and
    capture, ``forged`` documents forged only by ``kind``, ``genuine`` genuine ones, no
    workshop series."""
    return {**common, "genuine": genuine, "forged": forged, "seed": seed,
            "operators": [kind], "workshops": 0}


def row_weight(row: dict[str, object], kind_weights: dict[str, float]) -> float:
    """The training weight of a document: its forgery kind's weight, else 1 (genuine
    documents, workshop series)."""
    kind = forgery_kind(row)
    return kind_weights.get(kind, 1.0) if kind else 1.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genuine", type=int, default=150)
    ap.add_argument("--forged", type=int, default=150)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "fusion")
    add_refresh_arguments(ap)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "fusion.json")
    ap.add_argument("--method", choices=("trees", "logistic"), default="trees",
                    help="boosted trees (default: the best ROC AUC and detection at 1 %% "
                         "false alarms in 5-fold cross-validation on the training and "
                         "calibration seeds) or logistic regression")
    ap.add_argument("--split", action="store_true",
                    help="fit on the training seed and calibrate on the calibration seed "
                         "(default: fit on both, calibrate on 5-fold out-of-fold logits)")
    ap.add_argument("--l2", type=float, default=3.0, help="L2 strength of the logistic model")
    ap.add_argument("--trees", type=json.loads, default=None, metavar="JSON",
                    help="options of the boosted trees over the defaults of "
                         "docfraud.score.fit, e.g. '{\"max_iter\": 500}'")
    ap.add_argument("--no-monotone", dest="monotone", action="store_false",
                    help="let the trees learn any direction for every feature (default: "
                         "each feature constrained to docfraud.score.feature_direction)")
    ap.add_argument("--extra-seeds", default="",
                    help="comma-separated further training seeds (same size and hold-outs; "
                         "never the evaluation seed), added to the fit")
    ap.add_argument("--augment-without",
                    default="reference.,fieldprint.,learned.data.;"
                            + ",".join(UNSURE_MRZ_PREFIXES) + ";" + ",".join(GHOST_PREFIXES),
                    help="groups of comma-separated feature prefixes, the groups separated "
                         "by ';': every training document also enters the fit once without "
                         "each group's features (default 'reference.' and 'fieldprint.' -- "
                         "designs outside the reference library -- with 'learned.data.' -- "
                         "the learned detector's portrait measures, absent where the layout "
                         "places no "
                         "card or portrait; and docfraud.score.UNSURE_MRZ_PREFIXES -- left "
                         "out where the MRZ reads unsurely or garbled, "
                         "docfraud.score.mrz_unsure; "
                         "and the ghost image's comparisons -- designs that print no ghost, "
                         "docfraud.score.GHOST_PREFIXES; "
                         "the first group's copy shares the document's weight equally, each "
                         "further group's copy weighs docfraud.score.AUGMENT_GROUP_WEIGHT; "
                         "'' for none)")
    ap.add_argument("--kind-weights", default="", metavar="KIND=WEIGHT,...",
                    help="training weight of the forged documents of a forgery kind (default "
                         "1 for every document), e.g. data_alteration=3: the kind the fit "
                         "would otherwise give up on for the many easy ones (recorded in the "
                         "model's meta)")
    ap.add_argument("--focus", default="", metavar="KIND:SEED,SEED,...",
                    help="further training sets of one forgery kind: per seed --forged "
                         "documents forged that way and --focus-genuine genuine ones, from the "
                         "same designs, capture simulation and hold-outs as the other sets "
                         "(more examples of a kind the fit finds hard, e.g. "
                         "data_alteration:31031,32032)")
    ap.add_argument("--focus-genuine", type=int, default=40,
                    help="genuine documents in each --focus set (default 40)")
    args = ap.parse_args()
    refresh, refresh_status = refresh_arguments(ap, args)
    try:
        focus_kind, focus_seeds = parse_focus(args.focus, train_operators())
    except ValueError as exc:
        ap.error(f"--focus: {exc}")
    if args.focus_genuine < 0:
        ap.error("--focus-genuine must be >= 0")
    try:
        extra = sorted(parse_seeds(args.extra_seeds)) if args.extra_seeds.strip() else []
    except ValueError as exc:
        ap.error(f"--extra-seeds: {exc}")
    # every seed checked before anything is featurised (an hour's work for a set)
    taken = {TRAIN_SEED, CALIBRATION_SEED, *EVAL_SEEDS}
    for seed in extra:
        if seed in taken:
            ap.error(f"seed {seed} is already a training, calibration or an evaluation seed")
    for seed in focus_seeds:
        if seed in taken | set(extra):
            ap.error(f"--focus seed {seed} is already a training, calibration, extra or "
                     "an evaluation seed")
    try:
        kind_weights = parse_kind_weights(args.kind_weights, train_operators())
    except ValueError as exc:
        ap.error(f"--kind-weights: {exc}")
    groups = [tuple(p for p in g.split(",") if p) for g in args.augment_without.split(";")]
    augment, more_groups = (groups[0], [g for g in groups[1:] if g]) if groups else ((), [])
    from docfraud.score import fit, fit_crossfitted

    common = {"designs": train_designs(), "operators": train_operators(), "workshops": 2,
              "per_workshop": 6}
    sets = {}
    for name, seed in (("train", TRAIN_SEED), ("calibration", CALIBRATION_SEED)):
        kwargs = {"genuine": args.genuine, "forged": args.forged, "seed": seed, **common}
        print(f"featurising {name} set (seed {seed})", file=sys.stderr)
        sets[name] = list(split_rows(featurise_set(
            kwargs, jobs=args.jobs, refresh=refresh, refresh_status=refresh_status,
            cache=args.cache / f"{name}-{seed}-{args.genuine}.jsonl")))
    for seed in extra:
        kwargs = {"genuine": args.genuine, "forged": args.forged, "seed": seed, **common}
        print(f"featurising extra training set (seed {seed})", file=sys.stderr)
        sets["train"] += list(split_rows(featurise_set(
            kwargs, jobs=args.jobs, refresh=refresh, refresh_status=refresh_status,
            cache=args.cache / f"train-{seed}-{args.genuine}.jsonl")))
    for seed in focus_seeds:
        kwargs = focus_kwargs(common, focus_kind, seed, genuine=args.focus_genuine,
                              forged=args.forged)
        print(f"featurising {focus_kind} training set (seed {seed})", file=sys.stderr)
        sets["train"] += list(split_rows(featurise_set(
            kwargs, jobs=args.jobs, refresh=refresh, refresh_status=refresh_status,
            cache=args.cache / f"focus-{focus_kind}-{seed}-{args.focus_genuine}-"
                               f"{args.forged}.jsonl")))
    train, cal = sets["train"], sets["calibration"]
    train_x, cal_x = [row_features(r) for r in train], [row_features(r) for r in cal]
    from threadpoolctl import threadpool_limits

    # one thread: OpenMP threads (boosted trees) crawl on a busy machine
    meta = {"train_seed": TRAIN_SEED, "calibration_seed": CALIBRATION_SEED,
            "extra_train_seeds": args.extra_seeds,
            "held_out_design": HELD_OUT_DESIGN, "held_out_operator": HELD_OUT_OPERATOR,
            "train_documents": len(train), "calibration_documents": len(cal)}
    if kind_weights:
        meta["kind_weights"] = kind_weights
    if focus_seeds:
        meta["focus"] = {"kind": focus_kind, "seeds": focus_seeds,
                         "genuine": args.focus_genuine, "forged": args.forged}
    with threadpool_limits(1):
        if args.split:
            model = fit(train_x, [r["label"] for r in train],
                        calibration_rows=cal_x, calibration_labels=[r["label"] for r in cal],
                        method=args.method, l2=args.l2, trees=args.trees,
                        monotone=args.monotone, augment_without=augment,
                        augment_groups=more_groups, meta=meta,
                        row_weights=[row_weight(r, kind_weights) for r in train])
        else:
            model = fit_crossfitted(train_x + cal_x, [r["label"] for r in train + cal],
                                    row_weights=[row_weight(r, kind_weights)
                                                 for r in train + cal],
                                    method=args.method, l2=args.l2, trees=args.trees,
                                    monotone=args.monotone, augment_without=augment,
                                    augment_groups=more_groups, meta=meta)
    model.save(args.out)
    print(f"wrote {args.out}: {args.method}, {len(model.feature_names)} features, thresholds "
          f"{ {k: round(v, 3) for k, v in model.thresholds.items()} }")
    if args.split:
        report_split(model, cal, cal_x, f"calibration split (seed {CALIBRATION_SEED})")
    else:
        print("(fitted on both seeds: no held-out split to report here; "
              "see scripts/eval_detect.py)")
    weight: dict[str, float] = {}
    for feats in cal_x:
        for name, c in model.logit(feats)[1]:
            weight[name] = weight.get(name, 0.0) + abs(c) / len(cal_x)
    print("features by mean |contribution| to the logit on the calibration documents:")
    for name, w in sorted(weight.items(), key=lambda t: -t[1])[:15]:
        print(f"  {name:36s} {w:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
