"""``docfraud report``: per-document examination report from the case database."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from docfraud.commands._output import check_output_file, database_file
from docfraud.errors import EXIT_OK, InputError


def add_parser(sub: Any, name: str) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="HTML examination report of one document in a case database",
        description=(
            "Write a self-contained HTML report of one stored document: the image with "
            "heatmaps and finding regions overlaid, the findings, the MRZ, the forgery "
            "signature and the series it belongs to."
        ),
    )
    p.add_argument("--db", required=True, metavar="URL", help="case database (file or URL)")
    p.add_argument("--doc", required=True, metavar="SHA|FILE",
                   help="the document: its sha256 (or a unique prefix of 6+ hex digits) or a "
                        "file path it was examined under")
    p.add_argument("--html", required=True, metavar="FILE", help="where to write the report")
    p.add_argument("--clusters", metavar="FILE",
                   help="clusters.json from `docfraud cluster`, to name the document's series")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from docfraud.report.document import render_document_report, series_from_clusters
    from docfraud.store import Store

    check_output_file(args.html, option="--html",
                      inputs=[database_file(args.db), args.clusters])
    with Store(args.db, create=False) as store:
        sha = store.resolve(args.doc)
        record = store.get(sha)
    extra: list[dict[str, Any]] = []
    if args.clusters:
        try:
            with open(args.clusters, encoding="utf-8") as fh:
                clusters = json.load(fh)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read clusters file {args.clusters}: {exc}") from None
        if not isinstance(clusters, dict) or not isinstance(clusters.get("series", []), list):
            raise InputError(f"--clusters {args.clusters}: not the output of `docfraud "
                             "cluster --out` (a JSON object with a 'series' list)")
        known = {str(s.get("id")) for s in record["series"]}
        extra = [s for s in series_from_clusters(clusters, sha256=sha, files=record["files"])
                 if str(s.get("id")) not in known]
    html = render_document_report(record, extra_series=extra)
    try:
        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(html)
    except OSError as exc:
        raise InputError(f"cannot write {args.html}: {exc.strerror or exc}") from None
    print(f"docfraud report: {sha[:12]} -> {args.html}", file=sys.stderr)
    return EXIT_OK
