"""Noise-level inconsistency: regions whose sensor/scan noise differs from the rest.

A photographed or scanned document carries one noise process everywhere (its level
depends on brightness, not on place). A region pasted from another image, re-rendered
text on a clean background, or an area smoothed to hide an erasure carries another.

Method: the high-pass residual of the luminance (Immerkær's 3x3 kernel, see
:attr:`docfraud.forensics.base.Analysis.noise_residual`) gives, per block, a robust
noise level: the RMS residual over the block's *smooth* pixels (low
local gradient), so edges, print strokes and guilloche lines do not inflate it.
The expected level at each brightness is fitted across the image (median
per brightness bin), so bright paper and dark print are judged against their own
kind. Block deviations in log-noise are standardised with the median absolute
deviation, averaged over 3x3 blocks, and the largest connected group of blocks that
deviates the same way (all noisier or all cleaner) drives the score.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from numpy.typing import NDArray

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

_MIN_BLOCKS = 24


def block_size_for(shape: tuple[int, int]) -> int:
    """Block side (multiple of 8, 16-64) giving roughly 30 blocks across the short side."""
    return int(min(64, max(16, 8 * round(min(shape) / 30 / 8))))


def block_noise(
    residual: NDArray[np.float32], luminance: NDArray[np.float32], block: int
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.bool_]]:
    """Per-block noise level measured on the block's smooth pixels.

    Edges, print strokes and fine patterns inflate any residual-based noise
    estimate, so only pixels whose local gradient (on the luma blurred with
    sigma 1.5, which noise hardly moves) is low take part: below 2 grey levels per
    pixel or the image's 40th gradient percentile, whichever is larger. Residuals are
    clipped at 4 global noise levels.

    Args:
        residual: (H, W) float32 high-pass residual (noise std units).
        luminance: (H, W) float32 luma in [0, 255].
        block: block side in pixels.

    Returns:
        (sigma, brightness, valid): each (H // block, W // block); sigma float32 >= 0
        in grey levels; valid is False for blocks with under 10 % smooth, unclipped
        pixels (near 0 or 255 noise is not measurable).
    """
    import cv2

    hb, wb = residual.shape[0] // block, residual.shape[1] // block
    hh, ww = hb * block, wb * block
    y = luminance[:hh, :ww]
    r = residual[:hh, :ww]
    blur = cv2.GaussianBlur(y, (0, 0), 1.5)
    gx = cv2.Sobel(blur, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(blur, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    grad = np.abs(gx) + np.abs(gy)
    step = max(1, grad.size // 200_000)
    threshold = max(2.0, float(np.percentile(grad.ravel()[::step], 40)))
    smooth = (grad < threshold) & (y > 3) & (y < 252)
    global_sigma = 1.4826 * float(np.median(np.abs(r.ravel()[::step]))) + 0.1
    r2 = np.minimum(r * r, (4.0 * global_sigma) ** 2) * smooth

    def block_sum(a: NDArray[np.float32] | NDArray[np.bool_]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.asarray(a, dtype=np.float64).reshape(
            hb, block, wb, block).sum(axis=(1, 3))
        return out

    count = block_sum(smooth)
    sigma = np.sqrt(block_sum(r2) / np.maximum(count, 1.0)).astype(np.float32)
    brightness = (block_sum(y) / (block * block)).astype(np.float32)
    valid = np.asarray(count >= 0.1 * block * block, dtype=np.bool_)
    return sigma, brightness, valid


def _largest_signed_component(
    z: NDArray[np.float32], threshold: float
) -> NDArray[np.bool_]:
    import cv2

    best = np.zeros(z.shape, dtype=np.bool_)
    best_mass = 0.0
    for mask in (z > threshold, z < -threshold):
        if not mask.any():
            continue
        n, labels, _, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        for label in range(1, n):
            comp = labels == label
            mass = float((np.abs(z[comp]) - threshold).sum())
            if mass > best_mass:
                best, best_mass = comp, mass
    return best


@register
class NoiseDetector(Detector):
    name = "noise"
    version = "1"
    description = "local noise-level inconsistency (robust per-block residual statistics)"
    codes = ("NOISE_INCONSISTENT_REGION",)

    #: standardised (3x3-averaged) deviation above which a block counts as deviant
    z_threshold = 3.0

    def applies_to(self, analysis: Analysis) -> bool:
        h, w = analysis.shape
        block = block_size_for((h, w))
        return (h // block) * (w // block) >= _MIN_BLOCKS

    def not_applicable_reason(self, analysis: Analysis) -> str:
        h, w = analysis.shape
        return f"image too small for block noise statistics ({w}x{h})"

    def run(self, analysis: Analysis) -> DetectorResult:
        import cv2

        h, w = analysis.shape
        block = block_size_for((h, w))
        sigma, brightness, valid = block_noise(analysis.noise_residual, analysis.luminance, block)
        data: dict[str, Any] = {"block": block}
        if valid.sum() < _MIN_BLOCKS:
            data["reason"] = "too few measurable blocks"
            return self.result(score=0.0, heatmap=np.zeros((h, w), np.float32), data=data)
        log_s = np.log(np.maximum(sigma, 0.05))
        # expected log-noise at each brightness: median per brightness quantile bin
        vb, vs = brightness[valid], log_s[valid]
        edges = np.unique(np.quantile(vb, np.linspace(0, 1, 9)))
        if edges.size >= 3:
            idx = np.clip(np.searchsorted(edges, vb, side="right") - 1, 0, edges.size - 2)
            centers, medians = [], []
            for k in range(edges.size - 1):
                sel = idx == k
                if sel.sum() >= 3:
                    centers.append(float(np.median(vb[sel])))
                    medians.append(float(np.median(vs[sel])))
            expected = np.interp(brightness, centers, medians) if centers else np.median(vs)
        else:
            expected = np.full(brightness.shape, float(np.median(vs)))
        dev = (log_s - expected).astype(np.float32)
        spread = max(1.4826 * float(np.median(np.abs(dev[valid] - np.median(dev[valid])))), 0.08)
        z = np.where(valid, dev / spread, 0.0).astype(np.float32)
        weight = cv2.blur(valid.astype(np.float32), (3, 3), borderType=cv2.BORDER_REFLECT)
        z_sum = cv2.blur(z, (3, 3), borderType=cv2.BORDER_REFLECT)
        # mean of up to 9 unit-variance values, rescaled to unit variance
        z_s = np.where(weight > 0, z_sum / np.maximum(weight, 1e-6)
                       * np.sqrt(9.0 * weight), 0.0).astype(np.float32)
        comp = _largest_signed_component(z_s, self.z_threshold)
        mass = float((np.abs(z_s[comp]) - self.z_threshold).sum()) if comp.any() else 0.0
        frac = float(comp.mean())
        score = 1.0 - float(np.exp(-mass / 30.0)) if 0.0 < frac < 0.5 else 0.0
        data.update(noise_sigma_median=round(float(np.median(sigma[valid])), 3),
                    deviant_blocks=int(comp.sum()), mass=round(mass, 3))
        heat_blocks = np.clip((np.abs(z_s) - 2.0) / 4.0, 0.0, 1.0)
        heatmap = blocks_to_heatmap(heat_blocks, (h, w), block)
        findings: list[Finding] = []
        if score >= 0.8:
            inside = float(np.median(sigma[comp & valid])) if (comp & valid).any() else 0.0
            outside = float(np.median(sigma[~comp & valid]))
            kind = "noisier" if inside > outside else "cleaner"
            # low severity: genuine documents also hold areas of other noise (the printed
            # portrait, holograms, laminate), so this is a pointer for the examiner
            findings.append(self.finding(
                "NOISE_INCONSISTENT_REGION", "low",
                f"a region is {kind} than the rest of the image (noise level {inside:.2f} vs "
                f"{outside:.2f} grey levels at the same brightness): it may come from "
                "another source or have been retouched",
                region=box_of(comp, scale=float(block)),
                data={"sigma_inside": round(inside, 3), "sigma_outside": round(outside, 3),
                      "blocks": int(comp.sum())},
            ))
        return self.result(score=score, heatmap=heatmap, findings=findings, data=data)
