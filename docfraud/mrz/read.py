"""Read the MRZ of a document image: locate -> rectify -> recognise -> repair -> parse.

The public entry point is :func:`read`. :mod:`docfraud.mrz.locate` proposes MRZ
candidates (groups of 2 or 3 line strips). Each candidate gives up to four
hypotheses: both reading directions (0/180 degrees) and, for two-line zones, both
line lengths (36 and 44). A cheap probe classifies a dozen cells per line of every
hypothesis; the most confident hypotheses are then read in full by the cell CNN
(:mod:`docfraud.mrz.ocr`) until one reads with confidence and passing check digits.

Where check digits still fail, alternatives are tried, restricted to characters the
CNN itself was unsure of: the CNN's runner-up classes and Tesseract's reading of the
same line (second engine). An alternative is accepted only if it makes the failing
check digit pass without breaking another, so a document printed with a wrong check
digit keeps it: nothing is forced, and confident characters are never changed.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from docfraud.imageio import ImageSource, load_image
from docfraud.mrz import locate as _locate
from docfraud.mrz import names, ocr

if TYPE_CHECKING:
    from docfraud.mrz.formats import MrzFormat
    from docfraud.mrz.result import MrzResult

logger = logging.getLogger(__name__)

#: A character the CNN gives less than this probability may be replaced by an
#: alternative that makes a failing check digit pass.
UNSURE = 0.8
#: Runner-up classes need at least this probability to be tried.
ALT_MIN = 0.01
#: Below this mean log-probability (and with no passing check digit) a reading is noise.
MIN_MEAN_LOGP = -0.9
#: Prior factor for a character its field does not allow: a digit in a name, a letter
#: in a date or check digit. Country codes get a soft factor: some states print
#: irregular codes (digits, 'SI<'), which a confident reading must keep.
OUT_OF_CLASS = 0.002
OUT_OF_CLASS_SOFT = 0.05
#: In a field that allows letters only (names, codes, state codes), this share of the
#: probability the CNN gives the digit 0 goes to the letter O; in a digits-only field
#: (dates, numbers, check digits), that share of the letter O's goes to 0. In OCR-B the
#: two differ only in width and roundness, which small, blurred glyphs lose: the CNN then
#: splits a round glyph's probability between them, and the field prior, by dropping the
#: half it forbids, would hand the cell to a weaker third class (an O read 0 .60,
#: G .18, O .11 in a name became G).
ROUND_FOLD = 0.5
#: Prior factor for the letter O in document numbers and optional data.
LETTER_O_IN_NUMBERS = 0.3
#: ... and for an O read between digits there ('831OO419': the pair 'OO' and '00' give
#: the same check digits under weights 7 and 3, so no check digit tells them apart);
#: between letters or fillers the letter O gets no penalty.
LETTER_O_AMONG_DIGITS = 0.1
#: A cell of a mixed field that the CNN reads with less than this probability, between
#: digits, gets LETTER_O_AMONG_DIGITS for every letter, not only O (a smeared round
#: glyph read D, O or Q at p 0.1-0.3 with '0' below them; document numbers are mostly a
#: letter prefix and digits).
LETTERS_AMONG_DIGITS_BELOW = UNSURE
#: A mixed field read as a prefix of at most NUMERIC_PREFIX letters and then at least
#: NUMERIC_MIN_DIGITS digits and the letter O only is a number: the O among its digits
#: get NUMERIC_LETTER, and ROUND_FOLD of their probability goes to 0 (_numeric_runs).
NUMERIC_PREFIX = 3
NUMERIC_MIN_DIGITS = 5
NUMERIC_LETTER = 0.01
#: A character below this probability may also be swapped for its look-alike
#: (O/0, I/1, B/8, ...) where letters and digits mix (document numbers, optional data).
LOOKALIKE_BELOW = UNSURE
#: Slow fallbacks (the exhaustive pass over other text directions and stroke maps,
#: Tesseract) start only while a read has done less than this much work. Work is counted,
#: not timed, so that what is tried -- and so what is read -- never depends on the
#: machine's speed or load: one unit is one cell classified by the CNN (about 0.25 ms of
#: CPU on the development VM), and a locate pass is charged LOCATE_WORK units. The fast
#: path does at most about 2800 units (six candidates read in full; a few more where
#: _whole_lines reads a poor line again), so nearly every image whose fast path gives no
#: valid reading gets the exhaustive pass, which MAX_WORK bounds;
#: Tesseract is left out once a read is past this.
FALLBACK_BUDGET = 3200
#: Work charged for a locate pass (fast, exhaustive): about its median CPU time in cells.
LOCATE_WORK = (200, 1200)
#: The exhaustive pass reads no further candidate once a read's work is past this
#: (bounds the time spent on pages full of line-like print).
MAX_WORK = 6000
#: Cells per line classified by the probe.
PROBE_CELLS = 10
#: Cells the CNN gives less than this are also read from four slightly moved crops.
JITTER_BELOW = 0.9
#: The moves: a fraction of the pitch across, of the glyph height up and down.
JITTER_PITCH, JITTER_HEIGHT = 0.12, 0.1
#: Full readings at most per image.
MAX_FULL_READS = 4
#: Lines whose glyphs are smaller than this in the image (px, the locator's estimate)
#: are read by the small-glyph classifier (ocr.small_glyph_classifier: trained mostly on
#: 6-12 px glyphs), the others by the default one.
SMALL_GLYPH_BELOW = 12.0
#: A cell beyond a line's end read as a filler '<' whose centre holds less than this
#: fraction of the stroke pixels (ink > 0.5) of the line's median cell is empty paper:
#: the line does not go on there (the CNN was never trained on empty cells and may read
#: '<' into them; a real filler, the lightest glyph, holds about half the median's strokes).
EMPTY_CELL_INK = 0.25

#: Ink of lines extended past their found part is levelled over this many glyph heights
#: along the line (_level_ink) ...
LEVEL_WIDTH = 3.0
#: ... dividing by at least this (ink map units: 1 = the strip's darkest print).
LEVEL_FLOOR = 0.08

_LINE_LENGTHS = {3: (30,), 2: (44, 36)}
#: A reading of a TD1 completed by a line where none was found (locate's ``added_line``)
#: counts only where the added line's mean log confidence is above this (the confidence
#: of a reading the search stops at), and so is the whole reading's or every check digit
#: passes.
COMPLETED_MIN_LOGP = -0.3
#: A line whose cells the CNN reads with a mean log confidence below this gets its grid
#: fitted again over all the ink of its band (_whole_lines) ...
POOR_LINE = -0.3
#: ... kept where the line's mean log confidence gains at least this.
WHOLE_GAIN = 0.2


class Classifier(Protocol):
    """What the reader needs of a cell classifier (ocr.CellClassifier)."""

    def predict(self, crops: NDArray[np.float32]) -> NDArray[np.float32]:
        """(n, h, w) float32 cell crops -> (n, 37) float32 class probabilities."""
        ...


@dataclass
class _Work:
    """The work a read has done, in units of FALLBACK_BUDGET."""

    units: int = 0


class _Counted:
    """A cell classifier that adds one unit of work per cell it classifies."""

    def __init__(self, clf: Classifier, work: _Work) -> None:
        self._clf = clf
        self._work = work

    def predict(self, crops: NDArray[np.float32]) -> NDArray[np.float32]:
        self._work.units += len(crops)
        return self._clf.predict(crops)


@dataclass
class Hypothesis:
    """One way to read a candidate: direction and line length, with its cells."""

    candidate: _locate.MrzCandidate
    flipped: bool
    length: int
    inks: list[NDArray[np.float32]]
    cells: list[ocr.LineCells]
    probe: float = -np.inf


def _mean_logp(p: NDArray[np.float32]) -> float:
    """Mean log of each row's largest probability: (n, 37) class probabilities -> float."""
    return float(np.mean(np.log(np.maximum(p.max(axis=1), 1e-6))))


