"""Fusion: one calibrated risk score, a verdict and its reasons from all detector outputs.

The fusion model is a logistic regression (or, optionally, gradient-boosted trees) over
a fixed list of features drawn from the detector results: each detector's score and
status, counts of its findings by severity, MRZ facts such as failed check digits and
how sure the reader was, and measurements the detectors record in their ``data`` (MRZ
print per character, visual-zone print consistency and validity period, portrait vs
ghost image). It is fitted on synthetic documents by
``scripts/train_fusion.py``, Platt-calibrated on a separate split, and stored as JSON in
``models/fusion.json`` together with the verdict thresholds, which are set for stated
false-alarm rates on genuine calibration documents. Inference needs only NumPy.
"""

from __future__ import annotations

import dataclasses
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


#: detector data (``DetectorResult.data``) used as features: detector -> keys; a value
#: that is missing or not a finite number is left out (the model treats it as missing)
DATA_FEATURES: dict[str, tuple[str, ...]] = {
    "mrz": ("confidence", "min_char_confidence", "engines", "repairs"),
    "mrzprint": ("pitch_spread", "pitch_max", "baseline_spread", "glyph_corr",
                 "glyph_corr_low", "cell_height_dev", "cell_height_outliers",
                 "cell_stroke_dev", "cell_stroke_outliers", "cell_corr_gap",
                 "cell_corr_outliers", "cell_top_dev", "glyph_self_max", "glyph_self_second",
                 "glyph_self_odd"),
    "vizcheck": ("words",),
    "portrait": ("ghost", "ghost_shape", "ghost_presence", "noise", "texture", "sharpness",
                 "blocking", "border"),
    "learned": ("portrait_mean", "portrait_vs_card"),
    "fieldprint": ("baseline_dev_max", "baseline_dev_second", "baseline_dev_ratio",
                   "baseline_z_max", "baseline_z_second", "width_dev_max",
                   "width_dev_second"),
}
#: How each fusion feature may move the risk, fixed from what it measures (not from
#: data): +1 a higher value never lowers the risk (detector scores, findings, failed
#: checks, print deviations), -1 a higher value never raises it (the ghost image's
#: details matching the photo, the visual zone agreeing with the MRZ, and the MRZ
#: reader's confidence -- a reading-quality measure: an MRZ the OCR-B reader reads
#: poorly may be printed in another font, or only be a poor capture), 0 either way (the
#: ghost's outline match is free: a ghost of another person shares the outline but not
#: the details). Features not named here and not ending in ``.score`` or ``.findings``
#: are free (0). Used as monotonic constraints of the boosted trees: a model fitted on
#: synthetic documents cannot learn that a stronger trace lowers the risk, a shape that
#: need not hold on real prints.
FEATURE_DIRECTION: dict[str, int] = {
    **{f"mrz.{k}": 1 for k in ("check_digits", "composite", "codes", "dates", "structure",
                               "checks_failed_sure", "data.repairs",
                               "personal_number_mismatch")},
    "mrz.data.confidence": -1,
    "learned.data.portrait_mean": 1,
    "learned.data.portrait_vs_card": 1,
    "mrz.data.min_char_confidence": -1,
    "mrz.personal_number_match": -1,
    **{f"mrzprint.data.{k}": 1 for k in ("pitch_spread", "pitch_max", "baseline_spread",
                                         "cell_height_dev", "cell_height_outliers",
                                         "cell_stroke_dev", "cell_stroke_outliers",
                                         "cell_corr_gap", "cell_corr_outliers",
                                         "cell_top_dev", "glyph_self_max",
                                         "glyph_self_second", "glyph_self_odd")},
    "mrzprint.data.glyph_corr": -1,
    "mrzprint.data.glyph_corr_low": -1,
    "mrzprint.pitch_geometry": 1,
    "mrzprint.spacing_geometry": 1,
    "portrait.data.ghost": -1,
    "portrait.data.blocking": 1,
    "portrait.ghost_gap": 1,
    **{f"vizcheck.read.{k}": -1 for k in ("document_number", "birth_date", "expiry_date",
                                          "surname", "given_names")},
    "vizcheck.year_differs": 1,
    "vizcheck.validity_excess": 1,
    "reference.background_mismatch": 1,
    "reference.portrait_lines_missing": 1,
    "reference.ghost_mismatch": 1,
    "reference.print_mismatch": 1,
    "reference.portrait_lines_fine": -1,
    **{f"fieldprint.data.{k}": 1 for k in ("baseline_dev_max", "baseline_dev_second",
                                           "baseline_dev_ratio", "baseline_z_max",
                                           "baseline_z_second", "width_dev_max",
                                           "width_dev_second")},
}


def feature_direction(name: str) -> int:
    """+1, -1 or 0: the allowed effect of a higher value of feature ``name`` on the risk
    (:data:`FEATURE_DIRECTION`; every ``<detector>.score`` and ``.findings`` is +1)."""
    if name in FEATURE_DIRECTION:
        return FEATURE_DIRECTION[name]
    return 1 if name.endswith((".score", ".findings")) else 0


