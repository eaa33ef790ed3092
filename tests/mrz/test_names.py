"""The name letter model: the MRZ reader's tie-breaker for unsure letters in names."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from docfraud.errors import ModelError
from docfraud.mrz import FORMATS, names
from docfraud.mrz.ocr import ALPHABET
from tests.scripts import load_script

read_mod = importlib.import_module("docfraud.mrz.read")


def _probs(text: str, unsure: dict[int, dict[str, float]] | None = None) -> np.ndarray:
    """Cell probabilities: each character of ``text`` at 0.99, or as ``unsure`` gives."""
    p = np.full((len(text), len(ALPHABET)), 0.01 / (len(ALPHABET) - 1), np.float32)
    for k, ch in enumerate(text):
        p[k, ALPHABET.index(ch)] = 0.99
    for k, dist in (unsure or {}).items():
        p[k] = 0.0
        rest = (1.0 - sum(dist.values())) / (len(ALPHABET) - len(dist))
        p[k] = rest
        for ch, v in dist.items():
            p[k, ALPHABET.index(ch)] = v
    return p


def test_count_trigrams_frames_names_and_restarts_words() -> None:
    c = names.count_trigrams(["AB<C"])
    i = names.ALPHABET.index
    assert c[i("<"), i("<"), i("A")] == 1  # name start
    assert c[i("<"), i("A"), i("B")] == 1
    assert c[i("A"), i("B"), i("<")] == 1
    assert c[i("<"), i("<"), i("C")] == 1  # after a word boundary the context restarts
    assert c[i("<"), i("C"), i("<")] == 1
    assert c.sum() == 5


def test_shipped_model_loads_and_prefers_common_spellings() -> None:
    m = names.default_model()
    assert m.logp.shape == (27, 27, 27)
    assert np.allclose(np.exp(m.logp).sum(axis=2), 1.0, atol=1e-4)
    i = names.ALPHABET.index
    # after 'M' a word goes on with 'E' far more often than with 'F'
    assert m.logp[i("<"), i("M"), i("E")] > m.logp[i("<"), i("M"), i("F")] + 1.0


def test_unsure_letter_takes_the_spelling_of_names() -> None:
    text = "DE<LA<CRUZ<<MFI<<<<<<<<<<<<<<<<<<<<<<<<"
    probs = _probs(text, {13: {"F": 0.51, "E": 0.31, "P": 0.03}})
    new, changed = names.default_model().decode(text, probs, ALPHABET)
    assert new == "DE<LA<CRUZ<<MEI<<<<<<<<<<<<<<<<<<<<<<<<"
    assert changed == [13]


def test_confident_letters_fillers_and_digits_are_kept() -> None:
    m = names.default_model()
    text = "MFI<<SMITH<<<<"
    # F confident: kept, however rare the spelling
    assert m.decode(text, _probs(text), ALPHABET) == (text, [])
    # a filler with a letter as runner-up stays a filler; a letter is never made a filler
    probs = _probs(text, {3: {"<": 0.5, "E": 0.45}, 6: {"M": 0.4, "<": 0.5}})
    new, _ = m.decode(text, probs, ALPHABET)
    assert new[3] == "<" and new[6] != "<"
    # a digit read into a name is left to the other repairs
    text2 = "M3I<<<"
    probs2 = _probs(text2, {1: {"3": 0.4, "E": 0.35}})
    assert m.decode(text2, probs2, ALPHABET)[0][1] == "3"


def test_viterbi_keeps_fillers_digits_and_confident_letters() -> None:
    """With the decoder running (another cell unsure), a letter whose runner-up is the
    filler stays a letter, a digit stays where it is, and a letter read at 0.92 keeps
    its reading even with an alternative above ALT_MIN."""
    m = names.default_model()
    text = "SMITHX<<ANNA<MFI<<<"
    probs = _probs(text, {5: {"X": 0.5, "<": 0.45}, 14: {"F": 0.51, "E": 0.31}})
    new, changed = m.decode(text, probs, ALPHABET)
    assert new[5] != "<" and new[14] == "E" and 14 in changed
    text2 = "DE<LA<CRUZ<<MFI<3<"
    new2, _ = m.decode(text2, _probs(text2, {13: {"F": 0.51, "E": 0.31}}), ALPHABET)
    assert new2 == "DE<LA<CRUZ<<MEI<3<"

def test_letters_read_above_the_threshold_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A letter the CNN gives at least UNSURE_BELOW keeps its reading, however rare the
    spelling (here the threshold lowered so that the F of MFI counts as sure)."""
    text = "DE<LA<CRUZ<<MFI<<<"
    probs = _probs(text, {13: {"F": 0.51, "E": 0.31}, 1: {"E": 0.4, "F": 0.35}})
    monkeypatch.setattr(names, "UNSURE_BELOW", 0.5)
    assert names.default_model().decode(text, probs, ALPHABET)[0][13] == "F"


