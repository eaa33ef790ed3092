#!/usr/bin/env python3
"""Extract forgery signatures from a docfraud.synth dataset's images.

Two paths, both writing one signature JSON per line with ``info.truth`` = the
workshop id (or ``lone:N`` / ``genuine:N``) for evaluation:

**Product path** (``--screen CACHE``): every image is screened as ``docfraud screen``
does (``docfraud.screen.screen``: MRZ reader, layout, detectors, fused risk), the
card is straightened from where the MRZ was found (``signature_zones``) and the
signature is computed by ``docfraud.signature.signature_from_screen`` -- the same
function ``docfraud screen --signature`` uses. The screen record, the straightened
card (PNG) and its zones are cached in CACHE (one JSON + PNG per image; a rerun
skips cached images), so signature code can be re-measured without re-screening.
Nothing is taken from the truth but the labels.

    PYTHONPATH=. python scripts/cluster_synth_signatures.py DIR OUT.jsonl --screen CACHE --jobs 2

After a change to some detectors, ``--refresh fieldprint[,...]`` runs those again on the
cached images, keeps every other cached result and the straightened card, and fuses the
risk again with the shipped fusion model (what ``docfraud screen`` would now report, as
long as the change does not move where the MRZ is read).

**Truth-homography path** (default): the page is rectified with the truth
homography, and the zones come from the truth layout (portrait box, the design's
field boxes), the design's ICAO geometry (nominal MRZ zone, docfraud.layout.GEOMETRY)
and a background strip above the MRZ. Taken from the truth record instead of
measured, stated plainly:

* the MRZ text and the authority text are the printed ones (perfect reading
  assumed; the MRZ reader and VIZ OCR are not in the loop);
* the risk score is simulated: forged documents draw Beta(6, 2) (8 %: Beta(2, 6),
  missed by screening), genuine ones Beta(2, 8) (5 %: Beta(6, 3), false alarms),
  from a seeded stream independent of the image;
* no detector evidence profile (empty).

    PYTHONPATH=. python scripts/cluster_synth_signatures.py DIR OUT.jsonl [--risk-seed N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # detect_common

from docfraud.imageio import load_image  # noqa: E402
from docfraud.layout import GEOMETRY, LINE_MM, PITCH_MM  # noqa: E402
from docfraud.signature import Box, signature_from_page  # noqa: E402

_CHARS = {"TD1": 30, "TD2": 36, "TD3": 44, "MRVA": 44, "MRVB": 36}


def _zones(rec: dict[str, Any]) -> tuple[dict[str, Box], tuple[int, int]]:
    pl = rec["page_layout"]
    cards = pl["cards"]
    width = int(max(c[0] + c[2] for c in cards))
    height = int(max(c[1] + c[3] for c in cards))
    fmt = rec["format"]
    geo = GEOMETRY[fmt]
    _, my, _, mh = pl["mrz"]["box"]
    card = next((c for c in cards if c[1] <= my + mh / 2 <= c[1] + c[3]), cards[-1])
    s = card[2] / geo.size[0]  # page pixels per mm
    lines = 3 if fmt == "TD1" else 2
    pitch = PITCH_MM * s
    bottom = card[1] + card[3] - geo.mrz_bottom * s
    top = bottom - (lines - 1) * LINE_MM * s
    mrz = (int(card[0] + geo.mrz_left * s - 0.5 * pitch), int(top - 0.5 * LINE_MM * s),
           int(_CHARS[fmt] * pitch + pitch), int(lines * LINE_MM * s))
    bg_h = int(0.07 * card[3])
    background = (int(card[0] + 0.05 * card[2]), max(int(mrz[1] - bg_h - 0.02 * card[3]), 0),
                  int(0.4 * card[2]), bg_h)
    zones: dict[str, Box] = {"mrz": mrz, "background": background}
    for name, f in pl["fields"].items():
        zones[f"viz_{name}"] = tuple(int(v) for v in f["box"])  # type: ignore[assignment]
    if pl.get("portrait"):
        zones["portrait"] = tuple(int(v) for v in pl["portrait"])  # type: ignore[assignment]
    return zones, (width, height)


def _screen_one(args: tuple[str, str, str]) -> str:
    """Screen one image (the product path) and cache what its signature needs:
    the screen record (JSON), the rectified page (PNG) and its zones."""
    import cv2

    from docfraud.errors import DocfraudError
    from docfraud.screen import screen, signature_zones

    path, name, cache = args
    out = Path(cache) / name
    if (out.with_suffix(".json")).exists():
        return name
    try:
        report = screen(path)
    except DocfraudError as exc:
        out.with_suffix(".json").write_text(json.dumps({"error": str(exc), "file": path}))
        return name
    record = report.to_dict()
    rect = signature_zones(report)
    if rect is not None:
        cv2.imwrite(str(out.with_suffix(".png")), cv2.cvtColor(rect.page, cv2.COLOR_RGB2BGR))
        record["_zones"] = {k: list(v) for k, v in rect.zones.items()}
        record["_portrait_zone"] = rect.portrait_zone
    out.with_suffix(".json").write_text(json.dumps(record))
    return name


def screen_cache(directory: Path, cache: Path, *, jobs: int) -> None:
    """Screen every image of a synth dataset into ``cache`` (resumable)."""
    import multiprocessing as mp

    cache.mkdir(parents=True, exist_ok=True)
    records = [json.loads(x) for x in (directory / "truth.jsonl").read_text().splitlines() if x]
    todo = [(str(directory / r["file"]), Path(r["file"]).stem, str(cache)) for r in records]
    t0 = time.time()
    with mp.get_context("spawn").Pool(jobs) as pool:
        for k, _ in enumerate(pool.imap_unordered(_screen_one, todo), 1):
            if k % 20 == 0:
                print(f"  screened {k}/{len(todo)} in {time.time() - t0:.0f} s", flush=True)


#: outcomes of :func:`_refresh_one` besides an error message
REFRESHED, UNREADABLE = "refreshed", "unreadable"


def _refresh_one(args: tuple[str, str, tuple[str, ...]]) -> str:
    """Run the detectors ``names`` again on ``image``, the image of the cached screen
    record ``cached``, and fuse the risk again. Returns :data:`REFRESHED`,
    :data:`UNREADABLE` (screening could not read the image: nothing to refresh) or an
    error message (the cached record is then kept as it was)."""
    from detect_common import replaced_results

    from docfraud.score import fuse
    from docfraud.screen import _in_native_frame, analyse

    cached, image, names = args
    path = Path(cached)
    record = json.loads(path.read_text())
    if "error" in record:
        return UNREADABLE
    try:
        analysis, fresh, _ = analyse(Path(image).read_bytes(), detectors=list(names))
    except Exception as exc:  # recorded and reported, the cached record kept as it was
        return f"{image}: {type(exc).__name__}: {exc}"
    scale = float(analysis.document.info.get("working_scale", 1.0))
    if scale != 1.0:
        # as docfraud.screen.screen reports it: in the image's own pixels
        assert analysis.mrz is not None
        fresh = _in_native_frame(fresh, analysis.mrz, {}, 1.0 / scale)[0]
    results = replaced_results(record["detectors"], fresh)
    record["detectors"] = [json.loads(json.dumps(r.to_dict())) for r in results]
    record["findings"] = [f for d in record["detectors"] for f in d["findings"]]
    record["risk"] = fuse(results).to_dict()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(path)  # a killed refresh leaves every record whole
    return REFRESHED


def refresh_cache(directory: Path, cache: Path, names: tuple[str, ...], *, jobs: int) -> int:
    """Run ``names`` again on every screened image of the synth set ``directory`` whose
    record is in ``cache`` (in place); the number of records that could not be refreshed
    (each reported)."""
    import multiprocessing as mp

    records = [json.loads(x) for x in (directory / "truth.jsonl").read_text().splitlines() if x]
    todo = [(str(cache / f"{Path(r['file']).stem}.json"), str(directory / r["file"]), names)
            for r in records]
    todo = [t for t in todo if Path(t[0]).is_file()]
    if not todo:
        raise SystemExit(f"{cache} holds no screen records of {directory} to refresh")
    t0 = time.time()
    failed = unreadable = 0
    with mp.get_context("spawn").Pool(jobs) as pool:
        for k, outcome in enumerate(pool.imap_unordered(_refresh_one, todo), 1):
            if outcome == UNREADABLE:
                unreadable += 1
            elif outcome != REFRESHED:
                failed += 1
                print(f"  refresh failed: {outcome}", file=sys.stderr, flush=True)
            if k % 50 == 0:
                print(f"  refreshed {k}/{len(todo)} in {time.time() - t0:.0f} s", flush=True)
    print(f"{', '.join(names)} run again on {len(todo) - failed - unreadable} of {len(todo)} "
          f"cached records in {time.time() - t0:.0f} s ({unreadable} unreadable when screened, "
          f"{failed} failed)", flush=True)
    return failed


def write_screen_signatures(directory: Path, cache: Path, out: Path) -> int:
    """Signatures of the screened images (as ``docfraud screen --signature`` computes
    them, :func:`docfraud.signature.signature_from_screen`), with the truth attached."""
    import cv2

    from docfraud.signature import signature_from_record, signature_from_screen

    records = [json.loads(x) for x in (directory / "truth.jsonl").read_text().splitlines() if x]
    n_rect = n_fail = 0
    with out.open("w") as f:
        for rec in records:
            name = Path(rec["file"]).stem
            cached = cache / f"{name}.json"
            if not cached.is_file():
                raise SystemExit(f"{cached} missing: screening of {rec['file']} did not finish")
            screened = json.loads(cached.read_text())
            if "error" in screened:
                n_fail += 1
                continue
            zones = screened.pop("_zones", None)
            # caches screened before the zone kind was recorded have none (compared with any)
            portrait_zone = screened.pop("_portrait_zone", None)
            if zones is not None:
                bgr = cv2.imread(str(cache / f"{name}.png"), cv2.IMREAD_COLOR)
                page = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                sig = signature_from_screen(screened, page,
                                            {k: tuple(v) for k, v in zones.items()},
                                            portrait_zone=portrait_zone)
                n_rect += 1
            else:
                sig = signature_from_record(screened)
            forged = rec["label"] == "forged"
            truth = (rec["workshop"] if rec.get("workshop") else
                     f"{'lone' if forged else 'genuine'}:{rec['index']}")
            sig.info.update({"truth": f"{directory.name}:{truth}",
                             "modus": "+".join(rec["operators"]) or "genuine"})
            f.write(json.dumps(sig.to_dict()) + "\n")
    print(f"{len(records)} documents of {directory}: {n_rect} rectified, "
          f"{len(records) - n_rect - n_fail} without a placed card, {n_fail} unreadable -> {out}")
    return 0


def main() -> int:
    import cv2

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--risk-seed", type=int, default=0)
    ap.add_argument("--screen", type=Path, metavar="CACHE",
                    help="product path: screen each image (docfraud.screen) into CACHE, then "
                         "build the signatures from the screen results")
    ap.add_argument("--jobs", type=int, default=2, help="screening processes (default 2)")
    ap.add_argument("--refresh", default="", metavar="DETECTORS",
                    help="with --screen: comma-separated detectors to run again on the cached "
                         "images (after a change to them); the risk is fused again")
    args = ap.parse_args()
    if not (args.dir / "truth.jsonl").is_file():
        ap.error(f"{args.dir} is not a docfraud synth dataset (no truth.jsonl)")
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    if args.refresh and not args.screen:
        ap.error("--refresh needs --screen CACHE")
    refresh: tuple[str, ...] = ()
    if args.refresh:
        from detect_common import detector_names

        refresh = detector_names(args.refresh)  # checked before anything runs
    if args.screen:
        screen_cache(args.dir, args.screen, jobs=args.jobs)
        if refresh and refresh_cache(args.dir, args.screen, refresh, jobs=args.jobs):
            return 1
        return write_screen_signatures(args.dir, args.screen, args.out)
    records = [json.loads(x) for x in (args.dir / "truth.jsonl").read_text().splitlines() if x]
    rng = np.random.default_rng(args.risk_seed)
    t0 = time.time()
    with args.out.open("w") as f:
        for rec in records:
            img = load_image(str(args.dir / rec["file"]))
            h = np.asarray(rec["layout"]["homography"], dtype=np.float64)
            zones, (w, hh) = _zones(rec)
            page = cv2.warpPerspective(img, h, (w, hh), flags=cv2.INTER_LINEAR |
                                       cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
            forged = rec["label"] == "forged"
            if forged:
                risk = rng.beta(6, 2) if rng.random() > 0.08 else rng.beta(2, 6)
            else:
                risk = rng.beta(2, 8) if rng.random() > 0.05 else rng.beta(6, 3)
            sig = signature_from_page(
                np.ascontiguousarray(page), doc_id=rec["file"], design=rec["design"], zones=zones,
                mrz_format=rec["format"], mrz_lines=rec["mrz"]["printed"],
                authority=(rec["viz"]["printed"] or {}).get("authority"), risk=float(risk))
            truth = (rec["workshop"] if rec.get("workshop") else
                     f"{'lone' if forged else 'genuine'}:{rec['index']}")
            sig.info.update({"truth": f"{args.dir.name}:{truth}",
                             "modus": "+".join(rec["operators"]) or "genuine",
                             "file": str(args.dir / rec["file"])})
            f.write(json.dumps(sig.to_dict()) + "\n")
    print(f"{len(records)} signatures from {args.dir} in {time.time() - t0:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