_READ_VALUE = {"match": 1.0, "partial": 0.5, "not read": 0.0, "day uncertain": -0.5,
               "absent": -1.0,
               "different": -1.0}
_VIZ_MISMATCH = ("VIZ_NAME_MISMATCH", "VIZ_DOCUMENT_NUMBER_MISMATCH",
                 "VIZ_BIRTH_DATE_MISMATCH", "VIZ_EXPIRY_DATE_MISMATCH")
#: plain words for measurements that raise the risk without a finding of their own
_MEASURE_REASONS = {
    "mrzprint.data.cell_": "some MRZ characters are printed differently from the rest (size, "
                      "stroke or shape): overprinted?",
    "mrzprint.data.glyph_self_": "some MRZ characters are shaped unlike the same characters "
                                 "elsewhere in the MRZ: overprinted?",
    "mrzprint.": "the MRZ print deviates from OCR-B / ICAO geometry",
    "vizcheck.read.": "part of the MRZ data was not found in the visual zone",
    "vizcheck.validity": "the validity period (issue to expiry) is unusually long",
    "vizcheck.year_differs": "a visual-zone date shows the MRZ date's day and month in "
                             "another year",
    "portrait.data.ghost": "the ghost image does not match the portrait well",
    "learned.data.portrait": "the learned detector finds the portrait looks pasted in",
    "reference.background": "the security background differs from the reference of the "
                            "document's design",
    "reference.portrait": "the design's lines across the portrait are missing",
    "reference.ghost": "the ghost image does not show the person of the portrait",
    "reference.print": "the title, labels or emblem differ from the reference of the "
                       "document's design",
    "fieldprint.data.width_": "a field's text is printed wider or narrower than the issuer "
                              "sets it: printed again?",
}
#: a measurement without a finding is given as a reason only when the risk's log-odds
#: with it exceed those without it (the measurements of its reason left out, as for a
#: document where they were not made) by at least this much (a factor of 1.65 in the odds)
MEASURE_REASON_MIN = 0.5
#: the learned detector's portrait zone is named a reason only when its mean cell
#: probability exceeds the card's by at least this much
LEARNED_PORTRAIT_REASON_MIN = 0.15


def _measure_holds(model: FusionModel, feats: Mapping[str, float], z: float, prefix: str,
                   score: float | None) -> bool:
    """Whether the reason :data:`_MEASURE_REASONS` words for the measurements named
    ``prefix...`` is true of this document and raised its risk: what it says holds (a
    field not matched, a year that differs, a validity beyond 10 years; for a detector's
    print or image measurements, the detector's own score at least 0.3, so that the words
    never contradict a detector showing nothing), and the logit ``z`` exceeds the logit
    without them by :data:`MEASURE_REASON_MIN` (value-conditional, unlike the trees'
    per-feature path credit, which may credit a feature at its harmless value)."""
    group = {k: v for k, v in feats.items() if k.startswith(prefix)}
    if prefix == "vizcheck.read.":
        holds = any(v < 1.0 for v in group.values())
    elif prefix.startswith("vizcheck."):
        holds = any(v > 0.0 for v in group.values())
    elif prefix == "learned.data.portrait":
        # the portrait zone clearly hotter than the card (genuine documents of the held-out
        # design: median 0.07; photo substitutions: median 0.21)
        holds = group.get("learned.data.portrait_vs_card", 0.0) >= LEARNED_PORTRAIT_REASON_MIN
    else:
        holds = score is not None and score >= 0.3
    if not holds:
        return False
    without = {k: v for k, v in feats.items() if not k.startswith(prefix)}
    return z - model.logit(without)[0] >= MEASURE_REASON_MIN
_OWN_FEATURE = ("MRZ_PERSONAL_NUMBER_BIRTH_MISMATCH", "MRZ_UNSURE_READING")
# OCR-B geometry (docfraud.forensics.mrzprint): pitch / cap height, line spacing / cap height
_PITCH_PER_HEIGHT = 2.54 / 2.35
_SPACING_PER_HEIGHT = 4.23 / 2.35


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(float(value)):
        return float(value)
    return None


