"""Each MRZ finding code has a test that triggers it (and only where it should)."""

from __future__ import annotations

import datetime as dt

import pytest

from docfraud.mrz import FINDING_CODES, generate, parse
from tests.mrz.specimens import BEFORE_EXPIRY, ICAO

TD3 = ICAO["TD3"]


def _set(line: str, pos: int, text: str) -> str:
    return line[:pos] + text + line[pos + len(text) :]


def _codes(lines: list[str], today: dt.date = BEFORE_EXPIRY) -> set[str]:
    return {f.code for f in parse(lines, today=today).findings}


def _fields(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "document_code": "P", "issuing_state": "UTO", "nationality": "UTO",
        "surname": "ERIKSSON", "given_names": "ANNA MARIA", "document_number": "L898902C3",
        "birth_date": "740812", "sex": "F", "expiry_date": "120415",
        "optional_data": "ZE184226B",
    }
    base.update(overrides)
    return base


CASES: dict[str, tuple[list[str], dt.date]] = {
    "MRZ_CHECK_DIGIT_DOCUMENT_NUMBER": ([TD3[0], _set(TD3[1], 9, "7")], BEFORE_EXPIRY),
    "MRZ_CHECK_DIGIT_BIRTH_DATE": ([TD3[0], _set(TD3[1], 19, "3")], BEFORE_EXPIRY),
    "MRZ_CHECK_DIGIT_EXPIRY_DATE": ([TD3[0], _set(TD3[1], 27, "1")], BEFORE_EXPIRY),
    "MRZ_CHECK_DIGIT_OPTIONAL_DATA": ([TD3[0], _set(TD3[1], 42, "5")], BEFORE_EXPIRY),
    "MRZ_CHECK_DIGIT_COMPOSITE": ([TD3[0], _set(TD3[1], 43, "9")], BEFORE_EXPIRY),
    "MRZ_DOCUMENT_CODE_INVALID": (generate(_fields(document_code="X"), format="TD3"),
                                  BEFORE_EXPIRY),
    "MRZ_ISSUING_STATE_UNKNOWN": (generate(_fields(issuing_state="QQQ"), format="TD3"),
                                  BEFORE_EXPIRY),
    "MRZ_NATIONALITY_UNKNOWN": (generate(_fields(nationality="DEU"), format="TD3"),
                                BEFORE_EXPIRY),
    "MRZ_DOCUMENT_NUMBER_EMPTY": (generate(_fields(document_number=""), format="TD3"),
                                  BEFORE_EXPIRY),
    "MRZ_BIRTH_DATE_INVALID": (generate(_fields(birth_date="740230"), format="TD3"),
                               BEFORE_EXPIRY),
    "MRZ_EXPIRY_DATE_INVALID": (generate(_fields(expiry_date="121315"), format="TD3"),
                                BEFORE_EXPIRY),
    "MRZ_BIRTH_AFTER_EXPIRY": (generate(_fields(birth_date="090101", expiry_date="080101"),
                                        format="TD3"), BEFORE_EXPIRY),
    "MRZ_DOCUMENT_EXPIRED": (TD3, dt.date(2013, 1, 1)),
    "MRZ_VALIDITY_TOO_LONG": (TD3, dt.date(1990, 1, 1)),
    "MRZ_SEX_INVALID": ([TD3[0], _set(TD3[1], 20, "Q")], BEFORE_EXPIRY),
    "MRZ_NAME_EMPTY": ([_set(TD3[0], 5, "<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<<<<<<<<"), TD3[1]],
                       BEFORE_EXPIRY),
    "MRZ_NAME_INVALID_CHARACTER": ([_set(TD3[0], 5, "ERIK55ON"), TD3[1]], BEFORE_EXPIRY),
    "MRZ_NAME_SEPARATOR_MISSING": ([_set(TD3[0], 5, "ERIKSSON<ANNA<MARIA<"), TD3[1]],
                                   BEFORE_EXPIRY),
    "MRZ_NAME_TRUNCATED": (generate(_fields(surname="ABDULRAHMAN BIN ISMAIL AL FULANI",
                                            given_names="MUHAMMAD SALEH"), format="TD3"),
                           BEFORE_EXPIRY),
    "MRZ_FILLER_MISPLACED": (generate(_fields(document_number="L89<902C3"), format="TD3"),
                             BEFORE_EXPIRY),
}


def test_every_code_has_a_case() -> None:
    assert set(CASES) == set(FINDING_CODES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_finding_is_triggered(code: str) -> None:
    lines, today = CASES[code]
    result = parse(lines, today=today)
    found = [f for f in result.findings if f.code == code]
    assert found, (code, [f.code for f in result.findings])
    finding = found[0]
    assert finding.severity == FINDING_CODES[code][0]
    assert finding.detector == "mrz"
    assert finding.message
    if code != "MRZ_NAME_TRUNCATED":
        assert not result.valid


def test_clean_specimen_triggers_nothing() -> None:
    assert _codes(TD3) == set()


def test_filler_in_name_after_end() -> None:
    lines = [_set(TD3[0], 5, "ERIKSSON<<ANNA<<<<<<<MARIA"), TD3[1]]
    assert "MRZ_FILLER_MISPLACED" in _codes(lines)


def test_unknown_birth_day_is_allowed() -> None:
    lines = generate(_fields(birth_date="74<<<<"), format="TD3")
    r = parse(lines, today=BEFORE_EXPIRY)
    assert r.valid and r.fields["birth_date"] is None and r.fields["birth_date_partial"] == "74<<<<"


def test_germany_is_d_and_icao_codes_are_known() -> None:
    for code in ("D", "XXA", "XXB", "XXC", "UNO", "EUE", "RKS", "GBD", "UTO", "XOM"):
        assert "MRZ_NATIONALITY_UNKNOWN" not in _codes(
            generate(_fields(nationality=code), format="TD3")), code
