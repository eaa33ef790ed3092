from __future__ import annotations

import datetime as dt

import pytest

from docfraud.errors import DocfraudError, InputError, MrzFormatError
from docfraud.mrz import FORMATS, MrzResult, check_digit, parse
from tests.mrz.specimens import BEFORE_EXPIRY, ICAO, TODAY


@pytest.mark.parametrize("name", sorted(ICAO))
def test_icao_specimens_are_valid(name: str) -> None:
    result = parse(ICAO[name], today=TODAY[name])
    assert result.valid, result.findings
    assert result.format == name.replace("_LONG", "")
    assert all(result.checks.values())


def test_td3_fields() -> None:
    r = parse(ICAO["TD3"], today=BEFORE_EXPIRY)
    assert r.fields == {
        "document_code": "P", "issuing_state": "UTO", "nationality": "UTO",
        "document_number": "L898902C3", "birth_date": "1974-08-12", "expiry_date": "2012-04-15",
        "sex": "F", "surname": "ERIKSSON", "given_names": "ANNA MARIA",
        "optional_data": "ZE184226B",
    }


def test_td1_long_document_number_continues_in_optional_data() -> None:
    r = parse(ICAO["TD1_LONG"], today=TODAY["TD1_LONG"])
    assert r.fields["document_number"] == "D23145890734"
    assert r.fields["optional_data"] == ""
    assert r.checks["check_digit.document_number"]
    broken = [ICAO["TD1_LONG"][0].replace("7349", "7348"), *ICAO["TD1_LONG"][1:]]
    r = parse(broken, today=TODAY["TD1_LONG"])
    assert not r.checks["check_digit.document_number"]
    assert "MRZ_CHECK_DIGIT_DOCUMENT_NUMBER" in [f.code for f in r.findings]


def test_long_number_split_shared_by_parser_and_reader() -> None:
    from docfraud.mrz.checkdigit import long_number

    assert long_number("D23145890", "7349<<<<<<<<<<<") == ("D23145890734", "9")
    assert long_number("D23145890", "73491234567890A") == ("D2314589073491234567890", "A")
    assert long_number("D23145890", "7<<<<<<<<<<<<<<") is None  # no room for a check digit
    assert long_number("D23145890", "<<<<<<<<<<<<<<<") is None


def test_french_id_fields() -> None:
    r = parse(ICAO["FRA_ID"], today=BEFORE_EXPIRY)
    assert r.fields["surname"] == "DOUEL"
    assert r.fields["given_names"] == "CHRISTIANE NI"
    assert r.fields["document_number"] == "050693202043"
    assert r.fields["administrative_code"] == "932013"
    assert "expiry_date" not in r.fields


def test_check_digit_values() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("<<<<<") == "0"
    assert check_digit("") == "0"
    with pytest.raises(MrzFormatError) as info:
        check_digit("AB-1")
    assert info.value.position == 2 and info.value.char == "-"


def test_empty_personal_number_may_have_filler_or_zero_check_digit() -> None:
    line2 = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<4"
    assert parse([ICAO["TD3"][0], line2], today=BEFORE_EXPIRY).checks["check_digit.optional_data"]
    zero = line2[:42] + "0" + line2[43]
    r = parse([ICAO["TD3"][0], zero], today=BEFORE_EXPIRY)
    assert r.checks["check_digit.optional_data"]


def test_text_input_forms_and_whitespace() -> None:
    text = "\n  " + "\n".join(ICAO["TD3"]) + "  \n\n"
    assert parse(text, today=BEFORE_EXPIRY).valid


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        (["P<UTO"], "match no MRZ format"),
        ([ICAO["TD3"][0], ICAO["TD3"][1][:-1]], "differ in length"),
        ([ICAO["TD3"][0].lower(), ICAO["TD3"][1]], "upper case"),
        ([ICAO["TD3"][0][:10] + "É" + ICAO["TD3"][0][11:], ICAO["TD3"][1]], "position 11"),
        ([], "empty"),
        ("   \n ", "empty"),
    ],
)
def test_malformed_text_raises_typed_error_naming_the_problem(lines: object, fragment: str) -> None:
    with pytest.raises(MrzFormatError, match=fragment):
        parse(lines)  # type: ignore[arg-type]


def test_malformed_error_names_line_position_and_char() -> None:
    with pytest.raises(MrzFormatError) as info:
        parse([ICAO["TD3"][0], ICAO["TD3"][1][:5] + "?" + ICAO["TD3"][1][6:]])
    assert (info.value.line, info.value.position, info.value.char) == (1, 5, "?")


def test_wrong_input_type() -> None:
    with pytest.raises(InputError):
        parse(12345)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        parse([b"P<UTO"])  # type: ignore[list-item]


def test_forced_format() -> None:
    assert parse(ICAO["TD2"], format="TD2", today=BEFORE_EXPIRY).format == "TD2"
    with pytest.raises(MrzFormatError):
        parse(ICAO["TD2"], format="TD3")
    with pytest.raises(InputError):
        parse(ICAO["TD2"], format="TD9")


def test_result_round_trips_through_dict() -> None:
    r = parse([*ICAO["TD3"][:1], "L898902C36UTO7408122F1204159ZE184226B<<<<<11"])
    again = MrzResult.from_dict(r.to_dict())
    assert again.to_dict() == r.to_dict()
    assert not again.valid


def test_two_digit_years() -> None:
    today = dt.date(2026, 11, 28)
    r = parse(ICAO["TD3"], today=today)
    assert r.fields["birth_date"] == "1974-08-12"
    assert r.fields["expiry_date"] == "2012-04-15"
    # a child born this year and a passport expiring in 2034
    from docfraud.mrz import generate

    lines = generate({"document_code": "P", "issuing_state": "UTO", "nationality": "UTO",
                      "surname": "X", "document_number": "A1", "birth_date": "260101",
                      "expiry_date": "340101", "sex": "F"}, format="TD3")
    r = parse(lines, today=today)
    assert r.fields["birth_date"] == "2026-01-01"
    assert r.fields["expiry_date"] == "2034-01-01"
    assert r.valid


def test_specimen_check_digits_match_truth(specimen_truth: list[dict[str, object]]) -> None:
    """Every real specimen parses, and each check digit agrees with the hand-verified truth."""
    for entry in specimen_truth:
        r = parse(entry["mrz"])  # type: ignore[arg-type]
        assert r.format == entry["format"], entry["file"]
        truth = dict(entry["checks_as_printed"])  # type: ignore[call-overload]
        truth["optional_data"] = truth.pop("optional")
        for name, expected in truth.items():
            if expected is None:
                continue
            assert r.checks[f"check_digit.{name}"] is expected, (entry["file"], name)


def test_formats_table_is_consistent() -> None:
    for fmt in FORMATS.values():
        covered: set[tuple[int, int]] = set()
        for spec in fmt.fields:
            assert 0 <= spec.line < fmt.lines and 0 <= spec.start < spec.stop <= fmt.length
            cells = {(spec.line, p) for p in range(spec.start, spec.stop)}
            assert not cells & covered, (fmt.name, spec.name)
            covered |= cells
        for check in fmt.checks:
            assert (check.line, check.position) not in covered, (fmt.name, check.name)
            covered.add((check.line, check.position))
        # every position is a field, a check digit, or a documented filler
        assert len(covered) >= fmt.lines * fmt.length - 2, fmt.name


def test_docfraud_error_is_base() -> None:
    assert issubclass(MrzFormatError, DocfraudError)
