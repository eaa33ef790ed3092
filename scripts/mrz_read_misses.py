#!/usr/bin/env python3
"""Print every MRZ the reader gets wrong on a synthetic set, character by character.

For development sets only (never run it on a held-out set: what it shows invites
changes). The images are those of scripts/bench_mrz_read.py with the same seeds. For
each image read wrong the script prints the truth, the reading and the CNN's reading
before repairs line by line, the glyph height the locator measured (lines under
docfraud.mrz.read.SMALL_GLYPH_BELOW px go to the small-glyph network), the work the read
did, and for every wrong character its field, the CNN's three most probable classes
before the field priors and the three most probable after them (the probabilities the
repair step works with), and the repairs made.

Usage:
    PYTHONPATH=. python scripts/mrz_read_misses.py [--synthetic 100]
        [--rendered-seed 5200000] [--synth-seed 6200000] [--sets rendered,synth_docs]
        [--images 30,39] [--small-ocr-model FILE]

--images: only these image indices of each set; --small-ocr-model: another small-glyph
network (ONNX) instead of models/mrz_ocr_small.onnx, as in scripts/bench_mrz_read.py.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def _top(p: Any, k: int = 3) -> str:
    from docfraud.mrz import ocr

    order = np.argsort(-p)[:k]
    return " ".join(f"{ocr.ALPHABET[j]} {float(p[j]):.2f}" for j in order)


def describe(truth: list[str], image: Any) -> list[str] | None:
    """Read ``image``; None if it reads ``truth`` exactly, else the lines to print."""
    from docfraud.mrz import ocr

    rd = importlib.import_module("docfraud.mrz.read")
    caught: list[Any] = []
    real_shift = rd._shift_lines

    def shift(reading: Any, clf: Any) -> None:
        real_shift(reading, clf)
        caught.append(reading)  # the chosen reading, its grid final, before the repairs

    rd._shift_lines = shift
    try:
        res = rd.read(image)
    finally:
        rd._shift_lines = real_shift
    got = list(res.lines) if res.found else []
    if got == truth:
        return None
    if not res.found or not caught:
        return [f"  not found: {res.reason}"]
    reading = caught[-1]
    h = reading.hyp
    small = h.candidate.glyph_height < rd.SMALL_GLYPH_BELOW
    out = [f"  {reading.fmt.name}, glyph height {h.candidate.glyph_height:.1f} px "
           f"({'small-glyph' if small else 'default'} network), work {res.extra.get('work')}"]
    clf = ocr.small_glyph_classifier() if small else ocr.default_classifier()
    for li, t in enumerate(truth):
        g = got[li] if li < len(got) else ""
        raw = res.raw_lines[li] if li < len(res.raw_lines) else ""
        out += [f"  T {t}", f"  G {g}"] + ([f"  R {raw}"] if raw != g else [])
        if len(g) != len(t) or li >= len(h.cells):
            continue
        cells = h.cells[li]
        for p, (a, b) in enumerate(zip(t, g, strict=True)):
            if a == b:
                continue
            one = ocr.LineCells(cells.centers[p:p + 1], cells.pitch, cells.height, cells.fit_error)
            cnn = clf.predict(ocr.cell_crops(h.inks[li], one))[0]
            field = rd._field_name(reading.fmt, li, p) or "check digit"
            out.append(f"    line {li} pos {p:2d} ({field}): truth {a} read {b} | CNN "
                       f"{_top(cnn)} | after priors (moved crops) {_top(reading.probs[li][p])}")
    if res.repairs:
        out.append("  repairs: " + ", ".join(
            f"{r.get('line')}:{r.get('position')} {r.get('before')}->{r.get('after')}"
            for r in res.repairs))
    return out


def main(argv: list[str] | None = None) -> int:
    from bench_mrz_read import synth_documents, synthetic_cases, use_model

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--synthetic", type=int, default=100, help="images per set")
    ap.add_argument("--rendered-seed", type=int, default=5_200_000)
    ap.add_argument("--synth-seed", type=int, default=6_200_000)
    ap.add_argument("--sets", default="rendered,synth_docs")
    ap.add_argument("--images", default="",
                    help="comma-separated image indices of each set (default: all)")
    ap.add_argument("--small-ocr-model", type=Path,
                    help="small-glyph network ONNX file instead of models/mrz_ocr_small.onnx")
    args = ap.parse_args(argv)
    only = {int(i) for i in args.images.split(",") if i.strip()}
    if args.small_ocr_model is not None:
        use_model(args.small_ocr_model, small=True)

    sets: list[tuple[str, list[tuple[list[str], Any]]]] = []
    if "rendered" in args.sets:
        sets.append((f"rendered {args.rendered_seed}+",
                     synthetic_cases(args.synthetic, args.rendered_seed)))
    if "synth_docs" in args.sets:
        sets.append((f"synth {args.synth_seed}",
                     synth_documents(args.synthetic, args.synth_seed) or []))
    for name, cases in sets:
        wrong = 0
        for k, (truth, image) in enumerate(cases):
            if only and k not in only:
                continue
            lines = describe(list(truth), image)
            if lines is None:
                continue
            wrong += 1
            print(f"{name} image {k}: wrong")
            print("\n".join(lines))
        n = len(cases) if not only else len(only & set(range(len(cases))))
        print(f"{name}: {n - wrong}/{n} character-perfect")
    return 0


if __name__ == "__main__":
    sys.exit(main())
