"""``docfraud mrz``: parse and validate MRZ text (or, with --image, read it from an image)."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from typing import Any

from docfraud.errors import EXIT_OK, EXIT_REFER, InputError


def add_parser(sub: Any, name: str) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="parse and validate an MRZ",
        description=(
            "Parse and validate machine readable zone text (ICAO 9303), or read it from an "
            "image with --image. Give the lines as arguments or on standard input, one per "
            "line. Prints the result as JSON. Exit status: 0 all checks pass, 10 some check "
            "failed or no MRZ found in the image, 2 malformed input or unreadable image."
        ),
    )
    p.add_argument("lines", nargs="*", metavar="LINE", help="MRZ lines (default: read stdin)")
    p.add_argument("--image", metavar="FILE",
                   help="read the MRZ from a document image instead of text")
    p.add_argument("--no-tesseract", action="store_true",
                   help="with --image: use only docfraud's own recogniser")
    p.add_argument("--format", choices=["TD1", "TD2", "TD3", "MRVA", "MRVB", "FRA_ID"],
                   help="force the MRZ format instead of detecting it (text only)")
    p.add_argument("--repair", action="store_true",
                   help="repair typical OCR confusions before validating (always done "
                        "with --image)")
    p.add_argument("--today", type=_dt.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="judge expiry against this date instead of today")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from docfraud.mrz import parse

    if args.image:
        if args.lines:
            raise InputError("give either MRZ lines or --image, not both")
        if args.format:
            raise InputError("--format applies to MRZ text only; with --image the reader "
                             "finds the format itself")
        from docfraud.commands.mrz_image import run_image

        return run_image(args)
    if args.no_tesseract:
        raise InputError("--no-tesseract applies to --image only")
    lines: list[str] = list(args.lines)
    if not lines:
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("give the MRZ lines as arguments or on standard input")
        # a byte-order mark: text files saved by Windows editors start with one
        lines = [x for x in sys.stdin.read().lstrip("\ufeff").splitlines() if x.strip()]
    result = parse(lines, format=args.format, repair=args.repair, today=args.today)
    print(json.dumps(result.to_dict(), indent=None if args.compact else 2, ensure_ascii=False))
    return EXIT_OK if result.valid else EXIT_REFER
