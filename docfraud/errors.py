"""Exceptions raised by docfraud and the CLI exit codes they map to.

An *expected* outcome (a failed check digit, an image without an MRZ) is
returned as a value, never raised. Exceptions are for input that cannot be
processed at all: malformed MRZ text, a corrupt or hostile image file.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_REFER = 10
EXIT_REJECT = 20


class DocfraudError(Exception):
    """Base class of every error docfraud raises on purpose."""

    exit_code: int = EXIT_INTERNAL


class InputError(DocfraudError, ValueError):
    """The input cannot be processed (bad usage, unreadable data)."""

    exit_code = EXIT_USAGE


class MrzFormatError(InputError):
    """MRZ text that no known format can describe.

    Attributes:
        line: 0-based line index of the offending character, or None.
        position: 0-based column of the offending character, or None.
        char: the offending character, or None.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        position: int | None = None,
        char: str | None = None,
    ) -> None:
        super().__init__(message)
        self.line = line
        self.position = position
        self.char = char


class ImageError(InputError):
    """An image file that is empty, corrupt, truncated, too large or not an image."""


class ModelError(DocfraudError):
    """A trained model file is missing or unusable."""


class OcrError(DocfraudError):
    """Tesseract is not installed or cannot run (no program, no language data, a crash)."""
