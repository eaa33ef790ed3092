"""Forgery operators and null edits, each recording the pixels it changed.

An operator edits a :class:`DocState` in place: the printed page, the mask of
changed pixels (page coordinates), the MRZ and visual-zone text as now printed.
Operators register themselves in :data:`OPERATORS` with what they do to the MRZ
(``unchanged``, ``valid``: changed with recomputed check digits, ``invalid``:
changed without), so tests and evaluation can hold out forgery kinds by name.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from docfraud.errors import InputError
from docfraud.synth._cv import jpeg_roundtrip
from docfraud.synth.designs import Design
from docfraud.synth.identity import REFERENCE_DATE, Identity, add_years, random_name
from docfraud.synth.portrait import face_person
from docfraud.synth.render import (
    GENUINE_STYLE,
    Box,
    PrintStyle,
    age_on,
    char_boxes,
    draw_mrz_chars,
    fit_text,
    mrz_cell,
    page_background,
    portrait_image,
    print_portrait,
    render_document,
    viz_values,
)

logger = logging.getLogger(__name__)

#: Visual-zone field showing each identity attribute.
VIZ_KEY = {
    "surname": ("surname",),
    "given_names": ("given_names",),
    "birth_date": ("birth_date",),
    "expiry_date": ("expiry_date",),
    "document_number": ("number", "passport_number"),
    "nationality": ("nationality",),
}


@dataclass(frozen=True)
class ForgerProfile:
    """A forger's tools and habits (a workshop keeps one; lone forgers draw one each time).

    Attributes:
        print_style: how the forger prints whole documents (counterfeits).
        rewrite_font: font used to rewrite visual-zone text.
        rewrite_scale: size of rewritten text relative to the genuine size.
        rewrite_offset: (dx, dy) pixels by which rewritten text is misplaced.
        mrz_font: font used to rewrite MRZ characters.
        mrz_scale: size of rewritten MRZ characters relative to genuine.
        paste_quality: JPEG quality of a substituted photo before it is pasted.
        paste_scale: the substituted photo was first scaled to this fraction of its box.
        feather_px: soft edge of the pasted photo.
        paste_overlay: whether the forger re-prints the background lines over the photo.
        erase_noise: grain left where background is restored (8-bit levels).
        portrait_pool: face seeds the forger reuses (empty: a new face each time).
        number_base, number_step: numbering scheme of invented documents (base 0: random).
        authority: authority text printed on invented documents ("" keeps the genuine).
        empty_check: check digit written for an empty optional-data field ("<" or "0").
        composite_bug: the forger's software writes a wrong composite check digit.
        alter_fields: identity fields the forger changes, in order of preference.
    """

    print_style: PrintStyle = GENUINE_STYLE
    rewrite_font: str = "sans_bold"
    rewrite_scale: float = 1.0
    rewrite_offset: tuple[float, float] = (0.0, 0.0)
    mrz_font: str = "ocrb"
    mrz_scale: float = 1.0
    paste_quality: int = 80
    paste_scale: float = 0.7
    feather_px: int = 2
    paste_overlay: bool = False
    erase_noise: float = 1.5
    portrait_pool: tuple[int, ...] = ()
    number_base: int = 0
    number_step: int = 1
    authority: str = ""
    empty_check: str = "<"
    composite_bug: bool = False
    alter_fields: tuple[str, ...] = (
        "expiry_date",
        "birth_date",
        "surname",
        "given_names",
        "document_number",
    )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DocState:
    """A document being forged (mutable; operators edit it in place).

    ``page`` is (H, W, 3) uint8 RGB, ``mask`` (H, W) bool: pixels a forgery operator
    changed. ``null_region`` (H, W) bool: pixels a null edit touched on a genuine
    document. ``claimed`` is the identity the document now shows in its visual zone.
    ``person_printed`` is the (sex, age in years) of the person in the printed photo
    ``face_printed``.
    """

    design: Design
    identity: Identity
    claimed: Identity
    page: NDArray[np.uint8]
    layout: dict[str, Any]
    mrz_genuine: list[str]
    mrz_printed: list[str]
    viz_genuine: dict[str, str]
    viz_printed: dict[str, str]
    face_genuine: int
    face_printed: int
    mask: NDArray[np.bool_]
    null_region: NDArray[np.bool_]
    serial: int = 0  # position in a workshop's series (numbering schemes)
    operators: list[str] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    mrz_intended_valid: bool = True
    person_printed: tuple[str, int] | None = None

    @property
    def background(self) -> NDArray[np.uint8]:
        return page_background(self.design, variant=self.layout["style"]["background_variant"])[0]


Operator = Callable[[DocState, np.random.Generator, ForgerProfile], dict[str, Any]]


@dataclass(frozen=True)
class OperatorSpec:
    name: str
    fn: Operator
    label: str  # "forged" or "genuine" (null edits)
    mrz: str  # "unchanged", "valid", "invalid", "any"
    description: str


OPERATORS: dict[str, OperatorSpec] = {}


def register(
    name: str, *, label: str, mrz: str, description: str
) -> Callable[[Operator], Operator]:
    def wrap(fn: Operator) -> Operator:
        OPERATORS[name] = OperatorSpec(name, fn, label, mrz, description)
        return fn

    return wrap


def forgery_operators() -> list[str]:
    return [n for n, s in OPERATORS.items() if s.label == "forged"]


def null_operators() -> list[str]:
    return [n for n, s in OPERATORS.items() if s.label == "genuine"]


def apply_operator(
    name: str, state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:
    """Run operator ``name`` on ``state`` (in place) and return its details."""
    spec = OPERATORS.get(name)
    if spec is None:
        raise InputError(f"unknown operator {name!r}; choose one of {', '.join(OPERATORS)}")
    details = spec.fn(state, rng, profile)
    state.operators.append(name)
    state.details.append({"operator": name, **details})
    return details


# ----------------------------------------------------------------------------- helpers


def _clip_box(box: Box, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x, y, w, h = box
    x0, y0 = max(int(x), 0), max(int(y), 0)
    x1, y1 = min(int(x + w), shape[1]), min(int(y + h), shape[0])
    return x0, y0, x1, y1


def _union(a: Box, b: Box) -> Box:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return [x0, y0, x1 - x0, y1 - y0]


def _pad(box: Box, px: int) -> Box:
    return [box[0] - px, box[1] - px, box[2] + 2 * px, box[3] + 2 * px]


def restore_background(
    state: DocState, box: Box, rng: np.random.Generator, profile: ForgerProfile
) -> None:
    """Erase ``box`` back to the blank background (as a forger with a blank or a good
    retouch would), leaving a little grain; marks it in the mask."""
    x0, y0, x1, y1 = _clip_box(box, state.page.shape)
    if x1 <= x0 or y1 <= y0:
        return
    patch = state.background[y0:y1, x0:x1].astype(np.float32)
    if profile.erase_noise > 0:
        patch += rng.normal(0, profile.erase_noise, patch.shape[:2])[..., None].astype(np.float32)
    state.page[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)
    state.mask[y0:y1, x0:x1] = True


def _ink(state: DocState) -> tuple[int, int, int]:
    c = state.layout["style"]["ink"] or state.design.palette.ink
    return (int(c[0]), int(c[1]), int(c[2]))


def _draw(
    state: DocState,
    fn: Callable[[ImageDraw.ImageDraw, tuple[int, int]], Any],
    region: Box,
) -> Any:
    """Draw on a crop of the page (fast) and write it back; returns ``fn``'s result.

    ``fn(draw, origin)`` receives a drawer of the crop and the crop's page position.
    """
    x0, y0, x1, y1 = _clip_box(region, state.page.shape)
    crop = Image.fromarray(state.page[y0:y1, x0:x1])
    result = fn(ImageDraw.Draw(crop), (x0, y0))
    state.page[y0:y1, x0:x1] = np.asarray(crop, dtype=np.uint8)
    return result


def rewrite_field(
    state: DocState,
    key: str,
    text: str,
    rng: np.random.Generator,
    profile: ForgerProfile,
    *,
    erase: str = "background",
) -> Box:
    """Erase the value of visual field ``key`` and print ``text`` in the forger's font.

    ``erase``: ``"background"`` (restore the blank background) or ``"inpaint"``
    (smear the surroundings over the old ink). Returns the changed region.
    """
    import cv2

    record = state.layout["fields"][key]
    box: Box = record["box"]
    old_ink: Box = record["ink"]
    region = _pad(_union(box, old_ink), 2)
    x0, y0, x1, y1 = _clip_box(region, state.page.shape)
    if erase == "inpaint":
        crop = state.page[y0:y1, x0:x1]
        grey = crop.astype(np.float32).mean(axis=2)
        ink = (grey < np.percentile(grey, 60) - 25).astype(np.uint8)
        ink = cv2.dilate(ink, np.ones((5, 5), np.uint8))
        state.page[y0:y1, x0:x1] = cv2.inpaint(
            np.ascontiguousarray(crop), ink, 3, cv2.INPAINT_TELEA
        )
        state.mask[y0:y1, x0:x1] = True
    else:
        restore_background(state, [x0, y0, x1 - x0, y1 - y0], rng, profile)
    ink_colour = _ink(state)
    cap = state.design.value_cap_mm * state.layout["px_per_mm"] * profile.rewrite_scale
    dx, dy = profile.rewrite_offset
    orig_dx = record["origin"][0] - box[0]

    def draw_it(draw: ImageDraw.ImageDraw, origin: tuple[int, int]) -> dict[str, Any]:
        return fit_text(
            draw,
            text,
            box,
            font_name=profile.rewrite_font,
            cap_px=cap,
            fill=ink_colour,
            dx=orig_dx + dx,
            dy=dy,
            origin=origin,
        )

    new = _draw(state, draw_it, _pad(region, 12))
    new_ink: Box = new["ink"]
    changed = _union(region, new_ink) if new["text"] else region
    xa, ya, xb, yb = _clip_box(_pad(changed, 1), state.page.shape)
    state.mask[ya:yb, xa:xb] = True
    new.update(box=box, label_box=record["label_box"])
    state.layout["fields"][key] = new
    state.viz_printed[key] = new["text"]
    return [xa, ya, xb - xa, yb - ya]


def rewrite_mrz(
    state: DocState, lines: list[str], rng: np.random.Generator, profile: ForgerProfile
) -> list[tuple[int, int]]:
    """Overprint the MRZ cells that differ from ``lines`` (erase, then print in the forger's
    MRZ font). Returns the changed (line, index) cells."""
    geom = dict(state.layout["mrz"]["geometry"])
    cells = [
        (li, i)
        for li, (old, new) in enumerate(zip(state.mrz_printed, lines, strict=True))
        for i, (a, b) in enumerate(zip(old, new, strict=True))
        if a != b
    ]
    if not cells:
        return cells
    for li, i in cells:
        restore_background(state, mrz_cell(geom, li, i), rng, profile)
    geom["font"] = profile.mrz_font
    geom["cap"] = geom["cap"] * profile.mrz_scale
    ink = _ink(state)
    box = state.layout["mrz"]["box"]
    _draw(
        state,
        lambda d, o: draw_mrz_chars(d, geom, lines, fill=ink, only=set(cells), origin=o),
        _pad(box, 20),
    )
    for li, i in cells:  # glyphs stay inside their cells; mark them (and the erase) changed
        x0, y0, x1, y1 = _clip_box(_pad(mrz_cell(geom, li, i), 2), state.page.shape)
        state.mask[y0:y1, x0:x1] = True
    state.mrz_printed = list(lines)
    state.layout["mrz"]["lines"] = list(lines)
    return cells


def _mrz_lines(
    state: DocState,
    identity: Identity,
    *,
    keep_checks_of: list[str] | None = None,
    profile: ForgerProfile | None = None,
) -> list[str]:
    """MRZ the forger prints for ``identity``; ``keep_checks_of``: copy these printed check
    digits instead of recomputing them (naive alteration)."""
    from docfraud.mrz import FORMATS, generate

    fmt = FORMATS[state.design.format]
    overrides: dict[str, str] = {}
    if keep_checks_of is not None:
        for check in fmt.checks:
            overrides[check.name] = state.mrz_printed[check.line][check.position]
    lines = generate(
        identity.mrz_fields(), format=state.design.format, check_digit_overrides=overrides or None
    )
    if profile is not None and keep_checks_of is None:
        fixes: dict[str, str] = {}
        for check in fmt.checks:
            if check.may_be_filler and lines[check.line][check.position] == "<":
                fixes[check.name] = profile.empty_check
        if profile.composite_bug and any(c.name == "composite" for c in fmt.checks):
            c = fmt.check("composite")
            fixes["composite"] = str((int(lines[c.line][c.position]) + 3) % 10)
        if fixes:
            lines = generate(
                identity.mrz_fields(), format=state.design.format, check_digit_overrides=fixes
            )
    return lines


def mrz_checks_pass(lines: list[str], fmt_name: str) -> bool:
    """Whether every check digit of ``lines`` is right (filler digits allowed where ICAO
    allows them)."""
    from docfraud.mrz import FORMATS, check_digit

    fmt = FORMATS[fmt_name]
    for check in fmt.checks:
        data = "".join(lines[li][a:b] for li, a, b in check.over)
        printed = lines[check.line][check.position]
        if check.may_be_filler and data.strip("<") == "" and printed in "<0":
            continue
        if check.name == "document_number" and printed == "<" and fmt.long_number:
            continue
        if printed != check_digit(data):
            return False
    return True


def _new_value(
    attr: str, ident: Identity, rng: np.random.Generator, profile: ForgerProfile, serial: int = 0
) -> Any:
    if attr == "birth_date":
        years = int(rng.choice([-12, -8, -5, -3, -2, 2, 3, 4, 6]))
        new = add_years(ident.birth_date, years) + dt.timedelta(days=int(rng.integers(-40, 41)))
        return min(new, REFERENCE_DATE - dt.timedelta(days=365 * 16))
    if attr == "expiry_date":
        return add_years(ident.expiry_date, int(rng.integers(3, 9)))
    if attr in ("surname", "given_names"):
        for _ in range(10):
            sur, given, _nat = random_name(rng, ident.sex)
            value = sur if attr == "surname" else given
            if value.upper() != getattr(ident, attr).upper():
                return value
        return getattr(ident, attr) + " A"
    if attr == "document_number":
        digits_part = "".join(c for c in ident.document_number if c.isdigit())
        prefix = ident.document_number[: len(ident.document_number) - len(digits_part)]
        if profile.number_base and digits_part and ident.document_number.endswith(digits_part):
            # a workshop numbers its documents with its own scheme
            width = len(digits_part)
            value = (profile.number_base + serial * profile.number_step) % 10**width
            candidate = prefix + str(value).zfill(width)
            if candidate != ident.document_number:
                return candidate
        number = list(ident.document_number)
        digits = [i for i, c in enumerate(number) if c.isdigit()]
        for i in rng.choice(digits, size=min(len(digits), int(rng.integers(1, 4))), replace=False):
            number[int(i)] = str((int(number[int(i)]) + int(rng.integers(1, 10))) % 10)
        return "".join(number)
    if attr == "nationality":
        for code in ("UTO", "CAN", "GBR", "FRA", "NLD", "AUS"):
            if code != ident.nationality:
                return code
    raise InputError(f"cannot alter {attr!r}")


def _altered_identity(
    state: DocState,
    rng: np.random.Generator,
    profile: ForgerProfile,
    *,
    attrs: tuple[str, ...],
    n: int,
) -> tuple[Identity, list[str]]:
    pool = [a for a in profile.alter_fields if a in attrs] or list(attrs)
    k = min(n, len(pool))
    # a workshop prefers its first fields; a lone forger picks at random
    chosen = (
        pool[:k] if rng.random() < 0.7 else [str(a) for a in rng.choice(pool, k, replace=False)]
    )
    changes = {a: _new_value(a, state.claimed, rng, profile, state.serial) for a in chosen}
    return replace(state.claimed, **changes), chosen


def _viz_for(state: DocState, ident: Identity, attrs: list[str]) -> dict[str, str]:
    values = viz_values(state.design, ident)
    return {
        key: values[key]
        for a in attrs
        for key in VIZ_KEY.get(a, ())
        if key in state.layout["fields"]
    }


# ----------------------------------------------------------------------------- operators


@register(
    "photo_substitution",
    label="forged",
    mrz="unchanged",
    description="holder's photo replaced by another person's (resampled, recompressed, "
    "pasted); the ghost image is left alone",
)
def photo_substitution(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:
    import cv2

    box: Box = state.layout["portrait"]
    x, y, w, h = box
    if profile.portrait_pool:
        face = int(profile.portrait_pool[int(rng.integers(len(profile.portrait_pool)))])
    else:
        face = int(rng.integers(0, 2**31 - 1))
    if face == state.face_printed:
        face += 1
    # a workshop pastes the same photo file (the impostor's own face) on every document;
    # a lone forger's one-off photo is of someone who passes for the claimed holder
    person = (
        face_person(face) if profile.portrait_pool else (state.claimed.sex, age_on(state.claimed))
    )
    sw, sh = max(int(w * profile.paste_scale), 16), max(int(h * profile.paste_scale), 16)
    photo = portrait_image(state.claimed, state.design, (sw, sh), face_seed=face, person=person)
    photo = jpeg_roundtrip(photo, profile.paste_quality)
    photo = np.asarray(cv2.resize(photo, (w, h), interpolation=cv2.INTER_LINEAR), np.uint8)
    pasted = state.page.copy()
    print_portrait(
        pasted,
        state.background,
        photo,
        box,
        overlay=state.design.portrait_overlay if profile.paste_overlay else 0.0,
    )
    alpha = np.ones((h, w), np.float32)
    f = profile.feather_px
    if f > 0:
        ramp = np.minimum(np.arange(w)[None, :] + 1, np.arange(w)[::-1][None, :] + 1)
        ramp = np.minimum(
            ramp, np.minimum(np.arange(h)[:, None] + 1, np.arange(h)[::-1][:, None] + 1)
        )
        alpha = np.clip(ramp / (f + 1), 0, 1).astype(np.float32)
    region = (
        alpha[..., None] * pasted[y : y + h, x : x + w]
        + (1 - alpha[..., None]) * state.page[y : y + h, x : x + w]
    )
    state.page[y : y + h, x : x + w] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
    state.mask[y : y + h, x : x + w] = True
    state.face_printed = face
    state.person_printed = person
    return {
        "face_seed": face,
        "person": list(person),
        "paste_quality": profile.paste_quality,
        "paste_scale": profile.paste_scale,
        "feather_px": f,
        "region": box,
    }


def _alter(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile, *, viz: bool, mrz: str
) -> dict[str, Any]:
    attrs: tuple[str, ...] = (
        "birth_date",
        "expiry_date",
        "surname",
        "given_names",
        "document_number",
    )
    if not viz:
        # names too: a forger who changes only the MRZ may do it to pass the machine
        # check under another name (a watch list searches the MRZ name), which no check
        # digit covers
        attrs = ("birth_date", "expiry_date", "surname", "given_names", "document_number",
                 "nationality")
    for _attempt in range(20):
        new_ident, chosen = _altered_identity(
            state, rng, profile, attrs=attrs, n=int(rng.integers(1, 3))
        )
        if mrz == "invalid":
            lines = _mrz_lines(state, new_ident, keep_checks_of=chosen)
            if not mrz_checks_pass(lines, state.design.format):
                break
        else:
            # habits apply, but not the composite bug of counterfeits: an alteration that
            # re-prints the MRZ with a wrong digit is a naive alteration
            habits = replace(profile, composite_bug=False)
            lines = _mrz_lines(state, new_ident, profile=habits)
            if mrz_checks_pass(lines, state.design.format) and lines != state.mrz_printed:
                break
    else:
        # a forger who alters only names (no check digit covers them) cannot leave a
        # wrong check digit: a naive alteration then also changes a checked field. (Only
        # reached when the draws above all fail, so every other document is unchanged.)
        checked = ("birth_date", "expiry_date", "document_number")
        for _attempt in range(20 if mrz == "invalid" else 0):
            new_ident, chosen = _altered_identity(state, rng, profile, attrs=checked, n=1)
            lines = _mrz_lines(state, new_ident, keep_checks_of=chosen)
            if not mrz_checks_pass(lines, state.design.format):
                break
        else:  # pragma: no cover - practically impossible
            raise InputError("could not find an alteration with the intended MRZ outcome")
    regions = []
    if viz:
        for key, text in _viz_for(state, new_ident, chosen).items():
            if text != state.viz_printed.get(key):
                regions.append(rewrite_field(state, key, text, rng, profile))
    cells = rewrite_mrz(state, lines, rng, profile)
    if viz:
        state.claimed = new_ident
    state.mrz_intended_valid = mrz != "invalid"
    return {"fields": chosen, "viz_regions": regions, "mrz_cells": [list(c) for c in cells]}


@register(
    "data_alteration",
    label="forged",
    mrz="valid",
    description="data changed in the visual zone and the MRZ, check digits recomputed",
)
def data_alteration(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:
    return _alter(state, rng, profile, viz=True, mrz="valid")


@register(
    "mrz_only_alteration",
    label="forged",
    mrz="valid",
    description="data changed in the MRZ only (check digits recomputed); the visual "
    "zone keeps the genuine data",
)
def mrz_only_alteration(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:
    return _alter(state, rng, profile, viz=False, mrz="valid")


@register(
    "naive_alteration",
    label="forged",
    mrz="invalid",
    description="data changed in the visual zone and the MRZ without recomputing the check digits",
)
def naive_alteration(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:
    return _alter(state, rng, profile, viz=True, mrz="invalid")


@register(
    "counterfeit",
    label="forged",
    mrz="any",
    description="the whole document re-made: substitute fonts, re-drawn background, "
    "printer dot pattern",
)
def counterfeit(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:
    design = state.design
    ident = state.claimed
    changes: dict[str, Any] = {}
    if profile.number_base:
        digits = design.number_digits
        number = (profile.number_base + state.serial * profile.number_step) % 10**digits
        changes["document_number"] = design.number_prefix + str(number).zfill(digits)
    if profile.authority:
        changes["authority"] = profile.authority
    if changes:
        ident = replace(ident, **changes)
    face = state.face_printed
    person = (ident.sex, age_on(ident))
    if profile.portrait_pool:
        face = int(profile.portrait_pool[int(rng.integers(len(profile.portrait_pool)))])
        person = face_person(face)
    lines = _mrz_lines(state, ident, profile=profile)
    page, layout = render_document(
        design,
        ident,
        rng,
        style=profile.print_style,
        mrz_lines=lines,
        face_seed=face,
        person=person,
    )
    state.page[...] = page
    state.layout = layout
    state.mask[...] = page_background(design)[1]
    state.claimed = ident
    state.identity = ident  # a counterfeit has no genuine original: its data is the claim
    state.mrz_genuine = _mrz_lines(state, ident)
    state.viz_genuine = viz_values(design, ident)
    state.mrz_printed = lines
    state.viz_printed = {k: v["text"] for k, v in layout["fields"].items()}
    state.face_genuine = state.face_printed = face
    state.person_printed = person
    state.mrz_intended_valid = mrz_checks_pass(lines, design.format)
    return {
        "print_style": profile.print_style.to_dict(),
        "face_seed": face,
        "person": list(person),
        "composite_bug": profile.composite_bug,
    }


@register(
    "copy_move",
    label="forged",
    mrz="unchanged",
    description="a digit of a date in the visual zone replaced by a digit copied from "
    "elsewhere on the same page",
)
def copy_move(state: DocState, rng: np.random.Generator, profile: ForgerProfile) -> dict[str, Any]:
    fields = state.layout["fields"]
    targets = [k for k in ("expiry_date", "birth_date") if k in fields]
    target = targets[0] if rng.random() < 0.65 else targets[-1]
    rec = fields[target]
    text: str = rec["text"]
    # the last two digits of the year
    positions = [i for i, c in enumerate(text) if c.isdigit()][-2:]
    sources = []
    for key, other in fields.items():
        if other["size"] != rec["size"] or other["font"] != rec["font"]:
            continue
        for j, ch in enumerate(other["text"]):
            if ch.isdigit():
                sources.append((key, j, ch))
    order = rng.permutation(len(positions))
    for pi in order:
        pos = positions[int(pi)]
        usable = [s for s in sources if s[2] != text[pos] and not (s[0] == target and s[1] == pos)]
        if usable:
            break
    else:  # pragma: no cover - every design has several dates
        raise InputError("no digit to copy")
    key, j, ch = usable[int(rng.integers(len(usable)))]
    src_box = char_boxes(fields[key])[j]
    dst_box = char_boxes(rec)[pos]
    sx, sy, w, h = src_box
    dx = dst_box[0]
    dy = sy + (round(rec["origin"][1]) - round(fields[key]["origin"][1]))
    w = max(w, dst_box[2])
    patch = state.page[sy : sy + h, sx : sx + w].copy()
    x0, y0, x1, y1 = _clip_box([dx, dy, w, h], state.page.shape)
    state.page[y0:y1, x0:x1] = patch[: y1 - y0, : x1 - x0]
    state.mask[y0:y1, x0:x1] = True
    new_text = text[:pos] + ch + text[pos + 1 :]
    rec["text"] = new_text
    state.viz_printed[target] = new_text
    # the year digits changed (both date styles end with the four-digit year)
    old_date: dt.date = getattr(state.claimed, target)
    year = int(new_text[-4:])
    new_date = old_date.replace(
        year=year, day=min(old_date.day, 28 if old_date.month == 2 else old_date.day)
    )
    state.claimed = state.claimed.with_changes(**{target: new_date})
    return {
        "field": target,
        "position": pos,
        "from": [key, j],
        "digit": ch,
        "source_box": [sx, sy, w, h],
        "region": [x0, y0, x1 - x0, y1 - y0],
    }


@register(
    "erase_and_rewrite",
    label="forged",
    mrz="unchanged",
    description="a visual-zone field erased (retouched over) and rewritten in a "
    "substitute font; the MRZ is left alone",
)
def erase_and_rewrite(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:
    attrs = ("expiry_date", "birth_date", "surname", "given_names")
    new_ident, chosen = _altered_identity(state, rng, profile, attrs=attrs, n=1)
    font = profile.rewrite_font if profile.rewrite_font != "sans_bold" else "alt_sans_bold"
    rough = replace(profile, rewrite_font=font)
    regions = [
        rewrite_field(state, key, text, rng, rough, erase="inpaint")
        for key, text in _viz_for(state, new_ident, chosen).items()
    ]
    state.claimed = new_ident
    return {"fields": chosen, "font": font, "regions": regions}


@register(
    "null_resave",
    label="genuine",
    mrz="unchanged",
    description="genuine document whose page image was JPEG re-saved (no content change)",
)
def null_resave(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:

    quality = int(rng.integers(70, 96))
    state.page[...] = jpeg_roundtrip(state.page, quality)
    state.null_region[...] = True
    return {"quality": quality}


@register(
    "null_self_paste",
    label="genuine",
    mrz="unchanged",
    description="genuine document with a region re-encoded and pasted onto itself",
)
def null_self_paste(
    state: DocState, rng: np.random.Generator, profile: ForgerProfile
) -> dict[str, Any]:

    candidates: list[Box] = [state.layout["portrait"]] + [
        f["box"] for f in state.layout["fields"].values()
    ]
    box = candidates[int(rng.integers(len(candidates)))]
    x0, y0, x1, y1 = _clip_box(_pad(box, 4), state.page.shape)
    quality = int(rng.integers(85, 98))
    crop = np.ascontiguousarray(state.page[y0:y1, x0:x1])
    state.page[y0:y1, x0:x1] = jpeg_roundtrip(crop, quality)
    state.null_region[y0:y1, x0:x1] = True
    return {"quality": quality, "region": [x0, y0, x1 - x0, y1 - y0]}


def start_document(design: Design, identity: Identity, rng: np.random.Generator) -> DocState:
    """Print a genuine document and wrap it in a :class:`DocState` ready for operators."""
    page, layout = render_document(design, identity, rng)
    viz = {k: v["text"] for k, v in layout["fields"].items()}
    mrz = list(layout["mrz"]["lines"])
    return DocState(
        design=design,
        identity=identity,
        claimed=identity,
        page=page,
        layout=layout,
        mrz_genuine=mrz,
        mrz_printed=list(mrz),
        viz_genuine=dict(viz),
        viz_printed=dict(viz),
        face_genuine=identity.face_seed,
        face_printed=identity.face_seed,
        mask=np.zeros(page.shape[:2], bool),
        null_region=np.zeros(page.shape[:2], bool),
        person_printed=(identity.sex, age_on(identity)),
    )
