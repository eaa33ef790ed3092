"""Exports of series networks: GraphML, GEXF, i2 ANX, Neo4j CSV and JSON.

All exports take a :class:`~docfraud.report._view.View` (redacted or not), so
what is shared is exactly what the HTML report shows.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from docfraud.report._view import View, view_to_dict

#: Neo4j CSV files written by :func:`write_neo4j_csv` and their headers (neo4j-admin import)
NEO4J_HEADERS: dict[str, list[str]] = {
    "documents.csv": ["docId:ID(Document)", "label", "design", "risk:float", "seen", "number",
                      "portrait", "series", ":LABEL"],
    "series.csv": ["seriesId:ID(Series)", "size:int", "cohesion:float", "firstSeen",
                   "lastSeen", "shared:string[]", ":LABEL"],
    "links.csv": [":START_ID(Document)", ":END_ID(Document)", "probability:float",
                  "withinSeries:boolean", ":TYPE"],
    "members.csv": [":START_ID(Document)", ":END_ID(Series)", ":TYPE"],
}


def to_networkx(view: View) -> Any:
    """networkx Graph: nodes = series members (attributes series, design, risk, seen,
    number, portrait), edges = links (probability, within_series)."""
    import networkx as nx

    g = nx.Graph()
    for n in view.nodes.values():
        g.add_node(n.id, label=n.label, series=n.series or "", design=n.design,
                   risk=float(n.risk), seen=n.seen or "", number=n.number or "",
                   portrait=n.portrait or "")
    for e in view.edges:
        g.add_edge(e.a, e.b, probability=float(e.p), within_series=bool(e.within))
    return g


#: characters XML 1.0 cannot hold: C0 controls but tab, new line and carriage return;
#: lone surrogates; U+FFFE and U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold written ``\\x1b``-style: a file
    name from a seizure may hold one, and it made the whole GraphML, GEXF or ANX file
    unreadable (not well-formed)."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _xml_ids(view: View) -> dict[str, str]:
    """Document id -> :func:`xml_text` of it, one to one (ESC and a typed ``\\x1b`` are
    written alike: the later gets `` #2``)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for n in view.nodes:
        name = base = xml_text(n)
        k = 1
        while name in taken:
            k += 1
            name = f"{base} #{k}"
        names[n] = name
        taken.add(name)
    return names


def _xml_graph(view: View) -> Any:
    """:func:`to_networkx` with node ids and string attributes made :func:`xml_text`."""
    import networkx as nx

    g = nx.relabel_nodes(to_networkx(view), _xml_ids(view))
    for _, attrs in g.nodes(data=True):
        for k, v in attrs.items():
            if isinstance(v, str):
                attrs[k] = xml_text(v)
    return g


def write_graphml(view: View, path: str | Path) -> Path:
    """GraphML file (networkx writer)."""
    import networkx as nx

    nx.write_graphml(_xml_graph(view), str(path))
    return Path(path)


def write_gexf(view: View, path: str | Path) -> Path:
    """GEXF 1.2 file (networkx writer), for Gephi."""
    import networkx as nx

    nx.write_gexf(_xml_graph(view), str(path))
    return Path(path)


def write_json(view: View, path: str | Path) -> Path:
    """clusters.json contract plus the graph in node-link form."""
    import networkx as nx

    data = view_to_dict(view)
    data["graph"] = nx.node_link_data(to_networkx(view), edges="links")
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return Path(path)


def write_neo4j_csv(view: View, directory: str | Path) -> list[Path]:
    """CSV files for ``neo4j-admin database import full``.

    Writes documents.csv and series.csv (nodes), links.csv (LINKED_TO) and
    members.csv (MEMBER_OF); arrays use ``;`` (neo4j-admin's default). Import with::

        neo4j-admin database import full --nodes=Document=documents.csv \\
            --nodes=Series=series.csv --relationships=links.csv \\
            --relationships=members.csv neo4j
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out = []

    def write(name: str, rows: list[list[Any]]) -> None:
        p = d / name
        with p.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(NEO4J_HEADERS[name])
            w.writerows(rows)
        out.append(p)

    write("documents.csv", [[n.id, n.label, n.design, f"{n.risk:.4f}", n.seen or "",
                             n.number or "", n.portrait or "", n.series or "", "Document"]
                            for n in view.nodes.values()])
    write("series.csv", [[s.id, len(s.members), f"{s.cohesion:.4f}", s.first_seen or "",
                          s.last_seen or "", ";".join(x.replace(";", ",") for x in s.shared),
                          "Series"] for s in view.series])
    write("links.csv", [[e.a, e.b, f"{e.p:.4f}", "true" if e.within else "false", "LINKED_TO"]
                        for e in view.edges])
    write("members.csv", [[m.id, s.id, "MEMBER_OF"] for s in view.series for m in s.members])
    return out


def write_anx(view: View, path: str | Path) -> Path:
    """i2 Analyst's Notebook chart (ANX XML): Document and Series entities, LINKED_TO
    links with their probability, MEMBER_OF links from documents to their series."""
    chart = ET.Element("Chart", {"IdReferenceLinking": "false", "Rigorous": "false"})
    ets = ET.SubElement(chart, "EntityTypeCollection")
    ET.SubElement(ets, "EntityType", {"Name": "Document", "IconFile": "Document"})
    ET.SubElement(ets, "EntityType", {"Name": "Series", "IconFile": "Organisation"})
    lts = ET.SubElement(chart, "LinkTypeCollection")
    ET.SubElement(lts, "LinkType", {"Name": "LINKED_TO", "Colour": "0"})
    ET.SubElement(lts, "LinkType", {"Name": "MEMBER_OF", "Colour": "8421504"})
    acs = ET.SubElement(chart, "AttributeClassCollection")
    for name, typ in (("Risk", "AttNumber"), ("Probability", "AttNumber"),
                      ("Design", "AttText"), ("Seen", "AttText"), ("Shared", "AttText")):
        ET.SubElement(acs, "AttributeClass", {"Name": name, "Type": typ})
    items = ET.SubElement(chart, "ChartItemCollection")
    ids = _xml_ids(view)

    def entity(eid: str, label: str, etype: str, x: int, y: int,
               attrs: dict[str, str]) -> None:
        eid, label = ids.get(eid) or xml_text(eid), xml_text(label)
        item = ET.SubElement(items, "ChartItem", {"Label": label, "Description": ""})
        end = ET.SubElement(item, "End", {"X": str(x), "Y": str(y)})
        ent = ET.SubElement(end, "Entity", {"EntityId": eid, "Identity": label})
        icon = ET.SubElement(ent, "Icon")
        ET.SubElement(icon, "IconStyle", {"Type": etype})
        coll = ET.SubElement(item, "AttributeCollection")
        for k, v in attrs.items():
            ET.SubElement(coll, "Attribute", {"AttributeClass": k, "Value": xml_text(v)})

    def link(a: str, b: str, ltype: str, label: str, attrs: dict[str, str]) -> None:
        a, b = ids.get(a) or xml_text(a), ids.get(b) or xml_text(b)
        item = ET.SubElement(items, "ChartItem", {"Label": label})
        ln = ET.SubElement(item, "Link", {"End1Id": a, "End2Id": b})
        ET.SubElement(ln, "LinkStyle", {"Type": ltype, "ArrowStyle": "ArrowNone", "Strength": "1"})
        coll = ET.SubElement(item, "AttributeCollection")
        for k, v in attrs.items():
            ET.SubElement(coll, "Attribute", {"AttributeClass": k, "Value": v})

    for si, s in enumerate(view.series):
        entity(f"series:{s.id}", s.id, "Series", 400 * (si % 10), 600 * (si // 10),
               {"Shared": "; ".join(s.shared)})
        for mi, m in enumerate(s.members):
            entity(m.id, m.label, "Document", 400 * (si % 10) + 60 * (mi % 6) - 150,
                   600 * (si // 10) + 120 + 60 * (mi // 6),
                   {"Risk": f"{m.risk:.3f}", "Design": m.design, "Seen": m.seen or ""})
    for e in view.edges:
        link(e.a, e.b, "LINKED_TO", f"{e.p:.2f}", {"Probability": f"{e.p:.4f}"})
    for s in view.series:
        for m in s.members:
            link(m.id, f"series:{s.id}", "MEMBER_OF", "member", {})
    ET.indent(chart)
    ET.ElementTree(chart).write(str(path), encoding="utf-8", xml_declaration=True)
    return Path(path)
