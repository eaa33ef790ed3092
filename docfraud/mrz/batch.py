"""Vectorised parse and validation of many MRZs at once (:func:`parse_many`).

Lab work validates MRZ lists by the thousand (case databases, exports from border
systems). :func:`parse_many` runs the numeric checks (every check digit, calendar
dates, date order and range, country codes, sex, document code) with NumPy over
the whole batch; documents that pass them all and need no special handling get their
fields assembled directly, every other document goes through the reference
:class:`~docfraud.mrz.validate.Validator`, which writes the findings. Results are
identical to calling :func:`~docfraud.mrz.parse` on each document (tested).
"""

from __future__ import annotations

import datetime as _dt
import functools
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from docfraud.findings import Finding
from docfraud.mrz.checkdigit import _VALUES, check_digit
from docfraud.mrz.codes import known_codes
from docfraud.mrz.formats import FORMATS, MrzFormat
from docfraud.mrz.parse import detect_format, normalise_lines
from docfraud.mrz.result import MrzResult
from docfraud.mrz.validate import (
    _DIGIT,
    _NAME_AFTER_FILLERS,
    Validator,
    _validity_limit,
    expired_finding,
    truncated_finding,
)

_WEIGHT = (7, 3, 1)
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_WEIGHTS_CACHE: dict[str, tuple[tuple[str, NDArray[np.int64], int, bool], ...]] = {}


@functools.cache
def _code_table() -> NDArray[np.bool_]:
    """Boolean lookup over all 37**3 three-character codes: is it a known state code?"""
    table = np.zeros(37**3, dtype=np.bool_)
    index = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<")}
    for code in known_codes():
        padded = code.ljust(3, "<")
        table[(index[padded[0]] * 37 + index[padded[1]]) * 37 + index[padded[2]]] = True
    return table


_INDEX = bytearray(range(256))
for _i, _c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"):
    _INDEX[ord(_c)] = _i
_INDEX_TABLE = bytes(_INDEX)


def _check_weights(fmt: MrzFormat) -> tuple[tuple[str, NDArray[np.int64], int, bool], ...]:
    """Per check digit: a weight vector over the flattened MRZ, its position, may_be_filler."""
    cached = _WEIGHTS_CACHE.get(fmt.name)
    if cached is not None:
        return cached
    size = fmt.lines * fmt.length
    out = []
    for spec in fmt.checks:
        w = np.zeros(size, dtype=np.int64)
        k = 0
        for li, a, b in spec.over:
            for p in range(a, b):
                w[li * fmt.length + p] = _WEIGHT[k % 3]
                k += 1
        out.append((spec.name, w, spec.line * fmt.length + spec.position, spec.may_be_filler))
    _WEIGHTS_CACHE[fmt.name] = tuple(out)
    return _WEIGHTS_CACHE[fmt.name]


def _flat(fmt: MrzFormat, name: str) -> slice:
    spec = fmt.field(name)
    base = spec.line * fmt.length
    return slice(base + spec.start, base + spec.stop)


def _dates(
    raw: NDArray[np.uint8], sl: slice, today: _dt.date, *, birth: bool
) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64]]:
    """Vectorised YYMMDD: (valid, four-digit year, yyyymmdd as an integer)."""
    d = raw[:, sl].astype(np.int64) - 48
    digits = np.all((d >= 0) & (d <= 9), axis=1)
    yy = d[:, 0] * 10 + d[:, 1]
    mm = d[:, 2] * 10 + d[:, 3]
    dd = d[:, 4] * 10 + d[:, 5]
    century = today.year - today.year % 100
    year = century + yy
    key = year * 10000 + mm * 100 + dd
    today_key = today.year * 10000 + today.month * 100 + today.day
    if birth:
        year = np.where(key > today_key, year - 100, year)
    else:
        year = np.where(year > today.year + 50, year - 100,
                        np.where(year < today.year - 50, year + 100, year))
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    mm_ok = (mm >= 1) & (mm <= 12)
    days = _DAYS[np.clip(mm, 0, 12)] + ((mm == 2) & leap)
    valid = digits & mm_ok & (dd >= 1) & (dd <= days) & (year >= 1)
    return valid, year, year * 10000 + mm * 100 + dd


