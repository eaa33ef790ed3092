"""The committed sample set (samples/) is complete and consistent with its truth file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docfraud.mrz import parse
from docfraud.synth import REFERENCE_DATE, forgery_operators, null_operators

from .mrzcheck import assert_genuine_mrz

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def truths() -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / "truth.jsonl").open(encoding="utf-8")]


def test_sample_set_covers_designs_forgeries_and_workshops(truths: list[dict]) -> None:
    assert 25 <= len(truths) <= 40
    genuine = [t for t in truths if t["label"] == "genuine"]
    assert len({t["design"] for t in genuine}) >= 4
    assert {op for t in truths for op in t["operators"]} == set(forgery_operators())
    assert {op for t in truths for op in t["null_edits"]} == set(null_operators())
    assert len({t["workshop"] for t in truths if t["workshop"]}) >= 2
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < 10_000_000


def test_sample_files_match_truth(truths: list[dict]) -> None:
    from docfraud.imageio import load_image

    for t in truths:
        pixels = load_image(SAMPLES / t["file"])
        assert [pixels.shape[1], pixels.shape[0]] == t["image_size"]
        if t["label"] == "forged":
            mask = load_image(SAMPLES / t["mask"])
            assert mask.shape[:2] == pixels.shape[:2] and mask.max() == 255
            assert parse(t["mrz"]["printed"]).valid is not None
        else:
            assert t["mask"] is None
            assert_genuine_mrz(
                parse(t["mrz"]["printed"], today=REFERENCE_DATE), expired=t["expired"]
            )
