"""The metadata detector reports editing software, thumbnail mismatches and dates."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from docfraud.forensics import Analysis, DetectorResult, run_detectors
from tests.forensics.forensics_synth import (
    build_exif,
    camera_file,
    document_image,
    iou,
    jpeg_bytes,
    natural_image,
)


def meta(data: bytes | np.ndarray) -> DetectorResult:
    return run_detectors(Analysis.from_source(data), ["metadata"])[0]


def codes(r: DetectorResult) -> set[str]:
    return {f.code for f in r.findings}


IMG = natural_image(np.random.default_rng(0), 120, 160)


@pytest.mark.parametrize("software", ["Adobe Photoshop CC 2019 (Windows)", "GIMP 2.10.34",
                                      "paint.net 4.3"])
def test_editor_in_exif_software_is_flagged(software: str) -> None:
    r = meta(jpeg_bytes(IMG, exif=build_exif(software=software)))
    assert codes(r) == {"META_EDITING_SOFTWARE"}
    assert r.score is not None and r.score >= 0.5
    assert r.data["software"][0]["value"] == software


def test_camera_firmware_is_not_flagged() -> None:
    r = meta(jpeg_bytes(IMG, exif=build_exif(software="Ver.1.01", make="Canon")))
    assert not r.findings and r.score == 0.0
    assert r.data["camera"].startswith("Canon")


def test_xmp_creator_tool_and_history_are_read() -> None:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#"><rdf:Description xmp:CreatorTool="Nikon Transfer" '
        'xmp:CreateDate="2024-01-01T10:00:00+01:00" xmp:ModifyDate="2024-01-03T09:00:00+01:00">'
        "<xmpMM:History><rdf:Seq><rdf:li stEvt:action=\"saved\" "
        'stEvt:softwareAgent="Adobe Photoshop 25.0 (Macintosh)"/></rdf:Seq></xmpMM:History>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    buf = io.BytesIO()
    Image.fromarray(IMG).save(buf, "JPEG", xmp=xmp.encode())
    r = meta(buf.getvalue())
    assert codes(r) == {"META_EDITING_SOFTWARE", "META_MODIFIED_AFTER_CAPTURE"}
    editing = next(f for f in r.findings if f.code == "META_EDITING_SOFTWARE")
    assert editing.data is not None
    assert editing.data["evidence"][0]["where"] == "XMP History softwareAgent"
    assert r.data["xmp_history_actions"] == ["saved"]


def test_png_text_chunk_software() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "GIMP 2.10")
    buf = io.BytesIO()
    Image.fromarray(IMG).save(buf, "PNG", pnginfo=info)
    assert codes(meta(buf.getvalue())) == {"META_EDITING_SOFTWARE"}


def test_dates() -> None:
    r = meta(jpeg_bytes(IMG, exif=build_exif(modified="2023:05:02 12:00:00",
                                             original="2023:05:01 12:00:00")))
    assert codes(r) == {"META_MODIFIED_AFTER_CAPTURE"}
    r = meta(jpeg_bytes(IMG, exif=build_exif(modified="2023:05:01 12:00:00",
                                             original="2023:05:02 12:00:00")))
    assert codes(r) == {"META_DATE_ORDER"}
    r = meta(jpeg_bytes(IMG, exif=build_exif(modified="2999:01:01 00:00:00",
                                             original="2999:01:01 00:00:00")))
    assert codes(r) == {"META_DATE_IN_FUTURE"}
    r = meta(jpeg_bytes(IMG, exif=build_exif(modified="2023:05:01 12:00:30",
                                             original="2023:05:01 12:00:00")))
    assert not r.findings


@pytest.mark.parametrize("seed", range(3))
def test_thumbnail_mismatch_is_found_and_located(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = document_image(rng, 480, 720)
    genuine, _ = camera_file(np.random.default_rng(seed + 1), base, forged=False, q2=92)
    forged, box = camera_file(np.random.default_rng(seed + 1), base, forged=True, q2=92)
    rg, rf = meta(genuine), meta(forged)
    assert not rg.findings and rg.score == 0.0
    assert rg.data["thumbnail"]["correlation"] > 0.95
    found = [f for f in rf.findings if f.code == "META_THUMBNAIL_MISMATCH"]
    assert found and found[0].severity == "high"
    assert iou(found[0].region, box) > 0.4, (found[0].region, box)
    assert rf.score is not None and rf.score >= 0.8


def test_thumbnail_of_another_picture() -> None:
    other = jpeg_bytes(natural_image(np.random.default_rng(9), 120, 160), quality=80)
    r = meta(jpeg_bytes(IMG, exif=build_exif(thumbnail=other)))
    found = [f for f in r.findings if f.code == "META_THUMBNAIL_MISMATCH"]
    assert found and found[0].region is None  # the whole picture differs


def test_corrupt_thumbnail_and_no_metadata() -> None:
    r = meta(jpeg_bytes(IMG, exif=build_exif(thumbnail=b"\xff\xd8garbage")))
    assert r.status == "ok" and not r.findings and r.data["thumbnail"]["decodable"] is False
    r = meta(jpeg_bytes(IMG))
    assert r.status == "ok" and not r.findings and r.score == 0.0
    assert meta(IMG).status == "not_applicable"


def test_malformed_exif_gives_no_library_warning() -> None:
    """EXIF cut short (IFD0 without its next-IFD offset: a hostile or damaged file) is
    read without Pillow's "Corrupt EXIF data" warning reaching the user's terminal."""
    orientation = b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00"
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01" + orientation
    data = jpeg_bytes(IMG, exif=exif)
    analysis = Analysis.from_source(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = run_detectors(analysis, ["metadata"])[0]
    assert r.status == "ok"
    assert [str(w.message) for w in caught] == []