@dataclass
class Reading:
    """The full recognition of one hypothesis."""

    hyp: Hypothesis
    lines: list[str]
    probs: list[NDArray[np.float32]]  # per line (n, 37)
    fmt: MrzFormat
    checks: dict[str, bool]
    changes: list[dict[str, Any]] = field(default_factory=list)
    #: per line, the CNN's own reading before the field priors (None for a line whose
    #: grid was moved by _shift_lines)
    cnn_lines: list[str | None] = field(default_factory=list)

    @property
    def mean_logp(self) -> float:
        return _mean_logp(np.concatenate(self.probs))

    @property
    def passed(self) -> int:
        return sum(self.checks.values())

    @property
    def score(self) -> float:
        frac = self.passed / len(self.checks) if self.checks else 0.0
        return self.mean_logp + 0.6 * frac

    def oriented_strips(self) -> list[NDArray[np.uint8]]:
        strips = list(self.hyp.candidate.strips)
        if self.hyp.flipped:
            return [np.ascontiguousarray(np.rot90(s, 2)) for s in reversed(strips)]
        return strips


def _fast_checks(fmt: MrzFormat, rows: list[str]) -> dict[str, bool]:
    """Check-digit results, name -> passed, computed straight from the format table."""
    from docfraud.mrz import check_digit
    from docfraud.mrz.checkdigit import long_number

    out = {}
    for chk in fmt.checks:
        data = "".join(rows[li][a:b] for li, a, b in chk.over)
        printed = rows[chk.line][chk.position]
        if fmt.long_number and chk.name == "document_number" and printed == "<":
            # ICAO 9303 parts 5-6: a '<' in the check position, a full field: the number
            # goes on in the optional data, up to its first filler, its check digit last
            opt = fmt.field("optional_data")
            parts = long_number(data, rows[opt.line][opt.start:opt.stop])
            if "<" not in data and parts is not None:
                data, printed = parts
        ok = printed == check_digit(data)
        if not ok and chk.may_be_filler and data.strip("<") == "" and printed in "<0":
            ok = True
        out[chk.name] = ok
    return out


def _detect(lines: list[str]) -> MrzFormat | None:
    from docfraud.errors import MrzFormatError
    from docfraud.mrz import detect_format

    try:
        return detect_format(lines)
    except MrzFormatError:
        return None


def _drop_faint_ink(ink: NDArray[np.float32]) -> NDArray[np.float32]:
    """Ink map without the fainter of two ink levels (background texture under the MRZ).

    The level is Otsu's threshold among the inked pixels; ink above it is rescaled to
    [0, 1]. (H, W) float32 in [0, 1] in and out.
    """
    import cv2

    inked = ink[ink > 0.1]
    if inked.size < 100:
        return ink
    u8 = np.ascontiguousarray((inked * 255).astype(np.uint8).reshape(1, -1))
    thr, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    floor = min(float(thr) / 255.0, 0.6)
    return np.asarray(np.clip((ink - floor) / (1.0 - floor), 0.0, 1.0), dtype=np.float32)


def _level_ink(ink: NDArray[np.float32]) -> NDArray[np.float32]:
    """Ink map rescaled by its local strength along the line (print washed out by glare).

    Each column is divided by the strongest ink within LEVEL_WIDTH glyph heights of it
    (over the strip's whole height, smoothed; at least LEVEL_FLOOR, so that clean paper
    stays paper). (H, W) float32 in [0, 1] in and out.
    """
    import cv2

    k = max(3, int(LEVEL_WIDTH * _locate.STRIP_GLYPH) | 1)
    top = np.ascontiguousarray(ink.max(axis=0)[None, :])
    local = cv2.dilate(top, np.ones((1, k), np.uint8))
    local = cv2.blur(local, (k, 1), borderType=cv2.BORDER_REPLICATE)
    scale = np.maximum(local, LEVEL_FLOOR)
    return np.asarray(np.clip(ink / scale, 0.0, 1.0), dtype=np.float32)


def _hypotheses(cand: _locate.MrzCandidate) -> list[Hypothesis]:
    """Both directions x possible line lengths; the upside-down cells are mirrored, not refit."""
    out = []
    inks = [ocr.ink_map(s, glyph_height=_locate.STRIP_GLYPH) for s in cand.strips]
    if cand.textured:
        inks = [_drop_faint_ink(ink) for ink in inks]
    if cand.uneven:
        inks = [_level_ink(ink) for ink in inks]
    flipped_inks = [np.ascontiguousarray(ink[::-1, ::-1]) for ink in reversed(inks)]
    for n in _LINE_LENGTHS.get(cand.n_lines, ()):
        cells = [ocr.segment_line(ink, n, whole=cand.uneven) for ink in inks]
        if any(c is None for c in cells):
            continue
        ok = [c for c in cells if c is not None]
        out.append(Hypothesis(cand, False, n, inks, ok))
        mirrored = []
        for ink, c in zip(reversed(inks), reversed(ok), strict=True):
            h, w = ink.shape
            centers = np.stack([w - 1 - c.centers[::-1, 0], h - 1 - c.centers[::-1, 1]], axis=1)
            mirrored.append(ocr.LineCells(centers, c.pitch, c.height, c.fit_error))
        out.append(Hypothesis(cand, True, n, flipped_inks, mirrored))
    return out


def _classifier(cand: _locate.MrzCandidate) -> ocr.CellClassifier:
    """The cell classifier for a candidate's glyph size (SMALL_GLYPH_BELOW)."""
    if cand.glyph_height < SMALL_GLYPH_BELOW:
        return ocr.small_glyph_classifier()
    return ocr.default_classifier()


def _subset(cells: ocr.LineCells, idx: NDArray[np.int64]) -> ocr.LineCells:
    return ocr.LineCells(cells.centers[idx], cells.pitch, cells.height, cells.fit_error)


