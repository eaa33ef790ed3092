"""Repair typical OCR confusions in MRZ lines, guided by character classes and check digits.

Two kinds of repair, each reported with its line, position, before, after and reason:

1. *Class repairs* need no guess: a letter where only digits are allowed (dates, check
   digits) or a digit where only letters are allowed (codes, names) is replaced by its
   look-alike (O->0, I->1, Z->2, S->5, B->8, G->6, and back); a K, X or C between
   fillers, where no name can continue, becomes '<'.
2. *Check-digit repairs* choose among the alternatives a recogniser proposes for the
   positions it was unsure of (its runner-up readings, or where two engines disagree), in
   fields that mix letters and digits (document numbers, optional data). A check digit
   itself never changes, and a candidate is taken only when the field's check digit and,
   where the format has one, the composite check digit confirm a single best choice. Plain
   text without recogniser evidence gets class repairs only: a forger's wrong check digit
   cannot be "repaired" away by trying look-alikes until one happens to fit.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from docfraud.mrz.checkdigit import check_digit
from docfraud.mrz.formats import CheckSpec, MrzFormat

TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "J": "1", "Z": "2",
            "S": "5", "B": "8", "G": "6", "T": "7", "A": "4"}
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A", "7": "T"}
#: characters OCR engines confuse; recognisers use it to propose alternatives
LOOKALIKES: dict[str, tuple[str, ...]] = {
    "0": ("O",), "O": ("0",), "1": ("I",), "I": ("1",), "2": ("Z",), "Z": ("2",),
    "5": ("S",), "S": ("5",), "8": ("B",), "B": ("8",), "6": ("G",), "G": ("6",),
}
FILLER_LOOKALIKES = frozenset("KXC")
_MAX_CANDIDATES = 4096


@dataclass
class Repair:
    """Repaired lines and the changes that made them."""

    lines: list[str]
    changes: list[dict[str, Any]] = field(default_factory=list)


def _position_classes(fmt: MrzFormat) -> list[list[str]]:
    """Per line and position: 'N' digits only, 'A' letters/fillers only, 'S' sex, 'X' mixed."""
    classes = [["X"] * fmt.length for _ in range(fmt.lines)]
    for spec in fmt.fields:
        cls = {"date": "N", "numeric": "N", "sex": "S", "code": "A", "country": "A",
               "name": "A", "alpha": "A"}.get(spec.kind, "X")
        # the document code's second character is the issuer's choice (e.g. 'C1')
        stop = spec.start + 1 if spec.kind == "code" else spec.stop
        for pos in range(spec.start, stop):
            classes[spec.line][pos] = cls
    for check in fmt.checks:
        classes[check.line][check.position] = "N"
    return classes


def _field_at(fmt: MrzFormat, line: int, pos: int) -> str | None:
    for spec in fmt.fields:
        if spec.line == line and spec.start <= pos < spec.stop:
            return spec.name
    for check in fmt.checks:
        if check.line == line and check.position == pos:
            return "check_digit." + check.name
    return None


def _check_passes(rows: Sequence[Sequence[str]], check: CheckSpec) -> bool:
    data = "".join("".join(rows[li][a:b]) for li, a, b in check.over)
    printed = rows[check.line][check.position]
    if check.may_be_filler and data.strip("<") == "" and printed in "<0":
        return True
    return printed == check_digit(data)


def repair_lines(
    lines: Sequence[str],
    fmt: MrzFormat,
    *,
    alternatives: Mapping[tuple[int, int], Sequence[str]] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Repair OCR confusions; see the module docstring.

    Args:
        lines: MRZ lines of ``fmt``'s shape.
        fmt: the MRZ format.
        alternatives: optional per-(line, position) candidate characters proposed by a
            recogniser (its runner-up readings); used with the look-alike table by
            check-digit repair.

    Returns:
        (repaired lines, list of change records).
    """
    rows = [list(x) for x in lines]
    changes: list[dict[str, Any]] = []
    classes = _position_classes(fmt)

    def change(li: int, pos: int, new: str, reason: str) -> None:
        changes.append({"line": li, "position": pos, "before": rows[li][pos], "after": new,
                        "field": _field_at(fmt, li, pos), "reason": reason})
        rows[li][pos] = new

    # 1. class repairs
    for li, row in enumerate(rows):
        for pos, ch in enumerate(row):
            cls = classes[li][pos]
            if cls == "N" and ch in TO_DIGIT:
                change(li, pos, TO_DIGIT[ch], "letter where only digits are allowed")
            elif cls == "A" and ch in TO_LETTER:
                change(li, pos, TO_LETTER[ch], "digit where only letters are allowed")
            elif cls == "S" and ch in FILLER_LOOKALIKES - {"X"}:
                change(li, pos, "<", "sex is M, F, X or '<'")
    # fillers misread as K, X or C: only where a name cannot continue (between fillers)
    for spec in fmt.fields:
        if spec.kind not in ("name", "country", "code", "alnum"):
            continue
        row = rows[spec.line]
        changed = True
        while changed:
            changed = False
            for pos in range(spec.stop - 1, spec.start - 1, -1):
                if row[pos] not in FILLER_LOOKALIKES:
                    continue
                left = row[pos - 1] if pos > spec.start else None
                right = row[pos + 1] if pos + 1 < spec.stop else None
                if spec.kind in ("country", "code"):
                    # 'D<<' read as 'DKK': the padding of a short code
                    ok = left is not None and (left == "<" or pos == spec.start + 1) and (
                        right is None or right in "<" or right in FILLER_LOOKALIKES)
                    ok = ok and spec.kind == "country" and row[spec.start] == "D"
                else:
                    ok = left == "<" and (right is None or right == "<" or
                                          right in FILLER_LOOKALIKES) and (
                        pos + 1 == spec.stop or "<" in row[pos + 1 : pos + 3])
                if ok:
                    change(spec.line, pos, "<", "filler read as a letter")
                    changed = True
    # 2. check-digit repairs of mixed fields
    _repair_with_checks(rows, fmt, alternatives or {}, change)
    return ["".join(r) for r in rows], changes


