"""Fit the genuine spread of each design field's baseline deviation (models/field_spread.json).

docfraud.forensics.fieldprint measures how far each personalised field's baseline lies
off the line the document's other fields keep. On genuine photographs and scans the
deviation is not equally tight for every field (a field far from the card's middle, a
date printed over dark guilloche), so the detector also reports each deviation divided
by the field's genuine spread. The spread is the 90th percentile of the field's deviation
over the genuine documents of the fusion's training caches (scripts/train_fusion.py
--cache DIR: synthetic training seeds, never the evaluation seeds), at least
``MIN_SPREAD_MM``; fields with fewer than ``MIN_DOCUMENTS`` genuine measurements are
left out (the detector then uses its default).

    python scripts/fit_field_spread.py --cache runs/fusion     # -> models/field_spread.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIN_DOCUMENTS = 20
PERCENTILE = 90.0


def main(argv: list[str] | None = None) -> int:
    from docfraud.forensics.fieldprint import MIN_SPREAD_MM, SPREAD_PATH

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, required=True,
                    help="the fusion training cache (JSON lines of scripts/train_fusion.py)")
    ap.add_argument("--out", type=Path, default=SPREAD_PATH)
    args = ap.parse_args(argv)
    files = sorted(args.cache.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no cached training sets (*.jsonl) in {args.cache}")
    found: dict[tuple[str, str], list[float]] = defaultdict(list)
    documents = 0
    for path in files:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row.get("error") or row.get("label") != 0:
                continue
            result = next((d for d in row.get("results") or ()
                           if d["detector"] == "fieldprint" and d["status"] == "ok"), None)
            if result is None:
                continue
            documents += 1
            for field, dev in (result["data"].get("deviations") or {}).items():
                found[(str(row["design"]), str(field))].append(float(dev))
    spread: dict[str, dict[str, float]] = defaultdict(dict)
    for (design, field), values in sorted(found.items()):
        if len(values) >= MIN_DOCUMENTS:
            spread[design][field] = round(max(float(np.percentile(values, PERCENTILE)),
                                              MIN_SPREAD_MM), 4)
    out = {"version": 1, "percentile": PERCENTILE, "documents": documents,
           "source": f"genuine documents of {', '.join(p.name for p in files)}",
           "spread_mm": spread}
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{documents} genuine documents, {sum(len(v) for v in spread.values())} fields "
          f"of {len(spread)} designs -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
