"""The case database: one record per examined document, keyed by content hash.

A lab case database holds, for every document of a seizure, the screen result
(the JSON contract of ``docfraud screen``), its findings, its forgery signature
and the report assets (preview image, heatmaps), or, when the document could
not be examined, the reason why. It is a SQLite file by default and a
PostgreSQL database when given a ``postgresql://`` URL; both are reached through
SQLAlchemy Core.

Records are keyed by the SHA-256 of the file's bytes, so the same scan under two
names is one document with two *sources*, a rerun skips finished work, and
writes are idempotent (``INSERT ... ON CONFLICT DO NOTHING``): two runs writing
into the same database at once, or a run resumed after ``kill -9``, never store
a document twice. Each document is written in one transaction together with its
findings, sources and assets, so a crash leaves either the whole record or none.

Interface for other components (``docfraud cluster``, reports)
--------------------------------------------------------------
:func:`iter_documents` ``(url, *, status="done") -> Iterator[dict]`` yields, for
each stored document, its screen result dict as ``docfraud screen --json``
prints it, with these keys guaranteed:

* ``"sha256"``: str, 64 hex digits (the record key);
* ``"file"``: str, the path the document was first seen under;
* ``"files"``: list[str], every path it was seen under (sorted);
* ``"signature"``: the forgery signature as the pipeline returned it (any
  JSON value; ``None`` when the pipeline gave none);
* ``"findings"``: list of finding dicts (``code``, ``severity``, ``detector``,
  ``message``, ``region``);
* every other key the pipeline returned (``"mrz"``, ``"risk"``, ...).

Documents are yielded in ascending ``sha256`` order, streamed from the database
(memory does not grow with the case size). Failed documents are not yielded
unless ``status="failed"`` or ``status=None`` (all); those carry ``"error"``.

:func:`save_series` stores the series found by clustering so that per-document
reports can name the series each document belongs to.

Record keys of documents that could not be read at all (permission denied,
larger than the size limit so never read) are ``"path:" + sha256(absolute path)``
instead of a content hash.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from docfraud._text import safe_text, safe_value
from docfraud.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
#: How many keys one ``IN (...)`` lookup carries; keeps statements small on both back ends.
LOOKUP_CHUNK = 500

STATUS_DONE = "done"
STATUS_FAILED = "failed"


class StoreError(InputError):
    """The case database cannot be opened or does not hold what was asked for."""


def database_url(url_or_path: str | os.PathLike[str]) -> str:
    """Turn a URL or a plain file path into an SQLAlchemy URL.

    ``cases.db`` and ``/data/cases.sqlite`` become ``sqlite:///...``; ``postgresql://``
    URLs use the psycopg2 driver; any other ``dialect://`` URL is passed through.
    """
    text = os.fspath(url_or_path)
    if not text:
        raise StoreError("empty database URL; pass a file path (cases.db) or postgresql://...")
    if "://" not in text:
        return "sqlite:///" + str(Path(text).expanduser().resolve())
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg2://" + text.split("://", 1)[1]
    return text


def _hide_password(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _tables() -> Any:
    from sqlalchemy import (
        BigInteger,
        Column,
        DateTime,
        Float,
        ForeignKey,
        Integer,
        LargeBinary,
        MetaData,
        String,
        Table,
        Text,
    )

    md = MetaData()
    Table(
        "docfraud_meta", md,
        Column("key", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )
    Table(
        "documents", md,
        Column("sha256", String(80), primary_key=True),
        Column("status", String(16), nullable=False, index=True),
        Column("file", Text, nullable=False),
        Column("size", BigInteger),
        Column("verdict", String(16), index=True),
        Column("risk_score", Float),
        Column("mrz_valid", Integer),
        Column("n_findings", Integer),
        Column("result", Text),
        Column("signature", Text),
        Column("error", Text),
        Column("elapsed_ms", Float),
        Column("worker", String(200)),
        Column("examined_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "sources", md,
        Column("sha256", String(80), ForeignKey("documents.sha256", ondelete="CASCADE"),
               primary_key=True),
        Column("path", Text, primary_key=True),
    )
    Table(
        "findings", md,
        Column("sha256", String(80), ForeignKey("documents.sha256", ondelete="CASCADE"),
               primary_key=True),
        Column("idx", Integer, primary_key=True),
        Column("code", String(100), nullable=False, index=True),
        Column("severity", String(16)),
        Column("detector", String(100)),
        Column("message", Text),
        Column("region", Text),
    )
    Table(
        "assets", md,
        Column("sha256", String(80), ForeignKey("documents.sha256", ondelete="CASCADE"),
               primary_key=True),
        Column("name", String(200), primary_key=True),
        Column("media_type", String(100), nullable=False),
        Column("data", LargeBinary, nullable=False),
    )
    Table(
        "series_members", md,
        Column("series_id", String(100), primary_key=True),
        Column("sha256", String(80), primary_key=True),
        Column("series", Text, nullable=False),
    )
    return md


_METADATA: Any = None


def metadata() -> Any:
    """The SQLAlchemy ``MetaData`` of the case database (built once, lazily)."""
    global _METADATA
    if _METADATA is None:
        _METADATA = _tables()
    return _METADATA


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a file name that is no UTF-8, somewhere in the value
        text = json.dumps(safe_value(value), ensure_ascii=False, sort_keys=True,
                          default=_json_default)
    return text


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays, dates, paths, tuples from detectors
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def path_key(path: str | os.PathLike[str]) -> str:
    """Record key of a file that could not be read: ``"path:" + sha256(absolute path)``."""
    absolute = os.path.abspath(os.fspath(path))
    return "path:" + hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()


def guess_media_type(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
        "svg": "image/svg+xml", "json": "application/json", "txt": "text/plain",
        "html": "text/html",
    }.get(ext, "application/octet-stream")


@dataclass
class Record:
    """One document's outcome, ready to be written.

    Attributes:
        sha256: record key (content hash, or :func:`path_key` for unreadable files).
        file: the path as given on the command line / listing.
        status: ``"done"`` or ``"failed"``.
        result: the screen result dict (without ``"assets"``) when done.
        error: the reason it failed, in plain words, when failed.
        assets: name -> bytes, e.g. ``"preview.jpg"``, ``"heatmap/jpeg.png"``.
        size: file size in bytes, if known.
        elapsed_ms: time the pipeline took for this document.
        worker: where it ran (``host:pid``).
    """

    sha256: str
    file: str
    status: str
    result: dict[str, Any] | None = None
    error: str | None = None
    assets: dict[str, bytes] = field(default_factory=dict)
    size: int | None = None
    elapsed_ms: float | None = None
    worker: str | None = None


T = TypeVar("T")


def _retry_locked(action: Callable[[], T], *, seconds: float = 60.0) -> T:
    """``action()``, retried with growing pauses while SQLite answers "database is
    locked" (for up to ``seconds``); any other error, or the last one, is raised."""
    import time

    deadline = time.monotonic() + seconds
    pause = 0.01
    while True:
        try:
            return action()
        except Exception as exc:
            if "database is locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(2 * pause, 0.5)