def _probe(hyps: list[Hypothesis], clf: Classifier) -> None:
    """Score every hypothesis by the CNN's confidence on a few cells per line."""
    crops, owners = [], []
    for k, h in enumerate(hyps):
        idx = np.linspace(0, h.length - 1, PROBE_CELLS).round().astype(np.int64)
        for ink, cells in zip(h.inks, h.cells, strict=True):
            crops.append(ocr.cell_crops(ink, _subset(cells, idx)))
            owners.extend([k] * len(idx))
    if not crops:
        return
    probs = clf.predict(np.concatenate(crops))
    logp = np.log(np.maximum(probs.max(axis=1), 1e-6))
    own = np.array(owners)
    for k, h in enumerate(hyps):
        h.probe = float(logp[own == k].mean()) - 0.5 * max(c.fit_error for c in h.cells)


_LETTERS = np.array([c.isalpha() or c == "<" for c in ocr.ALPHABET])
_DIGITS = np.array([c.isdigit() for c in ocr.ALPHABET])
_DIGITS_FILLER = np.array([c.isdigit() or c == "<" for c in ocr.ALPHABET])
_SEX = np.array([c in "MFX<" for c in ocr.ALPHABET])


def class_prior(fmt: MrzFormat) -> NDArray[np.float32]:
    """(lines, length, 37) factors: 1 for characters a position's field allows, OUT_OF_CLASS else.

    Soft, not a mask: a confidently read digit in a letter field (e.g. a country code
    printed as digits) survives; only near-ties (O/0, I/1, B/8) are decided by the field.
    """
    prior = np.ones((fmt.lines, fmt.length, len(ocr.ALPHABET)), np.float32)
    letter_o = ocr.ALPHABET.index("O")
    for spec in fmt.fields:
        if spec.kind == "alnum":  # document numbers: the letter O is rare, the digit 0 common
            prior[spec.line, spec.start:spec.stop, letter_o] = LETTER_O_IN_NUMBERS
            continue
        allowed = {"alpha": _LETTERS, "name": _LETTERS, "country": _LETTERS, "code": _LETTERS,
                   "numeric": _DIGITS, "date": _DIGITS, "sex": _SEX}.get(spec.kind)
        if allowed is None:
            continue
        stop = spec.start + 1 if spec.kind == "code" else spec.stop  # 'C1', 'AC', ...
        factor = OUT_OF_CLASS_SOFT if spec.kind == "country" else OUT_OF_CLASS
        prior[spec.line, spec.start:stop, ~allowed] = factor
    for chk in fmt.checks:
        prior[chk.line, chk.position, :] = 1.0
        prior[chk.line, chk.position, ~_DIGITS_FILLER] = OUT_OF_CLASS
    return prior


def _jittered_probs(h: Hypothesis, clf: Classifier,
                    probs: NDArray[np.float32]) -> NDArray[np.float32]:
    """Average the CNN over slightly moved crops for the cells it is unsure of.

    (n_lines * length, 37) probabilities in, the same out. A cell whose grid position is a
    little off reads better on average over small shifts (+-JITTER_PITCH pitch across,
    +-JITTER_HEIGHT glyph heights up and down).
    """
    unsure = np.flatnonzero(probs.max(axis=1) < JITTER_BELOW)
    if unsure.size == 0:
        return probs
    out = probs.copy()
    crops, owners = [], []
    for li, (ink, cells) in enumerate(zip(h.inks, h.cells, strict=True)):
        idx = unsure[(unsure >= li * h.length) & (unsure < (li + 1) * h.length)] - li * h.length
        if idx.size == 0:
            continue
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            moved = cells.centers[idx] + np.array(
                [dx * JITTER_PITCH * cells.pitch, dy * JITTER_HEIGHT * cells.height])
            crops.append(ocr.cell_crops(
                ink, ocr.LineCells(moved, cells.pitch, cells.height, cells.fit_error)))
            owners.append(idx + li * h.length)
    extra = clf.predict(np.concatenate(crops))
    own = np.concatenate(owners)
    sums = np.zeros_like(out)
    np.add.at(sums, own, extra)
    out[unsure] = (out[unsure] + sums[unsure]) / 5.0
    return out


def _letter_o_in_context(fmt: MrzFormat, raw: list[str],
                         posterior: list[NDArray[np.float32]]) -> None:
    """Weigh the letter O against the digit 0 by its neighbours in a mixed field.

    ``raw``: the CNN's reading before priors; ``posterior``: per line (length, 37)
    probabilities with the field prior applied (O x LETTER_O_IN_NUMBERS), changed in place
    (renormalised). For a cell read O or 0 whose nearest other characters in the field
    (an end of the field counts as the other side) are digits, O gets
    LETTER_O_AMONG_DIGITS instead; between letters or fillers the prior is lifted. Only
    cells where O and 0 together hold at least half the probability are touched.
    """
    letter_o, digit_0 = ocr.ALPHABET.index("O"), ocr.ALPHABET.index("0")
    for spec in fmt.fields:
        if spec.kind != "alnum":
            continue
        text = raw[spec.line][spec.start:spec.stop]
        for i, ch in enumerate(text):
            if ch not in "O0":
                continue
            left = text[:i].rstrip("O0")[-1:]
            right = text[i + 1:].lstrip("O0")[:1]
            sides = [c.isdigit() for c in (left, right) if c]
            if not sides:
                continue
            if all(sides):
                factor = LETTER_O_AMONG_DIGITS / LETTER_O_IN_NUMBERS
            elif not any(sides):
                factor = 1.0 / LETTER_O_IN_NUMBERS
            else:
                continue
            row = posterior[spec.line][spec.start + i]
            if row[letter_o] + row[digit_0] < 0.5:  # not an O/0 question
                continue
            row[letter_o] *= factor
            row /= row.sum()


def _letters_among_digits(fmt: MrzFormat, raw: list[str], probs: list[NDArray[np.float32]],
                          posterior: list[NDArray[np.float32]]) -> None:
    """Weigh every letter down in an unsure cell between digits of a mixed field.

    ``raw``/``probs``: the CNN's reading and (length, 37) probabilities before priors;
    ``posterior``: the same with priors, changed in place (renormalised). A cell the CNN
    gives less than LETTERS_AMONG_DIGITS_BELOW whose nearest characters on both sides in
    the field (skipping the round look-alikes 0, O, Q, D) are digits gets
    LETTER_O_AMONG_DIGITS for all letters (the letter O keeps the smaller of that and its
    own prior). A field's first and last characters are left alone: a letter prefix
    ('K4023...') is the commonest pattern of document numbers.
    """
    letter_o = ocr.ALPHABET.index("O")
    letters = np.array([c.isalpha() for c in ocr.ALPHABET])
    for spec in fmt.fields:
        if spec.kind != "alnum":
            continue
        text = raw[spec.line][spec.start:spec.stop]
        for i in range(len(text)):
            p = spec.start + i
            if float(probs[spec.line][p].max()) >= LETTERS_AMONG_DIGITS_BELOW:
                continue
            left = text[:i].rstrip("0OQD")[-1:]
            right = text[i + 1:].lstrip("0OQD")[:1]
            if not (left.isdigit() and right.isdigit()):
                continue
            row = posterior[spec.line][p]
            o = row[letter_o]
            row[letters] *= LETTER_O_AMONG_DIGITS
            row[letter_o] = min(o, row[letter_o] / LETTER_O_IN_NUMBERS)
            row /= row.sum()


