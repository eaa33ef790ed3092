"""Contract of every registered detector: real images, synthetic images, bad input.

Every detector must return a well-formed :class:`DetectorResult` with status ``ok``
or ``not_applicable`` for any image that :mod:`docfraud.imageio` accepts, and never
raise. Detectors are found through the registry, so a new detector is tested here
without editing this file.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docfraud.errors import ImageError, InputError
from docfraud.forensics import (
    Analysis,
    Detector,
    DetectorResult,
    available_detectors,
    execute,
    get_detector,
    run_detectors,
)
from docfraud.forensics.registry import DISCOVERY_ERRORS
from tests.forensics.forensics_synth import (
    build_exif,
    document_image,
    jpeg_bytes,
    natural_image,
    png_bytes,
)

SPECIMENS = Path("/work/shared/benchmarks/mrz-specimens/images")
EXPECTED = {"jpeg", "noise", "copymove", "metadata"}
ZONE_BASED = {"portrait", "vizcheck"}


def check_result(result: DetectorResult, analysis: Analysis) -> None:
    assert isinstance(result, DetectorResult)
    assert result.status in ("ok", "not_applicable"), (result.detector, result.reason)
    if result.status == "ok":
        assert result.score is not None and 0.0 <= result.score <= 1.0
    else:
        assert result.score is None and result.reason
    if result.heatmap is not None:
        assert result.heatmap.shape == analysis.shape
        assert result.heatmap.dtype == np.float32
        assert float(result.heatmap.min()) >= 0.0 and float(result.heatmap.max()) <= 1.0
    h, w = analysis.shape
    for f in result.findings:
        assert f.detector == result.detector
        assert f.code.isupper() and " " not in f.code
        assert f.code in get_detector(result.detector).codes
        if f.region is not None:
            x, y, fw, fh = f.region
            assert 0 <= x < w and 0 <= y < h and fw > 0 and fh > 0, f.region
            assert x + fw <= w + 1 and y + fh <= h + 1, f.region
    d = json.loads(json.dumps(result.to_dict()))
    back = DetectorResult.from_dict(d)
    assert back.to_dict() == d


def run_all(analysis: Analysis) -> list[DetectorResult]:
    results = run_detectors(analysis)
    assert [r.detector for r in results] == available_detectors()
    for r in results:
        check_result(r, analysis)
    return results


def test_registry_discovers_every_detector() -> None:
    assert not DISCOVERY_ERRORS
    assert set(available_detectors()) >= EXPECTED
    for name in available_detectors():
        det = get_detector(name)
        assert det.name == name and det.version and det.description and det.codes
    with pytest.raises(InputError, match=r"unknown detector 'nope'.*available"):
        get_detector("nope")
    with pytest.raises(InputError):
        run_detectors(Analysis.from_source(np.zeros((8, 8, 3), np.uint8)), ["jpeg", "nope"])


def _specimens() -> list[Path]:
    return sorted(SPECIMENS.glob("*")) if SPECIMENS.is_dir() else []


@pytest.mark.skipif(not SPECIMENS.is_dir(), reason=f"specimen folder {SPECIMENS} is absent")
@pytest.mark.parametrize("path", _specimens(), ids=lambda p: p.name)
def test_real_specimens(path: Path) -> None:
    analysis = Analysis.from_source(path)
    results = {r.detector: r for r in run_all(analysis)}
    fmt = analysis.document.format
    assert results["jpeg"].status == ("ok" if fmt == "JPEG" else "not_applicable")
    assert results["metadata"].status == "ok"


@pytest.mark.skipif(not SPECIMENS.is_dir(), reason=f"specimen folder {SPECIMENS} is absent")
def test_real_specimen_editing_software_is_reported() -> None:
    # these specimen files were saved by Photoshop / Paint.NET (their EXIF Software says so)
    for name, software in (("100_pass-chn.jpg", "Adobe Photoshop"),
                           ("passport-td3.jpg", "Paint.NET")):
        result = run_detectors(Analysis.from_source(SPECIMENS / name), ["metadata"])[0]
        codes = {f.code: f for f in result.findings}
        assert "META_EDITING_SOFTWARE" in codes
        assert software in codes["META_EDITING_SOFTWARE"].message


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buf, "PNG") if mode else Image.fromarray(array).save(
        buf, "PNG")
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def _inputs() -> dict[str, bytes | np.ndarray]:
    rng = np.random.default_rng(7)
    doc = document_image(rng, 300, 420)
    gray16 = (rng.random((120, 160)) * 65535).astype(np.uint16)
    rgba = np.dstack([doc, np.full(doc.shape[:2], 128, np.uint8)])
    buf = io.BytesIO()
    Image.fromarray(doc).convert("P").save(buf, "PNG")
    palette = buf.getvalue()
    rotated = jpeg_bytes(natural_image(rng, 200, 320),
                         exif=build_exif(software="Camera FW 1.0"))
    # EXIF orientation 6: rotate the stored image for display
    img = Image.open(io.BytesIO(rotated))
    ex = img.getexif()
    ex[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=ex.tobytes(), quality=88)
    return {
        "1x1 png": _png(np.zeros((1, 1, 3), np.uint8)),
        "1x1 jpeg": jpeg_bytes(np.full((1, 1, 3), 200, np.uint8)),
        "3x5 array": np.full((3, 5), 0.5),
        "grayscale png": _png(doc[:, :, 0]),
        "16-bit png": _png(gray16),
        "rgba png": _png(rgba),
        "palette png": palette,
        "flat white jpeg": jpeg_bytes(np.full((400, 600, 3), 255, np.uint8)),
        "flat black png": png_bytes(np.zeros((300, 300, 3), np.uint8)),
        "noise only jpeg": jpeg_bytes((rng.random((256, 256, 3)) * 255).astype(np.uint8)),
        "thin strip": jpeg_bytes(np.full((2, 9000, 3), 120, np.uint8)),
        "tall strip": png_bytes(np.full((6000, 3, 3), 90, np.uint8)),
        "exif rotated jpeg": buf.getvalue(),
        "document array": doc,
        "document jpeg": jpeg_bytes(doc, quality=70),
        "progressive jpeg": _progressive(doc),
        "subsampled jpeg": jpeg_bytes(doc, quality=80, subsampling=2),
    }


def _progressive(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", progressive=True, quality=85)
    return buf.getvalue()


@pytest.mark.parametrize("name", list(_inputs()))
def test_odd_but_valid_inputs(name: str) -> None:
    analysis = Analysis.from_source(_inputs()[name])
    results = {r.detector: r for r in run_all(analysis)}
    if analysis.document.raw is None:
        assert results["metadata"].status == "not_applicable"
        assert results["jpeg"].status == "not_applicable"


#: detectors that need the MRZ reading or the zones derived from it
MRZ_DEPENDENT = {"mrz", "mrzprint", "vizcheck", "portrait", "reference", "fieldprint"}


def test_huge_but_allowed_image() -> None:
    # 3.8 megapixels: far over the 2 MP budget, still must work (and say ok)
    rng = np.random.default_rng(3)
    small = document_image(rng, 400, 600)
    big = np.ascontiguousarray(np.kron(small, np.ones((4, 4, 1), np.uint8))[:, :3200])
    analysis = Analysis.from_source(jpeg_bytes(big, quality=85))
    assert analysis.shape == (1600, 2400)
    for r in run_all(analysis):
        if r.detector in MRZ_DEPENDENT:  # no MRZ was read for this analysis
            assert r.status == "not_applicable", (r.detector, r.reason)
        else:
            assert r.status == "ok", (r.detector, r.reason)


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0garbage", b"not an image at all",
                                  jpeg_bytes(np.zeros((64, 64, 3), np.uint8))[:40]])
def test_corrupt_bytes_are_rejected_by_imageio(data: bytes) -> None:
    with pytest.raises(ImageError):
        Analysis.from_source(data)


def test_execute_turns_errors_into_failed_and_skips_not_applicable() -> None:
    class Broken(Detector):
        name = "broken_for_test"
        codes = ("X",)

        def run(self, analysis: Analysis) -> DetectorResult:
            raise ZeroDivisionError("boom")

    class Picky(Detector):
        name = "picky_for_test"

        def applies_to(self, analysis: Analysis) -> bool:
            return False

        def run(self, analysis: Analysis) -> DetectorResult:  # pragma: no cover
            raise AssertionError("must not run")

    class Wrong(Detector):
        name = "wrong_for_test"

        def run(self, analysis: Analysis) -> DetectorResult:
            return "not a result"  # type: ignore[return-value]

    analysis = Analysis.from_source(np.zeros((16, 16, 3), np.uint8))
    failed = execute(Broken(), analysis)
    assert failed.status == "failed" and failed.score is None
    assert failed.reason == "ZeroDivisionError: boom"
    skipped = execute(Picky(), analysis)
    assert skipped.status == "not_applicable" and skipped.reason
    assert execute(Wrong(), analysis).status == "failed"
    assert "broken_for_test" not in available_detectors()


def test_detector_result_validation_and_round_trip() -> None:
    hm = np.zeros((10, 20), np.float32)
    hm[2:4, 5:9] = 0.9
    r = DetectorResult(detector="x", score=0.25, heatmap=hm, data={"q": 1})
    d = r.to_dict()
    assert d["heatmap"] == {"shape": [10, 20], "mean": 0.036, "max": 0.9, "hot_fraction": 0.04,
                            "hot_box": [5, 2, 4, 2]}
    corners = np.zeros((10, 20), np.float32)
    corners[0, 3] = corners[9, 19] = corners[4, 0] = 0.5
    assert DetectorResult(detector="x", heatmap=corners).to_dict()["heatmap"]["hot_box"] == [
        0, 0, 20, 10]
    assert DetectorResult(detector="x", heatmap=np.full((3, 4), 0.49, np.float32)
                          ).to_dict()["heatmap"]["hot_box"] is None
    back = DetectorResult.from_dict(d)
    assert back.heatmap is None and back.heatmap_summary == d["heatmap"]
    assert back.to_dict() == d
    with pytest.raises(ValueError):
        DetectorResult(detector="x", score=float("nan"))
    with pytest.raises(ValueError):
        DetectorResult(detector="x", status="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DetectorResult(detector="x", heatmap=np.zeros((2, 2, 3), np.float32))
    clipped = DetectorResult(detector="x", score=1.5, heatmap=np.full((2, 2), 7.0))
    assert clipped.score == 1.0 and clipped.heatmap is not None
    assert float(clipped.heatmap.max()) == 1.0


def test_analysis_caches_derived_arrays() -> None:
    analysis = Analysis.from_source(natural_image(np.random.default_rng(1), 100, 140))
    assert analysis.luminance is analysis.luminance
    assert analysis.noise_residual is analysis.noise_residual
    assert analysis.gray.dtype == np.uint8 and analysis.gray.shape == (100, 140)
    small, scale = analysis.downscaled_gray(70)
    assert small.shape == (50, 70) and scale == pytest.approx(0.5)
    # the residual removes smooth content: a linear ramp leaves (almost) nothing
    ramp = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (64, 1))
    res = Analysis.from_source(ramp).noise_residual
    assert float(np.abs(res[2:-2, 2:-2]).max()) < 0.6
