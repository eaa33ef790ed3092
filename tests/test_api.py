"""The package's public names (DESIGN.md: lazy, cheap to import)."""

from __future__ import annotations

import subprocess
import sys


def test_public_names_resolve_lazily() -> None:
    import docfraud
    from docfraud.mrz import parse, read

    assert docfraud.read_mrz is read and docfraud.parse_mrz is parse
    assert callable(docfraud.read_mrz) and docfraud.read_mrz.__module__ == "docfraud.mrz.read"
    assert "read_mrz" in docfraud.__all__ and "read_mrz" in dir(docfraud)
    # importing the package loads none of the heavy dependencies
    code = ("import sys, docfraud; heavy = {'cv2', 'torch', 'pytesseract', 'skimage'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", out
