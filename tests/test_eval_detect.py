"""scripts/eval_detect.py: pooling several held-out sets (--seeds)."""

from __future__ import annotations

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def evaluate():  # type: ignore[no-untyped-def]
    return load_script("eval_detect")


def test_seeds_are_read_as_lists_and_ranges(evaluate) -> None:  # type: ignore[no-untyped-def]
    assert evaluate.parse_seeds("3307-3309, 3312,") == [3307, 3308, 3309, 3312]
    assert evaluate.parse_seeds("3312,3310-3312") == [3312, 3310, 3311]
    assert evaluate.parse_seeds("3329") == [3329]


@pytest.mark.parametrize("text", ["", ",", "3309-3307", "33a", "3307-", "-"])
def test_bad_seeds_are_refused(evaluate, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        evaluate.parse_seeds(text)
