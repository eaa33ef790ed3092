"""scripts/series_ceiling.py: its recall at a precision and its oracle bounds."""

from __future__ import annotations

import numpy as np

from docfraud.cluster import LinkModel
from docfraud.cluster.synthetic import generate
from tests.scripts import load_script


def test_recall_at_precision_known_values() -> None:
    mod = load_script("series_ceiling")
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    y = np.array([1, 1, 0, 1, 0], dtype=bool)
    assert mod.recall_at(p, y, 1.0) == 2 / 3  # the top two, both right
    assert mod.recall_at(p, y, 0.75) == 1.0  # the top four: 3 of 4 right
    assert mod.recall_at(np.array([0.9, 0.1]), np.array([0, 1], dtype=bool), 0.95) == 0.0


def test_oracle_bounds_only_add_links() -> None:
    mod = load_script("series_ceiling")
    sigs = generate(seed=77, workshops=8, lone=20, genuine=60, prefix="o", traits="synth")
    b = mod.oracle_bounds(sigs, LinkModel.load())
    assert set(b) == {"none", "photo substitution", "re-printed text", "other modi", "all"}
    assert all(b[k] >= b["none"] - 1e-12 for k in b)
    assert b["all"] >= max(b[k] for k in b if k != "all") - 1e-12
    # every workshop member past the gate joined: only members the gate left out, and lone
    # forgers (singletons, counted right), keep B-cubed recall below 1
    assert b["all"] > 0.9


class _Fixed:
    """A scorer whose probability is the first feature column, clipped to [0, 1]."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = np.clip(x[:, 0], 0.0, 1.0)
        return np.stack([1.0 - p, p], axis=1)


def test_boosted_link_scores_with_its_scorer_and_keeps_the_model_settings() -> None:
    mod = load_script("series_ceiling")
    base = LinkModel.load()
    m = mod.boosted_link(base, _Fixed(), 0.42)
    x = np.array([[0.25, 9.0], [2.0, -1.0]])
    assert np.allclose(m.predict(x), [0.25, 1.0])
    assert m.threshold == 0.42
    assert (m.min_risk, m.split_density, m.merge_ratio) == (
        base.min_risk, base.split_density, base.merge_ratio)


def test_generated_ceiling_scores_the_shipped_model_as_eval_cluster_does() -> None:
    mod = load_script("series_ceiling")
    evaluate = load_script("eval_cluster").evaluate
    from docfraud.cluster.synthetic import TRAIN_MODI

    model = LinkModel.load()
    train = [generate(seed=s, workshops=10, lone=30, genuine=100, modi=TRAIN_MODI,
                      prefix=f"t{s}", traits="synth") for s in (1, 2)]
    test = [("a", generate(seed=5, workshops=8, lone=20, genuine=80, prefix="a",
                           traits="synth"))]
    res = mod.generated_ceiling(model, train, test, (0.5, 1.5))
    rows = {r["scorer"]: r for r in res["clusters"]}
    assert set(rows) == {"shipped link model", "boosted, link >= 0.5", "boosted, link >= 1.5"}
    assert rows["shipped link model"]["bcubed_f1"] == evaluate("a", test[0][1],
                                                               model)["bcubed_f1"]
    # no probability reaches 1.5: no links, every forged document alone
    assert rows["boosted, link >= 1.5"]["bcubed_f1"] < rows["boosted, link >= 0.5"]["bcubed_f1"]
    assert [r["scorer"] for r in res["pairs"]] == ["shipped link model", "boosted, link features"]
    assert all(0.5 < r["auc"] <= 1.0 for r in res["pairs"])
    assert 0 < res["training_same"] < res["training_pairs"]


def test_eval_cluster_sets_hold_the_modi_they_are_named_for() -> None:
    from docfraud.cluster.synthetic import HELDOUT_MODI

    sets = list(load_script("eval_cluster").generated_sets((11,), "synth"))
    assert [name for name, _ in sets] == ["seed 11, all modi", "seed 111, held-out modi only"]
    held = {"+".join(m) for m in HELDOUT_MODI}
    modi_all = {s.info["modus"] for s in sets[0][1]} - {"genuine"}
    modi_held = {s.info["modus"] for s in sets[1][1]} - {"genuine"}
    assert modi_held <= held and modi_all - held
    assert all(s.doc_id.startswith("h11_") for s in sets[1][1])
