"""Output paths on the command line: a path that cannot be written is a clear error
(exit 2, the option named) found before any work, and a failed run leaves an existing
output file alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from docfraud.cli import main


def _fails_cleanly(argv: list[str], option: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {option}" in err and "internal error" not in err, err
    return err


def test_screen_html_checked_before_screening(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    missing_image = str(tmp_path / "missing.jpg")  # would be the first error otherwise
    _fails_cleanly(["screen", missing_image, "--html", str(tmp_path / "no" / "r.html")],
                   "--html", capsys)
    _fails_cleanly(["screen", missing_image, "--html", str(tmp_path)], "--html", capsys)
    a_file = tmp_path / "r.html"
    a_file.write_text("keep")
    # several images write a folder of reports: an existing file cannot be that folder
    _fails_cleanly(["screen", missing_image, missing_image, "--html", str(a_file)],
                   "--html", capsys)
    assert a_file.read_text() == "keep"


@pytest.mark.parametrize("option", ["--out", "--html", "--graphml", "--gexf", "--anx",
                                    "--json-graph"])
def test_cluster_outputs_checked_before_work(option: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    missing_input = str(tmp_path / "missing.jsonl")
    _fails_cleanly(["cluster", "--input", missing_input, option,
                    str(tmp_path / "no" / "x")], option, capsys)
    _fails_cleanly(["cluster", "--input", missing_input, option, str(tmp_path)], option,
                   capsys)


def test_cluster_neo4j_folder_must_be_a_folder(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "x"
    a_file.write_text("")
    _fails_cleanly(["cluster", "--input", str(tmp_path / "missing.jsonl"), "--neo4j",
                    str(a_file)], "--neo4j", capsys)


def test_export_output_checked_and_kept_on_a_bad_db(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["export", "--db", str(tmp_path / "none.db"), "-o",
                    str(tmp_path / "no" / "x.csv")], "--out", capsys)
    kept = tmp_path / "cases.csv"
    kept.write_text("an earlier export\n")
    assert main(["export", "--db", str(tmp_path / "none.db"), "-o", str(kept)]) == 2
    assert "no case database" in capsys.readouterr().err
    assert kept.read_text() == "an earlier export\n"


def _case_db(path: Path) -> bytes:
    from docfraud.store import Record, Store

    with Store(path) as store:
        store.put([Record("ab" * 32, "scan.jpg", "failed", error="scan.jpg is empty")])
    return path.read_bytes()


def test_an_output_that_is_an_input_is_refused_before_it_is_destroyed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An output named like an input of the same command (a slip of the tab key) wrote
    over it: the seized scan became the HTML report, the case database became the CSV
    export (emptied before it was read), the clusters JSON or the report page."""
    scan = tmp_path / "scan.jpg"
    scan.write_bytes(b"\xff\xd8 the seized scan")
    err = _fails_cleanly(["screen", str(scan), "--html", str(scan)], "--html", capsys)
    assert "input" in err and scan.read_bytes() == b"\xff\xd8 the seized scan"

    db = tmp_path / "cases.db"
    kept = _case_db(db)
    _fails_cleanly(["export", "--db", str(db), "-o", str(db)], "--out", capsys)
    assert db.read_bytes() == kept
    for url in (f"sqlite:///{db}", f"sqlite+pysqlite:///{db}"):  # any SQLite URL names it
        _fails_cleanly(["export", "--db", url, "-o", str(db)], "--out", capsys)
        assert db.read_bytes() == kept
    for option in ("--out", "--html", "--graphml", "--gexf", "--anx", "--json-graph"):
        _fails_cleanly(["cluster", "--db", str(db), option, str(db)], option, capsys)
        assert db.read_bytes() == kept
    jsonl = tmp_path / "screened.jsonl"
    jsonl.write_text("")
    _fails_cleanly(["cluster", "--input", str(jsonl), "--out", str(jsonl)], "--out", capsys)
    _fails_cleanly(["report", "--db", str(db), "--doc", "ab" * 32, "--html", str(db)],
                   "--html", capsys)
    assert db.read_bytes() == kept
