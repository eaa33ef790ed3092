"""Build the reference library (models/references/) of the docfraud.synth designs.

For each design a genuine document is rendered (fixed seed, no capture), its MRZ is
read by docfraud's own reader and the card is straightened from that reading exactly
as `docfraud screen` straightens a photographed one (docfraud.layout.rectify_transform,
8 px/mm). The reference page is that straightened page with every personalised area
(data fields, portrait, ghost image, signature, MRZ) replaced by the design's blank
background; the mask marks the static areas (compare) and the portrait; the index
gives the portrait's and the ghost image's boxes (reference pixels).

Per design it also stores the SIFT keypoints of the static area at the comparison's
scale (`<name>_keypoints.npz`, docfraud.forensics.reference.reference_keypoints), so
that a screening call does not compute them for its design.

    python scripts/build_references.py            # -> models/references/
    python scripts/build_references.py --out DIR  # elsewhere
    python scripts/build_references.py --keypoints-only  # keypoints of the images there

Deterministic: the same code gives the same images. Takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED = 20261129
PX_PER_MM = 8.0
#: margin (page pixels at 12 px/mm) around personalised areas
PAD = 8


def reference_render(name: str, index: int
                     ) -> tuple[Any, Any, Any, Any, tuple[int, int], Any]:
    """The design, its genuine render (a DocState) and page, the affine map (2 x 3) from
    page pixels to reference pixels with the reference's size (the page straightened from
    its MRZ reading as ``docfraud screen`` straightens a photographed card), and that MRZ
    reading."""
    from docfraud.forensics.base import Analysis
    from docfraud.imageio import load_document
    from docfraud.layout import find_zones, rectify_transform
    from docfraud.mrz import read
    from docfraud.synth import get_design
    from docfraud.synth.dataset import identity_for
    from docfraud.synth.operators import start_document

    design = get_design(name)
    rng = np.random.default_rng([SEED, index])
    state = start_document(design, identity_for(design, rng), rng)
    page = np.ascontiguousarray(state.page)
    mrz = read(page)
    if not mrz.found or not mrz.check_digits_valid:
        raise SystemExit(f"{name}: the reader did not read the rendered MRZ ({mrz.reason})")
    analysis = Analysis(document=load_document(page), mrz=mrz)
    analysis.zones.update(find_zones(analysis))
    transform = rectify_transform(analysis, px_per_mm=PX_PER_MM)
    if transform is None:
        raise SystemExit(f"{name}: the card could not be placed from its MRZ")
    affine, size, _top, _mrz = transform
    return design, state, page, affine, size, mrz


def build_one(name: str, index: int) -> tuple[dict[str, Any], Any, Any]:
    import cv2

    from docfraud.synth.render import page_background

    design, state, page, affine, size, mrz = reference_render(name, index)

    blank, card = page_background(design)
    personal = np.zeros(page.shape[:2], bool)
    layout = state.layout

    def mark(box: Any, pad: int = PAD) -> None:
        if box:
            x, y, w, h = (int(v) for v in box)
            personal[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad] = True

    for f in layout["fields"].values():
        mark(f["box"])
        mark(f.get("ink"))
    for key in ("portrait", "signature"):
        mark(layout[key])
    mark(layout["ghost"], 2 * PAD)
    mark(layout["mrz"]["box"], 2 * PAD)
    composite = np.where(personal[..., None], blank, page)
    grey = cv2.cvtColor(composite, cv2.COLOR_RGB2GRAY)
    x, y, w, h = (int(v) for v in layout["portrait"])
    portrait = np.zeros(page.shape[:2], np.uint8)
    portrait[y + PAD:y + h - PAD, x + PAD:x + w - PAD] = 255
    static = (card & ~personal).astype(np.uint8) * 255
    # the static print: title, field labels and emblem (a counterfeiter who sets the
    # labels in the issuer's font prints them in the same place, unlike the background).
    # Other static text (the signature's label) stays with the background
    printed = np.zeros(page.shape[:2], bool)

    def mark_print(box: Any, pad: int = 4) -> None:
        if box:
            x, y, w, h = (int(v) for v in box)
            printed[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad] = True

    mark_print(layout.get("title"))
    for f in layout["fields"].values():
        mark_print(f.get("label_box"))
    ex, ey, er = (v * layout["px_per_mm"] for v in design.emblem)
    mark_print([ex - er, ey - er, 2 * er, 2 * er], 6)
    printed &= static > 0

    def warp(img: Any, border: int, interp: int) -> Any:
        return cv2.warpAffine(img, affine, size, flags=interp,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=border)

    ref = warp(grey, 255, cv2.INTER_AREA)
    mask = np.zeros((size[1], size[0], 3), np.uint8)
    # BGR for cv2.imwrite: red = static, green = portrait, blue = static print
    mask[..., 2] = (warp(static, 0, cv2.INTER_NEAREST) > 127) * 255
    mask[..., 1] = (warp(portrait, 0, cv2.INTER_NEAREST) > 127) * 255
    mask[..., 0] = (warp(printed.astype(np.uint8) * 255, 0, cv2.INTER_NEAREST) > 127) * 255
    def ref_box(box: Any) -> list[int] | None:
        """A page box (x, y, w, h) in reference pixels (the affine only scales and shifts
        a rendered page)."""
        if not box:
            return None
        x, y, w, h = (float(v) for v in box)
        corners = np.array([[x, y, 1.0], [x + w, y + h, 1.0]]) @ np.asarray(affine).T
        (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
        return [round(x0), round(y0), round(x1 - x0), round(y1 - y0)]

    def ref_point(x: float, y: float) -> list[float]:
        (px, py), = np.array([[x, y, 1.0]]) @ np.asarray(affine).T
        return [round(float(px), 2), round(float(py), 2)]

    def ref_field(f: dict[str, Any]) -> dict[str, Any]:
        """A personalised field's layout in reference pixels: its value box, where the
        issuer starts its text's baseline (the MRZ-straightened frame moves with the
        issuer's personalisation print, so every genuine document of the design has its
        text there, give or take the registration), and the capitals' height."""
        return {"box": ref_box(f["box"]), "baseline": ref_point(*f["origin"]),
                "cap": round(design.value_cap_mm * PX_PER_MM, 2)}

    entry = {
        "name": name,
        "format": design.format,
        "document_code": design.document_code.replace("<", ""),
        "issuing_state": mrz.fields["issuing_state"],
        "number_pattern": re.escape(design.number_prefix) + rf"\d{{{design.number_digits}}}",
        "portrait_overlay": bool(design.portrait_overlay > 0),
        "portrait_box": ref_box(layout["portrait"]),
        "ghost_box": ref_box(layout["ghost"]),
        "fields": {key: ref_field(f) for key, f in layout["fields"].items() if f["text"]},
        "image": f"{name}.png",
        "mask": f"{name}_mask.png",
        "source": "docfraud.synth design, rendered genuine document straightened by "
                  "docfraud's reader (scripts/build_references.py)",
    }
    entry["typeface"] = issuer_typeface(design, affine)
    bias, width = field_calibration(name, index, entry, affine)
    for key, value in bias.items():
        entry["fields"][key]["bias"] = value
    for key, value in width.items():
        entry["fields"][key]["width"] = value
    return entry, ref, mask


