"""The fieldprint detector: personalised text placed against the design's layout."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pytest

from docfraud.forensics import Analysis, DetectorResult, run_detectors
from docfraud.forensics.fieldprint import FINDING_MM, _fall, _plane
from docfraud.score import features
from docfraud.screen import analyse
from docfraud.synth import get_design
from docfraud.synth.dataset import identity_for
from docfraud.synth.operators import ForgerProfile, rewrite_field, start_document

#: a development seed of its own (not an evaluation seed)
SEED = 8484


@functools.lru_cache(maxsize=4)
def _pages(design: str, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """A genuine page of ``design`` and the same page with its surname erased and printed
    again ``dy`` page pixels (12 px/mm) lower, in the issuer's font and size."""
    rng = np.random.default_rng([SEED, len(design)])
    d = get_design(design)
    state = start_document(d, identity_for(d, rng), rng)
    genuine = state.page.copy()
    key = "surname"
    profile = ForgerProfile(rewrite_font=state.layout["fields"][key]["font"],
                            rewrite_scale=1.0, rewrite_offset=(0.0, dy), erase_noise=0.0)
    rewrite_field(state, key, state.viz_printed[key], rng, profile)
    return genuine, state.page.copy()


def _fieldprint(page: np.ndarray) -> DetectorResult:
    _, results, _ = analyse(page, detectors=["fieldprint"])
    return results[0]


@pytest.mark.parametrize("design", ["uto_passport_2012", "uto_id_2019"])
def test_genuine_fields_keep_one_line_and_a_reprinted_one_stands_out(design: str) -> None:
    genuine, forged = _pages(design, 4.0)
    g = _fieldprint(genuine)
    assert g.status == "ok", g.reason
    assert g.data["fields_measured"] >= 6
    # round letters and digits overshoot the baseline a little; nothing near a finding
    assert g.data["baseline_dev_max"] < FINDING_MM / 2, g.data["deviations"]
    assert not g.findings
    f = _fieldprint(forged)
    assert f.status == "ok", f.reason
    devs = f.data["deviations"]
    # 4 px lower less the issuer's jitter (at most 0.15 mm): at least 0.18 mm off
    assert max(devs, key=devs.get) == "surname", devs
    assert devs["surname"] > FINDING_MM
    assert f.data["baseline_dev_ratio"] > 5
    assert (f.score or 0.0) > (g.score or 0.0)
    finding = next(x for x in f.findings if x.code == "FIELD_TEXT_MISPLACED")
    assert finding.data and finding.data["field"] == "surname" and finding.region is not None


def test_robust_plane_ignores_one_field_off_and_never_tilts_wildly() -> None:
    rng = np.random.default_rng(0)
    where = rng.uniform(0, 120, (10, 2))  # field positions, mm
    # a registration's tilt: a fraction of a pixel across the card
    values = 0.3 + 0.004 * where[:, 0] - 0.006 * where[:, 1] + rng.normal(0, 0.01, 10)
    values[3] += 2.0
    residual = np.abs(values - _plane(where, values))
    assert residual[3] > 1.9
    assert np.delete(residual, 3).max() < 0.05
    # the fields kept nearly in one column and the one left out far beside them: a plain
    # least-squares plane tilts across the column on the noise and puts the far field
    # anywhere; the held slopes keep the plane near the data
    column = np.column_stack([20.0 + rng.normal(0, 0.01, 5), np.arange(5) * 4.0])
    where = np.vstack([column, [[60.0, 10.0]]])
    values = np.array([0.1, 0.12, 0.08, 0.11, 0.09, 3.0])
    fit = _plane(where, values)
    assert np.abs(fit).max() < 1.0
    assert abs(values[5] - fit[5]) > 2.0


def test_not_applicable_without_mrz_and_then_missing_in_fusion() -> None:
    r = run_detectors(Analysis.from_source(np.full((300, 400, 3), 200, np.uint8)),
                      ["fieldprint"])[0]
    assert r.status == "not_applicable" and r.reason
    assert not [k for k in features([r]) if k.startswith("fieldprint.")]


def test_a_design_without_field_layout_is_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    from docfraud.forensics import reference

    genuine, _ = _pages("uto_passport_2012", 4.0)
    real = reference.registration

    def without_fields(analysis: Analysis) -> object:
        found = real(analysis)
        assert not isinstance(found, str)
        return replace(found, design=replace(found.design, fields={}))

    monkeypatch.setattr(reference, "registration", without_fields)
    r = _fieldprint(genuine)
    assert r.status == "not_applicable"
    assert "no field layout" in r.reason


