"""Examine many documents into a case database, in parallel, resumably.

The per-document pipeline is injected: any function
``examine(path_or_bytes, *, source: str) -> dict`` that returns the screen JSON
contract (``docs/batch.md``), plus ``"signature"`` and optionally ``"assets"``
(name -> encoded bytes, e.g. ``"preview.jpg"``, ``"heatmap/<detector>.png"``).
The default is ``docfraud.screen:examine_file``. Nothing in the pipeline knows
which executor runs it.

How a run goes:

1. Inputs (files, folders, globs) are listed once, in linear time.
2. In chunks of :data:`docfraud.store.LOOKUP_CHUNK`, the parent hashes each file
   (streaming SHA-256) and asks the database which hashes are stored, with one
   query per chunk. Stored documents are skipped without being decoded; empty,
   unreadable and oversized files are recorded as failed on the spot.
3. The rest go to the executor: a pool of local processes (``forkserver``
   start method, since the pipeline uses torch and threads) or a Dask cluster,
   with a bounded number of documents in flight, so memory does not grow with
   the size of the seizure.
4. Only the parent writes to the database. Workers return plain dicts; the parent
   commits them in small transactions (each document with its findings, sources
   and assets in the same transaction). So workers need no database driver and
   no network path to the database (remote Dask workers), SQLite has a single
   writer per run, and a ``kill -9`` at any moment loses at most the documents in
   flight and the last uncommitted batch, which the next run redoes. Inserts are
   ``ON CONFLICT DO NOTHING`` on the content hash, so nothing is stored twice,
   even when two runs write into the same database at once.

A worker process that dies (a decoder crash, the OOM killer) breaks a local
process pool: the pool is rebuilt and the documents that were in flight are
retried one at a time, so the one that kills its worker again is recorded as
failed and the others are stored normally.
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from docfraud.errors import DocfraudError, InputError
from docfraud.store import (
    LOOKUP_CHUNK,
    STATUS_DONE,
    STATUS_FAILED,
    Record,
    Store,
    _json,
    database_url,
    path_key,
)

logger = logging.getLogger(__name__)

DEFAULT_EXAMINE = "docfraud.screen:examine_file"
ExamineFn = Callable[..., dict[str, Any]]
ExamineSpec = str | ExamineFn

_GLOB_CHARS = frozenset("*?[")


# -- inputs ----------------------------------------------------------------


def _walk(root: str, unlisted: list[str] | None = None) -> Iterator[str]:
    """Regular files under ``root``, depth first, sorted per folder; hidden entries skipped.
    Folders that cannot be listed are logged and appended to ``unlisted``."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            logger.warning("cannot list %s: %s", folder, exc.strerror or exc)
            if unlisted is not None:
                unlisted.append(folder)
            continue
        subdirs = []
        for e in entries:
            if e.name.startswith("."):
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    subdirs.append(e.path)
                else:  # files, and anything else (fifo, link to a folder, broken link):
                    yield e.path  # the run records the latter as failed, without opening them
            except OSError:
                yield e.path
        stack.extend(reversed(subdirs))


def _database_files(db: str | os.PathLike[str]) -> set[str]:
    """Absolute paths of an SQLite case database and its journal files (empty for a
    server database): never documents, though ``docfraud batch scans/ --db
    scans/cases.db`` lists them."""
    url = database_url(db)
    if not url.startswith("sqlite:///"):
        return set()
    path = os.path.abspath(url[len("sqlite:///"):])
    return {path + suffix for suffix in ("", "-wal", "-shm", "-journal")}


def iter_inputs(inputs: Sequence[str], *, unlisted: list[str] | None = None
                ) -> Iterator[str]:
    """Expand files, folders (recursively) and glob patterns into file paths.

    Each path is yielded once, in a stable order (inputs in the order given,
    sorted within each folder). Cost is linear in the number of files. Folders that
    cannot be listed (permissions) are appended to ``unlisted``.

    Raises:
        InputError: an input is neither an existing path nor a glob that matches.
    """
    seen: set[str] = set()

    def once(path: str) -> Iterator[str]:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            yield path

    for inp in inputs:
        if os.path.isdir(inp):
            for p in _walk(inp, unlisted):
                yield from once(p)
        elif os.path.lexists(inp):
            yield from once(inp)
        elif _GLOB_CHARS & set(inp):
            matches = sorted(glob.iglob(inp, recursive=True))
            if not matches:
                raise InputError(f"{inp}: the pattern matches no file")
            for m in matches:
                if os.path.isdir(m):
                    for p in _walk(m, unlisted):
                        yield from once(p)
                else:
                    yield from once(m)
        else:
            raise InputError(f"{inp}: no such file or folder")


