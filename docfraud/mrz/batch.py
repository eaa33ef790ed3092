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
import gc
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.findings import Finding
from docfraud.mrz.checkdigit import _VALUES, check_digit
from docfraud.mrz.codes import known_codes
from docfraud.mrz.formats import FORMATS, MrzFormat
from docfraud.mrz.parse import detect_format, normalise_lines
from docfraud.mrz.result import MrzResult
from docfraud.mrz.validate import (
    Validator,
    _validity_limit,
    check_digit_finding,
    expired_finding,
    separator_finding,
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


@dataclass
class _Checked:
    """The vectorised checks of N documents of one format.

    ``passed`` maps each validator category (see :data:`_CATEGORIES`) to an (N,) bool
    array: every check of that category passed. ``expired``: the expiry date lies before
    today (not a failure of the dates category). ``b_year``/``e_year``: four-digit years.
    ``long_number``: the document number continues in the optional data (its check digit
    is left to :class:`_Columns`). ``cd_failed`` (N, checks) bool and ``cd_expected``
    (N, checks) the digit the data computes to, in the order of ``fmt.checks``.
    """

    passed: dict[str, NDArray[np.bool_]]
    expired: NDArray[np.bool_]
    b_year: NDArray[np.int64]
    e_year: NDArray[np.int64]
    long_number: NDArray[np.bool_]
    cd_failed: NDArray[np.bool_]
    cd_expected: NDArray[np.int64]

    @property
    def ok(self) -> NDArray[np.bool_]:
        """(N,) every category passed (check digits and expiry aside)."""
        return functools.reduce(operator.and_, self.passed.values())


def _clean_mask(fmt: MrzFormat, raw: NDArray[np.uint8], today: _dt.date) -> _Checked:
    """Run every check of the reference validator that can run vectorised."""
    values = raw.tobytes().translate(_VALUES)
    v = np.frombuffer(values, dtype=np.uint8).reshape(raw.shape).astype(np.int64)
    n = raw.shape[0]
    long_number = np.zeros(raw.shape[0], dtype=np.bool_)
    if fmt.long_number:
        # '<' in the check position, a full 9-character number, data in the optional field:
        # the number continues there (checked per document in _Columns)
        number = _flat(fmt, "document_number")
        check = fmt.check("document_number")
        long_number = ((raw[:, check.line * fmt.length + check.position] == ord("<"))
                       & np.all(raw[:, number] != ord("<"), axis=1)
                       & (raw[:, _flat(fmt, "optional_data").start] != ord("<")))
    weights = _check_weights(fmt)
    failed = np.zeros((raw.shape[0], len(weights)), dtype=np.bool_)
    expected = np.zeros((raw.shape[0], len(weights)), dtype=np.int64)
    for k, (name, w, pos, may_be_filler) in enumerate(weights):
        digit = (v @ w) % 10
        passed = (raw[:, pos].astype(np.int64) - 48) == digit
        if name == "document_number":
            passed |= long_number
        if may_be_filler:  # an empty field ('<' and '0' both count 0) may print '<' or '0'
            empty = np.all(v[:, w != 0] == 0, axis=1)
            passed |= empty & np.isin(raw[:, pos], np.frombuffer(b"<0", np.uint8))
        failed[:, k] = ~passed
        expected[:, k] = digit
    cats: dict[str, NDArray[np.bool_]] = {}
    # document code
    first = raw[:, _flat(fmt, "document_code").start]
    second = raw[:, _flat(fmt, "document_code").start + 1]
    cats["document_code"] = (
        np.isin(first, np.frombuffer("".join(sorted(fmt.document_codes)).encode(), np.uint8))
        & ~(np.isin(first, np.frombuffer(b"IAC", np.uint8)) & (second == ord("V"))))
    # country codes
    index = np.frombuffer(raw.tobytes().translate(_INDEX_TABLE), np.uint8).reshape(raw.shape)
    table = _code_table()
    codes = np.ones(n, dtype=np.bool_)
    for name in ("issuing_state", "nationality"):
        if fmt.has_field(name):
            sl = _flat(fmt, name)
            c = index[:, sl].astype(np.int64)
            codes &= table[(c[:, 0] * 37 + c[:, 1]) * 37 + c[:, 2]]
    cats["codes"] = codes
    # document number present, no data after a filler
    number_text = raw[:, _flat(fmt, "document_number")]
    filler = number_text == _LT
    cats["document_number"] = ~filler[:, 0] & ~np.any(filler[:, :-1] & ~filler[:, 1:], axis=1)
    # dates
    b_ok, b_year, b_key = _dates(raw, _flat(fmt, "birth_date"), today, birth=True)
    dates = b_ok
    e_year = np.zeros_like(b_year)
    if fmt.has_field("expiry_date"):
        e_ok, e_year, e_key = _dates(raw, _flat(fmt, "expiry_date"), today, birth=False)
        limit = _validity_limit(today, fmt.max_validity_years)
        today_key = today.year * 10000 + today.month * 100 + today.day
        dates = dates & e_ok & (b_key < e_key)
        dates &= e_key <= limit.year * 10000 + limit.month * 100 + limit.day
        expired = e_key < today_key
    else:
        expired = np.zeros(n, dtype=np.bool_)
    cats["dates"] = dates
    # sex
    sex = raw[:, _flat(fmt, "sex").start]
    cats["sex"] = np.isin(sex, np.frombuffer(b"MFX<", np.uint8))
    cats["names"] = _name_rules(fmt, raw)
    return _Checked(cats, expired, b_year, e_year, long_number, failed, expected)


_LT = ord("<")


def _name_rules(fmt: MrzFormat, raw: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Vectorised name rules: no digits, not starting with a filler, no data after 3+
    fillers (a missing '<<' separator is a finding the columns build themselves)."""
    ok = np.ones(raw.shape[0], dtype=np.bool_)
    for name in ("name", "surname", "given_names"):
        if not fmt.has_field(name):
            continue
        text = raw[:, _flat(fmt, name)]
        lt = text == _LT
        ok &= ~np.any((text >= ord("0")) & (text <= ord("9")), axis=1)
        ok &= ~lt[:, 0]
        ok &= ~np.any(lt[:, :-3] & lt[:, 1:-2] & lt[:, 2:-1] & ~lt[:, 3:], axis=1)
    return ok


def _name_checks(v: Validator) -> None:
    if v.fmt.has_field("name"):
        v._name_field("name", split=True)
    else:  # French ID: separate surname and given-name fields
        v._name_field("surname", split=False)
        v._name_field("given_names", split=False)


#: validator categories in the order the reference validator runs them: the method that
#: redoes one on a document, and the check names it writes
_CATEGORIES: dict[str, tuple[Callable[[Validator], None], tuple[str, ...]]] = {
    "document_code": (Validator._document_code, ("document_code",)),
    "codes": (Validator._codes, ("issuing_state", "nationality")),
    "document_number": (Validator._document_number,
                        ("document_number", "fillers.document_number")),
    "dates": (Validator._dates, ("birth_date", "expiry_date", "birth_before_expiry",
                                 "not_expired", "validity_period")),
    "sex": (Validator._sex, ("sex",)),
    "names": (_name_checks, ("name_characters.name", "name_characters.surname",
                             "name_characters.given_names", "name_present", "name_separator",
                             "fillers.name", "fillers.surname", "fillers.given_names")),
}


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


def _expired(fields: dict[str, Any], today: _dt.date) -> Finding:
    """MRZ_DOCUMENT_EXPIRED for fields whose expiry date passed every date check."""
    return expired_finding(_dt.date.fromisoformat(str(fields["expiry_date"])), today)


class _Columns:
    """Fields of many documents of one format, built column by column with ``np.strings``.

    ``raw`` is (N, lines*length) uint8 of documents of one format (values of fields whose
    checks fail are whatever the text gives; the validator replaces them);
    ``long_number`` (N,) bool marks TD1/TD2 document numbers continued in the optional
    data. ``fallback`` (N,) bool marks documents that need the reference validator (a
    continued number whose check digit fails). ``rows()`` yields (position among all N,
    fields dict) for every other document; ``name_findings`` maps a position to its name
    findings (separator missing, truncation) and ``no_separator`` lists the positions
    whose name has several words and no '<<'.
    """

    def __init__(self, fmt: MrzFormat, raw: NDArray[np.uint8], b_year: NDArray[np.int64],
                 e_year: NDArray[np.int64], long_number: NDArray[np.bool_]) -> None:
        wide = raw.astype(np.uint32)
        n = raw.shape[0]
        self.fallback = np.zeros(n, dtype=np.bool_)
        self.name_findings: dict[int, list[Finding]] = {}
        self.no_separator: set[int] = set()
        keys: list[str] = []
        cols: list[list[Any]] = []

        def text(name: str) -> NDArray[np.str_]:
            sl = _flat(fmt, name)
            width = sl.stop - sl.start
            return np.ascontiguousarray(wide[:, sl]).view(f"U{width}").reshape(n)

        def add(name: str, values: NDArray[np.str_] | list[Any]) -> None:
            keys.append(name)
            cols.append(values.tolist() if isinstance(values, np.ndarray) else values)

        for name in ("document_code", "issuing_state", "nationality"):
            if fmt.has_field(name):
                add(name, np.strings.rstrip(text(name), "<"))
        add("document_number", np.strings.rstrip(text("document_number"), "<"))
        number_col = len(cols) - 1
        add("birth_date", _iso_dates(raw[:, _flat(fmt, "birth_date")], b_year))
        if fmt.has_field("expiry_date"):
            add("expiry_date", _iso_dates(raw[:, _flat(fmt, "expiry_date")], e_year))
        add("sex", [None if s == "<" else s for s in text("sex").tolist()])
        for name in ("name", "surname", "given_names"):
            if not fmt.has_field(name):
                continue
            sl = _flat(fmt, name)
            field = raw[:, sl]
            body = np.strings.rstrip(text(name), "<")
            if name == "name":
                primary, sep, secondary = np.strings.partition(body, "<<")
                missing = (sep == "") & (np.strings.find(primary, "<") >= 0)
                if missing.any():
                    whole = text(name)
                    for j in np.flatnonzero(missing).tolist():
                        self.no_separator.add(j)
                        self.name_findings[j] = [separator_finding(fmt, str(whole[j]))]
                add("surname", np.strings.strip(np.strings.replace(primary, "<", " ")))
                add("given_names", _words(secondary))
            else:
                add(name, _words(body))
            cut = (field[:, -1] != _LT) & ((field != _LT).sum(axis=1) >= 2)
            for j in np.flatnonzero(cut).tolist():
                self.name_findings.setdefault(j, []).append(truncated_finding(fmt, name))
        for name in ("optional_data", "optional_data_2", "administrative_code"):
            if fmt.has_field(name):
                add(name, np.strings.strip(text(name), "<"))
        if long_number.any():
            # the number continues in the optional data up to its check digit
            optional_col = keys.index("optional_data")
            optional = text("optional_data")
            for j in np.flatnonzero(long_number).tolist():
                opt = str(optional[j])
                end = opt.find("<")
                end = len(opt) if end == -1 else end
                number = cols[number_col][j] + opt[: end - 1]
                if end < 2 or check_digit(number) != opt[end - 1]:
                    self.fallback[j] = True
                    continue
                cols[number_col][j] = number
                cols[optional_col][j] = opt[end:].strip("<")
        self.keys = tuple(keys)
        self._cols = cols

    def rows(self) -> Iterable[tuple[int, dict[str, Any]]]:
        """(position among all N, fields) for every document not in ``fallback``."""
        build = _dict_builder(self.keys)
        dicts = itertools.starmap(build, zip(*self._cols, strict=True))
        keep = (~self.fallback).tolist()
        return ((k, d) for k, (d, use) in enumerate(zip(dicts, keep, strict=True)) if use)


@functools.cache
def _dict_builder(keys: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """A function of len(keys) positional values returning {key: value} (a dict display is
    about twice as fast as ``dict(zip(keys, values))``, which matters per document)."""
    if not all(k.isidentifier() for k in keys):
        raise ValueError(f"field names must be identifiers: {keys}")
    args = ", ".join(f"v{i}" for i in range(len(keys)))
    body = ", ".join(f"{k!r}: v{i}" for i, k in enumerate(keys))
    builder: Callable[..., dict[str, Any]] = eval(f"lambda {args}: {{{body}}}")
    return builder


def _words(values: NDArray[np.str_]) -> list[str]:
    """``" ".join(v.replace("<", " ").split())`` for every value."""
    spaced = np.strings.strip(np.strings.replace(values, "<", " "))
    out: list[str] = spaced.tolist()
    for j in np.flatnonzero(np.strings.find(spaced, "  ") >= 0).tolist():
        out[j] = " ".join(out[j].split())
    return out


def _iso_dates(digits: NDArray[np.uint8], year: NDArray[np.int64]) -> NDArray[np.str_]:
    """'YYYY-MM-DD' strings from (N, 6) YYMMDD bytes and (N,) four-digit years."""
    out = np.empty((digits.shape[0], 10), dtype=np.uint32)
    for k, div in enumerate((1000, 100, 10, 1)):
        out[:, k] = year // div % 10 + 48
    out[:, 4] = out[:, 7] = ord("-")
    out[:, 5:7] = digits[:, 2:4]
    out[:, 8:10] = digits[:, 4:6]
    return out.view("U10").reshape(digits.shape[0])


_SHAPE_FORMATS: dict[tuple[int, int, bool], MrzFormat] = {
    (3, 30, False): FORMATS["TD1"], (2, 44, True): FORMATS["MRVA"],
    (2, 44, False): FORMATS["TD3"], (2, 36, True): FORMATS["MRVB"],
}
_CLEAN_FLAT = re.compile(r"[A-Z0-9<]+")


def _quick_format(m: Any) -> tuple[list[str], str, MrzFormat] | None:
    """Lines, joined text and format of an already clean list of lines; None when the
    general path is needed (text input, whitespace, French or unusual shapes)."""
    tm = type(m)
    if tm is not list and tm is not tuple:
        return None
    n = len(m)
    first: Any
    second: Any
    third: Any
    if n == 2:
        first, second = m
        if type(first) is not str or type(second) is not str:
            return None
        length = len(first)
        if len(second) != length:
            return None
        flat = first + second
    elif n == 3:
        first, second, third = m
        if type(first) is not str or type(second) is not str or type(third) is not str:
            return None
        length = len(first)
        if len(second) != length or len(third) != length:
            return None
        flat = first + second + third
    else:
        return None
    fmt = _SHAPE_FORMATS.get((n, length, first[:1] == "V"))
    if fmt is None:
        if (n, length) != (2, 36) or first.startswith("IDFRA"):
            return None
        fmt = FORMATS["TD2"]
    if _CLEAN_FLAT.fullmatch(flat) is None:
        return None
    return list(m), flat, fmt


def _no_quick(m: Any) -> None:
    return None


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
    # Every object built here is acyclic (strings, dicts, lists, results): reference counting
    # frees them all, and the cyclic collector, which would otherwise walk the growing
    # list of results again and again, has nothing to find. It is switched off meanwhile.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_many(mrzs, today=today, format=format)
    finally:
        if enabled:
            gc.enable()


def _parse_many(
    mrzs: Iterable[Sequence[str] | str], *, today: _dt.date | None, format: str | None
) -> list[MrzResult]:
    from docfraud.errors import MrzFormatError

    today = today or _dt.date.today()
    docs: list[list[str]] = []
    flat_all: list[str] = []
    groups: dict[str, list[int]] = {}
    quick = _quick_format if format is None else _no_quick
    for i, m in enumerate(mrzs):
        known = quick(m)
        if known is not None:
            lines, flat, fmt = known
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
        group = groups.get(fmt.name)
        if group is None:
            groups[fmt.name] = [i]
        else:
            group.append(i)
    results: list[MrzResult | None] = [None] * len(docs)
    for name, idx in groups.items():
        fmt = FORMATS[name]
        flats = [flat_all[i] for i in idx]
        raw = np.frombuffer("".join(flats).encode("ascii"),
                            np.uint8).reshape(len(idx), fmt.lines * fmt.length)
        checked = _clean_mask(fmt, raw, today)
        ok = checked.ok.tolist()
        passed = {cat: mask.tolist() for cat, mask in checked.passed.items()}
        cd_failed = checked.cd_failed
        bad_digits = set(np.flatnonzero(cd_failed.any(axis=1)).tolist())
        specs = fmt.checks
        cd_keys = ["check_digit." + spec.name for spec in specs]
        checks = _all_pass(fmt)
        expired_checks = {**checks, "not_expired": False}
        table = _Columns(fmt, raw, checked.b_year, checked.e_year, checked.long_number)
        name_findings = table.name_findings
        no_separator = table.no_separator
        for j, (k, fields), exp in zip(np.flatnonzero(~table.fallback).tolist(), table.rows(),
                                       checked.expired[~table.fallback].tolist(), strict=True):
            i = idx[j]
            lines = docs[i]
            findings: list[Finding] = []
            checks_now = dict(expired_checks if exp else checks)
            if j in bad_digits:
                for c in np.flatnonzero(cd_failed[j]).tolist():
                    spec = specs[c]
                    checks_now[cd_keys[c]] = False
                    findings.append(check_digit_finding(
                        spec, lines[spec.line][spec.position],
                        str(checked.cd_expected[j, c])))
            if ok[j]:  # every other check passed: the columns' findings are all there is
                if exp:
                    findings.append(_expired(fields, today))
                if k in name_findings:
                    findings.extend(name_findings[k])
                    if k in no_separator:
                        checks_now["name_separator"] = False
                results[i] = MrzResult(True, fmt.name, lines, lines, fields, checks_now,
                                       findings)
                continue
            # some category failed: the reference validator redoes just that category,
            # in its own order, on top of the columns' fields and findings
            v = Validator(fmt, lines, today)
            v.fields, v.checks, v.findings = fields, checks_now, findings
            for cat, (redo, keys) in _CATEGORIES.items():
                if not passed[cat][j]:
                    for key in keys:
                        checks_now.pop(key, None)
                    redo(v)
                elif cat == "dates" and exp:  # the dates are valid: the columns' expiry
                    findings.append(_expired(fields, today))
                elif cat == "names" and k in name_findings:
                    findings.extend(name_findings[k])
                    if k in no_separator:
                        checks_now["name_separator"] = False
            results[i] = MrzResult(True, fmt.name, lines, list(lines), fields, checks_now,
                                   findings)
        # a continued document number whose check digit fails: the reference validator
        for j in np.flatnonzero(table.fallback).tolist():
            i = idx[j]
            lines = docs[i]
            v = Validator(fmt, lines, today)
            v.run()
            results[i] = MrzResult(True, fmt.name, lines, list(lines), v.fields, v.checks,
                                   v.findings)
    return results  # type: ignore[return-value]
