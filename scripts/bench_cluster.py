#!/usr/bin/env python3
"""Benchmark: cluster 10,000 / 30,000 / 100,000 generated signatures.

Each size runs in its own process limited to 2 threads (OMP/BLAS, faiss); it prints
wall time of clustering (table, candidates, scoring, series, attach+explain),
the candidate-pair count and the peak resident memory of the process (which
includes the generated signatures themselves). Mix: 60% workshop members,
10% lone forgers, 30% genuine documents (seed 777, never used elsewhere).

    PYTHONPATH=. python scripts/bench_cluster.py [--sizes 10000 30000 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(n: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from docfraud.cluster import LinkModel, cluster
    from docfraud.cluster.synthetic import generate

    model = LinkModel.load()
    t0 = time.perf_counter()
    sigs = generate(seed=777, workshops=int(0.6 * n / 14.5), lone=int(0.1 * n),
                    genuine=int(0.3 * n), prefix="b")
    gen_s = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t1 = time.perf_counter()
    res = cluster(sigs, model=model)
    secs = time.perf_counter() - t1
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return {"n": len(sigs), "generate_s": round(gen_s, 1), "cluster_s": round(secs, 1),
            "cluster_cpu_s": round(cpu, 1), "load_avg_1min": round(os.getloadavg()[0], 1),
            "steps_s": res.stats["seconds"], "clustered": res.stats["clustered"],
            "candidate_pairs": res.stats["candidate_pairs"], "series": len(res.series),
            "peak_rss_mb_before_clustering": round(rss_before),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 30000, 100000])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2",
               PYTHONPATH=str(ROOT))
    rows = []
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], env=env, check=True,
                             capture_output=True, text=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| signatures | clustered (risk >= gate) | candidate pairs | series | wall s "
          "| CPU s (user+sys) | wall s per 1000 | peak RSS MB | load avg |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {r['clustered']} | {r['candidate_pairs']} | {r['series']} | "
              f"{r['cluster_s']} | {r['cluster_cpu_s']} | "
              f"{1000 * float(r['cluster_s']) / int(r['n']):.2f} | "  # type: ignore[arg-type]
              f"{r['peak_rss_mb']} | {r['load_avg_1min']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