def _clean_mask(
    fmt: MrzFormat, raw: NDArray[np.uint8], today: _dt.date
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64],
           NDArray[np.bool_]]:
    """Which documents pass every vectorised check but expiry; which have expired;
    four-digit birth and expiry years; which have a long document number (its check
    digit is left to :func:`_fast_fields`)."""
    values = raw.tobytes().translate(_VALUES)
    v = np.frombuffer(values, dtype=np.uint8).reshape(raw.shape).astype(np.int64)
    ok = np.ones(raw.shape[0], dtype=np.bool_)
    long_number = np.zeros(raw.shape[0], dtype=np.bool_)
    if fmt.long_number:
        # '<' in the check position, a full 9-character number, data in the optional field:
        # the number continues there (checked per document in _fast_fields)
        number = _flat(fmt, "document_number")
        check = fmt.check("document_number")
        long_number = ((raw[:, check.line * fmt.length + check.position] == ord("<"))
                       & np.all(raw[:, number] != ord("<"), axis=1)
                       & (raw[:, _flat(fmt, "optional_data").start] != ord("<")))
    for name, w, pos, may_be_filler in _check_weights(fmt):
        digit = (v @ w) % 10
        passed = (raw[:, pos].astype(np.int64) - 48) == digit
        if name == "document_number":
            passed |= long_number
        if may_be_filler:
            empty = np.all(raw[:, w != 0] == ord("<"), axis=1)
            passed |= empty & np.isin(raw[:, pos], np.frombuffer(b"<0", np.uint8))
        ok &= passed
    # document code
    first = raw[:, _flat(fmt, "document_code").start]
    ok &= np.isin(first, np.frombuffer("".join(sorted(fmt.document_codes)).encode(), np.uint8))
    second = raw[:, _flat(fmt, "document_code").start + 1]
    ok &= ~(np.isin(first, np.frombuffer(b"IAC", np.uint8)) & (second == ord("V")))
    # country codes
    index = np.frombuffer(raw.tobytes().translate(_INDEX_TABLE), np.uint8).reshape(raw.shape)
    table = _code_table()
    for name in ("issuing_state", "nationality"):
        if fmt.has_field(name):
            sl = _flat(fmt, name)
            c = index[:, sl].astype(np.int64)
            ok &= table[(c[:, 0] * 37 + c[:, 1]) * 37 + c[:, 2]]
    # sex
    sex = raw[:, _flat(fmt, "sex").start]
    ok &= np.isin(sex, np.frombuffer(b"MFX<", np.uint8))
    # dates
    b_ok, b_year, b_key = _dates(raw, _flat(fmt, "birth_date"), today, birth=True)
    ok &= b_ok
    e_year = np.zeros_like(b_year)
    if fmt.has_field("expiry_date"):
        e_ok, e_year, e_key = _dates(raw, _flat(fmt, "expiry_date"), today, birth=False)
        limit = _validity_limit(today, fmt.max_validity_years)
        today_key = today.year * 10000 + today.month * 100 + today.day
        ok &= e_ok & (b_key < e_key)
        ok &= e_key <= limit.year * 10000 + limit.month * 100 + limit.day
        expired = e_key < today_key
    else:
        expired = np.zeros_like(ok)
    return ok, expired, b_year, e_year, long_number


def _all_pass(fmt: MrzFormat) -> dict[str, bool]:
    """The checks dict of a document that passes everything."""
    checks: dict[str, bool] = {}
    for spec in fmt.checks:
        checks["check_digit." + spec.name] = True
    checks["document_code"] = True
    for name in ("issuing_state", "nationality"):
        if fmt.has_field(name):
            checks[name] = True
    checks["document_number"] = True
    checks["fillers.document_number"] = True
    checks["birth_date"] = True
    if fmt.has_field("expiry_date"):
        checks.update(expiry_date=True, birth_before_expiry=True, not_expired=True,
                      validity_period=True)
    checks["sex"] = True
    names = ("name",) if fmt.has_field("name") else ("surname", "given_names")
    for name in names:
        checks["name_characters." + name] = True
        if name == "name":
            checks["name_present"] = True
            checks["name_separator"] = True
        elif name == "surname":
            checks["name_present"] = True
        checks["fillers." + name] = True
    return checks


