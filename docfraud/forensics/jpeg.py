"""JPEG compression history: quantisation tables and double-compression maps.

Three analyses of a JPEG file, all at native resolution on the 8x8 grid of the file:

1. **Quantisation tables** read from the file: quality estimate, and whether they are
   the standard IJG (libjpeg) tables scaled to a quality - what Pillow, OpenCV, GIMP,
   ImageMagick and most web tools write. Many cameras write their own tables, so IJG
   tables in a file whose EXIF names a camera maker mean the file was re-encoded by
   software after capture (``JPEG_SOFTWARE_RECOMPRESSED``).

2. **Aligned double compression** (A-DJPG), after Lin et al., "Fast, automatic and
   fine-grained tampered JPEG image detection via DCT coefficient analysis" (Pattern
   Recognition 2009), in the per-block likelihood form of Bianchi & Piva (IEEE TIFS
   2012). When a JPEG is decoded, edited and saved again on the same grid, the
   histogram of each low-frequency DCT coefficient (quantised with the new table)
   becomes periodic: some values are over-, some under-populated, compared with the
   histogram of a *calibrated* copy (cropped by 4 px and re-compressed once, which
   estimates the single-compression histogram). Blocks that were *not* compressed
   before - a region pasted from a PNG, a re-rendered field, content pasted off-grid -
   do not follow the pattern. For every block we add up, over the frequencies that
   show the pattern, the log-ratio of the two histograms at its coefficients
   ("single compressed" vs "double compressed"); the map of that sum shows the
   pasted area.

3. **Non-aligned grids** (NA-DJPG), after the block-artefact-grid idea of Li, Yuan & Yu
   (ICME 2009): the 8x8 blocking artefacts of an earlier compression survive a
   re-compression. For tiles of 64x64 pixels we measure the luminance discontinuity at
   each of the 8 horizontal and vertical grid phases; a tile with a strong grid at a
   phase other than the file's own (7, between pixel 7 and 8 of a block) holds content
   that was JPEG-compressed on another grid: pasted from another JPEG or shifted.

The heatmap is the maximum of the two maps; the score is driven by the largest
compact region that either map marks.
"""

from __future__ import annotations

import io
import logging
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.findings import Finding
from docfraud.forensics.base import (
    Analysis,
    Detector,
    DetectorResult,
    FloatMap,
    blocks_to_heatmap,
    box_of,
)
from docfraud.forensics.registry import register

logger = logging.getLogger(__name__)

#: IJG / JPEG Annex K luminance table, natural (row-major) order
IJG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
], dtype=np.int64).reshape(8, 8)
#: IJG / JPEG Annex K chrominance table, natural order
IJG_CHROMA = np.full((8, 8), 99, dtype=np.int64)
IJG_CHROMA[:4, :4] = np.array([
    [17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]])

#: zig-zag scan order: ZIGZAG[k] = (row, col) of the k-th coefficient
ZIGZAG: tuple[tuple[int, int], ...] = tuple(sorted(
    ((r, c) for r in range(8) for c in range(8)),
    key=lambda rc: (rc[0] + rc[1], rc[1] if (rc[0] + rc[1]) % 2 == 0 else rc[0]),
))

_BLOCK = 8
_TILE = 64  # NA-DJPG analysis tile, in pixels (8x8 blocks)
_N_FREQ = 20  # A-DJPG: AC coefficients examined, zig-zag order 1..20
_HIST_RANGE = 64


