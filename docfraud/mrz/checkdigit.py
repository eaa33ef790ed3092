"""ICAO 9303 check digits: weights 7-3-1, digits as themselves, A=10 ... Z=35, '<'=0."""

from __future__ import annotations

from docfraud.errors import MrzFormatError

# byte value of each MRZ character; 255 marks characters outside the MRZ set
_TABLE = bytearray([255] * 256)
for _d in range(10):
    _TABLE[ord("0") + _d] = _d
for _i in range(26):
    _TABLE[ord("A") + _i] = 10 + _i
_TABLE[ord("<")] = 0
_VALUES = bytes(_TABLE)


def check_digit(text: str) -> str:
    """Return the ICAO 9303 check digit ('0'-'9') of ``text``.

    Raises:
        MrzFormatError: ``text`` holds a character outside A-Z, 0-9 and '<'.
    """
    try:
        values = text.encode("ascii").translate(_VALUES)
    except UnicodeEncodeError:
        values = b"\xff"
    if values and max(values) == 255:
        for i, ch in enumerate(text):
            if not (ch.isascii() and _VALUES[ord(ch)] != 255):
                raise MrzFormatError(
                    f"character {ch!r} at position {i} is not an MRZ character (A-Z, 0-9, '<')",
                    position=i,
                    char=ch,
                )
    # weights repeat 7, 3, 1: sum each stride once instead of multiplying per character
    total = 7 * sum(values[0::3]) + 3 * sum(values[1::3]) + sum(values[2::3])
    return "0123456789"[total % 10]


def long_number(number: str, optional: str) -> tuple[str, str] | None:
    """A TD1/TD2 document number continued in the optional data (ICAO 9303 parts 5-6:
    the number field is full, its check position holds '<', and the number goes on in the
    optional data up to its first filler, its check digit last).

    Args:
        number: the document number field (9 characters).
        optional: the optional data field that follows.

    Returns:
        (the whole number, its printed check digit), or None where the optional data does
        not hold at least one more character and a check digit before its first filler.
    """
    tail = optional.split("<", 1)[0]
    if len(tail) < 2:
        return None
    return number + tail[:-1], tail[-1]
