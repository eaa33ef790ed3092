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