_LETTER_O, _DIGIT_0 = ocr.ALPHABET.index("O"), ocr.ALPHABET.index("0")


def _numeric_runs(fmt: MrzFormat, raw: list[str], probs: list[NDArray[np.float32]],
                  posterior: list[NDArray[np.float32]]) -> None:
    """Read every letter O of a number, from its prefix on, as the digit 0.

    ``raw``/``probs``: the CNN's reading and (length, 37) probabilities before priors;
    ``posterior``: the same with priors, changed in place (renormalised). A mixed field
    (document number, optional data) that reads as a prefix of at most NUMERIC_PREFIX
    letters other than O, then at least NUMERIC_MIN_DIGITS digits among which only the
    letter O stands (no more often than digits; first, last or between), then fillers, is
    a number from its prefix on: each O there is weighed much as a digits-only field
    weighs it (ROUND_FOLD of the CNN's O probability is added to 0, the letter O's is
    multiplied by NUMERIC_LETTER). A capture that widens the print makes the CNN read
    OCR-B's narrower 0 as O, confidently and every time ('580100893681' read
    '58O1OO893681'); where two such O sit under the check-digit weights 7 and 3 no check
    digit tells (24 x 10 = 0 mod 10). Any other letter among the digits ('3Q5D6DO02')
    leaves the field to its own priors: random alphanumerics, not a number.

    Like the other field priors this is no repair entry. A genuine letter O printed there
    ('AB1O23456') is read 0; its check digit then fails and only a repair can give the O
    back.
    """
    for spec in fmt.fields:
        if spec.kind != "alnum":
            continue
        text = raw[spec.line][spec.start:spec.stop].rstrip("<")
        k = 0
        while k < min(NUMERIC_PREFIX, len(text)) and text[k].isalpha() and text[k] != "O":
            k += 1
        body = text[k:]
        letter_o = [i for i, c in enumerate(body) if c == "O"]
        digits = sum(c.isdigit() for c in body)
        if (not letter_o or digits < NUMERIC_MIN_DIGITS or len(letter_o) > digits
                or digits + len(letter_o) != len(body)):
            continue
        for i in letter_o:
            p = spec.start + k + i
            row = posterior[spec.line][p]
            row[_DIGIT_0] += ROUND_FOLD * float(probs[spec.line][p][_LETTER_O])
            row[_LETTER_O] *= NUMERIC_LETTER
            row /= row.sum()


def _fold_round(p: NDArray[np.float32], prior: NDArray[np.float32]) -> NDArray[np.float32]:
    """Move ROUND_FOLD of the forbidden one of O / 0 to the allowed one (see ROUND_FOLD).

    ``p``: (length, 37) CNN probabilities of one line; ``prior``: (length, 37) its field
    prior (class_prior). Returns a new (length, 37) float32 array (not renormalised).
    """
    q = p.copy()
    letters_only = (prior[:, _DIGIT_0] < 1.0) & (prior[:, _LETTER_O] >= 1.0)
    digits_only = (prior[:, _LETTER_O] < LETTER_O_IN_NUMBERS) & (prior[:, _DIGIT_0] >= 1.0)
    q[letters_only, _LETTER_O] += ROUND_FOLD * p[letters_only, _DIGIT_0]
    q[digits_only, _DIGIT_0] += ROUND_FOLD * p[digits_only, _LETTER_O]
    return q


def _whole_lines(h: Hypothesis, clf: Classifier, per_line: list[NDArray[np.float32]]) -> None:
    """Fit a poorly read line's grid again over all the ink of its text band.

    ``per_line``: the CNN's (length, 37) probabilities per line, changed in place, as is
    ``h.cells``. The grid of a line normally spans its heaviest run of ink; a name line
    ending in a long run of fillers over a texture may break there, and the grid then
    squeezes 44 cells into the name (pitch two thirds of the other line's). Where another
    line reads well, a line whose mean log confidence is below POOR_LINE is read again
    with its grid fitted to all the ink of the band (``segment_line(whole=True)``); the
    new grid is kept where the CNN's mean log confidence on the line gains at least
    WHOLE_GAIN. (Where no line reads well the hypothesis is noise or the wrong way round:
    refitting it would only spend the work budget of the fallbacks.)
    """
    logps = [_mean_logp(p) for p in per_line]
    if min(logps) >= POOR_LINE or max(logps) < POOR_LINE:
        return  # every line reads well; or none does: not an MRZ, or the wrong direction
    if h.candidate.uneven:
        return  # already fitted to all the ink
    for li, before in enumerate(logps):
        if before >= POOR_LINE:
            continue
        cells = ocr.segment_line(h.inks[li], h.length, whole=True)
        if cells is None:
            continue
        cur = h.cells[li]
        same_start = abs(cells.centers[0, 0] - cur.centers[0, 0]) < 0.3 * min(cells.pitch,
                                                                              cur.pitch)
        if same_start and abs(cells.pitch / cur.pitch - 1) < 0.03:
            continue  # the same grid
        q = clf.predict(ocr.cell_crops(h.inks[li], cells))
        after = _mean_logp(q)
        if after >= before + WHOLE_GAIN:
            logger.debug("line %d: grid over the whole band (mean log p %.2f -> %.2f)",
                         li, before, after)
            h.cells[li] = cells
            per_line[li] = q


def _full_read(h: Hypothesis, clf: Classifier, *, jitter: bool = False) -> Reading | None:
    crops = [ocr.cell_crops(ink, cells) for ink, cells in zip(h.inks, h.cells, strict=True)]
    probs = clf.predict(np.concatenate(crops))
    if jitter:
        probs = _jittered_probs(h, clf, probs)
    per_line = [probs[i * h.length:(i + 1) * h.length] for i in range(len(crops))]
    if not jitter:
        _whole_lines(h, clf, per_line)
    lines = ["".join(ocr.ALPHABET[i] for i in p.argmax(axis=1)) for p in per_line]
    fmt = _detect(lines)
    if fmt is None:
        return None
    prior = class_prior(fmt)
    posterior = []
    for li, p in enumerate(per_line):
        q = _fold_round(p, prior[li]) * prior[li]
        posterior.append(np.asarray(q / q.sum(axis=1, keepdims=True), dtype=np.float32))
    _letter_o_in_context(fmt, lines, posterior)
    _letters_among_digits(fmt, lines, per_line, posterior)
    _numeric_runs(fmt, lines, per_line, posterior)
    raw = lines
    lines = ["".join(ocr.ALPHABET[i] for i in p.argmax(axis=1)) for p in posterior]
    fmt2 = _detect(lines)
    if fmt2 is None:
        return None
    return Reading(h, lines, posterior, fmt2, _fast_checks(fmt2, lines),
                   cnn_lines=list(raw))