def issuer_typeface(design: Any, affine: Any) -> dict[str, Any]:
    """How the issuer sets the design's personalised text (docfraud.reference.Typeface):
    the genuine print style's value font (its file), its em size in reference pixels
    (the size the renderer gives its capitals, through the reference's map ``affine``)
    and the design's dates."""
    import datetime as dt
    from dataclasses import replace

    from docfraud.synth.designs import PX_PER_MM as PAGE_PX_PER_MM
    from docfraud.synth.fonts import FONT_FILES, font_for_cap_height
    from docfraud.synth.render import GENUINE_STYLE, format_date

    font = font_for_cap_height(GENUINE_STYLE.value_font,
                               design.value_cap_mm * PAGE_PX_PER_MM)
    scale = float(np.sqrt(abs(np.linalg.det(np.asarray(affine, np.float64)[:, :2]))))
    # each month's name as the renderer prints it in a date (12 MAR/MARS 1985)
    named = replace(design, date_style="mon")
    months = [format_date(dt.date(2000, m, 12), named).split(" ")[1] for m in range(1, 13)]
    return {"font": FONT_FILES[GENUINE_STYLE.value_font][0],
            "em": round(float(font.size) * scale, 3),
            "date_style": design.date_style, "months": months}


#: genuine renders per design whose fields' baselines give the fields' typical offsets
BIAS_RENDERS = 24


