"""Read the MRZ of a document image: locate -> rectify -> recognise -> repair -> parse.

The public entry point is :func:`read`. Recognition is done by the cell CNN
(:mod:`docfraud.mrz.ocr`) for every candidate MRZ found by :mod:`docfraud.mrz.locate`,
in both reading directions (0/180 degrees) and, for two-line zones, both line lengths
(36 and 44). The reading with the best mix of recognition confidence and passing
check digits wins. Where check digits still fail, two sources of alternatives are
tried, both restricted to characters the CNN itself was unsure of:

* the CNN's second and third choices for those characters;
* Tesseract's reading of the same line (second engine).

An alternative is accepted only if it makes the failing check digit pass, so a
document printed with a wrong check digit keeps it (nothing is forced).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.imageio import ImageSource, load_image
from docfraud.mrz import locate as _locate
from docfraud.mrz import ocr

logger = logging.getLogger(__name__)

#: A character the CNN gives less than this probability may be replaced by an
#: alternative that makes a failing check digit pass.
UNSURE = 0.9
#: Alternatives need at least this probability from the CNN.
ALT_MIN = 0.02
#: Below this mean log-probability (and with no passing checks) a reading is noise.
MIN_MEAN_LOGP = -0.9

_LINE_LENGTHS = {3: (30,), 2: (44, 36)}


@dataclass
class Reading:
    """One recognition hypothesis for an MRZ candidate."""

    lines: list[str]
    probs: list[NDArray[np.float32]]  # per line (n, 37)
    candidate: _locate.MrzCandidate
    flipped: bool
    checks_passed: int = 0
    checks_total: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mean_logp(self) -> float:
        p = np.concatenate([pr.max(axis=1) for pr in self.probs])
        return float(np.mean(np.log(np.maximum(p, 1e-6))))

    @property
    def score(self) -> float:
        frac = self.checks_passed / self.checks_total if self.checks_total else 0.0
        return self.mean_logp + 0.6 * frac

    def oriented_strips(self) -> list[NDArray[np.uint8]]:
        strips = list(self.candidate.strips)
        if self.flipped:
            return [np.ascontiguousarray(np.rot90(s, 2)) for s in reversed(strips)]
        return strips


def _check_positions(fmt_name: str) -> list[tuple[str, int, int, list[tuple[int, int]]]]:
    """(check name, line, position, covered (line, pos) list) for a format."""
    from docfraud.mrz import FORMATS

    out = []
    for chk in FORMATS[fmt_name].checks:
        covered = [(ln, p) for ln, start, stop in chk.over for p in range(start, stop)]
        out.append((chk.name, chk.line, chk.position, covered))
    return out


def _evaluate(lines: Sequence[str]) -> tuple[str | None, dict[str, bool]]:
    """Format name and check-digit results (check name -> passed) of some lines.

    (None, {}) if no format fits.
    """
    from docfraud.errors import MrzFormatError
    from docfraud.mrz import parse

    try:
        res = parse(list(lines))
    except MrzFormatError:
        return None, {}
    prefix = "check_digit."
    return res.format, {
        k[len(prefix):]: bool(v) for k, v in res.checks.items() if k.startswith(prefix)
    }


def _score_checks(reading: Reading) -> tuple[str | None, dict[str, bool]]:
    fmt, checks = _evaluate(reading.lines)
    reading.checks_total = len(checks)
    reading.checks_passed = sum(bool(v) for v in checks.values())
    return fmt, checks


def _cnn_readings(
    cand: _locate.MrzCandidate, clf: ocr.CellClassifier
) -> list[Reading]:
    lengths = _LINE_LENGTHS.get(cand.n_lines, ())
    jobs: list[tuple[bool, int, list[NDArray[np.float32]]]] = []
    for flipped in (False, True):
        strips = list(cand.strips)
        if flipped:
            strips = [np.ascontiguousarray(np.rot90(s, 2)) for s in reversed(strips)]
        inks = [ocr.ink_map(s, glyph_height=_locate.STRIP_GLYPH) for s in strips]
        for n in lengths:
            crops = []
            for ink in inks:
                cells = ocr.segment_line(ink, n)
                if cells is None:
                    break
                crops.append(ocr.cell_crops(ink, cells))
            else:
                jobs.append((flipped, n, crops))
    if not jobs:
        return []
    batch = np.concatenate([c for _, _, crops in jobs for c in crops])
    probs = clf.predict(batch)
    out = []
    k = 0
    for flipped, n, crops in jobs:
        per_line = []
        for c in crops:
            per_line.append(probs[k:k + len(c)])
            k += len(c)
        lines = ["".join(ocr.ALPHABET[i] for i in p.argmax(axis=1)) for p in per_line]
        out.append(Reading(lines, per_line, cand, flipped))
    return out


def _try_alternatives(reading: Reading, fmt: str, checks: dict[str, bool],
                      tess_lines: list[str] | None) -> None:
    """Replace unsure characters with alternatives that make failing checks pass (in place)."""
    lines = [list(s) for s in reading.lines]
    probs = reading.probs
    order = [c for c in _check_positions(fmt) if c[0] != "composite"]
    order += [c for c in _check_positions(fmt) if c[0] == "composite"]
    for name, cl, cp, covered in order:
        if checks.get(name, True):
            continue
        positions = [*covered, (cl, cp)]
        unsure = []
        for ln, p in positions:
            if ln >= len(lines) or p >= len(lines[ln]):
                continue
            pr = probs[ln][p]
            top = int(pr.argmax())
            if pr[top] >= UNSURE:
                continue
            alts = [(ocr.ALPHABET[j], float(pr[j])) for j in np.argsort(-pr)[1:4]
                    if pr[j] >= ALT_MIN]
            if tess_lines is not None and ln < len(tess_lines) and len(tess_lines[ln]) == len(
                lines[ln]
            ):
                t = tess_lines[ln][p]
                if t != lines[ln][p] and t not in [a for a, _ in alts]:
                    alts.append((t, ALT_MIN))
            if alts:
                unsure.append(((ln, p), alts, float(pr[top])))
        if not unsure:
            continue
        unsure = sorted(unsure, key=lambda u: u[2])[:6]
        best: tuple[float, list[tuple[tuple[int, int], str]]] | None = None
        for k in (1, 2):
            for combo in itertools.combinations(unsure, k):
                for choice in itertools.product(*[alts for _, alts, _ in combo]):
                    trial = [row[:] for row in lines]
                    gain = 1.0
                    for ((ln, p), _, ptop), (ch, pa) in zip(combo, choice, strict=True):
                        trial[ln][p] = ch
                        gain *= pa / max(ptop, 1e-6)
                    _, tchecks = _evaluate(["".join(r) for r in trial])
                    if not tchecks.get(name, False):
                        continue
                    # never break a check that passed before
                    if any(checks.get(c, False) and not tchecks.get(c, False) for c in tchecks):
                        continue
                    if best is None or gain > best[0]:
                        best = (gain, [(pos, ch) for ((pos, _, _), (ch, _)) in
                                       zip(combo, choice, strict=True)])
            if best is not None:
                break
        if best is None:
            continue
        for (ln, p), ch in best[1]:
            reading.changes.append(
                {"line": ln, "position": p, "before": lines[ln][p], "after": ch,
                 "reason": f"unsure character; alternative makes the {name} check pass"}
            )
            lines[ln][p] = ch
        _, checks = _evaluate(["".join(r) for r in lines])
    reading.lines = ["".join(r) for r in lines]


def _tesseract_lines(reading: Reading) -> list[str]:
    out = []
    for s in reading.oriented_strips():
        out.append(ocr.tesseract_line(s))
    return out


def read(
    image: ImageSource,
    *,
    today: date | None = None,
    tesseract: bool = True,
) -> Any:
    """Read the machine readable zone of a document image.

    Args:
        image: a file path, encoded image bytes, or an (H, W[, 3|4]) array (RGB).
        today: reference date for expiry/age checks (default: today).
        tesseract: use Tesseract as a second engine where check digits fail.

    Returns:
        MrzResult. ``found`` is False (with ``reason``) when no MRZ could be read;
        ``raw_lines`` are the CNN's reading before check-digit-guided corrections.

    Raises:
        ImageError: the file is missing, corrupt or not an image.
    """
    from docfraud.mrz import MrzResult, parse

    t0 = time.perf_counter()
    pixels = load_image(image)
    if min(pixels.shape[:2]) < 16:
        return MrzResult.not_found(f"image too small ({pixels.shape[1]}x{pixels.shape[0]} px)")
    cands = _locate.locate(pixels)
    if not cands:
        return MrzResult.not_found("no group of 2-3 long parallel text lines found")
    clf = ocr.default_classifier()
    best: Reading | None = None
    best_fmt: str | None = None
    best_checks: dict[str, bool] = {}
    for cand in cands:
        for r in _cnn_readings(cand, clf):
            fmt, checks = _score_checks(r)
            if fmt is None:
                continue
            if best is None or r.score > best.score:
                best, best_fmt, best_checks = r, fmt, checks
        if best is not None and best.checks_passed == best.checks_total and best.mean_logp > -0.2:
            break
    if best is None or best_fmt is None:
        return MrzResult.not_found("text lines found, but none reads as an MRZ")
    if best.checks_passed == 0 and best.mean_logp < MIN_MEAN_LOGP:
        return MrzResult.not_found(
            f"MRZ-like lines found but unreadable (mean confidence {np.exp(best.mean_logp):.2f})"
        )
    raw_lines = list(best.lines)
    if best.checks_passed < best.checks_total:
        _try_alternatives(best, best_fmt, best_checks, None)
        fmt, checks = _evaluate(best.lines)
        if tesseract and fmt is not None and not all(checks.values()):
            _try_alternatives(best, fmt, checks, _tesseract_lines(best))
    result = parse(best.lines, today=today)
    logger.debug("read MRZ in %.0f ms", 1000 * (time.perf_counter() - t0))
    return _finish(result, raw_lines, best)


def _finish(result: Any, raw_lines: list[str], reading: Reading) -> Any:
    """Attach the reader's provenance (raw lines, corrections, region) to the result."""
    import dataclasses

    updates: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(result)} if dataclasses.is_dataclass(result) else set()
    if "raw_lines" in names:
        updates["raw_lines"] = tuple(raw_lines) if isinstance(result.raw_lines, tuple) else raw_lines
    if "repairs" in names and reading.changes:
        rep = list(result.repairs) + reading.changes
        updates["repairs"] = tuple(rep) if isinstance(result.repairs, tuple) else rep
    if "region" in names:
        updates["region"] = reading.candidate.region
    return dataclasses.replace(result, **updates) if updates else result
