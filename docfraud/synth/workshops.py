"""Forgery workshops: fixed modus operandi that produce series of documents.

A workshop always uses the same operators on the same target designs, with the
same fonts, paste quality, printer, numbering scheme, authority text, a few
reused portraits and the same MRZ habits. Its documents are the ground truth of
series for mapping networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from docfraud.synth.designs import DESIGNS
from docfraud.synth.operators import ForgerProfile, forgery_operators
from docfraud.synth.render import PrintStyle

#: Operator combinations workshops work with (applied in this order).
MODI: tuple[tuple[str, ...], ...] = (
    ("counterfeit",),
    ("photo_substitution",),
    ("photo_substitution", "data_alteration"),
    ("data_alteration",),
    ("mrz_only_alteration",),
    ("naive_alteration",),
    ("erase_and_rewrite",),
    ("photo_substitution", "erase_and_rewrite"),
    ("copy_move",),
    ("counterfeit",),
)

_AUTHORITY_VARIANTS = (
    "MINISTERY OF INTERIOR",
    "MINISTRY OF THE INTERIOR",
    "MINSTRY OF INTERIOR",
    "PASSPORT OFFICE UTOPIA",
    "CITY HALL PORT MERIDIAN",
    "IMMIGRATION SERVICES",
    "CIVIL REGISTRY OFFICE",
    "MINISTRY OF FOREIGN AFFAIR",
)


@dataclass(frozen=True)
class Workshop:
    """One forgery workshop.

    Attributes:
        id: ``"W01"``, ``"W02"``, ...
        operators: operators applied to every document, in order.
        designs: the designs it forges.
        profile: its tools and habits.
    """

    id: str
    operators: tuple[str, ...]
    designs: tuple[str, ...]
    profile: ForgerProfile

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operators": list(self.operators),
            "designs": list(self.designs),
            "profile": self.profile.to_dict(),
        }


def random_profile(rng: np.random.Generator, *, workshop: bool = False) -> ForgerProfile:
    """Tools and habits of a forger (a lone forger's are drawn per document)."""
    fonts_viz = ("alt_sans_bold", "sans_bold", "alt_sans_bold")
    fonts_mrz = ("alt_mono", "ocrb", "mono", "ocrb")
    style = PrintStyle(
        value_font=str(rng.choice(fonts_viz)),
        label_font=str(rng.choice(("alt_sans", "sans", "serif"))),
        title_font=str(rng.choice(("alt_serif", "serif_bold", "alt_sans_bold"))),
        mrz_font=str(rng.choice(fonts_mrz)),
        mrz_pitch_scale=round(float(rng.uniform(0.95, 1.03)), 3),
        mrz_size_scale=round(float(rng.uniform(0.92, 1.1)), 3),
        mrz_offset_mm=(
            round(float(rng.uniform(-1.2, 1.2)), 2),
            round(float(rng.uniform(-0.8, 0.8)), 2),
        ),
        background_variant=int(rng.integers(1, 1000)),
        dots_period_px=round(float(rng.uniform(3.0, 6.0)), 2),
        dots_angle_deg=round(float(rng.choice([0.0, 15.0, 45.0, 75.0])), 1),
        dots_strength=round(float(rng.uniform(0.15, 0.45)), 3),
        registration_jitter_mm=0.3,
    )
    skilled = bool(rng.random() < 0.5)
    pool: tuple[int, ...] = ()
    if workshop:
        pool = tuple(int(v) for v in rng.integers(0, 2**31 - 1, int(rng.integers(2, 5))))
    fields = ["expiry_date", "birth_date", "surname", "given_names", "document_number"]
    order = [fields[int(i)] for i in rng.permutation(len(fields))]
    digits = int(rng.integers(5, 7))
    return ForgerProfile(
        print_style=style,
        rewrite_font="sans_bold" if skilled else str(rng.choice(fonts_viz)),
        rewrite_scale=round(
            float(rng.uniform(0.97, 1.03) if skilled else rng.uniform(0.9, 1.1)), 3
        ),
        rewrite_offset=(
            round(float(rng.normal(0, 1.0 if skilled else 3.0)), 1),
            round(float(rng.normal(0, 0.7 if skilled else 2.0)), 1),
        ),
        mrz_font="ocrb" if skilled else str(rng.choice(fonts_mrz)),
        mrz_scale=round(float(rng.uniform(0.98, 1.02) if skilled else rng.uniform(0.93, 1.07)), 3),
        paste_quality=int(rng.integers(70, 96) if skilled else rng.integers(35, 75)),
        paste_scale=round(float(rng.uniform(0.6, 0.95) if skilled else rng.uniform(0.3, 0.6)), 3),
        feather_px=int(rng.integers(1, 6) if skilled else rng.integers(0, 2)),
        paste_overlay=skilled and bool(rng.random() < 0.6),
        erase_noise=round(float(rng.uniform(0.5, 3.0)), 2),
        portrait_pool=pool,
        number_base=int(rng.integers(10 ** (digits - 1), 10**digits)) if workshop else 0,
        number_step=int(rng.integers(1, 12)),
        authority=str(rng.choice(_AUTHORITY_VARIANTS)) if workshop and rng.random() < 0.7 else "",
        empty_check=str(rng.choice(["<", "0"])),
        composite_bug=bool(workshop and rng.random() < 0.25),
        alter_fields=tuple(order),
    )


def make_workshops(
    count: int,
    rng: np.random.Generator,
    *,
    designs: list[str] | None = None,
    operators: list[str] | None = None,
) -> list[Workshop]:
    """``count`` workshops with distinct modus operandi.

    Args:
        count: number of workshops.
        rng: random generator.
        designs: designs they may target (default all).
        operators: forgery operators they may use (default all).
    """
    allowed_designs = list(designs or DESIGNS)
    allowed_ops = set(operators or forgery_operators())
    modi = [m for m in MODI if set(m) <= allowed_ops] or [tuple(sorted(allowed_ops))[:1]]
    out = []
    order = rng.permutation(len(modi))
    for k in range(count):
        modus = modi[int(order[k % len(modi)])]
        n_designs = 1 if rng.random() < 0.6 or len(allowed_designs) == 1 else 2
        chosen = tuple(str(d) for d in rng.choice(allowed_designs, n_designs, replace=False))
        out.append(
            Workshop(
                id=f"W{k + 1:02d}",
                operators=tuple(modus),
                designs=chosen,
                profile=random_profile(rng, workshop=True),
            )
        )
    return out