def _repair_with_checks(
    rows: list[list[str]],
    fmt: MrzFormat,
    alternatives: Mapping[tuple[int, int], Sequence[str]],
    change: Any,
) -> None:
    composite = next((c for c in fmt.checks if c.name == "composite"), None)
    field_checks = [c for c in fmt.checks if c.field is not None]
    failing = [c for c in field_checks if not _check_passes(rows, c)]
    if composite is not None and _check_passes(rows, composite) and not failing:
        return
    # Mixed-class positions covered by the failing checks (or by the composite alone).
    spans: list[tuple[int, int]] = []
    for check in failing:
        spans.extend((li, p) for li, a, b in check.over for p in range(a, b))
    if composite is not None and not failing:
        covered = {(li, p) for c in field_checks for li, a, b in c.over for p in range(a, b)}
        spans.extend((li, p) for li, a, b in composite.over for p in range(a, b)
                     if (li, p) not in covered)
    options: list[tuple[int, int, tuple[str, ...]]] = []
    check_positions = {(c.line, c.position) for c in fmt.checks}
    for li, p in spans:
        if (li, p) in check_positions:
            continue
        ch = rows[li][p]
        alts = tuple(sorted(a for a in alternatives.get((li, p), ()) if a != ch))
        if alts:
            options.append((li, p, alts))
    if not options:
        return
    needed = failing + ([composite] if composite is not None else [])
    best: list[tuple[tuple[int, int, str], ...]] = []
    tried = 0
    for size in range(1, min(len(options), 3) + 1):
        for combo in itertools.combinations(options, size):
            for choice in itertools.product(*(o[2] for o in combo)):
                tried += 1
                if tried > _MAX_CANDIDATES:
                    return
                saved = [rows[li][p] for li, p, _ in combo]
                for (li, p, _), new in zip(combo, choice, strict=True):
                    rows[li][p] = new
                ok = all(_check_passes(rows, c) for c in needed)
                for (li, p, _), old in zip(combo, saved, strict=True):
                    rows[li][p] = old
                if ok:
                    best.append(tuple((li, p, new) for (li, p, _), new in
                                      zip(combo, choice, strict=True)))
        if best:
            break
    if len(best) != 1:
        return  # nothing fits, or several fixes fit equally well: do not guess
    for li, p, new in best[0]:
        change(li, p, new, "recogniser's alternative confirmed by check digits")
