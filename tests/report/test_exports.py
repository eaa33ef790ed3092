from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from docfraud.cluster import ClusterResult, cluster
from docfraud.cluster.synthetic import generate
from docfraud.report import (
    NEO4J_HEADERS,
    Redactor,
    build_view,
    render_html,
    write_anx,
    write_gexf,
    write_graphml,
    write_json,
    write_neo4j_csv,
)


@pytest.fixture(scope="module")
def result() -> ClusterResult:
    return cluster(generate(seed=2718, workshops=6, lone=20, genuine=200, prefix="x"))


def test_graphml_and_gexf_load_back(result: ClusterResult, tmp_path: Path) -> None:
    view = build_view(result, thumbnails=False)
    n_members = sum(len(s.members) for s in view.series)
    for writer, reader, name in ((write_graphml, nx.read_graphml, "g.graphml"),
                                 (write_gexf, nx.read_gexf, "g.gexf")):
        p = writer(view, tmp_path / name)
        g = reader(p)
        assert g.number_of_nodes() == n_members
        assert g.number_of_edges() == len(view.edges)
        _, attrs = next(iter(g.nodes(data=True)))
        assert attrs["series"].startswith("S")
        _, _, e = next(iter(g.edges(data=True)))
        assert 0.0 <= float(e["probability"]) <= 1.0


_NEO4J_TYPES = {"int", "long", "float", "double", "boolean", "byte", "short", "char", "string",
                "date", "localtime", "time", "localdatetime", "datetime", "duration", "point"}


def _check_neo4j_header(header: list[str]) -> dict[str, str]:
    """Validate header fields against neo4j-admin import's syntax; return id-space per role."""
    roles: dict[str, str] = {}
    for field in header:
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)?(?::(\w+)(?:\((\w+)\))?(\[\])?)?", field)
        assert m, f"bad header field {field!r}"
        name, typ, group, _ = m.groups()
        if typ in ("ID", "START_ID", "END_ID"):
            roles[typ] = group or ""
        elif typ in ("LABEL", "TYPE", "IGNORE"):
            assert name is None, field
        elif typ is not None:
            assert typ.lower() in _NEO4J_TYPES, field
        else:
            assert name, field
    return roles


