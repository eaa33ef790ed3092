from __future__ import annotations

import numpy as np
import pytest

from docfraud.mrz import parse
from docfraud.synth import DESIGNS, OPERATORS, apply_operator, random_profile
from docfraud.synth.dataset import identity_for
from docfraud.synth.operators import DocState, mrz_checks_pass, start_document


def make_state(design_name: str, seed: int) -> DocState:
    design = DESIGNS[design_name]
    rng = np.random.default_rng(seed)
    return start_document(design, identity_for(design, rng), rng)


CASES = [(op, name) for op in OPERATORS for name in sorted(DESIGNS)]


@pytest.mark.parametrize(("op", "design"), CASES)
def test_mask_covers_every_changed_pixel(op: str, design: str) -> None:
    for seed in range(2):
        state = make_state(design, seed * 31 + len(op))
        before = state.page.copy()
        rng = np.random.default_rng(seed)
        apply_operator(op, state, rng, random_profile(rng))
        changed = (state.page != before).any(axis=2)
        region = state.null_region if OPERATORS[op].label == "genuine" else state.mask
        assert changed.any(), f"{op} changed nothing"
        assert not (changed & ~region).any(), (
            f"{op}: {int((changed & ~region).sum())} pixels changed outside the mask"
        )
        if OPERATORS[op].label == "genuine":
            assert not state.mask.any()
        elif op != "counterfeit":  # local edits stay local
            assert region.mean() < 0.3


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_mrz_outcome_is_what_the_operator_intends(design: str) -> None:
    for seed in range(4):
        for op, spec in OPERATORS.items():
            state = make_state(design, 1000 + seed)
            rng = np.random.default_rng(seed)
            profile = random_profile(rng)
            apply_operator(op, state, rng, profile)
            printed, genuine = state.mrz_printed, state.mrz_genuine
            valid = parse(printed).valid
            if spec.mrz == "unchanged":
                assert printed == genuine, op
                assert parse(printed).valid
            elif spec.mrz == "valid":
                assert printed != genuine, op
                assert mrz_checks_pass(printed, state.design.format), (op, printed)
            elif spec.mrz == "invalid":
                assert printed != genuine, op
                assert not mrz_checks_pass(printed, state.design.format), (op, printed)
                assert not valid
            else:  # counterfeit: valid unless the forger's software has the composite bug
                assert mrz_checks_pass(printed, state.design.format) == (not profile.composite_bug)


def test_counterfeit_with_composite_bug_fails_the_composite_check() -> None:
    from dataclasses import replace

    for k, design in enumerate(sorted(DESIGNS)):
        state = make_state(design, 400 + k)
        rng = np.random.default_rng(k)
        profile = replace(random_profile(rng, workshop=True), composite_bug=True)
        apply_operator("counterfeit", state, rng, profile)
        result = parse(state.mrz_printed)
        assert not result.valid
        assert any("composite" in k and v is False for k, v in result.checks.items()), result.checks
        assert state.mask.mean() > 0.5


def test_visual_zone_changes_match_the_operator() -> None:
    for k, design in enumerate(sorted(DESIGNS)):
        for op in ("data_alteration", "naive_alteration", "erase_and_rewrite", "copy_move"):
            state = make_state(design, 200 + k)
            rng = np.random.default_rng(k)
            apply_operator(op, state, rng, random_profile(rng))
            assert state.viz_printed != state.viz_genuine, (op, design)
        state = make_state(design, 300 + k)
        rng = np.random.default_rng(k)
        apply_operator("mrz_only_alteration", state, rng, random_profile(rng))
        assert state.viz_printed == state.viz_genuine
        assert state.mrz_printed != state.mrz_genuine


def test_photo_substitution_leaves_the_ghost_alone() -> None:
    state = make_state("uto_passport_2020", 5)
    x, y, w, h = state.layout["ghost"]
    ghost = state.page[y : y + h, x : x + w].copy()
    rng = np.random.default_rng(0)
    apply_operator("photo_substitution", state, rng, random_profile(rng))
    assert np.array_equal(state.page[y : y + h, x : x + w], ghost)
    assert state.face_printed != state.face_genuine


def test_unknown_operator_is_a_clear_error() -> None:
    from docfraud.errors import InputError

    state = make_state("uto_id_2019", 1)
    with pytest.raises(InputError, match="unknown operator"):
        apply_operator(
            "nope", state, np.random.default_rng(0), random_profile(np.random.default_rng(0))
        )
