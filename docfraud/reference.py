"""Reference library: what a genuine document of each known design looks like.

Document examiners authenticate a document against a reference of its design (a
genuine exemplar, as in the EU's PRADO or the commercial reference databases): they
identify the design from the issuing state, the document type and the number series,
then compare the security background and the static print (title, labels, emblem)
with the reference. :mod:`docfraud.forensics.reference` does that comparison; this
module holds the library it compares against.

A library is a folder (``models/references/`` by default) with an ``index.json`` and,
per design, two PNG images of the design's card straightened as
:func:`docfraud.layout.rectify` straightens a read document (same px/mm, same nominal
ICAO placement from the MRZ):

* ``<name>.png``: (h, w) uint8 grey reference page: the static print and the background,
  with the personalised areas showing the blank background;
* ``<name>_mask.png``: (h, w, 3) uint8: red channel 255 where the page is static (compare
  here), green channel 255 inside the portrait (where the design prints its background
  lines across the photo when ``portrait_overlay`` is true), blue channel 255 on the
  static print within the static area (title, field labels, emblem: a counterfeiter who
  sets them in the issuer's font prints them where the issuer does, so they are compared
  apart from the security background).

A design may also have ``<name>_keypoints.npz`` (index key ``keypoints``): the SIFT
keypoints of its static area at the comparison's scale
(:func:`docfraud.forensics.reference.reference_keypoints`), stored so that a screening
call need not compute them. It records what it was made from (the comparison's scale,
the keypoint method's version, the OpenCV version, the design's resolution and the
SHA-256 of its two images) and is ignored -- the keypoints are computed -- when any of
these differs.

``index.json`` also gives, per design, the boxes (x, y, w, h; reference pixels) of the
main portrait (``portrait_box``) and of the ghost image (``ghost_box``, the faded second
copy of the holder's photo; null for a design without one), the layout of the
personalised fields (``fields``: :class:`FieldLayout`) and how the issuer sets their
text (``typeface``: :class:`Typeface`).

The shipped library holds the designs of :mod:`docfraud.synth` (the fictional state
Utopia), built by ``scripts/build_references.py``. A lab adds its own designs by
straightening a genuine exemplar the same way; a document whose design is not in the
library gets no comparison (the detector says ``not_applicable``), never a penalty.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docfraud.errors import ModelError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from docfraud.mrz import MrzResult

logger = logging.getLogger(__name__)

LIBRARY_DIR = Path(__file__).resolve().parents[1] / "models" / "references"
INDEX_NAME = "index.json"
#: the arrays of a design's stored keypoints
KEYPOINT_KEYS = ("points", "descriptors", "points_smooth", "descriptors_smooth")


@dataclass(frozen=True)
class FieldLayout:
    """Where the issuer prints one personalised field, in reference pixels.

    Attributes:
        box: the field's value box (x, y, w, h).
        baseline: (x, y) where the issuer starts the text's baseline.
        cap: height of the capitals the issuer prints.
        bias: how far below ``baseline`` the field's text measures on genuine renders of
            the design (:mod:`docfraud.forensics.fieldprint`), reference pixels.
        width: the width of the field's text measured on genuine renders of the design
            against the width of its text set in the design's :class:`Typeface`
            (median; :mod:`docfraud.forensics.fieldprint`); 0 where not measured.
    """

    box: tuple[int, int, int, int]
    baseline: tuple[float, float]
    cap: float
    bias: float = 0.0
    width: float = 0.0


@dataclass(frozen=True)
class Typeface:
    """How the issuer sets a design's personalised text, as a reference database
    documents it: the font (a file name, looked for in the system's font folders by
    :func:`docfraud.synth.fonts.find_font_file`), its em size, and how dates are
    written.

    Attributes:
        font: font file name, e.g. ``DejaVuSans-Bold.ttf``.
        em: em size in reference pixels.
        date_style: ``"mon"`` (``12 MAR/MARS 1985``: day, month name, year) or ``"dot"``
            (``12.03.1985``).
        months: the twelve month names as the design prints them (``"mon"`` style).
    """

    font: str
    em: float
    date_style: str
    months: tuple[str, ...] = ()


def _typeface(value: Any) -> Typeface | None:
    if value is None:
        return None
    em, style = float(value["em"]), str(value["date_style"])
    months = tuple(str(m) for m in value.get("months") or ())
    if not (math.isfinite(em) and em > 0) or style not in ("mon", "dot") or (
            style == "mon" and len(months) != 12):
        raise ValueError(f"bad typeface {value!r}")
    return Typeface(font=str(value["font"]), em=em, date_style=style, months=months)


def _field_layout(value: Any) -> FieldLayout:
    box = _box(value["box"])
    if box is None:
        raise ValueError(f"field without a box: {value!r}")
    x, y = (float(v) for v in value["baseline"])
    cap, bias = float(value["cap"]), float(value.get("bias", 0.0))
    width = float(value.get("width", 0.0))
    if not (all(math.isfinite(v) for v in (x, y, cap, bias, width)) and cap > 0
            and width >= 0):
        raise ValueError(f"bad field layout {value!r}")
    return FieldLayout(box=box, baseline=(x, y), cap=cap, bias=bias, width=width)


@dataclass(frozen=True)
class ReferenceDesign:
    """One design of the library.

    Attributes:
        name: design name (e.g. ``uto_passport_2020``).
        format: MRZ format (``TD1``, ``TD2``, ``TD3``...).
        document_code: MRZ document code without fillers (``P``, ``ID``...).
        issuing_state: MRZ issuing state code.
        number_pattern: regular expression the MRZ document number of this design's
            series matches in full.
        px_per_mm: resolution of the reference images.
        portrait_overlay: the design prints its background lines across the portrait.
        image_path, mask_path: the reference page and its mask (see module docstring).
        portrait_box: the main portrait's box (x, y, w, h) in reference pixels, or None.
        ghost_box: the ghost image's box (the faded second copy of the holder's portrait
            that the design prints), or None where the design has none.
        keypoints_path: the stored keypoints (see module docstring), or None.
        fields: the personalised fields' layout, by field name (:class:`FieldLayout`);
            empty for an index written before it was stored.
        typeface: how the issuer sets the personalised text (:class:`Typeface`), or None.
    """

    name: str
    format: str
    document_code: str
    issuing_state: str
    number_pattern: str
    px_per_mm: float
    portrait_overlay: bool
    image_path: Path
    mask_path: Path
    portrait_box: tuple[int, int, int, int] | None = None
    ghost_box: tuple[int, int, int, int] | None = None
    keypoints_path: Path | None = None
    fields: Mapping[str, FieldLayout] = field(default_factory=dict, compare=False)
    typeface: Typeface | None = field(default=None, compare=False)
    _arrays: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def matches(self, mrz: MrzResult) -> bool:
        """Whether an MRZ reading belongs to this design (format, code, state, series)."""
        number = str(mrz.fields.get("document_number") or "").replace("<", "")
        return self.same_kind(mrz) and re.fullmatch(self.number_pattern, number) is not None

    def same_kind(self, mrz: MrzResult) -> bool:
        """Whether an MRZ reading has this design's format, document code and issuing
        state (whatever its document number)."""
        f = mrz.fields
        code = str(f.get("document_code") or "").replace("<", "")
        return (mrz.format == self.format and code == self.document_code
                and f.get("issuing_state") == self.issuing_state)

    def images(self) -> tuple[NDArray[np.uint8], NDArray[np.bool_], NDArray[np.bool_],
                              NDArray[np.bool_]]:
        """(grey page (h, w) uint8, static mask (h, w) bool, portrait mask (h, w) bool,
        static-print mask (h, w) bool), loaded once.

        Raises:
            ModelError: an image is missing or unreadable.
        """
        if "page" not in self._arrays:
            import cv2

            page = cv2.imread(str(self.image_path), cv2.IMREAD_GRAYSCALE)
            mask = cv2.imread(str(self.mask_path), cv2.IMREAD_COLOR)
            if page is None or mask is None or page.shape != mask.shape[:2]:
                raise ModelError(f"reference images of design {self.name!r} are missing or "
                                 f"broken ({self.image_path.name}, {self.mask_path.name}); "
                                 "rebuild them with scripts/build_references.py")
            # OpenCV reads BGR: red is channel 2, green channel 1, blue channel 0
            static = mask[..., 2] > 127
            self._arrays.update(page=page, static=static, portrait=mask[..., 1] > 127,
                                printed=(mask[..., 0] > 127) & static)
        return (self._arrays["page"], self._arrays["static"], self._arrays["portrait"],
                self._arrays["printed"])

    def images_digest(self) -> str:
        """SHA-256 of the reference page's and the mask's file bytes (hex)."""
        digest = hashlib.sha256()
        for path in (self.image_path, self.mask_path):
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def _keypoint_stamp(self, stamp: Mapping[str, str]) -> dict[str, str]:
        """What stored keypoints must have been made from: the caller's ``stamp`` (scale,
        method, OpenCV version), this design's resolution and its images' digest."""
        return {**stamp, "design_px_per_mm": repr(self.px_per_mm),
                "images_sha256": self.images_digest()}

    def stored_keypoints(self, stamp: Mapping[str, str]) -> dict[str, NDArray[np.float32]] | None:
        """The stored keypoints (float32 arrays named :data:`KEYPOINT_KEYS`, as
        :func:`docfraud.forensics.reference.reference_keypoints` returns them) if they were
        made as ``stamp`` says (:func:`docfraud.forensics.reference.keypoint_stamp`) from
        this design's images at its resolution; None where there are none, they were made
        otherwise, or the file is unreadable or malformed (then the caller computes them)."""
        if self.keypoints_path is None or not self.keypoints_path.is_file():
            return None
        import numpy as np

        want = self._keypoint_stamp(stamp)
        try:
            with np.load(self.keypoints_path, allow_pickle=False) as stored:
                made = {k: str(stored[f"stamp_{k}"]) if f"stamp_{k}" in stored.files else None
                        for k in want}
                if made != want:
                    logger.warning("stored keypoints of %s were made otherwise (%s); computing "
                                   "them", self.name,
                                   ", ".join(k for k in want if made[k] != want[k]))
                    return None
                arrays = {k: np.asarray(stored[k], dtype=np.float32) for k in KEYPOINT_KEYS}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
                zlib.error) as exc:
            logger.warning("stored keypoints of %s are unreadable (%s); computing them",
                           self.name, exc)
            return None
        shapes_ok = all(arrays[k].ndim == 2 and arrays[k].shape[1] == (
            2 if k.startswith("points") else 128) for k in KEYPOINT_KEYS)
        if not shapes_ok or any(len(arrays[f"points{s}"]) != len(arrays[f"descriptors{s}"])
                                for s in ("", "_smooth")):
            logger.warning("stored keypoints of %s are malformed; computing them", self.name)
            return None
        return arrays

    def save_keypoints(self, path: Path, keypoints: Mapping[str, NDArray[np.float32]], *,
                       stamp: Mapping[str, str]) -> None:
        """Store this design's keypoints with what they were made from (``stamp``, the
        design's resolution, its images' digest); descriptors as uint8 where SIFT gave
        whole numbers 0-255, as OpenCV's does, else float32."""
        import numpy as np

        arrays: dict[str, Any] = {}
        for k in KEYPOINT_KEYS:
            v = np.asarray(keypoints[k], dtype=np.float32)
            whole = k.startswith("descriptors") and bool(
                np.all((v >= 0) & (v <= 255) & (v == np.round(v))))
            arrays[k] = v.astype(np.uint8) if whole else v
        for k, value in self._keypoint_stamp(stamp).items():
            arrays[f"stamp_{k}"] = np.str_(value)
        np.savez_compressed(path, **arrays)


