from __future__ import annotations

import json
from pathlib import Path

import pytest

from docfraud.cli import main
from docfraud.cluster.synthetic import generate


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    d = tmp_path_factory.mktemp("cl")
    sigs = generate(seed=31337, workshops=6, lone=15, genuine=150, prefix="c")
    truth = [s.info["truth"] for s in sigs]
    q = next(i for i, t in enumerate(truth) if t == "cW0000" and sigs[i].risk >= 0.5)
    inp = d / "in.jsonl"
    with inp.open("w") as f:
        for i, s in enumerate(sigs):
            if i != q:
                f.write(json.dumps(s.to_dict()) + "\n")
    query = d / "q.json"
    query.write_text(json.dumps(sigs[q].to_dict()))
    return inp, query, "cW0000"


def test_cluster_writes_contract_and_report(data: tuple[Path, Path, str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    inp, _, _ = data
    out, html = tmp_path / "c.json", tmp_path / "r.html"
    assert main(["cluster", "--input", str(inp), "--out", str(out), "--html", str(html),
                 "--graphml", str(tmp_path / "g.graphml"), "--neo4j", str(tmp_path / "neo")]) == 0
    d = json.loads(out.read_text())
    assert d["series"] and d["series"][0]["id"] == "S001"
    assert all(s["members"] and s["shared"] for s in d["series"])
    assert "S001" in html.read_text()
    assert (tmp_path / "neo" / "documents.csv").is_file()


def test_cluster_match(data: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    inp, query, _ = data
    assert main(["cluster", "--input", str(inp), "--match", str(query), "--top", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    top = out["series"][0]
    assert top["p_max"] > 0.5
    assert all(m.startswith("cw0000_") for m in top["members"])  # workshop cW0000
    assert len(out["series"]) <= 3


def test_cluster_redacted_output_hides_ids(data: tuple[Path, Path, str], tmp_path: Path) -> None:
    inp, _, _ = data
    out = tmp_path / "c.json"
    assert main(["cluster", "--input", str(inp), "--out", str(out), "--redact",
                 "--redact-key", "k1"]) == 0
    text = out.read_text()
    assert "cw0000_" not in text and ".jpg" not in text
    d = json.loads(text)
    assert all(m.startswith("D-") for s in d["series"] for m in s["members"])
    out2 = tmp_path / "c2.json"
    assert main(["cluster", "--input", str(inp), "--out", str(out2), "--redact",
                 "--redact-key", "k1"]) == 0
    assert json.loads(out2.read_text())["series"][0]["members"] == d["series"][0]["members"]


@pytest.mark.parametrize("content, msg", [
    ("{not json}\n", "not valid JSON"),
    ('{"doc_id": "a", "vectors": {"mrz": [1]}}\n', "needs 5 values"),
    ("[1, 2]\n", "expected a JSON object"),
    # a screen result with parts of the wrong type was an internal error (TypeError)
    ('{"file": "a.jpg", "mrz": "x", "findings": 7}\n', "malformed screen result"),
    # bytes that are no UTF-8 (an image given by mistake) were UnicodeDecodeError
    ("\udcff\udcd8 not text\n", "not UTF-8 text"),
])
def test_cluster_bad_input(data: tuple[Path, Path, str], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str], content: str, msg: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert main(["cluster", "--input", str(p)]) == 2
    err = capsys.readouterr().err
    assert msg in err and "bad.jsonl:1" in err and "internal error" not in err, err
    assert err.count("bad.jsonl:1") == 1, err  # the place is named once
    if not content.startswith("{not"):  # --match reads one object, maybe not on one line
        assert main(["cluster", "--input", str(data[0]), "--match", str(p)]) == 2
        err = capsys.readouterr().err
        assert msg in err and "internal error" not in err, err


def test_cluster_missing_input_and_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "--input", str(tmp_path / "none.jsonl")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["cluster", "--db", "sqlite:///x.db"]) == 2
    assert "no case database at x.db" in capsys.readouterr().err
    assert main(["cluster"]) == 2


def test_cluster_leaves_out_files_screen_could_not_read(
        data: tuple[Path, Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`screen --json` writes {"file", "error"} for an unreadable file: that is no
    document, and must not be listed as an unassigned (genuine-looking) one."""
    inp = tmp_path / "with-error.jsonl"
    inp.write_text(data[0].read_text() + json.dumps(
        {"file": "broken.jpg", "error": "broken.jpg is not an image"}) + "\n")
    out = tmp_path / "c.json"
    assert main(["cluster", "--input", str(inp), "--out", str(out)]) == 0
    d = json.loads(out.read_text())
    assert "broken.jpg" not in d["unassigned"]
    assert all("broken.jpg" not in s["members"] for s in d["series"])
    assert "could not be screened" in capsys.readouterr().err


def test_match_and_input_read_a_pipe(data: tuple[Path, Path, str], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`docfraud screen new.jpg --json | docfraud cluster ... --match -` (or a pipe such as
    /dev/stdin): a pipe was refused with '--match file not found: /dev/stdin'."""
    import io
    import os
    import threading

    inp, query, _ = data
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(query.read_bytes())))
    assert main(["cluster", "--input", str(inp), "--match", "-", "--top", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["series"][0]["p_max"] > 0.5
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # the writer end of the pipe, as a shell's `docfraud screen ... |` would hold it
    writer = threading.Thread(target=fifo.write_text, args=(query.read_text(),))
    writer.start()
    try:
        assert main(["cluster", "--input", str(inp), "--match", str(fifo), "--top", "1"]) == 0
    finally:
        if writer.is_alive():  # the reader never opened it: let the writer finish
            fifo.read_text()
        writer.join()
    assert json.loads(capsys.readouterr().out)["series"][0]["p_max"] > 0.5
    assert main(["cluster", "--input", str(inp), "--match", str(tmp_path)]) == 2
    assert "folder" in capsys.readouterr().err
    # the documents themselves from standard input, also where a folder named "-" exists
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(inp.read_bytes())))
    assert main(["cluster", "--input", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["series"]
    (tmp_path / "dash" / "-").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "dash")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(inp.read_bytes())))
    assert main(["cluster", "--input", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["series"]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(query.read_bytes())))
    assert main(["cluster", "--input", str(inp), "--match", "-", "--top", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["series"][0]["p_max"] > 0.5
    # and --out - is standard output (it wrote a file named '-')
    monkeypatch.chdir(tmp_path)
    assert main(["cluster", "--input", str(inp), "--out", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["series"] and not (tmp_path / "-").exists()


def test_match_of_a_file_screen_could_not_read_is_bad_input(
        data: tuple[Path, Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`docfraud screen new.jpg --json > new.json` of an unreadable file gives
    {"file", "error"}: --match then has no document to rank series for (it ranked every
    series at p 0.0 and exited 0, as if the document matched none)."""
    query = tmp_path / "new.json"
    query.write_text(json.dumps({"file": "new.jpg", "error": "new.jpg is empty (0 bytes)"}))
    assert main(["cluster", "--input", str(data[0]), "--match", str(query)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "could not be screened" in captured.err and "is empty" in captured.err


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00", b"[1, 2]", None])
def test_cluster_bad_model_file_is_bad_input(data: tuple[Path, Path, str], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             content: bytes | None) -> None:
    """A --model file that is binary, malformed or missing is the user's input (exit 2);
    a binary one was 'internal error: UnicodeDecodeError'."""
    model = tmp_path / "model.json"
    if content is not None:
        model.write_bytes(content)
    assert main(["cluster", "--input", str(data[0]), "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert "error: --model" in err and "internal error" not in err, err


def test_cluster_db_with_two_documents_first_seen_under_one_name(
        tmp_path: Path) -> None:
    """A case database can hold two documents under one name (a rescan replaced the
    file; two folders examined by relative paths, `./p0001.jpg`): `cluster --db` refused
    the whole case ('duplicate document id'); the content hash tells them apart."""
    from docfraud.store import Record, Store

    sigs = generate(seed=7, workshops=2, lone=2, genuine=10, prefix="d")
    records = []
    for i, sig in enumerate(sigs):
        name = "./p0001.jpg" if i < 2 else f"./p{i:04d}.jpg"
        signature = sig.to_dict() | {"doc_id": name}
        records.append(Record(sha256=f"{i:064x}", file=name, status="done",
                              result={"file": name, "signature": signature}))
    db = tmp_path / "cases.db"
    with Store(db) as store:
        store.put(records)
    out = tmp_path / "c.json"
    assert main(["cluster", "--db", str(db), "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    ids = [m for s in data["series"] for m in s["members"]] + data["unassigned"]
    assert len(ids) == len(set(ids)) == len(sigs)
    assert {f"{0:064x}", f"{1:064x}", "./p0002.jpg"} <= set(ids)


def test_cluster_db_report_shows_stored_previews_where_the_scans_are_gone(
        tmp_path: Path) -> None:
    """A series report made from the case database where the scans cannot be read (moved,
    another machine) shows the previews the database stores; never when redacted."""
    import io

    from PIL import Image

    from docfraud.store import Record, Store

    buf = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buf, format="JPEG")
    sigs = generate(seed=7, workshops=2, lone=2, genuine=10, prefix="e")
    records = []
    for i, sig in enumerate(sigs):
        name = str(tmp_path / "gone" / f"p{i:04d}.jpg")
        sha = f"{i:064x}"
        signature = sig.to_dict() | {"doc_id": name}
        records.append(Record(sha256=sha, file=name, status="done",
                              result={"file": name, "sha256": sha, "signature": signature},
                              assets={"preview.jpg": buf.getvalue()}))
    db = tmp_path / "cases.db"
    with Store(db) as store:
        store.put(records)
    out, html = tmp_path / "c.json", tmp_path / "r.html"
    assert main(["cluster", "--db", str(db), "--out", str(out), "--html", str(html)]) == 0
    members = sum(len(s["members"]) for s in json.loads(out.read_text())["series"])
    assert members >= 2
    assert html.read_text().count("data:image/jpeg;base64,") >= members
    redacted = tmp_path / "red.html"
    assert main(["cluster", "--db", str(db), "--out", str(tmp_path / "c2.json"), "--html",
                 str(redacted), "--redact", "--redact-key", "k"]) == 0
    assert "data:image" not in redacted.read_text()
