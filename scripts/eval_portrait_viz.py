"""AUC of the portrait and vizcheck detectors on a synthetic set, per forgery kind.

Zones come from the synthetic truth through docfraud.layout (tests/forensics/synth_zones.py)
until the MRZ image reader lands. Seeds 1101/2202/3303 are the fusion sets: do not use them.

    PYTHONPATH=. python scripts/eval_portrait_viz.py --seed 5151 --genuine 60 --forged 120
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "forensics")]

OPS = ["photo_substitution", "data_alteration", "naive_alteration", "mrz_only_alteration",
       "erase_and_rewrite", "copy_move"]


def main(argv: list[str] | None = None) -> int:
    import cv2
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from docfraud.forensics import run_detectors
    from docfraud.synth import iter_documents
    from tests.forensics.synth_zones import synth_analysis

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=5151)
    p.add_argument("--genuine", type=int, default=60)
    p.add_argument("--forged", type=int, default=120)
    p.add_argument("--operators", default=",".join(OPS))
    args = p.parse_args(argv)
    if args.seed in (1101, 2202, 3303):
        p.error("seeds 1101/2202/3303 are the fusion train/calibration/eval seeds")
    cv2.setNumThreads(1)
    ops = args.operators.split(",")
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    findings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    times: dict[str, list[float]] = defaultdict(list)
    t0 = time.time()
    for doc in iter_documents(genuine=args.genuine, forged=args.forged, workshops=0,
                              seed=args.seed, operators=ops):
        kind = "genuine" if doc.truth["label"] == "genuine" else doc.truth["operators"][0]
        analysis = synth_analysis(doc)
        for r in run_detectors(analysis, ["portrait", "vizcheck"]):
            scores[r.detector][kind].append(r.score if r.score is not None else 0.0)
            times[r.detector].append(r.timing_ms)
            if r.findings:
                findings[r.detector][kind] += 1
    print(f"seed {args.seed}: {args.genuine} genuine, {args.forged} forged "
          f"({time.time() - t0:.0f} s)")
    for det in ("portrait", "vizcheck"):
        gen = scores[det]["genuine"]
        print(f"\n{det}: median {np.median(times[det]):.0f} ms, p90 "
              f"{np.percentile(times[det], 90):.0f} ms; genuine with a finding "
              f"{findings[det]['genuine']}/{len(gen)}")
        for kind in ops:
            forged = scores[det][kind]
            if not forged or not gen:
                continue
            y = [0] * len(gen) + [1] * len(forged)
            auc = roc_auc_score(y, gen + forged)
            print(f"  {kind:22s} n={len(forged):3d} AUC {auc:.3f}  with a finding "
                  f"{findings[det][kind]}/{len(forged)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
