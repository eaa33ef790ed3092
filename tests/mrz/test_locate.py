"""docfraud.mrz.locate and the line segmentation of docfraud.mrz.ocr."""

from __future__ import annotations

import numpy as np
import pytest

from docfraud.mrz import locate, ocr, render

LINES = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
         "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


@pytest.mark.parametrize("angle", [0.0, 12.0, 90.0, 180.0, 251.0])
def test_finds_two_lines_at_any_angle(angle: float) -> None:
    img = render.synthetic_mrz_image(LINES, seed=11, angle=angle, width=900, blur=0.5, jpeg=85,
                                     perspective=0.0)
    cands = locate.locate(img)
    assert cands, "no MRZ candidate found"
    best = cands[0]
    assert best.n_lines == 2
    # text direction modulo 180 (upright vs upside down is the reader's job)
    diff = (best.angle - (-angle)) % 180.0
    assert min(diff, 180.0 - diff) < 3.0
    for strip in best.strips:
        assert strip.dtype == np.uint8 and strip.ndim == 2
        assert strip.shape[1] > 20 * strip.shape[0] / locate.STRIP_HEIGHT


def test_nothing_found_on_plain_image() -> None:
    assert locate.locate(np.full((300, 400, 3), 200, np.uint8)) == []


def test_segment_line_fits_the_grid() -> None:
    rng = np.random.default_rng(5)
    ink, centers, pitch, cap = render.render_block([LINES[1]], rng, font_px=32, margin=(1.0, 0.7))
    gray = (255 * (1.0 - 0.85 * ink)).astype(np.uint8)
    strip_ink = ocr.ink_map(gray, glyph_height=cap)
    cells = ocr.segment_line(strip_ink, 44)
    assert cells is not None
    err = np.abs(cells.centers[:, 0] - centers[0][:, 0]).max()
    assert err < 0.2 * pitch
    assert abs(cells.pitch - pitch) < 0.02 * pitch


def test_classifier_reads_clean_line() -> None:
    rng = np.random.default_rng(6)
    ink, _, _, cap = render.render_block([LINES[0]], rng, font_px=32, margin=(1.0, 0.7))
    gray = (255 * (1.0 - 0.85 * ink)).astype(np.uint8)
    strip_ink = ocr.ink_map(gray, glyph_height=cap)
    cells = ocr.segment_line(strip_ink, 44)
    assert cells is not None
    probs = ocr.default_classifier().predict(ocr.cell_crops(strip_ink, cells))
    assert probs.shape == (44, 37)
    assert "".join(ocr.ALPHABET[i] for i in probs.argmax(axis=1)) == LINES[0]