def features(results: Sequence[DetectorResult]) -> dict[str, float]:
    """The fusion features of one document, by name (missing ones are left out).

    For every detector ``d``: ``d.score`` (0 when it did not run), ``d.ran`` (1 when its
    status is ok) and ``d.findings`` (findings weighted by severity). For the MRZ
    detector also one count per group of :data:`MRZ_GROUPS`, ``mrz.found``, the
    reader's confidences and whether the personal number encodes the birth date
    (``mrz.personal_number_match`` / ``_mismatch``); the measurements of
    :data:`DATA_FEATURES` as ``d.data.key``; from ``vizcheck`` each field's reading
    (``vizcheck.read.<field>``: 1 match, 0.5 partial, 0 not read, -0.5 day uncertain,
    -1 absent or different), the mismatch findings and the validity beyond 10 years (its
    print consistency measures are reported by the detector but not fused: on the
    training documents each separates forged from genuine at ROC AUC 0.50-0.52, and
    real issuers print fields in more sizes than the synthetic designs); from
    ``mrzprint`` the deviation of pitch and line spacing from OCR-B geometry; from
    ``portrait`` how much better the ghost image matches the photo in outline than in
    detail (``portrait.ghost_gap``: a ghost of another person shares the head-and-shoulders
    outline but not the face; a design without a ghost matches neither); from
    ``reference`` how far the background is from the design's reference
    (``reference.background_mismatch`` = 1 - median cell correlation of the security
    background; ``reference.print_mismatch`` the same of the title, labels and emblem),
    how far the portrait lacks the design's lines (``reference.portrait_lines_missing`` =
    0.2 - their correlation) and how far the ghost image is from the portrait
    (``reference.ghost_mismatch`` = 1 - their correlation, designs with a ghost), the
    portrait's lines at the reference's own resolution and the background's around it
    (``reference.portrait_lines_fine``, ``reference.portrait_lines_ring``); no ghost
    comparison's measurements (:data:`GHOST_PREFIXES`; the portrait detector's own score
    still carries its ghost term) where the reference says the design prints no ghost
    image; no
    ``reference.*`` feature at all when the design is not in the library (missing
    values, which the trees are trained for by ``augment_without``) and no
    ``reference.ran``. Where the MRZ reads unsurely or garbled (:func:`mrz_unsure`), the
    features of :data:`UNSURE_MRZ_PREFIXES` (``mrz.*``, ``vizcheck.*`` and the MRZ
    glyphs' comparison with their twins) are left out (misreadings, not evidence; the
    trees are trained for that by ``augment_groups``).
    """
    out: dict[str, float] = {}
    for r in results:
        ran = r.status == "ok"
        if r.detector == "fieldprint" and not ran:
            continue  # as the reference's: missing where no design layout was compared
        if r.detector == "reference":
            # only where a reference was compared: absent (missing) for a design outside
            # the library, which the fusion is trained for (fit's ``augment_without``),
            # and no ``reference.ran``: being in the library says nothing of a document
            if not ran:
                continue
            corr = _number(r.data.get("background_corr"))
            lines = _number(r.data.get("portrait_overlay_corr"))
            ghost = _number(r.data.get("ghost_corr"))
            printed = _number(r.data.get("print_corr"))
            if corr is not None:
                out["reference.background_mismatch"] = max(0.0, 1.0 - corr)
            if lines is not None:
                out["reference.portrait_lines_missing"] = max(0.0, 0.2 - lines)
            if ghost is not None:
                out["reference.ghost_mismatch"] = max(0.0, 1.0 - ghost)
            if printed is not None:
                out["reference.print_mismatch"] = max(0.0, 1.0 - printed)
            for key in ("portrait_lines_fine", "portrait_lines_ring"):
                value = _number(r.data.get(key))
                if value is not None:
                    out[f"reference.{key}"] = value
        elif r.detector != "fieldprint":
            out[f"{r.detector}.ran"] = 1.0 if ran else 0.0
        out[f"{r.detector}.score"] = float(r.score) if ran and r.score is not None else 0.0
        codes = [f.code for f in r.findings]
        if r.detector == "vizcheck":
            # print and validity findings are thresholds on measurements the model sees
            out["vizcheck.findings"] = float(sum(c in _VIZ_MISMATCH for c in codes))
        else:
            # the personal-number finding is a feature of its own
            out[f"{r.detector}.findings"] = sum(_SEVERITY_WEIGHT[f.severity]
                                                for f in r.findings
                                                if f.code not in _OWN_FEATURE)
        data = r.data if ran else {}
        for key in DATA_FEATURES.get(r.detector, ()):
            value = _number(data.get(key))
            if value is not None:
                out[f"{r.detector}.data.{key}"] = value
        if r.detector == "mrz":
            for group, members in MRZ_GROUPS.items():
                out[f"mrz.{group}"] = float(sum(c in members for c in codes))
            out["mrz.found"] = 1.0 if r.data.get("found") else 0.0
            # a failed check digit weighs less where the reader was unsure of a character
            sure = _number(data.get("min_char_confidence"))
            failed = out["mrz.check_digits"] + out["mrz.composite"]
            if sure is not None:
                out["mrz.checks_failed_sure"] = failed * sure
            birth = _number(data.get("personal_number_birth"))
            if birth is not None:
                out["mrz.personal_number_match"] = float(birth > 0)
                out["mrz.personal_number_mismatch"] = float(birth < 0)
        elif r.detector == "portrait" and ran:
            shape, detail = _number(data.get("ghost_shape")), _number(data.get("ghost"))
            if shape is not None and detail is not None:
                out["portrait.ghost_gap"] = shape - detail
        elif r.detector == "mrzprint" and ran:
            pitch = _number(data.get("pitch_per_height"))
            if pitch is not None:
                out["mrzprint.pitch_geometry"] = abs(pitch - _PITCH_PER_HEIGHT)
            spacing = _number(data.get("spacing_per_height"))
            if spacing is not None:
                out["mrzprint.spacing_geometry"] = abs(spacing - _SPACING_PER_HEIGHT)
        elif r.detector == "vizcheck" and ran:
            read = data.get("read") or {}
            for key in ("document_number", "birth_date", "expiry_date", "surname",
                        "given_names"):
                if key in read:
                    out[f"vizcheck.read.{key}"] = _READ_VALUE.get(str(read[key]), 0.0)
            out["vizcheck.dates"] = float(len(data.get("dates") or ()))
            out["vizcheck.year_differs"] = float(len(data.get("year_differs") or ()))
            validity = _number(data.get("validity_years"))
            if validity is not None:
                out["vizcheck.validity_excess"] = max(0.0, validity - 10.0)
    if any(r.detector == "reference" and r.status == "ok"
           and r.data.get("ghost_printed") is False for r in results):
        # the design prints no ghost image: the portrait detector's search for one found
        # something else, no evidence (the trees are trained for documents without ghost
        # evidence by an augment group)
        out = {k: v for k, v in out.items() if not k.startswith(GHOST_PREFIXES)}
    if mrz_unsure(results):
        # a garbled or unsure reading's check digits and codes, and the visual zone's
        # comparison with it, are misreadings, not evidence: the document is judged by
        # the other detectors, as the fusion is trained to (fit's augment groups)
        out = {k: v for k, v in out.items() if not k.startswith(UNSURE_MRZ_PREFIXES)}
    return out


