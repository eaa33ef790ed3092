"""Every finding code in the code base is documented in docs/findings.md."""

from __future__ import annotations

import re
from pathlib import Path

from docfraud.mrz import FINDING_CODES

ROOT = Path(__file__).resolve().parents[1]


def _documented() -> set[str]:
    text = (ROOT / "docs" / "findings.md").read_text()
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", text))


def _used_in_code() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "docfraud").rglob("*.py"):
        codes.update(re.findall(r"\"((?:MRZ|DOC|JPEG|NOISE|COPYMOVE|META|PORTRAIT|VIZ|PRINT|"
                                r"LEARNED|IMAGE|SCREEN|FIELD)_[A-Z0-9_]+)\"",
                                path.read_text()))
    return codes


def test_mrz_codes_documented() -> None:
    missing = set(FINDING_CODES) - _documented()
    assert not missing, f"document these in docs/findings.md: {sorted(missing)}"


def test_every_code_string_in_the_package_is_documented() -> None:
    missing = _used_in_code() - _documented()
    assert not missing, f"document these in docs/findings.md: {sorted(missing)}"
