"""A learned detector: a small convolutional network trained on synthetic forgeries.

The network looks at the image at native resolution, five channels per pixel: RGB
and two luma high-pass residuals (Immerkaer's 3x3 kernel, as
:attr:`~docfraud.forensics.base.Analysis.noise_residual`, and the 5x5 "KV" kernel of
the SRM rich models), so it sees both content (fonts, re-drawn backgrounds, pasted
photos) and the fine texture that printing, pasting and retouching change. It is fully
convolutional: one pass over the whole image gives a forgery probability for every
8x8 cell (the "medium" network of ``scripts/train_learned.py``: receptive field 76
pixels, about 1000 multiply-adds per pixel, ~0.1 s for 2 megapixels on one core).

The weights (``models/learned_cnn.onnx``, made by ``scripts/train_learned.py`` from
:mod:`docfraud.synth` documents, with the held-out design and forgery kind left out,
and counterfeits too: a whole re-made document taught a network trained with them that
an unfamiliar design is forged -- it scored genuine documents of the held-out design
and 11 of the 38 real specimens above its 1 % false-alarm threshold; the shipped ones
were trained on a GPU from 257,136 crops of 5,357 documents, then fine-tuned on a CPU
from 520,176 crops of 10,837 with the cells' labels flipped with their crop) run on ONNX
Runtime (OpenCV's DNN module where it is missing: :mod:`docfraud._onnx`), so neither
screening nor ``import`` needs torch.

Score: the largest mean probability over 3x3 cells (24x24 pixels), so one small
altered field counts as much as a large one. Images over :data:`MAX_PIXELS` are
downscaled first, which bounds the time (native resolution up to 4 megapixels).

What it is good for, and what not (models/learned_cnn.json, synthetic validation
documents of seed 5202): cells ROC AUC 0.79, and the heatmap is brighter inside the
forged region than outside it; but a genuine card has cells that look forged too, so
the document score hardly separates local alterations (document AUC 0.60). Where the
layout placed the card, it also reports the mean probability over the portrait zone
and its excess over the card's (:func:`_portrait_measures`): on photo substitutions of
the held-out design (development seed 5457, 40 + 40 documents) these reach ROC AUC 0.87
(the previous, smaller network's 0.50). Its heatmap is a pointer for the examiner and an input to
fusion, never a verdict.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import ModelError
from docfraud.findings import Finding
from docfraud.forensics.base import (
    Analysis,
    Detector,
    DetectorResult,
    blocks_to_heatmap,
    box_of,
)
from docfraud.forensics.registry import register

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "learned_cnn.onnx"
#: side of the output cells in pixels (the network's output stride)
CELL = 8
#: reflected border added before the network so edge cells see no zero padding
PAD = 16
#: larger images are downscaled to this many pixels first (bounds time and memory)
MAX_PIXELS = 4_200_000
MIN_SIDE = 64
#: score from which a finding is reported: the 99th percentile of the genuine
#: validation documents' scores (models/learned_cnn.json), i.e. about 1 % false alarms
FINDING_THRESHOLD = 0.86

_K3 = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32) / 6.0
_KV = np.array([[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2],
                [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]], dtype=np.float32) / 12.0
_RESIDUAL_SCALE = 4.0
_RESIDUAL_CLIP = 4.0


def input_channels(
    pixels: NDArray[np.uint8],
    *,
    luminance: NDArray[np.float32] | None = None,
    residual: NDArray[np.float32] | None = None,
    pad: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> NDArray[np.float32]:
    """The network's input for an image.

    Args:
        pixels: (H, W, 3) uint8 RGB.
        luminance: (H, W) float32 luma in [0, 255] if already computed
            (:attr:`Analysis.luminance`); computed otherwise.
        residual: (H, W) float32 Immerkaer residual in grey levels if already
            computed (:attr:`Analysis.noise_residual`); computed otherwise.
        pad: (top, bottom, left, right) border added by reflection without repeating
            the edge (``np.pad(mode="reflect")``), written in place: no second copy of
            the input. Each side must be shorter than the image.

    Returns:
        (5, top + H + bottom, left + W + right) float32: R, G, B in [0, 1], then the
        Immerkaer and SRM-KV residuals of the luma divided by 4 and clipped to [-4, 4].
    """
    import cv2

    rgb = np.asarray(pixels, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"pixels must be (H, W, 3) uint8; got shape {rgb.shape}")
    if luminance is None:
        p = rgb.astype(np.float32)
        luminance = np.asarray(0.299 * p[:, :, 0] + 0.587 * p[:, :, 1] + 0.114 * p[:, :, 2],
                               dtype=np.float32)
    if residual is None:
        residual = np.asarray(cv2.filter2D(luminance, cv2.CV_32F, _K3,
                                           borderType=cv2.BORDER_REFLECT), dtype=np.float32)
    kv = cv2.filter2D(luminance, cv2.CV_32F, _KV, borderType=cv2.BORDER_REFLECT)
    h, w = rgb.shape[:2]
    top, bottom, left, right = pad
    if min(pad) < 0 or max(top, bottom) >= h or max(left, right) >= w:
        raise ValueError(f"padding {pad} does not fit an image of {h}x{w}")
    out = np.empty((5, top + h + bottom, left + w + right), dtype=np.float32)
    inner = out[:, top:top + h, left:left + w]
    np.multiply(np.moveaxis(rgb, 2, 0), np.float32(1.0 / 255.0), out=inner[:3])
    np.clip(residual / _RESIDUAL_SCALE, -_RESIDUAL_CLIP, _RESIDUAL_CLIP, out=inner[3])
    np.clip(kv / _RESIDUAL_SCALE, -_RESIDUAL_CLIP, _RESIDUAL_CLIP, out=inner[4])
    # reflected borders (edge not repeated): rows first, then whole columns (corners too);
    # each mirror is a forward slice flipped (a backward slice ending at -1 would be empty)
    if top:
        out[:, :top] = out[:, top + 1:2 * top + 1][:, ::-1]
    if bottom:
        end = top + h
        out[:, end:] = out[:, end - 1 - bottom:end - 1][:, ::-1]
    if left:
        out[:, :, :left] = out[:, :, left + 1:2 * left + 1][:, :, ::-1]
    if right:
        end = left + w
        out[:, :, end:] = out[:, :, end - 1 - right:end - 1][:, :, ::-1]
    return out


def pool_score(prob: NDArray[np.float32]) -> tuple[float, NDArray[np.float32]]:
    """Document score from per-cell probabilities.

    Args:
        prob: (h, w) float32 cell probabilities in [0, 1].

    Returns:
        (score, smoothed): the maximum of the 3x3-cell mean and that (h, w) mean map.
    """
    import cv2

    smoothed = np.asarray(cv2.blur(prob, (3, 3), borderType=cv2.BORDER_REFLECT),
                          dtype=np.float32)
    return (float(smoothed.max()) if smoothed.size else 0.0), smoothed


def padding(h: int, w: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) border of an (h, w) input: PAD all round, and the
    bottom and right filled up to whole cells."""
    return PAD, PAD + (-h) % CELL, PAD, PAD + (-w) % CELL


