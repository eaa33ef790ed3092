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
