#!/usr/bin/env python3
"""Same printed photo vs different photos: portrait-hash distances on screened synth images.

Reads a docfraud.synth dataset DIR and the screening cache that
``scripts/cluster_synth_signatures.py DIR OUT --screen CACHE`` wrote (rectified card
pages and zones of the product path: MRZ reader -> layout -> rectify). For every
pair of documents whose portrait zone was measured, the mirror-robust Hamming
distance of two 64-bit pHashes is compared:

* ``zone``: the whole portrait zone (the signature's hash before 2026-11-28);
* ``face``: the inner face (:data:`docfraud.signature.FACE_CROP`, the hash now used).

"Same photo" = the same printed image: docfraud.synth draws a person's face from
(face seed, sex, age in decades) and greys it on laser-engraved designs. The truth's
``portrait.printed_person`` gives the sex and age of the person in the printed photo
(since 2026-11-29 a workshop's reused face has its own, so all its prints on colour
designs are one photo); older datasets lack it, and there the claimed holder's are used.

    PYTHONPATH=. python scripts/eval_portrait_hash.py DIR CACHE [DIR CACHE ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docfraud.signature import _gray, portrait_distance, portrait_hash  # noqa: E402
from docfraud.synth.designs import DESIGNS  # noqa: E402


def zone_hash(page: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int]:
    import imagehash
    from PIL import Image

    x, y, w, h = box
    # a registered box may reach over the page's edge: hash what lies inside
    pil = Image.fromarray(_gray(np.ascontiguousarray(
        page[max(y, 0):max(y + h, 0), max(x, 0):max(x + w, 0)])))
    return (int(str(imagehash.phash(pil, hash_size=8)), 16),
            int(str(imagehash.phash(pil.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                    hash_size=8)), 16))


def photo_key(rec: dict) -> str:  # type: ignore[type-arg]
    """Identity of the printed photo (see the module docstring)."""
    grey = DESIGNS[rec["design"]].grey_portrait
    person = rec["portrait"].get("printed_person")
    if person is not None:
        sex, age = str(person[0]), int(person[1])
    else:
        idt = rec["identity"]
        by, bm, bd = (int(v) for v in idt["birth_date"].split("-"))
        iy, im, i_d = (int(v) for v in idt["issue_date"].split("-"))
        sex, age = idt["sex"], (iy - by) - (1 if (im, i_d) < (bm, bd) else 0)
    return f"{rec['portrait']['printed_face']}|{sex}|{min(max(age, 0), 100) // 10}|{grey}"


def main() -> int:
    import cv2

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", nargs="+", type=Path, help="DIR CACHE [DIR CACHE ...]")
    args = ap.parse_args()
    if len(args.pairs) % 2:
        ap.error("give DIR CACHE pairs")
    for d in args.pairs[::2]:
        if not (d / "truth.jsonl").is_file():
            ap.error(f"{d} is not a docfraud synth dataset (no truth.jsonl)")
    keys: list[str] = []
    hashes: dict[str, list[tuple[int, int]]] = {"zone": [], "face": []}
    for d, cache in zip(args.pairs[::2], args.pairs[1::2], strict=True):
        for line in (d / "truth.jsonl").read_text().splitlines():
            rec = json.loads(line)
            js = cache / f"{Path(rec['file']).stem}.json"
            screened = json.loads(js.read_text()) if js.exists() else {}
            box = (screened.get("_zones") or {}).get("portrait")
            if box is None:
                continue
            page = cv2.cvtColor(cv2.imread(str(js.with_suffix(".png"))), cv2.COLOR_BGR2RGB)
            keys.append(photo_key(rec))
            hashes["zone"].append(zone_hash(page, tuple(box)))
            hashes["face"].append(portrait_hash(page, tuple(box)))
    n = len(keys)
    same = [(i, j) for i, j in itertools.combinations(range(n), 2) if keys[i] == keys[j]]
    print(f"{n} portraits measured, {len(same)} same-photo pairs, "
          f"{n * (n - 1) // 2 - len(same)} different-photo pairs")
    print("| hash | same photo: median | same: 90th pct | same: max | different: 0.5th pct "
          "| different: 5th pct | different: median | same pairs <= 10 bits "
          "| different pairs <= 10 bits |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, hs in hashes.items():
        d = np.array([[portrait_distance(hs[i], hs[j]) for j in range(n)] for i in range(n)])
        iu = np.triu_indices(n, 1)
        flat = d[iu]
        is_same = np.array([keys[i] == keys[j] for i, j in zip(*iu, strict=True)])
        s, o = flat[is_same], flat[~is_same]
        print(f"| {name} | {np.median(s):.0f} | {np.percentile(s, 90):.0f} | {s.max():.0f} | "
              f"{np.percentile(o, 0.5):.0f} | {np.percentile(o, 5):.0f} | {np.median(o):.0f} | "
              f"{(s <= 10).mean():.2f} | {(o <= 10).mean():.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
