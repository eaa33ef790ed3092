"""Render the series report in headless Chromium, screenshot it and check what it shows."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docfraud.cluster import cluster
from docfraud.cluster.synthetic import generate
from docfraud.report import build_view, write_html

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed "
                                "at /usr/bin/chromium (apt-get install chromium)")


def _chromium(args: list[str]) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, list[str]]:
    d = tmp_path_factory.mktemp("html")
    sigs = generate(seed=1618, workshops=5, lone=10, genuine=120, prefix="h")
    # give the members real images so the report has thumbnails to show
    rng = np.random.default_rng(0)
    for s in sigs:
        p = d / Path(s.doc_id).name
        img = np.full((90, 140, 3), 225, np.uint8)
        img[10:80, 8:58] = rng.integers(40, 200, 3)
        Image.fromarray(img).save(p)
        s.info["file"] = str(p)
    res = cluster(sigs)
    view = build_view(res)
    html = write_html(view, d / "report.html")
    return html, len(view.series), [s.id for s in view.series]


def test_report_renders_its_series_in_chromium(report: tuple[Path, int, list[str]],
                                               tmp_path: Path) -> None:
    html, n_series, ids = report
    assert n_series >= 3
    dom = _chromium(["--dump-dom", html.as_uri()])
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout
    assert re.search(rf'id="n-series">{n_series}<', text)
    for sid in ids:
        assert f'<section class="series" id="{sid}"' in text
    assert text.count('class="member"') >= sum(1 for _ in ids) * 2
    assert text.count("data:image/jpeg;base64,") >= 2 * n_series
    shot = tmp_path / "report.png"
    run = _chromium([f"--screenshot={shot}", "--window-size=1280,1600", html.as_uri()])
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB")).astype(np.int16)
    assert img.shape[:2] == (1600, 1280)
    # the page drew something: coloured network nodes, text and thumbnails, not a blank page
    coloured = (np.abs(img[:, :, 0] - img[:, :, 2]) > 60).mean()
    dark = (img.sum(axis=2) < 200).mean()
    assert coloured > 0.002 and dark > 0.002, (coloured, dark)
    keep = Path(__file__).resolve().parents[2] / "build" / "report-screenshot.png"
    keep.parent.mkdir(exist_ok=True)
    keep.write_bytes(shot.read_bytes())
