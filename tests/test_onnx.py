"""The ONNX networks run on ONNX Runtime, or on OpenCV's dnn module where it is missing,
to the same outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from docfraud._onnx import OnnxNet
from docfraud.errors import ModelError
from docfraud.forensics.learned import MODEL_PATH as LEARNED
from docfraud.mrz.ocr import CELL_H, CELL_W
from docfraud.mrz.ocr import MODEL_PATH as MRZ_OCR


def test_onnx_runtime_is_preferred() -> None:
    """ONNX Runtime is a dependency: the networks run on it unless told otherwise."""
    assert OnnxNet(LEARNED, what="x").engine == "onnxruntime"
    assert OnnxNet(LEARNED, what="x", engine="opencv").engine == "opencv"


@pytest.mark.parametrize(("path", "shape"), [(LEARNED, (1, 5, 96, 136)),
                                             (MRZ_OCR, (7, 1, CELL_H, CELL_W))])
def test_both_engines_give_the_same_outputs(path: Path, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    a = OnnxNet(path, what="x").run(x)
    b = OnnxNet(path, what="x", engine="opencv").run(x)
    assert a.shape == b.shape and a.dtype == np.float32
    assert float(np.abs(a - b).max()) < 1e-4 * max(1.0, float(np.abs(b).max()))
    assert float(np.abs(a).max()) > 0  # a real output, not zeros


@pytest.mark.parametrize("engine", ["onnxruntime", "opencv"])
def test_a_missing_or_corrupt_network_is_a_model_error(tmp_path: Path, engine: str) -> None:
    with pytest.raises(ModelError, match="not found"):
        OnnxNet(tmp_path / "none.onnx", what="the net", engine=engine)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a network" * 10)
    with pytest.raises(ModelError, match="unusable"):
        OnnxNet(bad, what="the net", engine=engine)
