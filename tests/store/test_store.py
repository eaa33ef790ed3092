"""The case database on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from docfraud.errors import InputError
from docfraud.store import (
    LOOKUP_CHUNK,
    Record,
    Store,
    StoreError,
    database_url,
    iter_documents,
    path_key,
    save_series,
    sha256_file,
)


def _result(sha: str, *, n_findings: int = 2, verdict: str = "refer") -> dict[str, Any]:
    return {
        "file": f"/case/{sha[:6]}.jpg", "sha256": sha,
        "mrz": {"found": True, "format": "TD3", "lines": ["P<UTO", "L898"], "raw_lines": [],
                "fields": {"surname": "ERIKSSON"}, "valid": False},
        "findings": [{"code": f"MRZ_X{i}", "severity": "high", "detector": "mrz",
                      "message": "m", "region": [1, 2, 3, 4]} for i in range(n_findings)],
        "risk": {"score": 0.7, "verdict": verdict},
        "signature": {"font": [0.1, 0.2], "printer": "A"},
    }


def _done(sha: str, file: str | None = None) -> Record:
    return Record(sha, file or f"/case/{sha[:6]}.jpg", "done", result=_result(sha),
                  assets={"preview.jpg": b"\xff\xd8jpeg", "heatmap/noise.png": b"\x89PNG"},
                  size=123, elapsed_ms=5.0, worker="h:1")


def test_roundtrip(db_url: str) -> None:
    sha = "a" * 64
    with Store(db_url) as store:
        assert store.put([_done(sha)]) == 1
        rec = store.get(sha)
    assert rec["status"] == "done" and rec["verdict"] == "refer" and rec["n_findings"] == 2
    assert rec["risk_score"] == pytest.approx(0.7) and rec["mrz_valid"] == 0
    assert rec["result"]["mrz"]["fields"]["surname"] == "ERIKSSON"
    assert rec["signature"] == {"font": [0.1, 0.2], "printer": "A"}
    assert rec["assets"] == {"heatmap/noise.png": ("image/png", b"\x89PNG"),
                             "preview.jpg": ("image/jpeg", b"\xff\xd8jpeg")}
    assert rec["files"] == ["/case/aaaaaa.jpg"]


def test_put_is_idempotent_and_adds_sources(db_url: str) -> None:
    sha = "b" * 64
    with Store(db_url) as store:
        assert store.put([_done(sha)]) == 1
        assert store.put([_done(sha)]) == 0
        assert store.put([_done(sha, "/other/name.jpg")]) == 0
        store.add_sources([(sha, "/third.jpg"), (sha, "/third.jpg")])
        rec = store.get(sha)
        assert rec["files"] == ["/case/bbbbbb.jpg", "/other/name.jpg", "/third.jpg"]
        assert store.counts() == {"done": 1}
        from sqlalchemy import func, select
        with store.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(store.t_findings)).scalar()
        assert n == 2  # findings of the second put were not added again


def test_failed_record_kept_unless_replaced(db_url: str) -> None:
    sha = "c" * 64
    with Store(db_url) as store:
        store.put([Record(sha, "/x.jpg", "failed", error="corrupt")])
        assert store.put([_done(sha)]) == 0
        assert store.get(sha)["error"] == "corrupt"
        assert store.put([_done(sha)], replace_failed=True) == 1
        rec = store.get(sha)
        assert rec["status"] == "done" and rec["error"] is None and len(rec["assets"]) == 2
        # a done record is never replaced
        assert store.put([Record(sha, "/x.jpg", "failed", error="x")], replace_failed=True) == 0


def test_statuses_uses_one_query_per_chunk(db_url: str) -> None:
    from sqlalchemy import event

    keys = [f"{i:064x}" for i in range(2 * LOOKUP_CHUNK + 7)]
    with Store(db_url) as store:
        store.put([Record(k, f"/f{i}", "done", result=_result(k)) for i, k in enumerate(keys[::3])])
        seen: list[str] = []
        event.listen(store.engine, "before_cursor_execute",
                     lambda conn, cur, stmt, *a: seen.append(stmt))
        got = store.statuses(keys)
    assert got == {k: "done" for k in keys[::3]}
    assert sum("FROM documents" in s for s in seen) == 3


def test_iter_documents_contract(db_url: str) -> None:
    shas = ["d" * 64, "0" * 64, "e" * 64]
    with Store(db_url) as store:
        store.put([_done(s) for s in shas[:2]])
        store.put([Record(shas[2], "/bad.jpg", "failed", error="not an image")])
        store.add_sources([(shas[0], "/copy.jpg")])
    docs = list(iter_documents(db_url))
    assert [d["sha256"] for d in docs] == sorted(shas[:2])
    d = docs[1]
    assert d["signature"] == {"font": [0.1, 0.2], "printer": "A"}
    assert d["files"] == ["/case/dddddd.jpg", "/copy.jpg"] and d["file"] == "/case/dddddd.jpg"
    assert d["mrz"]["format"] == "TD3" and len(d["findings"]) == 2 and d["risk"]["verdict"]
    failed = list(iter_documents(db_url, status="failed"))
    assert [f["error"] for f in failed] == ["not an image"] and failed[0]["signature"] is None
    assert len(list(iter_documents(db_url, status=None))) == 3


def test_iter_documents_pages_through_many(db_url: str) -> None:
    keys = sorted(f"{i:064x}" for i in range(1234))
    with Store(db_url) as store:
        store.put([Record(k, f"/f/{k}", "done", result={"findings": []}) for k in keys])
    assert [d["sha256"] for d in iter_documents(db_url)] == keys


def test_resolve(db_url: str, tmp_path: Path) -> None:
    f = tmp_path / "scan.png"
    f.write_bytes(b"content")
    sha = sha256_file(f)
    with Store(db_url) as store:
        store.put([_done(sha, str(f)), _done("ab" * 32)])
        assert store.resolve(sha) == sha
        assert store.resolve(sha[:8]) == sha
        assert store.resolve(str(f)) == sha
        renamed = tmp_path / "renamed.png"
        renamed.write_bytes(b"content")
        assert store.resolve(str(renamed)) == sha  # by content
        with pytest.raises(StoreError, match="no document"):
            store.resolve("ffffff")
        with pytest.raises(StoreError, match="no document"):
            store.resolve(str(tmp_path / "missing.png"))


def test_series_saved_and_shown(db_url: str) -> None:
    a, b = "1" * 64, "2" * 64
    with Store(db_url) as store:
        store.put([_done(a, "/s/a.jpg"), _done(b, "/s/b.jpg")])
    n = save_series(db_url, [{"id": "S001", "members": ["/s/a.jpg", b], "shared": ["font"]}])
    assert n == 2
    with Store(db_url) as store:
        assert [s["id"] for s in store.get(a)["series"]] == ["S001"]
        assert store.get(b)["series"][0]["shared"] == ["font"]
    save_series(db_url, [])  # replaces
    with Store(db_url) as store:
        assert store.get(a)["series"] == []


def test_concurrent_writers_store_each_document_once(db_url: str) -> None:
    keys = [f"{i:064x}" for i in range(200)]
    errors: list[BaseException] = []

    def writer(order: list[str]) -> None:
        try:
            with Store(db_url) as store:
                for i in range(0, len(order), 7):
                    store.put([_done(k) for k in order[i:i + 7]])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(keys,)),
               threading.Thread(target=writer, args=(keys[::-1],)),
               threading.Thread(target=writer, args=(keys[50:] + keys[:50],))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Store(db_url) as store:
        assert store.counts() == {"done": 200}
        from sqlalchemy import func, select
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(store.t_findings)).scalar() == 400
            assert conn.execute(select(func.count()).select_from(store.t_assets)).scalar() == 400


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no case database"):
        Store(tmp_path / "none.db", create=False)
    (tmp_path / "other.db").write_bytes(b"")
    with pytest.raises(StoreError, match="not a docfraud case database"):
        Store(tmp_path / "other.db", create=False)
    assert issubclass(StoreError, InputError)


def test_foreign_documents_table_is_a_clear_error(tmp_path: Path) -> None:
    """Another program's database with a 'documents' table: a clear error, nothing added
    to it (it was an internal 'no such column: documents.sha256' after docfraud had
    added its other tables)."""
    import sqlite3

    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE documents (title TEXT)")
    for create in (True, False):
        with pytest.raises(StoreError, match="not a docfraud case database"):
            Store(path, create=create)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"documents"}


def test_bad_urls_are_clear_errors() -> None:
    with pytest.raises(StoreError, match="cannot use database URL"):
        Store("nosuchdialect://x/y")
    with pytest.raises(StoreError, match="cannot open case database"):
        Store("postgresql://nobody@127.0.0.1:1/none")
    # a known dialect without its driver, and a password that must not be shown
    for url in ("mysql://u:secret@127.0.0.1/x", "nosuchdialect://u:secret@h/y"):
        with pytest.raises(StoreError, match="cannot use database URL") as info:
            Store(url)
        assert "secret" not in str(info.value)


def test_database_url_and_path_key(tmp_path: Path) -> None:
    assert database_url(tmp_path / "c.db") == f"sqlite:///{tmp_path}/c.db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert path_key("a/b").startswith("path:") and path_key("a/b") != path_key("a/c")


def test_locked_database_is_retried_and_other_errors_are_not() -> None:
    from docfraud.store import _retry_locked

    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("(sqlite3.OperationalError) database is locked")
        return "done"

    assert _retry_locked(flaky) == "done" and len(calls) == 3

    def broken() -> None:
        calls.append(1)
        raise RuntimeError("no such table: documents")

    calls.clear()
    with pytest.raises(RuntimeError, match="no such table"):
        _retry_locked(broken)
    assert len(calls) == 1

    def always_locked() -> None:
        raise RuntimeError("database is locked")

    with pytest.raises(RuntimeError, match="locked"):
        _retry_locked(always_locked, seconds=0.05)
