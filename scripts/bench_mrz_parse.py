#!/usr/bin/env python3
"""Parse+validate throughput: docfraud against PassportEye's MRZ text parser, same process.

Generates N random MRZs over the ICAO formats both parsers know (TD1, TD2, TD3, MRV-A,
MRV-B), a share of them with one character corrupted, then times

* ``docfraud.mrz.parse`` on each document (full validation: 5 check digits, codes against
  ISO 3166/ICAO lists, calendar dates, date order, expiry, validity period, sex, names,
  fillers; findings built for every failure),
* ``docfraud.mrz.parse_many`` on the whole batch (identical results, vectorised checks),
* PassportEye's ``MRZ(lines)`` on each document (check digits and date format only).

Each is run ``--repeat`` times, interleaved; times are CPU time of this process
(time.process_time), so other load on the machine disturbs them little; the best run
counts. Each timed call starts with no other results alive and garbage collected, so
that no parser pays for another's objects (the collector stays on while timing). By
default two mixes are measured one after the other: well-formed MRZs (as in a border
system's export) and 20 % with one wrong character (as from OCR or forgers).
Usage: python scripts/bench_mrz_parse.py [--n 10000] [--corrupt 0,0.2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docfraud.mrz import generate, parse
from docfraud.mrz.batch import parse_many
from docfraud.mrz.generate import random_fields

FORMATS = ["TD1", "TD2", "TD3", "MRVA", "MRVB"]
CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


def make_docs(n: int, corrupt: float, seed: int, today: dt.date) -> list[list[str]]:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        fmt = rng.choice(FORMATS)
        lines = generate(random_fields(rng, fmt, today=today), format=fmt)
        if rng.random() < corrupt:
            li, pos = rng.randrange(len(lines)), rng.randrange(len(lines[0]))
            lines[li] = lines[li][:pos] + rng.choice(CHARS) + lines[li][pos + 1 :]
        docs.append(lines)
    return docs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--corrupt", default="0,0.2",
                    help="comma-separated shares of MRZs with one wrong character, one run each")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    today = dt.date(2026, 11, 28)
    for corrupt in (float(x) for x in args.corrupt.split(",")):
        bench(make_docs(args.n, corrupt, args.seed, today), corrupt, args.repeat, today)
    return 0


def bench(docs: list[list[str]], corrupt: float, repeat: int, today: dt.date) -> None:
    from passporteye.mrz.text import MRZ

    runs: dict[str, list[float]] = {"docfraud parse": [], "docfraud parse_many": [],
                                    "passporteye MRZ": []}
    def timed(name: str, fn: Callable[[], list[Any]]) -> None:
        # start clean, and drop the results before the next call: no parser pays for
        # collecting (or keeping) another's objects
        gc.collect()
        t0 = time.process_time()
        out = fn()
        runs[name].append(time.process_time() - t0)
        del out

    for _ in range(repeat):
        timed("docfraud parse", lambda: [parse(d, today=today) for d in docs])
        timed("docfraud parse_many", lambda: parse_many(docs, today=today))
        timed("passporteye MRZ", lambda: [MRZ(d) for d in docs])
    # untimed: the batch parser returns exactly what the one-document parser does
    singles = [parse(d, today=today) for d in docs]
    batch = parse_many(docs, today=today)
    theirs = [MRZ(d) for d in docs]
    assert all(a.to_dict() == b.to_dict() for a, b in zip(singles, batch, strict=True))
    base = min(runs["passporteye MRZ"]) / len(docs)
    print(f"\n{len(docs)} MRZs ({', '.join(FORMATS)}), {corrupt:.0%} with one corrupted "
          f"character; best of {repeat} runs")
    print(f"{'parser':22s} {'us/doc':>8s} {'median':>8s} {'docs/s':>9s} {'speed-up':>9s}")
    for name, times in runs.items():
        best = min(times) / len(docs)
        med = statistics.median(times) / len(docs)
        print(f"{name:22s} {best * 1e6:8.1f} {med * 1e6:8.1f} {1 / best:9.0f} {base / best:8.2f}x")
    checks = statistics.mean(len(r.checks) for r in singles)
    valid = sum(r.valid for r in singles)
    pe_valid = sum(bool(m.valid) for m in theirs)
    print(f"checks per document: docfraud {checks:.1f}, PassportEye 4-5 check digits + length;"
          f" fully valid: docfraud {valid}, PassportEye {pe_valid}")


if __name__ == "__main__":
    sys.exit(main())
