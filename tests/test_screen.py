"""End-to-end screening: the JSON contract, exit codes, HTML, bad input, samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docfraud.cli import main
from docfraud.screen import examine_file, screen

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


def _truth() -> list[dict[str, object]]:
    return [json.loads(x) for x in (SAMPLES / "truth.jsonl").read_text().splitlines() if x]


def _sample(label: str, operator: str | None = None) -> Path:
    for t in _truth():
        ops = t.get("operators") or []
        if t["label"] == label and (operator is None or operator in ops) and (
                operator is not None or not ops):
            return SAMPLES / str(t["file"])
    raise LookupError((label, operator))


def test_json_contract_on_a_genuine_sample() -> None:
    report = screen(_sample("genuine"))
    d = report.to_dict()
    for key in ("file", "sha256", "mrz", "findings", "risk", "timing_ms"):
        assert key in d
    assert set(d["mrz"]) >= {"found", "format", "lines", "raw_lines", "fields", "valid"}
    assert d["risk"]["verdict"] in ("clear", "refer", "reject")
    assert 0.0 <= d["risk"]["score"] <= 1.0
    for f in d["findings"]:
        assert set(f) >= {"code", "severity", "detector", "message", "region"}
        assert f["code"].isupper()
    json.dumps(d)  # JSON-able


def test_naive_alteration_is_caught_by_mrz_logic() -> None:
    report = screen(_sample("forged", "naive_alteration"))
    codes = {f["code"] for f in report.findings}
    # the forger changed a field without recomputing its check digit; depending on the
    # field that shows as a failed check digit or an impossible date
    if report.mrz.found:
        mrz_failures = {c for c in codes if c.startswith("MRZ_") and c not in (
            "MRZ_DOCUMENT_EXPIRED", "MRZ_NAME_TRUNCATED")}
        assert mrz_failures, codes


def test_cli_exit_codes_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    image = _sample("forged", "naive_alteration")
    html = tmp_path / "r.html"
    code = main(["screen", str(image), "--json", "--html", str(html)])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert code == {"clear": 0, "refer": 10, "reject": 20}[out["risk"]["verdict"]]
    page = html.read_text()
    assert "<html" in page and out["risk"]["verdict"] in page and "data:image/jpeg;base64" in page


def test_bad_inputs_exit_2_without_traceback(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    for path in (empty, text, tmp_path / "missing.jpg"):
        assert main(["screen", str(path)]) == 2
        err = capsys.readouterr().err
        assert "error" in err and "Traceback" not in err


def test_image_without_mrz_is_not_an_error(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    path = tmp_path / "blank.png"
    Image.fromarray(np.full((300, 400, 3), 240, np.uint8)).save(path)
    report = screen(path)
    assert not report.mrz.found and report.mrz.reason
    assert "MRZ_NOT_FOUND" in {f["code"] for f in report.findings}
    # nothing was checked: an officer's script must not read exit 0 ("clear")
    assert report.risk.verdict == "refer"
    assert main(["screen", str(path)]) == 10


def test_examine_file_adds_signature() -> None:
    record = examine_file(_sample("genuine"))
    assert "signature" in record and record["sha256"]


def test_batch_report_shows_the_document_and_its_heatmaps(tmp_path: Path) -> None:
    """The default batch pipeline stores a preview and the heatmaps, so that `docfraud
    report` shows them ("switchable heatmap overlays") even after the scan has moved; it
    stored none, and the report had no heatmap at all."""
    import io

    from PIL import Image

    from docfraud.store import Store

    scan = tmp_path / "scan.jpg"
    scan.write_bytes(_sample("forged", "naive_alteration").read_bytes())
    db = str(tmp_path / "cases.db")
    assert main(["batch", str(scan), "--db", db, "--jobs", "1", "--no-progress"]) == 0
    with Store(db) as store:
        sha = store.resolve(str(scan))
        assets = store.get(sha)["assets"]
    assert "preview.jpg" in assets and any(n.startswith("heatmap/") for n in assets)
    for name, (_, data) in assets.items():
        with Image.open(io.BytesIO(data)) as im:
            assert max(im.size) <= 1000 and im.mode in ("RGB", "RGBA"), name
    scan.unlink()  # the report no longer needs the scan
    out = tmp_path / "r.html"
    assert main(["report", "--db", db, "--doc", sha, "--html", str(out)]) == 0
    html = out.read_text()
    assert "stored asset preview.jpg" in html and 'alt="heatmap ' in html


def test_screen_records_cluster_into_series(tmp_path: Path) -> None:
    """screen --json --signature output is valid input for docfraud cluster."""
    images = [str(SAMPLES / str(t["file"])) for t in _truth()[:6]]
    out = tmp_path / "screen.jsonl"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["screen", *images, "--json", "--signature"])
    out.write_text(buf.getvalue())
    assert main(["cluster", "--input", str(out), "--out", str(tmp_path / "c.json"),
                 "--html", str(tmp_path / "s.html")]) == 0
    assert "<html" in (tmp_path / "s.html").read_text()
    clusters = json.loads((tmp_path / "c.json").read_text())
    assert set(clusters) >= {"series", "unassigned"}


def test_detectors_option_tolerates_a_trailing_comma(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    """'--detectors mrz,' was "unknown detector ''"; an empty list is a usage error."""
    image = str(_sample("genuine"))
    assert main(["screen", image, "--detectors", "mrz,", "--json"]) in (0, 10, 20)
    out = json.loads(capsys.readouterr().out)
    assert [d["detector"] for d in out["detectors"]] == ["mrz"]
    for empty in ("", ",,"):
        assert main(["screen", image, "--detectors", empty]) == 2
        assert "--detectors names no detector" in capsys.readouterr().err


def test_unknown_detector_is_bad_usage_before_any_image(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--detectors nosuch --json` printed {"file", "error"} for every image, as if each
    one were unreadable (and decoded each one first)."""
    images = [str(_sample("genuine")), str(tmp_path / "missing.jpg")]
    assert main(["screen", *images, "--json", "--detectors", "jpeg,nosuch"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("unknown detector 'nosuch'") == 1, captured.err


def test_file_name_that_is_no_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    """--html failed (internal error: UnicodeEncodeError) and --json wrote a line that
    is no UTF-8, which `docfraud cluster --input` then refused."""
    import os

    raw = os.path.join(os.fsencode(tmp_path), b"scan-\xff.jpg")
    with open(raw, "wb") as fh:
        fh.write(_sample("genuine").read_bytes())
    image, html = os.fsdecode(raw), tmp_path / "r.html"
    assert main(["screen", image, "--json", "--html", str(html)]) in (0, 10, 20)
    out = capsys.readouterr().out
    out.encode("utf-8")  # no lone surrogates: the line is valid UTF-8
    assert json.loads(out)["file"] == str(tmp_path / "scan-\\xff.jpg")
    assert "scan-\\xff.jpg" in html.read_text(encoding="utf-8")


def test_file_name_with_terminal_control_characters(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A seized file's name is hostile input: ESC [8m (conceal) hid the verdict that
    follows it on the officer's terminal, a new line forged a line of its own. The
    summary and the error line show such characters escaped; --json keeps the name."""
    name = "scan\x1b[8m\nforged.jpg"
    image = tmp_path / name
    image.write_bytes(_sample("genuine").read_bytes())
    empty = tmp_path / "empty\x1b[8m.jpg"
    empty.write_bytes(b"")
    assert main(["screen", str(image), str(empty)]) == 2
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err
    assert f"{tmp_path}/scan\\x1b[8m\\nforged.jpg: " in captured.out
    assert "empty\\x1b[8m.jpg is empty" in captured.err
    assert main(["screen", str(image), "--json"]) in (0, 10, 20)
    assert json.loads(capsys.readouterr().out)["file"] == str(image)


def test_a_large_photo_is_analysed_at_a_working_resolution_and_reported_as_given(
        tmp_path: Path) -> None:
    """An image over 2400 px is analysed downscaled to 2000 px (the detectors' and the
    fusion's resolution); the report locates everything in the image as given, and the
    JPEG detector reads the file's own grid."""
    import cv2
    import numpy as np

    from docfraud.imageio import WORKING_SIDE, load_document, native_pixels, working_copy
    from docfraud.report.screen_html import render_screen_html

    small = _sample("genuine")
    base = screen(small)
    pixels = cv2.imread(str(small))
    factor = 2600 / max(pixels.shape[:2])
    big = cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 92])

    doc = load_document(path)
    work = working_copy(doc)
    assert max(work.shape) == WORKING_SIDE and work.raw == doc.raw
    assert work.info["native_size"] == doc.shape
    assert np.array_equal(native_pixels(work), doc.pixels)
    assert working_copy(work) is work and working_copy(load_document(small)).info.get(
        "working_scale") is None

    report = screen(path)
    h, w = big.shape[:2]
    assert report.image_size == (h, w)
    assert report.analysis is not None and report.analysis.shape == work.shape
    assert report.mrz.valid and report.mrz.lines == base.mrz.lines
    assert report.risk.verdict == base.risk.verdict
    # the MRZ region, the zones and every finding lie in the image as given, where the
    # small image's lie times the enlargement (within 3 % of the image)
    region = report.mrz.extra["region"]
    expected = [v * factor for v in base.mrz.extra["region"]]
    assert all(abs(a - b) <= 0.03 * w for a, b in zip(region, expected, strict=True))
    for box in [*report.zones.values(), *(f["region"] for f in report.findings
                                          if f["region"] is not None)]:
        x, y, bw, bh = box
        assert x >= -1 and y >= -1 and x + bw <= w + 1 and y + bh <= h + 1, box
    jpeg = next(r for r in report.results if r.detector == "jpeg")
    assert jpeg.status == "ok" and jpeg.heatmap is not None
    assert jpeg.heatmap.shape == report.analysis.shape
    assert report.to_dict()["image"] == {"width": w, "height": h}
    # the HTML draws the zones over the displayed image: every box inside its drawing
    import re

    html = render_screen_html(report)
    svg = re.search(r'<svg id="regions" width="(\d+)" height="(\d+)">', html)
    assert svg is not None
    sw, sh = int(svg.group(1)), int(svg.group(2))
    rects = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"',
                       html)
    assert len(rects) >= len(report.zones)
    for x, y, bw, bh in ((float(v) for v in r) for r in rects):
        assert x + bw <= sw + 2 and y + bh <= sh + 2, (x, y, bw, bh, sw, sh)


def test_a_small_document_in_a_large_photo_is_read_from_the_files_own_pixels() -> None:
    """A document photographed from afar (here 1/8 of an 8000 px frame, in its far
    corner) is too small in the working copy for the MRZ reader, which reads garbage
    there; the MRZ is read from the file's own pixels (the reader's windows) and
    reported in the working frame."""
    import cv2
    import numpy as np

    from docfraud.imageio import decode_image
    from docfraud.screen import analyse

    small = _sample("genuine")
    base, _, _ = analyse(small, detectors=["mrz"])
    assert base.mrz is not None and base.mrz.valid
    card = cv2.imread(str(small))
    frame = np.full((6000, 8000, 3), 110, np.uint8)
    y0, x0 = 6000 - card.shape[0] - 300, 8000 - card.shape[1] - 200
    frame[y0:y0 + card.shape[0], x0:x0 + card.shape[1]] = card
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    analysis, _, _ = analyse(decode_image(buf.tobytes(), source="far.jpg"), detectors=["mrz"])
    mrz = analysis.mrz
    assert mrz is not None and mrz.found and mrz.lines == base.mrz.lines
    scale = analysis.document.info["working_scale"]
    x, y, w, h = mrz.extra["region"]  # in the working copy, on the card
    assert x0 * scale - 2 <= x and x + w <= (x0 + card.shape[1]) * scale + 2
    assert y0 * scale - 2 <= y and y + h <= (y0 + card.shape[0]) * scale + 2


def test_a_large_array_is_analysed_without_its_native_pixels() -> None:
    """An array given as such (no file to decode again) over 2400 px is analysed at the
    working copy alone: the MRZ is not read again (there are no other pixels), and
    nothing fails."""
    import cv2
    import numpy as np

    from docfraud.screen import analyse

    card = cv2.cvtColor(cv2.imread(str(_sample("genuine"))), cv2.COLOR_BGR2RGB)
    frame = np.full((4500, 6000, 3), 110, np.uint8)
    y0, x0 = 4500 - card.shape[0] - 300, 6000 - card.shape[1] - 200
    frame[y0:y0 + card.shape[0], x0:x0 + card.shape[1]] = card
    analysis, _, _ = analyse(frame, detectors=["mrz"])
    assert analysis.document.raw is None and "working_scale" in analysis.document.info
    assert analysis.mrz is not None


def test_a_multi_page_file_says_only_its_first_page_was_screened(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A multi-page TIFF is screened on its first page, and the JSON and the summary say
    so (the pages after it may be other documents)."""
    from PIL import Image

    from docfraud.cli import main

    first, second = _sample("genuine"), _sample("forged", "photo_substitution")
    path = tmp_path / "two.tif"
    with Image.open(first) as a, Image.open(second) as b:
        a.save(path, save_all=True, append_images=[b])
    report = screen(path)
    assert report.to_dict()["image"]["pages"] == 2
    assert "pages" not in screen(first).to_dict()["image"]
    main(["screen", str(path)])
    assert "the file holds 2 pages; only the first was screened" in capsys.readouterr().out
