from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from docfraud.errors import InputError
from docfraud.signature import (
    Signature,
    background_profile,
    mrz_habits,
    mrz_print_metrics,
    number_scheme,
    number_value,
    paste_traces,
    portrait_distance,
    portrait_hash,
    print_pattern,
    signature_from_record,
)

OCRB = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"


def _face(seed: int, size: tuple[int, int] = (160, 200)) -> np.ndarray:
    """A portrait-like picture: smooth shaded blobs on a background (RGB uint8)."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", size, tuple(int(v) for v in rng.integers(150, 255, 3)))
    d = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.integers(0, size[0] - 20), rng.integers(0, size[1] - 20)
        w, h = rng.integers(20, 90, 2)
        d.ellipse([x0, y0, x0 + w, y0 + h], fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    return np.asarray(img)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _sig(**kw: object) -> Signature:
    base: dict[str, object] = dict(
        doc_id="a.jpg", design="UTO-P-TD3", tokens={"number_scheme": "P9999999"},
        vectors={"mrz": [1.0, 0.7, 0.02, 0.1, 0.12], "paste": [1.0, 1.1, 0.9]},
        portrait_hash=(2**64 - 1, 5), number="P1234567", evidence={"jpeg": 0.5}, risk=0.8,
        seen="2024-01-02", info={"file": "a.jpg"})
    base.update(kw)
    return Signature(**base)  # type: ignore[arg-type]


def test_signature_round_trip_through_json() -> None:
    s = _sig()
    back = Signature.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back.to_dict() == s.to_dict()
    assert back.portrait_hash == (2**64 - 1, 5)
    assert back.vectors["mrz"].dtype == np.float64


@pytest.mark.parametrize("kw, msg", [
    ({"vectors": {"mrz": [1.0, 2.0]}}, "needs 5 values"),
    ({"vectors": {"colour": [1.0]}}, "unknown signature vector"),
    ({"vectors": {"paste": [1.0, float("nan"), 1.0]}}, "non-finite"),
    ({"risk": 1.5}, "risk must be in"),
    ({"doc_id": ""}, "doc_id"),
    ({"portrait_hash": (2**64, 0)}, "64-bit"),
])
def test_signature_rejects_bad_components(kw: dict[str, object], msg: str) -> None:
    with pytest.raises(InputError, match=msg):
        _sig(**kw)


def test_from_dict_rejects_malformed() -> None:
    with pytest.raises(InputError, match="malformed signature"):
        Signature.from_dict({"doc_id": "x", "portrait_hash": ["zz", "00"]})
    with pytest.raises(InputError):
        Signature.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_portrait_hash_survives_rescale_jpeg_and_mirror() -> None:
    face = _face(1)
    box = (0, 0, face.shape[1], face.shape[0])
    h = portrait_hash(face, box)
    small = np.asarray(Image.fromarray(face).resize((96, 120), Image.Resampling.BILINEAR))
    reused = _jpeg(small[:, ::-1].copy(), 35)  # rescaled, mirrored, compressed
    h2 = portrait_hash(reused, (0, 0, reused.shape[1], reused.shape[0]))
    d_same = portrait_distance(h, h2)
    other = _face(2)
    d_other = portrait_distance(h, portrait_hash(other, box))
    assert d_same is not None and d_other is not None
    assert d_same <= 8, d_same
    assert d_other >= 20, d_other
    # without the mirror hash the mirrored copy would not match
    assert bin(h[0] ^ h2[0]).count("1") > d_same


def test_portrait_hash_inside_a_document_box() -> None:
    page = np.full((400, 600, 3), 230, np.uint8)
    face = _face(3)
    page[100:300, 40:200] = face
    h = portrait_hash(page, (40, 100, 160, 200))
    assert portrait_distance(h, portrait_hash(face, (0, 0, 160, 200))) == 0


def _screen(period: float, angle_deg: float, size: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    t = np.deg2rad(angle_deg)
    u = x * np.cos(t) + y * np.sin(t)
    v = -x * np.sin(t) + y * np.cos(t)
    val = 200 + 40 * np.cos(2 * np.pi * u / period) * np.cos(2 * np.pi * v / period)
    return np.repeat(val[:, :, None], 3, axis=2).astype(np.uint8)


@pytest.mark.parametrize("period, angle", [(4.0, 0.0), (5.0, 45.0), (6.0, 15.0)])
def test_print_pattern_recovers_halftone_screen(period: float, angle: float) -> None:
    img = _screen(period, angle)
    v = print_pattern(img, (0, 0, 128, 128))
    # a dot screen has peaks at period / cos(45°) along the diagonals of its grid
    found = [v[0], v[0] * np.sqrt(2), v[0] / np.sqrt(2)]
    assert min(abs(f - period) for f in found) / period < 0.06, v
    assert v[3] > 0.2  # a strong periodic pattern
    flat = np.full((128, 128, 3), 200, np.uint8) + np.random.default_rng(0).integers(
        0, 3, (128, 128, 3)).astype(np.uint8)
    assert print_pattern(flat, (0, 0, 128, 128))[3] < v[3] / 3


def _mrz_image(pitch_scale: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    font = ImageFont.truetype(OCRB, 22)
    lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
             "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    char_w = 14.0
    box = (20, 20, int(44 * char_w), 70)
    img = Image.new("RGB", (700, 120), "white")
    d = ImageDraw.Draw(img)
    for li, line in enumerate(lines):
        for ci, ch in enumerate(line):
            d.text((box[0] + 1 + ci * char_w * pitch_scale, box[1] + 6 + li * 32), ch, font=font,
                   fill="black")
    return np.asarray(img), box


def test_mrz_print_metrics_measures_pitch_deviation() -> None:
    img, box = _mrz_image(1.0)
    ref = mrz_print_metrics(img, box, chars_per_line=44, lines=2)
    img2, _ = _mrz_image(0.95)
    dev = mrz_print_metrics(img2, box, chars_per_line=44, lines=2)
    assert abs(ref[0] - 1.0) < 0.02, ref
    assert abs(dev[0] / ref[0] - 0.95) < 0.01, (ref, dev)
    assert 0.3 < ref[1] < 1.0 and 0.0 < ref[4] < 0.4


def test_mrz_print_metrics_rejects_empty_zone() -> None:
    blank = np.full((100, 300, 3), 255, np.uint8)
    with pytest.raises(InputError, match="no ink"):
        mrz_print_metrics(blank, (0, 0, 300, 100), chars_per_line=44, lines=2)


def test_paste_traces_see_a_hard_seam_and_recompression() -> None:
    rng = np.random.default_rng(0)
    page = np.clip(rng.normal(180, 6, (300, 300, 3)), 0, 255).astype(np.uint8)
    clean = paste_traces(page, (100, 100, 96, 96))
    patch = _jpeg(np.clip(rng.normal(120, 2, (96, 96, 3)), 0, 255).astype(np.uint8), 20)
    forged = page.copy()
    forged[100:196, 100:196] = patch
    pasted = paste_traces(forged, (100, 100, 96, 96))
    assert pasted[0] > 1.5 * clean[0]
    assert abs(clean[2] - 1.0) < 0.3 and pasted[2] < 0.7


def test_paste_traces_of_a_box_over_the_image_edge_are_finite() -> None:
    """A portrait box reaching past the page's edge (a registered box of a card cut off by
    the photo) is measured where it lies inside; the seam is still seen."""
    rng = np.random.default_rng(1)
    page = np.clip(rng.normal(180, 6, (300, 300, 3)), 0, 255).astype(np.uint8)
    forged = page.copy()
    forged[:120, :96] = np.clip(rng.normal(120, 2, (120, 96, 3)), 0, 255).astype(np.uint8)
    for box in ((-9, -20, 105, 140), (-9, 50, 105, 140), (250, 250, 80, 80)):
        assert np.isfinite(paste_traces(page, box)).all(), box
    assert paste_traces(forged, (-9, -20, 105, 140))[0] > 1.5 * paste_traces(
        page, (-9, -20, 105, 140))[0]
    # the image's edge is no seam: the same patch cut by the image or wholly inside it
    # shows the same seam ratio (the cut sides once diluted it towards the background's)
    inside = page.copy()
    inside[40:160, 40:136] = forged[:120, :96]
    whole = paste_traces(inside, (40, 40, 96, 120))[0]
    cut = paste_traces(forged, (-9, -20, 105, 140))[0]
    assert abs(cut - whole) < 0.25 * whole, (cut, whole)
    assert paste_traces(page, (-5, -5, 310, 310))[0] == 1.0
    # nothing around the box at all: the noise ratio is neutral too; a box side lying on
    # the image's edge is no seam either
    assert paste_traces(page, (-5, -5, 310, 310))[2] == 1.0
    assert paste_traces(page, (0, 0, 300, 300)).tolist() == [1.0, paste_traces(
        page, (0, 0, 300, 300))[1], 1.0]


def test_background_profile_values() -> None:
    img = np.zeros((50, 50, 3), np.uint8)
    img[:] = (200, 180, 160)
    v = background_profile(img, (0, 0, 50, 50))
    assert v.shape == (5,) and v[0] > 150 and v[3] < 1.0


@pytest.mark.parametrize("bad", [np.zeros((10, 10), np.float32), "x",
                                 np.zeros((4, 4, 3), np.uint8)])
def test_image_functions_reject_bad_input(bad: object) -> None:
    with pytest.raises(InputError):
        portrait_hash(bad, (0, 0, 10, 10))  # type: ignore[arg-type]


def test_box_outside_image() -> None:
    with pytest.raises(InputError, match="box"):
        print_pattern(np.zeros((50, 50, 3), np.uint8), (60, 60, 20, 20))


def test_text_components() -> None:
    assert number_scheme("AB1234567<") == "AB9999999"
    assert number_value("AB00123") == 123
    assert number_value("ABC") is None
    # placeholders (specimens' numbers), not serials: no value, so no "sequence"
    for placeholder in ("LT0000000", "000000003", "XA0000014", "00000000"):
        assert number_value(placeholder) is None, placeholder
    assert number_value("K0012345") == 12345 and number_value("007") == 7
    assert number_value("AB0000123") == 123  # a zero-padded serial, not a placeholder
    habits = mrz_habits({"format": "TD3", "checks": {"birth_date": True, "composite": False},
                         "lines": ["P<UTO" + "<" * 39, "L898902C36UTO7408122F1204159" + "<" * 14
                                   + "00"]})
    assert habits == {"mrz_format": "TD3", "mrz_failed": "composite", "mrz_empty_check": "0"}


def test_signature_from_screen_record() -> None:
    rec = {
        "file": "scan1.jpg", "sha256": "ab" * 32,
        "mrz": {"found": True, "format": "TD3", "lines": [], "valid": False,
                "fields": {"document_number": "L898902C3", "issuing_state": "UTO",
                           "document_code": "P"},
                "checks": {"document_number": False}},
        "findings": [{"code": "X", "severity": "high", "detector": "jpeg", "message": "m",
                      "region": None},
                     {"code": "Y", "severity": "low", "detector": "noise", "message": "m",
                      "region": None}],
        "risk": {"score": 0.9, "verdict": "reject"},
    }
    s = signature_from_record(rec)
    assert s.doc_id == "scan1.jpg" and s.number == "L898902C3"
    assert s.tokens["number_scheme"] == "L999999C9"
    assert s.tokens["mrz_failed"] == "document_number"
    assert s.evidence == {"jpeg": 1.0, "noise": 0.33}
    assert s.risk == 0.9 and s.design == "UTO-P-TD3"
    # a record that carries a signature keeps its measured components
    rec2 = dict(rec, signature=_sig(doc_id="scan1.jpg").to_dict())
    s2 = signature_from_record(rec2)
    assert s2.vectors["mrz"][0] == 1.0 and s2.portrait_hash == (2**64 - 1, 5)
    with pytest.raises(InputError):
        signature_from_record({"mrz": {}})


def test_signature_from_page_measures_every_zone() -> None:
    from docfraud.signature import signature_from_page

    mrz_img, mrz_box = _mrz_image(1.0)
    page = np.full((420, 720, 3), 235, np.uint8)
    page[300:420, 0:700] = mrz_img
    page[20:220, 20:180] = _face(7)
    page[20:148, 400:528] = _screen(5.0, 0.0)
    x, y, w, h = mrz_box
    zones = {"portrait": (20, 20, 160, 200), "mrz": (x, y + 300, w, h),
             "background": (400, 20, 128, 128)}
    lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
             "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    s = signature_from_page(page, doc_id="p.jpg", design="UTO-P", zones=zones, mrz_format="TD3",
                            mrz_lines=lines, authority="Ministry of  the Interior.", risk=0.7)
    assert set(s.vectors) == {"mrz", "paste", "print", "background"}
    assert abs(s.vectors["mrz"][0] - 1.0) < 0.02
    # cos(u) cos(v) dots: the spectral peaks lie on the diagonals, at period 5 / sqrt(2)
    assert abs(s.vectors["print"][0] - 5.0 / np.sqrt(2)) < 0.2
    assert s.portrait_hash == portrait_hash(_face(7), (0, 0, 160, 200))
    assert s.number == "L898902C3" and s.tokens["number_scheme"] == "L999999C9"
    assert s.tokens["authority"] == "MINISTRY OF THE INTERIOR"
    assert "portrait_zone" not in s.tokens
    # where the portrait zone came from is kept with the hash (not without one)
    z = signature_from_page(page, doc_id="p.jpg", design="UTO-P", zones=zones,
                            portrait_zone="design")
    assert z.tokens["portrait_zone"] == "design" and z.portrait_hash == s.portrait_hash
    z = signature_from_page(page, doc_id="p.jpg", design="UTO-P",
                            zones={"mrz": zones["mrz"]}, portrait_zone="design")
    assert "portrait_zone" not in z.tokens
    # an unmeasurable zone is left out, not guessed
    blank = signature_from_page(np.full((420, 720, 3), 255, np.uint8), doc_id="b", design="x",
                                zones={"mrz": zones["mrz"]}, mrz_format="TD3")
    assert blank.vectors == {} and blank.portrait_hash is None


def test_viz_print_metrics_sees_a_rewritten_field() -> None:
    from docfraud.signature import viz_print_metrics

    def page(size: int, dy: int) -> np.ndarray:
        img = Image.new("RGB", (400, 120), (230, 225, 210))
        d = ImageDraw.Draw(img)
        font = ImageFont.truetype(OCRB, 20)
        d.text((12, 12), "ERIKSSON", font=font, fill="black")
        d.text((12, 62 + dy), "12 AUG 1974", font=ImageFont.truetype(OCRB, size), fill="black")
        return np.asarray(img)

    boxes = {"surname": (10, 8, 300, 40), "birth_date": (10, 58, 300, 40)}
    genuine = viz_print_metrics(page(20, 0), boxes)
    rewritten = viz_print_metrics(page(26, 4), boxes)
    assert genuine.shape == (10,)
    assert genuine[0] == rewritten[0] and genuine[1] == rewritten[1]  # surname untouched
    assert rewritten[4] > genuine[4] + 0.1 and rewritten[5] > genuine[5]  # birth date bigger, lower
    assert genuine[6:].tolist() == [0.0] * 4  # fields without a box


def test_portrait_hash_ignores_the_zone_margin_around_the_face() -> None:
    """The same printed photo in a zone with another margin, photo border and background
    hashes (nearly) alike: only the inner face is hashed."""
    face = _face(11)
    rng = np.random.default_rng(0)
    plain = np.full((260, 220, 3), 235, np.uint8)
    plain[30:230, 30:190] = face
    busy = rng.integers(0, 255, (260, 220, 3)).astype(np.uint8)  # noisy guilloche-like margin
    busy[26:234, 26:194] = 20  # a dark photo border
    busy[30:230, 30:190] = face
    zone = (10, 10, 200, 240)
    d_same = portrait_distance(portrait_hash(plain, zone), portrait_hash(busy, zone))
    other = plain.copy()
    other[30:230, 30:190] = _face(12)
    d_other = portrait_distance(portrait_hash(plain, zone), portrait_hash(other, zone))
    assert d_same is not None and d_other is not None
    assert d_same <= 4, d_same
    assert d_other >= 16, d_other
    with pytest.raises(InputError):
        portrait_hash(plain, ("a", 0, 10, 10))  # type: ignore[arg-type]


def test_mrz_habits_leave_out_checks_that_depend_on_the_day() -> None:
    habits = mrz_habits({"format": "TD3", "checks": {"not_expired": False, "composite": True}})
    assert habits["mrz_failed"] == "none"
    habits = mrz_habits({"format": "TD3", "checks": {"not_expired": False, "composite": False}})
    assert habits["mrz_failed"] == "composite"


def test_signature_from_screen_uses_record_and_page() -> None:
    from docfraud.signature import signature_from_page, signature_from_screen

    mrz_img, mrz_box = _mrz_image(1.0)
    page = np.full((420, 720, 3), 235, np.uint8)
    page[300:420, 0:700] = mrz_img
    page[20:220, 20:180] = _face(7)
    x, y, w, h = mrz_box
    zones = {"portrait": (20, 20, 160, 200), "mrz": (x, y + 300, w, h)}
    lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
             "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    rec = {"file": "s.jpg", "sha256": "cd" * 32,
           "mrz": {"found": True, "format": "TD3", "lines": lines,
                   "fields": {"document_number": "L898902C3"}, "checks": {}},
           "findings": [], "risk": {"score": 0.75, "verdict": "refer"},
           "detectors": [{"detector": "jpeg", "score": 0.25}, {"detector": "noise", "score": None}]}
    s = signature_from_screen(rec, page, zones, seen="2026-11-28")
    direct = signature_from_page(page, doc_id="s.jpg", design="TD3", zones=zones,
                                 mrz_format="TD3", mrz_lines=lines)
    assert s.doc_id == "s.jpg" and s.design == "TD3" and s.seen == "2026-11-28"
    assert s.evidence == {"jpeg": 0.25} and s.risk == 0.75
    assert s.portrait_hash == direct.portrait_hash
    assert np.allclose(s.vectors["mrz"], direct.vectors["mrz"])
    assert s.number == "L898902C3" and s.info["sha256"] == "cd" * 32


def test_screened_signature_is_standardised_per_registered_design() -> None:
    """Signatures were standardised per MRZ format: an identity card and a residence
    permit (both TD1) shared one median, so on one lab scanner every document of the
    lighter design was 'atypical' the same way and genuine ones formed series with
    forgeries (16 % of the genuine documents of a held-out lab-scanned set). The design
    the reference detector registered the card on is the signature's design now."""
    from docfraud.signature import screened_design, signature_from_screen

    page = np.full((420, 720, 3), 235, np.uint8)
    page[20:220, 20:180] = _face(3)
    zones = {"portrait": (20, 20, 160, 200)}
    ref = {"detector": "reference", "status": "ok", "score": 0.0,
           "data": {"design": "uto_residence_2021", "inliers": 80}}
    rec = {"file": "r.jpg", "mrz": {"found": True, "format": "TD1", "lines": [],
                                    "fields": {}, "checks": {}},
           "findings": [], "risk": {"score": 0.5}, "detectors": [ref]}
    assert screened_design(rec) == "uto_residence_2021"
    assert signature_from_screen(rec, page, zones).design == "uto_residence_2021"
    # not registered (an unknown design, or the detector did not run): the MRZ format
    for other in ({**ref, "status": "not_applicable", "data": {}}, None):
        rec2 = {**rec, "detectors": [other] if other else []}
        assert screened_design(rec2) is None
        assert signature_from_screen(rec2, page, zones).design == "TD1"


def test_blank_portrait_zone_has_no_hash_and_no_paste_traces() -> None:
    """A blank zone (the white margin of a card's back, TD1) is not a photo: every blank
    crop hashed to 0x8000000000000000, so the 8 real specimen ID cards read from their
    back all shared 'the same portrait photo' and formed one false series."""
    from docfraud.signature import signature_from_page

    white = np.full((420, 720, 3), 255, np.uint8)
    grey = np.full((420, 720, 3), 200, np.uint8)
    for page in (white, grey):
        with pytest.raises(InputError, match="blank"):
            portrait_hash(page, (20, 20, 160, 200))
        with pytest.raises(InputError, match="blank"):
            paste_traces(page, (20, 20, 160, 200))
    sigs = [signature_from_page(page, doc_id=str(i), design="TD1",
                                zones={"portrait": (20, 20, 160, 200)})
            for i, page in enumerate((white, grey))]
    assert all(s.portrait_hash is None and "paste" not in s.vectors for s in sigs)
    page = grey.copy()
    page[20:220, 20:180] = _face(3)
    assert signature_from_page(page, doc_id="f", design="TD1",
                               zones={"portrait": (20, 20, 160, 200)}).portrait_hash is not None
