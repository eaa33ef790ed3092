"""Shared fixtures: paths to the read-only benchmark data beside the checkout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECIMENS = ROOT.parent / "shared" / "benchmarks" / "mrz-specimens"


@pytest.fixture(scope="session")
def specimen_truth() -> list[dict[str, Any]]:
    """The hand-verified specimen MRZs (../shared/benchmarks/mrz-specimens/truth.json)."""
    path = SPECIMENS / "truth.json"
    if not path.exists():
        pytest.skip(f"benchmark data not found at {path}")
    data: list[dict[str, Any]] = json.loads(path.read_text())
    return data
