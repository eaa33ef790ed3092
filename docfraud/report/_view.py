"""What reports and exports show of a ClusterResult, redacted or not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from docfraud.cluster import ClusterResult, explain
from docfraud.signature import Signature, number_scheme

log = logging.getLogger(__name__)

#: keys of Signature.info that may appear in a redacted report
_SAFE_INFO = ("modus",)


class Redactor:
    """Keyed pseudonyms (HMAC-SHA256) for document ids, numbers and portraits.

    Agencies that share a key get the same pseudonyms for the same documents,
    so shared series can be joined; without a key a random one is drawn and
    the pseudonyms mean nothing outside this report.
    """

    def __init__(self, key: str | None = None) -> None:
        self.keyed = key is not None
        self._key = (key if key is not None else secrets.token_hex(16)).encode()

    def _h(self, kind: str, text: str, n: int) -> str:
        return hmac.new(self._key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()[:n]

    def doc(self, doc_id: str) -> str:
        return "D-" + self._h("doc", doc_id, 10)

    def number(self, number: str) -> str:
        """Scheme kept (letters, digit count), digits replaced by a pseudonym."""
        return f"{number_scheme(number)}#{self._h('num', number, 6)}"

    def portrait(self, h: tuple[int, int]) -> str:
        return "P-" + self._h("portrait", f"{min(h):016x}", 8)


@dataclass
class Node:
    """One document as shown."""

    id: str
    label: str
    series: str | None
    design: str
    risk: float
    seen: str | None
    number: str | None
    portrait: str | None
    thumbnail: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Edge:
    a: str
    b: str
    p: float
    within: bool


@dataclass
class SeriesView:
    id: str
    members: list[Node]
    shared: list[str]
    links: list[Edge]
    cohesion: float
    first_seen: str | None
    last_seen: str | None


@dataclass
class View:
    series: list[SeriesView]
    nodes: dict[str, Node]
    edges: list[Edge]
    unassigned: list[str]
    redacted: bool
    stats: dict[str, Any]


def _thumbnail(source: str | bytes | None, *, width: int = 120) -> str | None:
    """A JPEG data URI of an image file (a path) or of encoded image bytes, or None when
    it cannot be read."""
    if not source:
        return None
    if isinstance(source, str) and not Path(source).is_file():
        return None
    try:
        from PIL import Image

        from docfraud.imageio import load_image

        pixels = load_image(source)
        img = Image.fromarray(pixels)
        img.thumbnail((width, width * 2))
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="JPEG", quality=80)
    except Exception as exc:  # a broken thumbnail must not stop the report
        log.warning("no thumbnail for %s: %s",
                    source if isinstance(source, str) else "a stored preview", exc)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _portrait_groups(result: ClusterResult, rows: Any) -> list[list[int]]:
    """Rows of a series grouped by matching portrait (mirror-robust pHash within 10 bits,
    hashes of the same kind of portrait zone as :mod:`docfraud.cluster` compares them)."""
    from docfraud.cluster._pairs import portrait_comparable
    from docfraud.signature import portrait_distance

    sigs = result.table.sigs
    rows = [int(r) for r in rows if sigs[int(r)].portrait_hash is not None]
    parent = {r: r for r in rows}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if not portrait_comparable(result.table, np.array([[a, b]], np.int64))[0]:
                continue
            d = portrait_distance(sigs[a].portrait_hash, sigs[b].portrait_hash)
            if d is not None and d <= 10:
                parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for r in rows:
        groups.setdefault(find(r), []).append(r)
    return [sorted(g) for g in groups.values()]


def build_view(result: ClusterResult, *, redactor: Redactor | None = None,
               thumbnails: bool = True, max_links: int = 300,
               previews: Callable[[Signature], bytes | None] | None = None) -> View:
    """Nodes (series members), edges (scored links >= threshold) and series as shown.

    With a redactor, document ids, file names, numbers and portrait hashes are
    pseudonymised, thumbnails are left out and ``info`` keeps only safe keys. A
    member's thumbnail is made from its image file, or where that cannot be read (the
    scans moved, another machine) from ``previews`` (e.g. the preview the case database
    stores).
    """
    t = result.table
    sigs = t.sigs
    series_of: dict[int, str] = {}
    for s in result.series:
        for r in s.rows:
            series_of[int(r)] = s.id

    def thumbnail(sg: Signature, path: str) -> str | None:
        made = _thumbnail(path)
        if made is None and previews is not None:
            made = _thumbnail(previews(sg))
        return made

    def node(r: int) -> Node:
        sg = sigs[r]
        if redactor:
            return Node(id=redactor.doc(sg.doc_id), label=redactor.doc(sg.doc_id),
                        series=series_of.get(r), design=sg.design, risk=sg.risk, seen=sg.seen,
                        number=redactor.number(sg.number) if sg.number else None,
                        portrait=redactor.portrait(sg.portrait_hash) if sg.portrait_hash else None,
                        info={k: sg.info[k] for k in _SAFE_INFO if k in sg.info})
        thumb_src = sg.info.get("thumbnail") or sg.info.get("file") or sg.doc_id
        return Node(id=sg.doc_id, label=Path(sg.doc_id).name or sg.doc_id,
                    series=series_of.get(r), design=sg.design, risk=sg.risk, seen=sg.seen,
                    number=sg.number,
                    portrait=(f"{sg.portrait_hash[0]:016x}" if sg.portrait_hash else None),
                    thumbnail=thumbnail(sg, str(thumb_src)) if thumbnails else None,
                    info={k: v for k, v in sg.info.items() if k != "thumbnail"})

    nodes: dict[int, Node] = {int(r): node(int(r)) for s in result.series for r in s.rows}
    if redactor:
        # one pseudonym per reused photo: members whose portraits match share it
        for s in result.series:
            for group in _portrait_groups(result, s.rows):
                ph = sigs[int(group[0])].portrait_hash
                if ph is not None:
                    name = redactor.portrait(ph)
                    for r in group:
                        nodes[int(r)].portrait = name
    edges = [Edge(a=nodes[int(a)].id, b=nodes[int(b)].id, p=float(p),
                  within=series_of.get(int(a)) == series_of.get(int(b)))
             for (a, b), p in zip(result.edges, result.edge_p, strict=True)
             if int(a) in nodes and int(b) in nodes]
    views = []
    for s in result.series:
        order = np.argsort(-s.link_p)[:max_links]
        shared = (explain(t, s.rows, number_text=redactor.number) if redactor else s.shared)
        seen = sorted(x for x in (sigs[int(r)].seen for r in s.rows) if x)
        views.append(SeriesView(
            id=s.id, members=[nodes[int(r)] for r in s.rows], shared=shared,
            links=[Edge(a=nodes[int(s.links[k, 0])].id, b=nodes[int(s.links[k, 1])].id,
                        p=float(s.link_p[k]), within=True) for k in order],
            cohesion=float(s.link_p.mean()) if s.link_p.size else 0.0,
            first_seen=seen[0] if seen else None, last_seen=seen[-1] if seen else None))
    unassigned = [redactor.doc(sigs[int(r)].doc_id) if redactor else sigs[int(r)].doc_id
                  for r in result.unassigned]
    return View(series=views, nodes={n.id: n for n in nodes.values()}, edges=edges,
                unassigned=unassigned, redacted=redactor is not None, stats=dict(result.stats))


def view_to_dict(view: View) -> dict[str, Any]:
    """The clusters.json contract from a view (redacted when the view is)."""
    return {
        "series": [{
            "id": s.id, "members": [m.id for m in s.members], "shared": s.shared,
            "size": len(s.members), "cohesion": round(s.cohesion, 4),
            "links": [{"a": e.a, "b": e.b, "p": round(e.p, 4)} for e in s.links],
            "designs": sorted({m.design for m in s.members if m.design}),
            "first_seen": s.first_seen, "last_seen": s.last_seen,
            "documents": [{"id": m.id, "design": m.design, "risk": round(m.risk, 4),
                           "seen": m.seen, "number": m.number, "portrait": m.portrait}
                          for m in s.members],
        } for s in view.series],
        "unassigned": view.unassigned,
        "redacted": view.redacted,
        "stats": view.stats,
    }
