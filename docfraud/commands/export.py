"""``docfraud export``: write the case database as CSV or JSON lines."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from docfraud.commands._output import check_output_file, database_file, writing
from docfraud.errors import EXIT_OK

CSV_COLUMNS = (
    "sha256", "file", "files", "status", "verdict", "risk_score", "mrz_found", "mrz_valid",
    "mrz_format", "document_code", "issuing_state", "document_number", "surname",
    "given_names", "nationality", "birth_date", "sex", "expiry_date", "n_findings",
    "finding_codes", "error", "examined_at", "elapsed_ms", "worker",
)


def add_parser(sub: Any, name: str) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="export the case database as CSV or JSON lines",
        description="Write one row (CSV) or one JSON object per line (JSONL) per document.",
    )
    p.add_argument("--db", required=True, metavar="URL", help="case database (file or URL)")
    p.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    p.add_argument("--out", "-o", metavar="FILE",
                   help="output file (default, or '-': standard output)")
    p.add_argument("--status", choices=["done", "failed", "all"], default="all",
                   help="which documents (default: all)")
    p.set_defaults(run=run)


def _cell(value: Any) -> Any:
    # file names in a seizure are hostile input: keep spreadsheets from running them
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    """Flatten one stored record (from :meth:`docfraud.store.Store.iter_records`)."""
    result = rec.get("result") or {}
    raw_mrz = result.get("mrz")
    mrz: dict[str, Any] = raw_mrz if isinstance(raw_mrz, dict) else {}
    raw_fields = mrz.get("fields")
    fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
    raw_findings = result.get("findings")
    findings: list[Any] = raw_findings if isinstance(raw_findings, list) else []
    row: dict[str, Any] = {
        "sha256": rec["sha256"], "file": rec["file"], "files": " | ".join(rec["files"]),
        "status": rec["status"], "verdict": rec["verdict"], "risk_score": rec["risk_score"],
        "mrz_found": mrz.get("found") if mrz else None,
        "mrz_valid": mrz.get("valid") if mrz else None,
        "mrz_format": mrz.get("format") if mrz else None,
        "n_findings": rec["n_findings"],
        "finding_codes": ";".join(str(f.get("code")) for f in findings if isinstance(f, dict)),
        "error": rec["error"],
        "examined_at": rec["examined_at"].isoformat() if rec["examined_at"] else None,
        "elapsed_ms": None if rec["elapsed_ms"] is None else round(rec["elapsed_ms"], 1),
        "worker": rec["worker"],
    }
    for key in ("document_code", "issuing_state", "document_number", "surname", "given_names",
                "nationality", "birth_date", "sex", "expiry_date"):
        row[key] = fields.get(key)
    return {k: _cell(v) for k, v in row.items()}


def json_record(rec: dict[str, Any]) -> dict[str, Any]:
    """One JSONL object: the screen result plus ``status``, ``files``, ``error``, time."""
    out: dict[str, Any] = dict(rec.get("result") or {})
    out.update(sha256=rec["sha256"], file=rec["file"], files=rec["files"], status=rec["status"],
               signature=rec["signature"], error=rec["error"],
               examined_at=rec["examined_at"].isoformat() if rec["examined_at"] else None)
    out.setdefault("findings", [])
    return out


def export(db: str, fh: IO[str], *, format: str = "csv", status: str | None = None) -> int:
    """Write the database to ``fh``; returns the number of documents written."""
    from docfraud.store import Store

    n = 0
    with Store(db, create=False) as store:
        records: Iterator[dict[str, Any]] = store.iter_records(status=status)
        if format == "csv":
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for rec in records:
                writer.writerow(csv_row(rec))
                n += 1
        else:
            for rec in records:
                fh.write(json.dumps(json_record(rec), ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
    return n


def run(args: argparse.Namespace) -> int:
    status = None if args.status == "all" else args.status
    if args.out and args.out != "-":
        from docfraud.store import Store

        check_output_file(args.out, option="--out", inputs=[database_file(args.db)])
        with Store(args.db, create=False):
            pass  # a bad --db fails here, before an existing output file is emptied
        with writing(args.out, option="--out"), open(args.out, "w", encoding="utf-8",
                                                     newline="") as fh:
            n = export(args.db, fh, format=args.format, status=status)
        print(f"docfraud export: {n} documents -> {args.out}", file=sys.stderr)
    else:
        export(args.db, sys.stdout, format=args.format, status=status)
    return EXIT_OK
