"""The JPEG detector finds what it claims: tables, aligned and non-aligned double JPEG."""

from __future__ import annotations

import io

import numpy as np
import pytest
from forensics_synth import (
    build_exif,
    decode,
    document_image,
    heat_contrast,
    iou,
    jpeg_bytes,
    natural_image,
    splice_aligned,
    splice_shifted_jpeg,
)
from PIL import Image

from docfraud.forensics import Analysis, DetectorResult, run_detectors
from docfraud.forensics.jpeg import IJG_LUMA, ZIGZAG, block_dct, estimate_quality, ijg_table

SEEDS = range(4)


def jpeg(data: bytes) -> DetectorResult:
    return run_detectors(Analysis.from_source(data), ["jpeg"])[0]


def test_ijg_tables_and_quality_estimate() -> None:
    assert np.array_equal(ijg_table(50), IJG_LUMA)
    img = natural_image(np.random.default_rng(0), 64, 64)
    for q in (30, 50, 75, 90, 97):
        data = jpeg_bytes(img, quality=q)
        table = np.array(Image.open(io.BytesIO(data)).quantization[0])
        assert estimate_quality(table) == (q, True)
        r = jpeg(data)
        assert r.data["quality"] == q and r.data["ijg_tables"] is True
    custom = ijg_table(80).copy()
    custom[0, 0] += 1
    q, exact = estimate_quality(custom)
    assert not exact and abs(q - 80) <= 2


def test_zigzag_and_dct() -> None:
    assert ZIGZAG[:6] == ((0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2))
    assert len(set(ZIGZAG)) == 64
    y = np.full((16, 16), 128.0 + 10.0, np.float32)
    coef = block_dct(y)
    assert coef.shape == (2, 2, 8, 8)
    assert coef[0, 0, 0, 0] == pytest.approx(80.0, abs=1e-3)  # 8 * mean offset
    assert float(np.abs(coef[..., 1:, :]).max()) < 1e-3


@pytest.mark.parametrize("seed", SEEDS)
def test_aligned_double_jpeg_splice_is_located(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = document_image(rng, 480, 720) if seed % 2 else natural_image(rng, 480, 720)
    forged, box = splice_aligned(rng, base, forged=True, q1=65, q2=90)
    genuine, _ = splice_aligned(np.random.default_rng(seed), base, forged=False, q1=65, q2=90)
    rf, rg = jpeg(forged), jpeg(genuine)
    assert box is not None and rf.score is not None and rg.score is not None
    # the re-saved genuine file is double compressed too (and says so), but uniformly
    assert {"JPEG_DOUBLE_COMPRESSED"} <= {f.code for f in rg.findings}
    assert rf.score >= 0.6 and rg.score <= 0.3, (rf.score, rg.score)
    local = [f for f in rf.findings if f.code == "JPEG_LOCAL_SINGLE_COMPRESSION"]
    assert local and iou(local[0].region, box) > 0.5, (local, box)
    assert heat_contrast(rf.heatmap, box) > 0.4


def test_single_compression_is_not_called_double() -> None:
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        for q in (75, 92):
            r = jpeg(jpeg_bytes(document_image(rng, 480, 720), quality=q))
            assert r.data["double_compression"]["periodic_frequencies"] == 0
            assert r.score is not None and r.score < 0.2 and not r.findings


def test_shifted_grid_splice_scores_above_genuine() -> None:
    forged_scores, genuine_scores = [], []
    for seed in SEEDS:
        base = document_image(np.random.default_rng(seed), 600, 900)
        # shifts of 1 or 7 px fall on the file's own grid phases and are not seen
        f, _ = splice_shifted_jpeg(np.random.default_rng(seed + 100), base, forged=True,
                                     q1=60, q2=92, frac=0.35, shifts=(2, 7))
        g, _ = splice_shifted_jpeg(np.random.default_rng(seed + 100), base, forged=False,
                                   q1=60, q2=92)
        rf, rg = jpeg(f), jpeg(g)
        assert rf.score is not None and rg.score is not None
        forged_scores.append(rf.score)
        genuine_scores.append(rg.score)
    # separation over the seeds (the method is weak on single tiles: see docs)
    assert np.mean(forged_scores) > np.mean(genuine_scores) + 0.2, (forged_scores,
                                                                    genuine_scores)
    assert max(genuine_scores) < 0.3


def test_exif_orientation_keeps_heatmap_in_display_coordinates() -> None:
    rng = np.random.default_rng(5)
    base = natural_image(rng, 240, 400)
    data, box = splice_aligned(rng, base, forged=True, q1=60, q2=90)
    img = Image.open(io.BytesIO(data))
    exif = img.getexif()
    exif[0x0112] = 8  # display = stored rotated 90 degrees counter-clockwise
    # re-wrap the same JPEG stream with the orientation tag (no re-encoding)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), qtables=img.quantization, quality="keep")
    r = jpeg(buf.getvalue())
    assert r.heatmap is not None and r.heatmap.shape == (400, 240)
    assert box is not None
    x, y, w, h = box
    rot_box = (y, 400 - x - w, h, w)  # ROTATE_90 of the stored box
    assert heat_contrast(r.heatmap, rot_box) > 0.3


def test_camera_exif_with_library_tables_is_reported() -> None:
    img = natural_image(np.random.default_rng(1), 200, 300)
    r = jpeg(jpeg_bytes(img, quality=85, exif=build_exif(make="NIKON CORPORATION")))
    codes = {f.code for f in r.findings}
    assert "JPEG_SOFTWARE_RECOMPRESSED" in codes
    r = jpeg(jpeg_bytes(img, quality=85))
    assert "JPEG_SOFTWARE_RECOMPRESSED" not in {f.code for f in r.findings}


def test_not_applicable_to_png() -> None:
    img = decode(jpeg_bytes(natural_image(np.random.default_rng(2), 64, 64)))
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    r = jpeg(buf.getvalue())
    assert r.status == "not_applicable" and "not a JPEG" in (r.reason or "")
