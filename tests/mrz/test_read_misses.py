"""scripts/mrz_read_misses.py: a development set's misses printed character by character."""

from __future__ import annotations

import datetime
import random
from types import ModuleType

from docfraud.mrz import generate
from docfraud.mrz.generate import random_fields
from docfraud.mrz.render import synthetic_mrz_image
from tests.scripts import load_script


def _script() -> ModuleType:
    return load_script("mrz_read_misses")


def test_a_miss_is_printed_with_its_cell_probabilities() -> None:
    """An image read right prints nothing; against a truth with one character changed, the
    line with that character is printed with its field and the CNN's top classes."""
    misses = _script()
    lines = generate(random_fields(random.Random(7_100_000), "TD3",
                                   today=datetime.date(2026, 11, 28)), format="TD3")
    img = synthetic_mrz_image(lines, seed=7_100_001, angle=0.0, width=1000, blur=0.4, jpeg=90,
                              perspective=0.0)
    assert misses.describe(list(lines), img) is None
    wrong = list(lines)
    k = 7  # a name character (line 0 from position 5)
    wrong[0] = wrong[0][:k] + ("Q" if wrong[0][k] != "Q" else "X") + wrong[0][k + 1:]
    out = misses.describe(wrong, img)
    assert out is not None
    assert any("glyph height" in line for line in out)
    cell = [line for line in out if f"pos  {k} (" in line]
    assert len(cell) == 1
    assert f"truth {wrong[0][k]} read {lines[0][k]}" in cell[0]
    assert "CNN " + lines[0][k] in cell[0]  # the CNN's first choice is what it read
