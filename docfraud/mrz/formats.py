"""MRZ formats as data (ICAO Doc 9303 parts 4-7, and the pre-2021 French identity card).

One table per format lists every field (where it is, which characters it may
hold) and every check digit (where it is, which characters it covers). The
parser, the validator, the OCR repair and the generator all read these tables;
no code elsewhere knows a slice offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Character classes of fields.
#:  "alpha": letters and '<';  "numeric": digits ('<' where the field allows unknown parts);
#:  "alnum": letters, digits and '<';  "sex": M, F, X or '<';  "digit": a check digit.
Kind = Literal["alpha", "numeric", "alnum", "name", "sex", "date", "code", "country"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"


@dataclass(frozen=True)
class FieldSpec:
    """One data field: ``lines[line][start:stop]``.

    ``kind`` decides validation and OCR repair: ``code`` (document code),
    ``country`` (3-letter state code), ``name``, ``alnum`` (numbers and optional
    data), ``date`` (YYMMDD), ``sex``, ``alpha``, ``numeric``.
    """

    name: str
    line: int
    start: int
    stop: int
    kind: Kind

    @property
    def width(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class CheckSpec:
    """One check digit at ``lines[line][position]`` over the listed (line, start, stop) spans.

    ``field`` names the data field the digit protects (None for the composite).
    ``may_be_filler``: the digit may be '<' (or '0') when the protected field is empty.
    """

    name: str
    line: int
    position: int
    over: tuple[tuple[int, int, int], ...]
    field: str | None = None
    may_be_filler: bool = False


@dataclass(frozen=True)
class MrzFormat:
    """A complete MRZ layout.

    Attributes:
        name: ``"TD1"``, ``"TD2"``, ``"TD3"``, ``"MRVA"``, ``"MRVB"`` or ``"FRA_ID"``.
        lines: number of lines.
        length: characters per line.
        fields: every data field, in reading order.
        checks: every check digit.
        document_codes: allowed first characters of the document code.
        max_validity_years: longest validity issuers grant for this kind of document.
        long_number: the document number may continue in ``optional_data`` (TD1, TD2).
    """

    name: str
    lines: int
    length: int
    fields: tuple[FieldSpec, ...]
    checks: tuple[CheckSpec, ...]
    document_codes: frozenset[str]
    max_validity_years: int
    description: str
    long_number: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fields_by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "_checks_by_name", {c.name: c for c in self.checks})

    def field(self, name: str) -> FieldSpec:
        """The field called ``name`` (KeyError if this format has none)."""
        spec: FieldSpec = self._fields_by_name[name]  # type: ignore[attr-defined]
        return spec

    def has_field(self, name: str) -> bool:
        return name in self._fields_by_name  # type: ignore[attr-defined]

    def check(self, name: str) -> CheckSpec:
        """The check digit called ``name`` (KeyError if this format has none)."""
        spec: CheckSpec = self._checks_by_name[name]  # type: ignore[attr-defined]
        return spec

    def check_positions(self) -> dict[tuple[int, int], CheckSpec]:
        return {(c.line, c.position): c for c in self.checks}


def _f(name: str, line: int, start: int, stop: int, kind: Kind) -> FieldSpec:
    return FieldSpec(name, line, start, stop, kind)


def _c(
    name: str,
    line: int,
    position: int,
    *over: tuple[int, int, int],
    field: str | None = None,
    may_be_filler: bool = False,
) -> CheckSpec:
    return CheckSpec(name, line, position, tuple(over), field, may_be_filler)


TD1 = MrzFormat(
    name="TD1",
    lines=3,
    length=30,
    fields=(
        _f("document_code", 0, 0, 2, "code"),
        _f("issuing_state", 0, 2, 5, "country"),
        _f("document_number", 0, 5, 14, "alnum"),
        _f("optional_data", 0, 15, 30, "alnum"),
        _f("birth_date", 1, 0, 6, "date"),
        _f("sex", 1, 7, 8, "sex"),
        _f("expiry_date", 1, 8, 14, "date"),
        _f("nationality", 1, 15, 18, "country"),
        _f("optional_data_2", 1, 18, 29, "alnum"),
        _f("name", 2, 0, 30, "name"),
    ),
    checks=(
        _c("document_number", 0, 14, (0, 5, 14), field="document_number"),
        _c("birth_date", 1, 6, (1, 0, 6), field="birth_date"),
        _c("expiry_date", 1, 14, (1, 8, 14), field="expiry_date"),
        _c("composite", 1, 29, (0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)),
    ),
    document_codes=frozenset("IAC"),
    max_validity_years=15,
    description="ICAO 9303 part 5: identity card, 3 lines of 30 characters",
    long_number=True,
)

TD2 = MrzFormat(
    name="TD2",
    lines=2,
    length=36,
    fields=(
        _f("document_code", 0, 0, 2, "code"),
        _f("issuing_state", 0, 2, 5, "country"),
        _f("name", 0, 5, 36, "name"),
        _f("document_number", 1, 0, 9, "alnum"),
        _f("nationality", 1, 10, 13, "country"),
        _f("birth_date", 1, 13, 19, "date"),
        _f("sex", 1, 20, 21, "sex"),
        _f("expiry_date", 1, 21, 27, "date"),
        _f("optional_data", 1, 28, 35, "alnum"),
    ),
    checks=(
        _c("document_number", 1, 9, (1, 0, 9), field="document_number"),
        _c("birth_date", 1, 19, (1, 13, 19), field="birth_date"),
        _c("expiry_date", 1, 27, (1, 21, 27), field="expiry_date"),
        _c("composite", 1, 35, (1, 0, 10), (1, 13, 20), (1, 21, 35)),
    ),
    document_codes=frozenset("IACP"),
    max_validity_years=15,
    description="ICAO 9303 part 6: official travel document, 2 lines of 36 characters",
    long_number=True,
)

TD3 = MrzFormat(
    name="TD3",
    lines=2,
    length=44,
    fields=(
        _f("document_code", 0, 0, 2, "code"),
        _f("issuing_state", 0, 2, 5, "country"),
        _f("name", 0, 5, 44, "name"),
        _f("document_number", 1, 0, 9, "alnum"),
        _f("nationality", 1, 10, 13, "country"),
        _f("birth_date", 1, 13, 19, "date"),
        _f("sex", 1, 20, 21, "sex"),
        _f("expiry_date", 1, 21, 27, "date"),
        _f("optional_data", 1, 28, 42, "alnum"),
    ),
    checks=(
        _c("document_number", 1, 9, (1, 0, 9), field="document_number"),
        _c("birth_date", 1, 19, (1, 13, 19), field="birth_date"),
        _c("expiry_date", 1, 27, (1, 21, 27), field="expiry_date"),
        _c("optional_data", 1, 42, (1, 28, 42), field="optional_data", may_be_filler=True),
        _c("composite", 1, 43, (1, 0, 10), (1, 13, 20), (1, 21, 43)),
    ),
    document_codes=frozenset("P"),
    max_validity_years=10,
    description="ICAO 9303 part 4: passport, 2 lines of 44 characters",
)

MRVA = MrzFormat(
    name="MRVA",
    lines=2,
    length=44,
    fields=(
        _f("document_code", 0, 0, 2, "code"),
        _f("issuing_state", 0, 2, 5, "country"),
        _f("name", 0, 5, 44, "name"),
        _f("document_number", 1, 0, 9, "alnum"),
        _f("nationality", 1, 10, 13, "country"),
        _f("birth_date", 1, 13, 19, "date"),
        _f("sex", 1, 20, 21, "sex"),
        _f("expiry_date", 1, 21, 27, "date"),
        _f("optional_data", 1, 28, 44, "alnum"),
    ),
    checks=(
        _c("document_number", 1, 9, (1, 0, 9), field="document_number"),
        _c("birth_date", 1, 19, (1, 13, 19), field="birth_date"),
        _c("expiry_date", 1, 27, (1, 21, 27), field="expiry_date"),
    ),
    document_codes=frozenset("V"),
    max_validity_years=10,
    description="ICAO 9303 part 7: visa, format A, 2 lines of 44 characters",
)

MRVB = MrzFormat(
    name="MRVB",
    lines=2,
    length=36,
    fields=(
        _f("document_code", 0, 0, 2, "code"),
        _f("issuing_state", 0, 2, 5, "country"),
        _f("name", 0, 5, 36, "name"),
        _f("document_number", 1, 0, 9, "alnum"),
        _f("nationality", 1, 10, 13, "country"),
        _f("birth_date", 1, 13, 19, "date"),
        _f("sex", 1, 20, 21, "sex"),
        _f("expiry_date", 1, 21, 27, "date"),
        _f("optional_data", 1, 28, 36, "alnum"),
    ),
    checks=(
        _c("document_number", 1, 9, (1, 0, 9), field="document_number"),
        _c("birth_date", 1, 19, (1, 13, 19), field="birth_date"),
        _c("expiry_date", 1, 27, (1, 21, 27), field="expiry_date"),
    ),
    document_codes=frozenset("V"),
    max_validity_years=10,
    description="ICAO 9303 part 7: visa, format B, 2 lines of 36 characters",
)

FRA_ID = MrzFormat(
    name="FRA_ID",
    lines=2,
    length=36,
    fields=(
        _f("document_code", 0, 0, 2, "code"),
        _f("issuing_state", 0, 2, 5, "country"),
        _f("surname", 0, 5, 30, "name"),
        _f("administrative_code", 0, 30, 36, "alnum"),
        _f("document_number", 1, 0, 12, "alnum"),
        _f("given_names", 1, 13, 27, "name"),
        _f("birth_date", 1, 27, 33, "date"),
        _f("sex", 1, 34, 35, "sex"),
    ),
    checks=(
        _c("document_number", 1, 12, (1, 0, 12), field="document_number"),
        _c("birth_date", 1, 33, (1, 27, 33), field="birth_date"),
        _c("composite", 1, 35, (0, 0, 36), (1, 0, 35)),
    ),
    document_codes=frozenset("I"),
    max_validity_years=15,
    description="French national identity card issued before 2021, 2 lines of 36 characters",
)

FORMATS: dict[str, MrzFormat] = {f.name: f for f in (TD1, TD2, TD3, MRVA, MRVB, FRA_ID)}
