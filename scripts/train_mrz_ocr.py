#!/usr/bin/env python3
"""Train the MRZ character-cell CNN on synthetic OCR-B lines; writes models/mrz_ocr.{pt,onnx}.

Every training line is rendered in OCR-B (10 % in other monospaced fonts, for MRZs
printed in non-standard type), printed on textured paper, tilted, scaled to a capture
resolution of 6-40 px glyph height (with --small-glyphs: 45 % of the lines at
6-12 px, the rest 12-40 px), blurred (sigma up to min(1, glyph height / 12) px at
capture resolution; --small-glyphs: up to 1.3 px at any size), noised and
JPEG-compressed, then resampled to the reader's strip scale (glyph height about
docfraud.mrz.locate.STRIP_GLYPH) and cut into cells by the *same* code the reader uses
(docfraud.mrz.ocr.ink_map, segment_line, cell_crops), so the classifier learns the
segmentation's own errors. The default (the shipped weights) cuts strips 2.1-2.7 glyphs
tall and builds the ink map at the line's true glyph height; --reader-cut cuts exactly
as docfraud.mrz.read does (strips STRIP_HEIGHT glyphs tall, ink map at STRIP_GLYPH).
Of the lines whose segmentation is wrong by more than a third of a pitch, 70 % are
dropped and 30 % are cut at the true cell positions with jitter. The torch weights are
exported to ONNX (needs the onnx package here) for the reader, which runs them with
OpenCV's dnn module.

Seeds: training lines use seeds from --seed (default 1000) upwards; the held-out
validation lines use seeds from 900000; the benchmark's synthetic set uses seeds from
5_000_000 (see scripts/bench_mrz_read.py). The CNN never sees the real specimens.

Usage: PYTHONPATH=. python scripts/train_mrz_ocr.py [--lines 6000] [--epochs 6] [--threads 2]
Runs on a CPU in about 10-25 minutes with 2 threads (the shipped model: 21 minutes on a
shared 2-core machine).

The two shipped networks (docfraud.mrz.read picks one per line by glyph height):
    models/mrz_ocr:        the default (no options)
    models/mrz_ocr_small:  --reader-cut --small-glyphs --small-share 0.8 --lines 10000
                           --epochs 8 --threads 1 --out models/mrz_ocr_small
                           (fourth round, 20-28 minutes on one thread; the sixth round's
                           retraining with --rotated-share 0.5 --lines 12000 was not merged)

--arch: the network's layout (ARCHS); both shipped networks are "base". The layout is
stored in the .pt, so --export-only rebuilds the right one.

--rotated-share S: that share of the lines is captured as the benchmark's rendered photos
are (the block rotated by any angle before it is shrunk, blurred and JPEG-compressed) and
cut by the locator's own strip sampler from a slightly wrong line estimate.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docfraud.mrz import ocr, render  # noqa: E402
from docfraud.mrz.locate import STRIP_GLYPH, STRIP_HEIGHT  # noqa: E402

#: --small-glyphs recipe: share of training lines captured at 6-12 px glyph height (the
#: rest 12-40 px) and the largest Gaussian blur sigma at capture resolution, px, for any
#: glyph size. Default recipe (the shipped weights): glyph height log-uniform 6-40 px,
#: blur sigma up to min(1, glyph height / 12) px.
SMALL_SHARE = 0.45
MAX_BLUR = 1.3

OTHER_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
]


def _printed_block(rng: np.random.Generator) -> tuple[int, int, list[str], Any, float,
                                                     float, Any]:
    """A block of 1-3 random MRZ lines printed at 48 px (OCR-B, now and then another
    font; tracking, jitter, bold or thin print) on a composed background.

    Returns (line length, index of the target line, texts, character centres per line,
    pitch, cap height, (h, w) uint8 grey image). Draws from ``rng`` in a fixed order,
    the same for every recipe (the shipped models depend on it).
    """
    import cv2

    n = int(rng.choice([30, 36, 44]))
    n_lines = int(rng.integers(1, 4))
    target = int(rng.integers(0, n_lines))
    texts = [render.random_mrz_line(rng, n) for _ in range(n_lines)]
    font_path = str(render.OCRB_FONT)
    if rng.random() < 0.1:
        others = [f for f in OTHER_FONTS if Path(f).exists()]
        if others:
            font_path = str(rng.choice(others))
    ink, centers, pitch, cap = render.render_block(
        texts, rng, font_px=48, tracking=rng.uniform(-0.03, 0.04), jitter=rng.uniform(0, 0.02),
        margin=(rng.uniform(0.3, 1.6), 1.0), stroke=int(rng.random() < 0.25),
        font_path=font_path,
    )
    if rng.random() < 0.2:  # thinner print
        ink = cv2.erode(ink, np.ones((2, 2), np.uint8))
    return n, target, texts, centers, pitch, cap, render.compose(ink, rng)


def _captured(gray: np.ndarray, cap: float, rng: np.random.Generator, *,
              small_glyphs: bool, small_share: float) -> tuple[np.ndarray, float, float]:
    """The printed block ``gray`` (capitals ``cap`` px tall) as a camera or scanner takes
    it: shrunk to a capital height drawn log-uniform (default 6..40 px; ``small_glyphs``:
    6..12 px for ``small_share`` of the lines, where the reader misreads most, else
    12..40), blurred at that resolution (default weaker on small glyphs; ``small_glyphs``:
    up to MAX_BLUR whatever the size) and degraded. Returns (uint8 image, scale, captured
    capital height)."""
    import cv2

    lo, hi = 6.0, 40.0
    if small_glyphs:
        lo, hi = (6.0, 12.0) if rng.random() < small_share else (12.0, 40.0)
    cap_cap = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    s1 = cap_cap / cap
    h, w = gray.shape
    small = cv2.resize(gray, (max(8, int(w * s1)), max(8, int(h * s1))),
                       interpolation=cv2.INTER_AREA)
    if small_glyphs:
        blur = rng.uniform(0, MAX_BLUR)
    else:
        blur = rng.uniform(0, 1.0) * min(1.0, cap_cap / 12)
    return render.degrade(small, rng, blur=blur, noise=rng.uniform(0, 0.05)), s1, cap_cap


def make_line_sample(seed: int, *, small_glyphs: bool = False, reader_cut: bool = False,
                     small_share: float = SMALL_SHARE,
                     rotated_share: float = 0.0) -> tuple[np.ndarray, np.ndarray] | None:
    """Render, degrade and segment one line; returns (crops (n, H, W), labels (n,)) or None.

    small_glyphs: the --small-glyphs recipe (small_share of the lines at 6-12 px, blur up
    to MAX_BLUR) instead of the default.
    reader_cut: strips and ink map exactly as the reader cuts them (--reader-cut); the
    default reproduces the shipped weights.
    rotated_share: share of the lines captured at any angle and cut by the locator's own
    strip sampler (--rotated-share; implies the reader's cut for those lines); 0 draws
    nothing extra from the line's generator, so the other recipes are unchanged.
    """
    import cv2

    rng = np.random.default_rng(seed)
    if rotated_share > 0 and rng.random() < rotated_share:
        return _rotated_line_sample(rng, small_glyphs=small_glyphs, small_share=small_share)
    n, target, texts, centers, pitch, cap, gray = _printed_block(rng)
    h, w = gray.shape
    # residual tilt the locator leaves, plus mild keystone
    angle = rng.normal(0.0, 0.8)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    gray = cv2.warpAffine(gray, rot, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    pts = np.concatenate([centers[target], np.ones((n, 1))], axis=1) @ rot.T
    small_u8, s1, cap_cap = _captured(gray, cap, rng, small_glyphs=small_glyphs,
                                      small_share=small_share)
    # the reader's strip scale: glyph height ~STRIP_GLYPH px, estimated with +-20 % error
    s2 = STRIP_GLYPH * rng.uniform(0.8, 1.25) / cap_cap
    sx, sy = s1 * s2, s1 * s2
    big = cv2.resize(small_u8, (int(small_u8.shape[1] * s2), int(small_u8.shape[0] * s2)),
                     interpolation=cv2.INTER_CUBIC)
    pts_b = pts * np.array([sx, sy])
    cap_b = cap * sy
    yc = float(np.mean(pts_b[:, 1])) + rng.normal(0, 0.12) * cap_b
    if reader_cut:
        # the reader's strips are STRIP_HEIGHT x STRIP_GLYPH px tall whatever the true
        # glyph height
        strip_h = round(STRIP_HEIGHT * STRIP_GLYPH)
    else:  # as for the shipped weights
        strip_h = int(cap_b * rng.uniform(2.1, 2.7))
    y0 = round(yc - strip_h / 2)
    x0 = int(max(0, pts_b[0, 0] - pitch * sx * rng.uniform(0.7, 1.6)))
    x1 = int(min(big.shape[1], pts_b[-1, 0] + pitch * sx * rng.uniform(0.7, 1.6)))
    strip = cv2.copyMakeBorder(big, max(0, -y0), max(0, y0 + strip_h - big.shape[0]), 0, 0,
                               cv2.BORDER_REPLICATE)
    y0c = max(0, y0)
    strip = strip[y0c:y0c + strip_h, x0:x1]
    truth = pts_b - np.array([x0, y0])
    # --reader-cut, as in docfraud.mrz.read: ink map at the nominal strip glyph height;
    # the shipped weights were trained with the ink map at the line's true glyph height
    inkm = ocr.ink_map(strip, glyph_height=STRIP_GLYPH if reader_cut else cap_b)
    cells = ocr.segment_line(inkm, n)
    labels = np.array([ocr.ALPHABET.index(c) for c in texts[target]], np.int64)
    if cells is None or np.abs(cells.centers[:, 0] - truth[:, 0]).max() > 0.33 * pitch * sx:
        if rng.random() < 0.7:
            return None
        # train on truth positions with jitter instead, so hard lines still teach
        jit = rng.normal(0, 0.08, size=(n, 2)) * np.array([pitch * sx, cap_b])
        cells = ocr.LineCells(centers=truth + jit, pitch=pitch * sx * rng.uniform(0.95, 1.05),
                              height=cap_b * rng.uniform(0.9, 1.1), fit_error=0.0)
    return ocr.cell_crops(inkm, cells), labels


def _rotated_line_sample(rng: np.random.Generator, *, small_glyphs: bool,
                         small_share: float) -> tuple[np.ndarray, np.ndarray] | None:
    """One line as the benchmark's rendered photos capture it and the reader cuts it.

    The printed block is rotated by any angle at print resolution, resized to the capture
    resolution (INTER_AREA), blurred, noised and JPEG-compressed with the text at that
    angle (so JPEG blocks and the pixel grid lie across the strokes), and the line strip
    is sampled back by docfraud.mrz.locate._strip (the reader's own sampler: pyramid
    shrink, cubic warp) from a slightly wrong line estimate (direction +-0.5 degrees,
    centre +-0.12 glyph heights across, glyph height +-20 %, length +-4 %); the ink map
    and cells are cut as the reader cuts them. Returns (crops, labels) or None, as
    make_line_sample.
    """
    import cv2

    from docfraud.mrz.locate import _strip

    n, target, texts, centers, pitch, cap, gray = _printed_block(rng)
    h, w = gray.shape
    angle = rng.uniform(0.0, 360.0)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(rot[0, 0]), abs(rot[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    rot[0, 2] += nw / 2 - w / 2
    rot[1, 2] += nh / 2 - h / 2
    gray = cv2.warpAffine(gray, rot, (nw, nh), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    pts = np.concatenate([centers[target], np.ones((n, 1))], axis=1) @ rot.T
    small_u8, s1, cap_cap = _captured(gray, cap, rng, small_glyphs=small_glyphs,
                                      small_share=small_share)
    pts_s = pts * s1
    d = pts_s[-1] - pts_s[0]
    line_angle = math.degrees(math.atan2(d[1], d[0]))
    true_len = float(np.hypot(*d))
    est_angle = line_angle + rng.normal(0.0, 0.5)
    a = math.radians(est_angle)
    along = np.array([math.cos(a), math.sin(a)])
    across = np.array([-math.sin(a), math.cos(a)])
    centre = pts_s.mean(axis=0) + across * rng.normal(0, 0.12) * cap_cap
    glyph = cap_cap * rng.uniform(0.8, 1.25)
    length = (true_len + 0.65 * pitch * s1) * rng.uniform(0.96, 1.04)
    strip = _strip(small_u8, (float(centre[0]), float(centre[1])), est_angle, length, glyph)
    f = STRIP_GLYPH / glyph
    rel = pts_s - centre
    truth = np.stack([rel @ along * f + strip.shape[1] / 2.0,
                      rel @ across * f + strip.shape[0] / 2.0], axis=1)
    pitch_b = pitch * s1 * f
    cap_b = cap_cap * f
    inkm = ocr.ink_map(strip, glyph_height=STRIP_GLYPH)
    cells = ocr.segment_line(inkm, n)
    labels = np.array([ocr.ALPHABET.index(c) for c in texts[target]], np.int64)
    if cells is None or np.abs(cells.centers[:, 0] - truth[:, 0]).max() > 0.33 * pitch_b:
        if rng.random() < 0.7:
            return None
        jit = rng.normal(0, 0.08, size=(n, 2)) * np.array([pitch_b, cap_b])
        cells = ocr.LineCells(centers=truth + jit, pitch=pitch_b * rng.uniform(0.95, 1.05),
                              height=cap_b * rng.uniform(0.9, 1.1), fit_error=0.0)
    return ocr.cell_crops(inkm, cells), labels


def build(seeds: range, *, small_glyphs: bool = False, reader_cut: bool = False,
          small_share: float = SMALL_SHARE,
          rotated_share: float = 0.0) -> tuple[np.ndarray, np.ndarray, int]:
    xs, ys, dropped = [], [], 0
    for s in seeds:
        out = make_line_sample(s, small_glyphs=small_glyphs, reader_cut=reader_cut,
                               small_share=small_share, rotated_share=rotated_share)
        if out is None:
            dropped += 1
            continue
        xs.append(out[0])
        ys.append(out[1])
    return np.concatenate(xs), np.concatenate(ys), dropped


#: Network layouts for --arch: per block (channels, conv3x3 layers), each conv followed by
#: batch norm and ReLU, each block by a 2x2 max pool; then fully connected (channels x 4 x 3
#: -> hidden units) -> ReLU -> dropout 0.2 -> 37 classes. "base" is both shipped networks.
ARCHS: dict[str, tuple[tuple[tuple[int, int], ...], int]] = {
    "base": (((16, 1), (32, 1), (64, 1)), 128),
    "wide": (((32, 1), (64, 1), (128, 1)), 256),
}


def make_model(arch: str = "base"):  # type: ignore[no-untyped-def]
    """The cell CNN for --arch ``arch`` (ARCHS): (B, 1, CELL_H, CELL_W) -> (B, 37) logits."""
    import torch.nn as nn

    blocks, hidden = ARCHS[arch]
    layers: list[nn.Module] = []
    cin = 1
    for cout, convs in blocks:
        for _ in range(convs):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
        layers.append(nn.MaxPool2d(2))
    scale = 2 ** len(blocks)
    return nn.Sequential(
        *layers, nn.Flatten(),
        nn.Linear(cin * (ocr.CELL_H // scale) * (ocr.CELL_W // scale), hidden), nn.ReLU(),
        nn.Dropout(0.2), nn.Linear(hidden, len(ocr.ALPHABET)),
    )


def export_onnx(model, path: Path) -> None:  # type: ignore[no-untyped-def]
    """ONNX for the runtime (read by OpenCV's dnn module; needs the onnx package here only)."""
    import torch

    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 1, ocr.CELL_H, ocr.CELL_W), str(path), dynamo=False,
        input_names=["cells"], output_names=["logits"],
        dynamic_axes={"cells": {0: "batch"}, "logits": {0: "batch"}},
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=6000, help="training lines (x ~37 cells each)")
    ap.add_argument("--val-lines", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--small-glyphs", action="store_true",
                    help=f"{round(100 * SMALL_SHARE)} %% of lines (--small-share) at 6-12 px "
                         f"glyph height, blur up to sigma {MAX_BLUR} px at any size (the "
                         "small-glyph model: see the docstring)")
    ap.add_argument("--small-share", type=float, default=SMALL_SHARE,
                    help="with --small-glyphs: share of lines at 6-12 px (default %(default)s)")
    ap.add_argument("--rotated-share", type=float, default=0.0,
                    help="share of lines captured at any angle and cut by the locator's strip "
                         "sampler, as the benchmark's rendered photos (default %(default)s)")
    ap.add_argument("--reader-cut", action="store_true",
                    help="cut strips and ink maps exactly as the reader does (the small-glyph "
                         "model; the default model was trained without)")
    ap.add_argument("--arch", choices=sorted(ARCHS), default="base",
                    help="network layout (ARCHS; default %(default)s: both shipped networks)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "mrz_ocr")
    ap.add_argument("--export-only", action="store_true",
                    help="only re-export the .onnx from an existing .pt")
    args = ap.parse_args(argv)

    import cv2
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    if args.export_only:
        ckpt = torch.load(args.out.with_suffix(".pt"))
        model = make_model(ckpt.get("arch", "base"))
        model.load_state_dict(ckpt["state_dict"])
        model.eval()
        export_onnx(model, args.out.with_suffix(".onnx"))
        print(f"exported {args.out}.onnx")
        return 0
    torch.manual_seed(args.seed)
    t0 = time.time()
    x_tr, y_tr, d_tr = build(range(args.seed, args.seed + args.lines),
                             small_glyphs=args.small_glyphs, reader_cut=args.reader_cut,
                             small_share=args.small_share, rotated_share=args.rotated_share)
    x_va, y_va, _ = build(range(900_000, 900_000 + args.val_lines),
                          small_glyphs=args.small_glyphs, reader_cut=args.reader_cut,
                          small_share=args.small_share, rotated_share=args.rotated_share)
    print(f"data: {len(y_tr)} train cells ({d_tr} lines dropped), {len(y_va)} val cells, "
          f"{time.time() - t0:.0f}s", flush=True)
    xt = torch.from_numpy(ocr.standardize(x_tr))[:, None]
    yt = torch.from_numpy(y_tr)
    xv = torch.from_numpy(ocr.standardize(x_va))[:, None]
    yv = torch.from_numpy(y_va)
    model = make_model(args.arch)
    print(f"arch {args.arch}: {sum(p.numel() for p in model.parameters())} parameters", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    bs = 256
    steps = args.epochs * math.ceil(len(yt) / bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(args.seed)
    for ep in range(args.epochs):
        model.train()
        perm = torch.randperm(len(yt), generator=gen)
        tot = 0.0
        for k in range(0, len(yt), bs):
            idx = perm[k:k + bs]
            xb = xt[idx]
            # cheap on-line augmentation: random 1-px shifts
            if torch.rand(1, generator=gen).item() < 0.5:
                dx, dy = torch.randint(-1, 2, (2,), generator=gen).tolist()
                xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(xb), yt[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(idx)
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(xv[k:k + 1024]).argmax(1) for k in range(0, len(yv), 1024)])
        acc = float((pred == yv).float().mean())
        print(f"epoch {ep + 1}/{args.epochs}: loss {tot / len(yt):.4f}  val char acc {acc:.5f}  "
              f"{time.time() - t0:.0f}s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # the layout is stored only where it is not "base", so the shipped checkpoints' format
    # (and their reproduction) stays as it was
    extra = {} if args.arch == "base" else {"arch": args.arch}
    torch.save({"state_dict": model.state_dict(), "alphabet": ocr.ALPHABET,
                "cell": (ocr.CELL_H, ocr.CELL_W), **extra}, args.out.with_suffix(".pt"))
    export_onnx(model, args.out.with_suffix(".onnx"))
    # the runtime (OpenCV dnn on the ONNX file) must agree with torch
    clf = ocr.CellClassifier.load(args.out.with_suffix(".onnx"))
    rt_pred = clf.predict(x_va[:2000]).argmax(1)
    agree = float((rt_pred == pred[:2000].numpy()).mean())
    print(f"saved {args.out}.pt/.onnx; runtime/torch agreement {agree:.4f}; "
          f"total {time.time() - t0:.0f}s")
    return 0 if agree > 0.999 else 1


if __name__ == "__main__":
    sys.exit(main())
