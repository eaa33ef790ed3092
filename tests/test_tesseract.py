"""The in-process Tesseract engine and its pytesseract fallback read alike."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from docfraud import tesseract

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None and not tesseract.in_process(),
                                reason="Tesseract not installed")


def _text_image(text: str) -> np.ndarray:
    img = np.full((60, 40 + 26 * len(text)), 255, np.uint8)
    cv2.putText(img, text, (20, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2, cv2.LINE_AA)
    return img


@pytest.fixture(params=["in_process", "cli"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "in_process":
        if not tesseract.in_process():
            pytest.fail("tesserocr or the language data is missing: the in-process engine "
                        "is a declared dependency")
    else:
        if shutil.which("tesseract") is None:
            pytest.skip("no tesseract program for the pytesseract fallback")
        monkeypatch.setattr(tesseract, "in_process", lambda: False)
    return str(request.param)


def test_image_to_data_words_and_boxes(mode: str) -> None:
    img = _text_image("PASSPORT 1974")
    data = tesseract.image_to_data(img, psm=7)
    words = [(str(t).strip(), i) for i, t in enumerate(data["text"]) if str(t).strip()]
    assert [w for w, _ in words] == ["PASSPORT", "1974"]
    for _, i in words:
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        assert 0 <= x < x + w <= img.shape[1] and 0 <= y < y + h <= img.shape[0]
        assert 0 <= float(data["conf"][i]) <= 100
    # the first word lies left of the second
    assert data["left"][words[0][1]] < data["left"][words[1][1]]


def test_image_to_string_whitelist(mode: str) -> None:
    img = _text_image("P<UTOERIKSSON<<ANNA")
    text = tesseract.image_to_string(img, psm=7, oem=1,
                                     whitelist="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
    text = text.strip()
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
    assert "ERIKSSON" in text


def test_blank_image_reads_nothing(mode: str) -> None:
    blank = np.full((40, 200), 255, np.uint8)
    data = tesseract.image_to_data(blank, psm=11)
    assert not [t for t in data["text"] if str(t).strip()]


def test_engine_is_reused_between_calls() -> None:
    if not tesseract.in_process():
        pytest.fail("in-process engine unavailable")
    img = _text_image("VISA 2031")
    tesseract.image_to_data(img, psm=7)
    first = tesseract._engine(7, 3, "")
    tesseract.image_to_data(img, psm=11)
    assert tesseract._engine(11, 3, "") is first


def test_tessdata_prefix_is_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    system = tesseract.tessdata_dir()
    assert system is not None
    (tmp_path / "eng.traineddata").write_bytes(b"")
    tesseract.tessdata_dir.cache_clear()
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    try:
        assert tesseract.tessdata_dir() == str(tmp_path)
    finally:
        tesseract.tessdata_dir.cache_clear()


def test_leptonica_messages_are_silenced() -> None:
    """Leptonica's 'Error in boxClipToRectangle' lines must not reach a screening script's
    stderr: after the engine is set up, its message level is 'none' (6)."""
    import ctypes
    import glob
    from pathlib import Path

    if not tesseract.in_process():
        pytest.fail("in-process engine unavailable")
    import tesserocr

    libs = glob.glob(str(Path(tesserocr.__file__).resolve().parent.parent / "tesserocr.libs"
                         / "libleptonica*.so*"))
    if not libs:
        pytest.skip("tesserocr uses a system Leptonica")
    lib = ctypes.CDLL(libs[0])
    assert lib.setMsgSeverity(6) == 6


def test_conf_is_float_in_both_modes(mode: str) -> None:
    data = tesseract.image_to_data(_text_image("VISA 2031"), psm=7)
    assert data["conf"] and all(isinstance(c, float) for c in data["conf"])
    assert all(isinstance(t, str) for t in data["text"])


def test_empty_and_colour_images(mode: str) -> None:
    assert tesseract.image_to_string(np.zeros((0, 10), np.uint8), psm=7) == ""
    assert not any(str(t).strip() for t in
                   tesseract.image_to_data(np.zeros((5, 0), np.uint8), psm=11)["text"])
    colour = np.repeat(_text_image("PASSPORT")[..., None], 3, axis=2)
    assert "PASSPORT" in tesseract.image_to_string(colour, psm=7)


def test_unloadable_language_data_falls_back_to_pytesseract(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A broken eng.traineddata for the in-process engine: the reading still happens, by
    one tesseract process (which uses its own default data), and later calls skip the
    in-process engine."""
    import threading

    if shutil.which("tesseract") is None:
        pytest.skip("no tesseract program for the fallback")
    (tmp_path / "eng.traineddata").write_bytes(b"not a model")
    monkeypatch.setattr(tesseract, "in_process", lambda: True)
    monkeypatch.setattr(tesseract, "tessdata_dir", lambda: str(tmp_path))
    monkeypatch.setattr(tesseract, "_local", threading.local())
    monkeypatch.setattr(tesseract, "_engine_broken", False)
    assert "PASSPORT" in tesseract.image_to_string(_text_image("PASSPORT"), psm=7)
    assert tesseract._engine_broken


def test_missing_tesseract_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No in-process engine and no tesseract program: vizcheck's reader raises OcrError
    (the detector is then marked failed); the MRZ reader's second engine returns ""."""
    import pytesseract

    from docfraud.errors import OcrError
    from docfraud.mrz import ocr

    monkeypatch.setattr(tesseract, "in_process", lambda: False)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(OcrError, match="Tesseract could not run"):
        tesseract.image_to_data(_text_image("VISA"), psm=7)
    assert ocr.tesseract_line(_text_image("P<UTO")) == ""
