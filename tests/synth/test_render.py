from __future__ import annotations

import numpy as np
import pytest

from docfraud.mrz import parse
from docfraud.synth import DESIGNS, PX_PER_MM, REFERENCE_DATE, render_document
from docfraud.synth.dataset import identity_for
from docfraud.synth.render import MRZ_PITCH_MM, viz_values

from .mrzcheck import assert_genuine_mrz

FORMAT_SIZES = {"TD3": (125.0, 88.0), "TD2": (105.0, 74.0), "TD1": (85.6, 54.0)}


def test_at_least_five_designs_cover_td1_td2_td3() -> None:
    assert len(DESIGNS) >= 5
    assert {d.format for d in DESIGNS.values()} == {"TD1", "TD2", "TD3"}
    assert sum(d.ghost is not None for d in DESIGNS.values()) > len(DESIGNS) / 2
    for d in DESIGNS.values():
        assert d.card_mm == FORMAT_SIZES[d.format]


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_genuine_mrz_validates_and_matches_visual_zone(name: str) -> None:
    design = DESIGNS[name]
    for seed in range(10):
        rng = np.random.default_rng(seed)
        ident = identity_for(design, rng)
        page, layout = render_document(design, ident, rng)
        assert page.dtype == np.uint8 and page.shape[2] == 3
        assert layout["page_size"] == [page.shape[1], page.shape[0]]
        result = parse(layout["mrz"]["lines"], today=REFERENCE_DATE)
        assert_genuine_mrz(result, expired=ident.expired)
        assert result.format == design.format
        assert result.fields["document_number"] == ident.document_number
        assert result.fields["birth_date"] == ident.birth_date.isoformat()
        assert result.fields["expiry_date"] == ident.expiry_date.isoformat()
        expected = viz_values(design, ident)
        for key, field in layout["fields"].items():
            # text too long for its box is shrunk, and only then truncated
            assert field["text"] and expected[key].startswith(field["text"]), key


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_text_stays_in_its_box_and_mrz_sits_at_icao_geometry(name: str) -> None:
    design = DESIGNS[name]
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        ident = identity_for(design, rng)
        page, layout = render_document(design, ident, rng)
        for key, field in layout["fields"].items():
            bx, _by, bw, _bh = field["box"]
            ix, _iy, iw, _ih = field["ink"]
            # registration jitter of the printer may shift text by up to 0.15 mm
            slack = 0.35 * PX_PER_MM  # printer registration jitter (0.15 mm) + glyph bearings
            assert ix >= bx - slack and ix + iw <= bx + bw + slack, (key, field)
        geom = layout["mrz"]["geometry"]
        assert geom["pitch"] == pytest.approx(MRZ_PITCH_MM * PX_PER_MM)
        mx, my, mw, mh = layout["mrz"]["box"]
        card = layout["cards"][-1]
        # inside the card, bottom line centre 4-9 mm above the bottom edge
        assert card[0] <= mx and mx + mw <= card[0] + card[2]
        bottom_mm = (card[1] + card[3] - geom["centres"][-1]) / PX_PER_MM
        assert 4.0 <= bottom_mm <= 9.0
        n = len(layout["mrz"]["lines"][0])
        assert mw == pytest.approx(n * MRZ_PITCH_MM * PX_PER_MM, abs=3)
        # MRZ band is printed: dark pixels in it
        band = page[my : my + mh, mx : mx + mw].mean(axis=2)
        assert (band < 90).mean() > 0.03


def test_portraits_differ_between_people() -> None:
    from docfraud.synth.portrait import render_portrait

    faces = [render_portrait(s, "F", 40, (105, 135)).astype(np.float32) for s in range(6)]
    for i in range(len(faces)):
        for j in range(i + 1, len(faces)):
            assert np.abs(faces[i] - faces[j]).mean() > 8
    again = render_portrait(3, "F", 40, (105, 135))
    assert np.array_equal(again, faces[3].astype(np.uint8))
