"""``docfraud batch``: examine many documents into a case database."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from docfraud._text import printable
from docfraud.errors import EXIT_OK, InputError


def add_parser(sub: Any, name: str) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help="examine many documents into a case database (resumable, parallel)",
        description=(
            "Examine every document under the given files, folders and glob patterns and "
            "store each result in a case database, keyed by the SHA-256 of the file. A rerun "
            "skips finished documents, so an interrupted run resumes where it stopped. Files "
            "that cannot be examined are recorded as failed with the reason. "
            "Exit status 0 when the run completed (whatever the documents' verdicts)."
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="image files, folders (searched recursively) or quoted glob patterns")
    p.add_argument("--db", required=True, metavar="URL",
                   help="case database: a SQLite file path (created if missing) or "
                        "postgresql://user@host/dbname")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="worker processes (default: number of CPUs); with --dask local, workers")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on Dask: 'local' starts a local cluster, tcp://host:8786 uses a "
                        "running scheduler")
    fs = p.add_mutually_exclusive_group()
    fs.add_argument("--shared-fs", dest="shared_fs", action="store_true", default=None,
                    help="Dask workers can read the input paths (default for --dask local)")
    fs.add_argument("--send-bytes", dest="shared_fs", action="store_false",
                    help="send file contents to Dask workers (default for a remote scheduler)")
    p.add_argument("--dask-chunk", type=int, default=4, metavar="K",
                   help="documents per Dask task (default 4)")
    p.add_argument("--examine", default=None, metavar="MODULE:FUNCTION",
                   help="per-document pipeline (default: docfraud.screen:examine_file)")
    p.add_argument("--retry-failed", action="store_true",
                   help="examine again documents recorded as failed")
    p.add_argument("--time-limit", type=float, default=120.0, metavar="SECONDS",
                   help="seconds one document may take before it is recorded as failed "
                        "and the worker moves on (default 120; 0: no limit; enforced in "
                        "the local process pool, not in Dask workers)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from docfraud.batch import DEFAULT_EXAMINE, run_batch

    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs must be at least 1; got {args.jobs}")
    if not args.time_limit >= 0:  # also NaN
        raise InputError(f"--time-limit must be 0 (no limit) or more seconds; got "
                         f"{args.time_limit}")
    if args.dask and getattr(args, "verbose", 0) == 0:
        import logging

        import distributed  # noqa: F401  (its import sets its loggers to INFO)

        # a screenful of scheduler and nanny INFO lines per run buries the summary;
        # -v shows them again
        logging.getLogger("distributed").setLevel(logging.WARNING)
    summary = run_batch(
        args.inputs,
        db=args.db,
        examine=args.examine or DEFAULT_EXAMINE,
        jobs=args.jobs,
        dask=args.dask,
        shared_fs=args.shared_fs,
        dask_chunk=args.dask_chunk,
        retry_failed=args.retry_failed,
        progress=not args.no_progress,
        time_limit=args.time_limit,
    )
    s = summary
    print(
        f"docfraud batch: {s.listed} files: {s.examined + s.refused} examined "
        f"({s.done} done, {s.failed} failed), {s.skipped} already in the database, "
        f"{s.duplicates} duplicates; {s.rate:.2f} documents/s",
        file=sys.stderr,
    )
    if s.unlisted:
        n = len(s.unlisted)
        print(f"docfraud batch: {n} folder{'s' if n > 1 else ''} could not be listed, "
              f"{'their' if n > 1 else 'its'} files were not examined: "
              f"{', '.join(printable(f) for f in s.unlisted[:5])}{' ...' if n > 5 else ''}",
              file=sys.stderr)
    if args.json:
        print(json.dumps(s.to_dict()))
    return EXIT_OK
