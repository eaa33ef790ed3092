from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from docfraud.cluster import (
    FEATURE_NAMES,
    LinkModel,
    build_table,
    candidate_pairs,
    cluster,
    match,
)
from docfraud.cluster.metrics import labels_from_result, scores
from docfraud.cluster.synthetic import generate
from docfraud.errors import InputError, ModelError
from docfraud.signature import Signature

SEED = 4242  # not used by training (101-104), evaluation (9001-9103) or the benchmark (777)


@pytest.fixture(scope="module")
def sigs() -> list[Signature]:
    return generate(seed=SEED, workshops=15, lone=60, genuine=600, prefix="t")


@pytest.fixture(scope="module")
def result(sigs: list[Signature]):  # type: ignore[no-untyped-def]
    return cluster(sigs)


def test_series_match_the_workshops(sigs: list[Signature], result) -> None:  # type: ignore[no-untyped-def]
    truth = [s.info["truth"] for s in sigs]
    pred = labels_from_result(result)
    forged = [i for i, t in enumerate(truth) if not t.startswith("genuine:")]
    sc = scores([truth[i] for i in forged], [pred[i] for i in forged])
    assert sc["pairwise_precision"] >= 0.9, sc
    assert sc["bcubed_f1"] >= 0.85, sc
    genuine = [i for i, t in enumerate(truth) if t.startswith("genuine:")]
    in_series = sum(not pred[i].startswith("_u") for i in genuine)
    assert in_series <= 0.02 * len(genuine)
    # every series is explained
    assert all(s.shared for s in result.series)


def test_candidates_are_few_but_cover_true_pairs(sigs: list[Signature]) -> None:
    table = build_table(sigs)
    rows = np.flatnonzero(table.risk >= 0.5)
    pairs = candidate_pairs(table, rows)
    n = rows.size
    assert len(pairs) <= 20 * n  # linear in the documents, not all n(n-1)/2 pairs
    assert len(pairs) < 0.25 * n * (n - 1) / 2
    truth = np.array([s.info["truth"] for s in sigs])
    true_pairs = sum(c * (c - 1) // 2 for c in Counter(truth[rows]).values())
    found = int((truth[pairs[:, 0]] == truth[pairs[:, 1]]).sum())
    assert found >= 0.8 * true_pairs
    assert np.all(pairs[:, 0] < pairs[:, 1]) and len(np.unique(pairs, axis=0)) == len(pairs)


def test_mirrored_portrait_reuse_is_a_candidate() -> None:
    rng = np.random.default_rng(0)
    others = generate(seed=11, workshops=0, lone=0, genuine=300, prefix="g")
    h, m = int(rng.integers(0, 2**62)), int(rng.integers(0, 2**62))
    a = Signature(doc_id="a", portrait_hash=(h, m), risk=0.9)
    b = Signature(doc_id="b", portrait_hash=(m ^ 0b101, h ^ 0b11), risk=0.9)  # mirrored, 2-3 bits
    table = build_table([*others, a, b])
    pairs = candidate_pairs(table, np.arange(len(table)), k=1)
    ia, ib = len(others), len(others) + 1
    assert any(p[0] == ia and p[1] == ib for p in pairs)


def test_portrait_hashes_of_different_zone_kinds_are_not_compared() -> None:
    """A photo hashed in the design's own box and one hashed in the MRZ format's nominal
    zone are not the same crop: the pair's portrait features say "no portrait to
    compare" (it may still be a candidate on other grounds); kinds alike, or one unrecorded
    (older signatures), are compared."""
    from docfraud.cluster._pairs import FEATURE_NAMES, pair_features, portrait_comparable

    rng = np.random.default_rng(1)
    others = generate(seed=12, workshops=0, lone=0, genuine=300, prefix="g")
    h, m = int(rng.integers(0, 2**62)), int(rng.integers(0, 2**62))

    def sig(name: str, zone: str | None) -> Signature:
        return Signature(doc_id=name, portrait_hash=(h, m), risk=0.9,
                         tokens={"portrait_zone": zone} if zone else {})

    docs = [sig("design1", "design"), sig("design2", "design"), sig("nominal", "nominal"),
            sig("old", None)]
    table = build_table([*others, *docs])
    n = len(others)
    ids = {d.doc_id: n + k for k, d in enumerate(docs)}
    pairs = np.array([[ids["design1"], ids["design2"]], [ids["design1"], ids["nominal"]],
                      [ids["nominal"], ids["old"]], [ids["design1"], ids["old"]]])
    assert portrait_comparable(table, pairs).tolist() == [True, False, True, True]
    found = {tuple(p) for p in candidate_pairs(table, np.arange(len(table)), k=1).tolist()}
    assert (ids["design1"], ids["design2"]) in found
    feats = pair_features(table, pairs)
    col = [k for k, name in enumerate(FEATURE_NAMES) if name == "portrait_same"]
    assert col and feats[:, col[0]].tolist() == [1.0, 0.0, 1.0, 1.0]


def test_match_ranks_the_source_series_first(sigs: list[Signature]) -> None:
    truth = [s.info["truth"] for s in sigs]
    big = Counter(t for t in truth if not t.startswith(("genuine", "lone"))).most_common(1)[0][0]
    held = next(i for i, t in enumerate(truth) if t == big and sigs[i].risk >= 0.5)
    rest = [s for i, s in enumerate(sigs) if i != held]
    res = cluster(rest)
    ranked = match(sigs[held], res)
    assert ranked, "no series linked"
    top = next(s for s in res.series if s.id == ranked[0]["series"])
    members = Counter(res.table.sigs[r].info["truth"] for r in top.rows)
    assert members.most_common(1)[0][0] == big
    assert ranked[0]["p_max"] >= res.model.threshold
    # a genuine document links to no series strongly
    gen = next(s for s in sigs if s.info["truth"].startswith("genuine"))
    assert all(r["p_max"] < 0.5 for r in match(gen, res))


def test_result_json_contract(result) -> None:  # type: ignore[no-untyped-def]
    d = json.loads(json.dumps(result.to_dict()))
    assert set(d) >= {"series", "unassigned"}
    ids = [s["id"] for s in d["series"]]
    assert ids == [f"S{i + 1:03d}" for i in range(len(ids))]
    members = [m for s in d["series"] for m in s["members"]]
    assert len(members) == len(set(members))
    assert len(members) + len(d["unassigned"]) == len(result.table)
    assert all(isinstance(x, str) for s in d["series"] for x in s["shared"])


def test_empty_and_duplicates() -> None:
    res = cluster([])
    assert res.series == [] and len(res.unassigned) == 0
    with pytest.raises(InputError, match="duplicate"):
        cluster([Signature(doc_id="x"), Signature(doc_id="x")])


def test_model_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        LinkModel.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ModelError, match="not valid JSON"):
        LinkModel.load(bad)
    d = LinkModel.load().to_dict()
    d["features"] = ["other"] * len(FEATURE_NAMES)
    bad.write_text(json.dumps(d))
    with pytest.raises(ModelError, match="other pair features"):
        LinkModel.load(bad)


