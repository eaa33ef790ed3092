"""Reports for people: the screening page of one document, series reports, exports.

Series reports and exports:
:func:`build_view` turns a :class:`docfraud.cluster.ClusterResult` into what is
shown (optionally pseudonymised by a :class:`Redactor`); :func:`write_html`
renders the analyst report; :mod:`docfraud.report.exports` writes GraphML,
GEXF, i2 ANX, Neo4j CSV and JSON from the same view.
"""

from __future__ import annotations

from docfraud.report._view import Redactor, View, build_view, view_to_dict
from docfraud.report.exports import (
    NEO4J_HEADERS,
    write_anx,
    write_gexf,
    write_graphml,
    write_json,
    write_neo4j_csv,
)
from docfraud.report.html import render_html, write_html

__all__ = [
    "NEO4J_HEADERS",
    "Redactor",
    "View",
    "build_view",
    "render_html",
    "view_to_dict",
    "write_anx",
    "write_gexf",
    "write_graphml",
    "write_html",
    "write_json",
    "write_neo4j_csv",
]
