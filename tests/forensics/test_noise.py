"""The noise detector finds regions whose noise level differs from the rest."""

from __future__ import annotations

import numpy as np
import pytest

from docfraud.forensics import Analysis, DetectorResult, run_detectors
from docfraud.forensics.noise import block_noise
from tests.forensics.forensics_synth import (
    document_image,
    heat_contrast,
    iou,
    natural_image,
    noise_splice,
)


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


def test_zones_leave_out_portrait_and_background() -> None:
    # a 'portrait' of other noise is normal on a document: with zones it is not flagged
    rng = np.random.default_rng(3)
    img = document_image(rng, 600, 900).astype(np.float32)
    img[150:450, 40:280] += rng.normal(0, 4.0, (300, 240, 3))
    pixels = np.clip(img, 0, 255).astype(np.uint8)
    without = noise(pixels)
    assert without.findings and without.score is not None and without.score > 0.8
    analysis = Analysis.from_source(pixels)
    analysis.zones.update({"card": (0, 0, 900, 600), "portrait": (30, 140, 260, 320)})
    with_zones = run_detectors(analysis, ["noise"])[0]
    assert not with_zones.findings and with_zones.score is not None
    assert with_zones.score < 0.3 and with_zones.data["zones_excluded"] > 0