def test_a_word_starts_afresh_after_a_filler() -> None:
    """After a filler the model's context is the start of a word, whatever came before
    (as the counts were made): the same unsure word is spelt alike after any surname."""
    m = names.default_model()
    for surname in ("AB", "XQ", "SMITH"):
        text = f"{surname}<<MFI<<<"
        k = len(surname) + 3
        new, _ = m.decode(text, _probs(text, {k: {"F": 0.51, "E": 0.31}}), ALPHABET)
        assert new == f"{surname}<<MEI<<<"


def test_respelling_never_breaks_a_check_digit_that_passed() -> None:
    """The French ID card's composite check digit covers the names: a respelling that
    would make it fail is not made (and a reading's checks are recomputed)."""
    from docfraud.mrz.checkdigit import check_digit

    fmt = FORMATS["FRA_ID"]
    l0 = ("IDFRA" + "MFI").ljust(30, "<") + "932013"
    l1 = "0506932020438CHRISTIANE<<NI2906209F"
    l1 += check_digit(l0 + l1)
    lines = [l0, l1]
    probs = [_probs(l0, {6: {"F": 0.51, "E": 0.31}}), _probs(l1)]
    reading = SimpleNamespace(lines=list(lines), probs=probs, fmt=fmt, changes=[], checks={})
    read_mod._repair_names(reading)
    assert reading.lines == lines and reading.changes == []
    assert all(reading.checks.values())


def test_near_tie_is_left_as_read(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "DE<LA<CRUZ<<MFI<<<"
    probs = _probs(text, {13: {"F": 0.51, "E": 0.31}})
    monkeypatch.setattr(names, "MIN_GAIN", 50.0)
    assert names.default_model().decode(text, probs, ALPHABET) == (text, [])


def test_reader_records_the_change() -> None:
    fmt = FORMATS["TD3"]
    lines = ["P<UTODE<LA<CRUZ<<MFI<<<<<<<<<<<<<<<<<<<<<<<<",
             "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    probs = [_probs(lines[0], {18: {"F": 0.51, "E": 0.31}}), _probs(lines[1])]
    reading = SimpleNamespace(lines=list(lines), probs=probs, fmt=fmt, changes=[])
    read_mod._repair_names(reading)
    assert reading.lines[0] == lines[0].replace("MFI", "MEI")
    assert reading.lines[1] == lines[1]
    (change,) = reading.changes
    assert change["line"] == 0 and change["position"] == 18 and change["field"] == "name"
    assert (change["before"], change["after"]) == ("F", "E")
    assert "statistics of names" in change["reason"]


def test_corrupt_model_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "names.json"
    bad.write_text('{"alphabet": "<ABC", "counts": []}')
    with pytest.raises(ModelError, match="name letter model"):
        names.NameModel.load(bad)
    bad.write_text("not json")
    with pytest.raises(ModelError):
        names.NameModel.load(bad)


def test_build_script_reproduces_the_shipped_model(tmp_path: Path) -> None:
    pytest.importorskip("faker", reason="Faker is a [dev] dependency (scripts/setup.sh)")
    script = load_script("build_name_model")
    out = tmp_path / "n.json"
    assert script.main(["--out", str(out)]) == 0
    built = json.loads(out.read_text())
    shipped = json.loads(names.MODEL_PATH.read_text())
    assert built["source"] == shipped["source"]
    assert built["counts"] == shipped["counts"]


def test_missing_model_fails_every_read_clearly(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """Like the OCR models, a missing name model is an error whatever the image (not a
    failure only on the images whose names are unsure)."""
    monkeypatch.setattr(names, "MODEL_PATH", tmp_path / "none.json")
    names.default_model.cache_clear()
    try:
        with pytest.raises(ModelError, match="build_name_model"):
            read_mod.read(np.full((200, 300), 255, np.uint8))
    finally:
        names.default_model.cache_clear()
