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


def test_workshop_habits_keep_alterations_valid() -> None:
    """A workshop's composite bug shows on its counterfeits only; its alterations keep the
    outcome the operator intends."""
    from dataclasses import replace

    for k, design in enumerate(sorted(DESIGNS)):
        for op in ("data_alteration", "mrz_only_alteration", "naive_alteration"):
            state = make_state(design, 500 + k)
            rng = np.random.default_rng(k)
            profile = replace(
                random_profile(rng, workshop=True), composite_bug=True, empty_check="0"
            )
            apply_operator(op, state, rng, profile)
            assert mrz_checks_pass(state.mrz_printed, state.design.format) == (
                OPERATORS[op].mrz == "valid"
            ), (op, design, state.mrz_printed)


def test_copy_move_changes_a_year_and_the_claimed_data_follows() -> None:
    for k, design in enumerate(sorted(DESIGNS)):
        state = make_state(design, 600 + k)
        rng = np.random.default_rng(k)
        details = apply_operator("copy_move", state, rng, random_profile(rng))
        key = details["field"]
        printed = state.viz_printed[key]
        assert printed != state.viz_genuine[key]
        assert printed[-4:] == str(getattr(state.claimed, key).year)
        assert state.mrz_printed == state.mrz_genuine


def test_workshop_numbering_shows_in_altered_numbers() -> None:
    from dataclasses import replace

    rng = np.random.default_rng(0)
    profile = replace(
        random_profile(rng, workshop=True),
        alter_fields=("document_number",),
        number_base=4400000,
        number_step=10,
    )
    for _ in range(5):  # the first preferred field is used most of the time
        st = make_state("uto_passport_2020", 7)
        st.serial = 3
        apply_operator("data_alteration", st, rng, profile)
        if st.claimed.document_number != st.identity.document_number:
            assert st.claimed.document_number == "UT4400030"
            assert st.viz_printed["passport_number"] == "UT4400030"
            return
    raise AssertionError("document number never altered")


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_naive_alteration_by_a_names_only_forger_still_breaks_a_check_digit(
        design: str) -> None:
    """Names carry no check digit: a forger whose habit is to alter names only must also
    change a checked field for a naive alteration (seed 15015's document 180 failed)."""
    from dataclasses import replace

    state = make_state(design, 7)
    rng = np.random.default_rng(7)
    profile = replace(random_profile(rng), alter_fields=("surname", "given_names"))
    details = apply_operator("naive_alteration", state, rng, profile)
    assert not mrz_checks_pass(state.mrz_printed, state.design.format)
    assert set(details["fields"]) & {"birth_date", "expiry_date", "document_number"}


def test_mrz_only_alteration_may_change_a_name_the_visual_zone_keeps() -> None:
    """A forger who alters only the MRZ may change a name there (to pass a watch list
    searching the MRZ name); the visual zone keeps the genuine name."""
    from dataclasses import replace

    for k, field in enumerate(("surname", "given_names")):
        state = make_state("uto_passport_2020", 700 + k)
        rng = np.random.default_rng(k)
        profile = replace(random_profile(rng), alter_fields=(field,))
        apply_operator("mrz_only_alteration", state, rng, profile)
        assert state.viz_printed == state.viz_genuine
        assert state.mrz_printed[1:] == state.mrz_genuine[1:]  # TD3: names in line 1 only
        assert state.mrz_printed[0] != state.mrz_genuine[0]
        assert mrz_checks_pass(state.mrz_printed, state.design.format)


@pytest.mark.parametrize(("design", "name_line"), [("uto_id_2019", 2), ("uto_id_2008", 0)])
def test_mrz_only_name_change_rewrites_the_name_line_of_td1_and_td2(
        design: str, name_line: int) -> None:
    """The names are in line 3 of a TD1 and line 1 of a TD2: a names-only MRZ alteration
    re-prints that line alone (no check digit covers names, the composite included), the
    MRZ reads another name than the visual zone, and every check digit still passes."""
    from dataclasses import replace

    for k, field in enumerate(("surname", "given_names")):
        state = make_state(design, 720 + k)
        rng = np.random.default_rng(40 + k)
        profile = replace(random_profile(rng), alter_fields=(field,))
        details = apply_operator("mrz_only_alteration", state, rng, profile)
        assert details["fields"] == [field]
        assert state.viz_printed == state.viz_genuine
        changed = {li for li, (a, b) in enumerate(zip(state.mrz_printed, state.mrz_genuine,
                                                      strict=True)) if a != b}
        assert changed == {name_line}, (design, field, state.mrz_printed)
        assert {li for li, _ in details["mrz_cells"]} == {name_line}
        assert mrz_checks_pass(state.mrz_printed, state.design.format)
        printed = parse(state.mrz_printed).fields
        genuine = parse(state.mrz_genuine).fields
        assert printed[field] != genuine[field]
        # the other name is kept (a longer surname may truncate the given names)
        other = "given_names" if field == "surname" else "surname"
        assert str(genuine[other]).startswith(str(printed[other]))
        assert state.claimed == state.identity  # the visual zone's identity is unchanged
