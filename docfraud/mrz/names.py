"""Letter statistics of personal names: the MRZ reader's tie-breaker in the name field.

Check digits leave the MRZ name out (but for the French ID card's composite, which the
reader keeps passing: ``read._repair_names``). Where the cell CNN is unsure between letters (at
6-8 px a blurred E and F, O and Q, I and T differ by a few pixels), the reading of the
whole field is decoded again: each unsure cell may take one of its next likeliest
letters, and the field's letters are scored by the CNN's log-probabilities plus
:data:`WEIGHT` times a letter trigram model of real names (Viterbi). Confident cells,
fillers and non-letters never change, and a filler is never put in or taken out (that
is the grid's business, not the spelling's).

The trigram counts (``models/name_letters.json``) come from Faker's name lists of every
Latin-script locale and the romanised names of its Chinese and Japanese locales,
transliterated as ICAO 9303 recommends; ``scripts/build_name_model.py`` reproduces them.
They are independent of docfraud's synthetic-name lists; the leak check (names sharing a
word with those lists left out) is in docs/benchmarks.md.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import ModelError

MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "name_letters.json"

#: The model's alphabet: the filler (word boundary) and the 26 letters.
ALPHABET = "<ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Weight of the name model's log-probabilities against the CNN's.
WEIGHT = 0.5
#: A cell whose top class is at least this likely is kept as read.
UNSURE_BELOW = 0.9
#: Other letters a cell may take: letters among its MAX_ALTS + 1 likeliest classes, at
#: least ALT_MIN likely.
ALT_MIN = 0.05
MAX_ALTS = 2
#: The decoded spelling replaces the reading only if it scores this much higher (log units:
#: about 1.3 times as likely); a near-tie is left as read.
MIN_GAIN = 0.25
#: Interpolation: trigram share where the two-letter context was seen, bigram share of the
#: rest (the remainder goes to letter frequencies).
TRIGRAM_SHARE = 0.7
BIGRAM_SHARE = 0.8

_B = 0  # index of '<'


def _context(a: int, b: int) -> int:
    """The first letter of the context ``a b`` as the model knows it: after a filler a word
    starts afresh, whatever came before the filler (counting and decoding alike)."""
    return _B if b == _B else a


def count_trigrams(names: Iterable[str]) -> NDArray[np.int64]:
    """(27, 27, 27) counts: ``[a, b, c]`` = how often ``c`` follows ``a b`` in ``names``.

    Names are MRZ text (``A-Z`` and ``<`` between words), each distinct name counted once
    (spellings, not how many people bear them). Each name is framed by fillers; after a
    filler the context is two fillers (a word starts afresh).
    """
    counts = np.zeros((len(ALPHABET),) * 3, np.int64)
    for name in names:
        idx = [ALPHABET.index(ch) for ch in f"<<{name}<"]
        for a, b, c in zip(idx, idx[1:], idx[2:], strict=False):
            counts[_context(a, b), b, c] += 1
    return counts


def log_probabilities(counts: NDArray[np.int64]) -> NDArray[np.float32]:
    """Interpolated trigram log-probabilities ``log P(c | a b)`` from :func:`count_trigrams`."""
    c3 = counts.astype(np.float64)
    c2 = c3.sum(axis=0)  # (b, c)
    c1 = c2.sum(axis=0)  # (c,)
    p1 = (c1 + 1.0) / (c1 + 1.0).sum()
    p2 = (c2 + 0.1) / (c2 + 0.1).sum(axis=1, keepdims=True)
    seen = c3.sum(axis=2, keepdims=True)
    p3 = c3 / np.maximum(seen, 1.0)
    w3 = np.where(seen > 0, TRIGRAM_SHARE, 0.0)
    lower = BIGRAM_SHARE * p2[None] + (1.0 - BIGRAM_SHARE) * p1[None, None]
    out: NDArray[np.float32] = np.log(w3 * p3 + (1.0 - w3) * lower).astype(np.float32)
    return out


@dataclass(frozen=True)
class NameModel:
    """A letter trigram model of names (:func:`log_probabilities` of the shipped counts)."""

    logp: NDArray[np.float32]  # (27, 27, 27)

    @classmethod
    def load(cls, path: Path | None = None) -> NameModel:
        """The model of the counts file ``path`` (default :data:`MODEL_PATH`)."""
        path = MODEL_PATH if path is None else path
        try:
            doc = json.loads(Path(path).read_text())
            if doc.get("alphabet") != ALPHABET:
                raise ValueError(f"alphabet {doc.get('alphabet')!r}, expected {ALPHABET!r}")
            counts = np.asarray(doc["counts"], np.int64)
            if counts.shape != (len(ALPHABET),) * 3:
                raise ValueError(f"counts of shape {counts.shape}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot load the name letter model {path}: {exc} "
                             "(rebuild it with scripts/build_name_model.py)") from exc
        return cls(log_probabilities(counts))

    def decode(self, text: str, probs: NDArray[np.float32],
               alphabet: str) -> tuple[str, list[int]]:
        """The likeliest spelling of a name field read as ``text``.

        Args:
            text: the field as read (letters and fillers).
            probs: (len(text), len(alphabet)) class probabilities of its cells (the
                reader's: CNN output with the field priors applied).
            alphabet: the classes of ``probs``' columns.

        Returns:
            The field, and the positions whose letter changed.
        """
        # per cell: (model index, CNN log-probability) of the letters it may take
        options: list[list[tuple[int, float]]] = []
        for ch, p in zip(text, probs, strict=True):
            if ch not in ALPHABET:  # a digit or other class: kept, a word boundary for the model
                options.append([(_B, 0.0)])
                continue
            top = float(p[alphabet.index(ch)])
            cell = [(ALPHABET.index(ch), float(np.log(max(top, 1e-6))))]
            if ch != "<" and top < UNSURE_BELOW:
                for j in np.argsort(-p)[:MAX_ALTS + 1]:
                    alt = alphabet[j]
                    if float(p[j]) < ALT_MIN:
                        break
                    if alt != ch and alt != "<" and alt in ALPHABET:
                        cell.append((ALPHABET.index(alt), float(np.log(p[j]))))
            options.append(cell)
        if all(len(o) == 1 for o in options):
            return text, []
        # Viterbi over states (previous letter, this letter); the reading's own path
        # (every cell's first option) scored alongside
        states: dict[tuple[int, int], tuple[float, list[int]]] = {(_B, _B): (0.0, [])}
        as_read, a, b = 0.0, _B, _B
        for cell in options:
            nxt: dict[tuple[int, int], tuple[float, list[int]]] = {}
            for c, logp_cnn in cell:
                for (x, y), (score, path) in states.items():
                    s = score + logp_cnn + WEIGHT * float(self.logp[_context(x, y), y, c])
                    if (y, c) not in nxt or s > nxt[(y, c)][0]:
                        nxt[(y, c)] = (s, [*path, c])
            c, logp_cnn = cell[0]
            as_read += logp_cnn + WEIGHT * float(self.logp[_context(a, b), b, c])
            a, b = b, c
            states = nxt
        score, best = max(states.values(), key=lambda v: v[0])
        if score < as_read + MIN_GAIN:
            return text, []
        out = [ch if ch not in ALPHABET else ALPHABET[i]
               for ch, i in zip(text, best, strict=True)]
        changed = [k for k, (a, b) in enumerate(zip(text, out, strict=True)) if a != b]
        return "".join(out), changed


@functools.lru_cache(maxsize=1)
def default_model() -> NameModel:
    """The shipped model (MODEL_PATH), loaded once per process."""
    return NameModel.load()
