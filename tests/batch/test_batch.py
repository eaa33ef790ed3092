"""Batch runs into a real case database (SQLite file and PostgreSQL server)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from docfraud.batch import iter_inputs, resolve_examine, run_batch
from docfraud.errors import InputError
from docfraud.store import Store, iter_documents, sha256_file
from tests.batch.files import write_bad_files, write_images

LIGHT = "tests.batch.examiners:examine_light"


def _log_lines(path: Path) -> list[str]:
    return path.read_text().split()[::2] if path.exists() else []


def test_run_stores_each_document_and_rerun_skips(db_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "calls.log"
    monkeypatch.setenv("DOCFRAUD_TEST_EXAMINE_LOG", str(log))
    paths = write_images(tmp_path / "in", 12)
    (tmp_path / "in" / "sub").mkdir()
    dup = tmp_path / "in" / "sub" / "same-as-first.jpg"
    dup.write_bytes(paths[0].read_bytes())
    s = run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=2, progress=False)
    got = (s.listed, s.examined, s.done, s.failed, s.duplicates, s.stored)
    assert got == (13, 12, 12, 0, 1, 12)
    assert len(_log_lines(log)) == 12
    docs = list(iter_documents(db_url))
    assert len(docs) == 12
    by_sha = {d["sha256"]: d for d in docs}
    first = by_sha[sha256_file(paths[0])]
    assert first["files"] == sorted([str(paths[0]), str(dup)])
    assert first["signature"]["ahash"] and first["findings"][0]["code"] == "TEST_STRONGEST_EDGE"
    with Store(db_url) as store:
        assert set(store.get(first["sha256"])["assets"]) == {"preview.jpg", "heatmap/light.png"}

    # rerun: nothing decoded again, nothing stored twice; a new copy is added as a source
    copy = tmp_path / "in" / "late-copy.png"
    copy.write_bytes(paths[3].read_bytes())
    s2 = run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=2, progress=False)
    assert (s2.examined, s2.skipped, s2.stored) == (0, 14, 0)
    assert len(_log_lines(log)) == 12
    assert str(copy) in {f for d in iter_documents(db_url) for f in d["files"]}


def test_copy_listed_after_its_document_was_committed_is_kept_as_a_source(
        tmp_path: Path) -> None:
    """A scan seen twice in one run keeps both paths even when the first copy was
    examined and committed before the second was listed (a real pipeline is slow, so
    commits happen long before the listing ends)."""
    paths = write_images(tmp_path / "in", 6)
    dup = tmp_path / "in" / "zz-same-as-first.jpg"  # listed last
    dup.write_bytes(paths[0].read_bytes())
    db = str(tmp_path / "cases.db")
    s = run_batch([str(tmp_path / "in")], db=db, examine=LIGHT, jobs=1, progress=False,
                  commit_every=1)
    assert (s.done, s.duplicates) == (6, 1)
    first = {d["sha256"]: d for d in iter_documents(db)}[sha256_file(paths[0])]
    assert first["files"] == sorted([str(paths[0]), str(dup)])


def test_file_unreadable_then_readable_leaves_one_record(db_url: str, tmp_path: Path) -> None:
    """A file that could not be read is recorded under its path; once it can be read
    (permissions fixed, a mount back) the next run examines it, and the stale failure is
    dropped: the file was counted twice and `report --doc FILE` said it matched 2 documents."""
    good = write_images(tmp_path / "in", 2)
    target = tmp_path / "mount" / "scan.png"
    link = tmp_path / "in" / "scan.png"
    link.symlink_to(target)  # dangling for now: "cannot read"
    run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=1, progress=False)
    (failed,) = iter_documents(db_url, status="failed")
    assert failed["file"] == str(link)
    write_images(tmp_path / "mount", 1, seed=5)[0].rename(target)
    s = run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=1, progress=False)
    assert (s.examined, s.done) == (1, 1)
    assert list(iter_documents(db_url, status="failed")) == []
    files = [f for d in iter_documents(db_url) for f in d["files"]]
    assert sorted(files) == sorted(map(str, [*good, link]))
    with Store(db_url) as store:
        assert store.resolve(str(link)) == sha256_file(target)


def test_folder_that_cannot_be_listed_is_named_in_the_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A folder of the seizure that cannot be listed (permissions) left only a log line
    scrolling by: its files are in no record, and the run's summary said nothing."""
    from docfraud.cli import main

    write_images(tmp_path / "in", 2)
    locked = tmp_path / "in" / "locked"
    write_images(locked, 2)
    real_scandir = os.scandir

    def scandir(path: str) -> object:  # as for a folder mode 000 (the tests may run as root)
        if os.path.abspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    db = str(tmp_path / "cases.db")
    assert main(["batch", str(tmp_path / "in"), "--db", db, "--examine", LIGHT, "-j", "1",
                 "--no-progress", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["done"] == 2 and summary["unlisted"] == [str(locked)]
    last = captured.err.strip().splitlines()[-1]
    assert "1 folder could not be listed" in last and str(locked) in last


def test_bad_files_recorded_as_failed_with_reasons(db_url: str, tmp_path: Path) -> None:
    bad = write_bad_files(tmp_path / "in")
    good = write_images(tmp_path / "in", 3)
    renamed = tmp_path / "in" / "really-a-png.jpg"  # content decides, not the extension
    renamed.write_bytes(good[1].read_bytes())
    s = run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=2, progress=False)
    assert s.done == 3 and s.failed == len(bad) and s.duplicates == 1
    failed = {d["file"]: d["error"] for d in iter_documents(db_url, status="failed")}
    expect = {
        "empty": "empty (0 bytes)",
        # random bytes after a JPEG header: unidentifiable or a broken JPEG, by chance
        "corrupt": ("not an image", "corrupt or truncated"),
        "truncated": "truncated",
        "bomb": "decompression bomb",
        "huge_file": "the limit is",
        "wrong_extension": "not an image",
        "non_image": "not an image",
    }
    for kind, path in bad.items():
        wanted = expect[kind] if isinstance(expect[kind], tuple) else (expect[kind],)
        assert any(w in failed[str(path)] for w in wanted), (kind, failed[str(path)])
        assert str(path) in failed[str(path)]
        # "x.jpg is not an image", not "x.jpg: is not an image"
        assert not failed[str(path)].startswith(f"{path}: is "), failed[str(path)]
    # a rerun does not record them again
    s2 = run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=1, progress=False)
    assert s2.stored == 0 and s2.examined == 0 and s2.skipped == s.listed


