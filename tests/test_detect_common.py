"""scripts/detect_common.py: refreshing cached detector results of synthetic sets."""

from __future__ import annotations

import copy

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def common():  # type: ignore[no-untyped-def]
    return load_script("detect_common")


def test_refresh_changed_runs_every_detector_only_where_a_result_changed(common) -> None:  # type: ignore[no-untyped-def]
    """``--refresh mrz --refresh-status changed`` (after an MRZ reader change): a row
    whose MRZ result is unchanged is kept as cached; one whose MRZ result differs has
    every detector run again."""
    kwargs = {"genuine": 1, "forged": 0, "seed": 4242, "workshops": 0, "null_rate": 0.0}
    row = common._featurise((kwargs, 0))
    assert row["error"] is None and len(row["results"]) > 5
    kept = common._refresh((kwargs, row, ("mrz",), ("changed",)))
    assert kept["results"] == row["results"]  # cached results, timings and all
    stale = copy.deepcopy(row)
    for r in stale["results"]:
        r["timing_ms"] = -1.0
        if r["detector"] == "mrz":
            r["data"]["confidence"] = 0.123  # as an older reader might have read it
    again = common._refresh((kwargs, stale, ("mrz",), ("changed",)))
    assert all(r["timing_ms"] != -1.0 for r in again["results"])  # every detector ran
    mrz = next(r for r in again["results"] if r["detector"] == "mrz")
    assert mrz["data"]["confidence"] == next(
        r for r in row["results"] if r["detector"] == "mrz")["data"]["confidence"]
    assert common.status_names("changed") == ("changed",)
    with pytest.raises(SystemExit):
        common.status_names("changed,ok")
