"""Fusion features and the boosted-tree fusion model (docfraud.score)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from docfraud.findings import Finding
from docfraud.forensics.base import DetectorResult
from docfraud.score import FusionModel, feature_direction, features, fit


def _results(*, check_fail: bool, confidence: float, validity: float | None,
             width_dev: float) -> list[DetectorResult]:
    findings = [Finding("MRZ_CHECK_DIGIT_BIRTH_DATE", "high", "x", "mrz")] if check_fail else []
    viz_data: dict[str, object] = {"words": 20, "read": {"birth_date": "match",
                                                         "surname": "absent"},
                                   "dates": ["1980-01-01", "2020-01-01", "2030-01-01"],
                                   "print": {"runs": 8, "width_per_char_dev": width_dev}}
    if validity is not None:
        viz_data["validity_years"] = validity
    return [
        DetectorResult("mrz", 0.9 if check_fail else 0.0, findings=findings,
                       data={"found": True, "confidence": confidence,
                             "min_char_confidence": confidence, "personal_number_birth": -1.0}),
        DetectorResult("vizcheck", 0.0, data=viz_data),
        DetectorResult("mrzprint", 0.1, data={"pitch_per_height": 1.2,
                                              "cell_height_dev": width_dev}),
        DetectorResult("jpeg", None, status="not_applicable", reason="png"),
    ]


def test_features_read_detector_data() -> None:
    f = features(_results(check_fail=True, confidence=0.5, validity=15.0, width_dev=0.2))
    assert f["mrz.check_digits"] == 1.0 and f["mrz.data.min_char_confidence"] == 0.5
    assert f["mrz.personal_number_mismatch"] == 1.0 and f["mrz.personal_number_match"] == 0.0
    assert f["vizcheck.read.birth_date"] == 1.0 and f["vizcheck.read.surname"] == -1.0
    assert f["vizcheck.validity_excess"] == pytest.approx(5.0)
    assert f["mrz.checks_failed_sure"] == 0.5
    assert f["mrzprint.data.cell_height_dev"] == 0.2 and f["vizcheck.dates"] == 3.0
    # the visual zone's print measures are reported, not fused (no signal on training data)
    assert not any(k.startswith("vizcheck.print.") for k in f)
    assert f["mrzprint.pitch_geometry"] == pytest.approx(abs(1.2 - 2.54 / 2.35))
    assert f["jpeg.ran"] == 0.0 and f["jpeg.score"] == 0.0
    # measurements a detector did not make are missing, not zero
    g = features(_results(check_fail=False, confidence=0.9, validity=None, width_dev=0.01))
    assert "vizcheck.validity_excess" not in g and "jpeg.data.quality" not in g


def _training_rows(n: int, seed: int) -> tuple[list[dict[str, float]], list[int]]:
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for i in range(n):
        forged = i % 2
        # a check-digit failure means forgery only when the reader was confident
        confident = rng.random() < 0.6
        fail = bool(rng.random() < (0.8 if forged and confident else 0.3 if not confident
                                    else 0.02))
        feats = features(_results(
            check_fail=fail, confidence=0.95 if confident else 0.4,
            validity=float(rng.choice([10.0, 14.0])) if forged and rng.random() < 0.3 else 10.0,
            width_dev=float(rng.normal(0.18 if forged else 0.06, 0.04))))
        if rng.random() < 0.2:
            feats.pop("mrzprint.data.cell_height_dev")
        rows.append(feats)
        labels.append(forged)
    return rows, labels


@pytest.mark.parametrize("method", ["trees", "logistic"])
def test_fit_separates_and_round_trips(method: str, tmp_path: object) -> None:
    from pathlib import Path

    from sklearn.metrics import roc_auc_score

    rows, labels = _training_rows(300, 1)
    cal, cal_labels = _training_rows(200, 2)
    model = fit(rows, labels, calibration_rows=cal, calibration_labels=cal_labels,
                method=method)  # type: ignore[arg-type]
    test, test_labels = _training_rows(200, 3)
    risks = [model.probability(r) for r in test]
    assert roc_auc_score(test_labels, risks) > 0.85
    assert all(0.0 <= p <= 1.0 for p in risks)
    assert 0.0 < model.thresholds["refer"] <= model.thresholds["reject"] <= 1.0
    path = Path(str(tmp_path)) / "fusion.json"
    model.save(path)
    again = FusionModel.from_dict(__import__("json").loads(path.read_text()))
    assert [again.probability(r) for r in test] == pytest.approx(risks)
    # contributions add up to the logit
    z, contributions = model.logit(test[0])
    base = model.baseline + sum(t.value[0] for t in model.trees) if model.trees else \
        model.intercept
    assert base + sum(c for _, c in contributions) == pytest.approx(z)


def test_tree_export_matches_sklearn() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rows, labels = _training_rows(300, 4)
    cal, cal_labels = _training_rows(100, 5)
    model = fit(rows, labels, calibration_rows=cal, calibration_labels=cal_labels,
                method="trees")
    names = model.feature_names
    x = np.array([[r.get(n, np.nan) for n in names] for r in rows])
    options = dict(model.meta["tree_options"])
    assert model.meta["monotone"] is True
    directions = model.meta["directions"]
    assert directions  # the test rows hold constrained features
    options["monotonic_cst"] = [directions.get(n, 0) for n in names]
    clf = HistGradientBoostingClassifier(**options).fit(x, labels)
    expected = clf.decision_function(x)
    got = [model.logit(r)[0] for r in rows]
    assert np.allclose(got, expected, atol=1e-9)
    assert any(math.isnan(v) for v in x.ravel())  # missing values were exercised


def test_reject_needs_a_named_anomaly() -> None:
    """A high risk from measurements alone is referred; a reject names something to check."""
    from docfraud.score import load_model, names_anomaly

    model = load_model()
    assert model.verdict(0.999, named_anomaly=True) == "reject"
    assert model.verdict(0.999, named_anomaly=False) == "refer"
    assert model.verdict(0.0, named_anomaly=True) == "clear"
    low = [DetectorResult("noise", 0.9, findings=[Finding("NOISE_INCONSISTENT_REGION", "low",
                                                          "x", "noise")])]
    high = _results(check_fail=True, confidence=0.9, validity=None, width_dev=0.1)
    assert not names_anomaly(low) and names_anomaly(high)
    assert names_anomaly([r.to_dict() for r in high]) and not names_anomaly([low[0].to_dict()])


def test_reject_needs_corroborated_findings() -> None:
    """An MRZ data error alone is referred; two detectors, or a high print or image
    finding, can carry a reject."""
    from docfraud.score import corroborated_anomaly

    def result(detector: str, *severities: str) -> DetectorResult:
        return DetectorResult(detector, 0.9, findings=[
            Finding(f"{detector.upper()}_X{i}", s, detector, "x")
            for i, s in enumerate(severities)])

    check_digit = result("mrz", "high", "high")
    assert not corroborated_anomaly([check_digit])
    assert not corroborated_anomaly([check_digit, result("noise", "low")])
    assert corroborated_anomaly([check_digit, result("vizcheck", "medium")])
    assert corroborated_anomaly([result("reference", "high")])
    assert not corroborated_anomaly([result("portrait", "medium")])
    assert corroborated_anomaly([r.to_dict() for r in (check_digit, result("copymove",
                                                                          "medium"))])
    # editing software in the file's metadata is about the file, not the document
    assert not corroborated_anomaly([check_digit, result("metadata", "medium")])


def test_feature_directions() -> None:
    from docfraud.score import FEATURE_DIRECTION, load_model

    # every constrained name is a real fusion feature (a misspelt key would leave it free)
    assert set(FEATURE_DIRECTION) <= set(load_model().feature_names)
    assert feature_direction("copymove.score") == 1
    assert feature_direction("learned.findings") == 1
    assert feature_direction("mrz.check_digits") == 1
    assert feature_direction("mrz.data.min_char_confidence") == -1
    assert feature_direction("portrait.data.ghost") == -1
    assert feature_direction("vizcheck.read.document_number") == -1
    assert feature_direction("portrait.data.noise") == 0
    assert feature_direction("portrait.data.ghost_shape") == 0
    assert feature_direction("jpeg.ran") == 0


@pytest.mark.parametrize("monotone", [True, False])
@pytest.mark.parametrize(("name", "direction"), [("noise.score", 1),
                                                 ("portrait.data.ghost", -1)])
def test_monotone_trees_follow_the_feature_direction(monotone: bool, name: str,
                                                      direction: int) -> None:
    """Training data where a feature runs against its direction: the constrained model
    stays flat in it, the unconstrained one learns the opposite direction."""
    rng = np.random.default_rng(0)
    rows, labels = [], []
    for _ in range(400):
        y = int(rng.random() < 0.5)
        other = rng.normal(1.0 if y else 0.0, 0.7)
        # against the direction: forged documents get the low (direction +1) or the
        # high (direction -1) values
        centre = (0.3 if y else 0.7) if direction > 0 else (0.7 if y else 0.3)
        value = float(np.clip(rng.normal(centre, 0.15), 0, 1))
        rows.append({name: value, "copymove.score": other})
        labels.append(y)
    model = fit(rows, labels, calibration_rows=rows, calibration_labels=labels,
                method="trees", monotone=monotone)
    logits = [model.logit({name: v, "copymove.score": 0.5})[0]
              for v in np.linspace(0, 1, 21)]
    steps = direction * np.diff(logits)  # > 0: the risk moves the allowed way
    if monotone:
        assert (steps >= -1e-12).all()
    else:
        assert steps.min() < -0.1


def test_directions_override_frees_a_feature() -> None:
    rng = np.random.default_rng(1)
    rows, labels = [], []
    for _ in range(400):
        y = int(rng.random() < 0.5)
        score = float(np.clip(rng.normal(0.3 if y else 0.7, 0.15), 0, 1))  # against +1
        rows.append({"noise.score": score, "copymove.score": rng.normal(y, 0.7)})
        labels.append(y)
    model = fit(rows, labels, calibration_rows=rows, calibration_labels=labels,
                method="trees", monotone=True, directions={"noise.score": 0})
    logits = [model.logit({"noise.score": v, "copymove.score": 0.5})[0]
              for v in np.linspace(0, 1, 21)]
    assert np.diff(logits).min() < -0.1  # freed: it learns the data's direction
    assert "noise.score" not in model.meta["directions"]


def test_unread_mrz_is_never_clear() -> None:
    """No MRZ read means nothing was checked: at least 'refer', with the reason named."""
    from docfraud.score import fuse

    unread = Finding("MRZ_NOT_FOUND", "medium", "no readable machine readable zone: blank; "
                     "check the document by hand", "mrz")
    results = [DetectorResult("mrz", 0.5, findings=[unread]),
               DetectorResult("noise", 0.0)]
    empty = FusionModel(feature_names=(), coef=(), intercept=-10.0, mean=(), scale=())
    risk = fuse(results, model=empty)
    assert risk.score < 0.01
    assert risk.verdict == "refer"
    assert risk.reasons[0].startswith("MRZ_NOT_FOUND")
    read = fuse([DetectorResult("mrz", 0.0)], model=empty)
    assert read.verdict == "clear"


def test_unsure_mrz_reading_is_treated_as_unread_for_the_verdict() -> None:
    """MRZ-like text read unsurely (MRZ_UNSURE_READING): never 'clear'; 'reject' only where
    detectors that do not work from the MRZ corroborate it -- its data findings and the
    findings of detectors that work from its reading or placement do not; the fusion
    judges it without the MRZ's and the visual-zone check's features (misreadings, not
    evidence)."""
    from docfraud.score import final_verdict, fuse

    def results(unsure: bool, *, jpeg: bool = False) -> list[DetectorResult]:
        mrz = [Finding("MRZ_CHECK_DIGIT_BIRTH_DATE", "high", "x", "mrz"),
               Finding("MRZ_DOCUMENT_CODE_INVALID", "medium", "x", "mrz")]
        if unsure:
            mrz.append(Finding("MRZ_UNSURE_READING", "medium", "read too unsurely", "mrz"))
        out = [DetectorResult("mrz", 0.9, findings=mrz, data={"found": True,
                                                              "confidence": 0.45}),
               DetectorResult("vizcheck", 0.8, findings=[
                   Finding("VIZ_BIRTH_DATE_MISMATCH", "high", "x", "vizcheck")])]
        if jpeg:
            out.append(DetectorResult("jpeg", 0.9, findings=[
                Finding("JPEG_DOUBLE_COMPRESSED", "high", "x", "jpeg")]))
        return out

    high = FusionModel(feature_names=(), coef=(), intercept=10.0, mean=(), scale=())
    low = FusionModel(feature_names=(), coef=(), intercept=-10.0, mean=(), scale=())
    assert fuse(results(False), model=high).verdict == "reject"
    unsure = fuse(results(True), model=high)
    assert unsure.verdict == "refer" and unsure.reasons[0].startswith("MRZ_UNSURE_READING")
    assert fuse(results(True, jpeg=True), model=high).verdict == "reject"
    assert fuse(results(True), model=low).verdict == "refer"
    sure_features = features(results(False))
    assert features(results(True)) == {
        k: v for k, v in sure_features.items() if not k.startswith(("mrz.", "vizcheck."))}
    assert "mrz.check_digits" in sure_features and "vizcheck.findings" in sure_features
    # the evaluation recomputes verdicts from stored result dicts: the same rule
    for model in (high, low):
        for unsure_, jpeg in ((False, False), (True, False), (True, True)):
            rs = results(unsure_, jpeg=jpeg)
            risk = fuse(rs, model=model)
            assert final_verdict(model, risk.score, [r.to_dict() for r in rs])[0] == \
                risk.verdict


def test_mrz_detector_reports_an_unsure_reading_outside_its_score() -> None:
    from docfraud.forensics.base import Analysis
    from docfraud.forensics.mrzlogic import UNSURE_READING_CONFIDENCE, MrzLogicDetector
    from docfraud.mrz import parse

    lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
             "L898902C36UTO7408122F1204159ZE184226B<<<<<11"]  # one check digit wrong
    base = parse(lines)
    assert not base.check_digits_valid
    detector = MrzLogicDetector()
    pixels = np.zeros((64, 64, 3), np.uint8)

    def run(confidence: float) -> DetectorResult:
        mrz = parse(lines)
        mrz.extra["confidence"] = confidence
        return detector.run(Analysis.from_source(pixels, mrz=mrz))

    unsure, sure = run(UNSURE_READING_CONFIDENCE - 0.1), run(0.95)
    assert "MRZ_UNSURE_READING" in {f.code for f in unsure.findings}
    assert "MRZ_UNSURE_READING" not in {f.code for f in sure.findings}
    assert unsure.score == sure.score


def test_a_garbled_reading_is_unsure_however_confident() -> None:
    """Two different structural findings (codes, fillers, dates) mark a misread MRZ -- a
    grid a cell off reads 'DUTO...' for 'PDUTO...' with misplaced fillers -- whatever the
    reader's confidence: the detector says MRZ_UNSURE_READING (outside its score), and
    results stored before that rule are recognised by their codes alone. One structural
    finding (an issuer's odd code) is evidence as before."""
    from docfraud.forensics.base import Analysis
    from docfraud.forensics.mrzlogic import MrzLogicDetector, garbled
    from docfraud.mrz import parse
    from docfraud.score import mrz_unsure

    detector = MrzLogicDetector()
    pixels = np.zeros((64, 64, 3), np.uint8)

    def run(lines: list[str]) -> DetectorResult:
        mrz = parse(lines)
        mrz.extra["confidence"] = 0.95
        return detector.run(Analysis.from_source(pixels, mrz=mrz))

    shifted = run(["DUTONOVAK<<JIRI<<<<<<<<<<<<<<<<<<<<<<<<<<<<T",
                   "D5435219<2UTO4003124M2908133<<<<<<<<<<<<<<<6"])
    codes = {f.code for f in shifted.findings}
    assert garbled(codes) and "MRZ_UNSURE_READING" in codes
    assert "MRZ_CHECK_DIGIT_BIRTH_DATE" not in codes  # no check digit needs to fail
    odd = run(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
               "L898902C36XYZ7408122F1204159ZE184226B<<<<<10"])
    odd_codes = {f.code for f in odd.findings}
    assert "MRZ_NATIONALITY_UNKNOWN" in odd_codes and not garbled(odd_codes)
    assert "MRZ_UNSURE_READING" not in odd_codes
    assert shifted.score == run(["DUTONOVAK<<JIRI<<<<<<<<<<<<<<<<<<<<<<<<<<<<T",
                                 "D5435219<2UTO4003124M2908133<<<<<<<<<<<<<<<6"]).score
    stored = shifted.to_dict()
    stored["findings"] = [f for f in stored["findings"] if f["code"] != "MRZ_UNSURE_READING"]
    assert mrz_unsure([stored]) and mrz_unsure([shifted]) and not mrz_unsure([odd])
    assert not features([DetectorResult.from_dict(stored)]).keys() & {"mrz.found", "mrz.codes"}


