"""Generated signatures of forgery workshops, lone forgers and genuine documents.

This drives training, evaluation and benchmarks of the clustering engine until
signatures extracted from rendered synthetic documents (``docfraud.synth``) are
available. Its parameter ranges mirror ``docfraud.synth.workshops.random_profile``
(MRZ pitch 0.95-1.03, size 0.92-1.1, halftone period 3-6 px at 0/15/45/75°,
paste quality 35-95, a pool of 2-4 reused portraits, sequential numbers with a
step of 1-11, misspelled authority texts, MRZ check-digit habits). Measurement
noise is added per document; its levels (see ``_NOISE``) are assumptions, not
measurements -- the evaluation is only as honest as they are.

Which workshops carry which trait: by default (``traits="all"``) any workshop may
number its documents in sequence (every counterfeit workshop, 40 % of the others), print
a misspelt authority (70 %), write a wrong composite check digit (25 %), and every
workshop that re-prints MRZ characters or visual-zone text leaves its own deviation in
the MRZ's print geometry and the background. ``traits="synth"`` gives them out as
``docfraud.synth`` does: the authority, the composite-check bug, the print geometry
and the background only on counterfeits; the workshop's numbering on counterfeits and on
the alterations whose changed fields include the document number (data, MRZ-only and
naive alterations: a workshop changes its preferred fields 70 % of the time); the habit
for an empty field's check digit where the forger's software re-prints the MRZ
(counterfeits, data and MRZ-only alterations); no paste trace on copy-move forgeries
(their portrait is the issuer's). Both draw the same
workshops, documents and noise from a seed; the second is the one signatures measured
on screened ``docfraud.synth`` images can be compared with.

Truth: ``Signature.info["truth"]`` is the workshop id (``"W003"``) for workshop
documents, ``"lone:<n>"`` for lone forgers and ``"genuine:<n>"`` for genuine ones;
``info["modus"]`` the operators joined by ``+``; with ``traits="synth"``,
``info["number_share"]`` the share of its source's documents that carry the source's
numbering.
"""

from __future__ import annotations

import datetime as _dt
import string
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from docfraud.errors import InputError
from docfraud.signature import Signature
from docfraud.synth.workshops import MODI as _SYNTH_MODI

#: Modi operandi (operator combinations) a generated workshop may use: those of the
#: synthetic-document workshops, plus counterfeits with a substituted photo.
MODI: tuple[tuple[str, ...], ...] = (*_SYNTH_MODI, ("counterfeit", "photo_substitution"))

#: Modi the link model is tuned on; evaluation adds the others (held out).
TRAIN_MODI: tuple[tuple[str, ...], ...] = MODI[:7]
HELDOUT_MODI: tuple[tuple[str, ...], ...] = MODI[7:]

DETECTORS: tuple[str, ...] = ("mrz", "jpeg", "noise", "copymove", "portrait", "mrzprint",
                              "vizcheck", "learned")

#: per-design truth of genuine documents: (number scheme, official authority)
_DESIGNS: dict[str, tuple[str, str]] = {
    "UTO-P-TD3": ("P9999999", "MINISTRY OF INTERIOR"),
    "UTO-P12-TD3": ("99999999", "PASSPORT OFFICE UTOPIA"),
    "UTO-PD-TD3": ("DP999999", "MINISTRY OF FOREIGN AFFAIRS"),
    "UTO-ID-TD1": ("ID9999999", "CIVIL REGISTRY OFFICE"),
    "UTO-AR-TD1": ("AR999999", "IMMIGRATION SERVICES"),
    "UTO-I-TD2": ("I99999999", "CITY HALL PORT MERIDIAN"),
}

#: measurement noise (std) per vector entry, in the units of VECTOR_SPECS
_NOISE: dict[str, np.ndarray] = {
    "mrz": np.array([0.004, 0.012, 0.004, 0.01, 0.01]),
    "print": np.array([0.10, 0.08, 0.08, 0.03]),
    "background": np.array([2.5, 1.2, 1.2, 1.2, 0.02]),
    "paste": np.array([0.12, 0.08, 0.08]),
}

_START = _dt.date(2023, 1, 1)


@dataclass(frozen=True)
class DesignRef:
    """What genuine documents of a design measure (before noise)."""

    mrz: np.ndarray
    print: np.ndarray
    background: np.ndarray


