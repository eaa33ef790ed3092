"""Registry of forensic detectors.

A detector module decorates its :class:`~docfraud.forensics.base.Detector` subclass
with :func:`register`. On first use the registry imports every module of the
``docfraud.forensics`` package (except ``base``, ``registry`` and private modules),
so a new detector needs no edit anywhere else. A module that fails to import (a
missing optional dependency, say) is logged and left out; it never breaks the others.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from collections.abc import Iterable
from typing import TypeVar

from docfraud.errors import InputError
from docfraud.forensics.base import Analysis, Detector, DetectorResult, execute

logger = logging.getLogger(__name__)

_REGISTRY: dict[str, type[Detector]] = {}
_INSTANCES: dict[str, Detector] = {}
#: module name -> import error message, for modules that could not be loaded
DISCOVERY_ERRORS: dict[str, str] = {}
_NOT_DETECTORS = frozenset({"base", "registry"})
_discovered = False
_lock = threading.Lock()

D = TypeVar("D", bound=type[Detector])


def register(cls: D) -> D:
    """Class decorator: make a :class:`Detector` subclass available under ``cls.name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} must set a non-empty class attribute 'name'")
    existing = _REGISTRY.get(name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"detector name {name!r} already registered by {existing.__module__}")
    _REGISTRY[name] = cls
    _INSTANCES.pop(name, None)
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        package = importlib.import_module("docfraud.forensics")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name in _NOT_DETECTORS or info.name.startswith("_"):
                continue
            module_name = f"{package.__name__}.{info.name}"
            try:
                importlib.import_module(module_name)
            except Exception as exc:
                DISCOVERY_ERRORS[module_name] = f"{type(exc).__name__}: {exc}"
                logger.warning("forensic detector module %s not loaded: %s", module_name, exc)
        _discovered = True


def available_detectors() -> list[str]:
    """Names of all registered detectors, sorted."""
    _discover()
    return sorted(_REGISTRY)


def get_detector(name: str) -> Detector:
    """The (shared, stateless) instance of the detector called ``name``.

    Raises:
        InputError: no detector of that name; the message lists the available ones.
    """
    _discover()
    if name not in _REGISTRY:
        raise InputError(
            f"unknown detector {name!r}; available: {', '.join(sorted(_REGISTRY)) or 'none'}"
        )
    if name not in _INSTANCES:
        _INSTANCES[name] = _REGISTRY[name]()
    return _INSTANCES[name]


def run_detectors(
    analysis: Analysis, names: Iterable[str] | None = None
) -> list[DetectorResult]:
    """Run detectors on one analysis; never raises for a detector's own failure.

    Args:
        analysis: the document to examine.
        names: detector names to run, in order; None runs all, sorted by name.

    Returns:
        One :class:`DetectorResult` per detector, in the order run.

    Raises:
        InputError: a name in ``names`` is not a registered detector.
    """
    selected = available_detectors() if names is None else list(names)
    detectors = [get_detector(n) for n in selected]  # validate all names before running
    return [execute(d, analysis) for d in detectors]
