"""Tesseract OCR kept alive in the process.

Starting the ``tesseract`` program (what pytesseract does on every call) costs about
120-150 ms before any reading: process start, then loading the LSTM model. A screening
script reads the visual zone once or twice per document, so that start-up was the
largest single cost of ``docfraud screen``. This module keeps one engine per thread and
configuration (page segmentation mode, engine mode, character whitelist) through the
Tesseract C++ API (the ``tesserocr`` binding) and reuses it; a call then costs only the
reading.

The language data is the system's (Debian ``tesseract-ocr-eng``), found through
``TESSDATA_PREFIX`` or the usual install folders. When ``tesserocr`` is missing or cannot
load that data, both functions fall back to pytesseract (one process per call), with the
same results apart from the engine version, and say so once in the log.

Both functions take dark text on a light ground, (H, W) uint8 (colour is averaged to
grey), and run Tesseract with one thread: the pytesseract path sets OMP_THREAD_LIMIT (its
OpenMP threads would only compete with the other workers of a batch); the tesserocr
wheel's Tesseract is built without OpenMP.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import OcrError

logger = logging.getLogger(__name__)

# Tesseract falls back to 70 dpi for images without a resolution (what pytesseract's
# PNG files give); the in-process engine is told the same so both read alike.
_SOURCE_DPI = 70

_TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)

_local = threading.local()
#: set when the in-process engine failed to load its model: later calls use pytesseract
_engine_broken = False

# TSV columns of Tesseract's word table (GetTSVText / image_to_data)
_TSV_KEYS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num",
             "left", "top", "width", "height", "conf", "text")


@functools.lru_cache(maxsize=1)
def tessdata_dir() -> str | None:
    """The folder holding ``eng.traineddata``, or None if none is found."""
    candidates = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [prefix, os.path.join(prefix, "tessdata")]
    candidates += list(_TESSDATA_DIRS)
    for folder in candidates:
        if (Path(folder) / "eng.traineddata").is_file():
            return folder
    return None


@functools.lru_cache(maxsize=1)
def in_process() -> bool:
    """True when the in-process engine is usable (tesserocr importable, language data found)."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        logger.info("tesserocr not installed; Tesseract runs as one process per call")
        return False
    if tessdata_dir() is None:
        logger.warning("no eng.traineddata found (set TESSDATA_PREFIX); "
                       "Tesseract runs as one process per call")
        return False
    _quiet_leptonica()
    return True


def _quiet_leptonica() -> None:
    """Silence Leptonica's messages on stderr ("Error in boxClipToRectangle: ...", about
    boxes of the page layout Tesseract tries and drops): the ``tesseract`` program's
    stderr never reached the user either, and a screening script's stderr is for docfraud's
    own errors. Uses the Leptonica library the tesserocr wheel loaded (or the system's)."""
    import ctypes
    import ctypes.util
    import glob

    import tesserocr

    bundled = Path(tesserocr.__file__).resolve().parent.parent / "tesserocr.libs"
    paths = sorted(glob.glob(str(bundled / "libleptonica*.so*")))
    system = ctypes.util.find_library("leptonica")
    for path in paths or ([system] if system else []):
        try:
            ctypes.CDLL(path).setMsgSeverity(6)  # L_SEVERITY_NONE
        except (OSError, AttributeError) as exc:
            logger.debug("could not quiet leptonica (%s): %s", path, exc)


def _engine(psm: int, oem: int, whitelist: str) -> Any:
    """This thread's engine for one engine mode and whitelist (created and its model
    loaded on first use), set to page segmentation mode ``psm``."""
    import tesserocr

    engines: dict[tuple[int, str], Any] | None = getattr(_local, "engines", None)
    if engines is None:
        engines = _local.engines = {}
    api = engines.get((oem, whitelist))
    if api is None:
        # RuntimeError ("Failed to init API") on unusable language data: the caller falls
        # back to pytesseract
        api = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang="eng", oem=oem)
        if whitelist:
            api.SetVariable("tessedit_char_whitelist", whitelist)
        engines[(oem, whitelist)] = api
    api.SetPageSegMode(psm)
    return api


def _use_in_process() -> bool:
    return in_process() and not _engine_broken


def _disable_in_process(exc: Exception) -> None:
    global _engine_broken
    _engine_broken = True
    logger.warning("in-process Tesseract unusable (%s); falling back to one tesseract "
                   "process per call", exc)


def preload(*, oem: int = 3, whitelist: str = "") -> None:
    """Load this thread's engine for ``oem`` / ``whitelist`` now (start-up work that the
    first reading would otherwise pay); does nothing without the in-process engine."""
    if _use_in_process():
        try:
            _engine(3, oem, whitelist)
        except RuntimeError as exc:
            _disable_in_process(exc)


def _recognise(gray: NDArray[np.uint8], psm: int, oem: int, whitelist: str,
               timeout: float) -> Any | None:
    """Run this thread's engine on ``gray``; the engine after recognition, or None if it
    failed or ran past ``timeout`` seconds (0: no limit)."""
    image = np.ascontiguousarray(gray, dtype=np.uint8)
    h, w = image.shape
    api = _engine(psm, oem, whitelist)  # RuntimeError: see _in_process_or_none
    pixels = image.tobytes()  # Tesseract copies it into a Pix (ImageThresholder::SetImage)
    api.SetImageBytes(pixels, w, h, 1, w)
    api.SetSourceResolution(_SOURCE_DPI)
    if not api.Recognize(timeout=int(timeout * 1000)):
        logger.warning("tesseract gave up (timeout %.1f s) on a %dx%d image", timeout, w, h)
        return None
    return api


