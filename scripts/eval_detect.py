#!/usr/bin/env python3
"""Evaluate screening on a held-out synthetic set and on the real specimen images.

The evaluation set has its own seed and includes the design and the forgery kind held out
of fusion training (scripts/detect_common.py). Prints ROC AUC, the detection rate at 1 %
false alarms overall and per forgery kind, the rates on the held-out design, the verdict
rates at the model's own thresholds, and the share of the real specimens in
../shared/benchmarks/mrz-specimens/ given "reject".

With ``--seeds 3307-3318`` (or a comma-separated list) several such sets are pooled and
judged as one, with one 1 % false-alarm threshold over all their genuine documents: a single
set's 30 forgeries of a kind, and the one or two genuine documents that set its threshold,
move its figures by 10 points and more.

Usage: python scripts/eval_detect.py [--genuine 200] [--forged 200] [--jobs 2] [--seed 3303]
       [--seeds 3307-3318] [--cache DIR] [--refresh DETECTORS] [--model FILE]
       [--specimen-cache FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detect_common import (
    EVAL_SEED,
    HELD_OUT_DESIGN,
    HELD_OUT_OPERATOR,
    TUNING_SEEDS,
    add_refresh_arguments,
    detector_names,
    featurise_set,
    one_percent_threshold,
    parse_seeds,
    rate_at,
    refresh_arguments,
    row_features,
    split_rows,
)

ROOT = Path(__file__).resolve().parents[1]
SPECIMENS = ROOT.parent / "shared" / "benchmarks" / "mrz-specimens"


def code_fingerprint() -> str:
    """SHA-256 over the package's Python sources and the detector models (``models/``
    without the fusion model, which is what the specimen cache lets one swap)."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "docfraud").rglob("*.py")) + sorted(
        p for p in (ROOT / "models").iterdir() if p.is_file() and p.name != "fusion.json")
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def bootstrap_intervals(genuine: list[float], forged: list[float], *, rounds: int = 1000,
                        seed: int = 0) -> tuple[tuple[float, float], tuple[float, float]]:
    """95 % percentile-bootstrap intervals of the ROC AUC and of the share caught at the
    1 % false-alarm threshold (genuine and forged documents resampled separately, the
    threshold set again on each resample's genuine documents): how much the figures of
    one held-out set of this size move by chance alone."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    g, f = np.asarray(genuine), np.asarray(forged)
    aucs, caught = [], []
    for _ in range(rounds):
        gs, fs = rng.choice(g, g.size), rng.choice(f, f.size)
        aucs.append(roc_auc_score([0] * g.size + [1] * f.size, np.concatenate([gs, fs])))
        caught.append(rate_at(one_percent_threshold(gs), fs))
    a_lo, a_hi = np.percentile(aucs, [2.5, 97.5])
    c_lo, c_hi = np.percentile(caught, [2.5, 97.5])
    return (float(a_lo), float(a_hi)), (float(c_lo), float(c_hi))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genuine", type=int, default=200)
    ap.add_argument("--forged", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "eval")
    add_refresh_arguments(ap)
    ap.add_argument("--seed", type=int, default=EVAL_SEED,
                    help=f"dataset seed of the held-out set (default {EVAL_SEED}; never a "
                         "training or calibration seed)")
    ap.add_argument("--seeds", default="",
                    help="several held-out sets pooled instead of --seed: comma-separated "
                         "seeds or ranges, e.g. 3307-3318 or 3319-3327,3329")
    ap.add_argument("--specimens", type=Path, default=SPECIMENS)
    ap.add_argument("--model", type=Path, default=None,
                    help="fusion model to evaluate (default: the shipped models/fusion.json)")
    ap.add_argument("--specimen-cache", type=Path, default=None,
                    help="JSON lines of the specimens' detector results, to compare fusion "
                         "models on the same detector outputs: an entry is reused only for "
                         "the same image bytes and the same code and detector models "
                         "(fingerprint of docfraud/ and models/ without the fusion model); "
                         "everything else, and everything with --refresh, is recomputed and "
                         "the file rewritten")
    ap.add_argument("--without", default="",
                    help="comma-separated detectors whose results are dropped before fusion, "
                         "e.g. 'reference': the figures for documents of designs outside the "
                         "reference library")
    args = ap.parse_args()
    from sklearn.metrics import roc_auc_score

    from docfraud.score import final_verdict, load_model, names_anomaly

    model = load_model(args.model) if args.model else load_model()
    if args.model:
        print(f"fusion model: {args.model}")
    meta = model.meta
    extra = str(meta.get("extra_train_seeds") or "").strip()
    fitted_on = {meta.get("train_seed"), meta.get("calibration_seed")} | (
        set(parse_seeds(extra)) if extra else set()) | {
        int(x) for x in (meta.get("focus") or {}).get("seeds", ())}
    try:
        seeds = parse_seeds(args.seeds) if args.seeds else [args.seed]
    except ValueError as exc:
        ap.error(f"--seeds: {exc}")
    for seed in seeds:
        if seed in fitted_on:
            ap.error(f"seed {seed} was used to fit or calibrate the fusion model")
        if seed in TUNING_SEEDS:
            print(f"WARNING: seed {seed} was used to tune or develop detectors: these "
                  "figures are not held out", file=sys.stderr)
    refresh, refresh_status = refresh_arguments(ap, args)
    rows = []
    for seed in seeds:
        kwargs = {"genuine": args.genuine, "forged": args.forged, "seed": seed,
                  "workshops": 2, "per_workshop": 6}
        rows += featurise_set(kwargs, jobs=args.jobs, refresh=refresh,
                              refresh_status=refresh_status,
                              cache=args.cache / f"eval-{seed}-{args.genuine}.jsonl")
    failed = [r for r in rows if r["error"]]
    rows = list(split_rows(rows))
    without = set(detector_names(args.without))
    if without:
        print(f"without the results of: {', '.join(sorted(without))}")
        rows = [{**r, "results": [d for d in r["results"] if d["detector"] not in without]}
                for r in rows]
    risks = [model.probability(row_features(r)) for r in rows]
    labels = [r["label"] for r in rows]
    genuine = sorted(p for p, y in zip(risks, labels, strict=True) if y == 0)
    t1 = one_percent_threshold(genuine)
    auc = roc_auc_score(labels, risks)
    named = (f"seed {seeds[0]}" if len(seeds) == 1 else
             f"{len(seeds)} sets pooled (seeds {', '.join(map(str, seeds))}), one threshold")
    print(f"held-out synthetic set: {named}, {len(rows)} documents "
          f"({labels.count(0)} genuine incl. null edits, {labels.count(1)} forged), "
          f"{len(failed)} failed to process")
    print(f"held out of training: design {HELD_OUT_DESIGN}, forgery kind {HELD_OUT_OPERATOR}")
    forged_risks = [p for p, y in zip(risks, labels, strict=True) if y]
    auc_ci, caught_ci = bootstrap_intervals(genuine, forged_risks)
    print(f"ROC AUC {auc:.3f} (95% bootstrap interval {auc_ci[0]:.3f}-{auc_ci[1]:.3f})")
    print(f"detection rate at 1% false alarms (threshold {t1:.3f}): "
          f"{rate_at(t1, forged_risks)*100:.1f}% (95% bootstrap interval, threshold "
          f"re-set in each resample: {caught_ci[0]*100:.1f}-{caught_ci[1]*100:.1f}%)")
    by_kind: dict[str, list[float]] = defaultdict(list)
    for r, p in zip(rows, risks, strict=True):
        if r["kind"] == "forged":
            by_kind[r["operators"][0]].append(p)
        elif r["kind"] == "workshop":
            by_kind["workshop series"].append(p)
    print(f"\n{'forgery kind':24s} {'n':>4s} {'caught @1% FA':>14s} {'AUC':>6s}")
    for kind in sorted(by_kind):
        ps = by_kind[kind]
        kind_auc = roc_auc_score([0] * len(genuine) + [1] * len(ps), genuine + ps)
        mark = " (held out)" if kind == HELD_OUT_OPERATOR else ""
        print(f"{kind + mark:24s} {len(ps):4d} {rate_at(t1, ps)*100:13.1f}% {kind_auc:6.3f}")
    held = [(p, y) for r, p, y in zip(rows, risks, labels, strict=True)
            if r["design"] == HELD_OUT_DESIGN]
    if held and {y for _, y in held} == {0, 1}:
        print(f"\nheld-out design {HELD_OUT_DESIGN}: {len(held)} documents, AUC "
              f"{roc_auc_score([y for _, y in held], [p for p, _ in held]):.3f}, caught @1% FA "
              f"{rate_at(t1, [p for p, y in held if y])*100:.1f}%")
    # a reject needs corroborated findings, as in docfraud.score.fuse; the rule before
    # session 6 (any medium or high finding) is printed for comparison
    named_any = [names_anomaly(r.get("results") or []) for r in rows]
    nulls = [final_verdict(model, p, r.get("results") or [])[0]
             for r, p in zip(rows, risks, strict=True)
             if r["kind"] == "genuine" and r["operators"]]
    verdicts = defaultdict(lambda: defaultdict(int))
    for r, p, y in zip(rows, risks, labels, strict=True):
        verdict, _ = final_verdict(model, p, r.get("results") or [])  # as score.fuse
        verdicts[y][verdict] += 1
    print(f"\nverdicts at the model's thresholds {dict(model.thresholds)} (reject only with "
          "corroborated findings: two detectors, or a high one of print or image; a "
          "document without a readable MRZ is never clear):")
    for y, name in ((0, "genuine"), (1, "forged")):
        total = sum(verdicts[y].values())
        before = sum(model.verdict(p, named_anomaly=a) == "reject"
                     for p, yy, a in zip(risks, labels, named_any, strict=True) if yy == y)
        print(f"  {name:8s} " + "  ".join(f"{v} {verdicts[y][v]/max(total,1)*100:5.1f}%"
                                         for v in ("clear", "refer", "reject"))
              + f"   (reject with any medium/high finding: {before/max(total,1)*100:5.1f}%)")
    if nulls:
        print(f"  null edits (re-saved, self-pasted genuine): {len(nulls)}, reject "
              f"{sum(v == 'reject' for v in nulls)}")
    print(f"median time per document {statistics.median(r['seconds'] for r in rows):.2f} s")
    if args.specimens.exists():
        from docfraud.forensics.base import DetectorResult
        from docfraud.score import fuse
        from docfraud.screen import analyse

        images = sorted((args.specimens / "images").iterdir())
        counts: dict[str, int] = defaultdict(int)
        rejected_any = 0  # under the rule before session 6
        t0 = time.perf_counter()
        code = code_fingerprint()
        stored: dict[tuple[str, str, str], list[dict[str, object]]] = {}
        if args.specimen_cache and args.specimen_cache.exists() and not args.refresh:
            for line in args.specimen_cache.read_text().splitlines():
                item = json.loads(line)
                stored[(item["name"], item.get("sha256", ""), item.get("code", ""))] = \
                    item["results"]
        entries, reused = [], 0
        for path in images:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            cached = stored.get((path.name, digest, code))
            if cached is not None:
                results = [DetectorResult.from_dict(d) for d in cached]
                reused += 1
            else:
                _, results, _ = analyse(path)
            entries.append({"name": path.name, "sha256": digest, "code": code,
                            "results": [r.to_dict() for r in results]})
            results = [r for r in results if r.detector not in without]
            risk = fuse(results, model=model)
            counts[risk.verdict] += 1
            rejected_any += model.verdict(risk.score, named_anomaly=names_anomaly(results)) \
                == "reject"
            print(f"  {path.name:24s} {risk.verdict:7s} {risk.score:.2f}  "
                  f"{'; '.join(risk.reasons[:2])[:110]}")
        if args.specimen_cache:
            args.specimen_cache.parent.mkdir(parents=True, exist_ok=True)
            args.specimen_cache.write_text("".join(json.dumps(e) + "\n" for e in entries))
            print(f"specimens: {reused} of {len(images)} detector results reused from "
                  f"{args.specimen_cache} (same image and code), the rest computed")
        n = len(images)
        print(f"real specimens: {n} images, reject {counts['reject']} "
              f"({counts['reject']/n*100:.1f}%), refer {counts['refer']}, clear "
              f"{counts['clear']} ({time.perf_counter() - t0:.0f} s"
              f"{', detector results partly cached' if reused else ''}); reject with any "
              f"medium/high finding (rule before session 6): {rejected_any}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
