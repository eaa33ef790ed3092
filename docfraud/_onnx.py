"""The ONNX networks at run time: ONNX Runtime where it is installed, OpenCV's dnn module
otherwise.

Both run the same weights (``models/*.onnx``) to the same outputs within float rounding
(the learned detector's logits within 1e-5 of each other). ONNX Runtime runs the learned
detector's full-resolution network about 2.5 times as fast as OpenCV's dnn module on one
CPU core (a 2-megapixel photo: ~40 against ~100 ms; ``scripts/bench_screen.py``), which is
why it is preferred; OpenCV's module keeps docfraud working where no ONNX Runtime wheel
exists for the platform.

Threads: an ONNX Runtime session takes as many intra-op threads as OpenCV is allowed when
it is created (``cv2.getNumThreads()``): a batch worker or a benchmark that limits OpenCV
to one thread (before the first network is loaded) limits the networks too, as it did
when OpenCV ran them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import ModelError


def _onnxruntime() -> Any | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    return onnxruntime


class OnnxNet:
    """One ONNX network with a single input and (at least) one output.

    Attributes:
        engine: ``"onnxruntime"`` or ``"opencv"``, whichever runs it.
    """

    def __init__(self, path: Path, *, what: str, engine: str | None = None) -> None:
        """Load the network at ``path`` (``what`` names it in errors). ``engine`` forces
        ``"onnxruntime"`` or ``"opencv"`` (tests, comparisons); by default ONNX Runtime
        where installed.

        Raises:
            ModelError: the file is missing or neither engine can read it.
        """
        if not path.is_file():
            raise ModelError(f"{what} not found: {path}")
        ort = _onnxruntime() if engine in (None, "onnxruntime") else None
        if engine == "onnxruntime" and ort is None:
            raise ModelError("ONNX Runtime is not installed (pip install onnxruntime)")
        self._session: Any = None
        self._net: Any = None
        if ort is not None:
            import cv2

            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, int(cv2.getNumThreads()))
            options.inter_op_num_threads = 1
            # idle threads sleep instead of spinning (a batch runs several processes)
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3
            try:
                self._session = ort.InferenceSession(str(path), options,
                                                     providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own (pybind) exception types
                raise ModelError(f"{what} {path} is unusable: {exc}") from None
            self._input = self._session.get_inputs()[0].name
            self.engine = "onnxruntime"
        else:
            import cv2

            # the classic engine is faster than ENGINE_NEW on CPU
            classic = getattr(cv2.dnn, "ENGINE_CLASSIC", None)
            try:
                self._net = (cv2.dnn.readNetFromONNX(str(path)) if classic is None
                             else cv2.dnn.readNetFromONNX(str(path), classic))
            except cv2.error as exc:
                raise ModelError(f"{what} {path} is unusable: {exc}") from None
            self._lock = threading.Lock()  # the net holds its input between two calls
            self.engine = "opencv"

    def run(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        """The network's first output for the input batch ``x`` (float32, C-contiguous)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self._session is not None:  # an InferenceSession runs concurrently
            return np.asarray(self._session.run(None, {self._input: x})[0], dtype=np.float32)
        with self._lock:  # an OpenCV net holds its input between setInput and forward
            self._net.setInput(x)
            return np.asarray(self._net.forward(), dtype=np.float32)