def _completion_wanted(best: Reading | None) -> bool:
    """Whether the TD1 completions are worth reading after the candidates as found: not
    where the best reading so far passes every check digit, is confident (printed that
    way), or is already of three lines (a TD1 was found)."""
    return best is None or not (
        best.passed == len(best.checks) or best.mean_logp > COMPLETED_MIN_LOGP
        or best.hyp.candidate.n_lines == 3)


def _completion_trusted(reading: Reading) -> bool:
    """Whether a reading of a completed candidate counts (COMPLETED_MIN_LOGP)."""
    cand = reading.hyp.candidate
    if cand.added_line is None:
        return True
    added = cand.n_lines - 1 - cand.added_line if reading.hyp.flipped else cand.added_line
    if _mean_logp(reading.probs[added]) <= COMPLETED_MIN_LOGP:
        return False
    return reading.passed == len(reading.checks) or reading.mean_logp > COMPLETED_MIN_LOGP


@functools.cache
def _document_codes_of_shape(n_lines: int, length: int) -> frozenset[str]:
    """First letters of the document codes of every format with lines of this shape."""
    from docfraud.mrz.formats import FORMATS

    return frozenset(c for f in FORMATS.values() if (f.lines, f.length) == (n_lines, length)
                     for c in f.document_codes)


def _field_validity(fmt: MrzFormat, lines: list[str]) -> int:
    """How many of the fields no check digit covers look right: the document code starts
    with a letter some format of this shape allows (a grid moved by a cell may turn a
    'V' visa into a 'P' passport: both have two lines of 44; a 'D' or a digit starts
    none), the name with a letter, state codes are known."""
    from docfraud.mrz.codes import is_known_code

    codes = _document_codes_of_shape(fmt.lines, fmt.length)
    ok = 0
    for spec in fmt.fields:
        text = lines[spec.line][spec.start:spec.stop]
        if spec.kind == "code":
            ok += text[:1] in codes
        elif spec.kind == "name":
            ok += text[:1].isalpha()
        elif spec.kind == "country":
            ok += is_known_code(text)
    return ok


def _stroke_share(ink: NDArray[np.float32], centers: NDArray[np.float64], pitch: float,
                  height: float) -> NDArray[np.float64]:
    """Share of stroke pixels (ink > 0.5) in each cell's centre, (n,) in [0, 1].

    ``ink``: (H, W) float32 ink map; ``centers``: (n, 2) x, y in its pixels. The centre
    is +-0.3 pitch across and +-0.5 glyph height; parts outside the map count as paper.
    """
    h, w = ink.shape
    out = np.zeros(len(centers))
    for k, (x, y) in enumerate(centers):
        x0, x1 = round(x - 0.3 * pitch), round(x + 0.3 * pitch) + 1
        y0, y1 = round(y - 0.5 * height), round(y + 0.5 * height) + 1
        window = ink[max(0, y0):max(0, min(h, y1)), max(0, x0):max(0, min(w, x1))]
        out[k] = float(np.count_nonzero(window > 0.5)) / max(1, (x1 - x0) * (y1 - y0))
    return out


def _shift_lines(reading: Reading, clf: Classifier) -> None:
    """Move a line's character grid by one cell where that makes the reading valid.

    Next to a page edge or a stray mark the grid can start one cell early or late: the
    line then reads shifted ('<V<SYR...' for 'V<SYR...<'). For each line, the cells one
    pitch beyond either end are classified; a shifted reading replaces the line if it
    passes more check digits, or as many with more plausible uncheckable fields
    (document code, state codes), and the new end cell is read confidently. A cell
    beyond the end read as '<' but with almost no ink (EMPTY_CELL_INK) counts as
    unreadable: a CNN may read '<' into empty paper.
    """
    h = reading.hyp
    n = h.length
    for li, (ink, cells) in enumerate(zip(h.inks, h.cells, strict=True)):
        c = cells.centers
        extra = np.stack([2 * c[0] - c[1], 2 * c[-1] - c[-2]])
        crop = ocr.cell_crops(ink, ocr.LineCells(extra, cells.pitch, cells.height, 0.0))
        p_extra = clf.predict(crop)
        share = _stroke_share(ink, extra, cells.pitch, cells.height)
        line_share = float(np.median(_stroke_share(ink, c, cells.pitch, cells.height)))
        # only a filler read into it: a letter read there with faint strokes is a glyph
        # half outside the strip or printed light, not empty paper
        empty = (share < EMPTY_CELL_INK * line_share) & (
            p_extra.argmax(axis=1) == len(ocr.ALPHABET) - 1)
        base_checks = reading.passed
        base_fields = _field_validity(reading.fmt, reading.lines)
        best: tuple[int, int, float, str, NDArray[np.float32], NDArray[np.float64]] | None = None
        for shift in (-1, 1):
            pe = p_extra[0 if shift < 0 else 1]
            line = reading.lines[li]
            if float(pe.max()) < 0.6 or empty[0 if shift < 0 else 1]:
                # an empty cell or one the CNN cannot read (it may lie outside the
                # strip): a line ending in fillers goes on with a filler (after two
                # fillers only where the cell lies beyond the strip's end and so cannot
                # be read)
                outside = float(extra[1, 0] + 0.5 * cells.pitch) > ink.shape[1]
                if shift < 0 or not (line.endswith("<<<")
                                     or (outside and line.endswith("<<"))):
                    continue
                pe = np.full_like(pe, 0.5 / (len(pe) - 1))
                pe[ocr.ALPHABET.index("<")] = 0.5
            ch = ocr.ALPHABET[int(pe.argmax())]
            probs = reading.probs[li]
            if shift < 0:
                text = ch + line[:-1]
                new_probs = np.concatenate([pe[None], probs[:-1]])
                new_c = np.concatenate([extra[:1], c[:-1]])
            else:
                text = line[1:] + ch
                new_probs = np.concatenate([probs[1:], pe[None]])
                new_c = np.concatenate([c[1:], extra[1:]])
            lines = list(reading.lines)
            lines[li] = text
            checks = sum(_fast_checks(reading.fmt, lines).values())
            fields = _field_validity(reading.fmt, lines)
            # more check digits passing, or as many with more plausible fields; never
            # fewer plausible fields: a check digit passes by chance once in ten, and a
            # line read right but for an O in its number ('IDUTOUIDO6377...', repaired
            # later) passed its number's check once moved a cell, dropping its 'I'
            if checks < base_checks or fields < base_fields or (checks, fields) == (
                    base_checks, base_fields):
                continue
            logp = _mean_logp(new_probs)
            if best is None or (checks, fields, logp) > best[:3]:
                best = (checks, fields, logp, text, np.asarray(new_probs, np.float32), new_c)
        if best is None or len(best[3]) != n:
            continue
        logger.debug("line %d: grid moved by one cell: %r -> %r", li, reading.lines[li], best[3])
        reading.lines[li] = best[3]
        reading.probs[li] = best[4]
        if li < len(reading.cnn_lines):
            reading.cnn_lines[li] = None
        h.cells[li] = ocr.LineCells(best[5], cells.pitch, cells.height, cells.fit_error)
        reading.checks = _fast_checks(reading.fmt, reading.lines)


