"""scripts/train_mrz_ocr.py: training cells carry the labels of the characters they show."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from docfraud.mrz import ocr
from tests.scripts import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_mrz_ocr.py"


@pytest.fixture(scope="module")
def train() -> ModuleType:
    return load_script("train_mrz_ocr")


def test_rotated_capture_cells_line_up_with_their_labels(train: ModuleType) -> None:
    """Lines captured at any angle and cut by the locator's strip sampler: the shipped CNN
    reads the cells as their labels (a wrong mapping of the character centres into the
    strip would give cells of neighbouring characters or gaps)."""
    clf = ocr.default_classifier()
    agree, total, lines = 0, 0, 0
    for seed in range(1000, 1040):
        out = train.make_line_sample(seed, rotated_share=1.0)
        if out is None:
            continue
        crops, labels = out
        assert crops.shape == (len(labels), ocr.CELL_H, ocr.CELL_W)
        agree += int((clf.predict(crops).argmax(axis=1) == labels).sum())
        total += len(labels)
        lines += 1
    assert lines >= 20
    assert agree / total > 0.95



def test_base_arch_is_the_shipped_layout(train: ModuleType) -> None:
    """--arch base (the default) builds exactly the layout of both shipped checkpoints, so
    they stay reproducible by the script: every tensor's name and shape matches."""
    import torch

    root = SCRIPT.parents[1] / "models"
    for name in ("mrz_ocr.pt", "mrz_ocr_small.pt"):
        ckpt = torch.load(root / name)
        assert "arch" not in ckpt
        model = train.make_model()
        model.load_state_dict(ckpt["state_dict"], strict=True)
        assert train.make_model("base").state_dict().keys() == ckpt["state_dict"].keys()


@pytest.mark.parametrize("arch", ["base", "wide"])
def test_arch_exports_to_onnx_that_the_reader_runs(train: ModuleType, arch: str,
                                                   tmp_path: Path) -> None:
    """Each --arch maps (B, 1, CELL_H, CELL_W) cells to 37 logits, and its ONNX export, run
    by OpenCV's dnn as the reader runs it, gives the torch model's logits."""
    import numpy as np
    import torch

    torch.manual_seed(0)
    model = train.make_model(arch)
    model.eval()
    with torch.no_grad():  # non-trivial batch-norm statistics
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    path = tmp_path / f"{arch}.onnx"
    train.export_onnx(model, path)
    crops = np.random.default_rng(1).random((5, ocr.CELL_H, ocr.CELL_W), dtype=np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(ocr.standardize(crops))[:, None]).numpy()
    got = ocr.CellClassifier.load(path).logits(crops)
    assert got.shape == (5, len(ocr.ALPHABET))
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)


def test_wide_arch_is_larger_than_base(train: ModuleType) -> None:
    def params(arch: str) -> int:
        return sum(p.numel() for p in train.make_model(arch).parameters())

    assert params("wide") > 2 * params("base")
