"""Datasets of synthetic documents: a plan, one document at a time, files on disk.

Every document is a pure function of (seed, index): ``generate_dataset`` gives the
same files whatever the number of worker processes, and :func:`iter_documents`
yields the same documents in memory for training without files.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from numpy.typing import NDArray

from docfraud.errors import InputError
from docfraud.synth._cv import decode_rgb
from docfraud.synth.capture import (
    CAPTURE_KINDS,
    capture,
    encode,
    lab_capture_params,
    lab_scanner,
    sample_capture_params,
    warp_box,
    warp_mask,
)
from docfraud.synth.designs import DESIGNS, Design, get_design
from docfraud.synth.identity import REFERENCE_DATE, Identity, random_identity
from docfraud.synth.operators import (
    OPERATORS,
    ForgerProfile,
    apply_operator,
    forgery_operators,
    mrz_checks_pass,
    null_operators,
    start_document,
)
from docfraud.synth.render import page_background
from docfraud.synth.workshops import Workshop, make_workshops, random_profile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanItem:
    """What document ``index`` of a dataset is: genuine, a lone forgery or a workshop's."""

    index: int
    kind: str  # "genuine", "forged", "workshop"
    design: str
    operators: tuple[str, ...]
    workshop: int | None = None  # position in the workshop list
    serial: int = 0


@dataclass(frozen=True)
class DatasetSpec:
    """Everything that determines a dataset (and nothing else does)."""

    genuine: int
    forged: int
    workshops: int
    per_workshop: int
    seed: int
    designs: tuple[str, ...]
    operators: tuple[str, ...]
    null_rate: float = 0.25
    long_side: tuple[int, int] = (1100, 1800)
    png_rate: float = 0.12
    capture: str = "mixed"


@dataclass
class SynthDocument:
    """One generated document.

    Attributes:
        data: the image file bytes; ``ext``: ``"jpg"`` or ``"png"``.
        image: (H, W, 3) uint8 RGB as a reader decodes ``data`` (None when not decoded).
        mask: (H, W) bool, pixels a forgery changed, in image coordinates (None if genuine).
        truth: the JSON-ready truth record (as in ``truth.jsonl``, ``file`` and ``mask``
            keys filled in by :func:`generate_dataset`).
        page, page_mask: the printed page (before capture) and its mask.
    """

    data: bytes
    ext: str
    image: NDArray[np.uint8] | None
    mask: NDArray[np.bool_] | None
    truth: dict[str, Any]
    page: NDArray[np.uint8]
    page_mask: NDArray[np.bool_]


def make_spec(
    *,
    genuine: int,
    workshops: int,
    seed: int,
    forged: int | None = None,
    per_workshop: int = 8,
    designs: Sequence[str] | None = None,
    operators: Sequence[str] | None = None,
    null_rate: float = 0.25,
    long_side: tuple[int, int] = (1100, 1800),
    png_rate: float = 0.12,
    capture: str = "mixed",
) -> DatasetSpec:
    """Validate options and build a :class:`DatasetSpec` (``forged`` defaults to ``genuine``)."""
    if genuine < 0 or workshops < 0 or per_workshop < 0 or (forged is not None and forged < 0):
        raise InputError("document counts must be >= 0")
    design_names = tuple(designs) if designs else tuple(DESIGNS)
    for name in design_names:
        get_design(name)
    ops = tuple(operators) if operators else tuple(forgery_operators())
    for name in ops:
        spec = OPERATORS.get(name)
        if spec is None or spec.label != "forged":
            raise InputError(
                f"unknown forgery operator {name!r}; choose from {', '.join(forgery_operators())}"
            )
    if not 0 <= png_rate <= 1:
        raise InputError(f"png_rate must be in [0, 1]; got {png_rate}")
    if capture not in CAPTURE_KINDS:
        raise InputError(f"capture must be one of {', '.join(CAPTURE_KINDS)}; got {capture!r}")
    if not 0 <= null_rate <= 1:
        raise InputError(f"null_rate must be in [0, 1]; got {null_rate}")
    if long_side[0] < 200 or long_side[1] < long_side[0]:
        raise InputError(
            f"long_side must be a range (lo, hi) with 200 <= lo <= hi; got {long_side}"
        )
    return DatasetSpec(
        genuine=genuine,
        forged=genuine if forged is None else forged,
        workshops=workshops,
        per_workshop=per_workshop,
        seed=int(seed),
        designs=design_names,
        operators=ops,
        null_rate=null_rate,
        long_side=(int(long_side[0]), int(long_side[1])),
        png_rate=png_rate,
        capture=capture,
    )


