"""The vizcheck detector compares the visual zone (OCR) with the MRZ."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pytest

from docfraud.forensics import Analysis, get_detector, run_detectors
from docfraud.forensics.vizcheck import (
    Word,
    _number_forms,
    edit_distance,
    fold,
    name_variants,
    ocr_distance,
    parse_dates,
    unsure_fields,
)
from docfraud.mrz import parse
from docfraud.synth import iter_documents
from tests.forensics.synth_zones import synth_analysis


def words(text: str, conf: float = 95.0) -> list[Word]:
    return [Word(t, conf, (10 * i, 0, 9, 9), i) for i, t in enumerate(text.split())]


FIELDS = {"document_number": "UT1690595", "birth_date": "1974-08-12",
          "expiry_date": "2030-03-01", "surname": "MUELLER", "given_names": "ANNA MARIA"}


def test_helpers() -> None:
    assert edit_distance("MULLER", "MUELLER") == 1 and edit_distance("", "AB") == 2
    assert fold("Müller-Łódź") == "MUELLERLODZ"
    assert "MULLER" in name_variants("MUELLER")
    got = [d for d, _ in parse_dates(words(
        "12 AUG 1974 x 12.08.1974 12/08/1974 03 MAR/MARS 2030 31.02.1999 5 JUIL 2001"))]
    assert got == [dt.date(1974, 8, 12)] * 3 + [dt.date(2030, 3, 3), dt.date(2001, 7, 5)]


@pytest.mark.parametrize(("text", "day"), [
    ("13 JAN JANV 1982", dt.date(1982, 1, 13)),      # bilingual month read as two words
    ("02 AUG. AOUT 2022", dt.date(2022, 8, 2)),
    ("24 DEC,DIC 1954", dt.date(1954, 12, 24)),
    ("20 JUL)UIL 1947", dt.date(1947, 7, 20)),       # second name garbled
    ("11MAR 1979", dt.date(1979, 3, 11)),            # day run into the month
    ("24.0CT1940", dt.date(1940, 10, 24)),           # O read as 0
    ("220CT1997", dt.date(1997, 10, 22)),
    ("11 FEG/FEVR 1972", dt.date(1972, 2, 11)),      # a month one letter off
    ("27:12 2018", dt.date(2018, 12, 27)),           # a colon for the dot
    ("12 DEC/DÉC 1974", dt.date(1974, 12, 12)),      # accents
    ("12 AUG/AOÛT 1974", dt.date(1974, 8, 12)),
    ("15 MAR MAR’ 2028", dt.date(2028, 3, 15)),      # a mark after the month names
])
def test_parse_dates_tolerates_ocr_damage(text: str, day: dt.date) -> None:
    assert [d for d, _ in parse_dates(words(f"BORN {text} IN X"))] == [day]


def test_parse_dates_does_not_guess() -> None:
    # JON is JAN or JUN; a five-digit year is no year; 31 February does not exist
    for text in ("18 JON 2030", "11 FEB 21972", "31.02.1999", "12 ABC 1974"):
        assert parse_dates(words(text)) == [], text


def test_ocr_distance_separates_misreads_from_renumbering() -> None:
    assert ocr_distance("DE274984", "D6274984") == 1   # a digit read as a letter
    assert ocr_distance("P2054219", "D2054219") == 1   # prefix letter misread
    assert ocr_distance("0637518", "D0637518") == 2    # prefix letter dropped
    assert ocr_distance("D6274985", "D6274984") >= 4   # another digit: renumbered
    assert ocr_distance("UTI69O595", "UT1690595") == 0  # the usual confusions
    assert ocr_distance("K1855690", "K18556904") >= 10  # a digit lost is no OCR slip


def test_compare_reads_damaged_numbers_as_the_mrz_number() -> None:
    det = get_detector("vizcheck")
    fields = dict(FIELDS, document_number="D6274984")
    for shown in ("DE274984", "D627 4984", "6274984"):
        _, data = det.compare(words(f"{shown} MULLER ANNA MARIA"), fields)  # type: ignore[attr-defined]
        assert data["read"]["document_number"] == "match", shown
    findings, data = det.compare(words("D6274985 MULLER ANNA MARIA 12 AUG 1974 01 MAR 2020 "  # type: ignore[attr-defined]
                                       "01 MAR 2030"), fields)
    assert data["read"]["document_number"] == "different"
    assert [f.code for f in findings] == ["VIZ_DOCUMENT_NUMBER_MISMATCH"]
    # a misread prefix letter, a stray mark or a lost last digit does not hide a change
    for shown in ("P6274985", "D6274.985", "D627498 5"):
        findings, data = det.compare(words(f"{shown} MULLER ANNA MARIA"), fields)  # type: ignore[attr-defined]
        assert data["read"]["document_number"] != "match", shown
    findings, _ = det.compare(words("D6274.985 MULLER ANNA MARIA"), fields)  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_DOCUMENT_NUMBER_MISMATCH"]


def test_number_renumbered_outright_is_a_mismatch() -> None:
    """A workshop's own number (K40900414 for the MRZ's K00054279: 7 digits changed) is
    the only confident word of the number's shape: a mismatch. Words of another shape
    (a letter where the number has a digit, another length), unsure ones, and two
    candidates of the shape are not."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, document_number="K00054279")
    rest = " MULLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030"
    findings, data = det.compare(words("P UTO K40900414" + rest), fields)  # type: ignore[attr-defined]
    assert data["read"]["document_number"] == "different"
    assert [f.code for f in findings] == ["VIZ_DOCUMENT_NUMBER_MISMATCH"]
    assert findings[0].data["viz"] == "K40900414"
    for shown, conf in (("K40900414", 70.0), ("KA0900414", 95.0), ("K4090041", 95.0),
                        ("940900414", 95.0)):
        ocr = [Word(shown, conf, (0, 0, 9, 9), 0), *words(rest)]
        findings, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
        assert findings == [] and data["read"]["document_number"] == "not read", shown
    findings, data = det.compare(words("K40900414 K77712345" + rest), fields)  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["document_number"] == "not read"
    # an all-digit number has no shape of its own: a date or a personal number of its
    # length is no renumbering
    digits = dict(FIELDS, document_number="12345678")
    for other in ("12.08.1974", "87654321"):
        findings, data = det.compare(words(f"{other} MULLER ANNA MARIA 01 MAR 2030"), digits,  # type: ignore[attr-defined]
                                     verify=lambda used, o=other: o)
        assert findings == [] and data["read"]["document_number"] == "not read", other
    # the second reading must show the same word
    for again in ("K4O9OO4I4", "UTO K40900414 P", "K409 00414"):
        findings, data = det.compare(words("K40900414" + rest), fields,  # type: ignore[attr-defined]
                                     verify=lambda used, a=again: a)
        assert data["read"]["document_number"] == "different", again
    findings, data = det.compare(words("K40900414" + rest), fields,  # type: ignore[attr-defined]
                                 verify=lambda used: "K4O9")
    assert findings == [] and data["read"]["document_number"] == "not read"


