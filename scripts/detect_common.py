"""Shared by train_fusion.py and eval_detect.py: synthetic sets and detector features.

Hold-outs (never used to fit or tune fusion): the design ``HELD_OUT_DESIGN`` and the
forgery kind ``HELD_OUT_OPERATOR``, and the evaluation seeds. Genuine and forged
documents of a set go through the same capture simulation (docfraud.synth draws capture
parameters independently of the label).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from numpy.typing import ArrayLike

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HELD_OUT_DESIGN = "uto_residence_2021"
HELD_OUT_OPERATOR = "erase_and_rewrite"
TRAIN_SEED = 1101
CALIBRATION_SEED = 2202
EVAL_SEED = 3303
#: held-out evaluation sets of scripts/eval_detect.py (3304 since session 5, 3305 since session 10,
#: 3306 since session 11, 3307 since session 12, 3308-3311 since session 13, 3312-3313 since
#: session 14, 3314-3315 since session 15, 3316-3318 since session 16, 3319-3322 since session
#: 19, 3323-3324 since session 20, 3325-3326 since session 21, 3327 since session 22, 3328
#: since session 23, 3329-3330 since session 24, 3331-3348 since session 25, 3349-3372 since
#: session 26, 3373-3384 since session 27, 3385-3396 since session 28, 3397-3408 since
#: session 29): never train
EVAL_SEEDS = (EVAL_SEED, *range(3304, 3409))
#: seeds used to tune detectors or as their development sets (portrait ghost constants
#: 7171/7272, portrait and vizcheck 4242/5151/5353/5454-5456, learned detector
#: 5101/5202/5303/5457, reference detector 8181/8282/8484/8585 and its test 8383, the
#: portrait's lines at 8 px/mm 20201, the field-baseline prototype 20202): an evaluation on
#: them is not held out
TUNING_SEEDS = (4242, 5101, 5151, 5202, 5303, 5353, 5454, 5455, 5456, 5457, 7171, 7272, 8181,
                8282, 8383, 8484, 8585, 20201, 20202)


def parse_seeds(text: str) -> list[int]:
    """``"3307-3309,3312"`` -> [3307, 3308, 3309, 3312] (order kept, no repeats)."""
    seeds: list[int] = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        low, sep, high = item.partition("-")
        try:
            span = range(int(low), int(high) + 1) if sep else range(int(low), int(low) + 1)
        except ValueError:
            raise ValueError(f"{item!r} is not a seed or a range of seeds") from None
        if not span:
            raise ValueError(f"empty range {item!r}")
        seeds += [s for s in span if s not in seeds]
    if not seeds:
        raise ValueError("no seed given")
    return seeds


def train_designs() -> list[str]:
    from docfraud.synth import DESIGNS

    return [d for d in DESIGNS if d != HELD_OUT_DESIGN]


def train_operators() -> list[str]:
    from docfraud.synth import forgery_operators

    return [o for o in forgery_operators() if o != HELD_OUT_OPERATOR]


def _init_worker() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    import cv2

    cv2.setNumThreads(1)


def _document(spec_kwargs: dict[str, Any], index: int) -> tuple[Any, Any]:
    """The plan item and the generated document ``index`` of a synthetic set."""
    from docfraud.synth.dataset import dataset_workshops, make_document, make_plan, make_spec

    spec = make_spec(**spec_kwargs)
    item = make_plan(spec)[index]
    return item, make_document(item, spec, dataset_workshops(spec), decode=False)


def _featurise(args: tuple[dict[str, Any], int]) -> dict[str, Any]:
    spec_kwargs, index = args
    return _featurised(index, *_document(spec_kwargs, index))


def _featurised(index: int, item: Any, doc: Any) -> dict[str, Any]:
    """The row of generated document ``index``: every detector run on it."""
    from docfraud.score import features
    from docfraud.screen import analyse

    t0 = time.perf_counter()
    try:
        _, results, _ = analyse(doc.data)
        feats = features(results)
        error = None
    except Exception as exc:  # recorded, never silently dropped
        feats, error, results = {}, f"{type(exc).__name__}: {exc}", []
    return _row(index, item, doc, feats, results, error, time.perf_counter() - t0)


def _refresh(args: tuple[dict[str, Any], dict[str, Any], tuple[str, ...], tuple[str, ...]]
             ) -> dict[str, Any]:
    """A cached row with the results of ``names`` recomputed on its regenerated document
    (only where one of them has a cached status in ``statuses``, when these are given;
    elsewhere the row is kept and its features recomputed)."""
    from docfraud.score import features
    from docfraud.screen import analyse

    spec_kwargs, row, names, statuses = args
    if row.get("error") or "results" not in row:
        # nothing to keep: a row that failed, or of the old cache format, is made anew
        return _featurise((spec_kwargs, row["index"]))
    if CHANGED in statuses:
        # ``names`` run again; where a result differs from the cached one, every
        # detector runs again (after a change to the MRZ reader, which places the
        # zones every detector works in: most documents read the same)
        item, doc = _document(spec_kwargs, row["index"])
        _, fresh, _ = analyse(doc.data, detectors=list(names))
        cached = {d["detector"]: _comparable(d) for d in row["results"]}
        if all(cached.get(r.detector) == _comparable(json.loads(json.dumps(r.to_dict())))
               for r in fresh):
            return {**row, "features": row_features(row)}
        return _featurised(row["index"], item, doc)
    if statuses and not any(d["detector"] in names and d["status"] in statuses
                            for d in row["results"]):
        return {**row, "features": row_features(row)}
    item, doc = _document(spec_kwargs, row["index"])
    t0 = time.perf_counter()
    try:
        _, fresh, _ = analyse(doc.data, detectors=list(names))
    except Exception as exc:  # recorded, never silently dropped; a later refresh retries
        return {**row, "features": {}, "results": [], "scores": {},
                "error": f"{type(exc).__name__}: {exc}"}
    results = replaced_results(row["results"], fresh)
    return _row(row["index"], item, doc, features(results), results, None,
                row.get("seconds", 0.0) + time.perf_counter() - t0)


def replaced_results(cached: Sequence[dict[str, Any]], fresh: Sequence[Any]) -> list[Any]:
    """The cached detector results (JSON dicts) with those of the detectors in ``fresh``
    (DetectorResult objects run again) put in their place, in the cached order; fresh
    results of detectors not cached come last."""
    from docfraud.forensics.base import DetectorResult

    by_name = {r.detector: r for r in fresh}
    results = [by_name.pop(r.detector, None) or r
               for r in (DetectorResult.from_dict(d) for d in cached)]
    return results + list(by_name.values())


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    """A detector result's dict without its timing (which differs on every run)."""
    return {k: v for k, v in result.items() if k != "timing_ms"}


