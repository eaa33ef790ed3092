from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from docfraud.commands import synth as synth_command
from docfraud.errors import InputError
from docfraud.mrz import parse
from docfraud.synth import REFERENCE_DATE, forgery_operators, generate_dataset, iter_documents

from .mrzcheck import assert_genuine_mrz

SMALL = {"long_side": (400, 520)}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_dataset_is_deterministic_and_independent_of_workers(tmp_path: Path) -> None:
    kw = dict(genuine=3, forged=3, workshops=1, per_workshop=2, seed=7, **SMALL)
    generate_dataset(tmp_path / "a", workers=1, **kw)
    generate_dataset(tmp_path / "b", workers=2, **kw)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert a == b
    generate_dataset(tmp_path / "c", workers=1, **(kw | {"seed": 8}))
    assert _files(tmp_path / "c")["truth.jsonl"] != a["truth.jsonl"]


def test_truth_records_and_masks(tmp_path: Path) -> None:
    ops = forgery_operators()
    truths = generate_dataset(
        tmp_path, genuine=4, forged=len(ops), workshops=2, per_workshop=2, seed=3, **SMALL
    )
    assert len(truths) == 4 + len(ops) + 4
    lines = (tmp_path / "truth.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == truths
    assert {op for t in truths for op in t["operators"]} == set(ops)
    meta = json.loads((tmp_path / "workshops.json").read_text())
    assert [w["id"] for w in meta["workshops"]] == ["W01", "W02"]
    for t in truths:
        img = tmp_path / t["file"]
        assert img.exists() and img.stat().st_size > 1000
        assert t["label"] in ("genuine", "forged")
        assert set(t) >= {
            "file",
            "format",
            "mrz",
            "viz",
            "label",
            "operators",
            "workshop",
            "mask",
            "capture",
            "layout",
            "image_size",
        }
        if t["label"] == "genuine":
            assert t["mask"] is None and t["operators"] == [] and t["workshop"] is None
            assert t["mrz"]["printed"] == t["mrz"]["genuine"]
            result = parse(t["mrz"]["printed"], today=REFERENCE_DATE)
            assert_genuine_mrz(result, expired=t["expired"])
        else:
            import cv2

            mask = cv2.imread(str(tmp_path / t["mask"]), cv2.IMREAD_GRAYSCALE)
            assert mask.shape[::-1] == tuple(t["image_size"])
            assert (mask > 0).any()
            assert t["operators"]
        if t["workshop"]:
            shop = next(w for w in meta["workshops"] if w["id"] == t["workshop"])
            assert t["operators"] == shop["operators"]
            assert t["design"] in shop["designs"]
        w, h = t["image_size"]
        for x, y in t["layout"]["mrz"]:
            assert -2 <= x <= w + 2 and -2 <= y <= h + 2


def test_in_memory_iterator_matches_files(tmp_path: Path) -> None:
    kw = dict(genuine=2, forged=2, workshops=1, per_workshop=1, seed=11, **SMALL)
    docs = list(iter_documents(**kw))
    truths = generate_dataset(tmp_path, **kw)
    assert len(docs) == len(truths)
    for doc, truth in zip(docs, truths, strict=True):
        assert (tmp_path / truth["file"]).read_bytes() == doc.data
        assert doc.image is not None and doc.image.shape[1::-1] == tuple(truth["image_size"])
        assert (doc.mask is None) == (truth["label"] == "genuine")
        assert doc.truth["mrz"] == truth["mrz"]


def test_hold_out_designs_and_operators(tmp_path: Path) -> None:
    truths = generate_dataset(
        tmp_path,
        genuine=2,
        forged=4,
        workshops=1,
        per_workshop=2,
        seed=2,
        designs=["uto_id_2019"],
        operators=["copy_move", "counterfeit"],
        **SMALL,
    )
    assert {t["design"] for t in truths} == {"uto_id_2019"}
    assert {op for t in truths for op in t["operators"]} <= {"copy_move", "counterfeit"}


@pytest.mark.parametrize(
    "bad",
    [
        {"designs": ["atlantis"]},
        {"operators": ["null_resave"]},
        {"operators": ["teleport"]},
        {"genuine": -1},
        {"null_rate": 2.0},
        {"capture": "drone"},
    ],
)
def test_bad_options_raise_input_error(tmp_path: Path, bad: dict[str, object]) -> None:
    kw: dict[str, object] = dict(genuine=1, workshops=0, seed=0) | bad
    with pytest.raises(InputError):
        generate_dataset(tmp_path, **kw)  # type: ignore[arg-type]


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="docfraud")
    sub = parser.add_subparsers(dest="command")
    synth_command.add_parser(sub, "synth")
    args = parser.parse_args(argv)
    return int(args.run(args))


def test_cli_writes_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = _cli(
        [
            "synth",
            "--out",
            str(tmp_path),
            "--genuine",
            "2",
            "--workshops",
            "1",
            "--per-workshop",
            "1",
            "--forged",
            "1",
            "--seed",
            "4",
            "--long-side",
            "400",
            "500",
        ]
    )
    assert rc == 0
    assert "wrote 4 documents" in capsys.readouterr().out
    assert len((tmp_path / "truth.jsonl").read_text().splitlines()) == 4


