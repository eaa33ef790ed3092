"""Fonts used to print synthetic documents.

Genuine documents use OCR-B (``fonts-ocr-b``) for the MRZ and DejaVu
(``fonts-dejavu-core``) for the visual zone. Forgers' substitute fonts prefer
Liberation (``fonts-liberation``) and fall back to other DejaVu faces, so the
generator runs wherever the two required packages are installed. Folders named in
the environment variable ``DOCFRAUD_FONT_DIRS`` (separated by ``os.pathsep``) are
searched first, for machines where the fonts are not installed as packages.
"""

from __future__ import annotations

import logging
import os
from functools import cache, lru_cache

from PIL import ImageFont

from docfraud.errors import DocfraudError

logger = logging.getLogger(__name__)

_DIRS = (
    "/usr/share/fonts/opentype/ocr-b",
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/liberation2",
)

#: logical font name -> candidate file names, best first
FONT_FILES: dict[str, tuple[str, ...]] = {
    "ocrb": ("OCRB.otf",),
    "sans": ("DejaVuSans.ttf",),
    "sans_bold": ("DejaVuSans-Bold.ttf",),
    "serif": ("DejaVuSerif.ttf",),
    "serif_bold": ("DejaVuSerif-Bold.ttf",),
    "mono": ("DejaVuSansMono.ttf",),
    "mono_bold": ("DejaVuSansMono-Bold.ttf",),
    # substitute fonts of forgers
    "alt_sans": ("LiberationSans-Regular.ttf", "DejaVuSerif.ttf"),
    "alt_sans_bold": ("LiberationSans-Bold.ttf", "DejaVuSerif-Bold.ttf"),
    "alt_serif": ("LiberationSerif-Regular.ttf", "DejaVuSerif.ttf"),
    "alt_mono": ("LiberationMono-Regular.ttf", "DejaVuSansMono.ttf"),
}


class FontError(DocfraudError):
    """A font the synthetic-document generator needs is not installed."""


def find_font_file(file: str) -> str | None:
    """Absolute path of the font file named ``file`` (e.g. ``DejaVuSans-Bold.ttf``) in
    the folders of ``DOCFRAUD_FONT_DIRS`` or the Debian font folders; None where absent."""
    extra = [d for d in os.environ.get("DOCFRAUD_FONT_DIRS", "").split(os.pathsep) if d]
    for folder in (*extra, *_DIRS):
        path = os.path.join(folder, file)
        if os.path.exists(path):
            return path
    return None


@cache
def font_path(name: str) -> str:
    """Absolute path of logical font ``name`` (see :data:`FONT_FILES`).

    Raises:
        FontError: unknown name, or none of its files is installed.
    """
    files = FONT_FILES.get(name)
    if files is None:
        raise FontError(f"unknown font {name!r}; choose one of {', '.join(FONT_FILES)}")
    for i, file in enumerate(files):
        path = find_font_file(file)
        if path is not None:
            if i:
                logger.info("font %s: %s missing, using %s", name, files[0], file)
            return path
    raise FontError(
        f"font {name!r} ({' or '.join(files)}) is not installed; "
        "install fonts-ocr-b and fonts-dejavu-core (scripts/setup.sh)"
    )


@lru_cache(maxsize=512)
def get_font(name: str, size_px: int) -> ImageFont.FreeTypeFont:
    """Logical font ``name`` at ``size_px`` pixels per em (cached)."""
    return ImageFont.truetype(font_path(name), max(4, int(size_px)))


@lru_cache(maxsize=64)
def cap_ratio(name: str) -> float:
    """Height of a capital 'H' divided by the em size, for sizing text by cap height."""
    font = get_font(name, 200)
    _left, top, _right, bottom = font.getbbox("H")
    return (bottom - top) / 200.0


def font_for_cap_height(name: str, cap_px: float) -> ImageFont.FreeTypeFont:
    """Font ``name`` sized so that capitals are ``cap_px`` pixels tall."""
    return get_font(name, round(cap_px / cap_ratio(name)))
