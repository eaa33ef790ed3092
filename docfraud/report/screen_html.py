"""The HTML page of one screened document: image, heatmaps, regions, findings in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from docfraud.report.overlay import fit_size, heatmap_data_uri, image_data_uri

if TYPE_CHECKING:
    from docfraud.screen import ScreenReport

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )


def render_screen_html(report: ScreenReport, *, max_side: int = 1000) -> str:
    """Render ``report`` as a self-contained HTML page (images embedded as data URIs)."""
    from docfraud import __version__

    assert report.analysis is not None, "the report must keep its analysis for images"
    pixels = report.analysis.pixels
    width, height, _ = fit_size((pixels.shape[0], pixels.shape[1]), max_side)
    # regions and zones are in the image as given (the analysed pixels may be a working
    # copy of a large image)
    scale = width / max(report.image_size[1], 1)

    def box(b: tuple[int, int, int, int] | list[int]) -> dict[str, float]:
        x, y, w, h = b
        return {"x": x * scale, "y": y * scale, "w": max(w * scale, 2), "h": max(h * scale, 2)}

    heatmaps = [
        {"name": r.detector, "uri": heatmap_data_uri(r.heatmap, width=width, height=height)}
        for r in report.results
        if r.heatmap is not None and r.status == "ok" and (r.score or 0) >= 0.3
    ]
    regions = [
        {**box(f.region), "code": f.code, "message": f.message}
        for r in report.results for f in r.findings if f.region is not None
    ]
    zones = [{**box(b), "name": name} for name, b in report.zones.items()]
    data = report.to_dict()
    return str(_environment().get_template("screen.html.j2").render(
        file=report.file, sha256=report.sha256, risk=data["risk"], mrz=data["mrz"],
        findings=data["findings"], detectors=data["detectors"], timing_ms=report.timing_ms,
        image=image_data_uri(pixels, max_side=max_side), width=width, height=height,
        heatmaps=heatmaps, regions=regions, zones=zones, version=__version__,
    ))
