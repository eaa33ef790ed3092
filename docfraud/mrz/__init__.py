"""The machine readable zone (ICAO Doc 9303): parse, validate, repair and generate.

>>> from docfraud.mrz import parse
>>> result = parse(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
...                 "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
>>> result.format, result.fields["surname"], result.checks["check_digit.composite"]
('TD3', 'ERIKSSON', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from docfraud.mrz.checkdigit import check_digit
from docfraud.mrz.correct import Repair, repair_lines
from docfraud.mrz.formats import FORMATS, CheckSpec, FieldSpec, MrzFormat
from docfraud.mrz.generate import compose_name, generate, transliterate
from docfraud.mrz.parse import detect_format, normalise_lines, parse
from docfraud.mrz.read import read, read_windows
from docfraud.mrz.result import MrzResult
from docfraud.mrz.validate import FINDING_CODES


def repair(
    lines: Sequence[str] | str,
    *,
    format: str | None = None,
    alternatives: Mapping[tuple[int, int], Sequence[str]] | None = None,
) -> Repair:
    """Repair typical OCR confusions in MRZ lines (see :mod:`docfraud.mrz.correct`).

    Raises:
        MrzFormatError: the text is not an MRZ of any known format.
    """
    raw = normalise_lines(lines)
    fmt = detect_format(raw, format=format)
    fixed, changes = repair_lines(raw, fmt, alternatives=alternatives)
    return Repair(lines=fixed, changes=changes)


__all__ = [
    "FINDING_CODES",
    "FORMATS",
    "CheckSpec",
    "FieldSpec",
    "MrzFormat",
    "MrzResult",
    "Repair",
    "check_digit",
    "compose_name",
    "detect_format",
    "generate",
    "normalise_lines",
    "parse",
    "read",
    "read_windows",
    "repair",
    "transliterate",
]
