"""Case databases for tests: a fresh SQLite file and a fresh PostgreSQL database.

PostgreSQL tests need a running server; its URL comes from ``DOCFRAUD_TEST_PG_URL``
(``eval "$(bash scripts/start_postgres.sh)"`` starts one and exports it). Each
test gets its own database, created here and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ENV = "DOCFRAUD_TEST_PG_URL"
PG_SKIP_REASON = (
    f"!!! {PG_ENV} is not set: the PostgreSQL case-database tests did NOT run. "
    'Start a server with: eval "$(bash scripts/start_postgres.sh)" !!!'
)


def _pg_admin_url() -> str:
    url = os.environ.get(PG_ENV, "")
    if not url:
        if os.environ.get("DOCFRAUD_REQUIRE_PG"):  # CI: PostgreSQL must be there
            pytest.fail(f"DOCFRAUD_REQUIRE_PG is set but {PG_ENV} is not", pytrace=False)
        pytest.skip(PG_SKIP_REASON)
    return url


def fresh_pg_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    from docfraud.store import database_url

    admin_url = database_url(_pg_admin_url())
    name = f"docfraud_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_db_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield str(tmp_path / "cases.db")
    else:
        yield from fresh_pg_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL (or SQLite path) of an empty case database, on each back end."""
    yield from make_db_url(request.param, tmp_path)
