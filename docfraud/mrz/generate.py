"""Compose valid MRZ lines from field values, for every format (the parser's mirror)."""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from docfraud.errors import InputError
from docfraud.mrz.checkdigit import check_digit
from docfraud.mrz.formats import FORMATS, MrzFormat

# ICAO 9303 part 3, section 6: recommended transliteration of Latin letters with diacritics
_TRANSLIT = {
    "Ä": "AE", "Å": "AA", "Æ": "AE", "Ö": "OE", "Ø": "OE", "Ü": "UE", "ß": "SS",
    "Þ": "TH", "Ð": "D", "Œ": "OE", "Ĳ": "IJ", "Ł": "L", "Đ": "D", "Ħ": "H", "Ŋ": "N",
    "ı": "I",
}
_NAME_JUNK = re.compile(r"[^A-Z<]")


def transliterate(text: str) -> str:
    """Latin-script name to MRZ characters: upper case, ICAO transliteration, '<' between words.

    Hyphens, spaces and commas become '<'; apostrophes and other marks are dropped.
    """
    out = []
    for ch in text.upper():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
            continue
        if ch in " -,.":
            out.append("<")
            continue
        base = unicodedata.normalize("NFKD", ch)
        out.append("".join(c for c in base if "A" <= c <= "Z"))
    value = _NAME_JUNK.sub("", "".join(out))
    return re.sub("<+", "<", value).strip("<")


def _truncate(full: str, width: int) -> str:
    """Cut an over-long name to ``width`` so that it ends in a letter (ICAO's truncation mark)."""
    if len(full) <= width:
        return full.ljust(width, "<")
    text = full[:width]
    if text.endswith("<"):
        cut = text.rstrip("<")
        following = full[len(cut):].lstrip("<")[:1]
        text = (cut[: width - (len(text) - len(cut)) - 1] + text[len(cut):] + following)[:width]
    return text


def compose_name(surname: str, given_names: str, width: int) -> str:
    """The name field: ``PRIMARY<<SECONDARY``, truncated per ICAO 9303 part 3 to ``width``.

    Given names are truncated first (down to their first letter), then the surname; a
    truncated field ends in a letter, never in a filler.
    """
    primary = transliterate(surname)
    secondary = transliterate(given_names)
    if not primary:
        raise InputError("surname must contain at least one Latin letter")
    full = primary + ("<<" + secondary if secondary else "")
    if len(full) > width and secondary and len(primary) + 3 > width:
        full = primary[: width - 3] + "<<" + secondary
    return _truncate(full, width)


def _date_text(value: Any, name: str) -> str:
    if value is None:
        return "<<<<<<"
    if isinstance(value, _dt.date):
        return value.strftime("%y%m%d")
    text = str(value)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        return text[2:4] + text[5:7] + text[8:10]
    if re.fullmatch(r"[0-9<]{6}", text):
        return text
    raise InputError(f"{name} must be a date, 'YYYY-MM-DD' or 'YYMMDD'; got {value!r}")


def _code_text(value: Any, width: int, name: str) -> str:
    text = str(value or "").upper()
    if not re.fullmatch(r"[A-Z0-9<]*", text):
        raise InputError(f"{name} {value!r} may only hold A-Z, 0-9 and '<'")
    if len(text) > width:
        raise InputError(f"{name} {value!r} is longer than its {width} characters")
    return text.ljust(width, "<")


def _free_text(value: Any, width: int, name: str) -> str:
    text = re.sub(r"[ \-]", "<", str(value or "").upper())
    if not re.fullmatch(r"[A-Z0-9<]*", text):
        raise InputError(f"{name} {value!r} may only hold A-Z, 0-9, '<', spaces and hyphens")
    if len(text) > width:
        raise InputError(f"{name} {value!r} is longer than its {width} characters")
    return text.ljust(width, "<")


def generate(
    fields: Mapping[str, Any],
    *,
    format: str = "TD3",
    check_digit_overrides: Mapping[str, str] | None = None,
) -> list[str]:
    """Compose the MRZ lines of a document.

    Args:
        fields: ``document_code`` (e.g. ``"P"``, ``"ID"``, ``"V"``), ``issuing_state``,
            ``surname``, ``given_names``, ``document_number``, ``nationality``,
            ``birth_date`` and ``expiry_date`` (``datetime.date``, ``"YYYY-MM-DD"`` or
            ``"YYMMDD"``), ``sex`` (``"M"``, ``"F"``, ``"X"`` or ``"<"``/None),
            ``optional_data`` (TD3: personal number), ``optional_data_2`` (TD1 line 2),
            ``administrative_code`` (French ID). Missing fields are left empty.
        format: ``"TD1"``, ``"TD2"``, ``"TD3"``, ``"MRVA"``, ``"MRVB"`` or ``"FRA_ID"``.
        check_digit_overrides: print these check digits (by check name, e.g.
            ``{"composite": "5"}``) instead of the computed ones; for making invalid MRZs.

    Returns:
        The MRZ lines, each of the format's length.

    Raises:
        InputError: unknown format, or a field that cannot be written in the MRZ.
    """
    fmt: MrzFormat | None = FORMATS.get(format)
    if fmt is None:
        raise InputError(f"unknown MRZ format {format!r}; choose one of {', '.join(FORMATS)}")
    lines = [["<"] * fmt.length for _ in range(fmt.lines)]
    overrides = dict(check_digit_overrides or {})
    number = str(fields.get("document_number") or "").upper()
    long_number = fmt.long_number and len(number) > fmt.field("document_number").width
    for spec in fmt.fields:
        value = fields.get(spec.name)
        if spec.kind == "name":
            if spec.name == "name":
                text = compose_name(str(fields.get("surname") or ""),
                                    str(fields.get("given_names") or ""), spec.width)
            else:  # French ID: surname and given names in fields of their own
                names = transliterate(str(value or ""))
                if not names and spec.name == "surname":
                    raise InputError("surname must contain at least one Latin letter")
                # given names are separated by '<<' on this card
                text = _truncate(names.replace("<", "<<") if spec.name == "given_names"
                                 else names, spec.width)
        elif spec.kind == "date":
            text = _date_text(value, spec.name)
        elif spec.kind == "sex":
            text = str(value or "<").upper()[:1]
            if text not in "MFX<":
                raise InputError(f"sex must be M, F, X or '<'; got {value!r}")
        elif spec.name == "document_number":
            text = number[:spec.width] if long_number else _code_text(number, spec.width, spec.name)
        elif spec.kind in ("code", "country"):
            text = _code_text(value, spec.width, spec.name)
        else:
            text = _free_text(value, spec.width, spec.name)
        lines[spec.line][spec.start : spec.stop] = list(text)
    if long_number:
        _write_long_number(fmt, lines, number, str(fields.get("optional_data") or ""))
    for check in fmt.checks:
        if long_number and check.name == "document_number":
            continue
        data = "".join("".join(lines[li][a:b]) for li, a, b in check.over)
        digit = "<" if check.may_be_filler and data.strip("<") == "" else check_digit(data)
        lines[check.line][check.position] = overrides.pop(check.name, digit)
    if overrides:
        raise InputError(f"no such check digit in {fmt.name}: {', '.join(overrides)}")
    return ["".join(row) for row in lines]