#: feature prefixes left out where the MRZ reading is unsure (:func:`mrz_unsure`): the
#: MRZ detector's, the visual-zone check's (which compares the visual zone with it) and the
#: MRZ print's glyphs against their twins (a misread MRZ groups the wrong glyphs as twins)
UNSURE_MRZ_PREFIXES = ("mrz.", "vizcheck.", "mrzprint.data.glyph_self")


def mrz_unsure(results: Sequence[DetectorResult] | Sequence[Mapping[str, Any]]) -> bool:
    """Whether the MRZ detector found its reading unsure: an ``MRZ_UNSURE_READING``
    finding, or the garbled reading that gives one
    (:func:`docfraud.forensics.mrzlogic.garbled`; also recognised in results stored
    before that rule)."""
    from docfraud.forensics.mrzlogic import garbled

    for r in results:
        if _field(r, "detector") == "mrz":
            codes = [str(_field(f, "code")) for f in _field(r, "findings") or ()]
            return "MRZ_UNSURE_READING" in codes or garbled(codes)
    return False


@dataclass(frozen=True)
class Tree:
    """One regression tree of a boosted ensemble, nodes as parallel lists (node 0 is the
    root): split feature index and threshold (``x <= threshold`` goes left, a missing
    value goes left when ``missing_left``), children, and each node's value (a leaf's
    output; an inner node's value is the one it would give as a leaf, which attributes
    every split's change of value to its feature)."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    missing_left: tuple[bool, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]
    leaf: tuple[bool, ...]

    def walk(self, x: Sequence[float]) -> list[tuple[int, float]]:
        """The (feature, change of value) of each split on ``x``'s path; their sum plus
        the root value is the tree's output."""
        steps: list[tuple[int, float]] = []
        i = 0
        while not self.leaf[i]:
            v = x[self.feature[i]]
            go_left = self.missing_left[i] if math.isnan(v) else v <= self.threshold[i]
            j = self.left[i] if go_left else self.right[i]
            steps.append((self.feature[i], self.value[j] - self.value[i]))
            i = j
        return steps

    def to_dict(self) -> dict[str, list[Any]]:
        return {k: list(getattr(self, k)) for k in ("feature", "threshold", "missing_left",
                                                     "left", "right", "value", "leaf")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Sequence[Any]]) -> Tree:
        return cls(tuple(int(v) for v in d["feature"]), tuple(float(v) for v in d["threshold"]),
                   tuple(bool(v) for v in d["missing_left"]), tuple(int(v) for v in d["left"]),
                   tuple(int(v) for v in d["right"]), tuple(float(v) for v in d["value"]),
                   tuple(bool(v) for v in d["leaf"]))