class _Model:
    """The ONNX network (one per process; :class:`docfraud._onnx.OnnxNet`: ONNX Runtime
    where installed, else OpenCV's dnn module)."""

    def __init__(self, path: Path) -> None:
        from docfraud._onnx import OnnxNet

        if not path.is_file():
            raise ModelError(f"learned detector weights not found: {path} "
                             "(make them with scripts/train_learned.py)")
        self.net = OnnxNet(path, what="learned detector weights")

    def cells(self, channels: NDArray[np.float32], *,
              size: tuple[int, int] | None = None) -> NDArray[np.float32]:
        """(5, H, W) input -> (ceil(H / 8), ceil(W / 8)) float32 probabilities.

        With ``size=(H, W)`` the input is already padded as :func:`padding` says (made
        by ``input_channels(..., pad=padding(H, W))``, which spares a copy).
        """
        h, w = size if size is not None else channels.shape[1:]
        top, bottom, left, right = padding(h, w)
        if size is None:
            padded = np.pad(channels, ((0, 0), (top, bottom), (left, right)), mode="reflect")
        elif channels.shape[1:] != (top + h + bottom, left + w + right):
            raise ValueError(f"input of {channels.shape} is not {h}x{w} padded")
        else:
            padded = channels
        ch, cw = -(-h // CELL), -(-w // CELL)
        logits = self.net.run(padded[None])
        c0 = PAD // CELL
        logit = logits[0, 0, c0:c0 + ch, c0:c0 + cw]
        if logit.shape != (ch, cw):
            raise ModelError(f"learned model returned {logits.shape} for input {padded.shape}")
        prob: NDArray[np.float32] = (1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))).astype(
            np.float32)
        return prob