def _alternatives(reading: Reading, li: int, p: int,
                  tess: list[str] | None) -> list[tuple[str, float]]:
    """Alternative characters for one position with their probability-like weights."""
    from docfraud.mrz.correct import LOOKALIKES

    pr = reading.probs[li][p]
    top = float(pr.max())
    cur = reading.lines[li][p]
    alts: dict[str, float] = {}
    if top < UNSURE:
        for j in np.argsort(-pr)[1:4]:
            if pr[j] >= ALT_MIN:
                alts[ocr.ALPHABET[j]] = float(pr[j])
        if tess is not None and li < len(tess) and len(tess[li]) == len(reading.lines[li]):
            t = tess[li][p]
            if t != cur and t in ocr.ALPHABET:
                alts.setdefault(t, max(ALT_MIN, float(pr[ocr.ALPHABET.index(t)])))
    if _mixed(reading.fmt, li, p):
        if top < LOOKALIKE_BELOW:
            for a in LOOKALIKES.get(cur, ()):
                alts.setdefault(a, max(1e-3, float(pr[ocr.ALPHABET.index(a)])))
        # the CNN's own first choice where the field's prior overruled it (O/0)
        cnn = reading.cnn_lines[li] if li < len(reading.cnn_lines) else None
        if cnn is not None and cnn[p] != cur:
            alts.setdefault(cnn[p], max(1e-3, float(pr[ocr.ALPHABET.index(cnn[p])])))
    return list(alts.items())


def _mixed(fmt: MrzFormat, li: int, p: int) -> bool:
    return any(f.line == li and f.start <= p < f.stop and f.kind == "alnum" for f in fmt.fields)


def _date_ok(fmt: MrzFormat, rows: list[list[str]], pos: tuple[int, int]) -> bool:
    """False if ``pos`` lies in a date field that is no calendar date YYMMDD (a repair
    must not make one: '040930' read '000930' is not repaired to '019930')."""
    li, p = pos
    for spec in fmt.fields:
        if spec.kind == "date" and spec.line == li and spec.start <= p < spec.stop:
            text = "".join(rows[li][spec.start:spec.stop])
            if "<" in text:  # an unknown day or month (ICAO 9303 part 3): not checked
                return True
            if not text.isdigit():
                return False
            try:
                date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
            except ValueError:
                return False
    return True


def _repair(reading: Reading, tess: list[str] | None) -> None:
    """Swap uncertain characters for alternatives that make failing check digits pass.

    A change is accepted only if every check digit covering a changed character passes
    afterwards and no check digit that passed before fails; among such changes the one
    the CNN finds most probable wins. Confident characters never change, so a check
    digit printed wrong (a forgery, or a specimen's mistake) stays failing.
    """
    checks0 = reading.checks
    failing = [c for c in reading.fmt.checks if not checks0[c.name]]
    if not failing:
        return
    cover: dict[tuple[int, int], list[str]] = {}
    for c in reading.fmt.checks:
        for li, a, b in c.over:
            for p in range(a, b):
                cover.setdefault((li, p), []).append(c.name)
        cover.setdefault((c.line, c.position), []).append(c.name)
    positions = sorted({pos for c in failing for pos in
                        [(li, p) for li, a, b in c.over for p in range(a, b)]
                        + [(c.line, c.position)]})
    options = []
    for li, p in positions:
        alts = _alternatives(reading, li, p, tess)
        if alts:
            options.append(((li, p), alts, float(reading.probs[li][p].max())))
    options = sorted(options, key=lambda o: o[2])[:8]
    rows = [list(x) for x in reading.lines]
    n_pass0 = sum(checks0.values())
    best: tuple[int, float, list[tuple[tuple[int, int], str]]] | None = None
    for k in (1, 2, 3):
        for combo in itertools.combinations(options, k):
            for choice in itertools.product(*[o[1] for o in combo]):
                trial = [r[:] for r in rows]
                logit = 0.0
                for ((li, p), _, ptop), (ch, pa) in zip(combo, choice, strict=True):
                    trial[li][p] = ch
                    logit += float(np.log(pa / max(ptop, 1e-6)))
                if not all(_date_ok(reading.fmt, trial, pos) for (pos, _, _) in combo):
                    continue
                tc = _fast_checks(reading.fmt, ["".join(r) for r in trial])
                if any(checks0[n] and not tc[n] for n in tc):
                    continue
                if not all(tc[n] for (pos, _, _) in combo for n in cover.get(pos, [])):
                    continue
                n_pass = sum(tc.values())
                if n_pass <= n_pass0:
                    continue
                key = (n_pass, logit)
                if best is None or key > (best[0], best[1]):
                    best = (n_pass, logit, [(o[0], ch) for o, (ch, _) in
                                            zip(combo, choice, strict=True)])
    if best is None:
        return
    check_pos = {(c.line, c.position): c.name for c in reading.fmt.checks}
    for (li, p), ch in best[2]:
        reading.changes.append({
            "line": li, "position": p, "before": rows[li][p], "after": ch,
            "field": _field_name(reading.fmt, li, p) or (
                "check_digit." + check_pos[(li, p)] if (li, p) in check_pos else None),
            "reason": f"uncertain character (p={float(reading.probs[li][p].max()):.2f}); "
                      "the alternative makes the covering check digits pass",
        })
        rows[li][p] = ch
    reading.lines = ["".join(r) for r in rows]
    reading.checks = _fast_checks(reading.fmt, reading.lines)


def _repair_country(reading: Reading) -> None:
    """Make an unknown state code known by swapping uncertain characters or look-alike digits.

    Country codes carry no check digit; the list of ICAO codes plays its part. A code
    that stays unknown (an irregular print, a fictional state) is left as read.
    """
    from docfraud.mrz.codes import is_known_code
    from docfraud.mrz.correct import TO_LETTER

    rows = [list(x) for x in reading.lines]
    for spec in reading.fmt.fields:
        if spec.kind != "country":
            continue
        code = "".join(rows[spec.line][spec.start:spec.stop])
        if is_known_code(code):
            continue
        options = []
        for p in range(spec.start, spec.stop):
            pr = reading.probs[spec.line][p]
            alts: dict[str, float] = {}
            if float(pr.max()) < UNSURE:
                for j in np.argsort(-pr)[1:4]:
                    if pr[j] >= ALT_MIN:
                        alts[ocr.ALPHABET[j]] = float(pr[j] / pr.max())
            cur = rows[spec.line][p]
            look = TO_LETTER.get(cur) or {"Q": "O"}.get(cur)
            if look:
                alts.setdefault(look, 0.5)
            options.append([(cur, 1.0), *alts.items()])
        best: tuple[float, str] | None = None
        for choice in itertools.product(*options):
            text = "".join(c for c, _ in choice)
            changed = sum(c != o for (c, _), o in zip(choice, code, strict=True))
            if changed == 0 or changed > 2 or not is_known_code(text):
                continue
            weight = float(np.prod([w for _, w in choice]))
            if best is None or weight > best[0]:
                best = (weight, text)
        if best is None:
            continue
        for i, (old, new) in enumerate(zip(code, best[1], strict=True)):
            if old != new:
                p = spec.start + i
                reading.changes.append({
                    "line": spec.line, "position": p, "before": old, "after": new,
                    "field": spec.name,
                    "reason": f"{code!r} is no known state code; {best[1]!r} is, and the "
                              "character was uncertain or a digit look-alike",
                })
                rows[spec.line][p] = new
    reading.lines = ["".join(r) for r in rows]


