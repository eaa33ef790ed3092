"""Synthetic travel documents with known forgeries and known forgery workshops.

Real forged documents cannot be shared; detectors, the risk score and series
mapping are trained, tested and demonstrated on these instead. Typical use::

    from docfraud.synth import generate_dataset, iter_documents
    generate_dataset("out/", genuine=100, workshops=3, seed=1)
    for doc in iter_documents(genuine=10, workshops=1, seed=2):
        doc.image, doc.mask, doc.truth

Building blocks: :func:`render_document` (design + identity -> page + layout),
:func:`capture` (page -> scan or phone photo), :data:`OPERATORS` (forgeries, each
with a pixel mask), :func:`make_workshops`.
"""

from __future__ import annotations

from docfraud.synth.capture import CaptureParams, capture, encode, sample_capture_params, warp_mask
from docfraud.synth.dataset import (
    SynthDocument,
    generate_dataset,
    identity_for,
    iter_documents,
    make_document,
    make_plan,
    make_spec,
)
from docfraud.synth.designs import DESIGNS, PX_PER_MM, Design, get_design
from docfraud.synth.identity import REFERENCE_DATE, Identity, random_identity
from docfraud.synth.operators import (
    OPERATORS,
    DocState,
    ForgerProfile,
    apply_operator,
    forgery_operators,
    null_operators,
    start_document,
)
from docfraud.synth.render import PrintStyle, page_background, render_document
from docfraud.synth.workshops import Workshop, make_workshops, random_profile

__all__ = [
    "DESIGNS",
    "OPERATORS",
    "PX_PER_MM",
    "REFERENCE_DATE",
    "CaptureParams",
    "Design",
    "DocState",
    "ForgerProfile",
    "Identity",
    "PrintStyle",
    "SynthDocument",
    "Workshop",
    "apply_operator",
    "capture",
    "encode",
    "forgery_operators",
    "generate_dataset",
    "get_design",
    "identity_for",
    "iter_documents",
    "make_document",
    "make_plan",
    "make_spec",
    "make_workshops",
    "null_operators",
    "page_background",
    "random_identity",
    "random_profile",
    "render_document",
    "sample_capture_params",
    "start_document",
    "warp_mask",
]
