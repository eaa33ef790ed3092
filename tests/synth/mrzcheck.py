"""Shared assertion: an MRZ is what a genuine issuer prints."""

from __future__ import annotations

from typing import Any

# Checks a genuine document may fail: it may have expired, and a long name is truncated
# (the validator reports a full name field as possibly truncated).
ALLOWED_FAILURES = ("not_expired", "name_complete")


def assert_genuine_mrz(result: Any, *, expired: bool) -> None:
    failing = [k for k, v in result.checks.items() if not v]
    assert all(k.startswith(ALLOWED_FAILURES) for k in failing), (result.lines, failing)
    assert all(v for k, v in result.checks.items() if k.startswith("check_digit")), failing
    if not expired:
        assert "not_expired" not in failing
