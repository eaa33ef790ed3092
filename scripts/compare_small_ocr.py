#!/usr/bin/env python3
"""Compare small-glyph cell networks on the MRZ benchmark's images, one process, one thread.

Each image is read by ``docfraud.mrz.read`` with the first network as the small-glyph
classifier (``ocr.small_glyph_classifier``: lines whose glyphs are under
``read.SMALL_GLYPH_BELOW`` px). Only where that classifier classified at least one cell
is the image read again with each other network; elsewhere the same code runs on the same
pixels and the readings cannot differ (the reader's fallbacks are budgeted in work, not
time), so the first reading is copied. The images are those of
``scripts/bench_mrz_read.py`` for the same seeds (``rendered:SEED:N`` = ``--rendered-seed
SEED --synthetic N --sets rendered``, ``synth:SEED:N`` = ``--synth-seed SEED --synthetic N
--sets synth_docs``, ``specimens`` = the 38 legible specimens, read in place).

``cells:SEED:N`` is not read by the reader: it is the held-out cell accuracy of each
network on the cells of N training-style lines from seed SEED (use 910000+: training
lines use seeds from 1000, validation from 900000) at 6-12 px glyph height, blurred up to
1.3 px, cut as the reader cuts (``scripts/train_mrz_ocr.py``'s ``build`` with
``--reader-cut --small-glyphs`` and all lines small): the seventh round's measure.

Per image the JSON file holds, for each network: the reading, character-perfect or not,
characters wrong, whether the small-glyph network was used, the read's work units and its
CPU time (``time.process_time``). The file is written after each set, and sets already in
it are not run again (so a long run can be resumed). Printed: per set and network the
images read character-perfect, characters wrong, and the median and largest CPU time of
the images that reached the small-glyph network; then the images on which the networks
disagree.

Usage (the seventh and eleventh rounds' development comparison):
    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/compare_small_ocr.py OUT.json \\
        models/mrz_ocr_small.onnx NEW.onnx -- specimens rendered:5200000:200 synth:6200000:100
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from docfraud.mrz import ocr  # noqa: E402

log = logging.getLogger(__name__)


class WatchedClassifier(ocr.CellClassifier):
    """A cell classifier that records whether it classified any cell since ``reset``."""

    def __init__(self, inner: ocr.CellClassifier) -> None:
        super().__init__(inner._net)
        self.used = False

    def reset(self) -> None:
        self.used = False

    def logits(self, crops: NDArray[np.float32]) -> NDArray[np.float32]:
        """(B, CELL_H, CELL_W) float32 crops -> (B, 37) float32 logits; B > 0 marks it used."""
        if len(crops):
            self.used = True
        return super().logits(crops)


def read_with(image: Any, small: WatchedClassifier, truth: list[str]) -> dict[str, Any]:
    """Read ``image`` (path or (H, W, 3) uint8 array) with ``small`` as the small-glyph
    classifier; the reading scored against ``truth`` (MRZ lines)."""
    from bench_mrz_read import chars_wrong

    rd = importlib.import_module("docfraud.mrz.read")  # docfraud.mrz.read is also a function

    saved = ocr.small_glyph_classifier
    ocr.small_glyph_classifier = lambda: small  # type: ignore[assignment]
    small.reset()
    try:
        t = time.process_time()
        res = rd.read(image)
        cpu = time.process_time() - t
    finally:
        ocr.small_glyph_classifier = saved
    lines = list(res.lines) if res.found else []
    return {"lines": lines, "ok": lines == truth, "wrong": chars_wrong(lines, truth),
            "small": small.used, "work": res.extra.get("work") if res.found else None,
            "glyph_height": res.extra.get("glyph_height") if res.found else None,
            "cpu": round(cpu, 4), "reread": False}


def compare(image: Any, truth: list[str], nets: list[WatchedClassifier]) -> list[dict[str, Any]]:
    """One result per network (read_with); networks after the first read the image again
    only if the first one's read used the small-glyph classifier (else copies, reread False)."""
    first = read_with(image, nets[0], truth)
    out = [first]
    for net in nets[1:]:
        if first["small"]:
            r = read_with(image, net, truth)
            r["reread"] = True
            out.append(r)
        else:
            out.append(dict(first))
    return out