def test_worker_crash_fails_only_the_culprit(db_url: str, tmp_path: Path) -> None:
    write_images(tmp_path / "in", 8)
    crash = tmp_path / "in" / "doc00003-crash-worker.png"
    write_images(tmp_path / "x", 1, seed=99)[0].rename(crash)
    s = run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=2, progress=False)
    assert s.done == 8 and s.failed == 1
    (failed,) = iter_documents(db_url, status="failed")
    assert failed["file"] == str(crash) and "worker process died" in failed["error"]


def test_document_over_the_time_limit_fails_and_the_rest_go_on(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A document that takes too long is recorded as failed with the limit in the reason;
    the worker goes on with the next documents (every one sleeps past the limit here, so
    every one fails, and the run ends)."""
    write_images(tmp_path / "in", 3)
    monkeypatch.setenv("DOCFRAUD_TEST_EXAMINE_SLEEP", "30")
    t0 = time.perf_counter()
    s = run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=1, progress=False,
                  time_limit=0.5)
    assert time.perf_counter() - t0 < 25
    assert s.failed == 3 and s.done == 0
    for doc in iter_documents(db_url, status="failed"):
        assert "time limit of 0.5 s" in doc["error"], doc["error"]
    # without a limit the same documents are examined (a short sleep)
    monkeypatch.setenv("DOCFRAUD_TEST_EXAMINE_SLEEP", "0.6")
    s = run_batch([str(tmp_path / "in")], db=db_url, examine=LIGHT, jobs=1, progress=False,
                  retry_failed=True, time_limit=0)
    assert s.done == 3 and s.failed == 0


@pytest.mark.parametrize("limit", [float("inf"), 1e12])
def test_time_limit_beyond_the_timer_means_no_limit(tmp_path: Path, limit: float) -> None:
    """`--time-limit inf` (or a year count in seconds) recorded every document as failed:
    'internal error in the pipeline: OverflowError: timestamp out of range'."""
    write_images(tmp_path / "in", 2)
    db = str(tmp_path / "cases.db")
    s = run_batch([str(tmp_path / "in")], db=db, examine=LIGHT, jobs=1, progress=False,
                  time_limit=limit)
    assert (s.done, s.failed) == (2, 0), [d["error"] for d in iter_documents(db, status=None)]


def test_retry_failed(db_url: str, tmp_path: Path) -> None:
    p = tmp_path / "in" / "late.png"
    p.parent.mkdir()
    p.write_bytes(b"\x89PNG\r\n\x1a\n not yet")
    run_batch([str(p)], db=db_url, examine=LIGHT, jobs=1, progress=False)
    assert len(list(iter_documents(db_url, status="failed"))) == 1
    s = run_batch([str(p)], db=db_url, examine=LIGHT, jobs=1, progress=False, retry_failed=True)
    assert s.examined == 1 and s.stored == 0  # same bytes fail the same way; record kept


def test_dask_local_cluster_gives_the_same_records(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    write_images(tmp_path / "in", 6)
    (tmp_path / "in" / "notes.txt").write_text("x")
    crash = tmp_path / "in" / "z-crash-worker.png"
    write_images(tmp_path / "x", 1, seed=5)[0].rename(crash)
    ref = tmp_path / "ref.db"
    run_batch([str(tmp_path / "in")], db=ref, examine=LIGHT, jobs=1, progress=False)
    for shared in (True, False):  # paths, then bytes sent to the workers
        db = tmp_path / f"dask-{shared}.db"
        s = run_batch([str(tmp_path / "in")], db=db, examine=LIGHT, jobs=2, dask="local",
                      shared_fs=shared, progress=False)
        assert (s.done, s.failed) == (6, 2)
        errors = {d["file"]: d["error"] for d in iter_documents(db, status="failed")}
        assert "worker process died" in errors[str(crash)]  # Dask gave up after retries

        def key(d: dict[str, object]) -> tuple[object, ...]:
            return (d["sha256"], d["status"], d.get("signature"))

        assert sorted(map(key, iter_documents(db, status=None))) == \
            sorted(map(key, iter_documents(ref, status=None)))


def test_ten_thousand_files_listed_and_queued_linearly(tmp_path: Path) -> None:
    """10,000 files: one DB lookup per 500 files, whatever the folder size."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(10_000):
        (folder / f"f{i:05d}.bin").write_bytes(i.to_bytes(4, "big"))
    assert sum(1 for _ in iter_inputs([str(folder)])) == 10_000
    statements: list[str] = []

    def count(conn: object, cur: object, stmt: str, *args: object) -> None:
        statements.append(stmt)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        db = tmp_path / "many.db"
        s = run_batch([str(folder)], db=db, examine="tests.batch.examiners:examine_bytes",
                      jobs=2, progress=False, commit_every=500)
        assert (s.listed, s.done) == (10_000, 10_000)
        lookups = [x for x in statements if "FROM documents" in x and "IN" in x]
        assert len(lookups) == 20
        statements.clear()
        s2 = run_batch([str(folder)], db=db, examine="tests.batch.examiners:examine_bytes",
                       jobs=2, progress=False)
        assert (s2.skipped, s2.examined) == (10_000, 0)
        assert len(statements) < 100  # 20 lookups + 20 source upserts of 500 rows + set-up
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    with Store(db) as store:
        assert store.counts() == {"done": 10_000}


def test_inputs_globs_and_errors(tmp_path: Path) -> None:
    write_images(tmp_path / "a", 3)
    write_images(tmp_path / "b", 2, prefix="x")
    (tmp_path / "a" / ".hidden.jpg").write_bytes(b"x")
    got = list(iter_inputs([str(tmp_path / "a"), str(tmp_path / "b" / "*.png"),
                            str(tmp_path / "a" / "doc00000.jpg")]))
    assert [os.path.basename(p) for p in got] == ["doc00000.jpg", "doc00001.png",
                                                   "doc00002.jpg", "x00001.png"]
    assert len(list(iter_inputs([str(tmp_path / "**" / "*.jpg")]))) == 3
    with pytest.raises(InputError, match="no such file"):
        list(iter_inputs([str(tmp_path / "missing")]))
    with pytest.raises(InputError, match="matches no file"):
        list(iter_inputs([str(tmp_path / "*.nothing")]))


def test_unknown_pipeline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot import the per-document pipeline"):
        resolve_examine("docfraud.no_such_module:examine_file")
    with pytest.raises(InputError, match="has no nothing"):
        resolve_examine("tests.batch.examiners:nothing")
    with pytest.raises(InputError, match="MODULE:FUNCTION"):
        resolve_examine("just_a_name")
    with pytest.raises(InputError, match="cannot import"):
        run_batch([str(tmp_path)], db=tmp_path / "x.db", examine="nope.nope:f", progress=False)
    assert not (tmp_path / "x.db").exists()


def test_running_dask_scheduler_with_separate_workers(tmp_path: Path) -> None:
    """The several-machines set-up of docs/batch.md, on one machine: `dask scheduler`
    and `dask worker` processes, docfraud sending file bytes to the workers."""
    import shutil
    import socket
    import subprocess
    import time

    pytest.importorskip("distributed")
    if shutil.which("dask") is None:
        pytest.skip("the `dask` command is not installed")
    root = Path(__file__).resolve().parents[2]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    procs = [subprocess.Popen(["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(1.0)
        procs.append(subprocess.Popen(
            ["dask", "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "2", "--nthreads", "1",
             "--no-dashboard"], env=env, cwd=tmp_path,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        paths = write_images(tmp_path / "in", 5)
        (tmp_path / "in" / "notes.txt").write_text("x")
        db = tmp_path / "remote.db"
        s = run_batch([str(tmp_path / "in")], db=db, examine=LIGHT, dask=f"tcp://127.0.0.1:{port}",
                      progress=False)
        assert (s.done, s.failed) == (5, 1)
        docs = list(iter_documents(db))
        assert {d["sha256"] for d in docs} == {sha256_file(p) for p in paths}
        with Store(db) as store:
            workers = {r["worker"] for r in store.iter_records()}
        assert all(w and int(w.split(":")[1]) != os.getpid() for w in workers)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_special_files_recorded_without_being_opened(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_images(folder, 1)
    os.mkfifo(folder / "pipe.jpg")  # opening it would block the run forever
    (folder / "broken.jpg").symlink_to(tmp_path / "gone.jpg")
    (tmp_path / "elsewhere").mkdir()
    (folder / "linked-folder").symlink_to(tmp_path / "elsewhere")
    db = tmp_path / "c.db"
    s = run_batch([str(folder)], db=db, examine=LIGHT, jobs=1, progress=False)
    assert (s.done, s.failed) == (1, 3)
    failed = {Path(d["file"]).name: d for d in iter_documents(db, status="failed")}
    assert "not a regular file" in failed["pipe.jpg"]["error"]
    assert "not a regular file" in failed["linked-folder"]["error"]
    assert "No such file" in failed["broken.jpg"]["error"]
    assert all(d["sha256"].startswith("path:") for d in failed.values())
    s2 = run_batch([str(folder)], db=db, examine=LIGHT, jobs=1, progress=False)
    assert (s2.skipped, s2.stored) == (4, 0)


def test_pipeline_taking_file_keyword(tmp_path: Path) -> None:
    (p,) = write_images(tmp_path / "in", 1)
    db = tmp_path / "c.db"
    run_batch([str(p)], db=db, examine="tests.batch.examiners:examine_file_kw", jobs=1,
              progress=False)
    (doc,) = iter_documents(db)
    assert doc["seen_as"] == str(p) and doc["file"] == str(p)


def test_case_database_among_the_scans_is_not_a_document(tmp_path: Path) -> None:
    """`docfraud batch scans/ --db scans/cases.db`: every rerun recorded the database
    file itself as a failed document (with a new hash each time)."""
    write_images(tmp_path / "scans", 2)
    db = tmp_path / "scans" / "cases.db"
    for _ in range(2):
        s = run_batch([str(tmp_path / "scans")], db=str(db), examine=LIGHT, jobs=1,
                      progress=False)
        assert s.listed == 2 and s.failed == 0
    assert {Path(d["file"]).name for d in iter_documents(str(db))} == {
        p.name for p in (tmp_path / "scans").iterdir() if p.suffix in (".png", ".jpg")}


def test_file_names_that_are_no_utf8_are_stored(db_url: str, tmp_path: Path) -> None:
    """A seizure's file name in another code page (bytes that are no UTF-8) made the
    whole run an internal error (UnicodeEncodeError) on SQLite and PostgreSQL, again on
    every rerun; now it is stored with its bad byte written \\xNN, and a bad file of
    such a name is recorded as failed like any other."""
    import os

    folder = tmp_path / "in"
    good = write_images(folder, 3)
    odd = os.path.join(os.fsencode(folder), b"scan-\xe9t\xe9.png")
    with open(odd, "wb") as fh:
        fh.write(good[0].read_bytes())  # a second name of a stored document
    with open(os.path.join(os.fsencode(folder), b"new-\xff.png"), "wb") as fh:
        fh.write(write_images(tmp_path / "other", 1, seed=9)[0].read_bytes())
    with open(os.path.join(os.fsencode(folder), b"broken-\xfc.jpg"), "wb") as fh:
        fh.write(b"not an image")
    s = run_batch([str(folder)], db=db_url, examine=LIGHT, jobs=1, progress=False)
    assert (s.done, s.failed, s.duplicates) == (4, 1, 1)
    docs = {d["file"]: d for d in iter_documents(db_url, status=None)}
    assert docs[str(folder / "new-\\xff.png")]["status"] == "done"
    failed = docs[str(folder / "broken-\\xfc.jpg")]
    assert failed["status"] == "failed" and "not an image" in failed["error"]
    files = {f for d in docs.values() for f in d["files"]}
    assert str(folder / "scan-\\xe9t\\xe9.png") in files
