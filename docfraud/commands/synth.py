"""``docfraud synth``: write a synthetic dataset of genuine and forged documents."""

from __future__ import annotations

import argparse
import collections
import logging
import time
from typing import Any

from docfraud.errors import EXIT_OK, InputError

logger = logging.getLogger(__name__)


def _names(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def add_parser(subparsers: Any, name: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help="generate synthetic documents with known forgeries and workshops",
        description=(
            "Write images/, masks/ (forged documents), truth.jsonl and workshops.json to OUT. "
            "The output is a deterministic function of the options and --seed."
        ),
    )
    parser.add_argument("--out", help="output folder (required unless --list)")
    parser.add_argument("--genuine", type=_count,
                        help="genuine documents (required unless --list)")
    parser.add_argument("--workshops", type=_count, default=0, help="forgery workshops")
    parser.add_argument("--seed", type=_count, default=0, help="random seed, 0 or more (default 0)")
    parser.add_argument(
        "--forged",
        type=_count,
        default=None,
        help="forgeries by lone forgers (default: as many as --genuine)",
    )
    parser.add_argument(
        "--per-workshop", type=_count, default=8, help="documents made by each workshop (default 8)"
    )
    parser.add_argument("--designs", help="comma-separated designs to use (default all)")
    parser.add_argument("--operators", help="comma-separated forgery operators (default all)")
    parser.add_argument(
        "--null-rate",
        type=float,
        default=0.25,
        help="share of genuine documents with a null edit (default 0.25)",
    )
    parser.add_argument(
        "--long-side",
        type=_count,
        nargs=2,
        metavar=("MIN", "MAX"),
        default=(1100, 1800),
        help="image long side range in pixels",
    )
    parser.add_argument(
        "--png-rate", type=float, default=0.12, help="share of PNG files (default 0.12)"
    )
    # docfraud.synth.capture.CAPTURE_KINDS, written out: importing it would load NumPy and
    # OpenCV into every docfraud command's start (a test keeps the two equal)
    parser.add_argument(
        "--capture", choices=("mixed", "lab"), default="mixed",
        help="mixed: phone photos and scans of any setting, each document its own (default); "
        "lab: every document on one flatbed scanner at one setting",
    )
    parser.add_argument("--workers", type=_count, default=1, help="processes (default 1)")
    parser.add_argument(
        "--list",
        action="store_true",
        help="list designs and operators, then exit",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from docfraud.synth import DESIGNS, OPERATORS, generate_dataset

    if args.list:
        for name, design in DESIGNS.items():
            print(f"design   {name:24s} {design.format}  {design.title[0].title()}")
        for name, spec in OPERATORS.items():
            print(f"operator {name:24s} {spec.label:8s} {spec.description}")
        return EXIT_OK
    if args.out is None or args.genuine is None:
        raise InputError("--out and --genuine are required (or --list)")
    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    start = time.perf_counter()
    truths = generate_dataset(
        args.out,
        genuine=args.genuine,
        workshops=args.workshops,
        seed=args.seed,
        forged=args.forged,
        per_workshop=args.per_workshop,
        designs=_names(args.designs),
        operators=_names(args.operators),
        workers=args.workers,
        null_rate=args.null_rate,
        long_side=tuple(args.long_side),
        png_rate=args.png_rate,
        capture=args.capture,
    )
    elapsed = time.perf_counter() - start
    labels = collections.Counter(t["label"] for t in truths)
    print(
        f"wrote {len(truths)} documents to {args.out} in {elapsed:.1f} s "
        f"({labels['genuine']} genuine, {labels['forged']} forged, "
        f"{len({t['workshop'] for t in truths if t['workshop']})} workshops)"
    )
    return EXIT_OK
