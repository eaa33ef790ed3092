#!/usr/bin/env python3
"""Train the learned forgery detector (models/learned_cnn.onnx) on synthetic documents.

Data: docfraud.synth documents of every design and forgery kind except the held-out
ones (scripts/detect_common.py), on seeds of their own (train 5101, validation 5202;
fusion uses 1101/2202 and evaluation 3303). Genuine documents include null edits
(re-saved pages, fields JPEG re-encoded and pasted onto themselves) at a 50 % rate,
so compression traces alone do not mark a forgery. From each document 64x64 crops are
cut at native resolution, aligned to the 8-pixel JPEG grid: 40 % centred on forged
pixels (forged documents; 20 % on the self-pasted area of null-edited genuine ones), most
of the rest on printed elements of genuine and forged documents alike (a third each on
the portraits, the MRZ and the visual-zone fields), so that the network cannot learn
where forgeries usually are instead of what they look like; a few on the card or
anywhere. Each crop carries the forgery-mask fraction of each of its 8x8 cells. Crops
are cached in runs/learned/*.pkl.

Model: RGB in [0, 1] and two luma high-pass residuals (Immerkaer 3x3, SRM 5x5 "KV"),
computed by docfraud.forensics.learned.input_channels exactly as at run time (on a GPU
by ``torch_channels``, checked against it at start) -> a few convolutions (output stride
8; ``--arch``: small, medium, large, several trained side by side on the same batches)
-> per-cell forgery logit. Trained with dense binary cross-entropy on the central 4x4
cells of each crop (free of the crop's zero padding for the small network only: the
medium one's central cells reach 16-20 px beyond a 64-px crop, the large one's 48-52;
larger crops would be better for them), on CPU with at most --threads threads or on a
GPU (``--device cuda``: the crops are moved there whole), exported to ONNX for OpenCV's
DNN module (no torch at run time). ``--data-minutes`` makes as many training documents
as fit in that time, in a random order of the set. ``--exclude-operators counterfeit``
leaves counterfeits out (the shipped weights: with them the network learns that an
unfamiliar design is forged).

The shipped weights (models/learned_cnn.json has the commands): on one H200 with 16 CPU
cores making the data, 1.5 min of data and 1.4 min of training (``--skip-doc-eval``,
state dict saved as OUT with .pt; the cells' labels were then not flipped with their
crop), then fine-tuned from that .pt on 2 CPU cores with the labels flipped
(``--init-from``, ``--lr 1e-3``: 9 min of data, 12 min of training).

Prints cell- and crop-level validation ROC AUC, then runs the shipped detector
(docfraud.forensics.learned, reading the exported ONNX file) on the validation
documents for the document-level AUC and per-kind detection rates at 5 % / 1 % false
alarms, and on a small set of the held-out design and kind for information.

Usage: python scripts/train_learned.py [--train-docs 600] [--val-docs 240]
           [--epochs 8] [--minutes 15] [--threads 2] [--jobs 2] [--device cuda]
           [--arch medium] [--data-minutes M] [--exclude-operators counterfeit]
           [--skip-doc-eval] [--from-pt FILE.pt]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detect_common import (
    CALIBRATION_SEED,
    EVAL_SEED,
    HELD_OUT_DESIGN,
    HELD_OUT_OPERATOR,
    TRAIN_SEED,
    train_designs,
    train_operators,
)

ROOT = Path(__file__).resolve().parents[1]
LEARN_TRAIN_SEED = 5101
LEARN_VAL_SEED = 5202
LEARN_HELDOUT_SEED = 5303
CROP = 64
CELL = 8
CENTRE = slice(2, 6)  # central 4x4 of the 8x8 output cells: free of padding (small net)
assert len({LEARN_TRAIN_SEED, LEARN_VAL_SEED, LEARN_HELDOUT_SEED}
           & {TRAIN_SEED, CALIBRATION_SEED, EVAL_SEED}) == 0


# --- data ---------------------------------------------------------------------------------


def _one_thread() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import cv2

    cv2.setNumThreads(1)


def _project(points: np.ndarray, homography: list[list[float]]) -> np.ndarray:
    h = np.asarray(homography, np.float64)
    pts = np.c_[points, np.ones(len(points))] @ h.T
    return np.asarray(pts[:, :2] / pts[:, 2:3])


_PLANS: dict[str, Any] = {}


def _crops_of(args: tuple[dict[str, Any], int, int, bool]) -> dict[str, Any]:
    """Crops and cell targets of document ``index`` of the set ``spec_kwargs``."""
    from docfraud.synth.dataset import dataset_workshops, make_document, make_plan, make_spec

    spec_kwargs, index, n_crops, keep_bytes = args
    key = json.dumps(spec_kwargs, sort_keys=True)
    if key not in _PLANS:  # one plan per process and set (a large set's plan takes 40 ms)
        spec = make_spec(**spec_kwargs)
        _PLANS[key] = (spec, make_plan(spec), dataset_workshops(spec))
    spec, plan, workshops = _PLANS[key]
    item = plan[index]
    doc = make_document(item, spec, workshops, decode=True)
    img = doc.image
    assert img is not None
    h, w = img.shape[:2]
    mask = doc.mask if doc.mask is not None else np.zeros((h, w), bool)
    rng = np.random.default_rng([spec.seed, 77, index])
    cards = np.concatenate([np.asarray(q, np.float64) for q in doc.truth["layout"]["cards"]])
    cx0, cy0 = np.clip(cards.min(axis=0), 0, [w - 1, h - 1])
    cx1, cy1 = np.clip(cards.max(axis=0), 0, [w - 1, h - 1])
    paste_centres = []
    for d in doc.truth["details"] if isinstance(doc.truth["details"], list) else []:
        if d.get("operator") == "null_self_paste" and d.get("region"):
            x, y, bw, bh = d["region"]
            paste_centres.append(_project(np.array([[x + bw / 2, y + bh / 2]]),
                                          doc.truth["layout"]["homography"])[0])
    # printed elements (portrait, ghost, fields, MRZ): forgeries happen there, so genuine
    # crops must come from there too, or the net learns where forgeries are, not what
    lay = doc.truth["layout"]
    # grouped so that each kind of element is drawn as often as forgeries target it
    groups = [[lay["portrait"], *([lay["ghost"]] if lay.get("ghost") else [])],
              [lay["mrz"]], list(lay["fields"].values())]
    boxes = [[(np.asarray(q, np.float64).min(axis=0), np.asarray(q, np.float64).max(axis=0))
              for q in g] for g in groups if g]
    ys_m, xs_m = np.nonzero(mask)
    centres = []
    for k in range(n_crops):
        u = k / n_crops
        if xs_m.size and u < 0.4:
            j = int(rng.integers(xs_m.size))
            c = (xs_m[j] + rng.uniform(-20, 20), ys_m[j] + rng.uniform(-20, 20))
        elif paste_centres and u < 0.2:
            p = paste_centres[int(rng.integers(len(paste_centres)))]
            c = (p[0] + rng.uniform(-30, 30), p[1] + rng.uniform(-20, 20))
        elif u < 0.8:
            group = boxes[int(rng.integers(len(boxes)))]
            lo, hi = group[int(rng.integers(len(group)))]
            c = (rng.uniform(lo[0], hi[0]), rng.uniform(lo[1], hi[1]))
        elif u < 0.92:
            c = (rng.uniform(cx0, cx1), rng.uniform(cy0, cy1))
        else:
            c = (rng.uniform(0, w), rng.uniform(0, h))
        centres.append(c)
    crops, targets = [], []
    if h >= CROP and w >= CROP:
        for cx, cy in centres:
            x = int(np.clip(round((cx - CROP / 2) / CELL) * CELL, 0, (w - CROP) // CELL * CELL))
            y = int(np.clip(round((cy - CROP / 2) / CELL) * CELL, 0, (h - CROP) // CELL * CELL))
            crops.append(img[y:y + CROP, x:x + CROP])
            m = mask[y:y + CROP, x:x + CROP].reshape(CROP // CELL, CELL, CROP // CELL, CELL)
            targets.append(np.round(m.mean(axis=(1, 3)) * 255).astype(np.uint8))
    ops = list(item.operators)
    kind = "genuine" if item.kind == "genuine" else "+".join(sorted(
        o for o in ops if not o.startswith("null_")))
    return {
        "crops": np.asarray(crops, np.uint8).reshape(-1, CROP, CROP, 3),
        "targets": np.asarray(targets, np.uint8).reshape(-1, CROP // CELL, CROP // CELL),
        "label": 0 if item.kind == "genuine" else 1,
        "kind": kind,
        "data": doc.data if keep_bytes else None,
        "mask": (np.packbits(mask) if keep_bytes else None),
        "shape": (h, w),
    }


def build_set(spec_kwargs: dict[str, Any], *, crops_per_doc: int, jobs: int, cache: Path,
              keep_bytes: bool, minutes: float | None = None) -> dict[str, Any]:
    """Generate (or load from ``cache``) the crops of one synthetic set; with ``minutes``,
    only the documents made within that time (in a random order of the set)."""
    if cache.exists():
        with cache.open("rb") as fh:
            loaded: dict[str, Any] = pickle.load(fh)
        return loaded
    from docfraud.synth.dataset import make_plan, make_spec

    n = len(make_plan(make_spec(**spec_kwargs)))
    t0 = time.perf_counter()
    crops, targets, doc_of, docs = [], [], [], []
    # in a random order, so that a set cut short by the time budget still mixes every
    # kind and design (the plan lists them in blocks)
    order = np.random.default_rng([spec_kwargs["seed"], 5]).permutation(n)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_one_thread) as pool:
        tasks = [(spec_kwargs, int(i), crops_per_doc, keep_bytes) for i in order]
        for i, r in enumerate(pool.map(_crops_of, tasks, chunksize=4)):
            crops.append(r["crops"])
            targets.append(r["targets"])
            doc_of.append(np.full(len(r["crops"]), i, np.int32))
            docs.append({k: r[k] for k in ("label", "kind", "data", "mask", "shape")})
            if (i + 1) % 500 == 0:
                print(f"  {i + 1}/{n} documents, {time.perf_counter() - t0:.0f} s", flush=True)
            if minutes is not None and time.perf_counter() - t0 > 60 * minutes:
                print(f"  data time budget of {minutes} min spent after {i + 1} of {n} "
                      "documents", flush=True)
                pool.shutdown(wait=False, cancel_futures=True)
                break
    out = {"crops": np.concatenate(crops), "targets": np.concatenate(targets),
           "doc": np.concatenate(doc_of), "docs": docs, "spec": spec_kwargs,
           "seconds": time.perf_counter() - t0}
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as fh:
        pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return out


# --- model --------------------------------------------------------------------------------


#: architectures: name -> [(in, out, kernel, stride, padding, dilation)] of the conv-BN-ReLU
#: blocks, then a 1x1 convolution to the logit. All have output stride 8 and 4x4 first
#: cells aligned with the JPEG grid.
ARCHS: dict[str, list[tuple[int, int, int, int, int, int]]] = {
    # about 350 multiply-adds per input pixel (0.7 G at 2 megapixels); receptive field 44 px
    "small": [(5, 16, 4, 4, 0, 1), (16, 32, 3, 2, 1, 1), (32, 32, 3, 1, 2, 2),
              (32, 32, 1, 1, 0, 1)],
    # about 1000 multiply-adds per input pixel; receptive field 76 px
    "medium": [(5, 24, 4, 4, 0, 1), (24, 48, 3, 2, 1, 1), (48, 48, 3, 1, 2, 2),
               (48, 48, 3, 1, 2, 2), (48, 32, 1, 1, 0, 1)],
    # about 2300 multiply-adds per input pixel; receptive field 140 px
    "large": [(5, 32, 4, 4, 0, 1), (32, 64, 3, 2, 1, 1), (64, 64, 3, 1, 2, 2),
              (64, 64, 3, 1, 4, 4), (64, 64, 3, 1, 2, 2), (64, 32, 1, 1, 0, 1)],
}


def make_model(arch: str = "small") -> Any:
    """The network: (N, 5, H, W) input channels -> (N, 1, H / 8, W / 8) logits."""
    from torch import nn

    layers: list[nn.Module] = []
    for cin, cout, kernel, stride, padding, dilation in ARCHS[arch]:
        layers += [nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding,
                             dilation=dilation, bias=False),
                   nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    layers.append(nn.Conv2d(ARCHS[arch][-1][1], 1, 1))
    return nn.Sequential(*layers)


def torch_channels(crops: Any) -> Any:
    """(N, H, W, 3) uint8 tensor -> (N, 5, H, W) float32: what
    ``docfraud.forensics.learned.input_channels`` computes for each crop (cv2's
    BORDER_REFLECT at the crop's edges), on the tensor's own device."""
    import torch
    import torch.nn.functional as F

    from docfraud.forensics import learned

    p = crops.float()
    rgb = p.permute(0, 3, 1, 2)
    luma = (0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2])[:, None]

    def reflect(x: Any, k: int) -> Any:  # cv2.BORDER_REFLECT: the edge pixel repeated
        x = torch.cat([x[..., :k].flip(-1), x, x[..., -k:].flip(-1)], dim=-1)
        return torch.cat([x[..., :k, :].flip(-2), x, x[..., -k:, :].flip(-2)], dim=-2)

    k3 = torch.from_numpy(learned._K3).to(p.device)[None, None]
    kv = torch.from_numpy(learned._KV).to(p.device)[None, None]
    res = F.conv2d(reflect(luma, 1), k3)
    res_kv = F.conv2d(reflect(luma, 2), kv)
    scale, clip = learned._RESIDUAL_SCALE, learned._RESIDUAL_CLIP
    return torch.cat([rgb / 255.0, (res / scale).clamp(-clip, clip),
                      (res_kv / scale).clamp(-clip, clip)], dim=1)


def to_tensor(crops: np.ndarray) -> Any:
    """(N, 64, 64, 3) uint8 crops -> (N, 5, 64, 64) float tensor, as the detector computes."""
    import torch

    from docfraud.forensics.learned import input_channels

    return torch.from_numpy(np.stack([input_channels(np.ascontiguousarray(c)) for c in crops]))


def check_channels() -> float:
    """Largest difference between :func:`torch_channels` and the detector's own
    ``input_channels`` on random crops (the training input must be the run-time input)."""
    import torch

    x = (np.random.default_rng(0).random((4, CROP, CROP, 3)) * 255).astype(np.uint8)
    err = float((torch_channels(torch.from_numpy(x)) - to_tensor(x)).abs().max())
    if err > 1e-3:
        raise SystemExit(f"torch_channels differs from input_channels by {err}")
    return err


def predict_cells(model: Any, crops: np.ndarray, batch: int = 512) -> np.ndarray:
    import torch

    model.eval()
    device = next(model.parameters()).device
    out = []
    with torch.inference_mode():
        for i in range(0, len(crops), batch):
            x = torch.from_numpy(np.ascontiguousarray(crops[i:i + batch])).to(device)
            out.append(torch.sigmoid(model(torch_channels(x)))[:, 0].float().cpu().numpy())
    return np.concatenate(out)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    if labels.min() == labels.max():
        return float("nan")
    return float(roc_auc_score(labels, scores))


def patch_metrics(model: Any, data: dict[str, Any]) -> dict[str, float]:
    probs = predict_cells(model, data["crops"])[:, CENTRE, CENTRE]
    frac = data["targets"][:, CENTRE, CENTRE].astype(np.float32) / 255.0
    sure = (frac >= 0.5) | (frac == 0.0)
    crop_label = (frac >= 0.5).any(axis=(1, 2))
    crop_sure = crop_label | (frac == 0.0).all(axis=(1, 2))
    return {
        "cell_auc": auc(frac[sure] >= 0.5, probs[sure]),
        "cells": int(sure.sum()), "positive_cells": int((frac[sure] >= 0.5).sum()),
        "crop_auc": auc(crop_label[crop_sure], probs.max(axis=(1, 2))[crop_sure]),
        "crops": int(crop_sure.sum()), "positive_crops": int(crop_label[crop_sure].sum()),
    }


def train(data: dict[str, Any], val: dict[str, Any], *, epochs: int, minutes: float,
          seed: int, archs: list[str], device: str = "cpu", batch: int = 128,
          max_lr: float = 3e-3, init: dict[str, Any] | None = None
          ) -> tuple[dict[str, Any], int]:
    """Train one network per architecture in ``archs`` on the same batches; returns
    them by name and the number of steps taken (recorded with the weights: the time
    budgets make it vary by machine). Batches are cut on ``device`` (the crops are
    moved there whole when it is a GPU), where the input channels are computed too."""
    import torch

    torch.manual_seed(seed)
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed crop size: pick the fastest kernels
    models = {a: make_model(a) for a in archs}
    if init is not None:
        for model in models.values():
            model.load_state_dict(init)
    models = {a: m.to(dev) for a, m in models.items()}
    crops_np = data["crops"]
    targets_np = data["targets"][:, CENTRE, CENTRE].astype(np.float32) / 255
    pos = float((targets_np >= 0.5).mean())
    print(f"training {', '.join(archs)} on {len(crops_np)} crops ({device}), positive cells "
          f"{pos:.3f}", flush=True)
    crops_t = torch.from_numpy(crops_np).to(dev)  # no copy on the CPU
    targets_t = torch.from_numpy(targets_np).to(dev)
    opts = {a: torch.optim.AdamW(m.parameters(), lr=max_lr, weight_decay=1e-4)
            for a, m in models.items()}
    steps = epochs * (len(crops_np) // batch)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    gen = torch.Generator(device="cpu").manual_seed(seed)
    t0 = time.perf_counter()
    step = 0
    done = False
    for epoch in range(epochs):
        for m in models.values():
            m.train()
        order = torch.randperm(len(crops_np), generator=gen)
        totals: dict[str, Any] = dict.fromkeys(archs, 0.0)  # summed on the device
        step_in_epoch = 0
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i:i + batch].to(dev)
            x = crops_t[idx]
            y = targets_t[idx]  # (N, 4, 4) central cells: rows along H, columns along W
            # flips keep the 8-pixel grid alignment of a 64-pixel crop; the cells' labels
            # flip with it (until session 14 they did not: ~14 % of the forged cells were
            # labelled genuine in a flipped crop, and as many genuine ones forged)
            if torch.rand(1, generator=gen).item() < 0.5:
                x, y = x.flip(2), y.flip(2)
            if torch.rand(1, generator=gen).item() < 0.5:
                x, y = x.flip(1), y.flip(1)
            inputs = torch_channels(x)
            y = (y >= 0.5).float() * 0.9 + y * 0.1  # mostly hard labels, soft at edges
            step += 1
            # warm-up, then cosine decay over the epochs or the time budget, whichever
            # ends first, so a slow machine still ends with a small learning rate
            progress = max(step / steps, (time.perf_counter() - t0) / (60 * minutes))
            lr = max_lr * min(1.0, step / 50) * 0.5 * (1 + np.cos(np.pi * min(1.0, progress)))
            for a, model in models.items():
                logits = model(inputs)[:, 0, CENTRE, CENTRE]
                loss = loss_fn(logits, y)
                opts[a].zero_grad(set_to_none=True)
                loss.backward()
                for group in opts[a].param_groups:
                    group["lr"] = lr
                opts[a].step()
                totals[a] = totals[a] + loss.detach()
            step_in_epoch += 1
            if progress >= 1.0:
                done = True
                break
        elapsed = (time.perf_counter() - t0) / 60
        for a, model in models.items():
            m = patch_metrics(model, val)
            print(f"epoch {epoch + 1}/{epochs} {a}: loss "
                  f"{float(totals[a]) / max(1, step_in_epoch):.4f}  val cell AUC "
                  f"{m['cell_auc']:.4f}  crop AUC {m['crop_auc']:.4f}  ({elapsed:.1f} min, "
                  f"{step} steps)", flush=True)
        if done or elapsed >= minutes:
            print(f"stopping: time budget of {minutes} min spent", flush=True)
            break
    for model in models.values():
        model.eval()
    return models, step


def export(model: Any, path: Path) -> None:
    import torch

    model = model.cpu().eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    x = torch.rand(1, 5, 96, 128)
    torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=13,
                      input_names=["channels"], output_names=["logit"], do_constant_folding=True,
                      dynamic_axes={"channels": {2: "height", 3: "width"},
                                    "logit": {2: "cells_y", 3: "cells_x"}})
    from docfraud.forensics.learned import _Model

    net = _Model(path).net  # loaded as the detector loads it (not its per-process cache)
    probe = to_tensor((np.random.default_rng(0).random((1, 160, 224, 3)) * 255).astype(np.uint8))
    got = net.run(probe.numpy())
    with torch.inference_mode():
        want = model(probe).numpy()
    err = float(np.abs(got - want).max())
    print(f"exported {path} ({path.stat().st_size / 1024:.0f} KiB); {net.engine} vs torch max "
          f"|diff| {err:.2e}", flush=True)
    if err > 1e-3:
        raise SystemExit("ONNX export does not match the torch model")


# --- document level -----------------------------------------------------------------------


def document_eval(val: dict[str, Any], name: str, model_path: Path) -> dict[str, Any]:
    """Run the shipped detector on every document of a set; AUC and detection rates."""
    from docfraud.forensics import Analysis
    from docfraud.forensics.learned import LearnedDetector

    det = LearnedDetector()
    det.model_path = model_path
    labels, scores, kinds, times, hits = [], [], [], [], []
    for d in val["docs"]:
        analysis = Analysis.from_source(d["data"])
        t = time.perf_counter()
        r = det.run(analysis)
        times.append(time.perf_counter() - t)
        assert r.score is not None
        labels.append(d["label"])
        scores.append(r.score)
        kinds.append(d["kind"])
        if d["label"] and r.heatmap is not None:
            h, w = d["shape"]
            mask = np.unpackbits(d["mask"])[:h * w].reshape(h, w).astype(bool)
            if mask.any() and not mask.all():
                hits.append(float(r.heatmap[mask].mean() - r.heatmap[~mask].mean()))
    y, s = np.array(labels), np.array(scores)
    gen = np.sort(s[y == 0])
    out: dict[str, Any] = {
        "documents": len(y), "genuine": int((y == 0).sum()), "forged": int(y.sum()),
        "auc": round(auc(y, s), 4),
        "mean_heat_contrast_in_mask": round(float(np.mean(hits)), 4) if hits else None,
        "median_ms": round(1000 * float(np.median(times)), 1),
    }
    for fa in (0.05, 0.01):
        thr = float(np.quantile(gen, 1 - fa)) if gen.size else 1.0
        rates = {}
        for kind in sorted(set(kinds) - {"genuine"}):
            sel = (np.array(kinds) == kind)
            rates[kind] = round(float((s[sel] > thr).mean()), 3)
        out[f"threshold_at_{int(fa * 100)}pct_false_alarms"] = round(thr, 4)
        out[f"detection_at_{int(fa * 100)}pct_false_alarms"] = round(
            float((s[y == 1] > thr).mean()), 3)
        out[f"per_kind_at_{int(fa * 100)}pct"] = rates
    print(f"{name}: " + json.dumps(out, indent=1), flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-docs", type=int, default=600)
    ap.add_argument("--val-docs", type=int, default=240)
    ap.add_argument("--crops-per-doc", type=int, default=24)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=15.0, help="training time budget")
    ap.add_argument("--data-minutes", type=float, default=None,
                    help="time budget for making the training set: the documents made by "
                    "then (in a random order of the set) are used")
    ap.add_argument("--held-docs", type=int, default=80,
                    help="documents of the held-out design and kind (information only)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2, help="processes generating data")
    ap.add_argument("--device", default="cpu", help="torch device for training (cpu, cuda)")
    ap.add_argument("--arch", default="small",
                    help=f"architecture(s), comma-separated, trained side by side on the same "
                    f"batches: {', '.join(ARCHS)}; each is written to OUT with -ARCH before "
                    "the suffix when more than one is given")
    ap.add_argument("--exclude-operators", default="",
                    help="comma-separated forgery kinds left out of the training and "
                    "validation sets (e.g. counterfeit: a whole re-made document teaches the "
                    "network that an unfamiliar design is forged)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    ap.add_argument("--data-only", action="store_true", help="generate the cached data only")
    ap.add_argument("--skip-doc-eval", action="store_true",
                    help="no document-level evaluation (run it later with --from-pt)")
    ap.add_argument("--init-from", type=Path, default=None,
                    help="start from the weights of an earlier run's .pt (same architecture; "
                    "one --arch): fine-tuning, e.g. with a smaller --lr")
    ap.add_argument("--from-pt", type=Path, default=None,
                    help="no training: export the state dict saved by an earlier run "
                    "(OUT with .pt) and evaluate it")
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "learned")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "learned_cnn.onnx")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    archs = [a for a in args.arch.split(",") if a]
    unknown = set(archs) - set(ARCHS)
    if unknown or not archs:
        ap.error(f"unknown architecture(s) {sorted(unknown)}; choose from {', '.join(ARCHS)}")
    print(f"input channels: torch vs detector max |diff| {check_channels():.1e}", flush=True)
    t_start = time.perf_counter()
    designs, operators = train_designs(), train_operators()
    assert HELD_OUT_DESIGN not in designs and HELD_OUT_OPERATOR not in operators
    excluded = [o for o in args.exclude_operators.split(",") if o]
    if set(excluded) - set(operators):
        ap.error(f"--exclude-operators: not training kinds: "
                 f"{sorted(set(excluded) - set(operators))}")
    operators = [o for o in operators if o not in excluded]
    tag = "".join(f"-no-{o}" for o in excluded)
    budget = f"-m{args.data_minutes:g}" if args.data_minutes is not None else ""

    def spec(n: int, seed: int, **kw: Any) -> dict[str, Any]:
        genuine = n * 2 // 5
        return {"genuine": genuine, "forged": n - genuine - 2 * 8, "workshops": 2,
                "per_workshop": 8, "seed": seed, "designs": designs,
                "operators": operators, "null_rate": 0.5} | kw

    def out_of(arch: str) -> Path:
        if len(archs) == 1:
            return args.out
        return args.out.with_name(f"{args.out.stem}-{arch}{args.out.suffix}")

    doc_eval = not args.skip_doc_eval
    tr: dict[str, Any] | None = None
    if args.from_pt is None:
        print("generating training crops", flush=True)
        tr = build_set(spec(args.train_docs, LEARN_TRAIN_SEED),
                       crops_per_doc=args.crops_per_doc, jobs=args.jobs, keep_bytes=False,
                       minutes=args.data_minutes,
                       cache=args.cache / (f"train3-{LEARN_TRAIN_SEED}-{args.train_docs}"
                                          f"-c{args.crops_per_doc}{budget}{tag}.pkl"))
    print("generating validation crops and documents", flush=True)
    va = build_set(spec(args.val_docs, LEARN_VAL_SEED), crops_per_doc=16, jobs=args.jobs,
                   keep_bytes=doc_eval,
                   cache=args.cache / f"val3-{LEARN_VAL_SEED}-{args.val_docs}{tag}"
                                      f"{'' if doc_eval else '-crops'}.pkl")
    n_held = args.held_docs
    held = None
    if doc_eval:
        held = build_set({"genuine": n_held // 2, "forged": n_held // 2, "workshops": 0,
                          "seed": LEARN_HELDOUT_SEED, "designs": [HELD_OUT_DESIGN],
                          "operators": [HELD_OUT_OPERATOR], "null_rate": 0.5},
                         crops_per_doc=0, jobs=args.jobs, keep_bytes=True,
                         cache=args.cache / f"heldout-{LEARN_HELDOUT_SEED}-{n_held}.pkl")
    t_data = time.perf_counter() - t_start
    if args.data_only:
        return 0

    t0 = time.perf_counter()
    if tr is not None:
        print(f"data: {len(tr['crops'])} training crops from {len(tr['docs'])} documents, "
              f"{len(va['crops'])} validation crops from {len(va['docs'])} documents "
              f"({t_data / 60:.1f} min)", flush=True)
        init = None
        if args.init_from is not None:
            init = torch.load(args.init_from, weights_only=False)
            if archs != [init["arch"]]:
                ap.error(f"--init-from {args.init_from} holds a {init['arch']} network; "
                         f"give --arch {init['arch']}")
        models, steps_done = train(tr, va, epochs=args.epochs, minutes=args.minutes,
                                   seed=LEARN_TRAIN_SEED, archs=archs, device=args.device,
                                   batch=args.batch, max_lr=args.lr,
                                   init=None if init is None else init["state_dict"])
        for arch, model in models.items():
            pt = out_of(arch).with_suffix(".pt")
            pt.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"arch": arch, "state_dict": model.cpu().state_dict(),
                        "excluded_operators": excluded, "threads": args.threads,
                        "steps": steps_done,
                        "train_crops": len(tr["crops"]), "train_documents": len(tr["docs"]),
                        "data_minutes": round(t_data / 60, 2),
                        "train_minutes": round((time.perf_counter() - t0) / 60, 2),
                        "command": "python scripts/train_learned.py " + " ".join(sys.argv[1:]),
                        "device": args.device}, pt)
            print(f"saved {pt}", flush=True)
        saved = {a: torch.load(out_of(a).with_suffix(".pt"), weights_only=False) for a in archs}
    else:
        blob = torch.load(args.from_pt, weights_only=False)
        if sorted(blob.get("excluded_operators", [])) != sorted(excluded):
            ap.error(f"{args.from_pt} was trained with --exclude-operators "
                     f"{','.join(blob.get('excluded_operators', [])) or '(none)'}: give the "
                     "same, so that it is evaluated on a validation set like its own")
        archs = [blob["arch"]]
        model = make_model(blob["arch"])
        model.load_state_dict(blob["state_dict"])
        models = {blob["arch"]: model}
        saved = {blob["arch"]: blob}
    t_train = time.perf_counter() - t0

    torch.set_num_threads(1)
    import cv2

    cv2.setNumThreads(1)
    for arch, model in models.items():
        model = model.cpu().eval()
        out = out_of(arch)
        patch = patch_metrics(model, va)
        print(f"{arch}: validation patch level: {json.dumps(patch)}", flush=True)
        export(model, out)
        meta: dict[str, Any] = {
            "model": out.name, "arch": arch,
            "command": saved[arch].get("command",
                                       "python scripts/train_learned.py " + " ".join(sys.argv[1:])),
            "device": saved[arch].get("device", args.device),
            "seeds": {"train": LEARN_TRAIN_SEED, "validation": LEARN_VAL_SEED,
                      "held_out": LEARN_HELDOUT_SEED},
            "held_out_design": HELD_OUT_DESIGN, "held_out_operator": HELD_OUT_OPERATOR,
            "excluded_operators": excluded,
            "train_crops": saved[arch].get("train_crops"),
            "train_documents": saved[arch].get("train_documents"),
            "data_minutes": saved[arch].get("data_minutes", round(t_data / 60, 2)),
            "train_minutes": saved[arch].get("train_minutes", round(t_train / 60, 2)),
            "threads": saved[arch].get("threads", args.threads),
            "steps": saved[arch].get("steps"),
            "validation_patch": patch,
        }
        if doc_eval:
            assert held is not None
            meta["validation_documents"] = document_eval(
                va, f"{arch}: validation documents (train designs and kinds, seed "
                    f"{LEARN_VAL_SEED})", out)
            meta["held_out_documents"] = document_eval(
                held, f"{arch}: held-out design {HELD_OUT_DESIGN} + kind "
                      f"{HELD_OUT_OPERATOR} (seed {LEARN_HELDOUT_SEED})", out)
        meta_path = out.with_suffix(".json")
        meta_path.write_text(json.dumps(meta, indent=1) + "\n")
        print(f"wrote {meta_path}", flush=True)
    print(f"total {(time.perf_counter() - t_start) / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