def test_augment_groups_teach_the_fusion_to_judge_without_their_features() -> None:
    """A training row's copy without an augment group's features weighs
    AUGMENT_GROUP_WEIGHT: a document without the MRZ's features is then judged from the
    others (here 'a.x', which alone separates the classes), while documents with them
    still are judged mostly by them."""
    from docfraud.score import fit

    rng = np.random.default_rng(0)
    rows, labels = [], []
    for i in range(400):
        y = i % 2
        rows.append({"a.x": float(y + rng.normal(0, 0.4)), "mrz.c": float(y)})
        labels.append(y)
    model = fit(rows, labels, calibration_rows=rows, calibration_labels=labels,
                method="trees", monotone=False, augment_groups=[("mrz.",)])
    assert model.meta["augment_groups"] == [["mrz."]]
    assert model.probability({"a.x": 1.0}) > 0.8 > 0.2 > model.probability({"a.x": 0.0})
    plain = fit(rows, labels, calibration_rows=rows, calibration_labels=labels,
                method="trees", monotone=False)
    assert abs(plain.probability({"a.x": 1.0}) - plain.probability({"a.x": 0.0})) < \
        model.probability({"a.x": 1.0}) - model.probability({"a.x": 0.0})


def test_measurement_reasons_must_hold_and_raise_the_risk() -> None:
    """A measurement without a finding is put into words only when what the words say
    holds for the document and the measurements raise the log-odds by at least
    MEASURE_REASON_MIN against the same document without them: never a 'year differs'
    credited while no year differs, never 'MRZ print' words beside an mrzprint detector
    showing nothing; a referred document without any such reason still gets one."""
    from docfraud.score import MEASURE_REASON_MIN, fuse

    def reasons(names: tuple[str, ...], coef: tuple[float, ...], mean: tuple[float, ...],
                results: list[DetectorResult], intercept: float = 0.0) -> list[str]:
        model = FusionModel(feature_names=names, coef=coef, intercept=intercept,
                            mean=mean, scale=(1.0,) * len(names))
        return list(fuse(results, model=model).reasons)

    assert MEASURE_REASON_MIN == 0.5
    cell = ("mrzprint.data.cell_corr_gap",)

    def mrzprint(score: float, gap: float) -> list[DetectorResult]:
        return [DetectorResult("mrz", 0.0),
                DetectorResult("mrzprint", score, data={"cell_corr_gap": gap})]

    shown = reasons(cell, (1.0,), (0.0,), mrzprint(0.5, 0.9))
    assert shown and shown[0].startswith("some MRZ characters are printed differently")
    assert not any("MRZ" in r for r in reasons(cell, (1.0,), (0.0,), mrzprint(0.0, 0.9)))
    assert not any("MRZ" in r for r in reasons(cell, (1.0,), (0.0,), mrzprint(0.5, 0.3)))
    # a linear model credits year_differs = 0 with +1 (its mean is 1, its weight -1):
    # no year differs, so no such words
    year = ("vizcheck.year_differs",)
    viz = [DetectorResult("mrz", 0.0), DetectorResult("vizcheck", 0.0, data={"words": 20})]
    said = reasons(year, (-1.0,), (1.0,), viz, intercept=2.0)
    assert not any("another year" in r for r in said), said
    assert said == ["several measurements together raise the risk; no detector found an "
                    "anomaly of its own"]