@dataclass(frozen=True)
class ReferenceLibrary:
    designs: tuple[ReferenceDesign, ...]
    directory: Path

    def identify(self, mrz: MrzResult | None) -> ReferenceDesign | None:
        """The one design an MRZ reading belongs to; None for none or several."""
        if mrz is None or not mrz.found:
            return None
        found = [d for d in self.designs if d.matches(mrz)]
        return found[0] if len(found) == 1 else None

    def same_kind(self, mrz: MrzResult | None) -> tuple[ReferenceDesign, ...]:
        """Every design of an MRZ reading's format, document code and issuing state,
        whatever its number: where a number lies outside every known series (a
        counterfeit's own numbering, or a misread number), the designs it may copy."""
        if mrz is None or not mrz.found:
            return ()
        return tuple(d for d in self.designs if d.same_kind(mrz))


def _box(value: Any) -> tuple[int, int, int, int] | None:
    """An index box [x, y, w, h] (positive size) or None."""
    if value is None:
        return None
    x, y, w, h = (int(v) for v in value)
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        raise ValueError(f"bad box {value!r}")
    return x, y, w, h


_LOCK = threading.Lock()
_LIBRARIES: dict[Path, ReferenceLibrary] = {}


def load_library(directory: Path = LIBRARY_DIR) -> ReferenceLibrary:
    """The reference library in ``directory`` (read once per process; an absent folder
    is an empty library).

    Raises:
        ModelError: the index is unreadable or malformed.
    """
    directory = Path(directory)
    with _LOCK:
        if directory in _LIBRARIES:
            return _LIBRARIES[directory]
        index = directory / INDEX_NAME
        designs: list[ReferenceDesign] = []
        if index.exists():
            try:
                raw = json.loads(index.read_text())
                for d in raw["designs"]:
                    re.compile(d["number_pattern"])
                    designs.append(ReferenceDesign(
                        name=str(d["name"]), format=str(d["format"]),
                        document_code=str(d["document_code"]),
                        issuing_state=str(d["issuing_state"]),
                        number_pattern=str(d["number_pattern"]),
                        px_per_mm=float(raw["px_per_mm"]),
                        portrait_overlay=bool(d["portrait_overlay"]),
                        image_path=directory / str(d["image"]),
                        mask_path=directory / str(d["mask"]),
                        portrait_box=_box(d.get("portrait_box")),
                        ghost_box=_box(d.get("ghost_box")),
                        keypoints_path=(directory / str(d["keypoints"])
                                        if d.get("keypoints") else None),
                        fields={str(k): _field_layout(v)
                                for k, v in (d.get("fields") or {}).items()},
                        typeface=_typeface(d.get("typeface"))))
            except (OSError, ValueError, KeyError, TypeError, ArithmeticError,
                    re.error) as exc:
                raise ModelError(f"reference library index {index} is unreadable: {exc}") from exc
        else:
            logger.info("no reference library at %s", directory)
        library = ReferenceLibrary(tuple(designs), directory)
        _LIBRARIES[directory] = library
        return library