def dataset_workshops(spec: DatasetSpec) -> list[Workshop]:
    return make_workshops(
        spec.workshops,
        np.random.default_rng([spec.seed, 1]),
        designs=list(spec.designs),
        operators=list(spec.operators),
    )


def make_plan(spec: DatasetSpec) -> list[PlanItem]:
    """The shuffled list of documents (file numbers do not reveal labels)."""
    rng = np.random.default_rng([spec.seed, 2])
    designs = list(spec.designs)
    ops = list(spec.operators)
    raw: list[tuple[str, str, tuple[str, ...], int | None, int]] = []
    nulls = null_operators()
    n_null = 0
    for k in range(spec.genuine):
        null: tuple[str, ...] = ()
        if rng.random() < spec.null_rate:  # null edits take turns
            null = (nulls[n_null % len(nulls)],)
            n_null += 1
        raw.append(("genuine", designs[k % len(designs)], null, None, 0))
    for k in range(spec.forged):
        op = ops[k % len(ops)]
        raw.append(("forged", designs[(k // len(ops) + k) % len(designs)], (op,), None, 0))
    for w, shop in enumerate(dataset_workshops(spec)):
        for j in range(spec.per_workshop):
            raw.append(("workshop", shop.designs[j % len(shop.designs)], shop.operators, w, j))
    order = rng.permutation(len(raw))
    return [
        PlanItem(
            index=i,
            kind=raw[int(o)][0],
            design=raw[int(o)][1],
            operators=raw[int(o)][2],
            workshop=raw[int(o)][3],
            serial=raw[int(o)][4],
        )
        for i, o in enumerate(order)
    ]


def identity_for(design: Design, rng: np.random.Generator) -> Identity:
    """A random holder and document of ``design`` (the issuer's numbering and authority)."""
    return random_identity(
        rng,
        issuing_state="UTO",
        document_code=design.document_code,
        number_prefix=design.number_prefix,
        number_digits=design.number_digits,
        authority=design.authority,
        validity_years=design.validity_years,
        foreign_holders=design.foreign_holders,
        personal_number=design.personal_number,
    )


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def make_document(
    item: PlanItem,
    spec: DatasetSpec,
    workshops: list[Workshop],
    *,
    decode: bool = True,
) -> SynthDocument:
    """Generate document ``item`` of the dataset ``spec`` (deterministic)."""

    design = get_design(item.design)
    rng = np.random.default_rng([spec.seed, 3, item.index])
    capture_rng = np.random.default_rng([spec.seed, 4, item.index])
    if spec.capture == "lab":
        # one scanner for the whole dataset: the same for genuine and forged documents
        scanner = lab_scanner(np.random.default_rng([spec.seed, 5]))
        params = lab_capture_params(scanner, capture_rng)
    else:
        params = sample_capture_params(capture_rng, long_side=spec.long_side,
                                       png_rate=spec.png_rate)

    identity = identity_for(design, rng)
    state = start_document(design, identity, rng)
    state.serial = item.serial
    shop: Workshop | None = workshops[item.workshop] if item.workshop is not None else None
    profile: ForgerProfile = shop.profile if shop else random_profile(rng)
    for name in item.operators:
        apply_operator(name, state, rng, profile)

    card_mask = page_background(design)[1]
    image, homography = capture(state.page, params, capture_rng, card_mask=card_mask)
    data, ext = encode(image, params)
    size = (int(image.shape[1]), int(image.shape[0]))
    forged = item.kind != "genuine"
    mask = warp_mask(state.mask, homography, size) if forged else None
    decoded = None
    if decode:
        decoded = decode_rgb(data)

    lay = state.layout
    image_layout = {
        "homography": [[round(float(v), 6) for v in row] for row in homography],
        "cards": [warp_box(b, homography) for b in lay["cards"]],
        "portrait": warp_box(lay["portrait"], homography),
        "ghost": warp_box(lay["ghost"], homography) if lay["ghost"] else None,
        "mrz": warp_box(lay["mrz"]["box"], homography),
        "fields": {k: warp_box(v["box"], homography) for k, v in lay["fields"].items()},
    }
    if forged:
        changed = (
            [int(v) for v in np.flatnonzero(state.mask.any(axis=1))[[0, -1]]]
            if state.mask.any()
            else None
        )
    else:
        changed = None
    printed_valid = mrz_checks_pass(state.mrz_printed, design.format)
    truth: dict[str, Any] = {
        "file": None,
        "index": item.index,
        "format": design.format,
        "design": design.name,
        "label": "forged" if forged else "genuine",
        "operators": [op for op in state.operators if OPERATORS[op].label == "forged"],
        "null_edits": [op for op in state.operators if OPERATORS[op].label == "genuine"],
        "workshop": shop.id if shop else None,
        "mrz": {
            "printed": state.mrz_printed,
            "genuine": state.mrz_genuine,
            "printed_checks_pass": printed_valid,
            "intended_valid": state.mrz_intended_valid,
        },
        "viz": {"printed": state.viz_printed, "genuine": state.viz_genuine},
        "identity": state.identity.to_dict(),
        "claimed": state.claimed.to_dict(),
        "portrait": {
            "genuine_face": state.face_genuine,
            "printed_face": state.face_printed,
            "printed_person": list(state.person_printed) if state.person_printed else None,
        },
        "expired": state.claimed.expiry_date < REFERENCE_DATE,
        "reference_date": REFERENCE_DATE.isoformat(),
        "mask": None,
        "mask_rows_page": changed,
        "details": state.details,
        "capture": params.to_dict(),
        "image_size": list(size),
        "encoding": {
            "format": "PNG" if ext == "png" else "JPEG",
            "quality": None if ext == "png" else params.quality,
            "resave_quality": params.resave_quality or None,
        },
        "layout": image_layout,
        "page_layout": {
            k: lay[k]
            for k in ("page_size", "px_per_mm", "cards", "portrait", "ghost", "title", "signature")
        }
        | {
            "mrz": lay["mrz"],
            "fields": {
                k: {"box": v["box"], "ink": v["ink"], "text": v["text"]}
                for k, v in lay["fields"].items()
            },
        },
    }
    return SynthDocument(
        data=data,
        ext=ext,
        image=decoded,
        mask=mask,
        truth=_json_ready(truth),
        page=state.page,
        page_mask=state.mask,
    )


def iter_documents(
    *,
    genuine: int,
    workshops: int,
    seed: int,
    forged: int | None = None,
    per_workshop: int = 8,
    designs: Sequence[str] | None = None,
    operators: Sequence[str] | None = None,
    decode: bool = True,
    **options: Any,
) -> Iterator[SynthDocument]:
    """Generate documents in memory, in plan order (see :func:`generate_dataset`)."""
    spec = make_spec(
        genuine=genuine,
        workshops=workshops,
        seed=seed,
        forged=forged,
        per_workshop=per_workshop,
        designs=designs,
        operators=operators,
        **options,
    )
    shops = dataset_workshops(spec)
    for item in make_plan(spec):
        yield make_document(item, spec, shops, decode=decode)


def _one_thread() -> None:
    """Worker processes share the cores: one OpenCV thread each."""
    import cv2

    cv2.setNumThreads(1)


def _write_one(args: tuple[PlanItem, DatasetSpec, list[Workshop], str]) -> dict[str, Any]:
    import cv2

    item, spec, shops, out = args
    doc = make_document(item, spec, shops, decode=False)
    name = f"{item.index:06d}"
    rel = f"images/{name}.{doc.ext}"
    Path(out, rel).write_bytes(doc.data)
    truth = doc.truth
    truth["file"] = rel
    if doc.mask is not None:
        mask_rel = f"masks/{name}.png"
        ok, buf = cv2.imencode(
            ".png", doc.mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_COMPRESSION, 9]
        )
        if not ok:  # pragma: no cover
            raise InputError("could not encode a mask")
        Path(out, mask_rel).write_bytes(buf.tobytes())
        truth["mask"] = mask_rel
    return truth


def _dataset_files(root: Path) -> set[str]:
    """The images and masks (relative paths) that the dataset in ``root`` lists in its
    ``truth.jsonl`` (empty when there is none or it cannot be read); only paths inside
    ``images/`` and ``masks/``."""
    try:
        lines = (root / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    out: set[str] = set()
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        for key in ("file", "mask"):
            name = rec.get(key) if isinstance(rec, dict) else None
            parts = PurePosixPath(name).parts if isinstance(name, str) else ()
            if len(parts) == 2 and parts[0] in ("images", "masks") and parts[1] != "..":
                out.add(str(name))
    return out


def generate_dataset(
    out: str | os.PathLike[str],
    *,
    genuine: int,
    workshops: int,
    seed: int,
    forged: int | None = None,
    per_workshop: int = 8,
    designs: Sequence[str] | None = None,
    operators: Sequence[str] | None = None,
    workers: int = 1,
    **options: Any,
) -> list[dict[str, Any]]:
    """Write a dataset: ``images/``, ``masks/`` (forged only), ``truth.jsonl``, ``workshops.json``.

    Args:
        out: output folder (created; existing files of the same names are overwritten,
            and the images and masks of a dataset written there before that this one
            does not write are removed).
        genuine: genuine documents (a share ``null_rate`` gets a null edit).
        workshops: number of forgery workshops, each making ``per_workshop`` documents.
        seed: the dataset is a deterministic function of its arguments.
        forged: forgeries by lone forgers (default: as many as ``genuine``), cycling through
            ``operators``.
        designs: restrict to these designs (hold-out evaluation); default all.
        operators: restrict forgeries to these operators; default all.
        workers: processes to use (the output does not depend on it).
        options: ``null_rate``, ``long_side`` (lo, hi) pixels, ``png_rate``, ``capture``
            (``"mixed"``: phones and scanners of any setting; ``"lab"``: one flatbed scanner
            at one setting and 300 dpi, ``long_side`` and ``png_rate`` unused).

    Returns:
        The truth records, in file order.
    """
    spec = make_spec(
        genuine=genuine,
        workshops=workshops,
        seed=seed,
        forged=forged,
        per_workshop=per_workshop,
        designs=designs,
        operators=operators,
        **options,
    )
    shops = dataset_workshops(spec)
    plan = make_plan(spec)
    root = Path(out)
    earlier = _dataset_files(root)
    try:
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "masks").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {root}: {exc.strerror or exc}") from None
    jobs = [(item, spec, shops, str(root)) for item in plan]
    if workers > 1 and len(jobs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # forkserver, not fork: a fork of a process whose OpenCV/BLAS thread pools are
        # running can deadlock in the child (seen when called from a test session)
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(
            max_workers=workers, initializer=_one_thread, mp_context=context
        ) as pool:
            truths = list(pool.map(_write_one, jobs, chunksize=4))
    else:
        truths = [_write_one(job) for job in jobs]
    with open(root / "truth.jsonl", "w", encoding="utf-8") as fh:
        for t in truths:
            fh.write(json.dumps(t, ensure_ascii=False, sort_keys=True) + "\n")
    # a dataset written again into its folder: the earlier one's images and masks that
    # this one does not write would otherwise lie beside it, matching no truth record
    for name in sorted(earlier - {str(t[k]) for t in truths for k in ("file", "mask")
                                  if t.get(k)}):
        (root / name).unlink(missing_ok=True)
    meta = {
        "spec": _json_ready(spec.__dict__),
        "workshops": [w.to_dict() for w in shops],
        "operators": {
            n: {"label": s.label, "mrz": s.mrz, "description": s.description}
            for n, s in OPERATORS.items()
        },
        "designs": {
            n: {"format": d.format, "document_code": d.document_code, "title": list(d.title)}
            for n, d in DESIGNS.items()
            if n in spec.designs
        },
    }
    (root / "workshops.json").write_text(
        json.dumps(_json_ready(meta), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    logger.info("wrote %d documents to %s", len(truths), root)
    return truths