def test_the_baseline_is_found_between_the_samples_where_the_ink_ends() -> None:
    # ink rows 0-9, paper from row 10: the edge lies between samples 9 and 10
    profile = np.r_[np.ones(10), np.zeros(10)].astype(np.float64)
    found = _fall(profile, 9.0, 5.0)
    assert found is not None and found[0] == pytest.approx(9.5)
    # a soft edge is placed at its steepest point, between the samples
    soft = np.r_[np.ones(8), [0.9, 0.6, 0.25, 0.05], np.zeros(8)].astype(np.float64)
    edge = _fall(soft, 9.0, 5.0)
    assert edge is not None and 9.0 < edge[0] < 10.0
    assert _fall(profile, 40.0, 2.0) is None  # window outside the profile


def test_stored_field_offsets_are_what_the_detector_measures_today() -> None:
    """The reference index's per-field ``bias`` and ``width`` are measured by this
    detector's own ``measure_field`` and ``measure_width`` (and its ``typeface`` is the
    generator's): a change to the measurement leaves them stale, and this test says so
    (rebuild with scripts/build_references.py)."""
    import sys
    from pathlib import Path

    from docfraud.reference import load_library

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "scripts"))
    try:
        import build_references
    finally:
        sys.path.remove(str(root / "scripts"))
    library = load_library()
    index = [d.name for d in library.designs].index("uto_id_2008")
    design = library.designs[index]
    import json

    entry = json.loads((root / "models" / "references" / "index.json").read_text())
    affine = build_references.reference_render(design.name, index)[3]
    assert build_references.issuer_typeface(get_design(design.name), affine) == \
        entry["designs"][index]["typeface"]
    bias, width = build_references.field_calibration(design.name, index,
                                                     entry["designs"][index], affine)
    stored = {k: v.bias for k, v in design.fields.items() if k in bias}
    assert stored and bias.keys() == stored.keys()
    for key, value in bias.items():
        assert value == pytest.approx(stored[key], abs=0.01), key
    stored_width = {k: v.width for k, v in design.fields.items() if v.width}
    assert len(width) >= 3 and width.keys() == stored_width.keys()
    for key, value in width.items():
        assert value == pytest.approx(stored_width[key], abs=0.002), key
        assert value == pytest.approx(1.0, abs=0.01), key  # clean renders: the issuer's


