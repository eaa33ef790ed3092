"""docfraud: detect fraudulent travel and identity documents and map forgery networks.

The package imports lazily: ``import docfraud`` is cheap, and heavy
dependencies (torch, OpenCV, Tesseract) load only when a function needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "parse_mrz": "docfraud.mrz",
    "read_mrz": "docfraud.mrz",
    "generate_mrz": "docfraud.mrz",
    "repair_mrz": "docfraud.mrz",
    "MrzResult": "docfraud.mrz",
    "load_image": "docfraud.imageio",
    "load_document": "docfraud.imageio",
    "Finding": "docfraud.findings",
    "DocfraudError": "docfraud.errors",
}

_ALIASES: dict[str, str] = {
    "parse_mrz": "parse",
    "read_mrz": "read",
    "generate_mrz": "generate",
    "repair_mrz": "repair",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'docfraud' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), _ALIASES.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