def _design_refs() -> dict[str, DesignRef]:
    rng = np.random.default_rng(20260101)  # fixed: designs are not part of any split
    out = {}
    for name in _DESIGNS:
        ang = float(rng.uniform(0, np.pi / 2))
        out[name] = DesignRef(
            mrz=np.array([1.0, rng.uniform(0.62, 0.72), rng.uniform(0.01, 0.03),
                          rng.uniform(0.08, 0.15), rng.uniform(0.11, 0.14)]),
            print=np.array([rng.uniform(8, 14), np.cos(4 * ang), np.sin(4 * ang),
                            rng.uniform(0.02, 0.06)]),
            background=np.array([rng.uniform(190, 230), rng.uniform(120, 136),
                                 rng.uniform(120, 140), rng.uniform(6, 14),
                                 rng.uniform(0.45, 0.6)]),
        )
    return out


DESIGN_REFS = _design_refs()

_AUTH_BASES = ("MINISTRY OF INTERIOR", "PASSPORT OFFICE UTOPIA", "CITY HALL PORT MERIDIAN",
               "IMMIGRATION SERVICES", "CIVIL REGISTRY OFFICE", "MINISTRY OF FOREIGN AFFAIRS",
               "DEPARTMENT OF HOME AFFAIRS", "NATIONAL IDENTITY BUREAU")


def _misspell(text: str, rng: np.random.Generator) -> str:
    chars = list(text)
    for _ in range(int(rng.integers(1, 3))):
        i = int(rng.integers(0, len(chars)))
        op = int(rng.integers(0, 3))
        if op == 0 and chars[i] != " ":
            del chars[i]
        elif op == 1:
            chars.insert(i, str(rng.choice(list(string.ascii_uppercase))))
        else:
            j = min(i + 1, len(chars) - 1)
            chars[i], chars[j] = chars[j], chars[i]
    return " ".join("".join(chars).split())


@dataclass
class _Profile:
    """A forger's tools and habits (fixed for a workshop, drawn per document for lone forgers)."""

    modus: tuple[str, ...]
    designs: tuple[str, ...]
    mrz_dev: np.ndarray
    print_vec: np.ndarray
    bg_dev: np.ndarray
    paste_vec: np.ndarray
    portrait_pool: tuple[tuple[int, int], ...]
    pool_use: float
    number_base: int
    number_step: int
    sequential: bool
    authority: str
    empty_check: str
    composite_bug: bool
    evidence: np.ndarray
    start_day: int
    span_days: int
    #: whether the MRZ's empty check digit shows the forger's habit (an MRZ re-printed by
    #: the forger's software)
    mrz_habit: bool = False
    #: ``traits="synth"``: share of the documents that carry the workshop's numbering
    #: (None: ``sequential`` decides)
    number_share: float | None = None
    #: ``traits="synth"``: whether a drawn composite-check bug shows (counterfeits only)
    composite_shown: bool = True


#: docfraud.synth: a workshop changes its 1-2 (equally likely) preferred fields 70 % of
#: the time, otherwise 1-2 of the five at random -> share of its documents whose number is
#: changed, by the number's place in its preference order (data and MRZ-only alterations;
#: checked against docfraud.synth.operators._alter: 0.80 / 0.45 / 0.08-0.10)
_NUMBER_SHARE = (0.7 + 0.3 * 0.3, 0.7 * 0.5 + 0.3 * 0.3, 0.3 * 0.3, 0.3 * 0.3, 0.3 * 0.3)
#: the same for naive alterations, which draw again until a check digit fails (names alone
#: fail none): averaged over the orders of the fields before the number
_NUMBER_SHARE_NAIVE = (0.85, 0.62, 0.17, 0.17, 0.17)
#: modi that re-print the MRZ with the forger's software, and with it its habit for an
#: empty field's check digit (a naive alteration keeps the printed check digits; an
#: erase-and-rewrite leaves the MRZ alone)
_MRZ_HABIT = frozenset({"counterfeit", "data_alteration", "mrz_only_alteration"})


def _as_synth(p: _Profile, *, workshop: bool, place: int) -> _Profile:
    """``p`` with its traits given out as docfraud.synth gives them (see the module doc);
    ``place``: where the document number stands in the workshop's preferred fields."""
    counterfeit = "counterfeit" in p.modus
    share = 0.0
    if workshop and counterfeit:
        share = 1.0
    elif workshop and {"data_alteration", "mrz_only_alteration"} & set(p.modus):
        share = _NUMBER_SHARE[place]
    elif workshop and "naive_alteration" in p.modus:
        share = _NUMBER_SHARE_NAIVE[place]
    paste = p.paste_vec
    if set(p.modus) == {"copy_move"}:
        paste = np.full(3, np.nan)
    return replace(
        p,
        authority=p.authority if workshop and counterfeit else "",
        composite_shown=counterfeit,
        mrz_dev=p.mrz_dev if counterfeit else np.zeros(5),
        bg_dev=p.bg_dev if counterfeit else np.zeros(5),
        paste_vec=paste,
        number_share=share,
        mrz_habit=bool(_MRZ_HABIT & set(p.modus)),
    )