def field_calibration(name: str, index: int, entry: dict[str, Any], affine: Any
                      ) -> tuple[dict[str, float], dict[str, float]]:
    """Each field's typical offset below the design's baseline and typical width ratio on
    genuine renders (docfraud.forensics.fieldprint): the fields' text measured on
    ``BIAS_RENDERS`` clean renders of the design (other holders than the reference's),
    each taken into the reference's frame by the reference's own map ``affine`` (renders
    share the pre-printed card's page position).

    Offsets (reference pixels) are taken less each render's median offset (the issuer's
    registration, common to its fields): round glyphs overshoot the line, so a field of
    digits measures lower than one of capitals; the detector takes these offsets out
    before comparing fields. Width ratios (printed width against the text set in the
    entry's typeface, the text from the render's MRZ as read by docfraud's reader) are
    the median ratio."""
    import cv2

    from docfraud.forensics.fieldprint import (
        MIN_FIELDS,
        SHORT_FIELDS,
        best_width,
        measure_field,
        printed_text,
    )
    from docfraud.mrz import read
    from docfraud.reference import _field_layout, _typeface
    from docfraud.synth import get_design
    from docfraud.synth.dataset import identity_for
    from docfraud.synth.fonts import find_font_file
    from docfraud.synth.operators import start_document

    design = get_design(name)
    fields = entry["fields"]
    typeface = _typeface(entry["typeface"])
    assert typeface is not None
    font_file = find_font_file(typeface.font)
    if font_file is None:
        raise SystemExit(f"the issuer's font {typeface.font} is not installed")
    layouts = {k: _field_layout(v) for k, v in fields.items() if k not in SHORT_FIELDS}
    offsets: dict[str, list[float]] = {k: [] for k in layouts}
    widths: dict[str, list[float]] = {k: [] for k in layouts}
    to_image = np.linalg.inv(np.vstack([np.asarray(affine, np.float64), [0.0, 0.0, 1.0]]))
    for i in range(BIAS_RENDERS):
        rng = np.random.default_rng([SEED, index, 1, i])
        page = np.ascontiguousarray(start_document(design, identity_for(design, rng), rng).page)
        grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
        found = {k: m for k, lay in layouts.items()
                 if (m := measure_field(grey, to_image, k, lay, PX_PER_MM)) is not None}
        if len(found) < MIN_FIELDS:
            continue
        common = float(np.median([m.baseline - layouts[k].baseline[1]
                                  for k, m in found.items()]))
        mrz = read(page)
        for k, m in found.items():
            offsets[k].append(m.baseline - layouts[k].baseline[1] - common)
            fit = best_width(grey, to_image, layouts[k], m.baseline,
                             printed_text(k, mrz, typeface, entry["number_pattern"]),
                             font_file, typeface.em, PX_PER_MM)
            if fit is not None:
                widths[k].append(fit[0])
    return ({k: round(float(np.median(v)), 3) for k, v in offsets.items() if len(v) >= 5},
            {k: round(float(np.median(v)), 4) for k, v in widths.items() if len(v) >= 5})


def main(argv: list[str] | None = None) -> int:
    import cv2

    from docfraud.reference import LIBRARY_DIR
    from docfraud.synth import DESIGNS

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=LIBRARY_DIR)
    ap.add_argument("--keypoints-only", action="store_true",
                    help="only (re)write the keypoints of the library's existing images")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.keypoints_only:
        store_keypoints(args.out)
        return 0
    entries = []
    for i, name in enumerate(DESIGNS):
        entry, ref, mask = build_one(name, i)
        cv2.imwrite(str(args.out / entry["image"]), ref, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        cv2.imwrite(str(args.out / entry["mask"]), mask, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        entries.append(entry)
        print(f"{name}: {ref.shape[1]}x{ref.shape[0]} px, static "
              f"{(mask[..., 2] > 0).mean():.0%}, {entry['number_pattern']}")
    index = {"version": 1, "px_per_mm": PX_PER_MM, "designs": entries}
    (args.out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    store_keypoints(args.out)
    print(f"wrote {len(entries)} designs to {args.out}")
    return 0


def store_keypoints(directory: Path) -> None:
    """Write each design's keypoints next to its images and name them in the index."""
    from docfraud.forensics.reference import keypoint_stamp, reference_grey, reference_keypoints
    from docfraud.reference import INDEX_NAME, load_library

    index_path = directory / INDEX_NAME
    index = json.loads(index_path.read_text())
    by_name = {d.name: d for d in load_library(directory).designs}
    for entry in index["designs"]:
        design = by_name[entry["name"]]
        keypoints = reference_keypoints(*reference_grey(design))
        entry["keypoints"] = f"{design.name}_keypoints.npz"
        design.save_keypoints(directory / entry["keypoints"], keypoints, stamp=keypoint_stamp())
        print(f"{design.name}: {len(keypoints['points'])} + {len(keypoints['points_smooth'])} "
              "keypoints")
    index_path.write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
