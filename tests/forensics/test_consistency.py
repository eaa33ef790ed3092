"""Consistency measures: personal number vs birth date, MRZ cells, visual-zone print,
validity period."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from docfraud.forensics import get_detector
from docfraud.forensics.mrzlogic import personal_number_birth
from docfraud.forensics.mrzprint import cell_consistency
from docfraud.forensics.vizcheck import Word, print_consistency, print_metrics
from docfraud.synth.fonts import get_font


def test_personal_number_birth() -> None:
    assert personal_number_birth({"birth_date": "1974-08-12", "optional_data": "7408121234"}) == 1
    assert personal_number_birth({"birth_date": "1974-08-12", "optional_data": "120874<<"}) == 1
    # a birth date moved by a few years, the personal number left alone
    assert personal_number_birth({"birth_date": "1978-08-12",
                                  "optional_data": "7408121234"}) == -1
    for other in ("ZE184226B", "", "<<<<<<", "9913991234"):
        assert personal_number_birth({"birth_date": "1974-08-12", "optional_data": other}) == 0
    assert personal_number_birth({"optional_data": "740812"}) == 0


def _cells(n: int, *, odd: dict[int, float] | None = None) -> list[dict[str, object]]:
    odd = odd or {}
    rng = np.random.default_rng(0)
    return [{"height": 20.0 * odd.get(i, 1.0) + float(rng.normal(0, 0.3)),
             "top": 10.0 + float(rng.normal(0, 0.2)), "x": 12.0 * i,
             "corr": 0.85 - (0.3 if i in odd else 0.0), "stroke": 3.0 * odd.get(i, 1.0),
             "line": 0} for i in range(n)]


def test_cell_consistency_finds_an_overprinted_cell() -> None:
    plain = cell_consistency(_cells(30), 20.0)  # type: ignore[arg-type]
    odd = cell_consistency(_cells(30, odd={7: 1.2, 8: 1.2}), 20.0)  # type: ignore[arg-type]
    assert plain["cell_height_outliers"] == 0 and odd["cell_height_outliers"] == 2
    assert odd["cell_height_dev"] > 0.15 > plain["cell_height_dev"]
    assert odd["cell_corr_outliers"] == 2 and plain["cell_corr_outliers"] == 0
    assert cell_consistency(_cells(4), 20.0) == {}  # type: ignore[arg-type]


def _soft_text(lines: list[tuple[str, int]]) -> tuple[np.ndarray, list[Word]]:
    """Soft-ink map of text lines (text, pixel size) and one Word per line."""
    img = Image.new("L", (420, 40 * len(lines) + 20), 0)
    draw = ImageDraw.Draw(img)
    words = []
    for i, (text, size) in enumerate(lines):
        font = get_font("sans_bold", size)
        draw.text((10, 10 + 40 * i), text, font=font, fill=255)
        x0, y0, x1, y1 = draw.textbbox((10, 10 + 40 * i), text, font=font)
        words.append(Word(text, 95.0, (x0, y0, x1 - x0, y1 - y0), i, "viz",
                          (x0, y0, x1 - x0, y1 - y0)))
    return np.asarray(img, np.float32) / 255.0, words


def test_print_metrics_measure_size() -> None:
    soft, words = _soft_text([("ERIKSSON", 20), ("ERIKSSON", 24)])
    a = print_metrics(soft, words[0].crop_box, 8)  # type: ignore[arg-type]
    b = print_metrics(soft, words[1].crop_box, 8)  # type: ignore[arg-type]
    assert a is not None and b is not None
    assert b["height"] / a["height"] == pytest.approx(24 / 20, rel=0.06)
    assert b["width_per_char"] == pytest.approx(a["width_per_char"], rel=0.06)


def test_print_consistency_finds_the_odd_line() -> None:
    base = [("12 AUG 1974", 20), ("01 MAR 2020", 20), ("ERIKSSON", 20), ("ANNA MARIA", 20)]
    soft, words = _soft_text([*base, ("01 MAR 2030", 20)])
    plain = print_consistency(words, {"viz": soft})
    soft, words = _soft_text([*base, ("01 MAR 2030", 24)])
    odd = print_consistency(words, {"viz": soft})
    assert plain["runs"] == odd["runs"] == 5
    assert odd["height_dev"] > 0.15 > plain["height_dev"]
    assert odd["date_height_spread"] > 0.15 > plain["date_height_spread"]


def _read(text: str) -> list[Word]:
    """Confident OCR words of ``text``, one box per word."""
    return [Word(t, 95.0, (10 * i, 0, 9, 9), i) for i, t in enumerate(text.split())]


def test_validity_too_long() -> None:
    det = get_detector("vizcheck")
    fields = {"document_number": "UT1690595", "birth_date": "1974-08-12",
              "expiry_date": "2035-03-01", "surname": "ERIKSSON", "given_names": "ANNA"}
    text = "UT1690595 ERIKSSON ANNA 12 AUG 1974 02 MAR 2020 01 MAR 2035"
    ocr = _read(text)
    findings, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert [f.code for f in findings] == ["VIZ_VALIDITY_TOO_LONG"]
    assert data["validity_years"] == 15
    fields["expiry_date"] = "2030-03-01"
    findings, data = det.compare(ocr[:-3] + [Word(t, 95.0, None, 9 + i) for i, t in  # type: ignore[attr-defined]
                                             enumerate(["01", "MAR", "2030"])], fields)
    assert findings == [] and data["validity_years"] == 10


def test_year_differs() -> None:
    det = get_detector("vizcheck")
    fields = {"document_number": "UT1690595", "birth_date": "1974-08-12",
              "expiry_date": "2030-03-01", "surname": "ERIKSSON", "given_names": "ANNA"}
    text = "UT1690595 ERIKSSON ANNA 12 AUG 1979 02 MAR 2020 01 MAR 2030"
    ocr = _read(text)
    _, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert data["year_differs"] == ["birth_date"]
    fields["birth_date"] = "1979-08-12"
    _, data = det.compare(ocr, fields)  # type: ignore[attr-defined]
    assert "year_differs" not in data


def _mrz_image(lines: list[str], *, forged: frozenset[tuple[int, int]] = frozenset(),
               drift: float = 0.04) -> tuple[np.ndarray, list[list[float]], float]:
    """An upright MRZ (gray, paper 235, ink 30) set in OCR-B, its pitch growing by
    ``drift`` along each line (a capture's perspective); the cells in ``forged``
    (line, index) overprinted in Liberation Mono. Returns the image, the true glyph
    centres per line and the cap height."""
    from docfraud.synth.render import font_for_cap_height

    cap, pitch, n = 24.0, 26.0, len(lines[0])
    ocrb = font_for_cap_height("ocrb", cap)
    other = font_for_cap_height("alt_mono", cap)
    img = Image.new("L", (int(n * pitch * (1 + drift)) + 40, 48 * len(lines) + 30), 235)
    draw = ImageDraw.Draw(img)
    centres = []
    for li, text in enumerate(lines):
        xs, x = [], 20.0
        for i, ch in enumerate(text):
            step = pitch * (1 + drift * i / n)
            cx = x + step / 2
            x += step
            xs.append(cx)
            font = other if (li, i) in forged else ocrb
            draw.text((cx, 15 + 48 * li + cap), ch, font=font, fill=30, anchor="ms")
        centres.append(xs)
    gray = np.asarray(img, np.uint8)
    return gray, centres, cap


_LINES = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
          "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


def test_cell_edges_follow_a_drifting_pitch() -> None:
    from docfraud.forensics.mrzprint import cell_edges

    gray, centres, cap = _mrz_image(_LINES, drift=0.10)
    for li, text in enumerate(_LINES):
        band = gray[15 + 48 * li: 15 + 48 * li + int(cap) + 2].astype(np.float32)
        profile = np.clip((235 - band) / 205, 0, 1).sum(axis=0)
        estimate = (centres[li][-1] - centres[li][0]) / (len(text) - 1)
        edges = cell_edges(profile.astype(np.float32), text, (estimate * 0.97, estimate), cap)
        assert edges is not None
        found = (edges[1:] + edges[:-1]) / 2
        # every glyph in its own cell: the cell centres within a tenth of a pitch (the best
        # regular grid misses by a third of one at the end of a line)
        assert np.abs(found - np.array(centres[li])).max() < 0.1 * estimate


def test_self_consistency_finds_overprinted_glyphs() -> None:
    from docfraud.forensics.mrzprint import SELF_ODD, measure

    gray, _, cap = _mrz_image(_LINES)
    genuine = measure(gray, _LINES, cap)
    # the birth date and its check digit overprinted in another monospaced font
    forged_cells = frozenset((1, i) for i in range(13, 20))
    gray_f, _, _ = _mrz_image(_LINES, forged=forged_cells)
    forged = measure(gray_f, _LINES, cap)
    assert genuine is not None and forged is not None
    assert genuine["glyph_self_max"] < 0.05 and genuine["glyph_self_odd"] == 0
    assert forged["glyph_self_max"] > 0.25 and forged["glyph_self_second"] > SELF_ODD
    # the odd ones: the overprinted glyphs that have a twin (and a lone twin of one)
    assert 3 <= forged["glyph_self_odd"] <= 2 * len(forged_cells)


def test_self_consistency_one_odd_glyph_of_a_pair_is_not_two() -> None:
    """One glyph overprinted whose character appears only twice: both share the one
    comparison, so the second largest dissimilarity leaves the twin out (a single smudged
    glyph must not read as two odd ones)."""
    from docfraud.forensics.mrzprint import SELF_ODD, measure

    assert _LINES[0][5] == "E" and (_LINES[0] + _LINES[1]).count("E") == 2
    gray, _, cap = _mrz_image(_LINES, forged=frozenset({(0, 5)}))
    m = measure(gray, _LINES, cap)
    assert m is not None
    assert m["glyph_self_max"] > SELF_ODD > m["glyph_self_second"]
    assert m["glyph_self_odd"] == 2


def test_self_consistency_degenerate_cells() -> None:
    """Glyphs too small, cells too narrow or without ink give no measure, never an error."""
    from docfraud.forensics.mrzprint import self_consistency

    gray, _, _ = _mrz_image(_LINES)
    tiny = [{"char": "A", "box": (3 * i, 0, 3 * i + 2, 2)} for i in range(10)]
    assert self_consistency(gray, tiny, 2.0) == {}
    narrow = [{"char": "A", "box": (3 * i, 0, 3 * i + 2, 24)} for i in range(10)]
    assert self_consistency(gray, narrow, 24.0) == {}
    blank = np.full((60, 600), 235, np.uint8)
    cells = [{"char": "0", "box": (26 * i, 10, 26 * i + 26, 40)} for i in range(12)]
    assert self_consistency(blank, cells, 24.0) == {}
