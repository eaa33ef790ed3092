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


def test_focus_sets_parse(train) -> None:  # type: ignore[no-untyped-def]
    assert train.parse_focus("data_alteration: 32, 31,32", KINDS) == ("data_alteration", [31, 32])
    assert train.parse_focus("  ", KINDS) == ("", [])


@pytest.mark.parametrize("text", ["data_alteration", "erase_and_rewrite:1", "data_alteration:",
                                  "data_alteration:1,x", ":5"])
def test_bad_focus_sets_are_refused(train, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        train.parse_focus(text, KINDS)


def test_a_focus_set_holds_genuine_documents_and_the_one_kind(train) -> None:  # type: ignore[no-untyped-def]
    """The set train_fusion makes for --focus: its forged documents are all of the kind,
    its genuine ones come from the same plan (same designs, same capture), no series."""
    from docfraud.synth.dataset import make_plan, make_spec

    common = {"designs": ["uto_id_2019", "uto_passport_2012"],
              "operators": ["photo_substitution", "data_alteration"], "workshops": 2,
              "per_workshop": 6}
    kwargs = train.focus_kwargs(common, "data_alteration", 31031, genuine=5, forged=12)
    assert common["workshops"] == 2  # the training sets' options are left as they were
    plan = make_plan(make_spec(**kwargs))
    assert sorted(p.kind for p in plan) == ["forged"] * 12 + ["genuine"] * 5
    assert {p.operators for p in plan if p.kind == "forged"} == {("data_alteration",)}
    assert {p.design for p in plan} == {"uto_id_2019", "uto_passport_2012"}
