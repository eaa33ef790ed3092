"""``docfraud cluster``: link stored screen results into series and report them."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docfraud.commands._output import (
    check_output_file,
    check_output_folder,
    database_file,
    writing,
)
from docfraud.errors import EXIT_OK, InputError, ModelError


def add_parser(sub: Any, name: str) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="link documents into series (suspected common source) and report them",
        description=(
            "Link documents by forgery signature into series, each a suspected common "
            "source (workshop, network). Reads the case database (--db URL) or JSON lines "
            "written by `docfraud screen --json` or signature objects (--input FILE.jsonl). "
            "Writes clusters JSON (--out, default standard output), an HTML report (--html) "
            "and exports; --match FILE ranks the series a new document most likely belongs to."
        ),
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--db", metavar="URL", help="case database (docfraud.store)")
    src.add_argument("--input", metavar="FILE.jsonl", type=Path,
                     help="screen results or signatures, one JSON object per line "
                          "('-': standard input)")
    p.add_argument("--out", metavar="FILE", type=Path,
                   help="write clusters JSON here (default, or '-': standard output)")
    p.add_argument("--html", metavar="FILE", type=Path, help="write the HTML report here")
    p.add_argument("--graphml", metavar="FILE", type=Path, help="export GraphML")
    p.add_argument("--gexf", metavar="FILE", type=Path, help="export GEXF (Gephi)")
    p.add_argument("--anx", metavar="FILE", type=Path, help="export i2 Analyst's Notebook ANX")
    p.add_argument("--neo4j", metavar="DIR", type=Path, help="export Neo4j import CSV files")
    p.add_argument("--json-graph", metavar="FILE", type=Path,
                   help="export clusters JSON with the graph in node-link form")
    p.add_argument("--redact", action="store_true",
                   help="pseudonymise document ids, file names, numbers and portraits in all "
                        "outputs (for sharing between agencies)")
    p.add_argument("--redact-key", metavar="KEY",
                   help="key for pseudonyms (default $DOCFRAUD_REDACT_KEY, else random: "
                        "pseudonyms then match nothing outside this run)")
    p.add_argument("--match", metavar="FILE", type=Path,
                   help="a screen result or signature (JSON) of a new document: rank the "
                        "series it most likely belongs to ('-': standard input)")
    p.add_argument("--top", type=int, default=5, help="series listed by --match (default 5)")
    p.add_argument("--model", metavar="FILE", type=Path, help="link model JSON (default models/)")
    p.add_argument("--no-thumbnails", action="store_true", help="leave images out of the report")
    p.set_defaults(run=run)


def _signature(obj: Any, where: str) -> Any:
    from docfraud.signature import Signature, signature_from_record

    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    try:
        if "doc_id" in obj and "file" not in obj:
            return Signature.from_dict(obj)
        return signature_from_record(obj)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        # a screen result whose parts have the wrong JSON types ("findings": 7)
        raise InputError(f"{where}: malformed screen result ({type(exc).__name__}: {exc})"
                         ) from None


def _read_jsonl(path: Path) -> list[Any]:
    stdin = str(path) == "-"  # `docfraud screen ... --json --signature | docfraud cluster`
    if not stdin and not path.exists():
        raise InputError(f"input file not found: {path}")
    if not stdin and path.is_dir():
        raise InputError(f"--input {path} is a folder; give a JSON lines file")
    out = []
    unread = 0
    with (contextlib.nullcontext(sys.stdin.buffer) if stdin else path.open("rb")) as f:
        for no, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(f"{path}:{no}: not UTF-8 text (JSON lines expected)"
                                 ) from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{no}: not valid JSON ({exc.msg})") from exc
            if isinstance(obj, dict) and "error" in obj and "risk" not in obj:
                unread += 1  # `screen --json` line of a file it could not read: no document
                continue
            out.append(_signature(obj, f"{path}:{no}"))
    if unread:
        print(f"docfraud cluster: {unread} line(s) of {path} are files that could not be "
              "screened ('error'); left out", file=sys.stderr)
    return out


def _read_db(url: str) -> list[Any]:
    from collections import Counter

    from docfraud.store import iter_documents

    pairs = [(rec["sha256"], _signature(rec, f"{url} record")) for rec in iter_documents(url)]
    # documents are keyed by content: two can have been first seen under one name (a
    # rescan replaced the file; folders examined by relative paths), and those are
    # named by their sha256 instead
    taken = Counter(sig.doc_id for _, sig in pairs)
    for sha, sig in pairs:
        if taken[sig.doc_id] > 1:
            sig.doc_id = sha
    return [sig for _, sig in pairs]


def _stored_preview(store: Any, sig: Any) -> bytes | None:
    """A series member's preview image as the case database stores it (for a report made
    where the scans cannot be read), or None."""
    sha = sig.info.get("sha256")
    if not isinstance(sha, str):
        return None
    assets = store.get(sha)["assets"]
    return next((data for name, (_, data) in sorted(assets.items())
                 if name.startswith("preview.")), None)


def _read_match(path: Path) -> Any:
    # "-" and pipes (/dev/stdin): `docfraud screen new.jpg --json | docfraud cluster ...`
    if str(path) != "-" and not path.exists():
        raise InputError(f"--match file not found: {path}")
    if str(path) != "-" and path.is_dir():
        raise InputError(f"--match {path} is a folder; give the JSON file of one document")
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InputError(f"--match {path}: not UTF-8 text (a JSON object expected)") from None
    except OSError as exc:
        raise InputError(f"--match {path}: cannot read it: {exc.strerror or exc}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        lines = [x for x in text.splitlines() if x.strip()]
        if len(lines) != 1:
            raise InputError(f"--match {path}: expected one JSON object (screen result or "
                             "signature)") from None
        try:
            obj = json.loads(lines[0])
        except json.JSONDecodeError as exc:
            raise InputError(f"--match {path}: not valid JSON ({exc.msg})") from exc
    if isinstance(obj, dict) and "error" in obj and "risk" not in obj:
        raise InputError(f"--match {path}: the file could not be screened, so there is no "
                         f"document to match ({obj['error']})")
    return _signature(obj, f"--match {path}")


def run(args: argparse.Namespace) -> int:
    from docfraud.cluster import LinkModel, cluster, match
    from docfraud.report import (
        Redactor,
        build_view,
        view_to_dict,
        write_anx,
        write_gexf,
        write_graphml,
        write_html,
        write_json,
        write_neo4j_csv,
    )

    if args.top < 1:
        raise InputError("--top must be at least 1")
    if args.out is not None and str(args.out) == "-":
        args.out = None  # standard output, as without --out
    files = {"--out": args.out, "--html": args.html, "--graphml": args.graphml,
             "--gexf": args.gexf, "--anx": args.anx, "--json-graph": args.json_graph}
    inputs = [database_file(args.db), args.input, args.match, args.model]
    for option, path in files.items():
        if path is not None:
            check_output_file(path, option=option, inputs=inputs)
    if args.neo4j is not None:
        check_output_folder(args.neo4j, option="--neo4j")
    sigs = _read_db(args.db) if args.db else _read_jsonl(args.input)
    try:
        model = LinkModel.load(args.model)
    except ModelError as exc:
        if args.model is None:
            raise  # the shipped model: an installation fault (exit 1)
        raise InputError(f"--model: {exc}") from None  # the user's file: bad input
    query = _read_match(args.match) if args.match else None
    result = cluster(sigs, model=model)
    redactor = None
    if args.redact:
        key = args.redact_key or os.environ.get("DOCFRAUD_REDACT_KEY")
        redactor = Redactor(key)
    # thumbnails appear in the HTML report only: made (and fetched from the case
    # database where the scans cannot be read) only for it
    thumbnails = args.html is not None and not args.no_thumbnails
    with contextlib.ExitStack() as stack:
        previews = None
        if args.db and thumbnails and redactor is None:
            from docfraud.store import Store

            store = stack.enter_context(Store(args.db, create=False))
            previews = functools.partial(_stored_preview, store)
        view = build_view(result, redactor=redactor, thumbnails=thumbnails, previews=previews)
    data = view_to_dict(view)
    writers: list[tuple[str, Path | None, Callable[[Path], object]]] = [
        ("--out", args.out, lambda p: p.write_text(
            json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")),
        ("--html", args.html, lambda p: write_html(view, p)),
        ("--graphml", args.graphml, lambda p: write_graphml(view, p)),
        ("--gexf", args.gexf, lambda p: write_gexf(view, p)),
        ("--anx", args.anx, lambda p: write_anx(view, p)),
        ("--neo4j", args.neo4j, lambda p: write_neo4j_csv(view, p)),
        ("--json-graph", args.json_graph, lambda p: write_json(view, p)),
    ]
    for option, path, write in writers:
        if path is not None:
            with writing(path, option=option):
                write(path)
    if query is not None:
        ranked = match(query, result, top=args.top)
        if redactor:
            for r in ranked:
                r["members"] = [redactor.doc(m) for m in r["members"]]
                r["shared"] = next(s.shared for s in view.series if s.id == r["series"])
        print(json.dumps({"document": redactor.doc(query.doc_id) if redactor else query.doc_id,
                          "series": ranked}, indent=1, ensure_ascii=False))
    elif not args.out:
        json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(f"{len(data['series'])} series, {len(data['unassigned'])} unassigned "
              f"-> {args.out}", file=sys.stderr)
    return EXIT_OK
