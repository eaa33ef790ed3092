"""scripts/compare_small_ocr.py: small-glyph networks compared on the reader's own images."""

from __future__ import annotations

import datetime
import random
from types import ModuleType

import numpy as np
from numpy.typing import NDArray

from docfraud.mrz import generate, ocr
from docfraud.mrz.generate import random_fields
from docfraud.mrz.render import synthetic_mrz_image
from tests.scripts import load_script


def _script() -> ModuleType:
    return load_script("compare_small_ocr")


def _td3(width: int) -> tuple[list[str], NDArray[np.uint8]]:
    lines = generate(random_fields(random.Random(7_100_000), "TD3",
                                   today=datetime.date(2026, 11, 28)), format="TD3")
    img = synthetic_mrz_image(lines, seed=7_100_001, angle=0.0, width=width, blur=0.4, jpeg=90,
                              perspective=0.0)
    return list(lines), img


def test_large_glyphs_are_read_once() -> None:
    """Glyphs of about 14 px never reach the small-glyph network: the second network's
    result is the first one's, not a second read."""
    cmp = _script()
    truth, img = _td3(1000)
    nets = [cmp.WatchedClassifier(ocr.CellClassifier.load(ocr.SMALL_MODEL_PATH)),
            cmp.WatchedClassifier(ocr.CellClassifier.load(ocr.MODEL_PATH))]
    first, second = cmp.compare(img, truth, nets)
    assert first["glyph_height"] >= 12.0
    assert first["ok"] and not first["small"] and not first["reread"]
    assert not second["reread"] and second["lines"] == first["lines"]
    assert not nets[1].used


def test_small_glyphs_are_read_again_with_each_network() -> None:
    """Glyphs under 12 px go to the small-glyph network, so each other network reads the
    image again as the small-glyph classifier; the same network twice reads the same, and
    the reader's own small-glyph classifier is put back afterwards."""
    cmp = _script()
    truth, img = _td3(460)
    shipped = ocr.small_glyph_classifier
    nets = [cmp.WatchedClassifier(ocr.CellClassifier.load(ocr.SMALL_MODEL_PATH))
            for _ in range(2)]
    other = cmp.WatchedClassifier(ocr.CellClassifier.load(ocr.MODEL_PATH))
    first, same, third = cmp.compare(img, truth, [*nets, other])
    assert first["glyph_height"] < 12.0
    assert first["small"] and first["ok"]
    assert same["reread"] and same["small"] and same["lines"] == first["lines"]
    assert same["work"] == first["work"]
    assert third["reread"] and other.used  # the default network classified the small cells
    assert ocr.small_glyph_classifier is shipped


def test_a_wrong_reading_is_counted() -> None:
    """A truth that differs from the reading in one character scores wrong, 1 character."""
    cmp = _script()
    truth, img = _td3(1000)
    bad = [truth[0], ("X" if truth[1][0] != "X" else "Y") + truth[1][1:]]
    net = cmp.WatchedClassifier(ocr.CellClassifier.load(ocr.SMALL_MODEL_PATH))
    (r,) = cmp.compare(img, bad, [net])
    assert not r["ok"] and r["wrong"] == 1 and r["lines"] == truth


def test_held_out_cells_score_each_network() -> None:
    """cells:SEED:N scores each network on the same small-glyph cells: the small-glyph
    network, trained for them, gets more right than the default network."""
    cmp = _script()
    small = cmp.WatchedClassifier(ocr.CellClassifier.load(ocr.SMALL_MODEL_PATH))
    default = cmp.WatchedClassifier(ocr.CellClassifier.load(ocr.MODEL_PATH))
    c = cmp.cell_accuracy("cells:910000:10", [small, default])
    assert c["cells"] > 300 and len(c["right"]) == 2
    assert c["cells"] >= c["right"][0] > c["right"][1] > 0
