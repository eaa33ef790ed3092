"""scripts/cluster_synth_signatures.py: a screened cache's detectors run again (--refresh)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docfraud.forensics.base import DetectorResult
from docfraud.score import fuse
from docfraud.synth.dataset import generate_dataset
from tests.scripts import load_script


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path, Path]:
    """A two-document synth set screened into a cache as the script does."""
    root = tmp_path_factory.mktemp("css")
    truths = generate_dataset(root / "ds", genuine=1, forged=1, workshops=0, seed=11)
    mod = load_script("cluster_synth_signatures")
    cache = root / "cache"
    cache.mkdir()
    for t in truths:
        mod._screen_one((str(root / "ds" / t["file"]), Path(t["file"]).stem, str(cache)))
    return mod, root / "ds", cache


def _results(record: dict) -> dict[str, dict]:
    return {d["detector"]: d for d in record["detectors"]}


def test_refresh_reruns_the_named_detector_keeps_the_rest_and_fuses_again(
        screened: tuple[object, Path, Path]) -> None:
    mod, _, cache = screened
    path = sorted(cache.glob("*.json"))[0]
    original = json.loads(path.read_text())
    assert "error" not in original
    tampered = json.loads(path.read_text())
    res = _results(tampered)
    res["fieldprint"]["score"] = 0.123456
    res["fieldprint"]["data"] = {"tampered": True}
    res["noise"]["score"] = 0.654321  # not refreshed: must be kept as cached
    tampered["risk"] = {**tampered["risk"], "score": 0.5}
    tampered["findings"] = []  # recomputed from the detectors' findings
    path.write_text(json.dumps(tampered))

    assert mod._refresh_one(  # type: ignore[attr-defined]
        (str(path), original["file"], ("fieldprint",))) == mod.REFRESHED  # type: ignore[attr-defined]
    after = json.loads(path.read_text())
    got = _results(after)
    want = _results(original)
    assert got["fieldprint"]["score"] == want["fieldprint"]["score"]
    assert got["fieldprint"]["data"] == want["fieldprint"]["data"]
    assert got["noise"]["score"] == 0.654321
    assert [d["detector"] for d in after["detectors"]] == [
        d["detector"] for d in original["detectors"]]
    expected = fuse([DetectorResult.from_dict(d) for d in after["detectors"]]).to_dict()
    assert after["risk"]["score"] == expected["score"] != 0.5
    assert after["findings"] == [f for d in after["detectors"] for f in d["findings"]]
    assert after["findings"] == original["findings"] and after["findings"]
    assert after["_zones"] == original["_zones"]  # the straightened card is kept


def test_refresh_of_a_missing_image_is_reported_and_the_record_kept(
        screened: tuple[object, Path, Path], tmp_path: Path) -> None:
    mod, _, cache = screened
    record = json.loads(sorted(cache.glob("*.json"))[1].read_text())
    path = tmp_path / "000009.json"
    path.write_text(json.dumps(record))
    err = mod._refresh_one(  # type: ignore[attr-defined]
        (str(path), str(tmp_path / "gone.png"), ("fieldprint",)))
    assert "gone.png" in err and "FileNotFoundError" in err
    assert json.loads(path.read_text()) == record
    # a record screening could not read has nothing to refresh
    path.write_text(json.dumps({"error": "not an image", "file": "x.png"}))
    assert mod._refresh_one(  # type: ignore[attr-defined]
        (str(path), str(tmp_path / "gone.png"), ("fieldprint",))) == mod.UNREADABLE


def test_refresh_of_an_empty_cache_stops_with_a_message(
        screened: tuple[object, Path, Path], tmp_path: Path) -> None:
    mod, ds, _ = screened
    with pytest.raises(SystemExit, match="no screen records"):
        mod.refresh_cache(ds, tmp_path, ("fieldprint",), jobs=1)  # type: ignore[attr-defined]


def test_refresh_of_a_large_image_reports_in_its_own_pixels(
        screened: tuple[object, Path, Path], tmp_path: Path) -> None:
    """An image over the working size is analysed at a working copy; the refreshed
    results are moved back to the image's pixels, as ``screen`` reports them."""
    import cv2

    mod, ds, _ = screened
    forged = next(json.loads(x) for x in (ds / "truth.jsonl").read_text().splitlines()
                  if json.loads(x)["label"] == "forged")
    img = cv2.imread(str(ds / forged["file"]), cv2.IMREAD_COLOR)
    scale = 2600 / max(img.shape[:2])
    big = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    image = tmp_path / "big.png"
    cv2.imwrite(str(image), big)
    cache = tmp_path / "cache"
    cache.mkdir()
    mod._screen_one((str(image), "big", str(cache)))  # type: ignore[attr-defined]
    path = cache / "big.json"
    original = json.loads(path.read_text())
    assert max(original["image"]["width"], original["image"]["height"]) > 2400
    tampered = json.loads(path.read_text())
    for d in tampered["detectors"]:
        d["findings"] = [] if d["detector"] == "noise" else d["findings"]
    path.write_text(json.dumps(tampered))
    assert mod._refresh_one(  # type: ignore[attr-defined]
        (str(path), str(image), ("noise",))) == mod.REFRESHED  # type: ignore[attr-defined]
    after = json.loads(path.read_text())
    found = _results(after)["noise"]["findings"]
    # the noise detector marks a region (the pasted photo): in the image's pixels, as
    # screening reported it, not in the working copy's
    assert found and any(f.get("region") for f in found)
    assert found == _results(original)["noise"]["findings"]
    assert after["risk"]["score"] == original["risk"]["score"]