def _in_process_or_none(gray: NDArray[np.uint8], psm: int, oem: int, whitelist: str,
                        timeout: float) -> tuple[bool, Any | None]:
    """(handled, engine): handled is False when the in-process engine is unavailable or
    failed to load (the caller then runs pytesseract)."""
    if not _use_in_process():
        return False, None
    try:
        return True, _recognise(gray, psm, oem, whitelist, timeout)
    except RuntimeError as exc:
        _disable_in_process(exc)
        return False, None


def _as_gray(image: NDArray[Any]) -> NDArray[np.uint8] | None:
    """(H, W) uint8 from a grey or colour uint8 image; None when it is empty."""
    a = np.asarray(image)
    if a.size == 0:
        return None
    if a.ndim == 3:
        a = a.mean(axis=2)
    if a.ndim != 2:
        raise ValueError(f"expected an (H, W) or (H, W, C) image, got shape {a.shape}")
    return np.clip(a, 0, 255).astype(np.uint8) if a.dtype != np.uint8 else a


def _cli_config(psm: int, oem: int, whitelist: str) -> str:
    config = f"--psm {psm} --oem {oem}"
    if whitelist:
        config += f" -c tessedit_char_whitelist={whitelist}"
    return config


def _run_cli(call: Callable[[], Any], empty: Any) -> Any:
    """A pytesseract call (one ``tesseract`` process) with one OpenMP thread: its result,
    ``empty`` when it times out; OcrError when Tesseract cannot run."""
    import pytesseract

    previous = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        return call()
    except RuntimeError as exc:  # pytesseract's timeout
        logger.warning("tesseract gave up: %s", exc)
        return empty
    except (OSError, pytesseract.TesseractError) as exc:
        raise OcrError(f"Tesseract could not run: {exc} (install tesseract-ocr and "
                       "tesseract-ocr-eng, or tesserocr)") from exc
    finally:
        if previous is None:
            os.environ.pop("OMP_THREAD_LIMIT", None)
        else:
            os.environ["OMP_THREAD_LIMIT"] = previous


def image_to_data(gray: NDArray[np.uint8], *, psm: int, oem: int = 3, whitelist: str = "",
                  timeout: float = 0.0) -> dict[str, list[Any]]:
    """Words with boxes and confidences, as pytesseract's ``image_to_data`` DICT.

    Args:
        gray: (H, W) uint8, dark text on light ground.
        psm: Tesseract page segmentation mode (e.g. 7 one line, 11 sparse text).
        oem: engine mode (1 LSTM, 3 default).
        whitelist: characters to allow ("" all).
        timeout: seconds (0 no limit); past it the result is empty.

    Raises:
        OcrError: Tesseract is not installed or cannot run (an engine whose model fails
            to load in the process is replaced by pytesseract first).

    Returns:
        Columns ``left, top, width, height`` (int, pixels of ``gray``), ``conf`` (float,
        0-100, -1 for rows that are not words), ``text`` (str) and Tesseract's layout
        numbers, one entry per row.
    """
    out: dict[str, list[Any]] = {k: [] for k in _TSV_KEYS}
    image = _as_gray(gray)
    if image is None:
        return out
    handled, api = _in_process_or_none(image, psm, oem, whitelist, timeout)
    if handled:
        if api is None:
            return out
        for row in (api.GetTSVText(0) or "").splitlines():
            parts = row.split("\t")
            if len(parts) < len(_TSV_KEYS):
                parts += [""] * (len(_TSV_KEYS) - len(parts))
            for key, value in zip(_TSV_KEYS, parts, strict=False):
                if key == "text":
                    out[key].append(value)
                elif key == "conf":
                    out[key].append(float(value))
                else:
                    out[key].append(int(value))
        return out
    import pytesseract

    data: dict[str, list[Any]] = _run_cli(lambda: pytesseract.image_to_data(
        image, config=_cli_config(psm, oem, whitelist), timeout=timeout or 0,
        output_type=pytesseract.Output.DICT), out)
    # the same types as the in-process table (pytesseract gives whole-number confidences)
    data["conf"] = [float(c) for c in data.get("conf", [])]
    data["text"] = [str(t) for t in data.get("text", [])]
    return data


def image_to_string(gray: NDArray[np.uint8], *, psm: int, oem: int = 3, whitelist: str = "",
                    timeout: float = 0.0) -> str:
    """The text Tesseract reads in ``gray`` ("" if it times out or the image is empty);
    arguments as :func:`image_to_data`.

    Raises:
        OcrError: Tesseract is not installed or cannot run.
    """
    image = _as_gray(gray)
    if image is None:
        return ""
    handled, api = _in_process_or_none(image, psm, oem, whitelist, timeout)
    if handled:
        return str(api.GetUTF8Text() or "") if api is not None else ""
    import pytesseract

    return str(_run_cli(lambda: pytesseract.image_to_string(
        image, config=_cli_config(psm, oem, whitelist), timeout=timeout or 0), ""))
