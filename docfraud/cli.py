"""The ``docfraud`` command.

Each subcommand lives in its own module under :mod:`docfraud.commands` and
exposes ``add_parser(subparsers)`` and ``run(args) -> int``; adding a command is
one module plus one line in :data:`COMMANDS`. Heavy imports happen inside
``run`` so that ``docfraud --help`` and quick commands start fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from docfraud import __version__
from docfraud.errors import EXIT_INTERNAL, EXIT_USAGE, DocfraudError

#: exit status when standard output is closed by its reader (128 + SIGPIPE, as a shell
#: reports a process that SIGPIPE ended)
EXIT_BROKEN_PIPE = 141

#: subcommand name -> module implementing it
COMMANDS: dict[str, str] = {
    "mrz": "docfraud.commands.mrz",
    "cluster": "docfraud.commands.cluster",
    "screen": "docfraud.commands.screen",
    "synth": "docfraud.commands.synth",
    "batch": "docfraud.commands.batch",
    "export": "docfraud.commands.export",
    "report": "docfraud.commands.report_doc",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docfraud",
        description="Detect fraudulent travel and identity documents and map forgery networks.",
    )
    parser.add_argument("--version", action="version", version=f"docfraud {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.add_parser(sub, name)
    return parser


class _ArgumentError(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (see :mod:`docfraud.errors`)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except DocfraudError as exc:
        print(f"docfraud {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("docfraud: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`docfraud screen ... | head -1`): not "0 clear", which
        # would vouch for documents never reported; 141 is what a shell shows for a
        # process that SIGPIPE ended. Point stdout at /dev/null so that the flush at exit
        # does not raise again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        logging.getLogger("docfraud").debug("internal error", exc_info=True)
        print(
            f"docfraud {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(run with -vv for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