def cases(spec: str) -> Iterator[tuple[str, list[str], Any]]:
    """(image id, truth lines, image) for a set spec (module docstring)."""
    import bench_mrz_read as bench

    kind, *rest = spec.split(":")
    if kind == "rendered" and len(rest) == 2:
        s0, n = int(rest[0]), int(rest[1])
        for i, (lines, img) in enumerate(bench.synthetic_cases(n, s0)):
            yield f"r{s0 + i}", list(lines), img
    elif kind == "synth" and len(rest) == 2:
        seed, n = int(rest[0]), int(rest[1])
        for i, (lines, img) in enumerate(bench.synth_documents(n, seed) or []):
            yield f"s{seed}/{i}", list(lines), img
    elif kind == "specimens" and not rest:
        truth = json.loads((bench.DEFAULT_SPECIMENS / "truth.json").read_text())
        for e in truth:
            if e.get("legible") and e.get("mrz"):
                yield e["file"], list(e["mrz"]), bench.DEFAULT_SPECIMENS / "images" / e["file"]
    else:
        raise SystemExit(f"bad set {spec!r}: rendered:SEED:N, synth:SEED:N or specimens")


def cell_accuracy(spec: str, nets: list[WatchedClassifier]) -> dict[str, Any]:
    """``cells:SEED:N`` (module docstring): cells, lines dropped, cells right per network."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import train_mrz_ocr

    _, seed, n = spec.split(":")
    x, y, dropped = train_mrz_ocr.build(range(int(seed), int(seed) + int(n)), small_glyphs=True,
                                        reader_cut=True, small_share=1.0)
    right = [int((net.predict(x).argmax(axis=1) == y).sum()) for net in nets]
    return {"cells": len(y), "dropped": dropped, "right": right}


def summary(rows: list[dict[str, Any]], k: int) -> str:
    """One network's (index ``k``) figures over a set's rows."""
    res = [r["res"][k] for r in rows]
    cpu = [x["cpu"] for x in res if x["small"]]
    timing = (f", small-glyph images {len(cpu)}: CPU median {1000 * statistics.median(cpu):.0f} ms"
              f" max {1000 * max(cpu):.0f} ms" if cpu else ", no small-glyph image")
    return (f"{sum(x['ok'] for x in res)}/{len(res)} perfect, {sum(x['wrong'] for x in res)} "
            f"wrong, CPU max {1000 * max(x['cpu'] for x in res):.0f} ms{timing}")


def main(argv: list[str] | None = None) -> int:
    import cv2

    argv = list(sys.argv[1:] if argv is None else argv)
    k = argv.index("--") if "--" in argv else len(argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 usage="%(prog)s OUT.json MODEL.onnx [MODEL.onnx ...] -- SET ...")
    ap.add_argument("out", type=Path, help="JSON file (resumed if it exists)")
    ap.add_argument("models", type=Path, nargs="+",
                    help="small-glyph ONNX files (the first is the reference)")
    args = ap.parse_args(argv[:k])
    models: list[Path] = args.models
    specs = argv[k + 1:]
    if not specs:
        ap.error("give the sets after --: rendered:SEED:N, synth:SEED:N, specimens")
    cv2.setNumThreads(1)
    logging.basicConfig(level=logging.WARNING)
    nets = [WatchedClassifier(ocr.CellClassifier.load(m)) for m in models]
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    if any(not s.startswith("cells:") for s in specs):
        # warm up (imports, lazy model loads) so that the first image's CPU time is its read's
        warm = next(cases("rendered:5400030:1"))  # 6.4 px glyphs: the small-glyph path
        for net in nets:
            read_with(warm[2], net, warm[1])
    for spec in specs:
        if spec in results:
            continue
        t0 = time.time()
        if spec.startswith("cells:"):
            results[spec] = cell_accuracy(spec, nets)
            n = results[spec]["cells"]
        else:
            results[spec] = [{"id": key, "res": compare(img, truth, nets)}
                             for key, truth, img in cases(spec)]
            n = len(results[spec])
        args.out.write_text(json.dumps(results))
        print(f"{spec}: {n} {'cells' if spec.startswith('cells:') else 'images'}, "
              f"{time.time() - t0:.0f} s", flush=True)
    for spec in specs:
        print(spec)
        if spec.startswith("cells:"):
            c = results[spec]
            for m, right in zip(models, c["right"], strict=True):
                print(f"  {m}: {right / c['cells']:.4f} of {c['cells']} cells "
                      f"({c['cells'] - right} wrong; {c['dropped']} lines dropped)")
            continue
        rows = results[spec]
        for j, m in enumerate(models):
            print(f"  {m}: {summary(rows, j)}")
        for r in rows:
            oks = [x["ok"] for x in r["res"]]
            if len(set(oks)) > 1:
                print(f"  differs: {r['id']} " + " ".join(
                    f"{'right' if ok else 'wrong'}({x['wrong']})" for ok, x in zip(oks, r["res"],
                                                                                  strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