class Store:
    """A connection to one case database.

    Args:
        url: SQLAlchemy URL, ``postgresql://...`` or a file path for SQLite.
        create: create the tables if missing (safe when several processes do it at once).
    """

    def __init__(self, url: str | os.PathLike[str], *, create: bool = True) -> None:
        from sqlalchemy import create_engine, event
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        self.url = database_url(url)
        try:
            if self.url.startswith("sqlite"):
                self.engine: Engine = create_engine(
                    self.url, connect_args={"timeout": 60, "isolation_level": None}
                )
                self._setup_sqlite(event)
            else:
                self.engine = create_engine(self.url, pool_pre_ping=True)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            # ImportError: a known dialect whose driver is not installed (mysql://)
            reason = (f"its driver is not installed ({exc})" if isinstance(exc, ImportError)
                      else str(exc))
            raise StoreError(f"cannot use database URL {_hide_password(self.url)}: {reason}"
                             ) from None
        self.dialect = self.engine.dialect.name
        md = metadata()
        self.t_documents = md.tables["documents"]
        self.t_sources = md.tables["sources"]
        self.t_findings = md.tables["findings"]
        self.t_assets = md.tables["assets"]
        self.t_series = md.tables["series_members"]
        self.t_meta = md.tables["docfraud_meta"]
        if create:
            self.create()
        else:
            self._check_exists()

    def _check_exists(self) -> None:
        from sqlalchemy import inspect
        from sqlalchemy.exc import DBAPIError

        if self.url.startswith("sqlite:///"):
            path = self.url[len("sqlite:///"):]
            if path and not os.path.exists(path):
                raise StoreError(f"no case database at {path}")
        try:
            names = set(inspect(self.engine).get_table_names())
        except DBAPIError as exc:
            raise self._connect_error(exc) from None
        if "documents" not in names or "docfraud_meta" not in names:
            raise StoreError(f"{self.engine.url.render_as_string(hide_password=True)} is not "
                             "a docfraud case database (no documents or docfraud_meta table)")

    def _setup_sqlite(self, event: Any) -> None:
        # WAL lets readers run beside the one writer; BEGIN IMMEDIATE takes the write
        # lock at the start of each transaction so two writers queue on busy_timeout
        # instead of deadlocking on a read->write lock upgrade.
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout = 60000")
            # switching a new database file to WAL needs a lock SQLite does not wait for:
            # while another connection sets the file up it answers "database is locked"
            # at once, so retry (several workers opening a new case database together)
            _retry_locked(lambda: cur.execute("PRAGMA journal_mode = WAL"))
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(self.engine, "connect", _on_connect)
        event.listen(self.engine, "begin", _on_begin)

    def _connect_error(self, exc: Exception) -> StoreError:
        shown = self.engine.url.render_as_string(hide_password=True)
        return StoreError(f"cannot open case database {shown}: {str(exc).splitlines()[0]}")

    def create(self) -> None:
        """Create the tables (idempotent; serialised between concurrent callers)."""
        from sqlalchemy.exc import DBAPIError

        try:
            _retry_locked(self._create_tables)
        except DBAPIError as exc:
            raise self._connect_error(exc) from None

    def _create_tables(self) -> None:
        """One transaction: the tables and the schema version (retried by create())."""
        from sqlalchemy import inspect, select, text

        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type
                conn.execute(text("SELECT pg_advisory_xact_lock(7270513)"))
            existing = set(inspect(conn).get_table_names())
            if "documents" in existing and "docfraud_meta" not in existing:
                raise StoreError(f"{self.engine.url.render_as_string(hide_password=True)} "
                                 "has a 'documents' table that is not docfraud's: not a "
                                 "docfraud case database")
            metadata().create_all(conn, checkfirst=True)
            found = conn.execute(
                select(self.t_meta.c.value).where(self.t_meta.c.key == "schema_version")
            ).scalar()
            if found is None:
                self._insert_ignore(conn, self.t_meta,
                                    [{"key": "schema_version", "value": str(SCHEMA_VERSION)}])
            elif int(found) != SCHEMA_VERSION:
                raise StoreError(
                    f"case database has schema version {found}; this docfraud "
                    f"reads version {SCHEMA_VERSION}"
                )

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------

    def _insert_ignore(self, conn: Connection, table: Any, rows: list[dict[str, Any]], *,
                       count: bool = True) -> int:
        """INSERT rows, skipping those whose primary key exists; returns rows inserted
        (-1 when ``count`` is false and several rows went in one round trip)."""
        if not rows:
            return 0
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(table).on_conflict_do_nothing()
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).on_conflict_do_nothing()
        else:  # pragma: no cover - other back ends: best effort, one row at a time
            from sqlalchemy.exc import IntegrityError

            n = 0
            for row in rows:
                try:
                    with conn.begin_nested():
                        conn.execute(table.insert(), row)
                    n += 1
                except IntegrityError:
                    pass
            return n
        if len(rows) == 1:
            return int(conn.execute(stmt, rows[0]).rowcount or 0)
        if not count:  # one executemany round trip; rowcount is unreliable there
            conn.execute(stmt, rows)
            return -1
        total = 0
        for row in rows:  # rowcount of executemany is unreliable across drivers
            total += int(conn.execute(stmt, row).rowcount or 0)
        return total

    def _document_row(self, rec: Record) -> dict[str, Any]:
        result = rec.result or {}
        risk = result.get("risk") if isinstance(result.get("risk"), Mapping) else {}
        mrz = result.get("mrz") if isinstance(result.get("mrz"), Mapping) else {}
        raw_findings = result.get("findings")
        findings: list[Any] = raw_findings if isinstance(raw_findings, list) else []
        score = risk.get("score") if risk else None
        valid = mrz.get("valid") if mrz and mrz.get("found", True) else None
        return {
            "sha256": rec.sha256,
            "status": rec.status,
            "file": safe_text(rec.file),
            "size": rec.size,
            "verdict": risk.get("verdict") if risk else None,
            "risk_score": float(score) if isinstance(score, int | float) else None,
            "mrz_valid": None if valid is None else int(bool(valid)),
            "n_findings": len(findings) if rec.status == STATUS_DONE else None,
            "result": _json(result) if rec.result is not None else None,
            "signature": _json(result.get("signature")) if rec.result is not None else None,
            "error": None if rec.error is None else safe_text(rec.error),
            "elapsed_ms": rec.elapsed_ms,
            "worker": rec.worker,
            "examined_at": _dt.datetime.now(_dt.UTC),
        }

    def _write_one(self, conn: Connection, rec: Record, *, replace_failed: bool) -> bool:
        from sqlalchemy import delete, update

        row = self._document_row(rec)
        inserted = self._insert_ignore(conn, self.t_documents, [row]) == 1
        if not inserted and replace_failed and rec.status == STATUS_DONE:
            res = conn.execute(
                update(self.t_documents)
                .where(self.t_documents.c.sha256 == rec.sha256)
                .where(self.t_documents.c.status == STATUS_FAILED)
                .values(**{k: v for k, v in row.items() if k != "sha256"})
            )
            inserted = (res.rowcount or 0) == 1
            if inserted:
                conn.execute(delete(self.t_findings).where(self.t_findings.c.sha256 == rec.sha256))
                conn.execute(delete(self.t_assets).where(self.t_assets.c.sha256 == rec.sha256))
        self._insert_ignore(conn, self.t_sources, [{"sha256": rec.sha256,
                                                    "path": safe_text(rec.file)}])
        if not inserted:
            return False
        findings = (rec.result or {}).get("findings") or []
        frows = []
        for i, f in enumerate(findings if isinstance(findings, list) else []):
            if not isinstance(f, Mapping):
                continue
            region = f.get("region")
            frows.append({
                "sha256": rec.sha256, "idx": i, "code": str(f.get("code", "")),
                "severity": f.get("severity"), "detector": f.get("detector"),
                "message": safe_value(f.get("message")),
                "region": _json(region) if region is not None else None,
            })
        if frows:
            conn.execute(self.t_findings.insert(), frows)
        arows = [
            {"sha256": rec.sha256, "name": name, "media_type": guess_media_type(name),
             "data": bytes(data)}
            for name, data in sorted(rec.assets.items())
        ]
        if arows:
            conn.execute(self.t_assets.insert(), arows)
        return True

    def put(self, records: Sequence[Record], *, replace_failed: bool = False) -> int:
        """Write records in one transaction; returns how many were new.

        A record whose key is already stored is not written again (its file is
        still added as a source). With ``replace_failed``, a ``"done"`` record
        replaces a stored ``"failed"`` one.
        """
        if not records:
            return 0
        # one key order for every writer, so concurrent transactions take row locks in the
        # same order; a deadlock that still happens (PostgreSQL picks a victim) is retried
        ordered = sorted(records, key=lambda r: (r.sha256, r.file))
        return self._retry(lambda conn: sum(
            self._write_one(conn, r, replace_failed=replace_failed) for r in ordered))

    def _retry(self, work: Callable[[Connection], int], *, attempts: int = 8) -> int:
        import random
        import time

        from sqlalchemy.exc import OperationalError

        for attempt in range(attempts):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except OperationalError as exc:
                code = getattr(exc.orig, "pgcode", None)
                transient = code in ("40P01", "40001") or "database is locked" in str(exc)
                if not transient or attempt == attempts - 1:
                    raise
                logger.info("transaction conflict (%s); retrying", code or "locked")
                time.sleep(random.uniform(0.01, 0.1) * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def add_sources(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Record that documents already stored were also seen under these paths."""
        rows = sorted(({"sha256": s, "path": safe_text(p)} for s, p in pairs),
                      key=lambda r: (r["sha256"], r["path"]))
        if rows:
            self._retry(lambda conn: self._insert_ignore(conn, self.t_sources, rows, count=False))

    def unread_keys(self) -> set[str]:
        """Keys of the failed records of files that could not be read (:func:`path_key`);
        few, so a run looks them up once."""
        from sqlalchemy import select

        d = self.t_documents.c
        # a prefix match (LIKE 'path:%'), not a range: "path:x" < "path;" holds in byte
        # order only, and PostgreSQL's usual collations ignore punctuation at first
        with self.engine.connect() as conn:
            return set(conn.execute(select(d.sha256).where(
                d.sha256.startswith("path:", autoescape=True),
                d.status == STATUS_FAILED)).scalars())

    def forget_unread(self, paths: Iterable[str]) -> int:
        """Drop the failed records of these files kept under their path (:func:`path_key`:
        they could not be read then) now that they were read; returns how many.

        Their content is examined and stored under its hash; the stale failure would
        count the file twice and make its path name two documents.
        """
        from sqlalchemy import delete, select

        keys = sorted({path_key(p) for p in paths})
        d = self.t_documents.c

        def work(conn: Connection) -> int:
            n = 0
            for i in range(0, len(keys), LOOKUP_CHUNK):
                stale = list(conn.execute(select(d.sha256).where(
                    d.sha256.in_(keys[i:i + LOOKUP_CHUNK]), d.status == STATUS_FAILED)
                ).scalars())
                if not stale:
                    continue
                for table in (self.t_sources, self.t_findings, self.t_assets):
                    conn.execute(delete(table).where(table.c.sha256.in_(stale)))
                conn.execute(delete(self.t_documents).where(d.sha256.in_(stale)))
                n += len(stale)
            return n

        return self._retry(work) if keys else 0

    def save_series(self, series: Sequence[Mapping[str, Any]]) -> int:
        """Store clustering output: each series dict (``id``, ``members`` as files or sha256s).

        Replaces previously saved series. Returns how many memberships were stored.
        """
        from sqlalchemy import delete

        with self.engine.begin() as conn:
            conn.execute(delete(self.t_series))
            rows: dict[tuple[str, str], dict[str, Any]] = {}
            for s in series:
                sid = str(s.get("id", ""))
                for member in s.get("members", []):
                    for sha in self._resolve(conn, str(member)):
                        rows[(sid, sha)] = {"series_id": sid, "sha256": sha, "series": _json(s)}
            if rows:
                conn.execute(self.t_series.insert(), list(rows.values()))
        return len(rows)

    # -- reading ------------------------------------------------------------

    def statuses(self, keys: Sequence[str]) -> dict[str, str]:
        """Key -> stored status for those of ``keys`` that are stored (chunked lookups)."""
        from sqlalchemy import select

        out: dict[str, str] = {}
        c = self.t_documents.c
        with self.engine.connect() as conn:
            for i in range(0, len(keys), LOOKUP_CHUNK):
                chunk = list(keys[i:i + LOOKUP_CHUNK])
                for sha, status in conn.execute(
                    select(c.sha256, c.status).where(c.sha256.in_(chunk))
                ):
                    out[sha] = status
        return out

    def counts(self) -> dict[str, int]:
        """Status -> number of documents."""
        from sqlalchemy import func, select

        c = self.t_documents.c
        with self.engine.connect() as conn:
            return {s: int(n) for s, n in conn.execute(
                select(c.status, func.count()).group_by(c.status))}

    def _resolve(self, conn: Connection, ref: str) -> list[str]:
        from sqlalchemy import select

        d, s = self.t_documents.c, self.t_sources.c
        if ref and len(ref) >= 6 and all(ch in "0123456789abcdef" for ch in ref.lower()):
            found = list(conn.execute(
                select(d.sha256).where(d.sha256.like(ref.lower() + "%")).limit(3)).scalars())
            if found:
                return found
        candidates = {safe_text(ref)}
        if os.path.exists(ref):
            candidates.add(safe_text(os.path.abspath(ref)))
        return sorted(set(conn.execute(
            select(s.sha256).where(s.path.in_(sorted(candidates)))).scalars()))

    def resolve(self, ref: str) -> str:
        """Find one document by sha256 (or a unique prefix of at least 6 hex digits) or path.

        A path is matched against the recorded sources; if the file exists and is not
        recorded under that name, its content hash is looked up.

        Raises:
            StoreError: no document, or several, match.
        """
        with self.engine.connect() as conn:
            found = self._resolve(conn, ref)
        if not found and os.path.isfile(ref):
            digest = sha256_file(ref)
            if self.statuses([digest]):
                found = [digest]
        if not found:
            raise StoreError(f"no document {ref!r} in the case database")
        if len(found) > 1:
            raise StoreError(
                f"{ref!r} matches {len(found)} documents ({', '.join(f[:12] for f in found)}); "
                "give more of the sha256"
            )
        return found[0]

    def get(self, sha256: str) -> dict[str, Any]:
        """The full record of one document: the columns plus ``files``, ``assets``, ``series``.

        ``result`` and ``signature`` are decoded JSON; ``assets`` maps name to
        ``(media_type, bytes)``; ``series`` is a list of the stored series dicts.
        """
        from sqlalchemy import select

        with self.engine.connect() as conn:
            row = conn.execute(
                select(self.t_documents).where(self.t_documents.c.sha256 == sha256)
            ).mappings().first()
            if row is None:
                raise StoreError(f"no document {sha256} in the case database")
            out = dict(row)
            out["result"] = json.loads(row["result"]) if row["result"] else None
            out["signature"] = json.loads(row["signature"]) if row["signature"] else None
            out["files"] = sorted(conn.execute(
                select(self.t_sources.c.path).where(self.t_sources.c.sha256 == sha256)).scalars())
            out["assets"] = {
                name: (mt, bytes(data)) for name, mt, data in conn.execute(
                    select(self.t_assets.c.name, self.t_assets.c.media_type,
                           self.t_assets.c.data).where(self.t_assets.c.sha256 == sha256))
            }
            out["series"] = [json.loads(s) for s in conn.execute(
                select(self.t_series.c.series).where(self.t_series.c.sha256 == sha256)
                .order_by(self.t_series.c.series_id)).scalars()]
        return out

    def iter_records(self, *, status: str | None = None, batch: int = 500
                     ) -> Iterator[dict[str, Any]]:
        """Stream document rows (columns, ``result`` decoded, ``files``) in sha256 order.

        Pages by key so memory stays flat and no server-side cursor is held open.
        """
        from sqlalchemy import select

        d, s = self.t_documents.c, self.t_sources.c
        last = ""
        while True:
            with self.engine.connect() as conn:
                q = select(self.t_documents).where(d.sha256 > last)
                if status is not None:
                    q = q.where(d.status == status)
                rows = list(conn.execute(q.order_by(d.sha256).limit(batch)).mappings())
                if not rows:
                    return
                keys = [r["sha256"] for r in rows]
                files: dict[str, list[str]] = {}
                for sha, path in conn.execute(
                    select(s.sha256, s.path).where(s.sha256.in_(keys)).order_by(s.path)
                ):
                    files.setdefault(sha, []).append(path)
            for r in rows:
                out = dict(r)
                out["result"] = json.loads(r["result"]) if r["result"] else None
                out["signature"] = json.loads(r["signature"]) if r["signature"] else None
                out["files"] = files.get(r["sha256"], [r["file"]])
                yield out
            last = keys[-1]


def sha256_file(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (memory does not grow with file size)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def iter_documents(url: str | os.PathLike[str], *, status: str | None = STATUS_DONE
                   ) -> Iterator[dict[str, Any]]:
    """Yield each stored document's screen result dict (see the module docstring).

    Args:
        url: case database URL or SQLite file path.
        status: ``"done"`` (default), ``"failed"``, or None for all.

    Yields:
        dict: the screen result with ``sha256``, ``file``, ``files``, ``signature``,
        ``findings`` always present; failed documents also carry ``error``.
    """
    store = Store(url, create=False)
    try:
        for rec in store.iter_records(status=status):
            doc: dict[str, Any] = dict(rec["result"] or {})
            doc["sha256"] = rec["sha256"]
            doc["file"] = rec["file"]
            doc["files"] = rec["files"]
            doc["signature"] = rec["signature"]
            doc.setdefault("findings", [])
            doc["status"] = rec["status"]
            if rec["error"] is not None:
                doc["error"] = rec["error"]
            yield doc
    finally:
        store.close()


def save_series(url: str | os.PathLike[str], series: Sequence[Mapping[str, Any]]) -> int:
    """Store clustering output (the ``"series"`` list); see :meth:`Store.save_series`."""
    with Store(url) as store:
        return store.save_series(series)
