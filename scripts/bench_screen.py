#!/usr/bin/env python3
"""Speed of `docfraud screen`: full screening of ~2-megapixel photos on one core, and start-up.

* Per-document time: synthetic phone photos and scans from docfraud.synth (seed 7700, long
  side 1630-1650 px, about 2 MP), screened in this process with OpenCV and BLAS limited to
  one thread; prints median, p95 and max, and the median per stage and detector.
* Networks: the learned detector's network on the first photo's input, run by ONNX
  Runtime and by OpenCV's dnn module (the fallback engine) in this process.
* Start-up: a fresh interpreter that imports docfraud and loads every detector and model
  (docfraud.screen.warm_up) - what an officer's script pays on each call before any work
  on the image - and `docfraud --help` for the bare CLI.
* One call end to end: `docfraud screen --json FILE` in a fresh process on the first
  documents, written to files (start-up, loading the image, the reference of its design
  and the screen: what an officer's script waits for). Run as the CLI runs: BLAS with
  one thread (the environment above), OpenCV with its default thread pool.

Usage: python scripts/bench_screen.py [--n 30]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"


def startup(repeat: int = 5) -> tuple[float, float]:
    code = "import docfraud.screen as s; s.warm_up()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    warm, bare = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        warm.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "docfraud.cli", "--help"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        bare.append(time.perf_counter() - t0)
    return statistics.median(warm), statistics.median(bare)


def one_call(paths: list[Path]) -> list[float]:
    """Wall time of `docfraud screen --json FILE` in a fresh process, per file."""
    from docfraud.screen import VERDICT_EXIT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = []
    for path in paths:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "docfraud.cli", "screen", "--json",
                               str(path)], env=env, capture_output=True, text=True)
        out.append(time.perf_counter() - t0)
        if done.returncode not in set(VERDICT_EXIT.values()) or '"risk"' not in done.stdout:
            raise SystemExit(f"docfraud screen failed on {path}: {done.stderr[-500:]}")
    return out


def networks(data: bytes, repeat: int = 5) -> None:
    """The learned detector's network on one photo's input, run by each ONNX engine in
    this process (docfraud._onnx): median milliseconds and the ratio."""
    import cv2
    import numpy as np

    from docfraud._onnx import OnnxNet
    from docfraud.forensics.learned import MODEL_PATH, input_channels, padding

    image = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
                         cv2.COLOR_BGR2RGB)
    h, w = image.shape[:2]
    x = input_channels(image, pad=padding(h, w))[None]
    took = {}
    for engine in ("onnxruntime", "opencv"):
        net = OnnxNet(MODEL_PATH, what="learned network", engine=engine)
        net.run(x)
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            net.run(x)
            runs.append(time.perf_counter() - t0)
        took[engine] = statistics.median(runs) * 1000
    print(f"learned network on a {h}x{w} photo, one thread: ONNX Runtime "
          f"{took['onnxruntime']:.0f} ms, OpenCV dnn {took['opencv']:.0f} ms "
          f"({took['opencv'] / took['onnxruntime']:.1f}x)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--calls", type=int, default=6,
                    help="documents screened by one `docfraud screen` process each")
    args = ap.parse_args()
    import cv2
    import numpy as np

    from docfraud.screen import screen, warm_up
    from docfraud.synth import iter_documents

    cv2.setNumThreads(1)
    warm_up()
    docs = list(iter_documents(genuine=args.n // 2, forged=args.n - args.n // 2, workshops=0,
                               seed=7700, decode=False, long_side=(1630, 1650)))
    def cpu_now() -> float:
        """CPU seconds of this process and of its finished children (pytesseract's
        Tesseract processes where the in-process engine is missing)."""
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    times, cpu, sizes, stages = [], [], [], {}
    for d in docs:
        t0, c0 = time.perf_counter(), cpu_now()
        report = screen(d.data)
        times.append(time.perf_counter() - t0)
        cpu.append(cpu_now() - c0)
        sizes.append(report.image_size[0] * report.image_size[1] / 1e6)
        for k, v in report.timing_ms.items():
            stages.setdefault(k, []).append(v)
    q = np.percentile(times, [50, 95])
    print(f"{len(times)} synthetic documents, {statistics.median(sizes):.2f} MP median "
          f"({min(sizes):.2f}-{max(sizes):.2f}), one thread")
    print(f"screen time: median {q[0]*1000:.0f} ms, p95 {q[1]*1000:.0f} ms, "
          f"max {max(times)*1000:.0f} ms")
    qc = np.percentile(cpu, [50, 95])
    print(f"CPU time (process and children, one thread): median {qc[0]*1000:.0f} ms, "
          f"p95 {qc[1]*1000:.0f} ms")
    for k in sorted(stages, key=lambda k: -statistics.median(stages[k])):
        print(f"  {k:22s} median {statistics.median(stages[k]):7.1f} ms")
    networks(docs[0].data)
    warm, bare = startup()
    print(f"start-up (fresh interpreter, import + load all models): {warm:.2f} s; "
          f"`docfraud --help`: {bare:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, d in enumerate(docs[:args.calls]):
            suffix = "jpg" if d.data[:2] == b"\xff\xd8" else "png"
            paths.append(Path(tmp) / f"doc{i}.{suffix}")
            paths[-1].write_bytes(d.data)
        calls = one_call(paths)
    if calls:
        print(f"one `docfraud screen --json FILE` call, fresh process ({len(calls)} files): "
              f"median {statistics.median(calls):.2f} s, max {max(calls):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
