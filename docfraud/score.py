"""Fusion: one calibrated risk score, a verdict and its reasons from all detector outputs.

The fusion model is a logistic regression over a fixed list of features drawn from the
detector results (each detector's score and status, counts of its findings by severity,
and MRZ facts such as failed check digits). It is fitted on synthetic documents by
``scripts/train_fusion.py``, Platt-calibrated on a separate split, and stored as JSON in
``models/fusion.json`` together with the verdict thresholds, which are set for stated
false-alarm rates on genuine calibration documents. Inference needs only NumPy.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from docfraud.errors import ModelError

if TYPE_CHECKING:
    from docfraud.forensics.base import DetectorResult

logger = logging.getLogger(__name__)

Verdict = Literal["clear", "refer", "reject"]
MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "fusion.json"
_SEVERITY_WEIGHT = {"low": 0.25, "medium": 0.6, "high": 1.0}
#: MRZ finding codes grouped into the features the fusion model sees
MRZ_GROUPS: dict[str, tuple[str, ...]] = {
    "check_digits": ("MRZ_CHECK_DIGIT_DOCUMENT_NUMBER", "MRZ_CHECK_DIGIT_BIRTH_DATE",
                     "MRZ_CHECK_DIGIT_EXPIRY_DATE", "MRZ_CHECK_DIGIT_OPTIONAL_DATA"),
    "composite": ("MRZ_CHECK_DIGIT_COMPOSITE",),
    "codes": ("MRZ_DOCUMENT_CODE_INVALID", "MRZ_ISSUING_STATE_UNKNOWN",
              "MRZ_NATIONALITY_UNKNOWN"),
    "dates": ("MRZ_BIRTH_DATE_INVALID", "MRZ_EXPIRY_DATE_INVALID", "MRZ_BIRTH_AFTER_EXPIRY",
              "MRZ_VALIDITY_TOO_LONG"),
    "structure": ("MRZ_SEX_INVALID", "MRZ_NAME_EMPTY", "MRZ_NAME_INVALID_CHARACTER",
                  "MRZ_FILLER_MISPLACED", "MRZ_DOCUMENT_NUMBER_EMPTY",
                  "MRZ_NAME_SEPARATOR_MISSING"),
}


def features(results: Sequence[DetectorResult]) -> dict[str, float]:
    """The fusion features of one document, by name (missing detectors contribute nothing).

    For every detector ``d``: ``d.score`` (0 when it did not run), ``d.ran`` (1 when its
    status is ok) and ``d.findings`` (findings weighted by severity). For the MRZ
    detector also one count per group of :data:`MRZ_GROUPS` and ``mrz.found``.
    """
    out: dict[str, float] = {}
    for r in results:
        ran = r.status == "ok"
        out[f"{r.detector}.ran"] = 1.0 if ran else 0.0
        out[f"{r.detector}.score"] = float(r.score) if ran and r.score is not None else 0.0
        out[f"{r.detector}.findings"] = sum(_SEVERITY_WEIGHT[f.severity] for f in r.findings)
        if r.detector == "mrz":
            codes = [f.code for f in r.findings]
            for group, members in MRZ_GROUPS.items():
                out[f"mrz.{group}"] = float(sum(c in members for c in codes))
            out["mrz.found"] = 1.0 if r.data.get("found") else 0.0
    return out


@dataclass(frozen=True)
class FusionModel:
    """A fitted logistic fusion model with Platt calibration and verdict thresholds."""

    feature_names: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    platt_a: float = 1.0
    platt_b: float = 0.0
    thresholds: Mapping[str, float] = field(default_factory=lambda: {"refer": 0.5,
                                                                     "reject": 0.9})
    meta: Mapping[str, Any] = field(default_factory=dict)

    def logit(self, feats: Mapping[str, float]) -> tuple[float, list[tuple[str, float]]]:
        """Raw logit and each feature's contribution to it."""
        contributions = []
        z = self.intercept
        for name, c, m, s in zip(self.feature_names, self.coef, self.mean, self.scale,
                                 strict=True):
            x = (feats.get(name, 0.0) - m) / s
            contributions.append((name, c * x))
            z += c * x
        return z, contributions

    def probability(self, feats: Mapping[str, float]) -> float:
        z, _ = self.logit(feats)
        return _sigmoid(self.platt_a * z + self.platt_b)

    def verdict(self, risk: float) -> Verdict:
        if risk >= self.thresholds["reject"]:
            return "reject"
        if risk >= self.thresholds["refer"]:
            return "refer"
        return "clear"

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_names": list(self.feature_names), "coef": list(self.coef),
            "intercept": self.intercept, "mean": list(self.mean), "scale": list(self.scale),
            "platt_a": self.platt_a, "platt_b": self.platt_b,
            "thresholds": dict(self.thresholds), "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FusionModel:
        return cls(
            feature_names=tuple(d["feature_names"]), coef=tuple(d["coef"]),
            intercept=float(d["intercept"]), mean=tuple(d["mean"]), scale=tuple(d["scale"]),
            platt_a=float(d.get("platt_a", 1.0)), platt_b=float(d.get("platt_b", 0.0)),
            thresholds=dict(d["thresholds"]), meta=dict(d.get("meta", {})),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@cache
def load_model(path: Path = MODEL_PATH) -> FusionModel:
    """The fusion model stored in ``models/fusion.json``.

    Raises:
        ModelError: the file is missing or unreadable (run ``scripts/train_fusion.py``).
    """
    try:
        return FusionModel.from_dict(json.loads(Path(path).read_text()))
    except FileNotFoundError:
        raise ModelError(f"fusion model not found at {path}; run scripts/train_fusion.py") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"fusion model at {path} is unusable: {exc}") from None


