"""The copy-move detector finds duplicated regions and ignores genuine repetition."""

from __future__ import annotations

import numpy as np
import pytest
from forensics_synth import (
    copy_move,
    document_image,
    iou,
    jpeg_bytes,
    natural_image,
    repetitive_document,
)

from docfraud.forensics import Analysis, DetectorResult, run_detectors


def copymove(data: bytes | np.ndarray) -> DetectorResult:
    return run_detectors(Analysis.from_source(data), ["copymove"])[0]


def _located(r: DetectorResult, box: tuple[int, int, int, int]) -> bool:
    for f in r.findings:  # either side of the pair may be reported as the copy
        assert f.code == "COPY_MOVE_REGION" and f.data is not None
        src = tuple(f.data["source"])
        if max(iou(f.region, box), iou(src, box)) > 0.4:  # type: ignore[arg-type]
            return True
    return False


def test_copied_regions_are_found() -> None:
    # natural texture (odd seeds) and text documents (even seeds); a copy of mostly blank
    # paper or of one text line is not distinguishable from genuine repetition, so the
    # rate on documents is below 1 (see docs/findings-forensics.md)
    hits = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        base = natural_image(rng, 600, 900) if seed % 2 else document_image(rng, 600, 900)
        data, box = copy_move(np.random.default_rng(seed + 10), base, forged=True, q2=90,
                              frac=0.25)
        assert box is not None
        r = copymove(data)
        ok = r.score is not None and r.score >= 0.5 and _located(r, box)
        if ok:
            x, y, w, h = box
            assert r.heatmap is not None
            assert float(r.heatmap[y:y + h, x:x + w].mean()) > 0.2
        hits.append(ok)
    assert all(hits[1::2]), hits  # every natural-texture copy
    assert sum(hits) >= 4, hits


@pytest.mark.parametrize("seed", range(4))
def test_genuine_repetition_is_not_flagged(seed: int) -> None:
    # guilloche bands, rosette, repeated words and labels, MRZ filler runs
    img = repetitive_document(np.random.default_rng(seed), 600, 900)
    r = copymove(jpeg_bytes(img, quality=90))
    assert r.score == 0.0 and not r.findings, r.data["candidates"]
    reasons = {c["rejected"] for c in r.data["candidates"]}
    assert None not in reasons


def test_plain_images_are_not_flagged() -> None:
    for seed in range(3):
        rng = np.random.default_rng(seed)
        for img in (natural_image(rng, 480, 640), document_image(rng, 480, 720)):
            r = copymove(jpeg_bytes(img, quality=85))
            assert r.score == 0.0 and not r.findings, r.data["candidates"]


def test_flat_image_has_no_keypoints_and_scores_zero() -> None:
    r = copymove(np.full((300, 400, 3), 200, np.uint8))
    assert r.status == "ok" and r.score == 0.0 and r.data["keypoints"] == 0
