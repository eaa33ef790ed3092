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


def test_segment_line_follows_strong_foreshortening() -> None:
    """Perspective: the pitch grows by 30 % along the line; every cell stays in place."""
    import cv2

    rng = np.random.default_rng(7)
    ink, centers, pitch, cap = render.render_block([LINES[1]], rng, font_px=32, margin=(1.0, 0.7))
    gray = (255 * (1.0 - 0.85 * ink)).astype(np.float32)
    h, w = gray.shape
    k = 0.3 / w  # x' = x + k x^2 / 2: local scale 1 + k x, 1.3 at the right end
    xs_out = np.arange(int(w * 1.15) + 1, dtype=np.float32)
    src_x = (np.sqrt(1 + 2 * k * xs_out) - 1) / k  # inverse of the forward map
    map_x = np.tile(src_x, (h, 1)).astype(np.float32)
    map_y = np.repeat(np.arange(h, dtype=np.float32)[:, None], len(xs_out), axis=1)
    warped = cv2.remap(gray, map_x, map_y, cv2.INTER_LINEAR, borderValue=255.0)
    cells = ocr.segment_line(ocr.ink_map(warped.astype(np.uint8), glyph_height=cap), 44)
    assert cells is not None
    truth = centers[0][:, 0] + k * centers[0][:, 0] ** 2 / 2
    local_pitch = pitch * (1 + k * centers[0][:, 0])
    assert (np.abs(cells.centers[:, 0] - truth) < 0.25 * local_pitch).all()


def test_touching_lines_are_split() -> None:
    """Two text lines joined by a few bridges (small print, blur) are two line boxes."""
    rot = np.zeros((120, 600), np.uint8)
    for y0 in (40, 60):  # two 'lines' of glyph-like blocks, 16 px tall, 4 px apart
        for x in range(50, 550, 12):
            rot[y0:y0 + 16, x:x + 8] = 255
    rot[56:60, 100:104] = rot[56:60, 300:304] = rot[56:60, 500:504] = 255  # bridges
    boxes = locate._line_boxes(rot)
    long_boxes = sorted((b for b in boxes if b.length > 400), key=lambda b: b.cy)
    assert len(long_boxes) == 2
    assert abs(long_boxes[0].cy - 48) < 3 and abs(long_boxes[1].cy - 68) < 3


def test_td1_with_outer_lines_in_pieces_is_grouped_as_three_lines() -> None:
    """Glare broke a TD1's first and third lines into pieces; only the middle line is
    whole. The pieces on the rows above and below stand for whole lines: the best group
    is the three lines, not two of them."""
    L = locate.LineBox
    middle = L(500.0, 300.0, 450.0, 14.0)
    pieces = [L(400.0, 274.0, 200.0, 14.0), L(620.0, 274.0, 150.0, 14.0),  # first line
              L(380.0, 326.0, 180.0, 14.0)]  # third line
    clutter = [L(450.0, 120.0, 300.0, 20.0)]
    group, _ = locate._groups([middle, *pieces, *clutter])[0]
    assert len(group) == 3
    assert [round(b.cy) for b in group] == [274, 300, 326]
    assert all(b.length == middle.length for b in group)


def test_td1_first_line_with_two_rows_of_pieces_below_is_grouped_as_three_lines() -> None:
    """Glare washed out the right part of a TD1's second and third lines; only the first
    line is whole. The two rows of pieces below it, one beyond the other at the same
    spacing, stand for whole lines: a three-line group whose added lines are marked as
    made of pieces (the reader levels their ink)."""
    L = locate.LineBox
    first = L(366.0, 688.0, 497.0, 16.0)
    second = L(262.0, 715.0, 293.0, 17.0)
    third = L(266.0, 743.0, 305.0, 16.0)
    clutter = [L(338.0, 84.0, 391.0, 19.0)]
    groups = locate._groups([first, second, third, *clutter])
    threes = [g for g, _ in groups if len(g) == 3]
    assert threes
    group = threes[0]
    assert [round(b.cy) for b in group] == [688, 715, 743]
    assert all(b.length == first.length for b in group)
    assert [b.pieces for b in group] == [False, True, True]
    # a row more than one and a half spacings beyond the second is not the third line
    far = L(266.0, 760.0, 305.0, 16.0)
    assert not [g for g, _ in locate._groups([first, second, far]) if len(g) == 3]


def test_common_slope_of_a_group() -> None:
    """The direction is turned only where every line of the best group slopes the same
    way by at least SLOPE_RETRY."""
    L = locate.LineBox
    assert locate._common_slope([L(0, 0, 100, 5, slope=-0.023), L(0, 10, 100, 5, slope=-0.031)]
                                ) == pytest.approx(-0.027)
    assert locate._common_slope([L(0, 0, 100, 5, slope=0.02), L(0, 10, 100, 5, slope=-0.02)]
                                ) == 0.0
    assert locate._common_slope([L(0, 0, 100, 5, slope=0.02), L(0, 10, 100, 5, slope=0.005)]
                                ) == 0.0


def test_group_lines_are_stretched_to_the_whole_zone() -> None:
    """A line whose faint end was lost from the stroke map is found a little short; MRZ
    lines are equally long and start together, so each line's strip spans the whole
    zone (else its grid is squeezed and the name line, which has no check digit, is
    misread)."""
    L = locate.LineBox
    group = [L(500.0, 300.0, 450.0, 14.0), L(500.0, 326.0, 450.0, 14.0),
             L(482.0, 352.0, 414.0, 14.0, slope=0.01)]  # last line 8 % short on the right
    out = locate._equal_lengths(group)
    assert [(b.left, b.right) for b in out] == [(275.0, 725.0)] * 3
    assert out[2].cy == pytest.approx(352.0 + 0.01 * 18.0)
    assert [b.height for b in out] == [14.0] * 3



