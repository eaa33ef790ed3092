"""The batch, export and report commands, end to end through docfraud.cli.main."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from docfraud.cli import main
from docfraud.store import save_series, sha256_file
from tests.batch.files import write_images

LIGHT = "tests.batch.examiners:examine_light"


@pytest.fixture
def case(db_url: str, tmp_path: Path) -> tuple[str, list[Path], Path]:
    paths = write_images(tmp_path / "in", 4)
    bad = tmp_path / "in" / "=cmd|calc.txt"  # hostile name: must not become a formula
    bad.write_text("not an image")
    rc = main(["batch", str(tmp_path / "in"), "--db", db_url, "--jobs", "1",
               "--examine", LIGHT, "--no-progress"])
    assert rc == 0
    return db_url, paths, bad


def test_batch_prints_summary_json(db_url: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    write_images(tmp_path / "in", 2)
    assert main(["batch", str(tmp_path / "in"), "--db", db_url, "--examine", LIGHT, "-j", "1",
                 "--json"]) == 0
    captured = capsys.readouterr()
    s = json.loads(captured.out)
    assert s["done"] == 2 and s["docs_per_second"] > 0
    assert "2 files" in captured.err and "doc/s" in captured.err  # tqdm bar with rate


def test_batch_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(tmp_path / "nothing"), "--db", str(tmp_path / "c.db"),
                 "--examine", LIGHT]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "--db", str(tmp_path / "c.db"),
                 "--examine", "missing_mod:f"]) == 2
    assert "cannot import the per-document pipeline" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "--db", str(tmp_path / "c.db"), "-j", "0",
                 "--examine", LIGHT]) == 2


def test_export_csv_and_jsonl(case: tuple[str, list[Path], Path],
                              capsys: pytest.CaptureFixture[str]) -> None:
    db, paths, _ = case
    assert main(["export", "--db", db, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 5
    by_file = {r["files"]: r for r in rows}
    assert by_file[str(paths[0])]["status"] == "done"
    assert by_file[str(paths[0])]["finding_codes"] == "TEST_STRONGEST_EDGE"
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 1 and "not an image" in failed[0]["error"]
    assert not any(v.startswith("=") for r in rows for v in r.values())

    assert main(["export", "--db", db, "--format", "jsonl", "--status", "done"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4 and all(x["signature"]["ahash"] for x in lines)
    assert {x["sha256"] for x in lines} == {sha256_file(p) for p in paths}


def test_export_out_dash_is_standard_output(case: tuple[str, list[Path], Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`-o -` wrote a file named '-' in the working folder, and nothing on stdout."""
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--db", case[0], "--format", "jsonl", "-o", "-"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    assert not (tmp_path / "-").exists()


def test_report_html(case: tuple[str, list[Path], Path], tmp_path: Path) -> None:
    db, paths, bad = case
    sha = sha256_file(paths[1])
    save_series(db, [{"id": "S007", "members": [str(paths[1]), str(paths[2])],
                      "shared": ["same printer"]}])
    out = tmp_path / "r.html"
    assert main(["report", "--db", db, "--doc", str(paths[1]), "--html", str(out)]) == 0
    html = out.read_text()
    assert sha in html and "TEST_STRONGEST_EDGE" in html
    assert "data:image/jpeg;base64," in html and "heatmap light" in html
    assert "<rect" in html and 'viewBox="0 0 128 96"' in html
    assert "S007" in html and "same printer" in html and "ahash" in html
    assert "No MRZ found" in html

    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps({"series": [{"id": "S099", "members": [sha]}],
                                    "unassigned": []}))
    assert main(["report", "--db", db, "--doc", sha[:10], "--html", str(out),
                 "--clusters", str(clusters)]) == 0
    assert "S099" in out.read_text()

    assert main(["report", "--db", db, "--doc", str(bad), "--html", str(out)]) == 0
    html = out.read_text()
    assert "not examined" in html and "not an image" in html
    assert "&lt;" not in sha  # sanity
    assert "=cmd|calc.txt" in html


def test_report_errors(case: tuple[str, list[Path], Path], tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    db, _, _ = case
    assert main(["report", "--db", db, "--doc", "ffffffff", "--html", str(tmp_path / "x")]) == 2
    assert "no document" in capsys.readouterr().err
    assert main(["report", "--db", str(tmp_path / "none.db"), "--doc", "ab", "--html",
                 str(tmp_path / "x")]) == 2
    assert "no case database" in capsys.readouterr().err


def test_report_clusters_file_of_the_wrong_shape(case: tuple[str, list[Path], Path],
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON --clusters file that is not cluster output was an internal AttributeError."""
    db, paths, _ = case
    wrong = tmp_path / "wrong.json"
    for content in ("[1, 2]", '{"series": 3}'):
        wrong.write_text(content)
        assert main(["report", "--db", db, "--doc", str(paths[0]), "--html",
                     str(tmp_path / "r.html"), "--clusters", str(wrong)]) == 2
        err = capsys.readouterr().err
        assert "not the output of `docfraud cluster" in err and "internal error" not in err


def test_dask_local_keeps_the_terminal_quiet(tmp_path: Path) -> None:
    """`docfraud batch --dask local` printed some 25 INFO lines of the scheduler and
    nannies around its one-line summary; -v still shows them."""
    import os
    import subprocess
    import sys

    write_images(tmp_path / "in", 2)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "docfraud", "batch", str(tmp_path / "in"), "--db",
         str(tmp_path / "c.db"), "--dask", "local", "--jobs", "1", "--no-progress",
         "--examine", "tests.batch.examiners:examine_bytes"],
        capture_output=True, text=True, timeout=240, cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "INFO distributed" not in proc.stderr, proc.stderr
    assert "2 files: 2 examined" in proc.stderr
