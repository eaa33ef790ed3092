"""Output paths given on the command line.

Commands check their output paths before any work (a screen or a clustering run can
take minutes) and turn a failed write into an :class:`~docfraud.errors.InputError`
(exit 2, one line naming the option and the path) instead of an internal error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from docfraud.errors import InputError


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # one of them does not exist (yet)
        return os.path.abspath(a) == os.path.abspath(b)


def database_file(db: str | os.PathLike[str] | None) -> str | None:
    """The file of an SQLite case database given as a path or URL; None for a server."""
    if db is None:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from docfraud.store import database_url

    try:
        url = make_url(database_url(db))
    except (InputError, ArgumentError):
        return None
    # any SQLite dialect and driver (sqlite:///, sqlite+pysqlite:///, ...)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def check_output_file(path: str | os.PathLike[str], *, option: str,
                      inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """Check that ``path`` can be written as a file: not a folder, in an existing folder,
    and none of the command's ``inputs`` (writing it would destroy that input).

    Args:
        path: the output file as given.
        option: the command-line option that named it (for the message), e.g. ``"--html"``.
        inputs: files the command reads (images, the case database, JSON lines); None
            entries are ignored.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        InputError: the path is a folder, its folder does not exist, it is not writable,
            or it is one of ``inputs``.
    """
    p = Path(path)
    for source in inputs:
        if source is not None and _same_file(p, source):
            raise InputError(f"{option} {p}: is an input of this command ({source}); "
                             "writing the output there would destroy it")
    if p.is_dir():
        raise InputError(f"{option} {p}: is a folder; give a file name")
    parent = p.parent
    if not parent.is_dir():
        raise InputError(f"{option} {p}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise InputError(f"{option} {p}: not writable")
    return p


def check_output_folder(path: str | os.PathLike[str], *, option: str) -> Path:
    """Create the output folder ``path`` (and its parents) if missing.

    Raises:
        InputError: ``path`` exists and is not a folder, or it cannot be created.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(f"{option} {p}: exists and is not a folder")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{option} {p}: cannot create the folder: {exc.strerror or exc}"
                         ) from None
    return p


@contextmanager
def writing(path: str | os.PathLike[str], *, option: str) -> Iterator[None]:
    """Turn an :class:`OSError` raised in the block into an :class:`InputError` naming
    ``option`` and ``path`` (a full disk, a folder removed meanwhile, ...)."""
    try:
        yield
    except OSError as exc:
        raise InputError(f"{option}: cannot write {path}: {exc.strerror or exc}") from None