def test_exhaustive_search_tries_directions_beside_the_strongest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A background texture can bias the estimated text direction by a few degrees, so
    that neighbouring MRZ lines merge in the rotated stroke map and no group is found in
    any likely direction; the exhaustive search then also tries directions 2.5 and 5
    degrees beside the strongest one (the fast path does not)."""
    img = render.synthetic_mrz_image(LINES, seed=11, angle=0.0, width=800, blur=0.3,
                                     jpeg=95, perspective=0.0)
    tried: list[float] = []
    rotate = locate._rotate

    def spy(binary: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
        tried.append(round(angle, 1))
        return rotate(binary, angle)

    monkeypatch.setattr(locate, "text_angles", lambda binary, *, peaks=3: ([30.0], 10.0))
    monkeypatch.setattr(locate, "_rotate", spy)
    monkeypatch.setattr(locate, "_line_boxes", lambda rot: [])  # nothing MRZ-like
    assert not locate.locate(img, exhaustive=True)
    assert {27.5, 32.5, 25.0, 35.0} <= set(tried)
    tried.clear()
    assert not locate.locate(img, exhaustive=False)
    assert set(tried) == {30.0, -60.0}


def test_lines_split_by_glare_are_chained_across_the_gap() -> None:
    """Glare across the middle of an MRZ splits each line into two pieces, each too short
    to be an MRZ line and too far apart to merge; pieces on one row are chained into a
    line across the gap, and the two chained lines form the group."""
    L = locate.LineBox
    h = 14.0
    pieces = [L(200.0, 300.0, 12 * h, h), L(200.0 + 17 * h, 300.0, 10 * h, h),
              L(200.0, 326.0, 12 * h, h), L(200.0 + 17 * h, 326.0, 10 * h, h),
              L(600.0, 120.0, 8 * h, h)]  # a short line of other text
    groups = locate._groups(pieces)
    assert groups
    group, _ = groups[0]
    assert [round(b.cy) for b in group] == [300, 326]
    assert all(b.left == 200.0 - 6 * h and b.right == 200.0 + 22 * h for b in group)


def test_segment_line_spans_a_faint_part_when_told_the_strip_is_the_whole_line() -> None:
    """Glare washed out the first third of a line: after levelling, its print is broken
    (here: only every third of its first 15 characters left), so that the heaviest run
    of ink is the rest of the line. For a strip cut to where its text ends (``whole``)
    the grid spans all of it."""
    rng = np.random.default_rng(5)
    ink, centers, pitch, cap = render.render_block([LINES[1]], rng, font_px=32, margin=(1.0, 0.7))
    for i in range(15):
        if i % 3:
            x = int(centers[0][i, 0])
            ink[:, x - int(pitch / 2):x + int(pitch / 2) + 1] = 0.0
    gray = (255 * (1.0 - 0.85 * ink)).astype(np.uint8)
    strip_ink = ocr.ink_map(gray, glyph_height=cap)
    part = ocr.segment_line(strip_ink, 44)
    assert part is not None
    assert np.abs(part.centers[:, 0] - centers[0][:, 0]).max() > pitch  # squeezed
    cells = ocr.segment_line(strip_ink, 44, whole=True)
    assert cells is not None
    assert np.abs(cells.centers[:, 0] - centers[0][:, 0]).max() < 0.3 * pitch


def test_completed_td1_stays_inside_the_image_and_survives_degenerate_groups() -> None:
    """A completion beyond the image edge is not made; two lines at one place (spacing 0)
    or at the very edge give strips, never an error; the added line is marked."""
    rng = np.random.default_rng(5)
    gray = rng.integers(150, 256, (200, 400)).astype(np.uint8)
    a = locate._LineGeom((200.0, 100.0), 0.0, 300.0, 12.0)
    b = locate._LineGeom((200.0, 130.0), 0.0, 300.0, 12.0)
    cands = locate._completed_td1(gray, [a, b], 0.0, 12.0, 1.0)
    assert [c.added_line for c in cands] == [0, 2]
    for c in cands:
        assert c.n_lines == 3 and c.completed
        assert all(s.dtype == np.uint8 and s.size for s in c.strips)
        x, y, w, h = c.region
        assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 400 and y + h <= 200
    # the group's spacing beyond its first line lies above the image: only the line below
    top = locate._LineGeom((200.0, 10.0), 0.0, 300.0, 12.0)
    low = locate._LineGeom((200.0, 40.0), 0.0, 300.0, 12.0)
    assert [c.added_line for c in locate._completed_td1(gray, [top, low], 0.0, 12.0, 1.0)] == [2]
    same = locate._completed_td1(gray, [a, a], 0.0, 12.0, 1.0)
    assert len(same) == 2 and all(c.n_lines == 3 for c in same)
    edge = locate._LineGeom((399.0, 199.0), 30.0, 500.0, 40.0)
    for c in locate._completed_td1(gray, [edge, edge], 30.0, 40.0, 1.0):
        assert all(s.size for s in c.strips)


@pytest.mark.parametrize("shape", [(16, 16), (16, 3000), (3000, 16), (17, 40, 3), (40, 17)])
def test_exhaustive_locate_and_read_of_tiny_or_thin_images_never_raise(
        shape: tuple[int, ...]) -> None:
    """The exhaustive search (with its darkest-strokes map and TD1 completions) on tiny,
    thin, blank or black images: no candidate that raises, nothing found."""
    from docfraud.mrz.read import read

    for value in (0, 255):
        img = np.full(shape, value, np.uint8)
        assert locate.locate(img, exhaustive=True) == []
        res = read(img)
        assert res.found is False and res.reason