@dataclass(frozen=True)
class FusionModel:
    """A fitted fusion model with Platt calibration and verdict thresholds.

    Either a logistic regression (``coef``, ``intercept`` over features standardised with
    ``mean`` and ``scale``; a missing feature counts as its mean) or, when ``trees`` is
    not empty, gradient-boosted trees (``baseline`` plus the sum of the trees' outputs;
    a missing feature follows each split's learnt default direction).
    """

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
    trees: tuple[Tree, ...] = ()
    baseline: float = 0.0
    clip_low: tuple[float, ...] = ()
    clip_high: tuple[float, ...] = ()

    def logit(self, feats: Mapping[str, float]) -> tuple[float, list[tuple[str, float]]]:
        """Raw logit and each feature's contribution to it."""
        if self.trees:
            x = [float(feats.get(name, math.nan)) for name in self.feature_names]
            per_feature = [0.0] * len(self.feature_names)
            z = self.baseline
            for tree in self.trees:
                z += tree.value[0]
                for k, change in tree.walk(x):
                    per_feature[k] += change
                    z += change
            return z, list(zip(self.feature_names, per_feature, strict=True))
        contributions = []
        z = self.intercept
        low = self.clip_low or (-math.inf,) * len(self.coef)
        high = self.clip_high or (math.inf,) * len(self.coef)
        for name, c, m, s, lo, hi in zip(self.feature_names, self.coef, self.mean, self.scale,
                                         low, high, strict=True):
            value = feats.get(name, m)
            x_std = (min(max(value, lo), hi) - m) / s
            contributions.append((name, c * x_std))
            z += c * x_std
        return z, contributions

    def probability(self, feats: Mapping[str, float]) -> float:
        z, _ = self.logit(feats)
        return _sigmoid(self.platt_a * z + self.platt_b)

    def verdict(self, risk: float, *, named_anomaly: bool) -> Verdict:
        """The verdict for a calibrated ``risk``. A document is rejected only when the
        findings corroborate it (``named_anomaly``, see :func:`corroborated_anomaly`:
        findings from two detectors, or a high one of print or image): a high risk from
        measurements alone, or from an MRZ data error alone, is referred for
        examination, so that a reject always comes with something the officer can check."""
        if risk >= self.thresholds["reject"] and named_anomaly:
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
            "baseline": self.baseline, "trees": [t.to_dict() for t in self.trees],
            "clip_low": list(self.clip_low), "clip_high": list(self.clip_high),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FusionModel:
        return cls(
            feature_names=tuple(d["feature_names"]), coef=tuple(d["coef"]),
            intercept=float(d["intercept"]), mean=tuple(d["mean"]), scale=tuple(d["scale"]),
            platt_a=float(d.get("platt_a", 1.0)), platt_b=float(d.get("platt_b", 0.0)),
            thresholds=dict(d["thresholds"]), meta=dict(d.get("meta", {})),
            trees=tuple(Tree.from_dict(t) for t in d.get("trees", ())),
            baseline=float(d.get("baseline", 0.0)),
            clip_low=tuple(float(v) for v in d.get("clip_low", ())),
            clip_high=tuple(float(v) for v in d.get("clip_high", ())),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=None, separators=(",", ":")) + "\n")


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


def names_anomaly(results: Sequence[DetectorResult] | Sequence[Mapping[str, Any]]) -> bool:
    """Whether some detector result (objects, or their ``to_dict`` form) has a finding of
    medium or high severity."""
    return bool(_anomalous_detectors(results))


#: detectors whose findings concern only the data the MRZ states (check digits, codes,
#: dates), not the document's print or image. Issuers do print such errors: 7 of the 38
#: public specimen images carry one (wrong check digits, nationality '132' or '<<<').
DATA_ONLY_DETECTORS = frozenset({"mrz"})
#: detectors whose findings concern the file, not the document (editing software in the
#: metadata): they never count as a line of evidence for a reject
FILE_DETECTORS = frozenset({"metadata"})
#: detectors that do not work from the MRZ's reading or from where it placed the card:
#: where the MRZ was read too unsurely (MRZ_UNSURE_READING) only their findings can
#: carry a reject
MRZ_FREE_DETECTORS = frozenset({"jpeg", "learned", "copymove"})


def _field(obj: Any, key: str) -> Any:
    """``obj.key``, or ``obj[key]`` of its ``to_dict`` form (None when absent)."""
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def _anomalous_detectors(results: Sequence[DetectorResult] | Sequence[Mapping[str, Any]]
                         ) -> dict[str, set[str]]:
    """Detector name -> severities (medium / high) of its findings, for detectors that
    have any."""
    out: dict[str, set[str]] = {}
    for r in results:
        name = str(_field(r, "detector"))
        for f in _field(r, "findings") or ():
            severity = _field(f, "severity")
            if severity in ("medium", "high"):
                out.setdefault(name, set()).add(str(severity))
    return out


def corroborated_anomaly(results: Sequence[DetectorResult] | Sequence[Mapping[str, Any]]
                         ) -> bool:
    """Whether the findings can carry a reject: medium or high findings from at least two
    detectors (two independent lines of evidence), or a high one from a detector that
    examines the print or the image (:data:`DATA_ONLY_DETECTORS` aside). An anomaly of
    the MRZ data alone is referred, not rejected: it may be the issuer's error, which an
    examiner checks against the document. Findings about the file
    (:data:`FILE_DETECTORS`: editing software) are no evidence about the document and
    never count."""
    anomalous = {name: sev for name, sev in _anomalous_detectors(results).items()
                 if name not in FILE_DETECTORS}
    if len(anomalous) >= 2:
        return True
    return any("high" in sev for name, sev in anomalous.items()
               if name not in DATA_ONLY_DETECTORS)


