"""The fieldprint detector: personalised text placed against the design's layout."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pytest

from docfraud.forensics import Analysis, DetectorResult, run_detectors
from docfraud.forensics.fieldprint import FINDING_MM, _plane
from docfraud.score import features
from docfraud.screen import analyse
from docfraud.synth import get_design
from docfraud.synth.dataset import identity_for
from docfraud.synth.operators import ForgerProfile, rewrite_field, start_document

#: a development seed of its own (not an evaluation seed)
SEED = 8484


@functools.lru_cache(maxsize=4)
def _pages(design: str, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """A genuine page of ``design`` and the same page with its surname erased and printed
    again ``dy`` page pixels (12 px/mm) lower, in the issuer's font and size."""
    rng = np.random.default_rng([SEED, len(design)])
    d = get_design(design)
    state = start_document(d, identity_for(d, rng), rng)
    genuine = state.page.copy()
    key = "surname"
    profile = ForgerProfile(rewrite_font=state.layout["fields"][key]["font"],
                            rewrite_scale=1.0, rewrite_offset=(0.0, dy), erase_noise=0.0)
    # the issuer's own vertical offset (registration jitter) is what the forger loses
    origin_dy = state.layout["fields"][key]["origin"][1]
    rewrite_field(state, key, state.viz_printed[key], rng, profile)
    assert state.layout["fields"][key]["origin"][1] != origin_dy
    return genuine, state.page.copy()


def _fieldprint(page: np.ndarray) -> DetectorResult:
    _, results, _ = analyse(page, detectors=["fieldprint"])
    return results[0]


@pytest.mark.parametrize("design", ["uto_passport_2012", "uto_id_2019"])
def test_genuine_fields_keep_one_line_and_a_reprinted_one_stands_out(design: str) -> None:
    genuine, forged = _pages(design, 4.0)
    g = _fieldprint(genuine)
    assert g.status == "ok", g.reason
    assert g.data["fields_measured"] >= 6
    # round letters and digits overshoot the baseline a little; nothing near a finding
    assert g.data["baseline_dev_max"] < FINDING_MM / 2, g.data["deviations"]
    assert not g.findings
    f = _fieldprint(forged)
    assert f.status == "ok", f.reason
    devs = f.data["deviations"]
    # 4 px lower less the issuer's jitter (at most 0.15 mm): at least 0.18 mm off
    assert max(devs, key=devs.get) == "surname", devs
    assert devs["surname"] > FINDING_MM
    assert f.data["baseline_dev_ratio"] > 5
    assert (f.score or 0.0) > (g.score or 0.0)
    finding = next(x for x in f.findings if x.code == "FIELD_TEXT_MISPLACED")
    assert finding.data and finding.data["field"] == "surname" and finding.region is not None


def test_robust_plane_ignores_one_field_off_and_never_tilts_wildly() -> None:
    rng = np.random.default_rng(0)
    where = rng.uniform(0, 120, (10, 2))  # field positions, mm
    # a registration's tilt: a fraction of a pixel across the card
    values = 0.3 + 0.004 * where[:, 0] - 0.006 * where[:, 1] + rng.normal(0, 0.01, 10)
    values[3] += 2.0
    residual = np.abs(values - _plane(where, values))
    assert residual[3] > 1.9
    assert np.delete(residual, 3).max() < 0.05
    # the fields kept nearly in one column and the one left out far beside them: a plain
    # least-squares plane tilts across the column on the noise and puts the far field
    # anywhere; the held slopes keep the plane near the data
    column = np.column_stack([20.0 + rng.normal(0, 0.01, 5), np.arange(5) * 4.0])
    where = np.vstack([column, [[60.0, 10.0]]])
    values = np.array([0.1, 0.12, 0.08, 0.11, 0.09, 3.0])
    fit = _plane(where, values)
    assert np.abs(fit).max() < 1.0
    assert abs(values[5] - fit[5]) > 2.0


def test_not_applicable_without_mrz_or_layout_and_then_missing_in_fusion() -> None:
    r = run_detectors(Analysis.from_source(np.full((300, 400, 3), 200, np.uint8)),
                      ["fieldprint"])[0]
    assert r.status == "not_applicable" and r.reason
    assert not [k for k in features([r]) if k.startswith("fieldprint.")]


def test_a_design_without_field_layout_is_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    from docfraud.forensics import fieldprint, reference

    genuine, _ = _pages("uto_passport_2012", 4.0)
    real = reference.registration

    def without_fields(analysis: Analysis) -> object:
        found = real(analysis)
        assert not isinstance(found, str)
        return replace(found, design=replace(found.design, fields={}))

    monkeypatch.setattr(fieldprint, "registration", without_fields)
    r = _fieldprint(genuine)
    assert r.status == "not_applicable"
    assert "no field layout" in r.reason
