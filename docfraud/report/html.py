"""Series report as one self-contained HTML file (Jinja2; inline SVG, no scripts, offline)."""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

from docfraud.report._view import SeriesView, View

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#17becf", "#bcbd22", "#7f7f7f")


def _layout(series: SeriesView, *, size: float, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Spring layout of one series in a size x size box (networkx, fixed seed)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(m.id for m in series.members)
    g.add_weighted_edges_from((e.a, e.b, e.p) for e in series.links)
    if len(g) == 1:
        return {next(iter(g)): (size / 2, size / 2)}
    pos = nx.spring_layout(g, seed=seed, weight="weight", iterations=60)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    pad = 0.1 * size
    return {k: (pad + (v[0] - min(xs)) / span * (size - 2 * pad),
                pad + (v[1] - min(ys)) / span * (size - 2 * pad)) for k, v in pos.items()}


def _network_svg(series: list[SeriesView], *, cell: float = 150.0, cols: int = 6) -> dict[str, Any]:
    """Overview picture: each series laid out in its own grid cell."""
    nodes, edges, labels = [], [], []
    for si, s in enumerate(series):
        ox, oy = cell * (si % cols), cell * (si // cols)
        pos = _layout(s, size=cell - 20)
        colour = _PALETTE[si % len(_PALETTE)]
        for e in s.links:
            (x1, y1), (x2, y2) = pos[e.a], pos[e.b]
            edges.append({"x1": ox + 10 + x1, "y1": oy + 18 + y1, "x2": ox + 10 + x2,
                          "y2": oy + 18 + y2, "opacity": round(0.2 + 0.8 * e.p, 2)})
        for m in s.members:
            x, y = pos[m.id]
            nodes.append({"x": ox + 10 + x, "y": oy + 18 + y, "colour": colour,
                          "title": m.label})
        labels.append({"x": ox + 8, "y": oy + 14, "text": f"{s.id} ({len(s.members)})"})
    rows = max(1, math.ceil(len(series) / cols))
    return {"width": cell * min(cols, max(len(series), 1)), "height": cell * rows + 10,
            "nodes": nodes, "edges": edges, "labels": labels}


def _day(iso: str | None) -> int | None:
    if not iso:
        return None
    try:
        return _dt.date.fromisoformat(iso[:10]).toordinal()
    except ValueError:
        return None


def _timeline(series: SeriesView, lo: int, hi: int, *, width: float = 600.0) -> dict[str, Any]:
    days = [d for d in (_day(m.seen) for m in series.members) if d is not None]
    span = max(hi - lo, 1)
    ticks: list[dict[str, Any]] = []
    if lo < 1:  # no member has a date: an empty timeline
        return {"width": width, "dots": [], "ticks": ticks}
    start = _dt.date.fromordinal(lo)
    for year in range(start.year, _dt.date.fromordinal(hi).year + 2):
        for month in (1, 7):
            d = _dt.date(year, month, 1).toordinal()
            if lo <= d <= hi:
                ticks.append({"x": 10 + (d - lo) / span * (width - 20),
                              "text": f"{year}-{month:02d}"})
    return {"width": width, "dots": [10 + (d - lo) / span * (width - 20) for d in days],
            "ticks": ticks}


def render_html(view: View, *, title: str = "docfraud series report",
                max_network: int = 36, max_series: int = 200) -> str:
    """The report as an HTML string.

    Args:
        view: what to show (see :func:`docfraud.report.build_view`).
        title: page title.
        max_network: series drawn in the network overview (largest first).
        max_series: series given a detail section (largest first); the rest are listed.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
        lstrip_blocks=True)
    template = env.get_template("series.html.j2")
    all_days = [d for d in (_day(m.seen) for s in view.series for m in s.members) if d]
    lo, hi = (min(all_days), max(all_days)) if all_days else (0, 1)
    details = []
    for si, s in enumerate(view.series[:max_series]):
        pos = _layout(s, size=220)
        details.append({
            "s": s, "colour": _PALETTE[si % len(_PALETTE)],
            "net": {"nodes": [{"x": pos[m.id][0], "y": pos[m.id][1], "title": m.label}
                              for m in s.members],
                    "edges": [{"x1": pos[e.a][0], "y1": pos[e.a][1], "x2": pos[e.b][0],
                               "y2": pos[e.b][1], "opacity": round(0.2 + 0.8 * e.p, 2)}
                              for e in s.links]},
            "timeline": _timeline(s, lo, hi),
            "top_links": s.links[:15],
        })
    return template.render(
        title=title, view=view, network=_network_svg(view.series[:max_network]),
        details=details, more=view.series[max_series:],
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        n_series_docs=sum(len(s.members) for s in view.series))


def write_html(view: View, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`render_html` to ``path``."""
    Path(path).write_text(render_html(view, **kwargs), encoding="utf-8")
    return Path(path)
