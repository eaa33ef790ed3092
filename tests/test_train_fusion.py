"""scripts/train_fusion.py: the training weight of each forgery kind (--kind-weights)."""

from __future__ import annotations

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def train():  # type: ignore[no-untyped-def]
    return load_script("train_fusion")


KINDS = ["data_alteration", "photo_substitution", "copy_move"]


def test_kind_weights_parse_and_apply_to_forged_documents_of_the_kind(train) -> None:  # type: ignore[no-untyped-def]
    weights = train.parse_kind_weights(" data_alteration=3, photo_substitution=1.5,", KINDS)
    assert weights == {"data_alteration": 3.0, "photo_substitution": 1.5}
    assert train.parse_kind_weights("", KINDS) == {}
    forged = {"kind": "forged", "operators": ["data_alteration"]}
    other = {"kind": "forged", "operators": ["copy_move"]}
    genuine = {"kind": "genuine", "operators": ["null_resave"]}
    series = {"kind": "workshop", "operators": ["data_alteration"]}
    assert [train.row_weight(r, weights) for r in (forged, other, genuine, series)] == [
        3.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("text", ["data_alteration", "erase_and_rewrite=2",
                                  "data_alteration=x", "data_alteration=0",
                                  "data_alteration=-1", "data_alteration=nan",
                                  "data_alteration=inf"])
def test_bad_kind_weights_are_refused(train, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        train.parse_kind_weights(text, KINDS)