def _write_long_number(fmt: MrzFormat, lines: list[list[str]], number: str, rest: str) -> None:
    """ICAO 9303 parts 5-6: '<' in the check position, the rest of the number and its
    check digit at the start of the optional data."""
    spec = fmt.field("document_number")
    opt = fmt.field("optional_data")
    _code_text(number, len(number), "document_number")
    tail = number[spec.width :] + check_digit(number)
    text = tail + (rest and "<" + rest)
    if len(text) > opt.width:
        raise InputError(
            f"document number {number!r} and optional data {rest!r} do not fit in {fmt.name} "
            f"(number and optional data together at most {spec.width + opt.width - 2} characters)"
        )
    lines[opt.line][opt.start : opt.stop] = list(_free_text(text, opt.width, "optional_data"))
    lines[spec.line][fmt.check("document_number").position] = "<"


_SURNAMES = ("ERIKSSON", "MUELLER", "NGUYEN", "OKONKWO-ADEYEMI", "AL HASSAN", "GARCIA LOPEZ",
             "KOWALSKI", "O'BRIEN", "DE LA CRUZ", "PAPADOPOULOS", "SMITH", "WOLDEMARIAM",
             "VAN DER BERG", "ABDULRAHMAN BIN ISMAIL", "LEE", "YILMAZ")
_GIVEN = ("ANNA MARIA", "JOHN", "FATIMA ZAHRA", "LUIS", "MEI", "OLUWASEUN ADEBAYO", "PIOTR",
          "SIOBHAN", "JEAN-BAPTISTE", "", "AMINA", "MUHAMMAD ALI HASSAN", "KIM", "TEKLE")
_STATES = ("UTO", "FRA", "D", "GBR", "NLD", "ITA", "ESP", "NGA", "SYR", "AFG", "ERI", "XXA",
           "UNO", "CAN", "AUS", "TUR", "LBY", "EUE")


def random_fields(rng: Any, format: str, *, today: _dt.date | None = None) -> dict[str, Any]:
    """Plausible random field values for ``format`` (``rng``: a ``random.Random``).

    Used by tests, benchmarks and synthetic documents; dates are valid calendar dates
    within ICAO's two-digit-year windows around ``today``.
    """
    today = today or _dt.date.today()
    fmt = FORMATS[format]
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    birth = today - _dt.timedelta(days=rng.randint(365, 365 * 90))
    expiry = today + _dt.timedelta(days=rng.randint(-365 * 3, 365 * fmt.max_validity_years - 40))
    code = {"TD3": "P", "MRVA": "V", "MRVB": "V", "FRA_ID": "ID"}.get(
        format, rng.choice(["I", "ID", "IR", "A", "AC", "C"]))
    number_len = fmt.field("document_number").width
    if fmt.long_number and rng.random() < 0.2:
        number_len += rng.randint(1, 3)
    number = "".join(rng.choice(alnum) for _ in range(number_len))
    if rng.random() < 0.2 and not fmt.long_number:
        number = number[: rng.randint(6, number_len)]
    fields: dict[str, Any] = {
        "document_code": code,
        "issuing_state": "FRA" if format == "FRA_ID" else rng.choice(_STATES),
        "nationality": rng.choice(_STATES),
        "surname": rng.choice(_SURNAMES),
        "given_names": rng.choice(_GIVEN),
        "document_number": number,
        "birth_date": birth,
        "sex": rng.choice("MFX<"),
        "expiry_date": expiry,
    }
    if fmt.has_field("optional_data"):
        width = fmt.field("optional_data").width - (number_len - 9 + 2 if number_len > 9 else 0)
        width = max(width, 0)
        opt_len = rng.randint(0, min(width, 9))
        fields["optional_data"] = "".join(rng.choice(alnum) for _ in range(opt_len))
    if fmt.has_field("optional_data_2"):
        fields["optional_data_2"] = "".join(rng.choice(alnum) for _ in range(rng.randint(0, 6)))
    if format == "FRA_ID":
        fields["document_number"] = f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}" + "".join(
            rng.choice("0123456789") for _ in range(8))
        fields["administrative_code"] = f"{rng.randint(1, 95):03d}" + rng.choice(["", "ABC"])
    return fields
