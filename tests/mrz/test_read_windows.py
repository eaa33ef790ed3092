"""A small MRZ in a large image: searched in windows where the whole image gives nothing."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from docfraud.mrz import read
from docfraud.mrz.read import WINDOWS_FROM, _windows
from tests.scripts import load_script

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _genuine_sample() -> Path:
    for line in (SAMPLES / "truth.jsonl").read_text().splitlines():
        t = json.loads(line)
        if t["label"] == "genuine" and not t.get("operators"):
            return SAMPLES / str(t["file"])
    raise LookupError("no genuine sample")


@pytest.mark.parametrize("shape", [(6000, 8000), (3000, 4000), (2500, 2600), (4500, 9000)])
def test_windows_cover_the_image_with_overlap(shape: tuple[int, int]) -> None:
    tiles = _windows(shape, 3000, 1200)
    covered = np.zeros(shape, bool)
    for x0, y0, x1, y1 in tiles:
        assert x1 - x0 <= 3000 and y1 - y0 <= 3000
        covered[y0:y1, x0:x1] = True
    assert covered.all()
    for starts, ends in (({t[0] for t in tiles}, {t[2] for t in tiles}),
                         ({t[1] for t in tiles}, {t[3] for t in tiles})):
        s, e = sorted(starts), sorted(ends)
        assert all(b - a >= 1200 for a, b in zip(s[1:], e[:-1], strict=True))


@pytest.mark.parametrize("clutter", [False, True])
def test_a_document_far_from_the_camera_is_found_in_a_window(clutter: bool) -> None:
    """A document of ~1000 px in the far corner of an 8000 x 6000 photo: at the whole
    image's search scale it is too small (read as garbage elsewhere); a window finds it,
    also where a block of MRZ-like print elsewhere in the frame looks more MRZ-like to the
    search than the document, and the region is in the photo's frame."""
    path = _genuine_sample()
    alone = read(path)
    assert alone.valid
    card = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    frame = np.full((6000, 8000, 3), 110, np.uint8)
    if clutter:  # the benchmark's block of print (scripts/bench_far_document.py)
        load_script("bench_far_document").print_block(frame, 3000, 2500)
    y0, x0 = 6000 - card.shape[0] - 300, 8000 - card.shape[1] - 200
    frame[y0:y0 + card.shape[0], x0:x0 + card.shape[1]] = card
    assert max(frame.shape) > WINDOWS_FROM
    far = read(frame)
    assert far.found and far.lines == alone.lines
    x, y, w, h = far.extra["region"]
    assert x0 <= x and x + w <= x0 + card.shape[1] and y0 <= y and y + h <= y0 + card.shape[0]


def test_a_large_image_without_mrz_reports_no_window_garbage() -> None:
    """Windows of a large noise image read only garbage: the result is the whole image's
    (not found, or found but not believable), never a window's garbage as believable."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (3400, 4200, 3), dtype=np.uint8)
    result = read(image)
    assert not result.believable