_MODELS: dict[Path, _Model] = {}
_MODELS_LOCK = threading.Lock()


def load_model(path: Path = MODEL_PATH) -> _Model:
    """The network stored at ``path``, loaded once per process.

    Raises:
        ModelError: the file is missing or not a model the ONNX engine can read.
    """
    with _MODELS_LOCK:
        if path not in _MODELS:
            _MODELS[path] = _Model(path)
        return _MODELS[path]


def cell_probabilities(
    pixels: NDArray[np.uint8], *, analysis: Analysis | None = None, path: Path = MODEL_PATH
) -> NDArray[np.float32]:
    """Per-8x8-cell forgery probability of an image at native resolution.

    Args:
        pixels: (H, W, 3) uint8 RGB, H and W >= 17.
        analysis: when ``pixels`` is ``analysis.pixels``, its cached luminance and
            noise residual are reused.
        path: the ONNX weights.

    Returns:
        (ceil(H / 8), ceil(W / 8)) float32 in [0, 1]; cell (i, j) covers pixels
        [8i, 8i + 8) x [8j, 8j + 8).
    """
    model = load_model(path)
    h, w = pixels.shape[:2]
    pad = padding(h, w)
    if max(pad[:2]) >= h or max(pad[2:]) >= w:  # tiny image: np.pad reflects repeatedly
        pad = (0, 0, 0, 0)
    if analysis is not None and analysis.pixels is pixels:
        channels = input_channels(pixels, luminance=analysis.luminance,
                                  residual=analysis.noise_residual, pad=pad)
    else:
        channels = input_channels(pixels, pad=pad)
    return model.cells(channels, size=(h, w) if any(pad) else None)


def _zone_cells(prob: NDArray[np.float32], box: Any,
                scale: tuple[float, float]) -> NDArray[np.float32]:
    """The cell probabilities whose cells lie wholly inside ``box`` (x, y, w, h in the
    analysed image's pixels; the cells are of that image scaled by ``scale`` = (x, y))."""
    sx, sy = scale
    x, w = float(box[0]) * sx / CELL, float(box[2]) * sx / CELL
    y, h = float(box[1]) * sy / CELL, float(box[3]) * sy / CELL
    x0, y0 = max(0, int(np.ceil(x))), max(0, int(np.ceil(y)))
    x1, y1 = min(prob.shape[1], int(np.floor(x + w))), min(prob.shape[0], int(np.floor(y + h)))
    return prob[y0:y1, x0:x1]


def _portrait_measures(prob: NDArray[np.float32], zones: dict[str, Any],
                       scale: tuple[float, float]) -> dict[str, float]:
    """Mean cell probability over the portrait zone, and how far it is above the card's
    (``portrait_mean``, ``portrait_vs_card``), where the layout placed the card (zones
    from the MRZ; none otherwise). A pasted photo lights up its whole zone, where a
    document's own cells light up here and there: on photo substitutions of the
    held-out design the portrait mean separates them from genuine documents at ROC AUC
    0.87. "The card" is the one the MRZ is printed on: for a TD1 card, whose portrait
    is on the front, the back (the layout places no front). The detector's score and
    findings do not use them (they stay free of the MRZ reading)."""
    out: dict[str, float] = {}
    portrait, card = zones.get("portrait"), zones.get("card")
    if portrait is None or card is None:
        return out
    inner, whole = _zone_cells(prob, portrait, scale), _zone_cells(prob, card, scale)
    if inner.size < 4 or whole.size < 16:
        return out
    mean = float(inner.mean())
    out["portrait_mean"] = round(mean, 4)
    out["portrait_vs_card"] = round(mean - float(whole.mean()), 4)
    return out