def _row(index: int, item: Any, doc: Any, feats: dict[str, float], results: list[Any],
         error: str | None, seconds: float) -> dict[str, Any]:
    # the detector results themselves (heatmaps summarised): features can be recomputed
    # from them (:func:`row_features`) when the fusion features change, without rerunning
    # the detectors
    result_dicts = [r.to_dict() for r in results]
    truth = doc.truth
    return {
        "index": index,
        "label": 0 if item.kind == "genuine" else 1,
        "kind": item.kind,
        "operators": list(item.operators),
        "design": item.design,
        "ext": doc.ext,
        "size": len(doc.data),
        "features": feats,
        "scores": {r.detector: r.score for r in results},
        "results": result_dicts,
        "error": error,
        "seconds": seconds,
        "mrz_found": bool(feats.get("mrz.found", 0.0)),
        "truth_label": truth.get("label"),
        "details": truth.get("details"),
    }


def featurise_set(spec_kwargs: dict[str, Any], *, jobs: int = 2,
                  cache: Path | None = None, refresh: Sequence[str] = (),
                  refresh_status: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Features of every document of a synthetic set (cached as JSON lines).

    ``refresh``: detectors to run again on the documents of an existing cache (after
    a change to them, or to the MRZ reader or layout they use); the other detectors'
    cached results are kept, the features recomputed, and the cache rewritten.
    ``refresh_status``: run them again only on the documents where one of them has one
    of these cached statuses (after a change that can alter only such results, e.g.
    what a detector says where it does not apply); ``("changed",)``: run them again
    and every detector where one of their results changed (after a change to the MRZ
    reader: ``refresh=("mrz",)``)."""
    cached: list[dict[str, Any]] | None = None
    if cache is not None and cache.exists():
        cached = [json.loads(x) for x in cache.read_text().splitlines() if x.strip()]
        if not refresh:
            return cached
    from docfraud.synth.dataset import make_plan, make_spec

    n = len(make_plan(make_spec(**spec_kwargs)))
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    if cached is not None:
        work: Any = (_refresh, [(spec_kwargs, row, tuple(refresh), tuple(refresh_status))
                                for row in cached])
        print(f"  refreshing {', '.join(refresh)} in {cache}", file=sys.stderr, flush=True)
    else:
        work = (_featurise, [(spec_kwargs, i) for i in range(n)])
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             mp_context=context) as pool:
        for k, row in enumerate(pool.map(*work, chunksize=2)):
            rows.append(row)
            if (k + 1) % 25 == 0:
                print(f"  {k + 1}/{len(work[1])} documents, {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    failed = sum(bool(r.get("error")) for r in rows)
    if failed:
        print(f"  {failed} of {len(rows)} documents failed (recorded in their rows)",
              file=sys.stderr, flush=True)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def one_percent_threshold(genuine: ArrayLike) -> float:
    """The score at or above which 1 % of ``genuine`` scores lie (a hair above their
    99th percentile, so that the percentile's own document is not counted caught)."""
    import numpy as np

    return float(np.quantile(np.asarray(genuine, dtype=np.float64), 0.99)) + 1e-9


def rate_at(threshold: float, scores: ArrayLike) -> float:
    """Share of ``scores`` at or above ``threshold`` (0 for none)."""
    import numpy as np

    values = np.asarray(scores, dtype=np.float64)
    return float((values >= threshold).sum()) / max(values.size, 1)


def detector_names(text: str) -> tuple[str, ...]:
    """Comma-separated detector names (``--refresh``), checked against the registry."""
    from docfraud.forensics.registry import available_detectors as registered

    names = tuple(x.strip() for x in text.split(",") if x.strip())
    unknown = sorted(set(names) - set(registered()))
    if unknown:
        raise SystemExit(f"unknown detector(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(registered())}")
    return names


def add_refresh_arguments(ap: Any) -> None:
    """``--refresh`` and ``--refresh-status`` of train_fusion.py and eval_detect.py."""
    ap.add_argument("--refresh", default="",
                    help="comma-separated detectors to run again on the cached documents "
                         "(after a change to them); the other cached results are kept")
    ap.add_argument("--refresh-status", default="",
                    help="comma-separated statuses (ok, not_applicable, failed): run the "
                         "--refresh detectors again only where their cached result has one; "
                         "or 'changed': run them again and every detector where one of "
                         "their results changed (after an MRZ reader change: --refresh mrz)")


def refresh_arguments(ap: Any, args: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The checked detectors and statuses of :func:`add_refresh_arguments`' options."""
    refresh, statuses = detector_names(args.refresh), status_names(args.refresh_status)
    if statuses and not refresh:
        ap.error("--refresh-status needs --refresh (the detectors to run again)")
    return refresh, statuses


#: ``--refresh-status changed``: run the --refresh detectors again and, on the documents
#: where one of their results changed, every detector
CHANGED = "changed"


def status_names(text: str) -> tuple[str, ...]:
    """Comma-separated detector statuses (``--refresh-status``), or ``changed``
    (:data:`CHANGED`, alone), checked."""
    from docfraud.forensics.base import STATUSES

    names = tuple(x.strip() for x in text.split(",") if x.strip())
    unknown = sorted(set(names) - {*STATUSES, CHANGED})
    if unknown:
        raise SystemExit(f"unknown status(es) {', '.join(unknown)}; choose from "
                         f"{', '.join((*STATUSES, CHANGED))}")
    if CHANGED in names and len(names) > 1:
        raise SystemExit(f"--refresh-status {CHANGED} goes alone")
    return names


def row_features(row: dict[str, Any]) -> dict[str, float]:
    """The fusion features of a cached row, recomputed from its detector results with the
    current :func:`docfraud.score.features` (the cached ``features`` when the row predates
    result caching)."""
    from docfraud.forensics.base import DetectorResult
    from docfraud.score import features

    if "results" not in row:
        return dict(row["features"])
    return features([DetectorResult.from_dict(d) for d in row["results"]])


def split_rows(rows: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for r in rows:
        if r["error"] is None:
            yield r
