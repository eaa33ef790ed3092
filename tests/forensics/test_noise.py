"""The noise detector finds regions whose noise level differs from the rest."""

from __future__ import annotations

import numpy as np
import pytest
from forensics_synth import document_image, heat_contrast, iou, natural_image, noise_splice

from docfraud.forensics import Analysis, DetectorResult, run_detectors
from docfraud.forensics.noise import block_noise


def noise(data: bytes | np.ndarray) -> DetectorResult:
    return run_detectors(Analysis.from_source(data), ["noise"])[0]


def test_block_noise_measures_gaussian_noise_and_ignores_edges() -> None:
    rng = np.random.default_rng(0)
    img = np.full((256, 256), 128.0, np.float32)
    img[:, 128:] += rng.normal(0, 4.0, (256, 128))
    img[:, :128] += rng.normal(0, 1.0, (256, 128))
    img[::16, :] = 20.0  # dark ruled lines: edges must not inflate the estimate
    analysis = Analysis.from_source(np.clip(img, 0, 255).astype(np.uint8))
    sigma, _, valid = block_noise(analysis.noise_residual, analysis.luminance, 32)
    assert valid.all()
    assert np.median(sigma[:, :4]) == pytest.approx(1.0, abs=0.3)
    assert np.median(sigma[:, 4:]) == pytest.approx(4.0, rel=0.15)


@pytest.mark.parametrize("seed", range(4))
def test_noise_splice_is_found(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = document_image(rng, 600, 900) if seed % 2 else natural_image(rng, 600, 900)
    forged, box = noise_splice(np.random.default_rng(seed + 50), base, forged=True, q2=100)
    genuine, _ = noise_splice(np.random.default_rng(seed + 50), base, forged=False, q2=100)
    rf, rg = noise(forged), noise(genuine)
    assert box is not None and rf.score is not None and rg.score is not None
    assert rf.score > rg.score + 0.3, (rf.score, rg.score)
    assert heat_contrast(rf.heatmap, box) > 0.3
    found = [f for f in rf.findings if f.code == "NOISE_INCONSISTENT_REGION"]
    assert found and iou(found[0].region, box) > 0.4, (found, box)


def test_uniform_noise_is_not_flagged() -> None:
    for seed in range(4):
        rng = np.random.default_rng(seed)
        img = natural_image(rng, 480, 640, noise=3.0)
        r = noise(img)
        assert r.score is not None and r.score < 0.6 and not r.findings, r.data


def test_too_small_is_not_applicable() -> None:
    r = noise(np.full((40, 60, 3), 128, np.uint8))
    assert r.status == "not_applicable"