@dataclass(frozen=True)
class _Recipe:
    """How to assemble the fields of one format from one itemgetter over the joined lines."""

    getter: Callable[[str], tuple[str, ...]]
    rstrip: tuple[tuple[str, int], ...]  # fields printed without trailing fillers
    strip: tuple[tuple[str, int], ...]  # optional data: fillers removed both ends
    number: int
    birth: int
    expiry: int | None
    sex: int
    names: tuple[tuple[str, int], ...]
    long_number: bool


_RECIPES: dict[str, _Recipe] = {}


def _recipe(fmt: MrzFormat) -> _Recipe:
    cached = _RECIPES.get(fmt.name)
    if cached is not None:
        return cached
    names = [f.name for f in fmt.fields]
    slices = [slice(f.line * fmt.length + f.start, f.line * fmt.length + f.stop)
              for f in fmt.fields]
    index = {n: i for i, n in enumerate(names)}
    getter: Callable[[str], tuple[str, ...]] = operator.itemgetter(*slices)
    recipe = _Recipe(
        getter=getter,
        rstrip=tuple((n, index[n]) for n in ("document_code", "issuing_state", "nationality")
                     if n in index),
        strip=tuple((n, index[n]) for n in ("optional_data", "optional_data_2",
                                            "administrative_code") if n in index),
        number=index["document_number"],
        birth=index["birth_date"],
        expiry=index.get("expiry_date"),
        sex=index["sex"],
        names=tuple((n, index[n]) for n in ("name", "surname", "given_names") if n in index),
        long_number=fmt.long_number,
    )
    _RECIPES[fmt.name] = recipe
    return recipe


def _fast_fields(
    fmt: MrzFormat, r: _Recipe, flat: str, b_year: int, e_year: int, long_number: bool,
    findings: list[Finding],
) -> dict[str, object] | None:
    """Fields of a document whose numeric checks all passed; None if it needs the reference
    validator (name or filler failures, a failing long document number). Appends
    truncation findings."""
    raw = r.getter(flat)
    number = raw[r.number].rstrip("<")
    if not number or "<" in number:
        return None
    optional = None
    if long_number:
        opt = raw[r.strip[0][1]]
        end = opt.find("<")
        end = len(opt) if end == -1 else end
        if end < 2 or check_digit(number + opt[: end - 1]) != opt[end - 1]:
            return None
        number += opt[: end - 1]
        optional = opt[end:].strip("<")
    fields: dict[str, object] = {name: raw[i].rstrip("<") for name, i in r.rstrip}
    fields["document_number"] = number
    bd = raw[r.birth]
    fields["birth_date"] = f"{b_year:04d}-{bd[2:4]}-{bd[4:6]}"
    if r.expiry is not None:
        ed = raw[r.expiry]
        fields["expiry_date"] = f"{e_year:04d}-{ed[2:4]}-{ed[4:6]}"
    sex = raw[r.sex]
    fields["sex"] = sex if sex != "<" else None
    for name, i in r.names:
        text = raw[i]
        body = text.rstrip("<")
        if text[0] == "<" or _DIGIT.search(text) or _NAME_AFTER_FILLERS.search(body):
            return None
        if text[-1] != "<" and len(body.replace("<", "")) >= 2:
            findings.append(truncated_finding(fmt, name))
        if name == "name":
            primary, sep, secondary = body.partition("<<")
            if not sep and "<" in primary:
                return None
            fields["surname"] = primary.replace("<", " ").strip()
            fields["given_names"] = " ".join(secondary.replace("<", " ").split())
        else:
            fields[name] = " ".join(body.replace("<", " ").split())
    for name, i in r.strip:
        fields[name] = raw[i].strip("<")
    if optional is not None:
        fields["optional_data"] = optional
    return fields


