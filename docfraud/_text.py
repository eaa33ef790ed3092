"""Text that must be valid UTF-8: file names on their way into JSON, HTML and databases.

A file name whose bytes are no UTF-8 (old media, other code pages) reaches Python with
lone surrogates (PEP 383). JSON written from it is not UTF-8, HTML cannot be encoded,
and neither SQLite nor PostgreSQL takes it. :func:`safe_text` writes such bytes as
``\\xff``, readable and the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def safe_text(text: str) -> str:
    """``text`` unchanged if it is valid UTF-8, else with each undecodable byte written
    ``\\xNN`` (and any other lone surrogate ``\\udNNN``)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # surrogates that are no escaped bytes
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")


def safe_value(value: Any) -> Any:
    """``value`` with every string in it (dict keys too) made :func:`safe_text`; lists
    and tuples become lists, other values are returned as they are."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Mapping):
        return {safe_value(k): safe_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [safe_value(v) for v in value]
    return value


def printable(text: str) -> str:
    """``text`` for a terminal: :func:`safe_text`, with control and format characters
    (escape sequences, carriage returns, new lines, bidirectional overrides) written
    ``\\x1b``, ``\\n``, ``\\u202e``, so that a hostile file name cannot hide, move or
    forge the text printed after it."""
    text = safe_text(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)
