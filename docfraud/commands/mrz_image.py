"""``docfraud mrz --image FILE``: read the MRZ from an image (wired in by docfraud.commands.mrz).

The ``mrz`` command calls :func:`run_image` when ``--image`` is given; it prints the
:class:`~docfraud.mrz.MrzResult` as JSON. Exit status: 0 an MRZ was read and every
check passes, 10 an MRZ was read but some check fails or no MRZ was found
(``"found": false`` with a ``reason``), 2 the file is missing, corrupt or not an image.
"""

from __future__ import annotations

import argparse
import json

from docfraud.errors import EXIT_OK, EXIT_REFER


def run_image(args: argparse.Namespace) -> int:
    """Read ``args.image``; honours ``args.today`` and ``args.compact`` when present."""
    from docfraud.mrz.read import read

    result = read(
        args.image,
        today=getattr(args, "today", None),
        tesseract=not getattr(args, "no_tesseract", False),
    )
    compact = bool(getattr(args, "compact", False))
    print(json.dumps(result.to_dict(), indent=None if compact else 2, ensure_ascii=False))
    return EXIT_OK if result.valid else EXIT_REFER
