#!/usr/bin/env python3
"""ROC AUC of each forensic detector on a `docfraud synth` dataset (truth.jsonl).

For every detector: AUC of its score over all documents (forged vs genuine), per
forgery operator (documents of that operator vs all genuine ones), and the share of
genuine documents on which it reports a finding of medium or high severity (its
false-alarm rate as a finding). The noise detector is run twice: without zones and
with 'oracle' zones from the truth (card and portrait boxes), to show what layout
zones are worth to it.

Usage: PYTHONPATH=. python scripts/eval_forensics_synth.py DIR [--limit N] [--out f.json]
(make DIR with e.g. `docfraud synth --out DIR --genuine 80 --forged 80 --workshops 0`)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docfraud.forensics import Analysis, available_detectors, run_detectors  # noqa: E402


def _box(quad: list[list[float]]) -> tuple[int, int, int, int]:
    q = np.asarray(quad, dtype=np.float64)
    x0, y0 = q.min(axis=0)
    x1, y1 = q.max(axis=0)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _auc(labels: list[int], scores: list[float]) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(set(labels)) < 2:
        return None
    return round(float(roc_auc_score(labels, scores)), 3)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset", type=Path)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    records = [json.loads(line) for line in (args.dataset / "truth.jsonl").read_text().splitlines()
               if line.strip()]
    if args.limit:
        records = records[: args.limit]
    names = available_detectors()
    cols = [*names, "noise+zones"]
    scores: dict[str, list[float]] = defaultdict(list)
    alarms: dict[str, list[bool]] = defaultdict(list)
    labels: list[int] = []
    kinds: list[str] = []
    t0 = time.time()
    for rec in records:
        analysis = Analysis.from_source(args.dataset / rec["file"])
        label = 0 if rec["label"] == "genuine" else 1
        labels.append(label)
        kinds.append("genuine" if not label else "+".join(rec.get("operators") or ["forged"]))
        for r in run_detectors(analysis):
            scores[r.detector].append(r.score if r.score is not None else 0.0)
            alarms[r.detector].append(any(f.severity != "low" for f in r.findings))
        layout = rec.get("layout") or {}
        zoned = Analysis(document=analysis.document)
        for i, card in enumerate(layout.get("cards") or []):
            if i == 0:
                zoned.zones["card"] = _box(card)
        if layout.get("portrait"):
            zoned.zones["portrait"] = _box(layout["portrait"])
        if layout.get("ghost"):
            zoned.zones["ghost"] = _box(layout["ghost"])
        rz = run_detectors(zoned, ["noise"])[0]
        scores["noise+zones"].append(rz.score if rz.score is not None else 0.0)
        alarms["noise+zones"].append(any(f.severity != "low" for f in rz.findings))
    n_gen, n_forged = labels.count(0), labels.count(1)
    print(f"{len(records)} documents ({n_gen} genuine, {n_forged} forged) from {args.dataset}"
          f" in {time.time() - t0:.0f} s")
    result: dict[str, Any] = {"n_genuine": n_gen, "n_forged": n_forged, "auc": {},
                              "per_operator": {}, "genuine_alarm_rate": {}}
    for c in cols:
        result["auc"][c] = _auc(labels, scores[c])
        gen_alarms = [a for a, lab in zip(alarms[c], labels, strict=True) if lab == 0]
        result["genuine_alarm_rate"][c] = round(float(np.mean(gen_alarms)), 3) if gen_alarms \
            else None
    for kind in sorted(set(kinds) - {"genuine"}):
        sel = [i for i, k in enumerate(kinds) if k in ("genuine", kind)]
        result["per_operator"][kind] = {
            "n": sum(1 for k in kinds if k == kind),
            **{c: _auc([labels[i] for i in sel], [scores[c][i] for i in sel]) for c in cols},
        }
    print("AUC, all forged vs genuine: "
          + "  ".join(f"{c}={result['auc'][c]}" for c in cols))
    print("genuine documents with a medium/high finding: "
          + "  ".join(f"{c}={result['genuine_alarm_rate'][c]}" for c in cols))
    for kind, row in result["per_operator"].items():
        print(f"  {kind:28s} n={row['n']:3d}  "
              + "  ".join(f"{c}={row[c]}" for c in cols))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
