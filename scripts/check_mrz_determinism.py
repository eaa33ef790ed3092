#!/usr/bin/env python3
"""Check that docfraud.mrz.read reads the same whatever the machine's speed or load.

The reader's slow fallbacks (exhaustive pass, Tesseract) start only within a budget of
*work* (cells classified, locate passes: docfraud.mrz.read.FALLBACK_BUDGET), never of
time. This script reads the same synthetic images three times in one process:

1. quiet: as the machine is;
2. loaded: with ``--load`` busy processes spinning on the other cores;
3. jumping clocks: time.process_time and time.perf_counter made to jump by a second
   on every call (a reader that timed its fallbacks would skip them all);

and prints, per pass, the readings and work counts that differ from the first pass,
character-perfect counts and wall-clock times (median, max). Exit status 1 if any
reading or work count differs.

The images are those of scripts/bench_mrz_read.py with the same seeds (default: the
development sets rendered 5200000+ and docfraud.synth 6200000).

Usage:
    PYTHONPATH=. python scripts/check_mrz_determinism.py [--synthetic 50]
        [--rendered-seed 5200000] [--synth-seed 6200000] [--sets rendered,synth_docs]
        [--load 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        x += 1


def _read_all(cases: list[tuple[str, int, list[str], Any]]) -> list[dict[str, Any]]:
    from docfraud.mrz.read import read

    out = []
    for name, k, truth, img in cases:
        t = time.monotonic()  # not patched by the jumping-clock pass
        res = read(img)
        wall = time.monotonic() - t
        lines = list(res.lines) if res.found else []
        out.append({"set": name, "image": k, "lines": lines, "perfect": lines == truth,
                    "work": res.extra.get("work"), "wall": wall})
    return out


def _report(label: str, runs: list[dict[str, Any]], ref: list[dict[str, Any]] | None) -> int:
    walls = [r["wall"] for r in runs]
    differ = 0
    if ref is not None:
        for a, b in zip(ref, runs, strict=True):
            if a["lines"] != b["lines"] or a["work"] != b["work"]:
                differ += 1
                print(f"  DIFFERS: {b['set']} image {b['image']}: work {a['work']} -> "
                      f"{b['work']}, lines {a['lines']} -> {b['lines']}")
    load = os.getloadavg()[0]
    same = "" if ref is None else f", {len(runs) - differ}/{len(runs)} identical to pass 1"
    print(f"{label}: {sum(r['perfect'] for r in runs)}/{len(runs)} character-perfect{same}; "
          f"wall median {1000 * statistics.median(walls):.0f} ms, max {1000 * max(walls):.0f} "
          f"ms; load average {load:.1f}")
    return differ


def main(argv: list[str] | None = None) -> int:
    from bench_mrz_read import SYNTH_DOC_SEED, synth_documents, synthetic_cases

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--synthetic", type=int, default=50, help="images per set")
    ap.add_argument("--rendered-seed", type=int, default=5_200_000)
    ap.add_argument("--synth-seed", type=int, default=SYNTH_DOC_SEED + 200_000)
    ap.add_argument("--sets", default="rendered,synth_docs")
    ap.add_argument("--load", type=int, default=1, help="busy processes in the loaded pass")
    args = ap.parse_args(argv)

    cases: list[tuple[str, int, list[str], Any]] = []
    if "rendered" in args.sets:
        cases += [("rendered", args.rendered_seed + k, list(t), img)
                  for k, (t, img) in enumerate(synthetic_cases(args.synthetic, args.rendered_seed))]
    if "synth_docs" in args.sets:
        docs = synth_documents(args.synthetic, args.synth_seed) or []
        cases += [(f"synth {args.synth_seed}", k, list(t), img) for k, (t, img) in enumerate(docs)]
    if not cases:
        print("no images", file=sys.stderr)
        return 2
    from docfraud.mrz.read import read

    read(cases[0][3])  # warm-up: imports, model load

    first = _read_all(cases)
    _report("pass 1, quiet", first, None)

    est = 1.5 * sum(r["wall"] for r in first) + 30.0
    spinners = [multiprocessing.Process(target=_spin, args=(est,), daemon=True)
                for _ in range(args.load)]
    for p in spinners:
        p.start()
    try:
        loaded = _read_all(cases)
    finally:
        for p in spinners:
            p.terminate()
            p.join()
    differ = _report(f"pass 2, {args.load} busy process(es)", loaded, first)

    real_cpu, real_wall = time.process_time, time.perf_counter
    jumps = {"n": 0}

    def jumping(real: Callable[[], float]) -> Callable[[], float]:
        def clock() -> float:
            jumps["n"] += 1
            return float(real()) + float(jumps["n"])
        return clock

    time.process_time = jumping(real_cpu)
    time.perf_counter = jumping(real_wall)
    try:
        jumped = _read_all(cases)
    finally:
        time.process_time, time.perf_counter = real_cpu, real_wall
    differ += _report("pass 3, clocks jumping 1 s per call", jumped, first)
    print("identical" if differ == 0 else f"{differ} readings differ")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
