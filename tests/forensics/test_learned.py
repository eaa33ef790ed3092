"""The learned detector: its weights load, and it points at synthetic forgeries."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from docfraud.forensics import Analysis, DetectorResult, execute, learned, run_detectors
from docfraud.forensics.learned import LearnedDetector, input_channels, load_model
from docfraud.synth import SynthDocument, iter_documents


@functools.cache
def _doc(kind: str, seed: int) -> SynthDocument:
    """One synthetic document of a training design (seed outside training/validation)."""
    if kind == "genuine":
        docs = iter_documents(genuine=1, forged=0, workshops=0, seed=seed,
                              designs=["uto_passport_2020"], null_rate=0.0)
    else:
        docs = iter_documents(genuine=0, forged=1, workshops=0, seed=seed,
                              designs=["uto_passport_2020"], operators=[kind])
    return next(iter(docs))


def _learned(image: np.ndarray) -> DetectorResult:
    return run_detectors(Analysis.from_source(image), ["learned"])[0]


def test_weights_load_and_are_small() -> None:
    assert learned.MODEL_PATH.is_file()
    assert learned.MODEL_PATH.stat().st_size < 5 * 1024 * 1024
    model = load_model()
    prob = model.cells(np.zeros((5, 40, 56), np.float32))
    assert prob.shape == (5, 7) and prob.dtype == np.float32
    assert np.all((prob >= 0) & (prob <= 1))


def test_input_channels_match_the_analysis_residual() -> None:
    rng = np.random.default_rng(0)
    img = (rng.random((50, 70, 3)) * 255).astype(np.uint8)
    analysis = Analysis.from_source(img)
    x = input_channels(img)
    assert x.shape == (5, 50, 70) and x.dtype == np.float32
    assert np.allclose(x[:3], np.moveaxis(img, 2, 0) / 255.0, atol=1e-6)
    assert np.allclose(x[3], np.clip(analysis.noise_residual / 4, -4, 4), atol=1e-4)
    assert float(np.abs(x[3:]).max()) <= 4.0
    reused = input_channels(img, luminance=analysis.luminance, residual=analysis.noise_residual)
    assert np.allclose(reused, x, atol=1e-4)
    with pytest.raises(ValueError, match="must be"):
        input_channels(img[:, :, 0])


@pytest.mark.parametrize("shape", [(17, 17), (23, 45), (50, 70), (201, 99)])
def test_padded_input_is_the_reflected_input_and_reads_the_same(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0])
    img = (rng.random((*shape, 3)) * 255).astype(np.uint8)
    h, w = shape
    top, bottom, left, right = learned.padding(h, w)
    plain = input_channels(img)
    want = np.pad(plain, ((0, 0), (top, bottom), (left, right)), mode="reflect")
    if max(top, bottom) < h and max(left, right) < w:
        assert np.array_equal(input_channels(img, pad=(top, bottom, left, right)), want)
    else:  # too small to reflect once: refused, and the detector pads the slow way
        with pytest.raises(ValueError, match="does not fit"):
            input_channels(img, pad=(top, bottom, left, right))
    # one-sided pads as long as the image allows (the mirror reaches the far edge)
    for pad in ((0, h - 1, 0, w - 1), (h - 1, 0, w - 1, 0)):
        assert np.array_equal(input_channels(img, pad=pad), np.pad(
            plain, ((0, 0), pad[:2], pad[2:]), mode="reflect"))
    model = load_model()
    assert np.array_equal(learned.cell_probabilities(img), model.cells(plain))
    assert np.array_equal(model.cells(want, size=(h, w)), model.cells(plain))
    with pytest.raises(ValueError, match="padded"):
        model.cells(plain, size=(h, w))


def _contrast(heatmap: np.ndarray, mask: np.ndarray) -> float:
    return float(heatmap[mask].mean() - heatmap[~mask].mean())


def test_substituted_photo_is_hotter_than_the_rest() -> None:
    # a random or broken network gives no systematic contrast; the trained one makes the
    # pasted photo hotter than the rest of the image in 9 of 10 validation documents
    contrasts = []
    for seed in (9001, 9002, 9003):
        forged = _doc("photo_substitution", seed)
        assert forged.image is not None and forged.mask is not None
        result = _learned(forged.image)
        assert result.ok and result.heatmap is not None and result.score is not None
        assert result.heatmap.shape == forged.image.shape[:2]
        assert result.heatmap.dtype == np.float32
        assert result.data["scale"] == 1.0
        contrasts.append(_contrast(result.heatmap, forged.mask))
    assert float(np.mean(contrasts)) > 0.05, contrasts
    assert min(contrasts) > 0.0, contrasts


def test_finding_marks_the_hottest_area(monkeypatch: pytest.MonkeyPatch) -> None:
    forged = _doc("photo_substitution", 9001)
    assert forged.image is not None
    h, w = forged.image.shape[:2]
    monkeypatch.setattr(learned, "FINDING_THRESHOLD", 0.0)
    result = _learned(forged.image)
    assert result.heatmap is not None and result.score is not None
    (finding,) = result.findings
    assert finding.code == "LEARNED_TAMPERED_REGION" and finding.region is not None
    x, y, bw, bh = finding.region
    assert min(x, y) >= 0 and x + bw <= w and y + bh <= h
    assert float(result.heatmap[y:y + bh, x:x + bw].mean()) > float(result.heatmap.mean())
    assert finding.data is not None and finding.data["probability"] == pytest.approx(
        result.score, abs=1e-3)


def test_default_threshold_gives_few_findings_on_genuine_documents() -> None:
    genuine = _doc("genuine", 9002)
    assert genuine.image is not None
    result = _learned(genuine.image)
    assert result.ok and result.score is not None
    assert result.score < learned.FINDING_THRESHOLD or result.findings


def test_large_images_are_downscaled_and_mapped_back(monkeypatch: pytest.MonkeyPatch) -> None:
    forged = _doc("photo_substitution", 9001)
    assert forged.image is not None and forged.mask is not None
    h, w = forged.image.shape[:2]
    monkeypatch.setattr(learned, "MAX_PIXELS", h * w // 4)
    result = _learned(forged.image)
    assert result.ok and result.heatmap is not None
    assert result.heatmap.shape == (h, w)
    assert result.data["scale"] == pytest.approx(0.5, abs=0.01)
    assert _contrast(result.heatmap, forged.mask) > 0.0


def test_small_image_is_not_applicable_and_missing_weights_fail(tmp_path: Path) -> None:
    small = run_detectors(Analysis.from_source(np.full((40, 300, 3), 128, np.uint8)),
                          ["learned"])[0]
    assert small.status == "not_applicable" and small.reason
    det = LearnedDetector()
    det.model_path = tmp_path / "missing.onnx"
    broken = execute(det, Analysis.from_source(np.full((100, 100, 3), 128, np.uint8)))
    assert broken.status == "failed" and "not found" in (broken.reason or "")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    det.model_path = bad
    broken = execute(det, Analysis.from_source(np.full((100, 100, 3), 128, np.uint8)))
    assert broken.status == "failed" and "ModelError" in (broken.reason or "")


def test_portrait_measures_from_the_cells_inside_the_zones() -> None:
    prob = np.full((40, 60), 0.1, np.float32)
    prob[10:20, 5:15] = 0.9  # the portrait's cells: pixels 40-120 x 80-160
    zones = {"portrait": (40, 80, 80, 80), "card": (0, 0, 480, 320)}
    got = learned._portrait_measures(prob, zones, (1.0, 1.0))
    assert got["portrait_mean"] == pytest.approx(0.9)
    assert got["portrait_vs_card"] == pytest.approx(0.9 - (0.1 + 0.8 * 100 / 2400), abs=1e-3)
    # zones of an image downscaled by half before the network: the same cells
    half = learned._portrait_measures(prob, {k: tuple(2 * v for v in b)
                                             for k, b in zones.items()}, (0.5, 0.5))
    assert half == got
    # only cells wholly inside a box count: a box reaching 4 px into the cells around the
    # portrait's keeps 10 x 10 cells, one starting 1 px inside it 9 x 9
    assert learned._zone_cells(prob, (36, 76, 88, 88), (1.0, 1.0)).shape == (10, 10)
    assert learned._zone_cells(prob, (41, 81, 80, 80), (1.0, 1.0)).shape == (9, 9)
    assert learned._zone_cells(prob, (0, 0, 2000, 2000), (0.37, 0.37)).shape == prob.shape
    # each axis scaled by its own factor
    assert learned._zone_cells(prob, (40, 160, 80, 160), (1.0, 0.5)).shape == (10, 10)
    # no card placement (no MRZ read): nothing measured
    assert learned._portrait_measures(prob, {}, (1.0, 1.0)) == {}
    assert learned._portrait_measures(prob, {"portrait": zones["portrait"]}, (1.0, 1.0)) == {}


def test_portrait_measures_reach_the_fusion_features() -> None:
    from docfraud.score import feature_direction, features

    r = DetectorResult(detector="learned", status="ok", score=0.5,
                       data={"portrait_mean": 0.7, "portrait_vs_card": 0.3})
    feats = features([r])
    assert feats["learned.data.portrait_mean"] == 0.7
    assert feats["learned.data.portrait_vs_card"] == 0.3
    assert feature_direction("learned.data.portrait_vs_card") == 1