def test_neo4j_csv_headers_and_references(result: ClusterResult, tmp_path: Path) -> None:
    view = build_view(result, thumbnails=False)
    files = write_neo4j_csv(view, tmp_path / "neo")
    assert sorted(p.name for p in files) == sorted(NEO4J_HEADERS)
    ids: dict[str, set[str]] = {}
    rels = []
    for p in files:
        with p.open(newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        roles = _check_neo4j_header(header)
        assert all(len(r) == len(header) for r in body)
        if "ID" in roles:  # node file: exactly one :ID, unique ids, a label
            assert "START_ID" not in roles and ":LABEL" in header
            col = next(i for i, h in enumerate(header) if ":ID" in h)
            vals = [r[col] for r in body]
            assert len(vals) == len(set(vals))
            ids[roles["ID"]] = set(vals)
        else:
            assert {"START_ID", "END_ID"} <= set(roles) and ":TYPE" in header
            rels.append((roles, header, body))
    for roles, header, body in rels:
        s = header.index(f":START_ID({roles['START_ID']})")
        e = header.index(f":END_ID({roles['END_ID']})")
        assert all(r[s] in ids[roles["START_ID"]] and r[e] in ids[roles["END_ID"]] for r in body)
        assert body


def test_anx_is_well_formed_and_consistent(result: ClusterResult, tmp_path: Path) -> None:
    view = build_view(result, thumbnails=False)
    root = ET.parse(write_anx(view, tmp_path / "c.anx")).getroot()
    assert root.tag == "Chart"
    entities = {e.get("EntityId") for e in root.iter("Entity")}
    links = list(root.iter("Link"))
    assert len(entities) == len(view.nodes) + len(view.series)
    assert len(links) == len(view.edges) + sum(len(s.members) for s in view.series)
    assert all(ln.get("End1Id") in entities and ln.get("End2Id") in entities for ln in links)
    types = {t.get("Name") for t in root.iter("EntityType")}
    assert {s.get("Type") for s in root.iter("IconStyle")} <= types


def test_json_export_round_trips(result: ClusterResult, tmp_path: Path) -> None:
    view = build_view(result, thumbnails=False)
    d = json.loads(write_json(view, tmp_path / "c.json").read_text())
    g = nx.node_link_graph(d["graph"], edges="links")
    assert g.number_of_nodes() == len(view.nodes)
    assert [s["id"] for s in d["series"]] == [s.id for s in view.series]


def test_redaction_leaves_no_identifiers(result: ClusterResult, tmp_path: Path) -> None:
    view = build_view(result, redactor=Redactor("shared-key"))
    outputs = [render_html(view),
               write_graphml(view, tmp_path / "g.graphml").read_text(),
               write_gexf(view, tmp_path / "g.gexf").read_text(),
               write_anx(view, tmp_path / "c.anx").read_text(),
               write_json(view, tmp_path / "c.json").read_text()]
    outputs += [p.read_text() for p in write_neo4j_csv(view, tmp_path / "neo")]
    secrets = set()
    for s in result.series:
        for r in s.rows:
            sig = result.table.sigs[int(r)]
            secrets.add(sig.doc_id)
            if sig.number:
                secrets.add(sig.number)
            if sig.portrait_hash:
                secrets.add(f"{sig.portrait_hash[0]:016x}")
    for text in outputs:
        leaked = [x for x in secrets if x in text]
        assert not leaked, leaked[:3]
    assert "data:image" not in outputs[0]
    # the same key gives the same pseudonyms (agencies can join shared series)
    again = build_view(result, redactor=Redactor("shared-key"))
    assert [m.id for m in again.series[0].members] == [m.id for m in view.series[0].members]
    other = build_view(result, redactor=Redactor("other-key"))
    assert other.series[0].members[0].id != view.series[0].members[0].id
    # members sharing a reused photo share one portrait pseudonym
    portraits = [m.portrait for s in view.series for m in s.members]
    assert len(set(portraits)) < len(portraits)


def test_redacted_portrait_names_follow_the_zone_kind() -> None:
    """One photo hashed in the design's box and in the nominal zone is not 'the same
    portrait' for the cluster, nor for the pseudonyms a redacted report gives."""
    from docfraud.report._view import _portrait_groups
    from docfraud.signature import Signature

    base = generate(seed=2719, workshops=2, lone=0, genuine=40, prefix="z")
    h = (0x0123456789ABCDEF, 0xFEDCBA9876543210)

    def sig(name: str, zone: str | None) -> Signature:
        return Signature(doc_id=name, portrait_hash=h, risk=0.9, number="K1000",
                         tokens={"portrait_zone": zone} if zone else {})

    res = cluster([*base, sig("d1", "design"), sig("d2", "design"), sig("n1", "nominal")])
    rows = [i for i, s in enumerate(res.table.sigs) if s.doc_id in ("d1", "d2", "n1")]
    names = {frozenset(res.table.sigs[r].doc_id for r in g)
             for g in _portrait_groups(res, rows)}
    assert names == {frozenset({"d1", "d2"}), frozenset({"n1"})}


def test_xml_exports_stay_well_formed_with_control_characters_in_file_names(
        tmp_path: Path) -> None:
    """Seized file names may hold characters XML 1.0 cannot (ESC, form feed): one of them
    made the whole GraphML, GEXF and ANX file unreadable for Gephi and i2. They are
    written escaped (``\\x1b``); the JSON export keeps the names as they are."""
    sigs = generate(seed=31, workshops=3, lone=2, genuine=30, prefix="c")
    for s in sigs:
        s.doc_id = f"scan\x1b[8m\x0c{s.doc_id}.jpg"
    view = build_view(cluster(sigs), thumbnails=False)
    member = view.series[0].members[0].id
    assert "\x1b" in member
    for writer, name in ((write_graphml, "g.graphml"), (write_gexf, "g.gexf"),
                         (write_anx, "c.anx")):
        path = writer(view, tmp_path / name)
        root = ET.parse(path).getroot()  # raised ParseError: not well-formed
        ids = {el.get("id") or el.get("EntityId") for el in root.iter()}
        assert member.replace("\x1b", "\\x1b").replace("\x0c", "\\x0c") in ids, name
    data = json.loads(write_json(view, tmp_path / "g.json").read_text())
    assert member in data["series"][0]["members"]


def test_xml_exports_keep_two_names_that_escape_alike_apart(tmp_path: Path) -> None:
    """A name holding ESC and one holding the typed text ``\\x1b`` are written alike; they
    stay two nodes (GraphML was merging them)."""
    import networkx as nx

    sigs = generate(seed=31, workshops=3, lone=2, genuine=30, prefix="c")
    view0 = build_view(cluster(sigs), thumbnails=False)
    a, b = view0.series[0].members[:2]
    for s in sigs:
        if s.doc_id == a.id:
            s.doc_id = "scan\x1b.jpg"
        elif s.doc_id == b.id:
            s.doc_id = "scan\\x1b.jpg"
    view = build_view(cluster(sigs), thumbnails=False)
    assert {"scan\x1b.jpg", "scan\\x1b.jpg"} <= set(view.nodes)
    g = nx.read_graphml(write_graphml(view, tmp_path / "g.graphml"))
    assert g.number_of_nodes() == len(view.nodes)
    root = ET.parse(write_anx(view, tmp_path / "c.anx")).getroot()
    ids = [el.get("EntityId") for el in root.iter() if el.get("EntityId")]
    assert len(ids) == len(set(ids))