def _naive_failure(rng: np.random.Generator) -> str:
    """The check a naive alteration leaves failing (80 % of them), or ``"none"``."""
    if rng.random() < 0.8:
        return str(rng.choice(["birth_date", "expiry_date", "document_number"]))
    return "none"


def _substream(key: str) -> np.random.Generator:
    """A generator of its own for ``key`` (draws ``traits="synth"`` adds, so the main
    stream, and with it every other document, stays the same)."""
    return np.random.default_rng(zlib.crc32(key.encode()))


def _random_hash(rng: np.random.Generator) -> tuple[int, int]:
    h = int(rng.integers(0, 2**63)) | (int(rng.integers(0, 2)) << 63)
    m = int(rng.integers(0, 2**63)) | (int(rng.integers(0, 2)) << 63)
    return h, m


def _flip_bits(h: int, n: int, rng: np.random.Generator) -> int:
    for b in rng.choice(64, size=n, replace=False):
        h ^= 1 << int(b)
    return h


def _profile(rng: np.random.Generator, modus: tuple[str, ...], *, workshop: bool) -> _Profile:
    n_designs = 1 if rng.random() < 0.6 else 2
    designs = tuple(str(d) for d in rng.choice(list(_DESIGNS), n_designs, replace=False))
    reprints_mrz = bool({"counterfeit", "data_alteration", "mrz_only_alteration",
                         "naive_alteration", "erase_and_rewrite"} & set(modus))
    mrz_dev = np.zeros(5)
    if reprints_mrz:
        skilled = rng.random() < 0.5
        mrz_dev = np.array([
            rng.uniform(0.95, 1.03) - 1.0 if "counterfeit" in modus
            else (rng.uniform(0.98, 1.02) if skilled else rng.uniform(0.93, 1.07)) - 1.0,
            rng.uniform(-0.06, 0.08), rng.uniform(-0.02, 0.02), rng.uniform(-0.05, 0.05),
            rng.uniform(-0.04, 0.04)])
    print_vec = np.full(4, np.nan)
    bg_dev = np.zeros(5)
    if "counterfeit" in modus:
        ang = float(np.deg2rad(rng.choice([0.0, 15.0, 45.0, 75.0])))
        print_vec = np.array([rng.uniform(3.0, 6.0), np.cos(4 * ang), np.sin(4 * ang),
                              rng.uniform(0.15, 0.45)])
        bg_dev = np.array([rng.uniform(-12, 12), rng.uniform(-5, 5), rng.uniform(-5, 5),
                           rng.uniform(-4, 4), rng.uniform(-0.12, 0.12)])
    elif {"erase_and_rewrite", "naive_alteration", "data_alteration"} & set(modus):
        bg_dev = np.array([rng.uniform(-4, 4), rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5),
                           rng.uniform(-2, 2), rng.uniform(-0.05, 0.05)])
    paste_vec = np.full(3, np.nan)
    if "photo_substitution" in modus or "copy_move" in modus:
        quality = rng.integers(35, 96)
        feather = rng.integers(0, 6)
        paste_vec = np.array([1.0 + 2.5 * (1 - feather / 6) * rng.uniform(0.5, 1.0),
                              1.0 + (100 - quality) / 40.0,
                              rng.uniform(0.6, 1.6)])
        if "copy_move" in modus:
            paste_vec[1:] = [1.0 + rng.uniform(-0.1, 0.1), 1.0 + rng.uniform(-0.1, 0.1)]
    pool: tuple[tuple[int, int], ...] = ()
    if (workshop and "photo_substitution" in modus) or (workshop and "counterfeit" in modus):
        pool = tuple(_random_hash(rng) for _ in range(int(rng.integers(2, 5))))
    digits = int(rng.integers(5, 7))
    authority = ""
    if rng.random() < (0.7 if workshop else 0.3):
        authority = _misspell(str(rng.choice(_AUTH_BASES)), rng)
    # detector evidence follows from the modus (same level for every workshop using it)
    # plus a small workshop-specific shift; documents add their own noise
    ev = np.clip(0.12 + rng.normal(0, 0.04, len(DETECTORS)), 0, 1)
    idx = {d: i for i, d in enumerate(DETECTORS)}
    for op, dets in (("counterfeit", ("mrzprint", "vizcheck", "learned")),
                     ("photo_substitution", ("portrait", "jpeg", "noise")),
                     ("data_alteration", ("vizcheck", "mrz", "noise")),
                     ("mrz_only_alteration", ("mrz", "mrzprint")),
                     ("naive_alteration", ("mrz", "vizcheck")),
                     ("erase_and_rewrite", ("noise", "vizcheck", "learned")),
                     ("copy_move", ("copymove", "noise"))):
        if op in modus:
            for d in dets:
                ev[idx[d]] = np.clip(0.7 + rng.normal(0, 0.06), 0, 1)
    return _Profile(
        modus=modus, designs=designs, mrz_dev=mrz_dev, print_vec=print_vec, bg_dev=bg_dev,
        paste_vec=paste_vec, portrait_pool=pool, pool_use=float(rng.uniform(0.4, 0.9)),
        number_base=int(rng.integers(10 ** (digits - 1), 10**digits)),
        number_step=int(rng.integers(1, 12)),
        sequential=bool(workshop and ("counterfeit" in modus or rng.random() < 0.4)),
        authority=authority, empty_check=str(rng.choice(["<", "0"])),
        composite_bug=bool(workshop and rng.random() < 0.25), mrz_habit=reprints_mrz,
        evidence=ev, start_day=int(rng.integers(0, 600)), span_days=int(rng.integers(30, 400)),
    )


