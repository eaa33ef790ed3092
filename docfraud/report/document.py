"""Per-document examination report (self-contained HTML) from a case database record.

The report shows the document with its heatmaps and finding regions overlaid,
the findings, the MRZ, the forgery signature and the series the document was
linked into. Images are embedded as ``data:`` URIs so the file can be archived
or mailed on its own.

Assets it uses, when the pipeline stored them (see ``docs/batch.md``):

* ``preview.jpg`` / ``preview.png``: the document image. Without it the report
  reads the first source file that still exists and makes a preview.
* ``heatmap/<detector>.png``: (H, W) grayscale or RGBA heatmaps, stretched over
  the document; each can be switched on and off.

Finding regions ``[x, y, w, h]`` are in pixels of the full document image, whose
size is taken from ``result["image"] = {"width", "height"}`` when present, else
from the decoded source file, else from the preview.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

logger = logging.getLogger(__name__)

#: Longest side of a preview made from the source file, in pixels.
PREVIEW_MAX_SIDE = 1600
SEVERITY_COLOURS = {"high": "#d7263d", "medium": "#f49d37", "low": "#3f88c5"}


def _data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _image_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return int(im.size[0]), int(im.size[1])
    except Exception:
        return None


def _preview_from_files(files: Sequence[str]) -> tuple[bytes, tuple[int, int]] | None:
    """A JPEG preview (longest side <= PREVIEW_MAX_SIDE) and the full (W, H) of the first
    readable source file, or None."""
    from PIL import Image

    from docfraud.errors import DocfraudError
    from docfraud.imageio import load_image

    for path in files:
        if not os.path.isfile(path):
            continue
        try:
            pixels = load_image(path)
        except DocfraudError as exc:
            logger.info("no preview from %s: %s", path, exc)
            continue
        h, w = pixels.shape[:2]
        im = Image.fromarray(pixels)
        im.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=85)
        return buf.getvalue(), (w, h)
    return None


def _overlay_regions(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, f in enumerate(findings, start=1):
        region = f.get("region")
        if not (isinstance(region, list | tuple) and len(region) == 4):
            continue
        try:
            x, y, w, h = (float(v) for v in region)
        except (TypeError, ValueError):
            continue
        out.append({"n": i, "x": x, "y": y, "w": max(w, 1.0), "h": max(h, 1.0),
                    "colour": SEVERITY_COLOURS.get(str(f.get("severity")), "#666666"),
                    "code": f.get("code")})
    return out


def render_document_report(record: Mapping[str, Any], *,
                           extra_series: Sequence[Mapping[str, Any]] = ()) -> str:
    """Render one record (as :meth:`docfraud.store.Store.get` returns it) to HTML.

    Args:
        record: the stored record: columns, ``result``, ``signature``, ``files``,
            ``assets`` (name -> (media_type, bytes)), ``series``.
        extra_series: series dicts from a ``clusters.json`` file that name this document.

    Returns:
        A complete, self-contained HTML document (str).
    """
    import jinja2

    result: dict[str, Any] = dict(record.get("result") or {})
    assets: Mapping[str, tuple[str, bytes]] = record.get("assets") or {}
    files: list[str] = list(record.get("files") or [record.get("file", "")])
    raw_findings = result.get("findings")
    findings: list[dict[str, Any]] = [f for f in (raw_findings or []) if isinstance(f, dict)]

    preview_uri = None
    size: tuple[int, int] | None = None
    image_info = result.get("image")
    if isinstance(image_info, Mapping) and image_info.get("width") and image_info.get("height"):
        size = (int(image_info["width"]), int(image_info["height"]))
    preview_source = None
    for name in sorted(assets):
        if name.startswith("preview"):
            media_type, data = assets[name]
            preview_uri = _data_uri(media_type, data)
            preview_source = f"stored asset {name}"
            size = size or _image_size(data)
            break
    if preview_uri is None:
        made = _preview_from_files(files)
        if made is not None:
            preview_uri = _data_uri("image/jpeg", made[0])
            size = size or made[1]
            preview_source = "source file"
    heatmaps = [
        {"name": name.split("/", 1)[1].rsplit(".", 1)[0], "uri": _data_uri(*assets[name])}
        for name in sorted(assets) if name.startswith("heatmap/")
    ]
    other_assets = [name for name in sorted(assets)
                    if not name.startswith(("preview", "heatmap/"))]
    mrz = result.get("mrz") if isinstance(result.get("mrz"), dict) else None
    series = [*record.get("series", []), *extra_series]
    signature = record.get("signature")
    signature_text = json.dumps(signature, indent=2, ensure_ascii=False, sort_keys=True)
    if len(signature_text) > 20000:
        signature_text = signature_text[:20000] + "\n... (truncated)"
    skip = {"file", "sha256", "mrz", "findings", "risk", "signature", "image", "timing_ms"}
    other = {k: v for k, v in result.items() if k not in skip}

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("docfraud.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("document.html.j2")
    return template.render(
        rec=record, result=result, files=files, findings=findings, mrz=mrz,
        risk=result.get("risk") if isinstance(result.get("risk"), dict) else None,
        preview_uri=preview_uri, preview_source=preview_source, size=size,
        heatmaps=heatmaps, regions=_overlay_regions(findings), other_assets=other_assets,
        series=series, signature_text=signature_text,
        other_json=json.dumps(other, indent=2, ensure_ascii=False, sort_keys=True) if other
        else None,
        timing=result.get("timing_ms") if isinstance(result.get("timing_ms"), dict) else None,
        colours=SEVERITY_COLOURS,
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def series_from_clusters(clusters: Mapping[str, Any], *, sha256: str,
                         files: Sequence[str]) -> list[dict[str, Any]]:
    """The series of a ``docfraud cluster`` output that list this document (by file or hash)."""
    names = {sha256, *files, *(os.path.abspath(f) for f in files)}
    out = []
    for s in clusters.get("series", []) or []:
        if isinstance(s, Mapping) and any(str(m) in names for m in s.get("members", [])):
            out.append(dict(s))
    return out
