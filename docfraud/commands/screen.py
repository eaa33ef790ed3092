"""``docfraud screen``: screen document images; JSON or a human summary, optional HTML."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from docfraud._text import printable
from docfraud.commands._output import check_output_file, check_output_folder, writing
from docfraud.errors import EXIT_USAGE, DocfraudError, InputError


def add_parser(sub: Any, name: str) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="screen document images (MRZ, forensic detectors, risk verdict)",
        description=(
            "Read the MRZ, run every forensic detector and fuse a risk score and verdict. "
            "Exit status: 0 clear, 10 refer, 20 reject (the worst over all images), "
            "2 bad usage or an unreadable image, 1 internal error."
        ),
    )
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object per image (one per line)")
    p.add_argument("--html", metavar="FILE",
                   help="write an HTML report (a folder of reports for several images)")
    p.add_argument("--signature", action="store_true",
                   help="add the forgery signature to the JSON (input for docfraud cluster)")
    p.add_argument("--detectors", metavar="NAMES",
                   help="comma-separated detectors to run (default: all)")
    p.set_defaults(run=run)


def _summary(report: Any) -> str:
    d = report.to_dict()
    mrz = d["mrz"]
    lines = [f"{printable(d['file'])}: {d['risk']['verdict'].upper()} "
             f"(risk {d['risk']['score']:.2f}, "
             f"{d['timing_ms'].get('total', 0):.0f} ms)"]
    if mrz["found"]:
        f = mrz["fields"]
        state = "valid" if mrz["valid"] else "INVALID"
        lines.append(f"  MRZ {mrz['format']}: {f.get('surname', '')}, {f.get('given_names', '')}"
                     f" | {f.get('document_number', '')} | born {f.get('birth_date')} | "
                     f"expires {f.get('expiry_date', '-')} | {state}")
    else:
        lines.append(f"  MRZ not found: {mrz['reason']}")
    for reason in d["risk"]["reasons"]:
        lines.append(f"  - {printable(reason)}")
    pages = d["image"].get("pages", 1)
    if pages > 1:
        lines.append(f"  note: the file holds {pages} pages; only the first was screened")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from docfraud.report.screen_html import render_screen_html
    from docfraud.screen import screen

    if args.signature and not args.json:
        raise InputError("--signature adds the forgery signature to the JSON: use it "
                         "with --json")
    names = None
    if args.detectors is not None:
        names = [n.strip() for n in args.detectors.split(",") if n.strip()]
        if not names:
            raise InputError("--detectors names no detector; leave it out to run them all")
        from docfraud.forensics.registry import get_detector

        for n in names:  # a usage error, once, not an "unreadable" line per image
            get_detector(n)
    html_dir: Path | None = None
    if args.html and len(args.images) > 1:
        html_dir = check_output_folder(args.html, option="--html")
    elif args.html:
        check_output_file(args.html, option="--html", inputs=args.images)
    worst = 0
    unreadable = False
    for i, image in enumerate(args.images):
        try:
            report = screen(image, detectors=names, file=image)
        except DocfraudError as exc:
            if exc.exit_code != EXIT_USAGE:
                raise
            unreadable = True
            print(f"docfraud screen: error: {printable(str(exc))}", file=sys.stderr)
            if args.json:
                print(json.dumps({"file": image, "error": str(exc)}))
            continue
        if args.json:
            record = report.to_dict()
            if args.signature:
                from docfraud.screen import extract_signature

                record["signature"] = extract_signature(report).to_dict()
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(_summary(report))
        if args.html:
            target = (html_dir / f"{i:03d}-{Path(image).stem}.html") if html_dir else Path(
                args.html)
            with writing(target, option="--html"):
                target.write_text(render_screen_html(report), encoding="utf-8")
        worst = max(worst, report.exit_code)
        sys.stdout.flush()
    return EXIT_USAGE if unreadable else worst