def test_link_probabilities_are_calibrated_on_fresh_pairs() -> None:
    """Mean predicted probability per bin is near the observed share of same-source pairs."""
    from docfraud.cluster import pair_features

    sigs = generate(seed=SEED + 1, workshops=30, lone=150, genuine=1500, prefix="c")
    table = build_table(sigs)
    model = LinkModel.load()
    pairs = candidate_pairs(table, np.flatnonzero(table.risk >= model.min_risk))
    p = model.predict(pair_features(table, pairs))
    truth = np.array([s.info["truth"] for s in sigs])
    y = truth[pairs[:, 0]] == truth[pairs[:, 1]]
    for lo, hi in ((0.0, 0.1), (0.9, 1.0)):
        sel = (p >= lo) & (p <= hi)
        assert sel.sum() > 50
        assert abs(p[sel].mean() - y[sel].mean()) < 0.05


def test_metrics_known_values() -> None:
    sc = scores(["a", "a", "b", "b"], ["x", "x", "x", "y"])
    assert sc["pairwise_precision"] == pytest.approx(1 / 3)
    assert sc["pairwise_recall"] == pytest.approx(1 / 2)
    assert sc["bcubed_precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert scores(["a", "b"], ["x", "y"])["pairwise_precision"] == 1.0


def test_sparse_signatures_do_not_crash() -> None:
    """Signatures with few components (no tokens, no vectors) cluster without error."""
    one = cluster([Signature(doc_id="a", risk=0.9)])
    assert one.series == [] and [one.table.sigs[int(r)].doc_id for r in one.unassigned] == ["a"]
    few = [Signature(doc_id=str(i), risk=0.9, number=f"P{1234567 + i}") for i in range(5)]
    res = cluster(few)
    assert len(res.series) + len(res.unassigned) >= 1
    assert match(Signature(doc_id="q", risk=0.9, number="P1234570"), res) is not None


def test_shipped_model_on_screened_synth_images() -> None:
    """Signatures as `docfraud screen --signature` computes them on docfraud.synth images
    (held-out seed 9601; data/screened_synth_e9601.jsonl, written by
    scripts/cluster_synth_signatures.py --screen): the series found are pure, no genuine
    document is put in one, and the workshops that number in sequence are found."""
    path = Path(__file__).parent / "data" / "screened_synth_e9601.jsonl"
    sigs = [Signature.from_dict(json.loads(x)) for x in path.read_text().splitlines() if x]
    res = cluster(sigs)
    found = [{sigs[int(r)].info["truth"] for r in s.rows} for s in res.series]
    assert all(len(t) == 1 for t in found), found
    truths = {t for ts in found for t in ts}
    assert not any("genuine:" in t or "lone:" in t for t in truths), truths
    assert {"E:W07", "E:W08", "E:W10"} <= truths, truths