def _number(scheme: str, value: int) -> str:
    n_digits = scheme.count("9")
    digits = str(value % 10**n_digits).zfill(n_digits)
    out, k = [], 0
    for ch in scheme:
        if ch == "9":
            out.append(digits[k])
            k += 1
        else:
            out.append(ch)
    return "".join(out)


def _forged_doc(doc_id: str, p: _Profile, k: int, rng: np.random.Generator, truth: str,
                *, own_portrait: bool, seed: int = 0) -> Signature:
    design = str(rng.choice(list(p.designs)))
    ref = DESIGN_REFS[design]
    scheme, official = _DESIGNS[design]
    vec: dict[str, np.ndarray] = {}
    vec["mrz"] = ref.mrz + p.mrz_dev * np.array([1, ref.mrz[1], 1, 1, ref.mrz[4]])
    if np.isnan(p.print_vec).any():
        vec["print"] = ref.print.copy()
    else:
        vec["print"] = p.print_vec.copy()
    vec["background"] = ref.background + p.bg_dev
    if not np.isnan(p.paste_vec).any():
        vec["paste"] = p.paste_vec.copy()
    else:
        vec["paste"] = np.array([1.0, 1.0, 1.0])
    for name in vec:
        vec[name] = vec[name] + rng.normal(0.0, _NOISE[name])
    portrait: tuple[int, int] | None
    if p.portrait_pool and not own_portrait and rng.random() < p.pool_use:
        base = p.portrait_pool[int(rng.integers(0, len(p.portrait_pool)))]
        mirrored = rng.random() < 0.2
        h, m = (base[1], base[0]) if mirrored else base
        flips = int(rng.integers(0, 7))  # rescaling / JPEG move a few pHash bits
        portrait = (_flip_bits(h, flips, rng), _flip_bits(m, flips, rng))
    else:
        portrait = _random_hash(rng)
    if p.sequential:
        value = p.number_base + p.number_step * k + int(rng.integers(0, 3))
    else:
        value = int(rng.integers(0, 10 ** scheme.count("9")))
    if p.number_share is not None:
        sub = _substream(f"{seed}:{doc_id}")
        if sub.random() >= p.number_share:
            value = int(sub.integers(0, 10 ** scheme.count("9")))
        elif not p.sequential:
            value = p.number_base + p.number_step * k + int(sub.integers(0, 3))
    number = _number(scheme, value)
    tokens = {"number_scheme": scheme,
              "authority": p.authority or official,
              "mrz_empty_check": p.empty_check if p.mrz_habit else "<"}
    naive = "naive_alteration" in p.modus
    if p.composite_bug and p.composite_shown:
        failed = "composite"
    elif p.composite_bug:
        # traits="synth" hides the bug: the document fails as its modus makes it fail, drawn
        # from a stream of its own (the main stream drew nothing here)
        failed = _naive_failure(_substream(f"{seed}:{doc_id}:failed")) if naive else "none"
    else:
        failed = _naive_failure(rng) if naive else "none"
    tokens["mrz_failed"] = failed
    evidence = np.clip(p.evidence + rng.normal(0, 0.12, len(DETECTORS)), 0, 1)
    risk = float(np.clip(rng.beta(6, 2) if rng.random() > 0.08 else rng.beta(2, 6), 0, 1))
    day = p.start_day + int(rng.integers(0, p.span_days + 1))
    return Signature(
        doc_id=doc_id, design=design, tokens=tokens, vectors=vec, portrait_hash=portrait,
        number=number, evidence={d: float(e) for d, e in zip(DETECTORS, evidence, strict=True)},
        risk=risk, seen=(_START + _dt.timedelta(days=day)).isoformat(),
        info={"truth": truth, "modus": "+".join(p.modus),
              **({} if p.number_share is None else {"number_share": p.number_share})})