def final_verdict(model: FusionModel, risk: float,
                  results: Sequence[DetectorResult] | Sequence[Mapping[str, Any]]
                  ) -> tuple[Verdict, Any]:
    """The verdict for a fused ``risk`` and the detector results (objects, or their
    ``to_dict`` form), and the MRZ finding that shaped it (``MRZ_NOT_FOUND`` or
    ``MRZ_UNSURE_READING``, object or dict) or None.

    A reject needs :func:`corroborated_anomaly`; where the MRZ was read unsurely, only
    the findings of :data:`MRZ_FREE_DETECTORS` count for it. Where the MRZ was not read,
    or read unsurely, nothing was checked that a clear verdict would vouch for (a blank
    page, a photo of something else, an MRZ the reader missed): at least "refer".
    """
    unread = next((f for r in results if _field(r, "detector") == "mrz"
                   for f in (_field(r, "findings") or ())
                   if _field(f, "code") in ("MRZ_NOT_FOUND", "MRZ_UNSURE_READING")), None)
    unsure = mrz_unsure(results)
    counted: Sequence[Any] = ([r for r in results
                               if _field(r, "detector") in MRZ_FREE_DETECTORS]
                              if unsure else results)
    verdict = model.verdict(risk, named_anomaly=corroborated_anomaly(counted))
    if (unread is not None or unsure) and verdict == "clear":
        verdict = "refer"
    return verdict, unread


def fuse(results: Sequence[DetectorResult], *, model: FusionModel | None = None) -> Risk:
    """Fuse detector results into a calibrated :class:`Risk`.

    Reasons list, for the features that pushed the score up most, the detector's
    strongest findings (or its score when it has none). Only features the document has
    and detectors that ran give reasons: a tree credits a split on a missing feature to
    that feature, which is no reason to give an officer.
    """
    model = model or load_model()
    feats = features(results)
    z, contributions = model.logit(feats)
    risk = _sigmoid(model.platt_a * z + model.platt_b)
    verdict, unread = final_verdict(model, risk, results)
    positive = sorted((c for c in contributions if c[1] > 0.05 and c[0] in feats),
                      key=lambda c: -c[1])
    by_detector = {r.detector: r for r in results if r.status == "ok"}
    reasons: list[str] = []
    seen: set[str] = set()
    for name, _ in positive:
        detector = name.split(".", 1)[0]
        if detector in seen or detector not in by_detector:
            continue
        r = by_detector[detector]
        top = sorted(r.findings, key=lambda f: -_SEVERITY_WEIGHT[f.severity])[:2]
        prefix = next((p for p in _MEASURE_REASONS if name.startswith(p)), None)
        measured = None if prefix is None else _MEASURE_REASONS[prefix]
        if not top and prefix is not None and not _measure_holds(
                model, feats, z, prefix, r.score):
            # a measurement that nudges the risk, or that a tree merely credits on its
            # path (year_differs credited while no year differs), is no claim to put in
            # words beside a detector that found nothing
            continue
        seen.add(detector)
        if top:
            reasons.extend(f"{f.code}: {f.message}" for f in top)
        elif measured is not None:
            reasons.append(measured)
        elif r.score is not None and r.score >= 0.3:
            # a low score can still raise the risk (a below-average value of a feature
            # the model weighs negatively), but it is no reason to give an officer
            reasons.append(f"{detector} detector score {r.score:.2f}")
        if len(reasons) >= 5:
            break
    if unread is not None and (verdict == "refer" or unread.code == "MRZ_UNSURE_READING"):
        # why an officer must look (the MRZ missed or read unsurely), first where it made
        # the verdict; after the evidence that carried a reject
        reason = f"{unread.code}: {unread.message}"
        if reason not in reasons:
            reasons.insert(0 if verdict == "refer" else len(reasons), reason)
    if verdict == "clear" and not reasons:
        reasons.append("no detector found evidence of forgery")
    elif not reasons:
        reasons.append("several measurements together raise the risk; no detector found "
                       "an anomaly of its own")
    return Risk(score=risk, verdict=verdict, reasons=tuple(reasons),
                contributions=dict(positive[:6]))


#: the fusion features of a ghost-image comparison
GHOST_PREFIXES = ("portrait.data.ghost", "portrait.ghost_gap", "reference.ghost")


def _without(row: Mapping[str, float], prefixes: tuple[str, ...]) -> dict[str, float]:
    """``row`` without the features whose names start with one of ``prefixes``."""
    return {k: v for k, v in row.items() if not k.startswith(prefixes)}


#: weight of a training row's copy without an augment group's features (fit's
#: ``augment_groups``): small, so that the model learns to judge documents without them
#: while the documents that have them keep most of its attention (with 0.1, the fusion's
#: development sets give the same ROC AUC as the model fitted without the group)
AUGMENT_GROUP_WEIGHT = 0.1


def _has_any(row: Mapping[str, float], prefixes: tuple[str, ...]) -> bool:
    """Whether ``row`` has a feature whose name starts with one of ``prefixes``."""
    return bool(prefixes) and any(k.startswith(prefixes) for k in row)


