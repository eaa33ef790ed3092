#!/usr/bin/env python3
"""Benchmark MRZ reading from images: docfraud.mrz.read against PassportEye's read_mrz.

For every specimen image (truth.json in --specimens) both readers run in this same
process, one after the other, and the script prints per image: all lines
character-perfect or not, characters wrong, and time; then totals. A reader's text
counts as character-perfect only if every line equals the hand-verified truth.
Characters wrong: per line, positions that differ (a missing or extra character
counts as wrong; a missing line counts all its characters).

"Fully valid" means every check digit passes (PassportEye: valid_score 100; docfraud:
MrzResult.check_digits_valid), whatever the text.

A second part reads two synthetic sets, on seeds never used in training:
1. MRZs made by docfraud.mrz.generate from random fields (seeds from 5_000_000),
   rendered in OCR-B on a card with clutter, then rotated (any angle),
   perspective-warped, resized to 500-1400 px, blurred and JPEG-compressed
   (docfraud.mrz.render.synthetic_mrz_image);
2. genuine documents from docfraud.synth (seed 6_000_000): full page designs,
   captured as scans or phone photos (quarter turns, tilt, perspective, glare,
   blur, noise, JPEG/PNG).

The last part measures start-up: a fresh interpreter that imports docfraud and reads
one specimen (what a screening script pays per call).

Usage:
    PYTHONPATH=. python scripts/bench_mrz_read.py [--specimens ../shared/benchmarks/mrz-specimens]
        [--synthetic 200] [--rendered-seed 5000000] [--synth-seed 6000000]
        [--sets rendered,synth_docs] [--no-specimens] [--failures] [--no-passporteye]
        [--markdown] [--json FILE] [--ocr-model FILE] [--small-ocr-model FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import random
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_SPECIMENS = ROOT.parent / "shared" / "benchmarks" / "mrz-specimens"
SYNTH_SEED0 = 5_000_000
#: docfraud.synth dataset seed for the benchmark (never used while developing the reader)
SYNTH_DOC_SEED = 6_000_000


def chars_wrong(got: list[str], truth: list[str]) -> int:
    wrong = 0
    for i, t in enumerate(truth):
        g = got[i] if i < len(got) else ""
        wrong += sum(1 for a, b in zip(g, t, strict=False) if a != b) + abs(len(g) - len(t))
    for g in got[len(truth):]:
        wrong += len(g)
    return wrong


def run_docfraud(path: Path | Any) -> tuple[list[str], bool, float]:
    from docfraud.mrz.read import read

    t = time.perf_counter()
    res = read(path)
    dt = time.perf_counter() - t
    return (list(res.lines) if res.found else []), bool(res.check_digits_valid), dt


def run_passporteye(path: Path) -> tuple[list[str], bool, float]:
    from passporteye import read_mrz

    t = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mrz = read_mrz(str(path))
    except Exception:
        mrz = None
    dt = time.perf_counter() - t
    if mrz is None:
        return [], False, dt
    d = mrz.to_dict()
    return str(d.get("raw_text", "")).split("\n"), int(d.get("valid_score", 0)) == 100, dt


def startup_seconds(image: Path) -> float:
    code = (
        "import time; t=time.perf_counter(); from docfraud.mrz.read import read; "
        f"r=read({str(image)!r}); print(time.perf_counter()-t)"
    )
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                   cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - t


#: MRZ contents of the rendered set are drawn relative to this date, so a seed gives the
#: same set on every day the benchmark runs
RENDERED_TODAY = datetime.date(2026, 11, 28)


def synthetic_cases(n: int, seed0: int = SYNTH_SEED0) -> list[tuple[list[str], Any]]:
    from docfraud.mrz import generate
    from docfraud.mrz.generate import random_fields
    from docfraud.mrz.render import synthetic_mrz_image

    cases = []
    for i in range(n):
        seed = seed0 + i
        rng = random.Random(seed)
        fmt = ["TD3", "TD1", "TD2", "MRVA", "MRVB"][i % 5]
        lines = generate(random_fields(rng, fmt, today=RENDERED_TODAY), format=fmt)
        img = synthetic_mrz_image(lines, seed=seed)
        cases.append((lines, img))
    return cases


def synth_documents(n: int, seed: int = SYNTH_DOC_SEED) -> list[tuple[list[str], Any]] | None:
    """Genuine synthetic documents from docfraud.synth with their printed MRZ (None if absent)."""
    try:
        from docfraud.synth.dataset import iter_documents
    except ImportError:
        return None
    return [(list(d.truth["mrz"]["printed"]), d.image)
            for d in iter_documents(genuine=n, workshops=0, forged=0, seed=seed)]


def use_model(path: Path, *, small: bool = False) -> None:
    """Make docfraud.mrz.read classify cells with the ONNX file at ``path`` (small: for
    lines of small glyphs, read.SMALL_GLYPH_BELOW; else for the others)."""
    from docfraud.mrz import ocr

    clf = ocr.CellClassifier.load(path)
    if small:
        ocr.small_glyph_classifier = lambda: clf  # type: ignore[assignment]
    else:
        ocr.default_classifier = lambda: clf  # type: ignore[assignment]
    print(f"cell CNN{' (small glyphs)' if small else ''}: {path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--specimens", type=Path, default=DEFAULT_SPECIMENS)
    ap.add_argument("--synthetic", type=int, default=200, help="synthetic images (0: skip)")
    ap.add_argument("--rendered-seed", type=int, default=SYNTH_SEED0,
                    help="first seed of the rendered-MRZ set (default %(default)s)")
    ap.add_argument("--synth-seed", type=int, default=SYNTH_DOC_SEED,
                    help="docfraud.synth dataset seed (default %(default)s)")
    ap.add_argument("--no-specimens", action="store_true",
                    help="skip the specimen part and start-up (synthetic sets only)")
    ap.add_argument("--failures", action="store_true",
                    help="print each synthetic miss (seed/index, truth and reading)")
    ap.add_argument("--sets", default="rendered,synth_docs",
                    help="synthetic sets to run, comma-separated (default %(default)s)")
    ap.add_argument("--no-passporteye", action="store_true")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--json", type=Path, help="also write all figures to this file")
    ap.add_argument("--ocr-model", type=Path,
                    help="read with this cell-CNN ONNX file instead of models/mrz_ocr.onnx "
                         "(to compare retrained weights; the start-up figure still uses models/)")
    ap.add_argument("--small-ocr-model", type=Path,
                    help="the same for lines of small glyphs, instead of "
                         "models/mrz_ocr_small.onnx")
    args = ap.parse_args(argv)
    if args.ocr_model is not None:
        use_model(args.ocr_model)
    if args.small_ocr_model is not None:
        use_model(args.small_ocr_model, small=True)
    logging.basicConfig(level=logging.WARNING)
    summary: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    first: Path | None = None
    if not args.no_specimens:
        truth = json.loads((args.specimens / "truth.json").read_text())
        legible = [e for e in truth if e.get("legible") and e.get("mrz")]
        use_pe = not args.no_passporteye

        # warm both readers up on one image (imports, model load) so per-image times
        # compare reading, not start-up; start-up is measured separately below
        first = args.specimens / "images" / legible[0]["file"]
        run_docfraud(first)
        if use_pe:
            run_passporteye(first)

        for e in legible:
            path = args.specimens / "images" / e["file"]
            d_lines, d_valid, d_t = run_docfraud(path)
            row = {"file": e["file"], "format": e["format"], "df_perfect": d_lines == e["mrz"],
                   "df_wrong": chars_wrong(d_lines, e["mrz"]), "df_valid": d_valid, "df_s": d_t}
            if use_pe:
                p_lines, p_valid, p_t = run_passporteye(path)
                row.update({"pe_perfect": p_lines == e["mrz"],
                            "pe_wrong": chars_wrong(p_lines, e["mrz"]),
                            "pe_valid": p_valid, "pe_s": p_t})
            rows.append(row)

        def yn(b: bool) -> str:
            return "yes" if b else "no"

        if args.markdown:
            head = "| image | format | docfraud perfect | wrong | time (ms) |"
            sep = "|---|---|---|---:|---:|"
            if use_pe:
                head += " PassportEye perfect | wrong | valid | time (ms) |"
                sep += "---|---:|---|---:|"
            print(head)
            print(sep)
        else:
            hdr = f"{'image':22} {'fmt':5} {'df perfect':>10} {'wrong':>5} {'ms':>6}"
            if use_pe:
                hdr += f" | {'PE perfect':>10} {'wrong':>5} {'valid':>5} {'ms':>6}"
            print(hdr)
        for r in rows:
            if args.markdown:
                line = (f"| {r['file']} | {r['format']} | {yn(r['df_perfect'])} | "
                        f"{r['df_wrong']} | {1000 * r['df_s']:.0f} |")
                if use_pe:
                    line += (f" {yn(r['pe_perfect'])} | {r['pe_wrong']} | {yn(r['pe_valid'])} | "
                             f"{1000 * r['pe_s']:.0f} |")
            else:
                line = (f"{r['file']:22} {r['format']:5} {yn(r['df_perfect']):>10} "
                        f"{r['df_wrong']:>5} {1000 * r['df_s']:6.0f}")
                if use_pe:
                    line += (f" | {yn(r['pe_perfect']):>10} {r['pe_wrong']:>5} "
                             f"{yn(r['pe_valid']):>5} {1000 * r['pe_s']:6.0f}")
            print(line)
        n = len(rows)
        summary.update({
            "images": n,
            "docfraud_perfect": sum(r["df_perfect"] for r in rows),
            "docfraud_chars_wrong": sum(r["df_wrong"] for r in rows),
            "docfraud_fully_valid": sum(r["df_valid"] for r in rows),
            "docfraud_median_ms": 1000 * statistics.median(r["df_s"] for r in rows),
            "docfraud_max_ms": 1000 * max(r["df_s"] for r in rows),
            "docfraud_total_s": sum(r["df_s"] for r in rows),
        })
        if use_pe:
            summary.update({
                "passporteye_perfect": sum(r["pe_perfect"] for r in rows),
                "passporteye_chars_wrong": sum(r["pe_wrong"] for r in rows),
                "passporteye_fully_valid": sum(r["pe_valid"] for r in rows),
                "passporteye_median_ms": 1000 * statistics.median(r["pe_s"] for r in rows),
                "passporteye_max_ms": 1000 * max(r["pe_s"] for r in rows),
                "passporteye_total_s": sum(r["pe_s"] for r in rows),
            })
        print()
        print(f"specimens: {n} legible MRZs")
        print(f"  docfraud:    {summary['docfraud_perfect']}/{n} character-perfect "
              f"({100 * summary['docfraud_perfect'] / n:.1f} %), {summary['docfraud_chars_wrong']} "
              f"characters wrong, {summary['docfraud_fully_valid']} fully valid; median "
              f"{summary['docfraud_median_ms']:.0f} ms, max {summary['docfraud_max_ms']:.0f} ms, "
              f"total {summary['docfraud_total_s']:.1f} s")
        if use_pe:
            print(f"  PassportEye: {summary['passporteye_perfect']}/{n} character-perfect "
                  f"({100 * summary['passporteye_perfect'] / n:.1f} %), "
                  f"{summary['passporteye_chars_wrong']} characters wrong, "
                  f"{summary['passporteye_fully_valid']} fully valid; median "
                  f"{summary['passporteye_median_ms']:.0f} ms, max "
                  f"{summary['passporteye_max_ms']:.0f} ms, "
                  f"total {summary['passporteye_total_s']:.1f} s")
            print(f"  median time ratio docfraud/PassportEye: "
                  f"{summary['docfraud_median_ms'] / summary['passporteye_median_ms']:.3f}")

    if args.synthetic > 0:
        n, r0, d0 = args.synthetic, args.rendered_seed, args.synth_seed
        sets: list[tuple[str, str, list[tuple[list[str], Any]]]] = []
        if "rendered" in args.sets:
            sets.append((f"rendered MRZs (seeds {r0}..{r0 + n - 1}; any rotation 0-360, "
                         "perspective, blur, JPEG)", "rendered", synthetic_cases(n, r0)))
        docs = synth_documents(n, d0) if "synth_docs" in args.sets else None
        if docs is not None:
            sets.append((f"docfraud.synth documents (genuine, seed {d0}; scans and "
                         "phone photos, quarter turns, tilt, perspective, glare, blur, JPEG)",
                         "synth_docs", docs))
        for label, key, cases in sets:
            perfect = wrong = 0
            times = []
            for k, (lines, img) in enumerate(cases):
                got, _, dt = run_docfraud(img)
                times.append(dt)
                ok = got == list(lines)
                perfect += ok
                wrong += chars_wrong(got, list(lines))
                if args.failures and not ok:
                    tag = f"seed {r0 + k}" if key == "rendered" else f"document {k}"
                    print(f"  miss {key} {tag} ({1000 * dt:.0f} ms): "
                          f"{chars_wrong(got, list(lines))} wrong")
                    for i, t in enumerate(lines):
                        g = got[i] if i < len(got) else "-"
                        print(f"    truth {t}\n    read  {g}")
            summary.update({f"{key}_images": len(cases), f"{key}_perfect": perfect,
                            f"{key}_chars_wrong": wrong,
                            f"{key}_median_ms": 1000 * statistics.median(times),
                            f"{key}_max_ms": 1000 * max(times)})
            print(f"{label}: {perfect}/{len(cases)} character-perfect "
                  f"({100 * perfect / len(cases):.1f} %), {wrong} characters wrong, median "
                  f"{1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms")

    if first is not None:
        start = startup_seconds(first)
        summary["startup_first_result_s"] = start
        print(f"start-up: fresh interpreter + import + first result ({first.name}): {start:.2f} s")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
