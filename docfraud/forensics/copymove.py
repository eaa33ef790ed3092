"""Copy-move: a part of the image duplicated elsewhere in the same image.

Method (keypoint based, after Amerini et al., "A SIFT-based forensic method for
copy-move attack detection", IEEE TIFS 2011, with ORB features for speed):

1. ORB keypoints and binary descriptors on the luma (downscaled to at most 1024 px).
2. Each descriptor is matched against all others of the same image; a match is kept
   when it is clearly better than the next candidate (ratio test) and the two points
   are far enough apart.
3. Geometric verification: matches vote for their (rounded) offset, and each offset
   with enough votes is a candidate plain shift; the remaining matches go through
   sequential RANSAC of a similarity transform (rotation, scale, translation). Each
   consensus set with enough inliers is a candidate duplicated region pair.
4. A candidate is accepted only if it is not explained by genuine repetition:
   * both regions have a real spatial extent and do not overlap;
   * the region is not periodic: it does not match its own surroundings at another
     shift nearly as well as it matches its partner (guilloche, MRZ filler ``<<<<``
     and rows of identical characters repeat with a period; a copied region does not);
   * both sides of the region are larger than a line of text (repeated words and
     labels are common on genuine documents), and the two regions are near-identical
     in a band-pass version of the image (correlation >= 0.7), not merely similar.
   The agreement of the fine noise residuals (a digital copy carries the same noise;
   two separately printed instances do not) raises the confidence; it is not required,
   because JPEG compression on different 8x8 grid phases decorrelates fine noise.

The heatmap marks both regions of each accepted pair; the finding's region is the
second one (in reading order), the first is in its ``data``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.findings import Finding
from docfraud.forensics.base import Analysis, Detector, DetectorResult
from docfraud.forensics.registry import register

logger = logging.getLogger(__name__)

_MAX_SIDE = 1024
_N_FEATURES = 2000


@dataclass(frozen=True)
class Candidate:
    """One verified pair of similar regions, in working-image coordinates."""

    src: NDArray[np.float32]  # (n, 2) inlier points of the first region
    dst: NDArray[np.float32]  # (n, 2) matching points of the second region
    transform: NDArray[np.float64]  # (2, 3) maps src points to dst points
    offset: tuple[float, float]
    intensity_corr: float  # band-pass correlation of the two regions
    residual_corr: float
    periodic_corr: float
    reason: str | None  # why it was rejected; None = accepted
    mask: NDArray[np.bool_] | None = None  # (h, w) first region, working resolution

    @property
    def inliers(self) -> int:
        return int(self.src.shape[0])


def _box(
    points: NDArray[np.float32], pad: float, shape: tuple[int, int]
) -> tuple[int, int, int, int]:
    h, w = shape
    x0 = int(max(0, np.floor(points[:, 0].min() - pad)))
    y0 = int(max(0, np.floor(points[:, 1].min() - pad)))
    x1 = int(min(w, np.ceil(points[:, 0].max() + pad)))
    y1 = int(min(h, np.ceil(points[:, 1].max() + pad)))
    return x0, y0, x1, y1


def _corr(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-9 else 0.0


def _warped_corr(
    image: NDArray[np.float32], box: tuple[int, ...], transform: NDArray[np.float64],
    mask: NDArray[np.bool_] | None = None,
) -> float:
    """Correlation of image[box] with the image sampled at transform(box)."""
    import cv2

    x0, y0, x1, y1 = box
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    mx = (transform[0, 0] * xs + transform[0, 1] * ys + transform[0, 2]).astype(np.float32)
    my = (transform[1, 0] * xs + transform[1, 1] * ys + transform[1, 2]).astype(np.float32)
    h, w = image.shape
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    if mask is not None:
        inside &= mask
    if inside.sum() < 64:
        return 0.0
    warped = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return _corr(image[y0:y1, x0:x1][inside], warped[inside])


def _patch_corr(
    image: NDArray[np.float32], points: NDArray[np.float32], transform: NDArray[np.float64],
    radius: int = 7,
) -> NDArray[np.float64]:
    """Correlation of the (2r+1)^2 patch around each point with its transformed patch.

    Returns:
        (n,) float64 in [-1, 1]; 0 for patches that leave the image or are flat.
    """
    import cv2

    n = points.shape[0]
    if n == 0:
        return np.zeros(0)
    h, w = image.shape
    side = 2 * radius + 1
    grid = np.arange(-radius, radius + 1)
    cx = np.floor(points[:, 0]).astype(np.int64)
    cy = np.floor(points[:, 1]).astype(np.int64)
    xs = np.broadcast_to(cx[:, None, None] + grid[None, None, :], (n, side, side))
    ys = np.broadcast_to(cy[:, None, None] + grid[None, :, None], (n, side, side))
    mx = transform[0, 0] * xs + transform[0, 1] * ys + transform[0, 2]
    my = transform[1, 0] * xs + transform[1, 1] * ys + transform[1, 2]
    ok = ((xs.min(axis=(1, 2)) >= 0) & (xs.max(axis=(1, 2)) < w)
          & (ys.min(axis=(1, 2)) >= 0) & (ys.max(axis=(1, 2)) < h)
          & (mx.min(axis=(1, 2)) >= 0) & (mx.max(axis=(1, 2)) <= w - 1)
          & (my.min(axis=(1, 2)) >= 0) & (my.max(axis=(1, 2)) <= h - 1))
    a = image[np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)].reshape(n, -1).astype(np.float64)
    b = cv2.remap(image, mx.reshape(n * side, side).astype(np.float32),
                  my.reshape(n * side, side).astype(np.float32), cv2.INTER_LINEAR,
                  borderMode=cv2.BORDER_REFLECT).reshape(n, -1).astype(np.float64)
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    corr = np.where(den > 1e-9, (a * b).sum(axis=1) / np.maximum(den, 1e-9), 0.0)
    return np.where(ok, corr, 0.0)


def _self_similarity(
    image: NDArray[np.float32], box: tuple[int, ...], partner: tuple[float, float]
) -> float:
    """Best correlation of a region with its surroundings, away from itself and its partner.

    The region is searched for in an area one region-size larger on every side.
    Periodic content (guilloche, rows of the same character, MRZ filler) matches
    itself one period away nearly as well as it matches its partner; an arbitrary
    copied region does not. Shifts in the main lobe around zero (where smooth
    content has not yet decorrelated below 0.3, and at least +-3 px) and within 3 px
    of the partner's offset are ignored.
    """
    import cv2

    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    if bw < 8 or bh < 8:
        return 0.0
    template = image[y0:y1, x0:x1]
    if float(template.std()) < 1e-3:
        return 0.0
    h, w = image.shape
    sx0, sy0 = max(0, x0 - bw), max(0, y0 - bh)
    sx1, sy1 = min(w, x1 + bw), min(h, y1 + bh)
    area = image[sy0:sy1, sx0:sx1]
    res = np.nan_to_num(cv2.matchTemplate(area, template, cv2.TM_CCOEFF_NORMED), nan=-1.0)
    ty, tx = y0 - sy0, x0 - sx0  # zero shift
    yy, xx = np.mgrid[0:res.shape[0], 0:res.shape[1]]
    lobe_mask = (res > 0.3).astype(np.uint8)
    lobe_mask[max(0, ty - 3):ty + 4, max(0, tx - 3):tx + 4] = 1
    _, labels = cv2.connectedComponents(lobe_mask, connectivity=8)
    excluded = labels == labels[ty, tx]
    excluded |= (np.abs(yy - ty) <= 3) & (np.abs(xx - tx) <= 3)
    px, py = tx + partner[0], ty + partner[1]
    excluded |= (np.abs(yy - py) <= 3) & (np.abs(xx - px) <= 3)
    res = np.where(excluded, -1.0, res)
    return float(res.max())


def _grow(
    image: NDArray[np.float32], box: tuple[int, ...], transform: NDArray[np.float64],
    seeds: NDArray[np.float32], *, threshold: float = 0.8, radius: int = 4,
) -> NDArray[np.bool_]:
    """The duplicated area around matched points: where image and transformed image agree.

    Args:
        image: (h, w) float32 band-pass image.
        box: (x0, y0, x1, y1) of the matched points; the search window is this box
            grown by half its size on every side.
        transform: (2, 3) map from the first region to its partner.
        seeds: (n, 2) matched points (x, y) of the first region.

    Returns:
        (h, w) bool mask of the first region: pixels whose (2 radius + 1)^2
        neighbourhood correlates >= ``threshold`` with the transformed neighbourhood,
        connected to a seed point.
    """
    import cv2

    h, w = image.shape
    x0, y0, x1, y1 = box
    gx, gy = (x1 - x0) // 2 + radius, (y1 - y0) // 2 + radius
    wx0, wy0, wx1, wy1 = max(0, x0 - gx), max(0, y0 - gy), min(w, x1 + gx), min(h, y1 + gy)
    mask = np.zeros((h, w), dtype=np.bool_)
    if wx1 - wx0 < 4 or wy1 - wy0 < 4:
        return mask
    ys, xs = np.mgrid[wy0:wy1, wx0:wx1].astype(np.float32)
    mx = (transform[0, 0] * xs + transform[0, 1] * ys + transform[0, 2]).astype(np.float32)
    my = (transform[1, 0] * xs + transform[1, 1] * ys + transform[1, 2]).astype(np.float32)
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    a = image[wy0:wy1, wx0:wx1]
    b = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    k = (2 * radius + 1, 2 * radius + 1)
    ma, mb = cv2.blur(a, k), cv2.blur(b, k)
    cov = cv2.blur(a * b, k) - ma * mb
    va = np.maximum(cv2.blur(a * a, k) - ma * ma, 0.0)
    vb = np.maximum(cv2.blur(b * b, k) - mb * mb, 0.0)
    corr = cov / np.sqrt(np.maximum(va * vb, 1e-6))
    agree = ((corr >= threshold) & inside).astype(np.uint8)
    _, labels = cv2.connectedComponents(agree, connectivity=8)
    sx = np.clip(np.floor(seeds[:, 0]).astype(np.int64) - wx0, 0, wx1 - wx0 - 1)
    sy = np.clip(np.floor(seeds[:, 1]).astype(np.int64) - wy0, 0, wy1 - wy0 - 1)
    seed_labels = np.unique(labels[sy, sx])
    seed_labels = seed_labels[seed_labels > 0]
    if seed_labels.size:
        mask[wy0:wy1, wx0:wx1] = np.isin(labels, seed_labels)
    return mask


@register
class CopyMoveDetector(Detector):
    name = "copymove"
    version = "1"
    description = ("copy-move (duplicated region) detection: ORB matching, RANSAC similarity "
                   "clusters, periodic-pattern and noise-residual verification")
    codes = ("COPY_MOVE_REGION",)

    ratio = 0.75  # Hamming-distance ratio test, best / second best
    max_distance = 64  # of 256 bits
    min_inliers = 8
    min_offset_fraction = 0.03  # of the image diagonal
    min_extent = 12.0  # pixels, working resolution: spread of the inlier points
    min_similarity = 0.7  # band-pass correlation of the two regions
    min_point_similarity = 0.8  # band-pass correlation of 15x15 px around a matched point
    min_side_fraction = 0.08  # of the short image side: both sides of a copied region
    periodic_ratio = 0.9  # periodic if the region matches itself elsewhere this well

    def applies_to(self, analysis: Analysis) -> bool:
        return min(analysis.shape) >= 64

    def not_applicable_reason(self, analysis: Analysis) -> str:
        return f"image too small for copy-move search ({analysis.shape[1]}x{analysis.shape[0]})"

    def run(self, analysis: Analysis) -> DetectorResult:
        import cv2

        gray, scale = analysis.downscaled_gray(_MAX_SIDE)
        h, w = gray.shape
        orb = cv2.ORB_create(  # type: ignore[attr-defined]
            nfeatures=_N_FEATURES, scaleFactor=1.2, nlevels=6, edgeThreshold=15, patchSize=15,
            fastThreshold=8)
        keypoints, desc = orb.detectAndCompute(gray, None)
        data: dict[str, Any] = {"keypoints": len(keypoints), "scale": round(scale, 4)}
        heat = np.zeros(analysis.shape, dtype=np.float32)
        if desc is None or len(keypoints) < 2 * self.min_inliers:
            return self.result(score=0.0, heatmap=heat, data=data)
        pts = np.array([kp.pt for kp in keypoints], dtype=np.float32)
        src, dst = self._match(desc, pts, min_offset=self.min_offset_fraction * np.hypot(h, w))
        data["matches"] = int(src.shape[0])
        if scale < 1.0:
            residual = cv2.filter2D(gray.astype(np.float32), cv2.CV_32F, np.array(
                [[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32) / 6.0)
        else:
            residual = analysis.noise_residual
        candidates = self._clusters(src, dst, gray.astype(np.float32),
                                    np.asarray(residual, np.float32))
        data["candidates"] = [
            {"inliers": c.inliers, "offset": [round(c.offset[0] / scale, 1),
                                              round(c.offset[1] / scale, 1)],
             "intensity_corr": round(c.intensity_corr, 3),
             "residual_corr": round(c.residual_corr, 3),
             "periodic_corr": round(c.periodic_corr, 3), "rejected": c.reason}
            for c in candidates[:8]
        ]
        findings: list[Finding] = []
        score = 0.0
        for c in candidates:
            if c.reason is not None:
                continue
            # identical band-pass content is the evidence; shared fine noise makes it sure
            conf = (0.5 + 0.25 * (1.0 - float(np.exp(-(c.inliers - 4) / 8.0)))
                    + 0.25 * float(np.clip(c.residual_corr / 0.5, 0.0, 1.0)))
            score = max(score, conf)
            boxes = []
            first = (c.mask if c.mask is not None else np.zeros((h, w), bool)).astype(np.uint8)
            if not first.any():
                cv2.fillConvexPoly(first, cv2.convexHull(c.src.astype(np.int32)), 1)
            second = cv2.warpAffine(first, np.linalg.inv(np.vstack([c.transform, [0, 0, 1]]))[:2],
                                    (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
            for region in (first, second):
                full = cv2.resize(region, (analysis.shape[1], analysis.shape[0]),
                                  interpolation=cv2.INTER_NEAREST) if scale < 1.0 else region
                heat = np.maximum(heat, full.astype(np.float32) * float(conf))
                ys, xs = np.nonzero(full)
                if xs.size:
                    boxes.append((int(xs.min()), int(ys.min()), int(xs.max() - xs.min()) + 1,
                                  int(ys.max() - ys.min()) + 1))
                else:
                    boxes.append((0, 0, 0, 0))
            findings.append(self.finding(
                "COPY_MOVE_REGION", "high",
                f"a region is duplicated elsewhere in the image ({c.inliers} matching points, "
                f"offset {c.offset[0] / scale:.0f}, {c.offset[1] / scale:.0f} px): "
                "content was copied and pasted within the document",
                region=boxes[1],
                data={"source": list(boxes[0]), "inliers": c.inliers,
                      "residual_corr": round(c.residual_corr, 3)},
            ))
        return self.result(score=score, heatmap=heat, findings=findings, data=data)

    def _match(
        self, desc: NDArray[np.uint8], pts: NDArray[np.float32], *, min_offset: float
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Ratio-test self matches, each pair once, ordered so src precedes dst."""
        import cv2

        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        knn = matcher.knnMatch(desc, desc, k=6)
        pairs: set[tuple[int, int]] = set()
        for row in knn:
            # neighbours near the point itself (itself, the same corner found at another
            # pyramid level, its own edge) are no copy; the ratio test runs on the rest
            others = [m for m in row if float(np.hypot(*(pts[m.queryIdx] - pts[m.trainIdx])))
                      >= min_offset]
            if len(others) < 2:
                continue
            best, second = others[0], others[1]
            if best.distance > self.max_distance or best.distance >= self.ratio * max(
                    second.distance, 1.0):
                continue
            i, j = best.queryIdx, best.trainIdx
            a, b = (i, j) if (pts[i][1], pts[i][0]) <= (pts[j][1], pts[j][0]) else (j, i)
            pairs.add((a, b))
        if not pairs:
            empty = np.zeros((0, 2), np.float32)
            return empty, empty
        idx = np.array(sorted(pairs))
        return pts[idx[:, 0]], pts[idx[:, 1]]

    def _clusters(
        self, src: NDArray[np.float32], dst: NDArray[np.float32],
        gray: NDArray[np.float32], residual: NDArray[np.float32],
    ) -> list[Candidate]:
        import cv2

        bandpass = (gray - cv2.GaussianBlur(gray, (0, 0), 3.0)).astype(np.float32)
        out: list[Candidate] = []
        remaining = np.ones(src.shape[0], dtype=np.bool_)
        shape = (gray.shape[0], gray.shape[1])
        min_offset = self.min_offset_fraction * float(np.hypot(*shape))
        # 1. plain shifts (most copy-moves): vote on the rounded offset of each match
        offsets = np.rint(dst - src).astype(np.int64)
        for _ in range(10):
            if remaining.sum() < self.min_inliers:
                break
            live = offsets[remaining]
            keys, counts = np.unique(live, axis=0, return_counts=True)
            near = np.array([
                int(counts[(np.abs(keys - k) <= 1).all(axis=1)].sum()) for k in keys
            ])
            if near.max(initial=0) < self.min_inliers:
                break
            peak = keys[int(np.argmax(near))]
            members = remaining & (np.abs(offsets - peak) <= 1).all(axis=1)
            remaining &= ~members
            shift = np.hstack([np.eye(2), (dst[members] - src[members]).mean(axis=0)[:, None]])
            out.append(self._verify(src[members], dst[members], shift, bandpass, residual,
                                    shape, min_offset))
        # 2. rotated or scaled copies: sequential RANSAC of a similarity transform
        for _ in range(10):
            if remaining.sum() < self.min_inliers:
                break
            s, d = src[remaining], dst[remaining]
            transform, inl = cv2.estimateAffinePartial2D(
                s, d, method=cv2.RANSAC, ransacReprojThreshold=3.0, maxIters=2000,
                confidence=0.995, refineIters=10)
            if transform is None or inl is None:
                break
            inl = inl.ravel().astype(bool)
            if inl.sum() < self.min_inliers:
                break
            positions = np.nonzero(remaining)[0][inl]
            remaining[positions] = False
            out.append(self._verify(s[inl], d[inl], np.asarray(transform, np.float64),
                                    bandpass, residual, shape,
                                    min_offset))
        return out

    def _verify(
        self, s: NDArray[np.float32], d: NDArray[np.float32], transform: NDArray[np.float64],
        bandpass: NDArray[np.float32], residual: NDArray[np.float32], shape: tuple[int, int],
        min_offset: float,
    ) -> Candidate:
        min_side = self.min_side_fraction * min(shape)

        def local_corr(t: NDArray[np.float64]) -> NDArray[np.float64]:
            return _patch_corr(bandpass, s, t)

        # candidate transforms: as estimated, and - for a plain shift, which a digital
        # copy-move nearly always is - snapped to whole pixels +-1 px (keypoints are
        # located only to about a pixel)
        options = [transform]
        if float(np.abs(transform[:, :2] - np.eye(2)).max()) < 0.03:
            base = np.round(transform[:, 2])
            options = [np.hstack([np.eye(2), (base + np.array([dx, dy]))[:, None]])
                       for dy in (-1.0, 0.0, 1.0) for dx in (-1.0, 0.0, 1.0)]
        # keep the matches whose neighbourhoods really are identical under the
        # transform (RANSAC also gathers chance matches of repeated glyphs on the way)
        best_key, local = (-1, -1.0), np.zeros(len(s))
        for t in options:
            lc = local_corr(t)
            key = (int((lc >= self.min_point_similarity).sum()), float(lc.sum()))
            if key > best_key:
                best_key, transform, local = key, t, lc
        verified = local >= self.min_point_similarity
        reason: str | None = None
        if verified.sum() >= self.min_inliers:
            s, d = s[verified], d[verified]
        else:
            reason = "regions only similar, not identical"
        centre = s.mean(axis=0)
        mapped = transform[:, :2] @ centre + transform[:, 2]
        offset = (float(mapped[0] - centre[0]), float(mapped[1] - centre[1]))
        scale = float(np.sqrt(abs(np.linalg.det(transform[:, :2]))))
        box_s = _box(s, 6.0, shape)
        mask = _grow(bandpass, box_s, transform, s) if reason is None else None
        if mask is not None and mask.any():
            ys, xs = np.nonzero(mask)
            box_s = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            region_pts = np.array([[box_s[0], box_s[1]], [box_s[2], box_s[3]]], np.float32)
            region_dst = region_pts @ transform[:, :2].T.astype(np.float32) + transform[:, 2]
            tight_s = box_s
            tight_d = _box(region_dst.astype(np.float32), 0.0, shape)
        else:
            tight_s, tight_d = _box(s, 0.0, shape), _box(d, 0.0, shape)
        spread = float(s[:, 0].std() + s[:, 1].std())
        ix = max(0, min(tight_s[2], tight_d[2]) - max(tight_s[0], tight_d[0]))
        iy = max(0, min(tight_s[3], tight_d[3]) - max(tight_s[1], tight_d[1]))
        if reason is not None:
            pass
        elif float(np.hypot(*offset)) < min_offset:
            reason = "offset too small"
        elif not 0.5 <= scale <= 2.0:
            reason = "implausible scale"
        elif spread < self.min_extent:
            reason = "region too small"
        elif ix * iy > 0:
            reason = "regions overlap"
        elif min(box_s[2] - box_s[0], box_s[3] - box_s[1]) < min_side:
            reason = "region too thin (a line of text or a border)"
        elif mask is not None and float(mask.sum()) < min_side * min_side:
            reason = "identical area too small (repeated glyphs or marks)"
        corr_b = corr_r = periodic = 0.0
        if reason is None:  # the costly region-level checks only for live candidates
            corr_b = _warped_corr(bandpass, box_s, transform)
            corr_r = _warped_corr(residual, box_s, transform)
            periodic = _self_similarity(bandpass, box_s, offset)
        if reason is None and corr_b < self.min_similarity:
            reason = "regions only similar, not identical"
        if reason is None and periodic >= self.periodic_ratio * corr_b:
            reason = "periodic pattern"
        return Candidate(src=s, dst=d, transform=transform, offset=offset,
                         intensity_corr=corr_b, residual_corr=corr_r, periodic_corr=periodic,
                         reason=reason, mask=mask)
