"""Reports for people: the screening page of one document, series reports, exports.

Series reports and exports: :func:`build_view` turns a
:class:`docfraud.cluster.ClusterResult` into what is shown (optionally
pseudonymised by a :class:`Redactor`); :func:`write_html` renders the analyst
report; :mod:`docfraud.report.exports` writes GraphML, GEXF, i2 ANX, Neo4j CSV
and JSON from the same view. Names load lazily, so importing a submodule (the
screening page) does not import the clustering engine.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    "Redactor": "docfraud.report._view",
    "View": "docfraud.report._view",
    "build_view": "docfraud.report._view",
    "view_to_dict": "docfraud.report._view",
    "NEO4J_HEADERS": "docfraud.report.exports",
    "write_anx": "docfraud.report.exports",
    "write_gexf": "docfraud.report.exports",
    "write_graphml": "docfraud.report.exports",
    "write_json": "docfraud.report.exports",
    "write_neo4j_csv": "docfraud.report.exports",
    "render_html": "docfraud.report.html",
    "write_html": "docfraud.report.html",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'docfraud.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
