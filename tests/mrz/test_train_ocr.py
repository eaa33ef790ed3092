"""scripts/train_mrz_ocr.py: training cells carry the labels of the characters they show."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from docfraud.mrz import ocr

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_mrz_ocr.py"


@pytest.fixture(scope="module")
def train() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_mrz_ocr", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["train_mrz_ocr"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_rotated_capture_cells_line_up_with_their_labels(train: ModuleType) -> None:
    """Lines captured at any angle and cut by the locator's strip sampler: the shipped CNN
    reads the cells as their labels (a wrong mapping of the character centres into the
    strip would give cells of neighbouring characters or gaps)."""
    clf = ocr.default_classifier()
    agree, total, lines = 0, 0, 0
    for seed in range(1000, 1040):
        out = train.make_line_sample(seed, rotated_share=1.0)
        if out is None:
            continue
        crops, labels = out
        assert crops.shape == (len(labels), ocr.CELL_H, ocr.CELL_W)
        agree += int((clf.predict(crops).argmax(axis=1) == labels).sum())
        total += len(labels)
        lines += 1
    assert lines >= 20
    assert agree / total > 0.95