def test_deviations_are_also_weighed_by_each_fields_genuine_spread(
        monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import json
    from pathlib import Path

    from docfraud.forensics import fieldprint

    _, forged = _pages("uto_passport_2012", 4.0)
    spread_file = Path(str(tmp_path)) / "spread.json"
    monkeypatch.setattr(fieldprint, "SPREAD_PATH", spread_file)

    def z_max(spreads: dict[str, float]) -> tuple[float, dict[str, float]]:
        spread_file.write_text(json.dumps({"version": 1, "spread_mm": {
            "uto_passport_2012": spreads}}))
        fieldprint.field_spread.cache_clear()
        r = _fieldprint(forged)
        return r.data["baseline_z_max"], r.data["deviations"]

    try:
        plain, dev = z_max({})
        assert plain == pytest.approx(max(dev.values()) / fieldprint.DEFAULT_SPREAD_MM,
                                      abs=0.02)
        # the surname measures loosely on genuine captures (0.3 mm): its deviation weighs less
        loose, _ = z_max({"surname": 0.3})
        others = max(v for k, v in dev.items() if k != "surname")
        assert loose == pytest.approx(max(dev["surname"] / 0.3,
                                          others / fieldprint.DEFAULT_SPREAD_MM), abs=0.02)
        assert loose < plain
        spread_file.write_text("{not json")
        fieldprint.field_spread.cache_clear()
        from docfraud.errors import ModelError
        with pytest.raises(ModelError):
            fieldprint.field_spread()
    finally:
        fieldprint.field_spread.cache_clear()


# ----------------------------------------------------------------------------- widths


def _plain_surname_rng(design: str) -> np.random.Generator:
    """A generator whose first holder of ``design`` has a surname the width measure
    takes (one word of plain letters, no transliterated pair)."""
    from docfraud.forensics.fieldprint import DIGRAPHS, MIN_NAME_LETTERS

    d = get_design(design)
    for n in range(200):
        name = identity_for(d, np.random.default_rng([SEED, 7, n])).surname.upper()
        if (len(name) >= MIN_NAME_LETTERS and name.isascii() and name.isalpha()
                and not any(p in name for p in DIGRAPHS)):
            return np.random.default_rng([SEED, 7, n])
    raise AssertionError("no plain surname in 200 holders")


@functools.lru_cache(maxsize=8)
def _resized(design: str, scale: float, font: str = "sans_bold") -> tuple[np.ndarray, np.ndarray]:
    """A genuine page and the same page with its surname erased and printed again where
    the issuer prints it, ``scale`` times the issuer's size, in ``font``."""
    rng = _plain_surname_rng(design)
    d = get_design(design)
    state = start_document(d, identity_for(d, rng), rng)
    genuine = state.page.copy()
    profile = ForgerProfile(rewrite_font=font, rewrite_scale=scale,
                            rewrite_offset=(0.0, 0.0), erase_noise=0.0)
    rewrite_field(state, "surname", state.viz_printed["surname"], rng, profile)
    return genuine, state.page.copy()


@pytest.mark.parametrize("design", ["uto_passport_2012", "uto_id_2019"])
def test_a_field_printed_larger_is_measured_wider_than_the_others(design: str) -> None:
    from docfraud.forensics.fieldprint import WIDTH_FINDING

    genuine, forged = _resized(design, 1.08)
    g = _fieldprint(genuine)
    assert g.status == "ok", g.reason
    assert g.data["width_fields"] >= 3, g.data
    assert "surname" in g.data["widths"]
    assert g.data["width_dev_max"] < 0.01, g.data["widths"]
    assert not [x for x in g.findings if x.code == "FIELD_TEXT_SIZE_DIFFERS"]
    f = _fieldprint(forged)
    widths = f.data["widths"]
    others = [v for k, v in widths.items() if k != "surname"]
    # 8 % larger by cap height; the font's whole-pixel sizes leave 5-9 % in width
    assert widths["surname"] > max(others) + 0.04, widths
    assert f.data["width_dev_max"] > WIDTH_FINDING
    finding = next(x for x in f.findings if x.code == "FIELD_TEXT_SIZE_DIFFERS")
    assert finding.data and finding.data["field"] == "surname" and finding.region is not None
    assert "wider" in finding.message
    assert (f.score or 0.0) > 0.9 > (g.score or 0.0)
    names = features([f])
    assert names["fieldprint.data.width_dev_max"] == f.data["width_dev_max"]


def test_a_field_printed_a_font_size_smaller_is_measured_narrower() -> None:
    # the skilled forger's few per cent: one font size (of 31) smaller
    genuine, forged = _resized("uto_id_2019", 0.97)
    g, f = _fieldprint(genuine), _fieldprint(forged)
    dev = f.data["widths"]["surname"] / np.median(list(f.data["widths"].values())) - 1
    assert dev < -0.02, f.data["widths"]
    assert f.data["width_dev_max"] > g.data["width_dev_max"] + 0.015


def test_widths_are_not_measured_without_the_issuers_font(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import docfraud.synth.fonts as fonts

    genuine, _ = _resized("uto_passport_2012", 1.08)
    monkeypatch.setattr(fonts, "find_font_file", lambda file: None)
    r = _fieldprint(genuine)
    assert r.status == "ok"  # the baselines still are
    assert r.data["width_fields"] == 0 and "not installed" in r.data["width_reason"]
    assert "fieldprint.data.width_dev_max" not in features([r])


def _mrz(**fields: str) -> object:
    from docfraud.mrz import generate, parse

    base = {"document_code": "P", "issuing_state": "UTO", "surname": "KAMAU",
            "given_names": "AMINA", "document_number": "K12345678", "nationality": "UTO",
            "birth_date": "1985-03-12", "expiry_date": "2031-07-02", "sex": "F"}
    return parse(generate({**base, **fields}, format="TD3"))


def test_printed_text_follows_the_mrz_and_the_designs_date_style() -> None:
    from docfraud.forensics.fieldprint import printed_text
    from docfraud.reference import Typeface

    months = tuple(f"M{i:02d}" for i in range(1, 13))
    mon = Typeface(font="DejaVuSans-Bold.ttf", em=25.0, date_style="mon", months=months)
    dot = Typeface(font="DejaVuSans-Bold.ttf", em=25.0, date_style="dot")
    mrz = _mrz()
    assert printed_text("birth_date", mrz, mon) == ("12 M03 1985",)
    assert printed_text("expiry_date", mrz, dot) == ("02.07.2031",)
    assert printed_text("passport_number", mrz, mon, r"K\d{8}") == ("K12345678",)
    assert printed_text("passport_number", mrz, mon, r"D\d{7}") == ()  # another series
    assert printed_text("surname", mrz, mon) == ("KAMAU",)
    assert printed_text("place_of_birth", mrz, mon) == ()  # not in the MRZ
    # a transliterated pair (MÜLLER is written MUELLER), words (a space or a hyphen)
    assert set(printed_text("surname", _mrz(surname="MUELLER"), mon)) == {"MUELLER", "MÜLLER"}
    assert set(printed_text("surname", _mrz(surname="VAN DER BERG"), mon)) == {
        "VAN DER BERG", "VAN-DER BERG", "VAN DER-BERG", "VAN-DER-BERG"}
    assert printed_text("given_names", _mrz(given_names="LI"), mon) == ()  # too short
    # an apostrophe the MRZ drops; a word starting with a transliterated pair keeps it
    assert set(printed_text("surname", _mrz(surname="ONEILL"), mon)) == {"ONEILL", "O'NEILL"}
    assert set(printed_text("surname", _mrz(surname="OEZTUERK"), mon)) == {
        "OEZTUERK", "OEZTÜRK", "ÖZTUERK", "ÖZTÜRK", "ŒZTUERK", "ŒZTÜRK"}
    # too many spellings to tell apart
    assert printed_text("surname", _mrz(surname="AE OE UE AA SS"), mon) == ()
    # a name field filled to its end may hold truncated names
    full = _mrz(surname="ABCDEFGHIJKLMNOPQRSTUVWXYZ", given_names="ABCDEFGHIJKLMNOP")
    assert printed_text("surname", full, mon) == ()


def test_of_a_names_spellings_the_printed_one_is_measured() -> None:
    """SCHÄFER printed, SCHAEFER in the MRZ: measured as SCHÄFER (SCHAEFER, a letter
    longer, would read 14 % narrower)."""
    rng = np.random.default_rng([SEED, 11])
    d = get_design("uto_passport_2012")
    holder = replace(identity_for(d, rng), surname="Schäfer")
    state = start_document(d, holder, rng)
    assert state.viz_printed["surname"] == "SCHÄFER"
    r = _fieldprint(state.page.copy())
    assert "surname" in r.data["widths"], r.data
    assert r.data["width_dev_max"] < 0.01, r.data["widths"]


def test_printed_text_leaves_out_a_date_whose_check_digit_fails() -> None:
    from docfraud.forensics.fieldprint import printed_text
    from docfraud.mrz import generate, parse
    from docfraud.reference import Typeface

    lines = generate({"document_code": "P", "issuing_state": "UTO", "surname": "KAMAU",
                      "given_names": "AMINA", "document_number": "K12345678",
                      "nationality": "UTO", "birth_date": "1985-03-12",
                      "expiry_date": "2031-07-02", "sex": "F"}, format="TD3",
                     check_digit_overrides={"birth_date": "0"})
    mrz = parse(lines)
    dot = Typeface(font="DejaVuSans-Bold.ttf", em=25.0, date_style="dot")
    assert printed_text("birth_date", mrz, dot) == ()
    assert printed_text("expiry_date", mrz, dot) == ("02.07.2031",)


def test_two_reprinted_fields_of_four_do_not_make_the_genuine_ones_deviate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The median of four fields, two of them printed 8 % wider, lies between them: held
    near 1, the genuine fields keep their own small deviations."""
    from docfraud.forensics import fieldprint
    from docfraud.reference import load_library

    fields = next(d for d in load_library().designs if d.name == "uto_id_2019").fields
    ratio = {fields["surname"]: 1.08, fields["given_names"]: 1.09}

    def measured(grey: object, to_image: object, layout: object, *rest: object
                 ) -> tuple[float, float] | None:
        if layout == fields["expiry_date"]:
            return None  # four fields measured, two of them wide
        return ratio.get(layout, 0.997), 0.98  # type: ignore[call-overload]

    monkeypatch.setattr(fieldprint, "measure_width", measured)
    genuine, _ = _resized("uto_id_2019", 1.0)
    r = _fieldprint(genuine)
    widths = r.data["widths"]
    assert len(widths) == 4, widths
    flagged = {x.data["field"] for x in r.findings if x.code == "FIELD_TEXT_SIZE_DIFFERS"}
    wide = {k for k, v in widths.items() if v > 1.05}
    assert flagged == wide and len(wide) == 2


def test_a_match_at_the_end_of_the_moves_is_no_measure() -> None:
    """Text printed 1.3 mm right of where the design starts it: no scale is claimed (a
    wrong one would make up for the shift), while 0.5 mm off is measured at scale 1."""
    import cv2

    from docfraud.forensics.fieldprint import PATCH_PX_PER_MM, measure_width
    from docfraud.reference import FieldLayout
    from docfraud.synth.fonts import find_font_file

    font = find_font_file("DejaVuSans-Bold.ttf")
    assert font is not None
    from PIL import Image, ImageDraw, ImageFont

    px_mm = 8.0
    em, cap = 25.0, 18.4
    layout = FieldLayout(box=(40, 20, 400, 30), baseline=(50.0, 45.0), cap=cap)
    for shift_mm, measured in ((0.5, True), (1.3, False)):
        page = Image.new("L", (600, 80), 235)
        ImageDraw.Draw(page).text((50 + shift_mm * px_mm, 45), "SMITHSON",
                                  font=ImageFont.truetype(font, em), fill=20, anchor="ls")
        grey = cv2.GaussianBlur(np.asarray(page), (0, 0), 0.6)
        found = measure_width(grey, np.eye(3), layout, 45.0, "SMITHSON", font, em, px_mm)
        if measured:
            assert found is not None and found[0] == pytest.approx(1.0, abs=0.01), found
        else:
            assert found is None, found
    assert PATCH_PX_PER_MM == 16.0


def _printed_line(tilt_deg: float, background: bool) -> tuple[np.ndarray, object]:
    """A field's text on a white card at 8 px/mm, tilted ``tilt_deg`` about where the
    layout starts it, optionally over dark wavy background lines across the whole box
    (a passport's guilloche scanned dark), and the layout (wide box, text in its left
    half)."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    from docfraud.reference import FieldLayout
    from docfraud.synth.fonts import find_font_file

    font_file = find_font_file("DejaVuSans-Bold.ttf")
    assert font_file is not None
    layout = FieldLayout(box=(100, 50, 700, 26), baseline=(100.0, 72.0), cap=18.4)
    canvas = Image.new("L", (900, 160), 255)
    ImageDraw.Draw(canvas).text((100, 72), "PASSPORT OFFICE UTOPIA", fill=0, anchor="ls",
                                font=ImageFont.truetype(font_file, 25))
    turn = cv2.getRotationMatrix2D((100.0, 72.0), -tilt_deg, 1.0)  # + runs down rightwards
    grey = cv2.warpAffine(np.asarray(canvas), turn, (900, 160), flags=cv2.INTER_LINEAR,
                          borderValue=255)
    if background:
        x = np.arange(900)
        for phase in (0.0, 1.3, 2.6, 3.9):
            y = (62 + 14 * np.sin(x / 37.0 + phase)).astype(np.int32)
            cv2.polylines(grey, [np.stack([x, y], axis=1).astype(np.int32)], False, 90, 1,
                          cv2.LINE_AA)
    return grey, layout


@pytest.mark.parametrize(("tilt", "background"), [(0.6, False), (0.6, True), (-0.6, True)])
def test_a_tilted_line_of_text_over_dark_lines_keeps_its_baseline(tilt: float,
                                                                   background: bool) -> None:
    from docfraud.forensics.fieldprint import measure_field

    identity = np.eye(3)
    flat_grey, layout = _printed_line(0.0, background=False)
    flat = measure_field(flat_grey, identity, "authority", layout, 8.0)
    assert flat is not None
    assert flat.baseline == pytest.approx(72.0, abs=1.0) and abs(flat.skew) <= 0.002
    # a text 0.6 degrees off the card (a registration's small rotation, a field printed
    # again by hand) whose box's other half holds only the background: its baseline where
    # the design starts it is where the untilted text's is
    grey, layout = _printed_line(tilt, background)
    tilted = measure_field(grey, identity, "authority", layout, 8.0)
    assert tilted is not None
    assert tilted.baseline == pytest.approx(flat.baseline, abs=0.3)
    assert tilted.skew == pytest.approx(np.tan(np.radians(tilt)), abs=0.002)