@register
class LearnedDetector(Detector):
    name = "learned"
    version = "4"
    description = ("CNN on RGB + noise residuals at native resolution, trained on "
                   "synthetic forgeries (per 8x8 cell forgery probability)")
    codes: ClassVar[tuple[str, ...]] = ("LEARNED_TAMPERED_REGION",)
    #: the ONNX weights (an instance may point elsewhere, e.g. the training script)
    model_path: Path = MODEL_PATH

    def applies_to(self, analysis: Analysis) -> bool:
        return min(analysis.shape) >= MIN_SIDE

    def not_applicable_reason(self, analysis: Analysis) -> str:
        h, w = analysis.shape
        return f"image too small for the learned detector ({w}x{h}; needs {MIN_SIDE} px a side)"

    def run(self, analysis: Analysis) -> DetectorResult:
        import cv2

        h, w = analysis.shape
        scale = min(1.0, float(np.sqrt(MAX_PIXELS / float(h * w))))
        if scale < 1.0:
            size = (max(MIN_SIDE, round(w * scale)), max(MIN_SIDE, round(h * scale)))
            small = np.ascontiguousarray(
                cv2.resize(analysis.pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
            prob = cell_probabilities(small, path=self.model_path)
            sh, sw = small.shape[:2]
        else:
            prob = cell_probabilities(analysis.pixels, analysis=analysis,
                                      path=self.model_path)
            sh, sw = h, w
        score, smoothed = pool_score(prob)
        heat = blocks_to_heatmap(prob, (sh, sw), CELL)
        if (sh, sw) != (h, w):
            heat = np.asarray(cv2.resize(heat, (w, h), interpolation=cv2.INTER_LINEAR),
                              dtype=np.float32)
        data: dict[str, Any] = {"cells": [int(prob.shape[0]), int(prob.shape[1])],
                                "scale": round(scale, 4),
                                "hot_cells": int((prob >= 0.5).sum())}
        data.update(_portrait_measures(prob, analysis.zones, (sw / w, sh / h)))
        findings: list[Finding] = []
        if score >= FINDING_THRESHOLD:
            findings.append(self._finding(smoothed, score, pixel_scale=CELL / scale,
                                          shape=(h, w)))
        return self.result(score=score, heatmap=heat, findings=findings, data=data)

    def _finding(self, smoothed: NDArray[np.float32], score: float, *, pixel_scale: float,
                 shape: tuple[int, int]) -> Finding:
        import cv2

        # the connected area around the peak where the 3x3-cell mean is at least half
        # the peak's (always contains the peak cell)
        hot = (smoothed >= 0.5 * score).astype(np.uint8)
        _, labels = cv2.connectedComponents(hot, connectivity=8)
        iy, ix = np.unravel_index(int(np.argmax(smoothed)), smoothed.shape)
        region = box_of(labels == labels[iy, ix], scale=pixel_scale)
        if region is not None:
            h, w = shape
            x, y, bw, bh = region
            x, y = min(max(0, x), w - 1), min(max(0, y), h - 1)
            region = (x, y, max(1, min(bw, w - x)), max(1, min(bh, h - y)))
        return self.finding(
            "LEARNED_TAMPERED_REGION", "low",
            f"the learned detector finds a region that looks altered (probability "
            f"{score:.2f}); it was trained on synthetic forgeries, so check the region by eye",
            region=region,
            data={"probability": round(score, 4), "cells": int((labels == labels[iy, ix]).sum())},
        )