def fit(
    rows: Iterable[Mapping[str, float]],
    labels: Sequence[int],
    *,
    calibration_rows: Iterable[Mapping[str, float]],
    calibration_labels: Sequence[int],
    false_alarm: Mapping[str, float] | None = None,
    method: Literal["trees", "logistic"] = "logistic",
    l2: float = 1.0,
    trees: Mapping[str, Any] | None = None,
    monotone: bool = True,
    directions: Mapping[str, int] | None = None,
    augment_without: Sequence[str] = (),
    augment_groups: Sequence[Sequence[str]] = (),
    meta: Mapping[str, Any] | None = None,
    row_weights: Sequence[float] | None = None,
) -> FusionModel:
    """Fit a :class:`FusionModel` (training split) and calibrate it (calibration split).

    ``augment_without``: feature-name prefixes (e.g. ``"reference."``); every training
    row that has such features also enters the fit once without them (same label), so
    the model learns to judge documents where that detector has nothing to say (a
    design outside the reference library) from the other detectors, instead of taking
    the missing values for whatever training documents happened to lack them.
    ``augment_groups``: further groups of prefixes, each giving its own copy of a row at
    :data:`AUGMENT_GROUP_WEIGHT` (e.g. ``("mrz.", "vizcheck.")``: features left out where
    the MRZ reads unsurely, :func:`mrz_unsure`, which few documents do); the rest of the
    row's weight of 1 is shared equally by the row and its ``augment_without`` copy.
    Calibration rows are not augmented. ``row_weights``: each training row's weight in
    place of 1 (its copies share it as above), e.g. more for the forged documents of a
    kind the fit should not give up on (``scripts/train_fusion.py --kind-weights``); the
    calibration rows keep weight 1.

    ``method``: ``"trees"`` (scikit-learn's HistGradientBoostingClassifier with the
    options ``trees``, exported to plain lists so that inference needs no scikit-learn;
    with ``monotone`` each feature constrained to its :func:`feature_direction`, the
    constraints recorded in the model's ``meta["directions"]``; ``directions`` replaces
    :func:`feature_direction` for the features it names, e.g. 0 to free one)
    or ``"logistic"`` (L2 strength ``l2``; ``monotone`` does not apply). ``false_alarm``
    gives, per verdict, the share of genuine calibration documents allowed at or above
    its threshold (default refer 5 %, reject 1 %).
    """
    import numpy as np

    rows = list(rows)
    labels = list(labels)
    cal_rows = list(calibration_rows)
    prefixes = tuple(augment_without)
    groups = [tuple(g) for g in augment_groups if g]
    weights = []
    extra_rows, extra_labels, extra_weights = [], [], []
    base = list(row_weights) if row_weights is not None else [1.0] * len(rows)
    if not all(math.isfinite(w) and w > 0 for w in base):
        raise ValueError("row weights must be positive numbers")
    for r, lab, w0 in zip(rows, labels, base, strict=True):
        # each augment group's copy weighs AUGMENT_GROUP_WEIGHT; the rest of the row's
        # weight of 1 goes to the row, shared with its copy without augment_without
        copies = [_without(r, g) for g in groups if _has_any(r, g)]
        rest = (1.0 - AUGMENT_GROUP_WEIGHT * len(copies)) * w0
        shares = [AUGMENT_GROUP_WEIGHT * w0] * len(copies)
        if _has_any(r, prefixes):
            rest /= 2
            copies.insert(0, _without(r, prefixes))
            shares.insert(0, rest)
        weights.append(rest)
        extra_rows += copies
        extra_labels += [lab] * len(copies)
        extra_weights += shares
    rows += extra_rows
    labels += extra_labels
    weights += extra_weights
    names = sorted({k for r in rows for k in r})
    y = np.asarray(labels)
    if method == "trees":
        from sklearn.ensemble import HistGradientBoostingClassifier

        x = np.array([[r.get(n, np.nan) for n in names] for r in rows], dtype=np.float64)
        options = {"learning_rate": 0.05, "max_iter": 250, "max_leaf_nodes": 8,
                   "min_samples_leaf": 12, "l2_regularization": 1.0, "random_state": 0,
                   "class_weight": "balanced", **dict(trees or {})}
        if monotone:
            chosen = dict(directions or {})
            options["monotonic_cst"] = [chosen.get(n, feature_direction(n)) for n in names]
        clf = HistGradientBoostingClassifier(**options).fit(x, y, sample_weight=weights)
        exported = []
        for (predictor,) in clf._predictors:
            n = predictor.nodes
            exported.append(Tree(
                tuple(int(v) for v in n["feature_idx"]),
                tuple(float(v) for v in n["num_threshold"]),
                tuple(bool(v) for v in n["missing_go_to_left"]),
                tuple(int(v) for v in n["left"]), tuple(int(v) for v in n["right"]),
                tuple(float(v) for v in n["value"]), tuple(bool(v) for v in n["is_leaf"])))
        model = FusionModel(tuple(names), (), 0.0, (), (), trees=tuple(exported),
                            baseline=float(np.ravel(clf._baseline_prediction)[0]))
        meta = {**dict(meta or {}), "method": "trees",
                "tree_options": {k: v for k, v in options.items() if k != "monotonic_cst"},
                "monotone": monotone, "augment_without": list(augment_without),
                "augment_groups": [list(g) for g in augment_groups],
                "directions": ({n: d for n, d in zip(names, options["monotonic_cst"],
                                                     strict=True) if d}
                               if monotone else {})}
    else:
        from sklearn.linear_model import LogisticRegression

        x = np.array([[r.get(n, np.nan) for n in names] for r in rows], dtype=np.float64)
        # extreme values (a misread, a failed measurement) are clipped to the 1st-99th
        # percentile of training, so that no single feature can dominate the logit
        low = np.nan_to_num(np.nanpercentile(x, 1, axis=0))
        high = np.nan_to_num(np.nanpercentile(x, 99, axis=0))
        mean = np.nan_to_num(np.nanmean(np.clip(x, low, high), axis=0))
        x = np.clip(np.where(np.isnan(x), mean, x), low, high)
        scale = x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        clf = LogisticRegression(C=1.0 / l2, max_iter=2000, class_weight="balanced")
        clf.fit((x - mean) / scale, y, sample_weight=weights)
        model = FusionModel(tuple(names), tuple(float(c) for c in clf.coef_[0]),
                            float(clf.intercept_[0]), tuple(float(m) for m in mean),
                            tuple(float(s) for s in scale),
                            clip_low=tuple(float(v) for v in low),
                            clip_high=tuple(float(v) for v in high))
        meta = {**dict(meta or {}), "method": "logistic"}
    return calibrate(model, cal_rows, calibration_labels, false_alarm=false_alarm, meta=meta)