def _repair_names(reading: Reading) -> None:
    """Spell the name field's unsure letters as names are spelt (:mod:`docfraud.mrz.names`).

    Where the CNN hesitates between letters (a blurred E or F, O or Q), the letter
    statistics of real names decide among its likeliest ones (``reading.probs``: the
    reader's probabilities, field priors applied). Most formats leave the name to no check
    digit; where one covers it (the French ID card's composite), a respelling that makes a
    passing check digit fail is not made.
    """
    lines = list(reading.lines)
    checks = _fast_checks(reading.fmt, lines)
    for spec in reading.fmt.fields:
        if spec.kind != "name":
            continue
        probs = reading.probs[spec.line][spec.start:spec.stop]
        if probs.size == 0 or float(probs.max(axis=1).min()) >= names.UNSURE_BELOW:
            continue  # every letter confident: nothing to decide
        row = lines[spec.line]
        text = row[spec.start:spec.stop]
        new, changed = names.default_model().decode(text, probs, ocr.ALPHABET)
        if not changed:
            continue
        respelt = list(lines)
        respelt[spec.line] = row[:spec.start] + new + row[spec.stop:]
        after = _fast_checks(reading.fmt, respelt)
        if any(ok and not after[name] for name, ok in checks.items()):
            continue
        for k in changed:
            was, now = (float(probs[k][ocr.ALPHABET.index(c)]) for c in (text[k], new[k]))
            reading.changes.append({
                "line": spec.line, "position": spec.start + k, "before": text[k],
                "after": new[k], "field": spec.name,
                "reason": f"uncertain letter ({text[k]} {was:.2f}, {new[k]} {now:.2f}); the "
                          "letter statistics of names prefer the second",
            })
        lines, checks = respelt, after
    reading.lines = lines
    reading.checks = checks


def _field_name(fmt: MrzFormat, li: int, p: int) -> str | None:
    for f in fmt.fields:
        if f.line == li and f.start <= p < f.stop:
            return f.name
    return None


def _unsure_positions(reading: Reading, name: str) -> list[tuple[int, int]]:
    chk = next(c for c in reading.fmt.checks if c.name == name)
    positions = [(li, p) for li, a, b in chk.over for p in range(a, b)]
    positions.append((chk.line, chk.position))
    return [(li, p) for li, p in positions if float(reading.probs[li][p].max()) < UNSURE]


def _needs_tesseract(reading: Reading) -> list[int]:
    """Lines holding unsure characters covered by failing check digits."""
    lines: set[int] = set()
    for name, ok in reading.checks.items():
        if not ok:
            lines.update(li for li, _ in _unsure_positions(reading, name))
    return sorted(lines)


def read(
    image: ImageSource,
    *,
    today: date | None = None,
    tesseract: bool = True,
    search_windows: bool = True,
) -> MrzResult:
    """Read the machine readable zone of a document image.

    The MRZ is searched in the whole image (at :data:`locate.WORK_SIZE` px); where the
    image is larger than :data:`WINDOWS_FROM` px and its reading is not sure
    (:attr:`MrzResult.sure`), also in windows of :data:`WINDOW` px (a document
    photographed from afar is too small at the whole image's search scale):
    :func:`read_windows`.

    Args:
        image: a file path, encoded image bytes, or an (H, W[, 3|4]) array (RGB).
        today: reference date for expiry checks (default: today).
        tesseract: use Tesseract as a second engine where check digits fail on
            characters the CNN is unsure of.
        search_windows: search the windows of a large image (False: the image is
            already a crop around the MRZ).

    Returns:
        MrzResult. ``found`` is False (with ``reason``) when no MRZ could be read.
        ``raw_lines`` are the CNN's reading, ``lines`` after check-digit-guided
        repair; ``extra`` holds the orientation, region, confidence and timing.

    Raises:
        ImageError: the file is missing, empty, corrupt or not an image.
    """
    t0 = time.perf_counter()
    pixels = load_image(image)
    whole = _read_pixels(pixels, today=today, tesseract=tesseract, t0=t0)
    if not search_windows or max(pixels.shape[:2]) <= WINDOWS_FROM or whole.sure:
        return whole
    return _in_windows(pixels, today=today, tesseract=tesseract, whole=whole, t0=t0)


#: an image larger than this (px) whose whole gives no sure reading is also searched in
#: windows of WINDOW px (three times the search scale), overlapping by at least
#: WINDOW_OVERLAP (a document up to that size lies whole in one window) ...
WINDOWS_FROM = 4500
WINDOW = 3 * _locate.WORK_SIZE
WINDOW_OVERLAP = 1200
#: ... within this much work in all (units of FALLBACK_BUDGET, about 3 s), the fast
#: searches of the windows included; a window's fast path reads no further candidate
#: past WINDOW_FAST_WORK (a document's MRZ takes 400-600 units there, print 3000)
WINDOW_WORK = 12000
WINDOW_FAST_WORK = 800


def read_windows(
    image: ImageSource,
    *,
    today: date | None = None,
    tesseract: bool = True,
    whole: MrzResult | None = None,
) -> MrzResult:
    """The MRZ of a large image read in its windows (in the image's frame): where the
    fast search finds MRZ-like lines, first the fast path of every such window, most
    MRZ-like first, then the whole reader in them, until a sure reading or
    :data:`WINDOW_WORK`. A window's reading counts only where it is believable
    (:attr:`MrzResult.believable`: texture gives MRZ-like lines that read as garbage)
    and better (:meth:`MrzResult.rank`) than ``whole`` (the whole image's reading,
    when the caller has it) and the other windows'.

    Returns:
        the best reading, else ``whole``, else a not-found result.
    """
    t0 = time.perf_counter()
    return _in_windows(load_image(image), today=today, tesseract=tesseract, whole=whole,
                       t0=t0)


