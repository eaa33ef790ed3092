"""Parse MRZ text into fields and run every check on it."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence

from docfraud.errors import InputError, MrzFormatError
from docfraud.mrz.checkdigit import check_digit
from docfraud.mrz.formats import ALPHABET, FORMATS, MrzFormat
from docfraud.mrz.result import MrzResult
from docfraud.mrz.validate import Validator

_ALLOWED = frozenset(ALPHABET)
_CLEAN = re.compile(r"[A-Z0-9<]+")

#: (line count, line length) -> candidate format names, most specific first
_SHAPES: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 30): ("TD1",),
    (2, 44): ("MRVA", "TD3"),
    (2, 36): ("FRA_ID", "MRVB", "TD2"),
}


def normalise_lines(lines: Sequence[str] | str) -> list[str]:
    """Split text into MRZ lines, strip surrounding whitespace, drop blank lines, check characters.

    Raises:
        InputError: ``lines`` is not text.
        MrzFormatError: a character outside A-Z, 0-9 and '<', naming its line and position.
    """
    if (type(lines) is list or type(lines) is tuple) and lines and all(
        type(x) is str and _CLEAN.fullmatch(x) for x in lines
    ):
        return list(lines)  # fast path: already clean lines
    if isinstance(lines, str):
        parts = lines.splitlines()
    elif isinstance(lines, Sequence):
        parts = []
        for i, item in enumerate(lines):
            if not isinstance(item, str):
                raise InputError(f"MRZ line {i + 1} must be a str, got {type(item).__name__}")
            parts.extend(item.splitlines() or [""])
    else:
        raise InputError(
            f"expected MRZ lines as a str or a list of str, got {type(lines).__name__}"
        )
    out = [p.strip() for p in parts if p.strip()]
    if not out:
        raise MrzFormatError("no MRZ text: the input is empty")
    for li, line in enumerate(out):
        if not _ALLOWED.issuperset(line):
            for pos, ch in enumerate(line):
                if ch not in _ALLOWED:
                    hint = " (MRZ letters are upper case)" if ch.isalpha() and ch.isascii() else ""
                    raise MrzFormatError(
                        f"line {li + 1}, position {pos + 1}: character {ch!r} is not allowed "
                        f"in an MRZ (only A-Z, 0-9 and '<'){hint}",
                        line=li,
                        position=pos,
                        char=ch,
                    )
    return out


def detect_format(lines: Sequence[str], *, format: str | None = None) -> MrzFormat:
    """Choose the MRZ format that fits normalised ``lines``.

    Raises:
        MrzFormatError: no known format has this number and length of lines.
    """
    if format is not None:
        fmt = FORMATS.get(format.upper().replace("-", "").replace("_", ""))
        if fmt is None:
            fmt = FORMATS.get(format)
        if fmt is None:
            raise InputError(f"unknown MRZ format {format!r}; choose one of {', '.join(FORMATS)}")
        if len(lines) != fmt.lines or any(len(x) != fmt.length for x in lines):
            raise MrzFormatError(
                f"{fmt.name} needs {fmt.lines} lines of {fmt.length} characters; got "
                f"{len(lines)} line(s) of length {', '.join(str(len(x)) for x in lines)}"
            )
        return fmt
    lengths = {len(x) for x in lines}
    if len(lengths) != 1:
        raise MrzFormatError(
            "MRZ lines differ in length: "
            + ", ".join(f"line {i + 1} has {len(x)}" for i, x in enumerate(lines))
        )
    shape = (len(lines), lengths.pop())
    candidates = _SHAPES.get(shape)
    if candidates is None:
        raise MrzFormatError(
            f"{shape[0]} line(s) of {shape[1]} characters match no MRZ format "
            "(TD1: 3x30, TD2/MRV-B/French ID: 2x36, TD3/MRV-A: 2x44)"
        )
    first = lines[0]
    for name in candidates:
        if name == "FRA_ID" and not (first.startswith("IDFRA") and _fits_french_id(lines)):
            continue
        if name in ("MRVA", "MRVB") and first[0] != "V":
            continue
        return FORMATS[name]
    raise AssertionError("unreachable: the last candidate always matches")


def _passing_checks(lines: Sequence[str], fmt: MrzFormat) -> int:
    return sum(
        lines[c.line][c.position] == check_digit("".join(lines[li][a:b] for li, a, b in c.over))
        for c in fmt.checks
    )


def _fits_french_id(lines: Sequence[str]) -> bool:
    """'IDFRA' on 2x36 is the old French card, unless the TD2 layout explains it better:
    more check digits pass, or only TD2's birth date, sex and nationality look right."""
    second = lines[1]
    td2_shape = (second[13:19].isdigit() and second[20] in "MFX<"
                 and second[10:13].replace("<", "A").isalpha())
    fra_shape = second[27:33].isdigit() and second[34] in "MFX<"
    fra = _passing_checks(lines, FORMATS["FRA_ID"]) + 2 * fra_shape
    td2 = _passing_checks(lines, FORMATS["TD2"]) + 2 * td2_shape
    return fra >= td2


def parse(
    lines: Sequence[str] | str,
    *,
    today: _dt.date | None = None,
    format: str | None = None,
    repair: bool = False,
) -> MrzResult:
    """Parse and validate MRZ text.

    Args:
        lines: the MRZ lines (a list, or one string with a line per row).
        today: the date against which expiry is judged (default: today).
        format: force a format (``"TD1"``, ``"TD2"``, ``"TD3"``, ``"MRVA"``, ``"MRVB"``,
            ``"FRA_ID"``) instead of detecting it.
        repair: first repair typical OCR confusions (see :func:`docfraud.mrz.repair`).

    Returns:
        An :class:`MrzResult`. Failed checks are findings, never exceptions.

    Raises:
        MrzFormatError: the text is not an MRZ of any known format.
    """
    raw = normalise_lines(lines)
    fmt = detect_format(raw, format=format)
    fixed = raw
    repairs: list[dict[str, object]] = []
    if repair:
        from docfraud.mrz.correct import repair_lines

        fixed, repairs = repair_lines(raw, fmt)
    validator = Validator(fmt, fixed, today or _dt.date.today())
    validator.run()
    return MrzResult(
        found=True,
        format=fmt.name,
        lines=list(fixed),
        raw_lines=list(raw),
        fields=validator.fields,
        checks=validator.checks,
        findings=validator.findings,
        repairs=repairs,  # type: ignore[arg-type]
    )


__all__ = ["check_digit", "detect_format", "normalise_lines", "parse"]