def test_cli_rejects_unknown_design(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown design"):
        _cli(["synth", "--out", str(tmp_path), "--genuine", "1", "--designs", "atlantis"])


def test_cli_list_needs_no_output_options(capsys: pytest.CaptureFixture[str]) -> None:
    """`docfraud synth --list` used to fail: '--out, --genuine are required'."""
    from docfraud.cli import main

    assert main(["synth", "--list"]) == 0
    assert "uto_passport_2012" in capsys.readouterr().out
    assert main(["synth", "--genuine", "1"]) == 2
    assert "--out and --genuine are required" in capsys.readouterr().err


def test_cli_negative_seed_is_bad_usage(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """`--seed -5` was 'internal error: ValueError: expected non-negative integer' (exit 1)."""
    from docfraud.cli import main

    assert main(["synth", "--out", str(tmp_path), "--genuine", "1", "--seed", "-5"]) == 2
    err = capsys.readouterr().err
    assert "--seed" in err and "internal error" not in err


def test_capture_is_independent_of_label() -> None:
    """The capture stream is seeded by document index only: same index, same capture."""
    from docfraud.synth.dataset import PlanItem, dataset_workshops, make_document, make_spec

    spec = make_spec(genuine=1, workshops=0, seed=5, long_side=(400, 500))
    shops = dataset_workshops(spec)
    g = make_document(PlanItem(0, "genuine", "uto_id_2008", ()), spec, shops, decode=False)
    f = make_document(
        PlanItem(0, "forged", "uto_id_2008", ("copy_move",)), spec, shops, decode=False
    )
    assert g.truth["capture"] == f.truth["capture"]
    assert np.array_equal(
        np.array(g.truth["layout"]["homography"]), np.array(f.truth["layout"]["homography"])
    )


def test_a_dataset_written_again_into_its_folder_leaves_no_stale_images(tmp_path: Path) -> None:
    """Writing a smaller dataset into the folder of a larger one removed nothing: images
    matching no truth record lay beside the new ones. Now only the new dataset's files
    remain (other files in the folder are kept)."""
    from docfraud.synth import generate_dataset

    generate_dataset(tmp_path, genuine=3, forged=2, workshops=0, seed=11)
    (tmp_path / "images" / "mine.txt").write_text("not the dataset's")
    truths = generate_dataset(tmp_path, genuine=1, forged=1, workshops=0, seed=12)
    listed = {t["file"] for t in truths} | {t["mask"] for t in truths if t.get("mask")}
    on_disk = {f"{p.parent.name}/{p.name}" for sub in ("images", "masks")
               for p in (tmp_path / sub).iterdir()}
    assert on_disk == listed | {"images/mine.txt"}


def test_lab_capture_is_one_scanner_for_every_document() -> None:
    """``capture="lab"``: genuine and forged documents of a dataset go through one scanner
    setting (resolution, blur, noise, tone, format, quality); only how each lies on the
    glass changes. The mixed default draws every setting per document."""
    from docfraud.synth.dataset import PlanItem, dataset_workshops, make_document, make_spec

    placement = {"angle_deg", "margins", "rotation"}

    def captures(capture: str) -> list[dict[str, object]]:
        spec = make_spec(genuine=4, workshops=0, seed=9, long_side=(400, 500), capture=capture)
        shops = dataset_workshops(spec)
        items = [PlanItem(0, "genuine", "uto_id_2008", ()),
                 PlanItem(1, "forged", "uto_passport_2012", ("photo_substitution",)),
                 PlanItem(2, "forged", "uto_id_2019", ("data_alteration",)),
                 PlanItem(3, "genuine", "uto_residence_2021", ())]
        return [make_document(it, spec, shops, decode=False).truth["capture"] for it in items]

    lab = captures("lab")
    settings = [{k: v for k, v in c.items() if k not in placement} for c in lab]
    assert all(s == settings[0] for s in settings)
    assert settings[0]["mode"] == "scan" and settings[0]["format"] == "JPEG"
    assert settings[0]["px_scale"] > 0  # one resolution: a card and a passport page differ in size
    assert len({str(c["margins"]) for c in lab}) == len(lab)
    mixed = captures("mixed")
    assert len({(c["quality"], c["noise_sigma"], c["long_side"]) for c in mixed}) == len(mixed)


def test_cli_capture_choices_are_the_generators() -> None:
    """The CLI writes the capture kinds out (no NumPy at start-up); they must stay the
    generator's."""
    from docfraud.synth.capture import CAPTURE_KINDS

    parser = argparse.ArgumentParser(prog="docfraud")
    sub = parser.add_subparsers(dest="command")
    synth = synth_command.add_parser(sub, "synth")
    action = next(a for a in synth._actions if a.dest == "capture")
    assert tuple(action.choices or ()) == CAPTURE_KINDS