def test_expiry_of_an_issue_expiry_pair_is_compared_with_the_mrz() -> None:
    """Only two dates read (the birth date lost), but they are an issue and an expiry date
    ten years apart: the later is the expiry the zone shows, and the MRZ's differs (moved
    five years later). Two dates that are no such pair claim nothing."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, expiry_date="2035-03-01")
    ocr = words("UT1690595 MULLER ANNA MARIA 01 MAR 2020 28 FEB 2030")
    findings, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert data["read"]["expiry_date"] == "different", data
    assert [f.code for f in findings] == ["VIZ_EXPIRY_DATE_MISMATCH"]
    assert findings[0].data["viz"] == "2030-02-28"
    # the second reading must show the same date; one that shows the MRZ's is a match
    findings, data = det.compare(ocr, fields, verify=lambda used: "28 FEB 2030")  # type: ignore[attr-defined]
    assert data["read"]["expiry_date"] == "different"
    for again in ("28 FE", None):
        findings, data = det.compare(ocr, fields, verify=lambda used, a=again: a)  # type: ignore[attr-defined]
        assert findings == [] and data["read"]["expiry_date"] == "not read", again
    findings, data = det.compare(ocr, fields, verify=lambda used: "01 MAR 2035")  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["expiry_date"] == "match"
    # a pair's expiry a few days off is a misread day, not a claim
    fields_near = dict(FIELDS, expiry_date="2030-02-28")
    findings, data = det.compare(words("UT1690595 MULLER ANNA MARIA 01 MAR 2020 26 FEB 2030"),  # type: ignore[attr-defined]
                                 fields_near)
    assert findings == [] and data["read"]["expiry_date"] == "day uncertain"
    for text in ("01 MAR 2026 17 JUN 2030", "12 AUG 1974 01 MAR 2030"):
        findings, data = det.compare(words(f"UT1690595 MULLER ANNA MARIA {text}"), fields)  # type: ignore[attr-defined]
        assert findings == [] and data["read"]["expiry_date"] == "not read", text


def test_the_issue_date_of_the_mrz_expiry_is_never_the_expiry_shown() -> None:
    """A genuine card valid to the day before its tenth anniversary, its expiry year
    misread (2036 read 2016): the latest date is then the issue date, which must not be
    claimed as the expiry the zone shows; the claim, if any, is about the date with the
    expiry's day and month, and stands or falls with a second reading of that line."""
    from docfraud.forensics.vizcheck import _issued_day_before

    assert _issued_day_before(dt.date(2026, 5, 20), dt.date(2036, 5, 19))
    assert _issued_day_before(dt.date(2024, 2, 29), dt.date(2034, 2, 28))  # a leap day
    assert not _issued_day_before(dt.date(2026, 5, 19), dt.date(2036, 5, 19))  # moved
    assert not _issued_day_before(dt.date(2016, 5, 20), dt.date(2036, 5, 19))  # 20 years
    det = get_detector("vizcheck")
    fields = dict(FIELDS, expiry_date="2036-05-19", birth_date="1962-01-12")
    ocr = words("UT1690595 MULLER ANNA MARIA 12 JAN 1962 19 MAY 2016 20 MAY 2026")
    findings, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert [f.data["viz"] for f in findings] == ["2016-05-19"], data
    seen: list[str] = []

    def again(used: list[Word]) -> str:
        seen.append(" ".join(w.text for w in used))
        return "19 MAY 2036"

    findings, data = det.compare(ocr, fields, verify=again)  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["expiry_date"] == "match", data
    assert seen == ["19 MAY 2016"], seen  # the expiry's own line, not the issue date's
    # birth and issue date only: the expiry was not read, nothing is claimed
    findings, data = det.compare(words("UT1690595 MULLER ANNA MARIA 12 JAN 1962 "  # type: ignore[attr-defined]
                                       "20 MAY 2026 12 JAN 1962"), fields)
    assert findings == [] and data["read"]["expiry_date"] == "not read", data
    # an expiry moved by whole years keeps its day: still claimed on the expiry shown
    findings, _ = det.compare(words("UT1690595 MULLER ANNA MARIA 12 JAN 1962 "  # type: ignore[attr-defined]
                                    "20 MAY 2021 19 MAY 2031"), fields)
    assert [f.data["viz"] for f in findings] == ["2031-05-19"]


