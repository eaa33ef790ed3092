#!/usr/bin/env python3
"""Save PNG thumbnails of every synthetic design and every forgery kind, for eyeballing.

    PYTHONPATH=. python3 scripts/synth_thumbnails.py --out /tmp/synth_thumbs [--seed 3]

Writes design_<name>.png (genuine page), op_<operator>.png (genuine | forged | changed
pixels in red) and capture_<n>.png (a few captured images).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from docfraud.synth import DESIGNS, OPERATORS, apply_operator, random_profile
from docfraud.synth.capture import capture, sample_capture_params
from docfraud.synth.dataset import identity_for
from docfraud.synth.operators import DocState, start_document
from docfraud.synth.render import page_background


def save(path: Path, rgb: np.ndarray, scale: float) -> None:
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(path), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))


def state_for(design_name: str, seed: int) -> DocState:
    design = DESIGNS[design_name]
    rng = np.random.default_rng(seed)
    return start_document(design, identity_for(design, rng), rng)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--scale", type=float, default=0.5)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in DESIGNS:
        state = state_for(name, args.seed)
        save(out / f"design_{name}.png", state.page, args.scale)
    names = list(DESIGNS)
    for k, op in enumerate(OPERATORS):
        state = state_for(names[k % len(names)], args.seed + k)
        before = state.page.copy()
        rng = np.random.default_rng(args.seed + 100 + k)
        apply_operator(op, state, rng, random_profile(rng))
        region = state.mask | state.null_region
        overlay = state.page.copy()
        overlay[region] = (0.5 * overlay[region] + [127, 0, 0]).astype(np.uint8)
        save(out / f"op_{op}.png", np.hstack([before, state.page, overlay]), args.scale * 0.8)
        save(out / f"op_{op}_forged.png", state.page, 1.0)
    for k in range(4):
        name = names[k % len(names)]
        state = state_for(name, args.seed + 50 + k)
        params = sample_capture_params(np.random.default_rng(args.seed + 60 + k))
        img, _ = capture(
            state.page,
            params,
            np.random.default_rng(k),
            card_mask=page_background(DESIGNS[name])[1],
        )
        save(out / f"capture_{k}_{params.mode}.png", img, 0.5)
    print(f"wrote thumbnails to {out}")


if __name__ == "__main__":
    main()