_SHAPE_FORMATS: dict[tuple[int, int, bool], MrzFormat] = {
    (3, 30, False): FORMATS["TD1"], (2, 44, True): FORMATS["MRVA"],
    (2, 44, False): FORMATS["TD3"], (2, 36, True): FORMATS["MRVB"],
}
_CLEAN_FLAT = re.compile(r"[A-Z0-9<]+")


def _quick_format(m: object) -> tuple[list[str], str, MrzFormat] | None:
    """Lines, joined text and format of an already clean list of lines; None when the
    general path is needed (text input, whitespace, French or unusual shapes)."""
    if type(m) is not list and type(m) is not tuple:
        return None
    n = len(m)  # type: ignore[arg-type]
    if n not in (2, 3):
        return None
    first = m[0]  # type: ignore[index]
    if type(first) is not str:
        return None
    flat = "".join(m)  # type: ignore[arg-type]
    length = len(first)
    if len(flat) != n * length or _CLEAN_FLAT.fullmatch(flat) is None:
        return None
    if any(len(x) != length for x in m):  # type: ignore[attr-defined]
        return None
    if first.startswith("IDFRA"):
        return None
    fmt = _SHAPE_FORMATS.get((n, length, first[0] == "V"))
    if fmt is None or (length == 36 and first[0] != "V"):
        fmt = FORMATS["TD2"] if (n, length) == (2, 36) else None
    if fmt is None:
        return None
    return list(m), flat, fmt  # type: ignore[arg-type]


def parse_many(
    mrzs: Iterable[Sequence[str] | str],
    *,
    today: _dt.date | None = None,
    format: str | None = None,
) -> list[MrzResult]:
    """Parse and validate many MRZs; the same results as ``[parse(m) for m in mrzs]``, faster.

    Raises:
        MrzFormatError: an MRZ is malformed; the message names its index in ``mrzs``.
    """
    from docfraud.errors import MrzFormatError

    today = today or _dt.date.today()
    docs: list[list[str]] = []
    flat_all: list[str] = []
    fmts: list[MrzFormat] = []
    for i, m in enumerate(mrzs):
        quick = _quick_format(m) if format is None else None
        if quick is not None:
            lines, flat, fmt = quick
        else:
            try:
                lines = normalise_lines(m)
                fmt = detect_format(lines, format=format)
            except MrzFormatError as exc:
                raise MrzFormatError(f"MRZ #{i}: {exc}", line=exc.line, position=exc.position,
                                     char=exc.char) from None
            flat = "".join(lines)
        docs.append(lines)
        flat_all.append(flat)
        fmts.append(fmt)
    results: list[MrzResult | None] = [None] * len(docs)
    for fmt in FORMATS.values():
        idx = [i for i, f in enumerate(fmts) if f is fmt]
        if not idx:
            continue
        flats = [flat_all[i] for i in idx]
        raw = np.frombuffer("".join(flats).encode("ascii"),
                            np.uint8).reshape(len(idx), fmt.lines * fmt.length)
        ok, expired, b_year, e_year, long_number = _clean_mask(fmt, raw, today)
        recipe = _recipe(fmt)
        longs = long_number.tolist()
        checks = _all_pass(fmt)
        expired_checks = {**checks, "not_expired": False}
        expired_list = expired.tolist()
        b_years = b_year.tolist()
        e_years = e_year.tolist()
        oks = ok.tolist()
        for j, i in enumerate(idx):
            lines = docs[i]
            findings: list[Finding] = []
            fields = (_fast_fields(fmt, recipe, flats[j], b_years[j], e_years[j], longs[j],
                                   findings) if oks[j] else None)
            if fields is None:
                v = Validator(fmt, lines, today)
                v.run()
                results[i] = MrzResult(True, fmt.name, lines, list(lines), v.fields, v.checks,
                                       v.findings)
                continue
            if expired_list[j]:
                expiry = _dt.date.fromisoformat(str(fields["expiry_date"]))
                findings.insert(0, expired_finding(expiry, today))
                checks_now = dict(expired_checks)
            else:
                checks_now = dict(checks)
            results[i] = MrzResult(True, fmt.name, lines, list(lines), fields, checks_now,
                                   findings)
    return results  # type: ignore[return-value]