def test_hyphenated_name_parts_are_found() -> None:
    det = get_detector("vizcheck")
    fields = dict(FIELDS, given_names="SEO YEON")
    findings, data = det.compare(  # type: ignore[attr-defined]
        words("UT1690595 MULLER SEO-YEON 12 AUG 1974 01 MAR 2020 01 MAR 2030"), fields)
    assert findings == [] and data["read"]["given_names"] == "match", data


def test_compare_agreeing_zone_has_no_finding() -> None:
    det = get_detector("vizcheck")
    ocr = words("P UTO UTI69O595 MÜLLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, FIELDS)  # type: ignore[attr-defined]
    assert findings == [] and set(data["read"].values()) == {"match"}, data


def test_compare_flags_a_different_value() -> None:
    det = get_detector("vizcheck")
    ocr = words("UT1690895 MULLER ANNA MARIA 12 AUG 1977 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, FIELDS)  # type: ignore[attr-defined]
    codes = {f.code for f in findings}
    assert codes == {"VIZ_DOCUMENT_NUMBER_MISMATCH", "VIZ_BIRTH_DATE_MISMATCH"}, data
    assert all(f.region is not None for f in findings)
    ocr = words("UT1690595 SMITH ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, _ = det.compare(ocr, FIELDS)  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_NAME_MISMATCH"]


def test_day_differing_in_its_tens_digit_is_uncertain_not_a_mismatch() -> None:
    """02 AUG for 12 AUG (a dropped 1) is the commonest misreading: no finding; another
    units digit or another year is still a mismatch."""
    det = get_detector("vizcheck")
    ocr = words("UT1690595 MULLER ANNA MARIA 02 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, FIELDS)  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["birth_date"] == "day uncertain", data
    # a lost digit (1 FEB for 12 FEB) is uncertain too
    ocr = words("UT1690595 MULLER ANNA MARIA 1 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, FIELDS)  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["birth_date"] == "day uncertain", data
    for shown in ("13 AUG 1974", "12 AUG 1977", "12 SEP 1974", "3 AUG 1974"):
        ocr = words(f"UT1690595 MULLER ANNA MARIA {shown} 01 MAR 2020 01 MAR 2030")
        findings, _ = det.compare(ocr, FIELDS)  # type: ignore[attr-defined]
        assert [f.code for f in findings] == ["VIZ_BIRTH_DATE_MISMATCH"], shown


def test_unreadable_zone_is_neutral() -> None:
    det = get_detector("vizcheck")
    for text in ("", "~~ ,, ..", "12 AUG 1974"):  # nothing, noise, only part read
        findings, _ = det.compare(words(text), FIELDS)  # type: ignore[attr-defined]
        assert findings == []
    # a low-confidence near-miss of the number is not evidence
    findings, _ = det.compare(words("UT1690895", conf=40), FIELDS)  # type: ignore[attr-defined]
    assert findings == []


def test_not_applicable_without_mrz_or_zones() -> None:
    img = np.full((300, 400, 3), 200, np.uint8)
    r = run_detectors(Analysis.from_source(img), ["vizcheck"])[0]
    assert r.status == "not_applicable"
    mrz = parse(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                 "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
    r = run_detectors(Analysis.from_source(img, mrz=mrz), ["vizcheck"])[0]
    assert r.status == "not_applicable"


@functools.lru_cache(maxsize=1)
def _documents() -> list[tuple[str, object]]:
    docs = iter_documents(genuine=6, forged=8, workshops=0, seed=6161, null_rate=0.0,
                          operators=["mrz_only_alteration", "copy_move"], png_rate=0.0)
    out = []
    for doc in docs:
        kind = "genuine" if doc.truth["label"] == "genuine" else doc.truth["operators"][0]
        out.append((kind, run_detectors(synth_analysis(doc), ["vizcheck"])[0]))
    return out


def test_synthetic_genuine_documents_have_no_mismatch() -> None:
    genuine = [r for kind, r in _documents() if kind == "genuine"]
    assert len(genuine) == 6
    for r in genuine:
        assert r.status == "ok" and not r.findings, (r.findings, r.data)  # type: ignore[attr-defined]
    # the zone was actually read: most genuine documents agree on several fields
    agreeing = [r for r in genuine if list(r.data["read"].values()).count("match") >= 3]  # type: ignore[attr-defined]
    assert len(agreeing) >= 4


@pytest.mark.parametrize("kind", ["mrz_only_alteration", "copy_move"])
def test_synthetic_alterations_are_found(kind: str) -> None:
    forged = [r for k, r in _documents() if k == kind]
    assert len(forged) == 4
    flagged = [r for r in forged if any(f.code.startswith("VIZ_") for f in r.findings)]  # type: ignore[attr-defined]
    assert len(flagged) >= 2, [r.data for r in forged]  # type: ignore[attr-defined]
    genuine_scores = [r.score for k, r in _documents() if k == "genuine"]  # type: ignore[attr-defined]
    assert np.mean([r.score for r in forged]) > np.mean(genuine_scores) + 0.3  # type: ignore[attr-defined]


def test_issue_date_on_the_expiry_day_is_not_a_changed_year() -> None:
    """Issuers often set the expiry on the issue day a whole number of years later: that
    issue date is no 'same day, other year' trace; a second such date still is."""
    det = get_detector("vizcheck")
    _, data = det.compare(words("UT1690595 MULLER ANNA MARIA 12 AUG 1974 01 MAR 2020"),  # type: ignore[attr-defined]
                          FIELDS)
    assert "year_differs" not in data, data
    _, data = det.compare(words("UT1690595 MULLER ANNA MARIA 12 AUG 1974 02 MAR 2020 "  # type: ignore[attr-defined]
                                "01 MAR 2025"), FIELDS)
    assert data["year_differs"] == ["expiry_date"], data
    _, data = det.compare(words("UT1690595 MULLER ANNA MARIA 12 AUG 1977 01 MAR 2030"),  # type: ignore[attr-defined]
                          FIELDS)
    assert data["year_differs"] == ["birth_date"], data


def test_a_two_digit_day_against_a_one_digit_mrz_day_is_a_mismatch() -> None:
    """1 AUG for 12 AUG is a digit lost; 19 MAY for 01 MAY is no such slip."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, birth_date="1974-05-01")
    findings, data = det.compare(words("UT1690595 MULLER ANNA MARIA 19 MAY 1974 01 MAR 2020 "  # type: ignore[attr-defined]
                                       "01 MAR 2030"), fields)
    assert [f.code for f in findings] == ["VIZ_BIRTH_DATE_MISMATCH"], data


def test_no_difference_is_claimed_for_a_field_whose_mrz_check_digit_failed() -> None:
    """A failed check digit means the MRZ value may be misread (a genuine document's MRZ
    read 2031-01-31 for 2031-03-19): the MRZ detector reports it, and the visual zone's
    other value is no second, independent claim."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, expiry_date="2035-03-01", document_number="K40900414")
    ocr = words("K40900415 MULLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert {f.code for f in findings} == {"VIZ_EXPIRY_DATE_MISMATCH",
                                          "VIZ_DOCUMENT_NUMBER_MISMATCH"}
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 unsure=["expiry_date", "document_number"])
    assert findings == []
    assert data["read"]["expiry_date"] == "not read"
    assert data["read"]["document_number"] == "not read"
    assert "year_differs" not in data
    findings, _ = det.compare(ocr, fields, unsure=["birth_date"])  # type: ignore[attr-defined]
    assert len(findings) == 2
    # nor a validity from an expiry whose check digit failed
    long = dict(FIELDS, expiry_date="2041-03-01")
    ocr = words("UT1690595 MULLER ANNA MARIA 12 AUG 1974 01 MAR 2021")
    findings, _ = det.compare(ocr, long)  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_VALIDITY_TOO_LONG"]
    findings, data = det.compare(ocr, long, unsure=["expiry_date"])  # type: ignore[attr-defined]
    assert findings == [] and "validity_years" not in data


def test_a_validity_too_long_needs_the_issue_date_read_twice() -> None:
    """A year misread by one (2020 for 2021 against an expiry of 2031) stretches the
    validity to 11 whole years: the claim stands only when a second reading of the issue
    date's line shows the same date and none a date of a valid issue."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, expiry_date="2031-02-28")
    ocr = words("UT1690595 MULLER ANNA MARIA 12 AUG 1974 01 MAR 2020")
    findings, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_VALIDITY_TOO_LONG"]  # no verify: as read
    assert data["validity_years"] == 11
    findings, _ = det.compare(ocr, fields,  # type: ignore[attr-defined]
                              verify=lambda used: "01 MAR 2021")
    assert findings == []
    findings, _ = det.compare(ocr, fields,  # type: ignore[attr-defined]
                              verify=lambda used: ["01 MAR 2020", None])
    assert [f.code for f in findings] == ["VIZ_VALIDITY_TOO_LONG"]
    findings, _ = det.compare(ocr, fields,  # type: ignore[attr-defined]
                              verify=lambda used: "01 MAR 2020", veto=lambda used: "01 MAR 2021")
    assert findings == []
    findings, _ = det.compare(ocr, fields,  # type: ignore[attr-defined]
                              verify=lambda used: "O1 MAR")
    assert findings == []


def test_a_name_is_absent_only_when_the_second_reading_of_the_zone_lacks_it_too() -> None:
    """OCR loses names on the zone's edge or under diacritics (NOVÁK not read at all):
    the zone read again must lack the name as well before VIZ_NAME_MISMATCH is claimed."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, surname="NOVAK", given_names="DRAGAN")
    ocr = words("UT1690595 DRAGAN 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_NAME_MISMATCH"]
    calls: list[int] = []

    def again(text: str) -> list[Word]:
        calls.append(1)
        return words(text)

    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 read_again=lambda: again("NOVAK DRAGAN UT1690595"))
    assert findings == [] and data["read"]["surname"] == "match" and calls == [1]
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 read_again=lambda: again("KOVACS DRAGAN"))
    assert [f.code for f in findings] == ["VIZ_NAME_MISMATCH"]
    assert data["read"]["surname"] == "absent"
    # a second reading that gives nothing (Tesseract timed out) is no evidence of absence
    findings, data = det.compare(ocr, fields, read_again=lambda: [])  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["surname"] == "not read"
    # no second reading where nothing would be claimed and every field was read
    calls.clear()
    det.compare(words("UT1690595 NOVAK DRAGAN 12 AUG 1974 01 MAR 2020 01 MAR 2030"),
                fields, read_again=lambda: again("NOVAK"))  # type: ignore[attr-defined]
    assert calls == []


def test_a_number_or_date_the_first_reading_missed_is_looked_for_in_the_second() -> None:
    """An MRZ-only alteration of the number or a date is seen only where OCR reads the
    visual zone's value: one the first reading missed (no word of its shape, or one read
    too unsurely) is compared in the second reading of the zone, by the same rules (a
    claim still needs the line read again to show it); one second reading serves the
    names as well."""
    det = get_detector("vizcheck")
    first = words("UT1690595 MUELLER ANNA MARIA 01 MAR 2020 01 MAR 2030")  # no birth date
    first_no_number = words("MUELLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    calls: list[int] = []

    def again(text: str) -> list[Word]:
        calls.append(1)
        return words(text)

    # the second reading shows the MRZ's values: matched, nothing claimed
    findings, data = det.compare(first, FIELDS, read_again=lambda: again(  # type: ignore[attr-defined]
        "UT1690595 MUELLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030"))
    assert findings == [] and data["read"]["birth_date"] == "match" and calls == [1]
    # it shows another birth date, confirmed by the line read again: claimed
    shown = "UT1690595 MUELLER ANNA MARIA 12 AUG 1971 01 MAR 2020 01 MAR 2030"
    findings, data = det.compare(first, FIELDS, verify=lambda used: "12 AUG 1971",  # type: ignore[attr-defined]
                                 read_again=lambda: again(shown))
    assert [f.code for f in findings] == ["VIZ_BIRTH_DATE_MISMATCH"]
    assert data["read"] == {"document_number": "match", "birth_date": "different",
                            "expiry_date": "match", "surname": "match",
                            "given_names": "match"}
    # the line read again shows the MRZ's date: no claim, matched
    findings, data = det.compare(first, FIELDS, verify=lambda used: "12 AUG 1974",  # type: ignore[attr-defined]
                                 read_again=lambda: again(shown))
    assert findings == [] and data["read"]["birth_date"] == "match"
    # nor where only a veto reading (one that may repeat the first reading's errors)
    # shows it; a veto reading alone never confirms
    findings, data = det.compare(first, FIELDS, verify=lambda used: "12 AUG 1971",  # type: ignore[attr-defined]
                                 veto=lambda used: "12 AUG 1974",
                                 read_again=lambda: again(shown))
    assert findings == [] and data["read"]["birth_date"] == "match"
    findings, data = det.compare(first, FIELDS, verify=lambda used: None,  # type: ignore[attr-defined]
                                 veto=lambda used: "12 AUG 1971",
                                 read_again=lambda: again(shown))
    assert findings == [] and data["read"]["birth_date"] == "not read"
    # a not-read field whose MRZ check digit failed is not looked for again
    calls.clear()
    det.compare(first, FIELDS, unsure=["birth_date"],  # type: ignore[attr-defined]
                read_again=lambda: again(shown))
    assert calls == []
    findings, data = det.compare(first, FIELDS, verify=lambda used: None,  # type: ignore[attr-defined]
                                 read_again=lambda: again(shown))
    assert findings == [] and data["read"]["birth_date"] == "not read"
    # the number: renumbered in the visual zone, read only the second time
    findings, data = det.compare(first_no_number, FIELDS,  # type: ignore[attr-defined]
                                 verify=lambda used: "UT1690598",
                                 read_again=lambda: again("UT1690598 MUELLER ANNA MARIA"))
    assert [f.code for f in findings] == ["VIZ_DOCUMENT_NUMBER_MISMATCH"]
    # a field of an unsure MRZ value (its check digit failed) is not claimed either time
    findings, data = det.compare(first_no_number, FIELDS, unsure=["document_number"],  # type: ignore[attr-defined]
                                 verify=lambda used: "UT1690598",
                                 read_again=lambda: again("UT1690598 MUELLER ANNA MARIA"))
    assert findings == [] and data["read"]["document_number"] == "not read"
    # the second reading is made once, also when a name is missing as well
    calls.clear()
    det.compare(words("UT1690595 ANNA MARIA 01 MAR 2020 01 MAR 2030"), FIELDS,  # type: ignore[attr-defined]
                read_again=lambda: again("MUELLER ANNA MARIA 12 AUG 1974"))
    assert calls == [1]


def test_a_difference_is_not_claimed_when_any_second_reading_shows_the_mrz_value() -> None:
    """The binarised second reading of a blurred number repeats the first one's 3 for 4;
    the grey-level reading shows the MRZ's value: no claim. Both readings must be
    searched separately (no word joined across them)."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, document_number="K24152318")
    ocr = words("K23152318 MULLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, fields, verify=lambda used: "K23152318")  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_DOCUMENT_NUMBER_MISMATCH"]
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 verify=lambda used: ["K23152318", "K24152318"])
    assert findings == [] and data["read"]["document_number"] == "match"
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 verify=lambda used: ["K23152318", None])
    assert [f.code for f in findings] == ["VIZ_DOCUMENT_NUMBER_MISMATCH"]
    # K2415 ending one reading and 2318 starting the other is no reading of the number
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 verify=lambda used: ["K23152318 K2415", "2318"])
    assert data["read"]["document_number"] == "different"
    # dates likewise
    dfields = dict(FIELDS, expiry_date="2035-03-01")
    docr = words("UT1690595 MULLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(docr, dfields,  # type: ignore[attr-defined]
                                 verify=lambda used: ["01 MAR 2030", "01 MAR 2035"])
    assert findings == [] and data["read"]["expiry_date"] == "match"


def test_both_names_absent_are_claimed_only_where_the_zone_shows_other_names() -> None:
    """OCR loses a whole name block on some genuine documents: both names absent is no
    claim where the zone shows no other name confidently (garbled, low-confidence words),
    even with the number and both dates read and agreeing. Where it shows two or more
    other name words before the first date (an MRZ-only alteration of the names) the
    names are claimed replaced, at a date's weight; the names of an MRZ read unsurely (no
    check digit covers them) are not compared."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, surname="OKONKWO", given_names="CHIDI")
    garbled = (words("UT1690595") + [Word(t, 30.0, (0, 0, 9, 9), 0) for t in ("MULER", "ANA")]
               + words("12 AUG 1974 01 MAR 2020 01 MAR 2030"))
    garbled = [Word(w.text, w.conf, w.box, i) for i, w in enumerate(garbled)]
    findings, data = det.compare(garbled, fields,  # type: ignore[attr-defined]
                                 read_again=lambda: words("MULER ANA UT1690595"))
    assert findings == [] and data["read"]["surname"] == "absent", data
    assert data["names_shown"] == 0
    ocr = words("UT1690595 MULLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 read_again=lambda: words("MULLER ANNA MARIA UT1690595"))
    assert [(f.code, f.severity) for f in findings] == [("VIZ_NAME_MISMATCH", "high")]
    assert findings[0].data["shown"] == ["MULLER", "ANNA", "MARIA"]  # type: ignore[index]
    assert data["names_shown"] == 3
    # ... not where the second reading of the zone finds the MRZ's name after all
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 read_again=lambda: words("OKONKWO CHIDI MULLER"))
    assert findings == []
    # ... nor from words after the birth date (place of birth, authority), labels and
    # titles (one letter off, or cut short), or the MRZ's state code
    ocr = words("PASSPORT OCUMENTO CODIG NAT UTO UT1690595 12 AUG 1974 LAGOS CITY 01 MAR 2020 "
                "01 MAR 2030")
    findings, data = det.compare(ocr, dict(fields, issuing_state="UTO"),  # type: ignore[attr-defined]
                                 read_again=lambda: words("UT1690595"))
    assert findings == [] and data["names_shown"] == 0
    # one other name word is enough (a surname replaced in the MRZ: the zone shows the old)
    ocr = words("PASSPORT UTO UT1690595 NOVAK CHIDI 12 AUG 1974 LAGOS 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, dict(fields, nationality="UTO"),  # type: ignore[attr-defined]
                                 read_again=lambda: words("NOVAK CHIDI UT1690595"))
    assert [(f.code, f.severity) for f in findings] == [("VIZ_NAME_MISMATCH", "high")]
    assert data["names_shown"] == 1 and data["read"]["surname"] == "absent"
    # a surname replaced by one with a particle: the particle (DA) matches short words
    # by chance, so only the name's longer parts tell whether it is there
    ocr = words("PASSPORT UTO UT1690595 ZHANG CHIDI DA 12 AUG 1974 LAGOS 01 MAR 2020 "
                "01 MAR 2030")
    particle = dict(fields, surname="DA CONCEICAO", nationality="UTO")
    findings, data = det.compare(ocr, particle,  # type: ignore[attr-defined]
                                 read_again=lambda: words("ZHANG CHIDI UT1690595"))
    assert [(f.code, f.severity) for f in findings] == [("VIZ_NAME_MISMATCH", "high")]
    assert data["read"]["surname"] == "absent"
    # ... while a multi-part surname read in part is partial, no claim
    ocr = words("PASSPORT UTO UT1690595 CONCEICAO CHIDI 12 AUG 1974 LAGOS 01 MAR 2020 "
                "01 MAR 2030")
    findings, data = det.compare(ocr, dict(particle, surname="DA SILVA CONCEICAO"),  # type: ignore[attr-defined]
                                 read_again=lambda: words("CONCEICAO CHIDI UT1690595"))
    assert findings == [] and data["read"]["surname"] == "partial"
    # without the MRZ's birth date read no words count: a later date would take the
    # place of birth in (a genuine passport: 'KUALA LUMPUR' before its expiry date)
    ocr = words("UT1690595 ANNA 01 MAR 2020 KUALA LUMPUR 01 MAR 2030")
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 read_again=lambda: words("UT1690595"))
    assert findings == [] and data["names_shown"] == 0
    # a read name as OCR gives it (diacritics, a missing first letter, split, the MRZ's
    # truncation) is one of the MRZ's
    ocr = words("UT1690595 OKONKWO JOSÉ LUIS 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    _, data = det.compare(ocr, dict(fields, given_names="JOSE LUIS"))  # type: ignore[attr-defined]
    assert data["names_shown"] == 0
    ocr = words("UT1690595 KONKWO CHI DI 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    _, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert data["names_shown"] == 0
    fields = dict(FIELDS, surname="NOVAK", given_names="DRAGAN")
    ocr = words("UT1690595 DRAGAN 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, _ = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_NAME_MISMATCH"]
    findings, data = det.compare(ocr, fields,  # type: ignore[attr-defined]
                                 unsure=["surname", "given_names"])
    assert findings == [] and data["read"]["surname"] == "absent"


def test_unsure_fields_from_check_digits_and_the_readers_confidence() -> None:
    """A failed check digit makes its field unsure; the names are unsure only with a
    reader's confidence under 0.9. An MRZ given as text has none: its names count."""
    from dataclasses import replace

    text = parse(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                  "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
    assert "confidence" not in text.extra and text.check_digits_valid
    assert unsure_fields(text) == []
    for conf, names in ((0.95, False), (0.9, False), (0.64, True), (None, False),
                        ("0.5", False)):
        mrz = replace(text, extra={"confidence": conf})
        assert (unsure_fields(mrz) == ["surname", "given_names"]) is names, conf
    # the birth date's check digit (line 2, position 20) broken
    bad = parse(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                 "L898902C36UTO7408121F1204159ZE184226B<<<<<10"])
    assert bad.checks["check_digit.birth_date"] is False
    assert unsure_fields(replace(bad, extra={"confidence": 0.5})) == [
        "birth_date", "surname", "given_names"]
    # a read number with the letter O between digits (a 0 misread) is unsure; as text,
    # or with the O outside the digits, it is not
    o_in = replace(text, fields={**text.fields, "document_number": "K672OO713"})
    assert unsure_fields(replace(o_in, extra={"confidence": 0.95})) == ["document_number"]
    assert unsure_fields(o_in) == []
    o_out = replace(text, fields={**text.fields, "document_number": "OK6720713"})
    assert unsure_fields(replace(o_out, extra={"confidence": 0.95})) == []
    # a garbled reading (a grid a cell off: document code and fillers malformed),
    # however confident, leaves every field unsure
    shifted = parse(["DUTONOVAK<<JIRI<<<<<<<<<<<<<<<<<<<<<<<<<<<<T",
                     "D5435219<2UTO4003124M2908133<<<<<<<<<<<<<<<6"])
    assert unsure_fields(replace(shifted, extra={"confidence": 0.95})) == [
        "document_number", "birth_date", "expiry_date", "surname", "given_names"]


def test_no_date_claim_in_the_second_reading_where_another_date_is_the_mrz_date_misread() -> None:
    """A genuine card whose expiry the first reading missed: its second reading read the
    expiry 25 MAR 2034 as 25 MAR 2004, which left the issue date 26 MAR 2024 the latest
    date: taken for the expiry (and confirmed: it is printed) it made a false
    VIZ_EXPIRY_DATE_MISMATCH. In the second reading a date with the MRZ date's day and
    month in another year means the pick may be another field. In the first reading
    such a date is mostly the field's own year changed (a copy-move of "2022" over
    "2032"), which is still claimed."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, birth_date="1966-06-05", expiry_date="2034-03-25")
    first = words("UT1690595 MUELLER ANNA MARIA 05 JUN 1966 26 MAR 2024")
    findings, data = det.compare(  # type: ignore[attr-defined]
        first, fields, verify=lambda used: "26 MAR 2024",
        read_again=lambda: words("UT1690595 MUELLER 05 JUN 1966 25 MAR 2004 26 MAR 2024"))
    assert findings == [] and data["read"]["expiry_date"] == "not read"
    assert "year_differs" not in data  # a misread year, not a changed one
    # the same dates in the first reading: claimed (the year of the expiry changed), about
    # the expiry's own line (the latest date is the issue date of the MRZ's expiry)
    ocr = words("UT1690595 MUELLER ANNA MARIA 05 JUN 1966 25 MAR 2004 26 MAR 2024")
    findings, data = det.compare(  # type: ignore[attr-defined]
        ocr, fields, verify=lambda used: " ".join(w.text for w in used))
    assert [(f.code, f.data["viz"]) for f in findings] == [
        ("VIZ_EXPIRY_DATE_MISMATCH", "2004-03-25")]
    # the second reading's own expiry in another year, no other date of its day: claimed
    findings, data = det.compare(  # type: ignore[attr-defined]
        first, fields, verify=lambda used: "25 MAR 2029",
        read_again=lambda: words("05 JUN 1966 25 MAR 2029 26 MAR 2019"))
    assert [f.code for f in findings] == ["VIZ_EXPIRY_DATE_MISMATCH"]


def test_second_reading_boxes_are_in_the_first_readings_frame() -> None:
    """The line of a word found only by the second reading (14 px/mm, the zone grown) is
    read again by :func:`reread` from its ``crop_box``: every reading gives it in the
    first reading's frame, so a word read both times has (nearly) the same box."""
    from docfraud.forensics.vizcheck import (
        _NAME_MARGIN_MM,
        _NAME_MIN_TEXT_MM,
        _REREAD_PX_PER_MM,
        ocr_words,
        reread,
    )

    doc = next(iter_documents(genuine=1, workshops=0, forged=0, seed=11, png_rate=0.0))
    analysis = synth_analysis(doc)
    first = ocr_words(analysis, ("viz",))
    second = ocr_words(analysis, ("viz",), px_per_mm=_REREAD_PX_PER_MM,
                       margin_mm=_NAME_MARGIN_MM, min_text_mm=_NAME_MIN_TEXT_MM)
    by_text = {w.text: w for w in first if len(w.text) >= 5 and w.crop_box is not None}
    pairs = [(by_text[w.text], w) for w in second if w.text in by_text and w.crop_box]
    assert len(pairs) >= 3
    for a, b in pairs:
        assert a.crop_box is not None and b.crop_box is not None
        assert max(abs(p - q) for p, q in zip(a.crop_box, b.crop_box, strict=True)) <= 3, (a, b)
    # and the line read again from a second-reading word is that word's line
    _, word = pairs[0]
    again = reread(analysis, [word])
    assert again is not None and word.text in again.replace(" ", "")


def test_a_number_read_with_marks_or_without_its_prefix_is_compared() -> None:
    """OCR reads a 1 as ')' and a 5 as '$' (K5$23134) for K55231341) or drops a number's
    prefix letter (66671617 for K66671617): such a reading is still compared with the MRZ
    number, and a renumbering it shows is claimed when the line read again shows it too."""
    assert _number_forms("K5$23134)", "K75221241") == ["K523134", "K5S231341"]
    assert _number_forms("66671617", "K66675647") == ["66671617", "K66671617"]
    assert _number_forms("66671617", "66675647") == ["66671617"]
    assert _number_forms("66671617", "K66675647", prefixed=False) == ["66671617"]
    det = get_detector("vizcheck")
    fields = dict(FIELDS, document_number="K75221241")
    ocr = words("K5$23134) MUELLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, fields, verify=lambda used: "K5523134)")  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_DOCUMENT_NUMBER_MISMATCH"]
    # the line read again shows the MRZ's number: a misreading, matched
    findings, data = det.compare(ocr, fields, verify=lambda used: "K75221241")  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["document_number"] == "match"


def test_a_digit_run_is_no_renumbered_number_by_the_prefix_it_lacks() -> None:
    """A confident run of digits of the number's length without its prefix letter (a
    personal number) is compared as a misread number only when it differs in a few
    digits, never taken for a number renumbered outright; and a number read with a mark
    for a stroke that then equals the MRZ number matches."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, document_number="K66671617")
    ocr = words("MUELLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030 PERS 40512398")
    findings, data = det.compare(ocr, fields, verify=lambda used: " ".join(w.text for w in used))  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["document_number"] == "not read"
    ocr = words("K5523134) MUELLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030")
    findings, data = det.compare(ocr, dict(FIELDS, document_number="K55231341"))  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["document_number"] == "match"



def test_a_date_counts_by_its_digits_confidence_not_its_month_words() -> None:
    """A bilingual month read MAR.(18) MARS(18) between a confident day and year still
    names one month: the date is compared (and a difference claimed when the line read
    again shows it); a day or year read unsurely is not."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, expiry_date="2042-03-09")
    read = words("UT1690595 MUELLER ANNA MARIA 12 AUG 1974 10 MAR 2025 09 MAR. MARS 2035")
    confs = {"MAR.": 18.0, "MARS": 18.0}
    ocr = [Word(w.text, confs.get(w.text, w.conf), w.box, w.order) for w in read]
    findings, data = det.compare(ocr, fields, verify=lambda used: "09 MAR/MARS 2035")  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_EXPIRY_DATE_MISMATCH"]
    confs["2035"] = 30.0
    ocr = [Word(w.text, confs.get(w.text, w.conf), w.box, w.order) for w in read]
    findings, data = det.compare(ocr, fields, verify=lambda used: "09 MAR/MARS 2035")  # type: ignore[attr-defined]
    assert findings == [] and data["read"]["expiry_date"] == "not read"


def test_a_prefix_letter_read_as_a_digit_is_no_renumbering() -> None:
    """A genuine diplomatic passport's D0572298 read 10572298 (the prefix D as 1, and D
    is 0 among the usual confusions) was claimed as a changed digit; the MRZ's own
    character there is a letter, so it is a misreading. A changed digit is still claimed."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, document_number="D0572298")
    tail = " MUELLER ANNA MARIA 12 AUG 1974 01 MAR 2020 01 MAR 2030"
    findings, data = det.compare(words("10572298." + tail), fields,  # type: ignore[attr-defined]
                                 verify=lambda used: "10572298.")
    assert findings == [] and data["read"]["document_number"] == "not read"
    findings, data = det.compare(words("D0572398" + tail), fields,  # type: ignore[attr-defined]
                                 verify=lambda used: "D0572398")
    assert [f.code for f in findings] == ["VIZ_DOCUMENT_NUMBER_MISMATCH"]



def test_a_name_absent_from_the_zone_is_read_where_the_design_prints_it() -> None:
    """A name absent from both readings of the zone is read once more in its field (where
    the document's design prints it): found there, it is matched (OCR of the zone lost it);
    another name printed there confidently is claimed replaced; a field read that shows
    nothing confident, or none at all (design outside the library), changes nothing."""
    det = get_detector("vizcheck")
    fields = dict(FIELDS, surname="NOVAKOVIC", given_names="DRAGAN", issuing_state="UTO")
    ocr = words("UT1690595 DRAGAN 12 AUG 1974 01 MAR 2020 01 MAR 2030")

    def compare(field: dict[str, list[Word]] | None) -> tuple[list, dict]:
        return det.compare(ocr, fields,  # type: ignore[attr-defined,no-any-return]
                           read_again=lambda: words("DRAGAN UT1690595"),
                           read_field=lambda key: None if field is None else field.get(key))

    findings, data = compare({"surname": words("NOVAKOVIĆ")})
    assert findings == [] and data["read"]["surname"] == "match"
    assert data["field_read"] == {"surname": "match"}
    findings, data = compare({"surname": words("KOVACS")})
    assert [(f.code, f.severity) for f in findings] == [("VIZ_NAME_MISMATCH", "high")]
    assert findings[0].data["shown"] == ["KOVACS"]  # type: ignore[index]
    assert data["read"]["surname"] == "absent"
    # unsure or short words, and labels, are no other name: the weaker claim stays
    for shown in ([Word("KOVACS", 40.0, (0, 0, 9, 9), 0)], words("SURNAME"), words("KO"),
                  words("NOVAC"),  # the name's head, its last letter misread
                  words("DRAGAN"), words("UTO")):  # the other MRZ name, a state code
        findings, data = compare({"surname": shown})
        assert [(f.code, f.severity) for f in findings] == [("VIZ_NAME_MISMATCH", "medium")]
    findings, data = compare(None)
    assert [(f.code, f.severity) for f in findings] == [("VIZ_NAME_MISMATCH", "medium")]
    assert "field_read" not in data
    # no claim where nothing else of the zone was found to agree with the MRZ
    findings, data = det.compare(  # type: ignore[attr-defined]
        words("DRAGAN"), fields, read_again=lambda: words("DRAGAN"),
        read_field=lambda key: words("KOVACS") if key == "surname" else None)
    assert findings == [] and data["field_read"] == {"surname": ["KOVACS"]}
    # the field is read only for a name absent from the zone
    asked: list[str] = []
    det.compare(words("UT1690595 NOVAKOVIC DRAGAN 12 AUG 1974 01 MAR 2020 01 MAR 2030"),  # type: ignore[attr-defined]
                fields, read_field=lambda key: asked.append(key))
    assert asked == []


def test_a_name_field_is_read_where_the_design_prints_it() -> None:
    """read_design_field reads the printed name of a rendered document of a library design
    at its place; nothing for an image without a registered design."""
    from docfraud.forensics.vizcheck import read_design_field
    from docfraud.screen import analyse

    doc = next(iter_documents(genuine=1, forged=0, workshops=0, seed=8383,
                              designs=["uto_passport_2020"], null_rate=0.0, decode=False))
    analysis, _, _ = analyse(np.ascontiguousarray(doc.page), detectors=["reference"])
    got = read_design_field(analysis, "surname")
    assert got is not None
    assert fold(" ".join(w.text for w in got)).replace(" ", "") == fold(
        doc.truth["viz"]["printed"]["surname"]).replace(" ", "").replace("-", "")
    assert read_design_field(analysis, "no_such_field") is None
    blank = Analysis.from_source(np.full((300, 400, 3), 200, np.uint8))
    assert read_design_field(blank, "surname") is None
