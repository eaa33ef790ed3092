"""Every check on a parsed MRZ: check digits, codes, dates, sex, names and fillers.

Each check has a name in ``MrzResult.checks``; each failed check adds one
:class:`~docfraud.findings.Finding` whose code is listed in :data:`FINDING_CODES`
and documented in ``docs/findings.md``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from docfraud.findings import Finding, Severity
from docfraud.mrz.checkdigit import _VALUES, check_digit, long_number
from docfraud.mrz.codes import known_codes
from docfraud.mrz.formats import CheckSpec, MrzFormat

#: finding code -> (severity, one-line meaning); the single source for docs/findings.md
FINDING_CODES: dict[str, tuple[Severity, str]] = {
    "MRZ_CHECK_DIGIT_DOCUMENT_NUMBER": ("high", "document-number check digit does not match"),
    "MRZ_CHECK_DIGIT_BIRTH_DATE": ("high", "birth-date check digit does not match"),
    "MRZ_CHECK_DIGIT_EXPIRY_DATE": ("high", "expiry-date check digit does not match"),
    "MRZ_CHECK_DIGIT_OPTIONAL_DATA": (
        "high", "personal-number / optional-data check digit does not match"),
    "MRZ_CHECK_DIGIT_COMPOSITE": ("high", "composite check digit does not match"),
    "MRZ_DOCUMENT_CODE_INVALID": ("medium", "document code not allowed for this MRZ format"),
    "MRZ_ISSUING_STATE_UNKNOWN": ("high", "issuing state is no ISO 3166-1 or ICAO code"),
    "MRZ_NATIONALITY_UNKNOWN": ("high", "nationality is no ISO 3166-1 or ICAO code"),
    "MRZ_DOCUMENT_NUMBER_EMPTY": ("high", "the document number is empty"),
    "MRZ_BIRTH_DATE_INVALID": ("high", "birth date is not a real calendar date"),
    "MRZ_EXPIRY_DATE_INVALID": ("high", "expiry date is not a real calendar date"),
    "MRZ_BIRTH_AFTER_EXPIRY": ("high", "the document expires before its holder was born"),
    "MRZ_DOCUMENT_EXPIRED": ("low", "the document has expired"),
    "MRZ_VALIDITY_TOO_LONG": ("medium", "expiry lies further ahead than issuers allow"),
    "MRZ_SEX_INVALID": ("medium", "sex is not M, F, X or '<'"),
    "MRZ_NAME_EMPTY": ("high", "no primary identifier (surname)"),
    "MRZ_NAME_INVALID_CHARACTER": ("high", "digits in the name field"),
    "MRZ_NAME_SEPARATOR_MISSING": ("low", "several name words but no '<<' separator"),
    "MRZ_NAME_TRUNCATED": ("low", "the name fills its field: it may be truncated"),
    "MRZ_FILLER_MISPLACED": ("medium", "data after filler characters inside a field"),
}

_CHECK_FINDING = {
    "document_number": "MRZ_CHECK_DIGIT_DOCUMENT_NUMBER",
    "birth_date": "MRZ_CHECK_DIGIT_BIRTH_DATE",
    "expiry_date": "MRZ_CHECK_DIGIT_EXPIRY_DATE",
    "optional_data": "MRZ_CHECK_DIGIT_OPTIONAL_DATA",
    "composite": "MRZ_CHECK_DIGIT_COMPOSITE",
}

_LABEL = {
    "document_number": "document number",
    "birth_date": "birth date",
    "expiry_date": "expiry date",
    "optional_data": "personal number",
    "composite": "composite",
}

_NAME_AFTER_FILLERS = re.compile(r"<{3,}[A-Z0-9]")
_DATA_AFTER_FILLER = re.compile(r"<+[A-Z0-9]")
_VALID_SEX = frozenset("MFX<")
_DIGIT = re.compile(r"[0-9]")
_MARGIN = _dt.timedelta(days=31)
_PARTIAL_BIRTH = re.compile(r"^\d\d(\d\d|<<)(\d\d|<<)$")


def resolve_birth_year(yy: int, mm: int, dd: int, today: _dt.date) -> int:
    """Four-digit birth year: the latest century that puts the date not after ``today``."""
    year = today.year - today.year % 100 + yy
    if (year, mm, dd) > (today.year, today.month, today.day):
        year -= 100
    return year


def resolve_expiry_year(yy: int, today: _dt.date) -> int:
    """Four-digit expiry year: within 50 years either side of ``today``."""
    year = today.year - today.year % 100 + yy
    if year > today.year + 50:
        year -= 100
    elif year < today.year - 50:
        year += 100
    return year


def expired_finding(expiry: _dt.date, today: _dt.date) -> Finding:
    """The MRZ_DOCUMENT_EXPIRED finding (shared by the reference and batch validators)."""
    return Finding(
        "MRZ_DOCUMENT_EXPIRED", FINDING_CODES["MRZ_DOCUMENT_EXPIRED"][0], "mrz",
        f"the document expired on {expiry.isoformat()}", None,
        {"expiry_date": expiry.isoformat(), "today": today.isoformat()},
    )


def check_digit_finding(spec: CheckSpec, printed: str, expected: str) -> Finding:
    """The finding for check digit ``spec`` printed as ``printed`` where the data computes to
    ``expected`` (shared with the batch path)."""
    code = _CHECK_FINDING[spec.name]
    return Finding(
        code, FINDING_CODES[code][0], "mrz",
        f"{_LABEL[spec.name]} check digit is {printed!r} but the data computes to "
        f"{expected!r} (line {spec.line + 1}, position {spec.position + 1})", None,
        {"line": spec.line, "position": spec.position, "found": printed, "expected": expected},
    )


def separator_finding(fmt: MrzFormat, text: str) -> Finding:
    """MRZ_NAME_SEPARATOR_MISSING for name field text ``text`` (shared with the batch path)."""
    spec = fmt.field("name")
    return Finding(
        "MRZ_NAME_SEPARATOR_MISSING", FINDING_CODES["MRZ_NAME_SEPARATOR_MISSING"][0], "mrz",
        f"name {text.rstrip('<')!r} has several words but no '<<' between surname and given "
        "names", None,
        {"found": text, "line": spec.line, "start": spec.start, "stop": spec.stop},
    )


def truncated_finding(fmt: MrzFormat, name: str) -> Finding:
    """The MRZ_NAME_TRUNCATED finding for name field ``name`` (shared with the batch path)."""
    spec = fmt.field(name)
    return Finding(
        "MRZ_NAME_TRUNCATED", FINDING_CODES["MRZ_NAME_TRUNCATED"][0], "mrz",
        f"{name.replace('_', ' ')} fills all {spec.width} characters and may be truncated", None,
        {"field": name, "line": spec.line, "start": spec.start, "stop": spec.stop},
    )


def _add_years(d: _dt.date, years: int) -> _dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


_WEIGHTS = (7, 3, 1)


@dataclass(frozen=True)
class _CheckPlan:
    """A check digit prepared for fast evaluation: per span (line, start, stop, phase)."""

    spec: CheckSpec
    spans: tuple[tuple[int, int, int, int], ...]


def _plan_checks(fmt: MrzFormat) -> tuple[_CheckPlan, ...]:
    plans = []
    for spec in fmt.checks:
        spans = []
        offset = 0
        for li, a, b in spec.over:
            spans.append((li, a, b, offset % 3))
            offset += b - a
        plans.append(_CheckPlan(spec, tuple(spans)))
    return tuple(plans)


_PLANS: dict[str, tuple[_CheckPlan, ...]] = {}


_SLICES: dict[str, tuple[tuple[str, int, int, int], ...]] = {}


def _slices(fmt: MrzFormat) -> tuple[tuple[str, int, int, int], ...]:
    cached = _SLICES.get(fmt.name)
    if cached is None:
        cached = _SLICES[fmt.name] = tuple((f.name, f.line, f.start, f.stop) for f in fmt.fields)
    return cached


@functools.lru_cache(maxsize=64)
def _validity_limit(today: _dt.date, years: int) -> _dt.date:
    return _add_years(today, years) + _MARGIN


def _digit(values: list[bytes], plan: _CheckPlan) -> str:
    total = 0
    for li, a, b, phase in plan.spans:
        v = values[li]
        # weight of the character at a+k is _WEIGHTS[(phase + k) % 3]
        total += (_WEIGHTS[phase] * sum(v[a:b:3])
                  + _WEIGHTS[(phase + 1) % 3] * sum(v[a + 1 : b : 3])
                  + _WEIGHTS[(phase + 2) % 3] * sum(v[a + 2 : b : 3]))
    return "0123456789"[total % 10]


class Validator:
    """Runs every check of one MRZ and collects fields, checks and findings.

    ``lines`` must already be normalised (only MRZ characters, format's shape).
    """

    __slots__ = ("checks", "fields", "findings", "fmt", "lines", "raw", "today")

    def __init__(self, fmt: MrzFormat, lines: list[str], today: _dt.date) -> None:
        self.fmt = fmt
        self.lines = lines
        self.today = today
        self.raw: dict[str, str] = {n: lines[li][a:b] for n, li, a, b in _slices(fmt)}
        self.fields: dict[str, Any] = {}
        self.checks: dict[str, bool] = {}
        self.findings: list[Finding] = []

    # -- helpers -----------------------------------------------------------------
    def _fail(
        self, check: str | None, code: str, message: str, data: dict[str, Any] | None = None
    ) -> None:
        if check is not None:
            self.checks[check] = False
        self.findings.append(Finding(code, FINDING_CODES[code][0], "mrz", message, None, data))

    def _region_of(self, name: str) -> dict[str, int]:
        spec = self.fmt.field(name)
        return {"line": spec.line, "start": spec.start, "stop": spec.stop}

    # -- checks ------------------------------------------------------------------
    def run(self) -> None:
        fmt = self.fmt
        self._check_digits()
        self._document_code()
        self._codes()
        self._document_number()
        self._dates()
        self._sex()
        if fmt.has_field("name"):
            self._name_field("name", split=True)
        else:  # French ID: separate surname and given-name fields
            self._name_field("surname", split=False)
            self._name_field("given_names", split=False)
        for name in ("optional_data", "optional_data_2", "administrative_code"):
            if fmt.has_field(name) and name not in self.fields:
                self.fields[name] = self.raw[name].strip("<")

    def _sex(self) -> None:
        sex = self.raw["sex"]
        ok = sex in _VALID_SEX
        self.checks["sex"] = ok
        self.fields["sex"] = sex if sex != "<" else None
        if not ok:
            self._fail("sex", "MRZ_SEX_INVALID", f"sex {sex!r} is not M, F, X or '<'",
                       {"found": sex, **self._region_of("sex")})

    def _check_digits(self) -> None:
        fmt = self.fmt
        lines = self.lines
        plans = _PLANS.get(fmt.name)
        if plans is None:
            plans = _PLANS[fmt.name] = _plan_checks(fmt)
        values = [line.encode("ascii").translate(_VALUES) for line in lines]
        long_number = False
        if fmt.long_number:
            spec = fmt.check("document_number")
            long_number = (lines[spec.line][spec.position] == "<"
                           and "<" not in self.raw["document_number"]
                           and self.raw["optional_data"][:1] != "<")
        checks = self.checks
        for plan in plans:
            spec = plan.spec
            if long_number and spec.name == "document_number":
                self._long_document_number(spec)
                continue
            printed = lines[spec.line][spec.position]
            expected = _digit(values, plan)
            ok = printed == expected
            if not ok and spec.may_be_filler and printed in "<0" and not any(
                values[li][a:b].strip(b"\0") for li, a, b, _ in plan.spans
            ):
                ok = True
            checks["check_digit." + spec.name] = ok
            if not ok:
                self._check_failure(spec, printed, expected)

    def _check_failure(self, spec: CheckSpec, printed: str, expected: str) -> None:
        self.checks["check_digit." + spec.name] = False
        self.findings.append(check_digit_finding(spec, printed, expected))

    def _long_document_number(self, spec: CheckSpec) -> None:
        """TD1/TD2 document numbers over 9 characters continue in the optional data."""
        opt = self.raw["optional_data"]
        number = self.raw["document_number"]
        parts = long_number(number, opt)
        if parts is None:
            # a single character cannot be both continuation and check digit
            self._check_failure(spec, "<", check_digit(number))
            return
        full, printed = parts
        end = len(full) - len(number) + 1  # the check digit's index in the optional data
        expected = check_digit(full)
        ok = printed == expected
        self.checks["check_digit.document_number"] = ok
        self.fields["document_number"] = full
        self.fields["optional_data"] = opt[end:].strip("<")
        if not ok:
            opt_spec = self.fmt.field("optional_data")
            self._fail(
                "check_digit.document_number",
                "MRZ_CHECK_DIGIT_DOCUMENT_NUMBER",
                f"document number {full!r} (continued in the optional data) has check digit "
                f"{printed!r} but computes to {expected!r}",
                {"line": opt_spec.line, "position": opt_spec.start + end - 1, "found": printed,
                 "expected": expected},
            )

    def _document_code(self) -> None:
        code = self.raw["document_code"]
        self.fields["document_code"] = code.rstrip("<")
        # the second character is the issuer's choice, but ICAO keeps 'V' for visas
        ok = code[0] in self.fmt.document_codes and not (code[0] in "IAC" and code[1] == "V")
        self.checks["document_code"] = ok
        if not ok:
            allowed = ", ".join(sorted(self.fmt.document_codes))
            self._fail(
                "document_code",
                "MRZ_DOCUMENT_CODE_INVALID",
                f"document code {code!r} is not valid for {self.fmt.name} "
                f"(first letter must be one of {allowed}; 'V' second only on visas)",
                {"found": code},
            )

    def _codes(self) -> None:
        known = known_codes()
        for name, code in (("issuing_state", "MRZ_ISSUING_STATE_UNKNOWN"),
                           ("nationality", "MRZ_NATIONALITY_UNKNOWN")):
            raw = self.raw.get(name)
            if raw is None:
                continue
            value = raw.rstrip("<")
            self.fields[name] = value
            ok = value in known
            self.checks[name] = ok
            if not ok:
                self._fail(
                    name,
                    code,
                    f"{name.replace('_', ' ')} {raw!r} is not an ISO 3166-1 alpha-3 or ICAO code",
                    {"found": raw},
                )

    def _document_number(self) -> None:
        number = self.raw["document_number"]
        if "document_number" not in self.fields:
            self.fields["document_number"] = number.rstrip("<")
        ok = number.strip("<") != ""
        self.checks["document_number"] = ok
        if not ok:
            self._fail("document_number", "MRZ_DOCUMENT_NUMBER_EMPTY", "document number is empty")
        self.checks["fillers.document_number"] = True
        if ok and _DATA_AFTER_FILLER.search(number.rstrip("<")):
            self._filler_failure("document_number", number)

    def _filler_failure(self, name: str, value: str) -> None:
        self._fail(
            "fillers." + name,
            "MRZ_FILLER_MISPLACED",
            f"{name.replace('_', ' ')} {value!r} has data after filler characters",
            {"field": name, "found": value, **self._region_of(name)},
        )

    def _parse_date(self, name: str, code: str, *, birth: bool) -> _dt.date | None:
        text = self.raw[name]
        self.fields[name] = None
        if birth and "<" in text and _PARTIAL_BIRTH.match(text):
            # ICAO 9303 part 3: unknown birth day or month is printed as '<<'
            self.fields["birth_date_partial"] = text
            self.checks[name] = True
            return None
        try:
            if not text.isdigit():
                raise ValueError("not digits")
            yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:6])
            year = (resolve_birth_year(yy, mm, dd, self.today) if birth
                    else resolve_expiry_year(yy, self.today))
            value = _dt.date(year, mm, dd)
        except ValueError:
            self._fail(
                name,
                code,
                f"{name.replace('_', ' ')} {text!r} is not a valid YYMMDD date",
                {"found": text, **self._region_of(name)},
            )
            return None
        self.checks[name] = True
        self.fields[name] = f"{year:04d}-{text[2:4]}-{text[4:6]}"
        return value

    def _dates(self) -> None:
        birth = self._parse_date("birth_date", "MRZ_BIRTH_DATE_INVALID", birth=True)
        if "expiry_date" not in self.raw:
            return
        expiry = self._parse_date("expiry_date", "MRZ_EXPIRY_DATE_INVALID", birth=False)
        if expiry is None:
            return
        if birth is not None:
            ok = birth < expiry
            self.checks["birth_before_expiry"] = ok
            if not ok:
                self._fail(
                    "birth_before_expiry",
                    "MRZ_BIRTH_AFTER_EXPIRY",
                    f"expiry date {expiry.isoformat()} is not after birth date {birth.isoformat()}",
                )
        today = self.today
        ok = expiry >= today
        self.checks["not_expired"] = ok
        if not ok:
            self.findings.append(expired_finding(expiry, today))
        years = self.fmt.max_validity_years
        ok = expiry <= _validity_limit(today, years)
        self.checks["validity_period"] = ok
        if not ok:
            self._fail(
                "validity_period",
                "MRZ_VALIDITY_TOO_LONG",
                f"expiry {expiry.isoformat()} is more than {years} years ahead; "
                f"{self.fmt.name} documents are not issued for that long",
                {"expiry_date": expiry.isoformat(), "max_years": years},
            )

    def _name_field(self, name: str, *, split: bool) -> None:
        text = self.raw[name]
        body = text.rstrip("<")
        checks = self.checks
        key = "name_characters." + name
        ok = _DIGIT.search(text) is None
        checks[key] = ok
        if not ok:
            self._fail(key, "MRZ_NAME_INVALID_CHARACTER",
                       f"{name.replace('_', ' ')} {body!r} contains digits",
                       {"field": name, "found": text, **self._region_of(name)})
        if split:
            primary, sep, secondary = body.partition("<<")
            self.fields["surname"] = primary.replace("<", " ").strip()
            self.fields["given_names"] = " ".join(secondary.replace("<", " ").split())
            ok = primary.strip("<") != ""
            checks["name_present"] = ok
            if not ok:
                self._fail("name_present", "MRZ_NAME_EMPTY",
                           "the name has no primary identifier (surname)",
                           {"found": text, **self._region_of(name)})
            ok = bool(sep) or "<" not in primary
            checks["name_separator"] = ok
            if not ok:
                self.findings.append(separator_finding(self.fmt, text))
        else:
            self.fields[name] = " ".join(body.replace("<", " ").split())
            if name == "surname":
                ok = body != ""
                checks["name_present"] = ok
                if not ok:
                    self._fail("name_present", "MRZ_NAME_EMPTY", "the surname field is empty",
                               {"found": text, **self._region_of(name)})
        if text[-1] != "<" and len(body.replace("<", "")) >= 2:
            # ICAO truncation is legitimate: a finding for the examiner, not a failed check
            self.findings.append(truncated_finding(self.fmt, name))
        key = "fillers." + name
        checks[key] = True
        if (text[0] == "<" and body) or _NAME_AFTER_FILLERS.search(body):
            self._filler_failure(name, text)
