#!/usr/bin/env python3
"""Benchmark `docfraud batch`: documents per second with 1 and 2 local processes and
with 2 Dask local workers, on the same synthetic images.

    PYTHONPATH=. python scripts/bench_batch.py        # 200 docfraud.synth documents, real screen
    PYTHONPATH=. python scripts/bench_batch.py --pipeline bench --images simple   # stand-in

Targets: 2 processes at least 1.8x faster than 1; Dask (2 workers) within 15% of
2 local processes. Rates are measured once the workers are up ("working" rate);
the wall rate, start-up included, is printed beside it. The modes run in
interleaved rounds (--repeat, 3) and the best round of each mode is compared, the
median beside it. The machine's load average, the workers' busy time and the
parent's CPU time are printed too: on a machine where other jobs hold the cores,
no executor can scale, and the figures say so.

By default the pipeline is the real one, ``docfraud.screen.examine_file`` (every
detector, fusion, signature, report assets), over 200 documents made by
``docfraud.synth`` (seed 7700: genuine, lone forgeries and workshop series; scans and
phone photos of 1100-1800 px). ``--pipeline bench`` is a lighter stand-in kept for
comparison with older figures: a real decode through docfraud.imageio plus median-filter
noise residual, blockwise 8x8 DCT statistics, ORB self-matching, a heatmap and a JPEG
preview (about 65 ms of one core per image), usually with ``--images simple``
(1000x700 document-like JPEGs drawn here).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def bench_examine(data: bytes | str, *, source: str) -> dict[str, Any]:
    """A CPU-bound stand-in for the screen pipeline (see the module docstring)."""
    import cv2
    import numpy as np
    from PIL import Image

    from docfraud.imageio import load_document

    cv2.setNumThreads(1)
    doc = load_document(data)
    grey = cv2.cvtColor(doc.pixels, cv2.COLOR_RGB2GRAY)
    residual = grey.astype(np.float32) - cv2.medianBlur(grey, 5).astype(np.float32)
    h8, w8 = (grey.shape[0] // 8) * 8, (grey.shape[1] // 8) * 8
    blocks = grey[:h8, :w8].astype(np.float32).reshape(h8 // 8, 8, w8 // 8, 8).swapaxes(1, 2)
    n = np.arange(8)
    dct = np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / 16) * np.sqrt(2 / 8)
    dct[0] /= np.sqrt(2)
    coeffs = dct @ blocks @ dct.T
    ac_energy = np.abs(coeffs).reshape(*coeffs.shape[:2], 64)[..., 1:].mean(axis=2)
    orb = cv2.ORB_create(nfeatures=1500)
    keypoints, desc = orb.detectAndCompute(grey, None)
    pairs = 0
    if desc is not None and len(desc) > 2:
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        for m in matcher.knnMatch(desc, desc, k=2):
            if len(m) == 2 and m[1].distance < 20:
                a, b = keypoints[m[1].queryIdx].pt, keypoints[m[1].trainIdx].pt
                if abs(a[0] - b[0]) + abs(a[1] - b[1]) > 20:
                    pairs += 1
    var = cv2.boxFilter(residual * residual, -1, (15, 15))
    heat = (255 * var / max(float(var.max()), 1e-6)).astype(np.uint8)
    preview = io.BytesIO()
    Image.fromarray(doc.pixels).save(preview, "JPEG", quality=80)
    heat_png = io.BytesIO()
    Image.fromarray(heat).save(heat_png, "PNG")
    score = float(min(1.0, pairs / 50))
    return {
        "file": source, "sha256": doc.sha256,
        "image": {"width": doc.shape[1], "height": doc.shape[0]},
        "mrz": {"found": False, "format": None, "lines": [], "raw_lines": [], "fields": {},
                "valid": False},
        "findings": [],
        "risk": {"score": score, "verdict": "clear" if score < 0.5 else "refer"},
        "signature": {"noise_std": float(residual.std()), "dct_ac": float(ac_energy.mean()),
                      "copy_pairs": pairs},
        "timing_ms": {},
        "assets": {"preview.jpg": preview.getvalue(), "heatmap/noise.png": heat_png.getvalue()},
    }


def make_synth_images(folder: Path, n: int, *, seed: int = 7700) -> list[Path]:
    """``n`` docfraud.synth documents (about 60 % genuine, lone forgeries, workshops) in
    ``folder`` (the generator's ``images/`` folder is moved there)."""
    import shutil

    from docfraud.synth.dataset import generate_dataset

    tmp = folder.parent / (folder.name + ".synth")
    workshops = max(1, n // 25)
    per_workshop = 4
    forged = max(0, n // 5)
    genuine = n - forged - workshops * per_workshop
    generate_dataset(tmp, genuine=genuine, forged=forged, workshops=workshops,
                     per_workshop=per_workshop, seed=seed, workers=os.cpu_count() or 1)
    if folder.exists():
        shutil.rmtree(folder)
    (tmp / "images").rename(folder)
    shutil.rmtree(tmp)
    return sorted(p for p in folder.iterdir() if p.is_file())


def make_images(folder: Path, n: int, *, seed: int = 7) -> list[Path]:
    """``n`` distinct document-like JPEGs (1000x700): paper, text lines, a photo box, noise."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    try:
        font = ImageFont.truetype("/usr/share/fonts/opentype/ocr-b/OCRB.otf", 26)
    except OSError:
        font = ImageFont.load_default()
    out = []
    for i in range(n):
        paper = tuple(int(x) for x in rng.integers(200, 250, 3))
        img = Image.new("RGB", (1000, 700), paper)
        d = ImageDraw.Draw(img)
        x0, y0 = int(rng.integers(30, 60)), int(rng.integers(80, 140))
        d.rectangle([x0, y0, x0 + 260, y0 + 330],
                    fill=tuple(int(x) for x in rng.integers(60, 180, 3)))
        for k in range(8):
            text = "".join(chr(int(c)) for c in rng.integers(65, 91, int(rng.integers(6, 24))))
            d.text((340, 100 + 45 * k), text, fill=(20, 20, 40), font=font)
        for k in range(2):
            line = "".join(chr(int(c)) if c < 91 else "<" for c in rng.integers(65, 95, 44))
            d.text((40, 580 + 45 * k), line, fill=(0, 0, 0), font=font)
        arr = np.asarray(img).astype(np.int16) + rng.normal(0, 4, (700, 1000, 3)).astype(np.int16)
        path = folder / f"doc{i:04d}.jpg"
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(path, quality=88)
        out.append(path)
    return out


def run_mode(name: str, images: Path, workdir: Path, examine: Any, **kw: Any) -> dict[str, Any]:
    from docfraud.batch import run_batch

    db = workdir / f"{name}.db"
    if db.exists():
        db.unlink()

    load0 = os.getloadavg()[0]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    s = run_batch([str(images)], db=db, examine=examine, progress=False, **kw)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if s.done != s.listed:
        raise SystemExit(f"{name}: only {s.done} of {s.listed} documents done")
    from docfraud.store import Store

    with Store(db) as store:
        busy = sum(r["elapsed_ms"] or 0.0 for r in store.iter_records()) / 1e3
    return {"mode": name, "docs": s.examined, "seconds": round(s.seconds, 2),
            "startup_s": round(s.startup_seconds, 2), "docs_per_s": round(s.working_rate, 2),
            "docs_per_s_wall": round(s.rate, 2),
            "worker_busy_s": round(busy, 1),
            "parent_cpu_s": round((cpu1.ru_utime - cpu0.ru_utime)
                                  + (cpu1.ru_stime - cpu0.ru_stime), 1),
            "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="number of synthetic images (200)")
    ap.add_argument("--pipeline", choices=["bench", "screen"], default="screen")
    ap.add_argument("--images", choices=["synth", "simple"], default="synth",
                    help="docfraud.synth documents (default) or simple drawn JPEGs")
    ap.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    ap.add_argument("--modes", default="local1,local2,dask2",
                    help="comma-separated subset of local1,local2,dask2")
    ap.add_argument("--repeat", type=int, default=3, help="rounds over all modes (3)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)

    # workers (forkserver children, Dask workers) import this module by name
    sys.path.insert(0, str(HERE))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(HERE), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    if args.pipeline == "screen":
        examine: Any = "docfraud.screen:examine_file"
    else:
        import bench_batch

        examine = bench_batch.bench_examine
    with tempfile.TemporaryDirectory(prefix="docfraud-bench-") as tmp:
        work = args.dir or Path(tmp)
        images = work / f"images-{args.images}"
        t0 = time.perf_counter()
        have = [p for p in images.iterdir() if p.is_file()] if images.exists() else []
        if len(have) != args.n:
            (make_synth_images if args.images == "synth" else make_images)(images, args.n)
        print(f"{args.n} {args.images} images in {images} ({time.perf_counter() - t0:.1f} s); "
              f"{os.cpu_count()} CPUs; load average {os.getloadavg()}", flush=True)
        modes = {
            "local1": {"jobs": 1},
            "local2": {"jobs": 2},
            "dask2": {"jobs": 2, "dask": "local"},
        }
        rows = []
        names = args.modes.split(",")
        for rep in range(args.repeat):  # rounds interleave the modes: load hits all alike
            for name in names:
                row = run_mode(name, images, work, examine, **modes[name])
                row["round"] = rep + 1
                rows.append(row)
                print(json.dumps(row), flush=True)
    # best round per mode: on a shared machine the fastest run is the one least disturbed
    by = {}
    for name in names:
        runs = [r for r in rows if r["mode"] == name]
        best = max(runs, key=lambda r: r["docs_per_s"])
        rates = sorted(r["docs_per_s"] for r in runs)
        by[name] = dict(best, median_docs_per_s=rates[len(rates) // 2])
    print()
    print(f"best of {args.repeat} rounds:")
    print(f"{'mode':8} {'docs/s':>8} {'median':>8} {'docs/s wall':>12} {'startup s':>10} "
          f"{'load':>10}")
    for r in by.values():
        print(f"{r['mode']:8} {r['docs_per_s']:8.2f} {r['median_docs_per_s']:8.2f} "
              f"{r['docs_per_s_wall']:12.2f} {r['startup_s']:10.2f} "
              f"{r['load_before']:5.2f}>{r['load_after']:<4.2f}")
    verdicts = []
    if "local1" in by and "local2" in by:
        speedup = by["local2"]["docs_per_s"] / by["local1"]["docs_per_s"]
        verdicts.append(f"speed-up 1 -> 2 processes: {speedup:.2f}x (target >= 1.8x): "
                        f"{'PASS' if speedup >= 1.8 else 'FAIL'}")
    if "local2" in by and "dask2" in by:
        ratio = by["dask2"]["docs_per_s"] / by["local2"]["docs_per_s"]
        verdicts.append(f"Dask 2 workers / 2 local processes: {ratio:.2f} (target >= 0.85): "
                        f"{'PASS' if ratio >= 0.85 else 'FAIL'}")
    for v in verdicts:
        print(v)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "best": by, "verdicts": verdicts},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
