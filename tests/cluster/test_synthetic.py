"""docfraud.cluster.synthetic: generated signatures, and their traits given out as
docfraud.synth gives them (``traits="synth"``)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from docfraud.cluster.synthetic import _DESIGNS, MODI, generate
from docfraud.errors import InputError

KW = dict(seed=404, workshops=40, lone=60, genuine=100, modi=MODI, prefix="q")


@pytest.fixture(scope="module")
def both() -> tuple[list, list]:  # type: ignore[type-arg]
    return generate(**KW), generate(**KW, traits="synth")  # type: ignore[arg-type]


def test_both_draw_the_same_documents_and_noise(both: tuple[list, list]) -> None:  # type: ignore[type-arg]
    a, b = both
    assert [s.doc_id for s in a] == [s.doc_id for s in b]
    assert [s.info["truth"] for s in a] == [s.info["truth"] for s in b]
    # what no trait touches is the same: the print pattern of every document
    assert all(np.array_equal(x.vectors["print"], y.vectors["print"])
               for x, y in zip(a, b, strict=True))
    # genuine documents are identical
    gen = [(x, y) for x, y in zip(a, b, strict=True) if x.info["modus"] == "genuine"]
    assert gen and all(x.to_dict() == y.to_dict() for x, y in gen)


def test_synth_traits_only_where_docfraud_synth_leaves_them(both: tuple[list, list]) -> None:  # type: ignore[type-arg]
    a, b = both
    official = {d: auth for d, (_, auth) in _DESIGNS.items()}
    counterfeit = [s for s in b if "counterfeit" in s.info["modus"]]
    others = [s for s in b if s.info["modus"] not in ("genuine",) and s not in counterfeit]
    other_ids = {s.doc_id for s in others}
    assert counterfeit and others
    # the misspelt authority and the composite-check bug: counterfeits only
    assert all(s.tokens["authority"] == official[s.design] for s in others)
    assert all(s.tokens["mrz_failed"] != "composite" for s in others)
    assert any(s.tokens["authority"] != official[s.design] for s in counterfeit)
    # ... where the default gives them to other workshops too
    assert any(x.tokens["authority"] != official[x.design] for x, y in zip(a, b, strict=True)
               if y.doc_id in other_ids)
    # no workshop deviation of the MRZ's print geometry on altered genuine documents:
    # the default's spread of size_ratio across such workshops is wider
    def spread(sigs: list) -> float:  # type: ignore[type-arg]
        by = defaultdict(list)
        for s in sigs:
            if "alteration" in s.info["modus"] and not s.info["truth"].startswith("lone"):
                by[s.info["truth"]].append(s.vectors["mrz"][0])
        return float(np.std([np.mean(v) for v in by.values()]))
    assert spread(b) < 0.5 * spread(a)
    # copy-move forgeries carry no paste trace: their paste vector is the genuine one's
    cm = [s for s in b if s.info["modus"] == "copy_move"]
    assert cm and np.abs(np.mean([s.vectors["paste"] for s in cm], axis=0) - 1.0).max() < 0.2


def test_synth_numbering_on_counterfeits_and_number_altering_workshops(
        both: tuple[list, list]) -> None:  # type: ignore[type-arg]
    _, b = both
    by = defaultdict(list)
    for s in b:
        if s.info["truth"].startswith("qW"):
            by[(s.info["truth"], s.info["modus"])].append(int("".join(
                c for c in s.number if c.isdigit())))

    def close_share(nums: list[int]) -> float:
        nums = sorted(nums)
        gaps = np.diff(nums)
        return float((gaps < 200).mean()) if len(gaps) else 0.0
    cf = [close_share(v) for (_, m), v in by.items() if "counterfeit" in m and len(v) > 3]
    ps = [close_share(v) for (_, m), v in by.items() if m == "photo_substitution" and len(v) > 3]
    assert cf and min(cf) > 0.9  # every counterfeit workshop numbers in sequence
    assert ps and max(ps) < 0.5  # photo substitution on genuine documents: their own numbers


def test_bad_traits() -> None:
    with pytest.raises(InputError, match="traits"):
        generate(seed=1, workshops=1, lone=0, genuine=1, traits="some")


@pytest.mark.parametrize(("modus", "place", "share"), [
    (("data_alteration",), 0, 0.79), (("data_alteration",), 3, 0.09),
    (("mrz_only_alteration",), 1, 0.44), (("naive_alteration",), 1, 0.62),
    (("photo_substitution",), 0, 0.0), (("erase_and_rewrite",), 0, 0.0),
    (("counterfeit",), 4, 1.0)])
def test_synth_numbering_share_by_modus_and_place(modus: tuple[str, ...], place: int,
                                                  share: float) -> None:
    """The share of a workshop's documents that carry its numbering: the number's place in
    its preferred fields decides, for the alterations that change numbers."""
    from docfraud.cluster.synthetic import _as_synth, _forged_doc, _profile

    rng = np.random.default_rng(5)
    prof = _as_synth(_profile(rng, modus, workshop=True), workshop=True, place=place)
    n = 600
    hits = 0
    for k in range(n):
        s = _forged_doc(f"d{k}", prof, k, rng, "W", own_portrait=False, seed=1)
        digits = int("".join(c for c in s.number if c.isdigit()))
        width = sum(c.isdigit() for c in s.number)
        hits += any(digits == (prof.number_base + prof.number_step * k + j) % 10**width
                    for j in range(3))
    assert abs(hits / n - share) < 0.06


def test_synth_empty_check_habit_only_where_the_mrz_is_reprinted_by_software(
        both: tuple[list, list]) -> None:  # type: ignore[type-arg]
    _, b = both
    by_modus = defaultdict(set)
    for s in b:
        by_modus[s.info["modus"]].add(s.tokens["mrz_empty_check"])
    for modus in ("naive_alteration", "erase_and_rewrite", "photo_substitution", "copy_move"):
        assert by_modus.get(modus, {"<"}) == {"<"}, modus
    assert "0" in set().union(*(v for m, v in by_modus.items()
                                if "data_alteration" in m or "counterfeit" in m
                                or "mrz_only" in m))