def _in_windows(pixels: NDArray[np.uint8], *, today: date | None, tesseract: bool,
                whole: MrzResult | None, t0: float) -> MrzResult:
    """:func:`read_windows` of loaded pixels."""
    from docfraud.mrz import MrzResult

    spent = 0
    scored = []
    for x0, y0, x1, y1 in _windows(pixels.shape[:2], WINDOW, WINDOW_OVERLAP):
        candidates = _locate.locate(pixels[y0:y1, x0:x1])
        spent += LOCATE_WORK[False]
        if candidates:
            scored.append((max(c.score for c in candidates), (x0, y0, x1, y1)))
    ordered = [win for _, win in sorted(scored, key=lambda sw: -sw[0])]
    best = whole if whole is not None else MrzResult.not_found(
        "no group of 2-3 long parallel text lines (MRZ) found in any window")
    # the fast path first everywhere: a document's MRZ reads there for a few hundred
    # units, where a window of print or texture may take the whole fallback budget
    for fallback in (False, True):
        for x0, y0, x1, y1 in ordered:
            if spent > WINDOW_WORK:
                return best
            result = _read_pixels(pixels[y0:y1, x0:x1], today=today, fallback=fallback,
                                  tesseract=tesseract and fallback, t0=t0,
                                  max_work=math.inf if fallback else WINDOW_FAST_WORK)
            spent += int(result.extra.get("work", 0) or 0)
            if result.believable and result.rank() > best.rank():
                best = result.moved(offset=(x0, y0))
            if best.sure:
                return best
    return best


def _windows(shape: tuple[int, ...], size: int,
             overlap: int) -> list[tuple[int, int, int, int]]:
    """Windows ``(x0, y0, x1, y1)`` of at most ``size`` px that cover an image of
    ``shape`` (H, W, ...), neighbours overlapping by at least ``overlap`` px."""
    def starts(n: int) -> list[int]:
        k = -(-(n - overlap) // (size - overlap)) if n > size else 1  # ceil
        return [round(i * (n - size) / (k - 1)) for i in range(k)] if k > 1 else [0]

    h, w = shape[:2]
    return [(x, y, min(w, x + size), min(h, y + size)) for y in starts(h) for x in starts(w)]


def _read_pixels(pixels: NDArray[np.uint8], *, today: date | None, tesseract: bool,
                 t0: float, fallback: bool = True, max_work: float = math.inf) -> MrzResult:
    """:func:`read` of the whole image (``fallback``: also the exhaustive search of other
    text directions and stroke maps; ``max_work``: read no further candidate past this
    much work; ``t0``: when the read began, for ``time_ms``)."""
    from docfraud.mrz import MrzResult, parse

    # the budget for slow fallbacks counts work done (FALLBACK_BUDGET), never time
    work = _Work()
    if min(pixels.shape[:2]) < 16:
        return MrzResult.not_found(f"image too small ({pixels.shape[1]}x{pixels.shape[0]} px)")
    ocr.default_classifier()  # a missing model is an error whatever the image
    ocr.small_glyph_classifier()
    names.default_model()
    best: Reading | None = None
    reason = "no group of 2-3 long parallel text lines (MRZ) found"
    # first the fast path (dominant text direction); if that gives no valid reading,
    # all likely text directions
    for exhaustive in (False, True) if fallback else (False,):
        if exhaustive and work.units > FALLBACK_BUDGET:
            break
        cands = _locate.locate(pixels, exhaustive=exhaustive)
        work.units += LOCATE_WORK[exhaustive]
        # candidates in order of MRZ-likeness; stop at the first confident, valid reading
        for cand in cands:
            if (exhaustive and work.units > MAX_WORK) or work.units > max_work:
                break
            if cand.completed and not _completion_wanted(best):
                continue
            hyps = _hypotheses(cand)
            if not hyps:
                reason = "MRZ-like lines found, but no character grid fits them"
                continue
            clf = _Counted(_classifier(cand), work)
            _probe(hyps, clf)
            hyps.sort(key=lambda h: -h.probe)
            for h in hyps[:MAX_FULL_READS]:
                if h.probe < hyps[0].probe - 0.6:
                    break
                r = _full_read(h, clf)
                if r is None:
                    reason = "text lines found, but none reads as an MRZ"
                    continue
                if cand.completed and not _completion_trusted(r):
                    continue  # a line placed where none was found must prove itself
                if best is None or r.score > best.score:
                    best = r
                if r.passed == len(r.checks) and r.mean_logp > -0.3:
                    break
            if best is not None and best.passed == len(best.checks) and best.mean_logp > -0.3:
                break
        # a confident reading whose check digits fail is most likely printed that way
        # (a specimen's mistake, a forgery): other text directions will not help; but
        # two 36-character lines may be 44-character lines found only in part (a curled
        # page), which the exhaustive search follows beyond their straight part
        if best is not None and (best.passed == len(best.checks) or (
                best.mean_logp > -0.3 and best.hyp.length != 36)):
            break
    if best is None:
        return MrzResult.not_found(reason, work=work.units)
    if best.passed == 0 and best.mean_logp < MIN_MEAN_LOGP:
        return MrzResult.not_found(
            f"MRZ-like lines found but unreadable (mean confidence {np.exp(best.mean_logp):.2f})",
            work=work.units,
        )
    # the chosen reading once more, unsure cells averaged over slightly moved crops
    clf = _Counted(_classifier(best.hyp.candidate), work)
    again = _full_read(best.hyp, clf, jitter=True)
    if again is not None and again.fmt is best.fmt and again.passed >= best.passed:
        best = again
    _shift_lines(best, clf)
    raw_lines = list(best.lines)
    engines = ["cnn"]
    if best.passed < len(best.checks):
        _repair(best, None)
        in_budget = work.units < FALLBACK_BUDGET
        lines_for_tess = _needs_tesseract(best) if tesseract and in_budget else []
        if lines_for_tess:
            strips = best.oriented_strips()
            tess = [ocr.tesseract_line(s) if i in lines_for_tess else ""
                    for i, s in enumerate(strips)]
            engines.append("tesseract")
            _repair(best, tess)
    _repair_country(best)
    _repair_names(best)
    result = parse(best.lines, today=today)
    result.raw_lines = raw_lines
    result.repairs = list(best.changes) + list(result.repairs)
    result.extra.update({
        "engines": engines,
        # rounded before the modulo, so that 359.96 degrees reads 0.0, not 360.0
        "orientation": round(best.hyp.candidate.angle + (180.0 if best.hyp.flipped else 0.0),
                             1) % 360.0,
        "region": list(best.hyp.candidate.region),
        # text direction (degrees, 0 = left to right, y down) and glyph size: what
        # docfraud.layout needs to place the card and its zones
        "angle": round((best.hyp.candidate.angle + (180.0 if best.hyp.flipped else 0.0))
                       % 360.0, 2),
        "glyph_height": round(float(best.hyp.candidate.glyph_height), 2),
        "confidence": round(float(np.exp(best.mean_logp)), 4),
        "min_char_confidence": round(float(min(p.max(axis=1).min() for p in best.probs)), 4),
        "time_ms": round(1000 * (time.perf_counter() - t0), 1),
        "work": work.units,  # cells classified + locate passes (FALLBACK_BUDGET's units)
    })
    return result