def fit_crossfitted(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    *,
    folds: int = 5,
    false_alarm: Mapping[str, float] | None = None,
    method: Literal["trees", "logistic"] = "logistic",
    l2: float = 1.0,
    trees: Mapping[str, Any] | None = None,
    monotone: bool = True,
    augment_without: Sequence[str] = (),
    augment_groups: Sequence[Sequence[str]] = (),
    meta: Mapping[str, Any] | None = None,
    row_weights: Sequence[float] | None = None,
) -> FusionModel:
    """Fit on all ``rows`` and calibrate on out-of-fold logits (``augment_without``,
    ``augment_groups``, ``row_weights``: see :func:`fit`; applied to the training rows of
    every fold and of the final fit).

    Every row's logit comes from a model fitted on the other ``folds - 1`` folds
    (stratified, fixed seed), so Platt scaling and the false-alarm thresholds are set on
    logits of documents the scoring model did not see, while the shipped model learns
    from all rows (more documents than a train / calibration split leaves it).
    """
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    prefixes = tuple(augment_without)
    # documents that have the augment_without features are also scored without them, and
    # both scores calibrate: thresholds hold for a mix of documents with and without them
    # (not so for the augment groups, whose features few documents lack)
    stripped_idx = [i for i, r in enumerate(rows) if _has_any(r, prefixes)]
    oof = np.zeros(len(rows))
    oof_stripped = np.zeros(len(stripped_idx))
    position = {i: n for n, i in enumerate(stripped_idx)}
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=0).split(
            np.zeros(len(rows)), y):
        part_labels = [int(v) for v in y[train_idx]]
        part = fit([rows[i] for i in train_idx], part_labels,
                   calibration_rows=[rows[i] for i in train_idx],
                   calibration_labels=part_labels, method=method, l2=l2, trees=trees,
                   monotone=monotone, augment_without=augment_without,
                   augment_groups=augment_groups,
                   row_weights=None if row_weights is None
                   else [row_weights[i] for i in train_idx])
        for i in test_idx:
            oof[i] = part.logit(rows[i])[0]
            if i in position:
                oof_stripped[position[i]] = part.logit(_without(rows[i], prefixes))[0]
    all_labels = [int(v) for v in y]
    model = fit(rows, all_labels, calibration_rows=rows, calibration_labels=all_labels,
                method=method, l2=l2, trees=trees, monotone=monotone,
                augment_without=augment_without, augment_groups=augment_groups, meta=meta,
                row_weights=row_weights)
    cal_rows = list(rows) + [_without(rows[i], prefixes) for i in stripped_idx]
    cal_labels = all_labels + [all_labels[i] for i in stripped_idx]
    return calibrate(model, cal_rows, cal_labels, logits=list(oof) + list(oof_stripped),
                     false_alarm=false_alarm,
                     meta={**dict(model.meta), "calibration": f"{folds}-fold out-of-fold"
                           + (f", each document with and without {', '.join(prefixes)}"
                              if stripped_idx else "")})


def calibrate(
    model: FusionModel,
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    *,
    logits: Sequence[float] | None = None,
    false_alarm: Mapping[str, float] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> FusionModel:
    """Platt-calibrate ``model`` on ``rows`` (or on their given ``logits``) and set its
    verdict thresholds there."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    zc = np.array(logits if logits is not None else [model.logit(r)[0] for r in rows])
    yc = np.asarray(labels)
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
    return dataclasses.replace(model, platt_a=a, platt_b=b, thresholds=thresholds,
                               meta={**dict(meta or model.meta),
                                     "false_alarm_targets": targets})
