"""The portrait detector finds traces of photo substitution."""

from __future__ import annotations

import functools

import numpy as np
from sklearn.metrics import roc_auc_score

from docfraud.forensics import Analysis, DetectorResult, run_detectors
from docfraud.forensics.portrait import find_photo, ghost_similarity
from docfraud.synth import iter_documents
from tests.forensics.synth_zones import synth_analysis


def test_find_photo_locates_a_rectangle_in_a_larger_zone() -> None:
    rng = np.random.default_rng(0)
    gray = np.full((300, 250), 225.0, np.float32) + rng.normal(0, 2, (300, 250)).astype(np.float32)
    gray[40:270, 35:215] = 150.0  # the photo, darker than the page
    gray[120:200, 80:170] = 60.0  # some content inside it
    x0, y0, x1, y1 = find_photo(gray, (25, 25, 225, 275))
    assert abs(x0 - 35) <= 2 and abs(x1 - 215) <= 2 and abs(y0 - 40) <= 2 and abs(y1 - 270) <= 2


def test_ghost_detail_tells_the_same_face_from_another() -> None:
    import cv2

    from docfraud.synth.portrait import render_portrait

    a = render_portrait(11, "F", 40, (210, 270)).astype(np.float32) @ np.array(
        [0.299, 0.587, 0.114], np.float32)
    b = render_portrait(12345, "F", 40, (210, 270)).astype(np.float32) @ np.array(
        [0.299, 0.587, 0.114], np.float32)
    # a ghost: the photo shrunk, faded and multiplied into a pale page with lines
    page = np.full((320, 260), 230.0, np.float32)
    page[::7, :] -= 25.0
    ghost = cv2.resize(a, (120, 154), interpolation=cv2.INTER_AREA) / 255.0
    page[60:214, 70:190] *= 1.0 - 0.45 * (1.0 - ghost)
    same = ghost_similarity(a, page, px_per_mm=10.0)
    other = ghost_similarity(b, page, px_per_mm=10.0)
    assert same["detail"] > other["detail"] + 0.2, (same, other)
    gx, gy, gw, gh = same["box"]
    assert abs(gx + gw / 2 - 130) < 15 and abs(gy + gh / 2 - 137) < 15


def test_not_applicable_without_portrait_zone() -> None:
    r = run_detectors(Analysis.from_source(np.full((200, 300, 3), 128, np.uint8)), ["portrait"])[0]
    assert r.status == "not_applicable" and r.reason


@functools.lru_cache(maxsize=1)
def _results() -> list[tuple[int, DetectorResult, tuple[int, int], str]]:
    out = []
    for seed in (7171, 7272):
        for doc in iter_documents(genuine=7, forged=7, workshops=0, seed=seed,
                                  operators=["photo_substitution"]):
            analysis = synth_analysis(doc)
            r = run_detectors(analysis, ["portrait"])[0]
            out.append((int(doc.truth["label"] == "forged"), r, analysis.shape,
                        doc.truth["design"]))
    return out


def test_substituted_photos_score_higher_than_genuine() -> None:
    results = _results()
    labels = [y for y, _, _, _ in results]
    scores = [r.score for _, r, _, _ in results]
    assert all(r.status == "ok" for _, r, _, _ in results)
    assert sum(labels) == 14 and len(labels) == 28
    # all designs: weak (designs without a ghost image only have the noise comparison)
    auc = roc_auc_score(labels, scores)
    assert auc >= 0.65, auc


def test_ghost_image_exposes_substitution_on_designs_with_a_ghost() -> None:
    with_ghost = {"uto_passport_2020", "uto_id_2019", "uto_id_2008"}
    results = [(y, r) for y, r, _, design in _results() if design in with_ghost]
    forged = [r.score for y, r in results if y == 1]
    genuine = [r.score for y, r in results if y == 0]
    assert len(forged) >= 4 and len(genuine) >= 4
    assert np.mean(forged) > np.mean(genuine) + 0.3, (forged, genuine)
    assert roc_auc_score([1] * len(forged) + [0] * len(genuine), forged + genuine) >= 0.85


def test_results_are_well_formed() -> None:
    for _, r, shape, _ in _results():
        assert r.heatmap is not None and r.heatmap.shape == shape
        assert r.data["photo_region"] is not None
        for f in r.findings:
            assert f.region is not None


def test_odd_inputs_with_zones_never_fail() -> None:
    from docfraud.mrz import parse

    mrz = parse(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                 "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
    rng = np.random.default_rng(5)
    images = [np.zeros((300, 400, 3), np.uint8), np.full((300, 400, 3), 255, np.uint8),
              (rng.random((300, 400, 3)) * 255).astype(np.uint8)]
    zone_sets = [
        {"portrait": (10, 10, 150, 200), "ghost_search": (250, 20, 140, 200),
         "viz": (170, 10, 220, 250)},
        {"portrait": (350, 250, 200, 200), "viz": (390, 290, 50, 50)},  # mostly outside
        {"portrait": (0, 0, 400, 300), "ghost_search": (0, 0, 400, 300),
         "viz": (0, 0, 400, 300), "back_viz": (0, 0, 400, 300)},
    ]
    for img in images:
        for zones in zone_sets:
            analysis = Analysis.from_source(img, mrz=mrz, zones=zones)
            for r in run_detectors(analysis, ["portrait", "vizcheck"]):
                assert r.status in ("ok", "not_applicable"), (r.detector, r.reason)
                if r.heatmap is not None:
                    assert r.heatmap.shape == analysis.shape


def test_mismatching_ghost_is_suspicious_only_where_a_ghost_was_found() -> None:
    from docfraud.forensics.portrait import combine

    found = {"ghost": 0.0, "ghost_shape": 0.8}
    not_found = {"ghost": 0.0, "ghost_shape": 0.4}
    matching = {"ghost": 0.8, "ghost_shape": 0.4}
    assert combine(found, {}) > 0.7
    assert combine(not_found, {}) <= 0.5  # no ghost found: neither suspicion nor credit
    assert combine(matching, {}) < 0.1  # a matching ghost vouches, whatever its outline