def ijg_table(quality: int, *, chroma: bool = False) -> NDArray[np.int64]:
    """The IJG (libjpeg ``jpeg_set_quality``) table for a quality 1-100, natural order."""
    q = min(100, max(1, int(quality)))
    scale = 5000 // q if q < 50 else 200 - 2 * q
    base = IJG_CHROMA if chroma else IJG_LUMA
    return np.clip((base * scale + 50) // 100, 1, 255)


def estimate_quality(table: NDArray[np.int64], *, chroma: bool = False) -> tuple[int, bool]:
    """Estimate the IJG quality of a quantisation table.

    Returns:
        (quality 1-100, exact): ``exact`` is True when the table *is* the IJG table
        of that quality; otherwise the quality of the closest IJG table (least
        absolute log-ratio).
    """
    t = np.asarray(table, dtype=np.int64).reshape(8, 8)
    best_q, best_err = 50, float("inf")
    for q in range(1, 101):
        ref = ijg_table(q, chroma=chroma)
        if np.array_equal(ref, t):
            return q, True
        err = float(np.abs(np.log(ref) - np.log(np.maximum(t, 1))).mean())
        if err < best_err:
            best_q, best_err = q, err
    return best_q, False


def _dct_matrix() -> NDArray[np.float64]:
    k = np.arange(8)[:, None]
    n = np.arange(8)[None, :]
    d: NDArray[np.float64] = np.cos(np.pi * (2 * n + 1) * k / 16.0) * 0.5
    d[0, :] = np.sqrt(1.0 / 8.0)
    return d


_DCT = _dct_matrix()


def block_dct(y: NDArray[np.float32]) -> NDArray[np.float32]:
    """Orthonormal 8x8 DCT-II of every full block (as JPEG computes it).

    Args:
        y: (H, W) float luma in [0, 255] on the JPEG grid (origin at the top left).

    Returns:
        (H // 8, W // 8, 8, 8) float32 coefficients of ``y - 128``.
    """
    hb, wb = y.shape[0] // _BLOCK, y.shape[1] // _BLOCK
    blocks = (y[:hb * _BLOCK, :wb * _BLOCK].astype(np.float32) - 128.0)
    blocks = blocks.reshape(hb, _BLOCK, wb, _BLOCK).transpose(0, 2, 1, 3)
    d = _DCT.astype(np.float32)
    return np.asarray(d @ blocks @ d.T, dtype=np.float32)


def _undo_orientation(a: NDArray[Any], orientation: int) -> NDArray[Any]:
    """Map an array in display orientation back to the stored (JPEG grid) orientation."""
    ops = {
        2: lambda x: x[:, ::-1],
        3: lambda x: x[::-1, ::-1],
        4: lambda x: x[::-1, :],
        5: lambda x: x.T,
        6: lambda x: np.rot90(x, 1),  # display = stored rotated 90 clockwise
        7: lambda x: x[::-1, ::-1].T,
        8: lambda x: np.rot90(x, -1),
    }
    op = ops.get(orientation)
    return a if op is None else np.ascontiguousarray(op(a))


def _redo_orientation(a: NDArray[Any], orientation: int) -> NDArray[Any]:
    ops = {
        2: lambda x: x[:, ::-1],
        3: lambda x: x[::-1, ::-1],
        4: lambda x: x[::-1, :],
        5: lambda x: x.T,
        6: lambda x: np.rot90(x, -1),
        7: lambda x: x[::-1, ::-1].T,
        8: lambda x: np.rot90(x, 1),
    }
    op = ops.get(orientation)
    return a if op is None else np.ascontiguousarray(op(a))


def _box_mean(a: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    import cv2

    return np.asarray(cv2.blur(a.astype(np.float32), (k, k), borderType=cv2.BORDER_REFLECT),
                      dtype=np.float32)


def _largest_component(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    import cv2

    if not mask.any():
        return mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return np.asarray(labels == best, dtype=np.bool_)


def _calibrated_coefficients(
    y: NDArray[np.float32], luma_table: NDArray[np.int64]
) -> NDArray[np.float32]:
    """DCT coefficients of the image cropped by 4 px and re-compressed with the same table.

    Cropping moves the content off the old grid, so the re-compressed image is, to a
    good approximation, what the content would look like compressed once with this
    table (calibration, after Fridrich/Lukas; used for double-JPEG analysis by Bianchi
    & Piva). Returns (h', w', 8, 8) float32 coefficients.
    """
    from PIL import Image

    crop = np.clip(y[4:, 4:] + 0.5, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(crop, mode="L").save(
        buf, "JPEG", qtables=[[int(v) for v in luma_table.ravel()]], subsampling=0)
    decoded = np.asarray(Image.open(io.BytesIO(buf.getvalue())), dtype=np.float32)
    return block_dct(decoded)


def aligned_double_jpeg_map(
    y: NDArray[np.float32], luma_table: NDArray[np.int64]
) -> tuple[NDArray[np.float32], dict[str, Any]]:
    """Per-block evidence of *not* being aligned-double-compressed.

    For each of the first 20 AC frequencies (zig-zag order), the histogram ``h`` of
    the quantised coefficients is compared with the histogram ``c`` of the calibrated
    image (:func:`_calibrated_coefficients`), which estimates what a single
    compression would give. A frequency where they differ (total variation over the
    non-zero values above 0.1) shows double compression; its coefficients then vote
    ``log(c(v) / h(v))`` (clipped to +-3): positive where the value is rarer than a
    single compression would make it (a valley of the double-compression pattern, so
    this block probably was not compressed before), negative at the pattern's peaks.

    Args:
        y: (H, W) float32 luma in [0, 255] in the file's stored orientation.
        luma_table: (8, 8) luminance quantisation table of the file, natural order.

    Returns:
        (llr, facts): (H // 8, W // 8) float32 log-likelihood ratio "single vs double
        compressed" summed over the informative frequencies (0 = no evidence), and
        facts (informative frequencies, their distances).
    """
    coef = block_dct(y)
    hb, wb = coef.shape[:2]
    llr = np.zeros((hb, wb), dtype=np.float32)
    facts: dict[str, Any] = {"periodic_frequencies": 0, "periods": [], "strength": 0.0}
    if hb * wb < 64 or min(y.shape) < 40:
        return llr, facts
    cal = _calibrated_coefficients(y, luma_table)
    distances: list[float] = []
    for r, c in ZIGZAG[1:_N_FREQ + 1]:
        q2 = float(luma_table[r, c])
        a = np.abs(np.rint(coef[:, :, r, c] / q2).astype(np.int64))
        ac = np.abs(np.rint(cal[:, :, r, c] / q2).astype(np.int64))
        h = np.bincount(np.minimum(a, _HIST_RANGE + 1).ravel(), minlength=_HIST_RANGE + 2)
        hc = np.bincount(np.minimum(ac, _HIST_RANGE + 1).ravel(), minlength=_HIST_RANGE + 2)
        h = h[1:_HIST_RANGE + 1].astype(np.float64)
        hc = hc[1:_HIST_RANGE + 1].astype(np.float64)
        m = int(np.nonzero(hc >= 10)[0].max(initial=-1)) + 1  # bins 1..m well populated
        if m < 3 or h[:m].sum() < 200:
            continue
        hn = h[:m] / h[:m].sum()
        cn = hc[:m] / hc[:m].sum()
        tv = 0.5 * float(np.abs(hn - cn).sum())
        # sampling noise of the total variation for these counts
        noise = float(np.sqrt(m / (h[:m].sum() + 1.0)))
        if tv < max(0.1, 3.0 * noise):
            continue
        distances.append(tv)
        facts["periods"].append({"frequency": [r, c], "distance": round(tv, 3)})
        ratio = np.log((cn + 1e-4) / (hn + 1e-4))
        vote = np.zeros(_HIST_RANGE + 2)
        vote[1:m + 1] = np.clip(ratio, -3.0, 3.0)
        llr += vote[np.minimum(a, _HIST_RANGE + 1)].astype(np.float32)
    # clipped blocks (glare, black print) lost their coefficients to the 0/255 limits and
    # follow no quantisation pattern: they carry no evidence either way
    blocks = y[:hb * _BLOCK, :wb * _BLOCK].reshape(hb, _BLOCK, wb, _BLOCK)
    clipped = ((blocks >= 253.5).any(axis=(1, 3))) | ((blocks <= 1.5).any(axis=(1, 3)))
    llr[clipped] = 0.0
    facts["periodic_frequencies"] = len(distances)
    facts["strength"] = round(float(np.sum(distances)), 3)
    return llr, facts


def grid_phase_energy(
    y: NDArray[np.float32], *, tile: int = _TILE, clip: float = 6.0
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Blocking-artefact energy per tile and grid phase.

    Args:
        y: (H, W) float32 luma, stored orientation.
        tile: tile side in pixels (multiple of 8).
        clip: absolute neighbour differences above this (edges, text strokes) are
            ignored; blocking steps are small.

    Returns:
        (ex, ey): (th, tw, 8) float32 each: mean horizontal (ex) / vertical (ey)
        neighbour difference at each phase, divided by the tile's mean over phases,
        minus 1 (0 = no grid at that phase). Phase 7 is the boundary between pixel
        7 and pixel 8 of a block of the file's own grid.
    """
    th, tw = y.shape[0] // tile, y.shape[1] // tile
    if th == 0 or tw == 0:
        empty = np.zeros((th, tw, 8), dtype=np.float32)
        return empty, empty.copy()
    hh, ww = th * tile, tw * tile
    yf = np.asarray(y, dtype=np.float32)
    out = []
    for axis in (1, 0):
        # jump between neighbours minus the mean of the two adjacent jumps: a blocking
        # step stays, smooth texture and ramps cancel; only where all three jumps are
        # small (edges and strokes carry no evidence). Position x = between x and x+1.
        g = np.diff(yf, axis=axis)
        g = np.pad(g, ((1, 2), (0, 0)) if axis == 0 else ((0, 0), (1, 2)), mode="edge")
        if axis == 1:
            prev, cur, nxt = g[:hh, 0:ww], g[:hh, 1:ww + 1], g[:hh, 2:ww + 2]
        else:
            prev, cur, nxt = g[0:hh, :ww], g[1:hh + 1, :ww], g[2:hh + 2, :ww]
        d = np.abs(cur - 0.5 * (prev + nxt))
        keep = (np.abs(prev) <= clip) & (np.abs(cur) <= clip) & (np.abs(nxt) <= clip)
        d *= keep
        if axis == 1:
            sums = d.reshape(th, tile, tw, tile // 8, 8).sum(axis=(1, 3))
            cnts = keep.reshape(th, tile, tw, tile // 8, 8).sum(axis=(1, 3), dtype=np.float32)
        else:
            sums = d.reshape(th, tile // 8, 8, tw, tile).sum(axis=(1, 4)).transpose(0, 2, 1)
            cnts = keep.reshape(th, tile // 8, 8, tw, tile).sum(
                axis=(1, 4), dtype=np.float32).transpose(0, 2, 1)
        e = sums / np.maximum(cnts, 1.0)
        rel = e / np.maximum(e.mean(axis=2, keepdims=True), 1e-3) - 1.0
        rel[cnts.min(axis=2) < tile * tile / 32] = 0.0  # mostly edges: no evidence
        out.append(np.asarray(rel, dtype=np.float32))
    return out[0], out[1]


@register
class JpegDetector(Detector):
    name = "jpeg"
    version = "1"
    description = ("JPEG quantisation tables and quality; aligned and non-aligned double "
                   "compression maps at native resolution")
    codes = (
        "JPEG_SOFTWARE_RECOMPRESSED",
        "JPEG_DOUBLE_COMPRESSED",
        "JPEG_LOCAL_SINGLE_COMPRESSION",
        "JPEG_MISALIGNED_GRID_REGION",
    )

    #: A-DJPG: blocks whose 3x3-neighbourhood LLR exceeds this are "not double compressed"
    adjpg_threshold = 3.0
    #: NA-DJPG: off-grid blocking strength (relative excess) that marks a tile
    grid_threshold = 0.05

    def applies_to(self, analysis: Analysis) -> bool:
        return analysis.document.format == "JPEG" and analysis.document.raw is not None

    def not_applicable_reason(self, analysis: Analysis) -> str:
        return f"not a JPEG file (format {analysis.document.format or 'array'})"

    def run(self, analysis: Analysis) -> DetectorResult:
        from PIL import Image

        raw = analysis.document.raw
        assert raw is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(raw))
            tables: dict[int, list[int]] = dict(getattr(img, "quantization", None) or {})
            exif = img.getexif()
            progressive = bool(img.info.get("progressive") or img.info.get("progression"))
            sampling = getattr(img, "layer", None)
        orientation = exif.get(0x0112, 1)
        orientation = orientation if isinstance(orientation, int) else 1
        findings: list[Finding] = []
        data: dict[str, Any] = {"progressive": progressive}
        if sampling:
            data["sampling"] = [list(s[1:3]) for s in sampling]

        # --- 1. quantisation tables ----------------------------------------------
        luma = np.asarray(tables.get(0, IJG_LUMA.ravel().tolist()), dtype=np.int64)
        luma = luma[:64].reshape(8, 8) if luma.size >= 64 else IJG_LUMA
        if 0 in tables:
            q, exact = estimate_quality(luma)
            chroma_exact = True
            if 1 in tables and len(tables[1]) >= 64:
                cq, chroma_exact = estimate_quality(
                    np.asarray(tables[1][:64], dtype=np.int64), chroma=True)
                chroma_exact = chroma_exact and cq == q
            ijg = exact and chroma_exact
            data.update(quality=q, ijg_tables=ijg,
                        luma_table_hash=int(np.dot(luma.ravel(), np.arange(1, 65)) % 1_000_003))
            make = exif.get(0x010F)
            if ijg and isinstance(make, str) and make.strip("\x00 "):
                findings.append(self.finding(
                    "JPEG_SOFTWARE_RECOMPRESSED", "low",
                    f"EXIF names a camera ({make.strip(chr(0))}) but the file uses the standard "
                    f"libjpeg tables at quality {q}: it was re-encoded by software after capture",
                    data={"quality": q},
                ))

        # --- 2 and 3: maps on the stored grid ----------------------------------------
        # on the file's own grid: a large image analysed at a working resolution
        # (docfraud.imageio.working_copy) is decoded again at its own; boxes and the
        # heatmap are brought to the analysed image at the end
        scale = float(analysis.document.info.get("working_scale", 1.0))
        if scale == 1.0:
            lum = analysis.luminance
        else:
            from docfraud.forensics.base import luminance_of
            from docfraud.imageio import native_pixels

            lum = luminance_of(native_pixels(analysis.document))
        y = _undo_orientation(lum, orientation)
        hs, ws = y.shape
        heat_a = np.zeros((max(1, hs // 8), max(1, ws // 8)), dtype=np.float32)
        score_a = 0.0
        llr, facts = aligned_double_jpeg_map(y, luma)
        data["double_compression"] = {k: facts[k] for k in ("periodic_frequencies", "strength")}
        data["double_compression"]["periods"] = facts["periods"][:6]
        if facts["periodic_frequencies"] >= 2:
            findings.append(self.finding(
                "JPEG_DOUBLE_COMPRESSED", "low",
                "the DCT histograms are periodic: the image was JPEG-compressed at least twice "
                "on the same grid (decoded and saved again)",
                data={"periodic_frequencies": facts["periodic_frequencies"]},
            ))
            local = _box_mean(llr, 3) * 9.0
            heat_a = np.clip(local / (2 * self.adjpg_threshold), 0.0, 1.0).astype(np.float32)
            hot = _largest_component(local > self.adjpg_threshold)
            confidence = min(1.0, facts["periodic_frequencies"] / 4.0)
            # a compact hot region much smaller than the image is what a paste looks like
            frac = float(hot.mean())
            if 0.0 < frac < 0.6:
                size_term = 1.0 - np.exp(-float(hot.sum()) / 12.0)
                contrast = float(np.clip(llr[hot].mean() - llr[~hot].mean(), 0.0, 3.0)) / 3.0
                score_a = confidence * size_term * (0.5 + 0.5 * contrast)
                if hot.sum() >= 6 and score_a >= 0.4:
                    box = box_of(_redo_orientation(hot, orientation), scale=8.0 * scale)
                    findings.append(self.finding(
                        "JPEG_LOCAL_SINGLE_COMPRESSION", "high",
                        "a region does not share the double-compression pattern of the rest of "
                        "the image: it was inserted before the last save",
                        region=box, data={"blocks": int(hot.sum())},
                    ))

        ex, ey = grid_phase_energy(y)
        score_n = 0.0
        heat_n = np.zeros((max(1, hs // _TILE), max(1, ws // _TILE)), dtype=np.float32)
        if ex.size:
            gx = np.median(ex.reshape(-1, 8), axis=0)
            gy = np.median(ey.reshape(-1, 8), axis=0)
            data["grid"] = {"x": [round(float(v), 3) for v in gx],
                            "y": [round(float(v), 3) for v in gy]}
            # local: tiles whose phase profile departs from the image's typical profile
            # with an extra grid in both directions, at one (x, y) phase shared by a
            # connected group of tiles (a pasted JPEG keeps one grid; content noise
            # does not). Per phase, averaged over 3x3 tiles.
            # The file's own grid makes phase k and its mirror 6 - k alike (the block's
            # artefacts are symmetric about its centre), so e[k] - e[6 - k] cancels the
            # own grid and content symmetric on average, and keeps a foreign grid at k
            # (phases 0, 3, 6 - shifts of 1, 4 and 7 px - are not examined).
            phases = (1, 2, 4, 5)
            dev_x = np.stack([_box_mean(ex[:, :, k] - ex[:, :, 6 - k], 3) for k in phases], 2)
            dev_y = np.stack([_box_mean(ey[:, :, k] - ey[:, :, 6 - k], 3) for k in phases], 2)
            best_mass, best = 0.0, None
            for kx in range(len(phases)):
                for ky in range(len(phases)):
                    strength = np.minimum(dev_x[:, :, kx], dev_y[:, :, ky])
                    base = float(np.median(strength))
                    spread = float(np.median(np.abs(strength - base))) * 1.4826 + 0.01
                    hot = _largest_component((strength - base > self.grid_threshold)
                                             & ((strength - base) / spread > 2.5))
                    if hot.sum() < 2 or hot.mean() >= 0.5:
                        continue
                    mass = float((strength[hot] - base).sum())
                    if mass > best_mass:
                        best_mass, best = mass, (strength, base, hot, phases[kx], phases[ky])
            if best is not None:
                strength, base, hot_n, px, py = best
                heat_n = np.clip((strength - base) / (2 * self.grid_threshold), 0, 1).astype(
                    np.float32)
                heat_n[~hot_n] *= 0.5
                n_hot = float(hot_n.sum())
                mag = float(np.clip((strength[hot_n].mean() - base) / (2 * self.grid_threshold),
                                    0, 1))
                # a handful of tiles is what textured backgrounds (cloth, scanner lid) and
                # print produce by chance on genuine captures: demand a larger area
                # capped at 0.5: measured on synthetic phone/scanner captures, genuine
                # textured backgrounds reach it too (see docs/findings-forensics.md)
                score_n = 0.5 * mag * max(0.0, 1.0 - float(np.exp(-(n_hot - 3.0) / 4.0)))
                data["misaligned_grid"] = {"tiles": int(n_hot),
                                           "shift": [(px + 1) % 8, (py + 1) % 8]}
                if score_n >= 0.3:
                    box = box_of(_redo_orientation(hot_n, orientation),
                                 scale=float(_TILE) * scale)
                    findings.append(self.finding(
                        "JPEG_MISALIGNED_GRID_REGION", "low",
                        "the JPEG blocking-artefact pattern of a region differs from the rest "
                        f"(artefacts of an 8x8 grid shifted by ({(px + 1) % 8}, "
                        f"{(py + 1) % 8}) px): content pasted from another JPEG image",
                        region=box, data={"tiles": int(n_hot),
                                          "shift": [(px + 1) % 8, (py + 1) % 8]},
                    ))

        h, w = analysis.shape
        stored = (hs, ws)
        heat = np.maximum(blocks_to_heatmap(heat_a, stored, _BLOCK),
                          blocks_to_heatmap(heat_n, stored, _TILE))
        heatmap: FloatMap = _redo_orientation(heat, orientation).astype(np.float32)
        if heatmap.shape != (h, w):  # native resolution -> the analysed image's
            import cv2

            heatmap = np.asarray(cv2.resize(heatmap, (w, h), interpolation=cv2.INTER_AREA),
                                 np.float32)
        assert heatmap.shape == (h, w)
        data["scores"] = {"aligned": round(float(score_a), 4),
                          "nonaligned": round(float(score_n), 4)}
        score = float(max(score_a, score_n))
        return self.result(score=score, heatmap=heatmap, findings=findings, data=data)