def _genuine_doc(doc_id: str, rng: np.random.Generator, truth: str) -> Signature:
    design = str(rng.choice(list(_DESIGNS)))
    ref = DESIGN_REFS[design]
    scheme, official = _DESIGNS[design]
    vec = {"mrz": ref.mrz.copy(), "print": ref.print.copy(),
           "background": ref.background.copy(), "paste": np.array([1.0, 1.0, 1.0])}
    for name in vec:
        vec[name] = vec[name] + rng.normal(0.0, _NOISE[name])
    evidence = np.clip(rng.uniform(0, 0.3, len(DETECTORS)) + rng.normal(0, 0.05, len(DETECTORS)),
                       0, 1)
    if rng.random() < 0.05:  # a false alarm of one detector
        evidence[int(rng.integers(0, len(DETECTORS)))] = rng.uniform(0.5, 0.9)
    risk = float(rng.beta(2, 8) if rng.random() > 0.05 else rng.beta(6, 3))
    return Signature(
        doc_id=doc_id, design=design,
        tokens={"number_scheme": scheme, "authority": official, "mrz_empty_check": "<",
                "mrz_failed": "none"},
        vectors=vec, portrait_hash=_random_hash(rng),
        number=_number(scheme, int(rng.integers(0, 10 ** scheme.count("9")))),
        evidence={d: float(e) for d, e in zip(DETECTORS, evidence, strict=True)}, risk=risk,
        seen=(_START + _dt.timedelta(days=int(rng.integers(0, 800)))).isoformat(),
        info={"truth": truth, "modus": "genuine"})


def generate(
    *,
    seed: int,
    workshops: int,
    lone: int,
    genuine: int,
    modi: Sequence[tuple[str, ...]] = MODI,
    mean_size: float = 12.0,
    prefix: str = "",
    traits: str = "all",
) -> list[Signature]:
    """Generate signatures with known sources.

    Args:
        seed: random seed (training, evaluation and benchmarks use disjoint seeds).
        workshops: number of workshops; sizes are log-normal around ``mean_size``
            (2..150 documents).
        lone: number of lone forgeries (each its own source).
        genuine: number of genuine documents.
        modi: modi operandi workshops and lone forgers draw from.
        mean_size: typical workshop size.
        prefix: prefix of document ids (to keep ids unique across calls).
        traits: ``"all"`` or ``"synth"``: which workshops carry which trait (module doc).

    Returns:
        Signatures in random order; ``info["truth"]`` holds the source.
    """
    if traits not in ("all", "synth"):
        raise InputError(f"traits must be 'all' or 'synth', got {traits!r}")
    rng = np.random.default_rng(seed)
    out: list[Signature] = []
    for w in range(workshops):
        modus = tuple(modi[int(rng.integers(0, len(modi)))])
        prof = _profile(rng, modus, workshop=True)
        size = int(np.clip(rng.lognormal(np.log(mean_size), 0.7), 2, 150))
        wid = f"{prefix}W{w:04d}"
        if traits == "synth":
            place = int(_substream(f"{seed}:{wid}").integers(0, 5))
            prof = _as_synth(prof, workshop=True, place=place)
        for k in range(size):
            out.append(_forged_doc(f"{prefix}w{w:04d}_{k:03d}.jpg", prof, k, rng, wid,
                                   own_portrait=False, seed=seed))
    for i in range(lone):
        modus = tuple(modi[int(rng.integers(0, len(modi)))])
        prof = _profile(rng, modus, workshop=False)
        if traits == "synth":
            prof = _as_synth(prof, workshop=False, place=0)
        out.append(_forged_doc(f"{prefix}lone{i:05d}.jpg", prof, 0, rng, f"lone:{prefix}{i}",
                               own_portrait=True, seed=seed))
    for i in range(genuine):
        out.append(_genuine_doc(f"{prefix}gen{i:06d}.jpg", rng, f"genuine:{prefix}{i}"))
    order = rng.permutation(len(out))
    return [out[int(i)] for i in order]
