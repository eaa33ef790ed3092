"""kill -9 in the middle of a run, then resume; two runs into one database at once.

These run the real CLI in subprocesses, as a lab would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docfraud.store import Store, iter_documents
from tests.batch.files import write_images

ROOT = Path(__file__).resolve().parents[2]
LIGHT = "tests.batch.examiners:examine_light"


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    code = "import sys; from docfraud.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def _done_keys(db: str) -> set[str]:
    return {d["sha256"] for d in iter_documents(db)}


def _calls(log: Path) -> list[str]:
    return log.read_text().split()[::2] if log.exists() else []


def test_kill_9_mid_run_then_resume(db_url: str, tmp_path: Path) -> None:
    n = 60
    write_images(tmp_path / "in", n)
    log1, log2 = tmp_path / "run1.log", tmp_path / "run2.log"
    Store(db_url).close()  # create the schema so the test can poll
    proc = _cli("batch", str(tmp_path / "in"), "--db", db_url, "--jobs", "2", "--examine", LIGHT,
                "--no-progress", env=_env(DOCFRAUD_TEST_EXAMINE_LOG=str(log1),
                                          DOCFRAUD_TEST_EXAMINE_SLEEP="0.1"))
    deadline = time.monotonic() + 120
    try:
        while len(_done_keys(db_url)) < 10:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run stored nothing in 120 s"
            time.sleep(0.05)
        time.sleep(0.37)  # land somewhere between two commits
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: parent and workers
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    stored_before = _done_keys(db_url)
    assert 10 <= len(stored_before) < n, "kill landed after the run finished: test proves nothing"

    proc2 = _cli("batch", str(tmp_path / "in"), "--db", db_url, "--jobs", "2", "--examine", LIGHT,
                 "--json", "--no-progress", env=_env(DOCFRAUD_TEST_EXAMINE_LOG=str(log2)))
    out, err = proc2.communicate(timeout=300)
    assert proc2.returncode == 0, err
    summary = json.loads(out)
    assert summary["skipped"] == len(stored_before)
    assert summary["stored"] == n - len(stored_before)
    # nothing stored twice, nothing lost, finished work not redone
    docs = list(iter_documents(db_url, status=None))
    assert len(docs) == n and len({d["sha256"] for d in docs}) == n
    assert all(d["status"] == "done" and len(d["files"]) == 1 for d in docs)
    assert not set(_calls(log2)) & stored_before
    assert len(_calls(log2)) == n - len(stored_before)
    with Store(db_url) as store:
        from sqlalchemy import func, select, text
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(store.t_findings)).scalar() \
                == sum(len(d["findings"]) for d in docs)
            assert conn.execute(select(func.count()).select_from(store.t_assets)).scalar() == 2 * n
            if store.dialect == "sqlite":
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_two_runs_into_one_database_at_once(db_url: str, tmp_path: Path) -> None:
    n = 40
    write_images(tmp_path / "in", n)
    Store(db_url).close()
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [
        _cli("batch", str(tmp_path / "in"), "--db", db_url, "--jobs", "1", "--examine", LIGHT,
             "--json", "--no-progress",
             env=_env(DOCFRAUD_TEST_EXAMINE_LOG=str(log), DOCFRAUD_TEST_EXAMINE_SLEEP="0.02"))
        for log in logs
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    summaries = [json.loads(out) for out, _ in outs]
    assert sum(s["stored"] for s in summaries) == n  # each document stored by exactly one run
    docs = list(iter_documents(db_url, status=None))
    assert len(docs) == n and all(d["status"] == "done" and len(d["files"]) == 1 for d in docs)
    assert len(set(_calls(logs[0])) | set(_calls(logs[1]))) == n
    assert _calls(logs[0]) and _calls(logs[1]), "the runs did not overlap: test proves nothing"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone
    except FileNotFoundError:
        return False


def test_workers_stop_when_the_batch_process_is_killed_alone(tmp_path: Path) -> None:
    """`kill -9 PID` of the batch process alone (or the OOM killer): its worker processes
    stop too. They stayed for ever, blocked on the pool's queues, holding their memory."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc")
    write_images(tmp_path / "in", 8)
    log = tmp_path / "calls.log"
    proc = _cli("batch", str(tmp_path / "in"), "--db", str(tmp_path / "cases.db"), "--jobs",
                "2", "--examine", LIGHT, "--no-progress",
                env=_env(DOCFRAUD_TEST_EXAMINE_LOG=str(log), DOCFRAUD_TEST_EXAMINE_SLEEP="1"))
    deadline = time.monotonic() + 120
    try:
        while len(set(log.read_text().split()[1::2]) if log.exists() else ()) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the workers did not start in 120 s"
            time.sleep(0.05)
        workers = {int(p) for p in log.read_text().split()[1::2]}
        os.kill(proc.pid, signal.SIGKILL)  # the parent only
        proc.wait()  # not communicate(): surviving workers hold its output pipes open
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "worker processes outlived the batch"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_killed_unreaped_batch_process_counts_as_gone() -> None:
    """The workers' watchdog must see a batch process that was killed but not yet reaped
    (its caller reads the output before it waits, and the workers hold that output open)
    as gone: kill(pid, 0) still succeeds on such a zombie."""
    from docfraud.batch import _zombie

    assert not _zombie(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while not _zombie(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _zombie(child.pid)
    os.kill(child.pid, 0)  # a zombie still "exists" for signals
    child.wait()
    assert not _zombie(child.pid)