# -- the worker side ---------------------------------------------------------

_EXAMINE_CACHE: dict[str, ExamineFn] = {}


def resolve_examine(spec: ExamineSpec) -> ExamineFn:
    """Turn ``"module:function"`` into the function (cached per process).

    Raises:
        InputError: the module or function does not exist; the message says which.
    """
    if callable(spec):
        return spec
    fn = _EXAMINE_CACHE.get(spec)
    if fn is not None:
        return fn
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise InputError(f"--examine expects MODULE:FUNCTION, e.g. {DEFAULT_EXAMINE}; got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = (" (the screening pipeline, `docfraud screen`, is not part of this "
                "installation yet)" if spec == DEFAULT_EXAMINE else "")
        raise InputError(f"cannot import the per-document pipeline {spec}{hint}: {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise InputError(f"cannot find the per-document pipeline {spec}: "
                             f"{module_name} has no {attr}")
    if not callable(obj):
        raise InputError(f"{spec} is not a function")
    found: ExamineFn = obj
    _EXAMINE_CACHE[spec] = found
    return found


def _path_keyword(fn: ExamineFn) -> str:
    """Name of the keyword through which ``fn`` takes the file name: ``source`` (the
    documented contract) or ``file`` (what ``docfraud.screen.examine_file`` calls it)."""
    import inspect

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return "source"
    names = {p.name for p in params[1:] if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    if "source" in names or "file" not in names:
        return "source"
    return "file"


@dataclass
class WorkItem:
    """One document to examine: its key, path, size and, for remote workers, its bytes."""

    key: str
    path: str
    size: int
    data: bytes | None = field(default=None, repr=False)
    #: seconds one document may take (0: no limit); see :func:`_time_limit`
    time_limit: float = 0.0


class _DocumentTimeout(Exception):
    """The pipeline ran past the document's time limit."""


#: seconds: a longer limit (or ``inf``) is no limit; the timer cannot hold 10**12 s
_LONGEST_TIMER = 1e9


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_DocumentTimeout` in this thread after ``seconds`` (0, or more than
    :data:`_LONGEST_TIMER`: no limit).

    Uses SIGALRM, so the limit holds in the main thread of a process (the local process
    pool's workers); in a thread (Dask workers run tasks in threads) it is not enforced.
    The signal interrupts sleeps and Python code, and Tesseract's recognition, which
    checks for signals; a single long call into native code ends before it is seen.
    """
    if (not 0 < seconds <= _LONGEST_TIMER or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise _DocumentTimeout

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _zombie(pid: int) -> bool:
    """Whether process ``pid`` has ended but was not reaped (Linux ``/proc``; False where
    that cannot be told)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    # "pid (comm) S ...": the state follows the last ')' (comm may hold any character)
    return stat[stat.rfind(b")") + 2:][:1] in (b"Z", b"X")


def _exit_with(parent: int, *, every: float = 1.0) -> None:
    """Stop this worker process when the process ``parent`` is gone.

    A batch process killed alone (``kill -9 PID``, the OOM killer) leaves its pool's
    workers blocked for ever on queues whose other ends they hold themselves, each with
    its memory; a forkserver child's parent is the forkserver, so the batch process is
    watched by its pid.
    """
    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:  # alive, but not ours to signal
                pass
            if _zombie(parent):  # killed, not yet reaped by a caller that waits for us
                os._exit(1)

    threading.Thread(target=watch, name="docfraud-parent-watch", daemon=True).start()


def _worker_init(environ: dict[str, str] | None = None, parent: int | None = None) -> None:
    # a forkserver child inherits the environment of the forkserver, which may be older
    # than the parent's: take the parent's as it was when this pool started
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    if parent is not None:
        _exit_with(parent)
    # one thread per process: parallelism comes from processes, not BLAS/torch threads
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")


_THREADS_SET = False


def _one_thread() -> None:
    """One OpenCV thread in this process (once): parallelism comes from the executor's
    processes, and OpenCV's own pool would make them fight over the same cores."""
    global _THREADS_SET
    if _THREADS_SET:
        return
    _THREADS_SET = True
    import cv2

    cv2.setNumThreads(1)


def examine_item(item: WorkItem, examine: ExamineSpec) -> dict[str, Any]:
    """Run the pipeline on one item; never raises for a bad document.

    Returns a plain dict with the fields of :class:`~docfraud.store.Record`
    (``status`` ``"done"`` with ``result`` and ``assets``, or ``"failed"`` with
    ``error``), so that it pickles cheaply and crosses any executor.
    """
    import hashlib

    _one_thread()
    t0 = time.perf_counter()
    out: dict[str, Any] = {"sha256": item.key, "file": item.path, "size": item.size,
                           "worker": f"{socket.gethostname()}:{os.getpid()}"}

    def failed(reason: str) -> dict[str, Any]:
        out.update(status=STATUS_FAILED, error=reason,
                   elapsed_ms=(time.perf_counter() - t0) * 1e3)
        return out

    data = item.data
    if data is None:
        try:
            with open(item.path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            return failed(f"cannot read {item.path}: {exc.strerror or exc}")
    if hashlib.sha256(data).hexdigest() != item.key:
        return failed(f"{item.path} changed after it was queued (content hash differs)")
    try:
        fn = resolve_examine(examine)
        with _time_limit(item.time_limit):
            result = fn(data, **{_path_keyword(fn): item.path})
        if not isinstance(result, dict):
            return failed(f"pipeline returned {type(result).__name__}, expected a dict")
        raw_assets = result.pop("assets", None) or {}
        assets = {str(k): bytes(v) for k, v in raw_assets.items()
                  if isinstance(v, bytes | bytearray | memoryview)}
        if len(assets) != len(raw_assets):
            logger.warning("%s: assets that are not bytes were dropped", item.path)
        result = json.loads(_json(result))  # plain JSON types only from here on
    except DocfraudError as exc:
        reason = str(exc)
        if "<bytes>" in reason:  # the pipeline decoded bytes: name the file instead
            reason = reason.replace("<bytes>", item.path, 1)
        if item.path not in reason:
            reason = f"{item.path}: {reason}"
        return failed(reason)
    except _DocumentTimeout:
        return failed(f"{item.path}: not finished within the time limit of "
                      f"{item.time_limit:g} s per document (--time-limit)")
    except MemoryError:
        return failed(f"{item.path}: out of memory while examining it")
    except RecursionError:
        return failed(f"{item.path}: the pipeline recursed too deeply")
    except Exception as exc:
        logger.debug("pipeline error on %s", item.path, exc_info=True)
        return failed(f"internal error in the pipeline: {type(exc).__name__}: {exc}")
    result["file"] = item.path
    if result.get("sha256") not in (None, item.key):
        logger.warning("%s: pipeline reported sha256 %s; keeping %s",
                       item.path, result["sha256"], item.key)
    result["sha256"] = item.key
    out.update(status=STATUS_DONE, result=result, assets=assets,
               elapsed_ms=(time.perf_counter() - t0) * 1e3)
    return out


# -- executors -----------------------------------------------------------------


def examine_items(items: Sequence[WorkItem], examine: ExamineSpec) -> list[dict[str, Any]]:
    """:func:`examine_item` over a chunk of items (one Dask task, less per-task overhead)."""
    return [examine_item(item, examine) for item in items]


class _WorkerCrashed(Exception):
    """The process examining a document died (local pool broke, or Dask gave up)."""


class _LocalPool:
    """concurrent.futures process pool; rebuilt when a worker dies."""

    sends_bytes = False
    chunk = 1  # one document per task: a crash then points at the document

    def __init__(self, jobs: int) -> None:
        import multiprocessing

        self.jobs = jobs
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() \
            else "spawn"
        self._ctx = multiprocessing.get_context(method)
        self._pool: Any = None
        self._start()

    def _start(self) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=self._ctx,
                                         initializer=_worker_init,
                                         initargs=(dict(os.environ), os.getpid()))
        # start the workers now (all at once, as for non-fork contexts) so that start-up
        # is measured apart from work
        for fut in [self._pool.submit(os.getpid) for _ in range(self.jobs)]:
            fut.result()

    @property
    def slots(self) -> int:
        return self.jobs

    def submit(self, items: list[WorkItem], examine: ExamineSpec) -> Any:
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._pool.submit(examine_items, items, examine)
        except BrokenProcessPool as exc:
            # a worker died after the last wait() but before this submit: hand back a
            # failed future so the crash is handled like any other (retry one by one)
            fut: Future[list[dict[str, Any]]] = Future()
            fut.set_exception(exc)
            return fut

    def wait(self, futures: Sequence[Any]) -> set[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        return set(wait(futures, return_when=FIRST_COMPLETED).done)

    def outcome(self, fut: Any) -> list[dict[str, Any]]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            res: list[dict[str, Any]] = fut.result()
            return res
        except BrokenProcessPool as exc:
            raise _WorkerCrashed(str(exc)) from None

    def restart(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._start()

    def close(self, *, cancel: bool = False) -> None:
        self._pool.shutdown(wait=not cancel, cancel_futures=True)


class _DaskPool:
    """dask.distributed client: a local cluster or a running scheduler."""

    def __init__(self, address: str, jobs: int, *, shared_fs: bool | None,
                 chunk: int = 4) -> None:
        self.chunk = max(1, chunk)
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError as exc:  # pragma: no cover - distributed is a dependency
            raise InputError(f"--dask needs the 'distributed' package: {exc}") from None
        self._cluster: Any = None
        if address == "local":
            import dask

            # Background chores of the scheduler, nannies and workers compete with the work
            # on a small machine: the statistical profiler samples every thread's stack
            # every 10 ms and the event-loop watchdog ticks every 20 ms (nobody reads either
            # here); system and memory monitors poll less often. The nannies' default
            # MALLOC_TRIM_THRESHOLD_=65536 switches off glibc's adaptive mmap threshold, so
            # every large image buffer is mapped and unmapped afresh: 25 % more CPU per
            # document (measured); the workers keep the thread limits without it.
            with dask.config.set({"distributed.worker.profile.enabled": False,
                                  "distributed.nanny.pre-spawn-environ": {
                                      "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1,
                                      "OPENBLAS_NUM_THREADS": 1},
                                  "distributed.admin.tick.interval": "200ms",
                                  "distributed.admin.system-monitor.interval": "2s",
                                  "distributed.admin.system-monitor.gil.enabled": False,
                                  "distributed.worker.memory.monitor-interval": "500ms"}):
                self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=jobs, threads_per_worker=1, processes=True,
                    dashboard_address=None)
            self.client: Any = Client(self._cluster)  # type: ignore[no-untyped-call]
            self.sends_bytes = False if shared_fs is None else not shared_fs
        else:
            try:
                self.client = Client(address, timeout="30s")  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
            self.sends_bytes = True if shared_fs is None else not shared_fs
        nthreads = sum(self.client.nthreads().values())
        if nthreads == 0:
            self.client.wait_for_workers(1, timeout=60)
            nthreads = sum(self.client.nthreads().values())
        self._slots = max(1, nthreads)
        self._completed: Any = as_completed(  # type: ignore[no-untyped-call]
            with_results=True, raise_errors=False)
        self._results: dict[str, Any] = {}
        logger.info("dask: %d worker threads at %s", self._slots, self.client.scheduler.address)

    @property
    def slots(self) -> int:
        return int(self._slots)

    def submit(self, items: list[WorkItem], examine: ExamineSpec) -> Any:
        import uuid

        fut = self.client.submit(
            examine_items, items, examine, pure=False,
            key=f"docfraud-examine-{items[0].key[:16]}-{len(items)}-{uuid.uuid4().hex[:8]}")
        self._completed.add(fut)
        return fut

    def wait(self, futures: Sequence[Any]) -> set[Any]:
        # as_completed gathers results in the background as tasks finish: one round trip
        # per result instead of a wait() and a result() call per document
        batch = [next(self._completed)]
        batch.extend(self._completed.next_batch(block=False))
        done = set()
        for fut, value in batch:
            self._results[fut.key] = value
            done.add(fut)
        return done

    def outcome(self, fut: Any) -> list[dict[str, Any]]:
        from distributed import KilledWorker

        value = self._results.pop(fut.key)
        try:
            if fut.status == "error":  # with raise_errors=False, value is not the exception
                exc = fut.exception()
                if isinstance(exc, KilledWorker):
                    raise _WorkerCrashed(f"Dask workers died examining it repeatedly ({exc})")
                raise exc
            if fut.status == "cancelled":
                raise _WorkerCrashed("the Dask task was cancelled (scheduler restarted?)")
        finally:
            fut.release()
        res: list[dict[str, Any]] = value
        return res

    def restart(self) -> None:  # pragma: no cover - Dask retries by itself
        pass

    def close(self, *, cancel: bool = False) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


# -- the run ---------------------------------------------------------------------


@dataclass
class BatchSummary:
    """What a run did. ``listed`` = skipped + duplicates + examined + refused."""

    listed: int = 0
    skipped: int = 0
    duplicates: int = 0
    refused: int = 0
    examined: int = 0
    done: int = 0
    failed: int = 0
    stored: int = 0
    seconds: float = 0.0
    startup_seconds: float = 0.0
    #: folders that could not be listed (permissions): their files are in no record
    unlisted: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Examined documents per second of wall time (start-up included)."""
        return self.examined / self.seconds if self.seconds > 0 else 0.0

    @property
    def working_rate(self) -> float:
        """Examined documents per second once the workers were up."""
        busy = self.seconds - self.startup_seconds
        return self.examined / busy if busy > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["docs_per_second"] = round(self.rate, 3)
        d["docs_per_second_working"] = round(self.working_rate, 3)
        return d


def _prepare(path: str) -> tuple[WorkItem | None, Record | None]:
    """Hash a file in the parent; files that cannot be examined become failed records."""
    from docfraud.imageio import MAX_FILE_BYTES
    from docfraud.store import sha256_file

    try:
        st = os.stat(path)
        if not os.path.isfile(path):
            return None, Record(path_key(path), path, STATUS_FAILED,
                                error=f"{path} is not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            return None, Record(
                path_key(path), path, STATUS_FAILED, size=st.st_size,
                error=f"{path} is {st.st_size / 1e6:.0f} MB; the limit is "
                      f"{MAX_FILE_BYTES / 1e6:.0f} MB")
        digest = sha256_file(path)
    except OSError as exc:
        reason = f"cannot read {path}: {exc.strerror or exc}"
        return None, Record(path_key(path), path, STATUS_FAILED, error=reason)
    if st.st_size == 0:
        return None, Record(digest, path, STATUS_FAILED, size=0, error=f"{path} is empty (0 bytes)")
    return WorkItem(digest, path, st.st_size), None


def run_batch(
    inputs: Sequence[str],
    *,
    db: str | os.PathLike[str],
    examine: ExamineSpec = DEFAULT_EXAMINE,
    jobs: int | None = None,
    dask: str | None = None,
    shared_fs: bool | None = None,
    dask_chunk: int = 4,
    retry_failed: bool = False,
    commit_every: int = 16,
    commit_seconds: float = 2.0,
    progress: bool = True,
    time_limit: float = 120.0,
) -> BatchSummary:
    """Examine every document under ``inputs`` into the case database ``db``.

    Args:
        inputs: files, folders (searched recursively) and glob patterns.
        db: SQLAlchemy URL or SQLite file path (created if missing).
        examine: the per-document pipeline, ``"module:function"`` or a picklable function.
        jobs: worker processes (default: CPU count); with ``dask="local"``, Dask workers.
        dask: None for a local process pool; ``"local"`` for a local Dask cluster;
            ``"tcp://host:8786"`` for a running scheduler.
        shared_fs: whether Dask workers can read the input paths; default: yes for
            ``"local"``, no for a remote scheduler (the parent then sends file bytes).
        dask_chunk: documents per Dask task (fewer round trips through the scheduler;
            the local process pool always sends one document per task).
        retry_failed: examine again documents stored as failed.
        commit_every: commit after this many finished documents...
        commit_seconds: ...or this many seconds, whichever comes first.
        progress: show a tqdm progress bar on stderr.
        time_limit: seconds one document may take before it is recorded as failed and
            the worker moves on (0: no limit). Enforced in the local process pool; Dask
            workers run tasks in threads, where it is not (a stuck task there holds its
            worker).

    Returns:
        BatchSummary of the run.

    Raises:
        InputError: bad inputs, unknown pipeline, unreachable database or scheduler.
    """
    from tqdm import tqdm

    t_start = time.perf_counter()
    if jobs is None:
        affinity = getattr(os, "sched_getaffinity", None)
        jobs = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    jobs = max(1, jobs)
    if isinstance(examine, str):
        resolve_examine(examine)  # fail now, in the parent, with a clear message
    summary = BatchSummary()
    own = _database_files(db)  # the case database may lie among the scans
    paths = [p for p in iter_inputs(inputs, unlisted=summary.unlisted)
             if os.path.abspath(p) not in own]
    summary.listed = len(paths)
    store = Store(db)
    t_pool = time.perf_counter()
    try:
        pool: _LocalPool | _DaskPool = (_LocalPool(jobs) if dask is None
                                        else _DaskPool(dask, jobs, shared_fs=shared_fs,
                                                       chunk=dask_chunk))
    except BaseException:
        store.close()
        raise
    summary.startup_seconds = time.perf_counter() - t_pool
    bar = tqdm(total=len(paths), unit="doc", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, smoothing=0.05)
    pending: list[Record] = []
    extra_sources: dict[str, list[str]] = {}
    queued: set[str] = set()
    committed: set[str] = set()
    last_commit = time.monotonic()

    def flush() -> None:
        nonlocal last_commit
        if pending:
            summary.stored += store.put(pending, replace_failed=retry_failed)
            committed.update(r.sha256 for r in pending)
            pending.clear()
        # a copy may be listed after its document was committed: its path is written at
        # the next commit, not lost
        more = [(key, p) for key in [k for k in extra_sources if k in committed]
                for p in extra_sources.pop(key)]
        store.add_sources(more)
        last_commit = time.monotonic()

    def record(rec: Record) -> None:
        pending.append(rec)
        if rec.status == STATUS_DONE:
            summary.done += 1
        else:
            summary.failed += 1
        bar.update(1)
        bar.set_postfix(done=summary.done, failed=summary.failed, skipped=summary.skipped,
                        refresh=False)
        if len(pending) >= commit_every or time.monotonic() - last_commit >= commit_seconds:
            flush()

    def is_new(key: str, path: str, stored: bool, skip_sources: list[tuple[str, str]]) -> bool:
        """Count a document already stored (its path goes to ``skip_sources``) or already
        queued in this run; True for one to handle now (it then counts as queued)."""
        if stored:
            summary.skipped += 1
            skip_sources.append((key, path))
        elif key in queued:
            extra_sources.setdefault(key, []).append(path)
            summary.duplicates += 1
        else:
            queued.add(key)
            return True
        bar.update(1)
        return False

    unread = store.unread_keys()

    def feed() -> Iterator[WorkItem]:
        for i in range(0, len(paths), LOOKUP_CHUNK):
            items: list[WorkItem] = []
            refusals: list[Record] = []
            for path in paths[i:i + LOOKUP_CHUNK]:
                item, refused = _prepare(path)
                if refused is not None:
                    refusals.append(refused)
                elif item is not None:
                    item.time_limit = time_limit
                    items.append(item)
            known = store.statuses([it.key for it in items] + [r.sha256 for r in refusals])
            if unread:  # files that could not be read in an earlier run and now could
                store.forget_unread([it.path for it in items if path_key(it.path) in unread])
            skip_sources: list[tuple[str, str]] = []
            for rec in refusals:
                if is_new(rec.sha256, rec.file, rec.sha256 in known, skip_sources):
                    summary.refused += 1
                    record(rec)
            for it in items:
                status = known.get(it.key)
                if is_new(it.key, it.path, status == STATUS_DONE
                          or (status == STATUS_FAILED and not retry_failed), skip_sources):
                    yield it
            store.add_sources(skip_sources)

    def outcome_record(out: dict[str, Any]) -> Record:
        return Record(sha256=out["sha256"], file=out["file"], status=out["status"],
                      result=out.get("result"), error=out.get("error"),
                      assets=out.get("assets") or {}, size=out.get("size"),
                      elapsed_ms=out.get("elapsed_ms"), worker=out.get("worker"))

    items = feed()
    suspects: deque[WorkItem] = deque()  # local pool: redo one at a time after a crash
    singles: deque[WorkItem] = deque()  # Dask: redo a crashed chunk's documents one by one
    inflight: dict[Any, list[WorkItem]] = {}
    limit = 2 * pool.slots
    exhausted = False
    interrupted = False

    def crashed_record(it: WorkItem, reason: str) -> Record:
        return Record(it.key, it.path, STATUS_FAILED, size=it.size,
                      error=f"the worker process died while examining {it.path} "
                            f"(decoder crash or out of memory): {reason}")

    try:
        while True:
            while suspects and not inflight:
                it = suspects.popleft()
                inflight[submit(pool, [it], examine)] = [it]
            while singles and len(inflight) < limit:
                it = singles.popleft()
                inflight[submit(pool, [it], examine)] = [it]
            while not suspects and not exhausted and len(inflight) < limit:
                chunk: list[WorkItem] = []
                for nxt in items:
                    chunk.append(nxt)
                    if len(chunk) >= pool.chunk:
                        break
                else:
                    exhausted = True
                if chunk:
                    inflight[submit(pool, chunk, examine)] = chunk
            if not inflight:
                if time.monotonic() - last_commit >= commit_seconds:
                    flush()
                if exhausted and not suspects and not singles:
                    break
                continue
            crashed: list[tuple[list[WorkItem], str]] = []
            for fut in pool.wait(list(inflight)):
                batch = inflight.pop(fut)
                try:
                    outs = pool.outcome(fut)
                except _WorkerCrashed as exc:
                    crashed.append((batch, str(exc)))
                    continue
                for out in outs:
                    summary.examined += 1
                    record(outcome_record(out))
            for batch, reason in crashed:
                if isinstance(pool, _DaskPool):
                    # Dask already retried the task on other workers
                    if len(batch) > 1:
                        singles.extend(batch)
                    else:
                        summary.examined += 1
                        record(crashed_record(batch[0], reason))
                elif len(batch) == 1 and len(crashed) == 1 and not inflight:
                    pool.restart()  # it was alone: it is the culprit
                    summary.examined += 1
                    record(crashed_record(batch[0], reason))
                else:
                    # the pool is broken: every document in flight has to be redone
                    lost = [it for b, _ in crashed for it in b]
                    lost += [it for b in inflight.values() for it in b]
                    inflight.clear()
                    logger.warning("a worker process died; retrying %d documents one at a time",
                                   len(lost))
                    pool.restart()
                    suspects.extend(lost)
                    break
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        try:
            flush()
        finally:
            bar.close()
            pool.close(cancel=interrupted)
            store.close()
            summary.seconds = time.perf_counter() - t_start
    return summary


def submit(pool: _LocalPool | _DaskPool, items: list[WorkItem], examine: ExamineSpec) -> Any:
    """Hand items to the pool, attaching their bytes when workers cannot read the paths."""
    if pool.sends_bytes:
        loaded = []
        for item in items:
            if item.data is None:
                try:
                    with open(item.path, "rb") as fh:
                        item = WorkItem(item.key, item.path, item.size, fh.read())
                except OSError:
                    pass  # the worker reports it as unreadable
            loaded.append(item)
        items = loaded
    return pool.submit(items, examine)
