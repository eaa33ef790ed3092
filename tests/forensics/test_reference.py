"""The reference detector tells a re-drawn background from the design's own."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from docfraud.errors import ModelError
from docfraud.forensics import Analysis, DetectorResult, run_detectors
from docfraud.mrz import parse
from docfraud.reference import load_library
from docfraud.score import features
from docfraud.screen import analyse
from docfraud.synth import DESIGNS, iter_documents

#: a development seed of its own (docs/benchmarks.md; not an evaluation seed)
SEED = 8383


@functools.lru_cache(maxsize=1)
def _documents() -> list[tuple[str, bytes]]:
    return [(doc.truth["label"], doc.data) for doc in iter_documents(
        genuine=5, forged=5, workshops=0, seed=SEED, operators=["counterfeit"],
        null_rate=0.0, decode=False)]


@functools.lru_cache(maxsize=1)
def _results() -> list[tuple[str, DetectorResult]]:
    out = []
    for label, data in _documents():
        _, results, _ = analyse(data, detectors=["reference"])
        out.append((label, results[0]))
    return out


def test_library_holds_every_synthetic_design() -> None:
    library = load_library()
    assert sorted(d.name for d in library.designs) == sorted(DESIGNS)
    for design in library.designs:
        page, static, portrait, printed = design.images()
        assert page.shape == static.shape == portrait.shape == printed.shape
        assert 0.3 < static.mean() < 0.7 and portrait.any() and not (static & portrait).any()
        # the static print (title, labels, emblem) is a part of the static area
        assert 0.02 < printed.mean() < 0.3 and not (printed & ~static).any()
        assert design.portrait_box is not None
        x, y, w, h = design.portrait_box
        assert portrait[y + h // 2, x + w // 2] and x + w <= page.shape[1]
    with_ghost = {d.name for d in library.designs if d.ghost_box is not None}
    assert with_ghost == {n for n in DESIGNS if DESIGNS[n].ghost is not None}


def test_design_is_identified_by_format_code_state_and_number_series() -> None:
    library = load_library()
    uto = parse(["P<UTOSMITH<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
                 "UT12345674UTO8001014F3001012<<<<<<<<<<<<<<02"])
    found = library.identify(uto)
    assert found is not None and found.name == "uto_passport_2020"
    # ICAO's own Utopia specimen: same state and code, another number series
    icao = parse(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                  "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
    assert library.identify(icao) is None
    assert library.identify(None) is None


def test_missing_library_is_empty_and_a_broken_one_an_error(tmp_path: Path) -> None:
    assert load_library(tmp_path / "none").designs == ()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "index.json").write_text(json.dumps({"designs": [{"name": "x"}]}))
    with pytest.raises(ModelError):
        load_library(broken)


def test_genuine_documents_match_their_reference_and_counterfeits_do_not() -> None:
    results = _results()
    genuine = [r for label, r in results if label == "genuine"]
    forged = [r for label, r in results if label == "forged"]
    assert len(genuine) == 5 and len(forged) == 5
    for r in genuine:
        assert r.status == "ok", r.reason
        assert r.data["background_corr"] > 0.6, r.data
        assert "REFERENCE_BACKGROUND_MISMATCH" not in [f.code for f in r.findings]
    flagged = [r for r in forged
               if "REFERENCE_BACKGROUND_MISMATCH" in [f.code for f in r.findings]]
    assert len(flagged) >= 4, [r.data for r in forged]
    assert max(r.data["background_corr"] for r in flagged) < min(
        r.data["background_corr"] for r in genuine)
    assert min(r.score or 0.0 for r in flagged) > max(r.score or 0.0 for r in genuine)
    for r in flagged:
        assert r.heatmap is not None and r.heatmap.max() > 0.5
        finding = next(f for f in r.findings if f.code == "REFERENCE_BACKGROUND_MISMATCH")
        assert finding.region is not None


def test_not_applicable_without_mrz_and_missing_in_fusion() -> None:
    r = run_detectors(Analysis.from_source(np.full((300, 400, 3), 200, np.uint8)),
                      ["reference"])[0]
    assert r.status == "not_applicable" and r.reason
    # a document outside the library has no reference features at all (missing values,
    # which the fusion is trained for), not the values of a perfect match
    assert not [k for k in features([r]) if k.startswith("reference.")]


def test_fusion_is_trained_for_documents_without_reference() -> None:
    from docfraud.score import fit, load_model

    assert "reference." in load_model().meta["augment_without"]
    rows = [{"a.score": float(i % 7), "reference.background_mismatch": 0.9 * (i % 2)}
            for i in range(80)]
    labels = [i % 2 for i in range(80)]
    model = fit(rows, labels, calibration_rows=rows, calibration_labels=labels,
                method="trees", augment_without=("reference.",))
    # without the reference feature the model falls back on what else it has: a document
    # lacking it is scored near the middle, not as a perfect match (a clear genuine)
    without = model.probability({"a.score": 3.0})
    matched = model.probability({"a.score": 3.0, "reference.background_mismatch": 0.0})
    mismatched = model.probability({"a.score": 3.0, "reference.background_mismatch": 0.9})
    assert matched < without < mismatched


def test_a_card_cut_off_by_the_photo_is_compared_where_it_is_seen() -> None:
    """Cells outside the photographed image are left out, not counted as mismatches."""
    from docfraud.imageio import load_document

    label, data = next((lab, d) for lab, d in _documents() if lab == "genuine")
    pixels = load_document(data).pixels
    analysis, results, _ = analyse(pixels, detectors=["reference"])
    full = results[0]
    assert full.status == "ok" and full.data["background_corr"] > 0.6
    # cut the image through the card, keeping the MRZ (the card is placed from it)
    region = analysis.mrz.extra["region"] if analysis.mrz else None
    assert region is not None
    x, y, w, h = region
    cut = np.ascontiguousarray(pixels[max(0, y - 3 * h):, :])
    cropped = analyse(cut, detectors=["reference"])[1][0]
    if cropped.status == "ok":
        assert cropped.data["card_inside"] < 0.9
        assert cropped.data["background_corr"] > 0.6, cropped.data
        assert "REFERENCE_BACKGROUND_MISMATCH" not in [f.code for f in cropped.findings]
    else:
        assert cropped.status == "not_applicable" and "image" in (cropped.reason or "")


def test_no_reason_names_a_detector_that_did_not_run() -> None:
    from docfraud.score import fuse

    n_a = DetectorResult("reference", status="not_applicable", reason="not in the library")
    mrz_like = DetectorResult("portrait", 0.9)
    risk = fuse([n_a, mrz_like])
    assert not [r for r in risk.reasons if "reference" in r.lower()], risk.reasons
    assert not [k for k in risk.contributions if k.startswith("reference.")]