@dataclass(frozen=True)
class Risk:
    """The fused judgement of one document.

    Attributes:
        score: calibrated probability in [0, 1] that the document is forged or altered
            (calibrated on synthetic data: treat it as a ranking, not a court figure).
        verdict: ``"clear"``, ``"refer"`` or ``"reject"``.
        reasons: plain-words reasons, strongest first.
        contributions: feature -> contribution to the logit, the largest few.
    """

    score: float
    verdict: Verdict
    reasons: tuple[str, ...] = ()
    contributions: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "contributions": {k: round(v, 3) for k, v in self.contributions.items()},
        }


def fuse(results: Sequence[DetectorResult], *, model: FusionModel | None = None) -> Risk:
    """Fuse detector results into a calibrated :class:`Risk`.

    Reasons list, for the features that pushed the score up most, the detector's
    strongest findings (or its score when it has none).
    """
    model = model or load_model()
    feats = features(results)
    z, contributions = model.logit(feats)
    risk = _sigmoid(model.platt_a * z + model.platt_b)
    verdict = model.verdict(risk)
    positive = sorted((c for c in contributions if c[1] > 0.05), key=lambda c: -c[1])
    by_detector = {r.detector: r for r in results}
    reasons: list[str] = []
    seen: set[str] = set()
    for name, _ in positive:
        detector = name.split(".", 1)[0]
        if detector in seen or detector not in by_detector:
            continue
        seen.add(detector)
        r = by_detector[detector]
        top = sorted(r.findings, key=lambda f: -_SEVERITY_WEIGHT[f.severity])[:2]
        if top:
            reasons.extend(f"{f.code}: {f.message}" for f in top)
        elif r.score is not None and r.score >= 0.3:
            # a low score can still raise the risk (a below-average value of a feature
            # the model weighs negatively), but it is no reason to give an officer
            reasons.append(f"{detector} detector score {r.score:.2f}")
        if len(reasons) >= 5:
            break
    if verdict == "clear" and not reasons:
        reasons.append("no detector found evidence of forgery")
    return Risk(score=risk, verdict=verdict, reasons=tuple(reasons),
                contributions=dict(positive[:6]))


def fit(
    rows: Iterable[Mapping[str, float]],
    labels: Sequence[int],
    *,
    calibration_rows: Iterable[Mapping[str, float]],
    calibration_labels: Sequence[int],
    false_alarm: Mapping[str, float] | None = None,
    l2: float = 1.0,
    meta: Mapping[str, Any] | None = None,
) -> FusionModel:
    """Fit a :class:`FusionModel` (training split) and calibrate it (calibration split).

    ``false_alarm`` gives, per verdict, the share of genuine calibration documents
    allowed at or above its threshold (default refer 5 %, reject 1 %).
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows = list(rows)
    cal_rows = list(calibration_rows)
    names = sorted({k for r in rows for k in r})
    x = np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=np.float64)
    y = np.asarray(labels)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    clf = LogisticRegression(C=1.0 / l2, max_iter=2000, class_weight="balanced")
    clf.fit((x - mean) / scale, y)
    model = FusionModel(tuple(names), tuple(float(c) for c in clf.coef_[0]),
                        float(clf.intercept_[0]), tuple(float(m) for m in mean),
                        tuple(float(s) for s in scale))
    zc = np.array([model.logit(r)[0] for r in cal_rows])
    yc = np.asarray(calibration_labels)
    platt = LogisticRegression(C=1e4, max_iter=1000).fit(zc[:, None], yc)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    probs = 1.0 / (1.0 + np.exp(-(a * zc + b)))
    genuine = np.sort(probs[yc == 0])
    targets = dict(false_alarm or {"refer": 0.05, "reject": 0.01})
    thresholds = {}
    for verdict, rate in targets.items():
        k = math.floor((1.0 - rate) * len(genuine))
        thresholds[verdict] = float(genuine[min(k, len(genuine) - 1)]) + 1e-6
    thresholds["reject"] = max(thresholds["reject"], thresholds["refer"])
    return FusionModel(model.feature_names, model.coef, model.intercept, model.mean,
                       model.scale, a, b, thresholds,
                       {**dict(meta or {}), "false_alarm_targets": targets})