def test_row_weights_shift_the_fit_towards_the_weighted_documents() -> None:
    """Forged documents of a kind that weigh more (train_fusion --kind-weights) are scored
    higher by the refitted model than without their weight; weights of 1 change nothing."""
    from docfraud.score import fit_crossfitted

    rng = np.random.default_rng(7)
    rows, labels, hard = [], [], []
    for i in range(400):
        forged = i % 2
        # half the forged documents are "hard": their trace is a weak shift of one measure
        weak = bool(forged and i % 4 == 1)
        mean = 0.09 if weak else 0.2 if forged else 0.06
        rows.append(features(_results(check_fail=False, confidence=0.9, validity=None,
                                      width_dev=float(rng.normal(mean, 0.04)))))
        labels.append(forged)
        hard.append(weak)
    quick = {"max_iter": 60}
    plain = fit_crossfitted(rows, labels, method="trees", trees=quick)
    same = fit_crossfitted(rows, labels, method="trees", trees=quick,
                           row_weights=[1.0] * len(rows))
    assert [same.probability(r) for r in rows] == [plain.probability(r) for r in rows]
    heavy = fit_crossfitted(rows, labels, method="trees", trees=quick,
                            row_weights=[4.0 if h else 1.0 for h in hard])
    weak_rows = [r for r, h in zip(rows, hard, strict=True) if h]
    assert (np.mean([heavy.logit(r)[0] for r in weak_rows])
            > np.mean([plain.logit(r)[0] for r in weak_rows]) + 0.2)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan")])
def test_row_weights_must_be_positive_numbers(bad: float) -> None:
    rows, labels = _training_rows(40, 9)
    with pytest.raises(ValueError):
        fit(rows, labels, calibration_rows=rows, calibration_labels=labels, method="trees",
            row_weights=[1.0] * 39 + [bad])
