"""A workshop's reused photo is one picture: the same face whatever the document claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from docfraud.synth import DESIGNS, apply_operator, random_profile
from docfraud.synth.dataset import identity_for
from docfraud.synth.operators import DocState, ForgerProfile, start_document
from docfraud.synth.portrait import face_person
from docfraud.synth.render import age_on

POOL_FACE = 123_456_789


def claimed_state(design_name: str, seed: int, *, sex: str, birth: dt.date) -> DocState:
    """A genuine document whose holder has the given sex and birth date."""
    design = DESIGNS[design_name]
    rng = np.random.default_rng(seed)
    ident = replace(identity_for(design, rng), sex=sex, birth_date=birth)
    return start_document(design, ident, rng)


def workshop_profile(pool: tuple[int, ...]) -> ForgerProfile:
    return replace(random_profile(np.random.default_rng(7), workshop=True), portrait_pool=pool)


def printed_box(state: DocState, margin: int) -> np.ndarray:
    x, y, w, h = state.layout["portrait"]
    return state.page[y + margin : y + h - margin, x + margin : x + w - margin].astype(np.int16)


# two claimed holders that differ in sex and in age decade (so on the old generator
# they get different pictures of the same face seed)
HOLDERS = (("M", dt.date(1990, 5, 4)), ("F", dt.date(1951, 11, 23)))


@pytest.mark.parametrize("design", ["uto_passport_2020", "uto_id_2019", "uto_residence_2021"])
def test_pasted_pool_photo_is_the_same_picture_whatever_the_claimed_holder(design: str) -> None:
    profile = workshop_profile((POOL_FACE,))
    crops, claimed = [], []
    for k, (sex, birth) in enumerate(HOLDERS):
        state = claimed_state(design, 40 + k, sex=sex, birth=birth)
        claimed.append((state.claimed.sex, age_on(state.claimed) // 10))
        apply_operator("photo_substitution", state, np.random.default_rng(k), profile)
        assert state.face_printed == POOL_FACE
        assert state.person_printed == face_person(POOL_FACE)
        # inside the feathered edge the pasted photo alone is printed
        crops.append(printed_box(state, profile.feather_px + 1))
    assert claimed[0][0] != claimed[1][0] and claimed[0][1] != claimed[1][1]
    assert np.array_equal(crops[0], crops[1])


def test_different_pool_faces_are_different_pictures() -> None:
    """The comparison above can fail: another pool face prints another picture."""
    crops = []
    for k, face in enumerate((POOL_FACE, POOL_FACE + 17)):
        state = claimed_state("uto_passport_2020", 40 + k, sex="M", birth=dt.date(1990, 5, 4))
        profile = workshop_profile((face,))
        apply_operator("photo_substitution", state, np.random.default_rng(0), profile)
        crops.append(printed_box(state, profile.feather_px + 1))
    assert np.abs(crops[0] - crops[1]).mean() > 10


@pytest.mark.parametrize("design", ["uto_passport_2012", "uto_id_2008", "uto_residence_2021"])
def test_counterfeits_print_the_same_pool_photo(design: str) -> None:
    from docfraud.signature import portrait_distance, portrait_hash

    profile = workshop_profile((POOL_FACE,))
    crops, hashes = [], []
    for k, (sex, birth) in enumerate(HOLDERS):
        state = claimed_state(design, 60 + k, sex=sex, birth=birth)
        apply_operator("counterfeit", state, np.random.default_rng(k), profile)
        assert state.face_printed == POOL_FACE
        assert state.person_printed == face_person(POOL_FACE)
        crops.append(printed_box(state, 2))
        hashes.append(portrait_hash(state.page, tuple(state.layout["portrait"])))
    # the same photo file under the same printer and design background
    assert np.array_equal(crops[0], crops[1])
    assert portrait_distance(hashes[0], hashes[1]) == 0


def test_lone_forger_photo_passes_for_the_claimed_holder() -> None:
    for k, (sex, birth) in enumerate(HOLDERS):
        state = claimed_state("uto_passport_2020", 80 + k, sex=sex, birth=birth)
        rng = np.random.default_rng(k)
        profile = random_profile(rng)
        assert profile.portrait_pool == ()
        apply_operator("photo_substitution", state, rng, profile)
        assert state.person_printed == (sex, age_on(state.claimed))


def test_face_person_is_a_fixed_function_of_the_face_seed() -> None:
    people = [face_person(seed) for seed in range(400)]
    assert people == [face_person(seed) for seed in range(400)]
    sexes = {s for s, _ in people}
    ages = [a for _, a in people]
    assert sexes == {"M", "F"}
    assert min(ages) >= 18 and max(ages) <= 65
    assert len(set(ages)) > 30
    # large seeds (the pool's range) and negative ones are accepted
    assert face_person(2**31 - 2)[0] in ("M", "F")
    assert face_person(-5)[0] in ("M", "F")


def test_dataset_truth_names_the_person_in_the_printed_photo(tmp_path: Path) -> None:
    from docfraud.synth import generate_dataset

    truths = generate_dataset(
        tmp_path,
        genuine=2,
        forged=2,
        workshops=2,
        per_workshop=4,
        seed=11,
        operators=["photo_substitution", "counterfeit"],
        long_side=(400, 520),
    )
    by_face: dict[int, set[tuple[str, int]]] = {}
    pooled = 0
    for t in truths:
        person = tuple(t["portrait"]["printed_person"])
        if t["workshop"] is None:
            # genuine and lone forgeries: a photo of someone passing for the claimed holder
            claimed = t["claimed"]
            assert person[0] == claimed["sex"]
            continue
        pooled += 1
        assert person == face_person(t["portrait"]["printed_face"])
        by_face.setdefault(t["portrait"]["printed_face"], set()).add((person[0], person[1]))
    assert pooled == 8
    assert all(len(people) == 1 for people in by_face.values())
