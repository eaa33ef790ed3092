from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from docfraud.cli import main
from tests.mrz.specimens import ICAO

TD3 = ICAO["TD3"]


def test_mrz_valid_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", *TD3, "--today", "2010-01-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] and out["format"] == "TD3" and out["fields"]["surname"] == "ERIKSSON"


def test_mrz_failed_checks_exit_10(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", TD3[0], TD3[1][:-1] + "9", "--today", "2010-01-01"]) == 10
    out = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in out["findings"]] == ["MRZ_CHECK_DIGIT_COMPOSITE"]


def test_mrz_malformed_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mrz", "P<UTO", "abc"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_mrz_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(TD3) + "\n"))
    assert main(["mrz", "--today", "2010-01-01", "--compact"]) == 0
    assert json.loads(capsys.readouterr().out)["valid"]


def test_bad_usage_exit_2() -> None:
    assert main(["no-such-command"]) == 2
    assert main([]) == 2


def test_console_script_runs_as_module() -> None:
    proc = subprocess.run([sys.executable, "-m", "docfraud.cli", "mrz", *TD3, "--compact"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 10  # ERIKSSON's passport expired in 2012
    assert json.loads(proc.stdout)["checks"]["not_expired"] is False


def test_package_runs_as_module() -> None:
    proc = subprocess.run([sys.executable, "-m", "docfraud", "mrz", *TD3, "--compact"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 10, proc.stderr
    assert json.loads(proc.stdout)["format"] == "TD3"


def test_mrz_image_refuses_format(capsys: pytest.CaptureFixture[str]) -> None:
    """--format is for text; with --image it used to be ignored without a word."""
    image = Path(__file__).resolve().parents[1] / "samples" / "images" / "000000.jpg"
    assert main(["mrz", "--image", str(image), "--format", "TD1"]) == 2
    assert "--format applies to MRZ text only" in capsys.readouterr().err


def test_closed_stdout_is_not_reported_as_clear() -> None:
    """`docfraud screen ... | head -1` closes the pipe: the exit status was 0 ("clear",
    "every check passed") for documents never reported; now 141 as for SIGPIPE."""
    proc = subprocess.Popen([sys.executable, "-m", "docfraud", "mrz", *TD3],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the interpreter has started and printed
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141, err
    assert b"Traceback" not in err and b"Exception ignored" not in err, err


def test_mrz_from_stdin_with_a_byte_order_mark(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A file saved by Notepad starts with U+FEFF: it was "character '\\ufeff' is not
    allowed in an MRZ"."""
    monkeypatch.setattr("sys.stdin", io.StringIO("\ufeff" + "\r\n".join(TD3) + "\r\n"))
    assert main(["mrz", "--compact"]) == 10
    assert json.loads(capsys.readouterr().out)["lines"] == list(TD3)


def test_options_that_would_be_ignored_are_refused(capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    """`screen --signature` without --json and `mrz --no-tesseract` without --image did
    nothing, without a word."""
    image = Path(__file__).resolve().parents[1] / "samples" / "images" / "000000.jpg"
    assert main(["screen", str(image), "--signature"]) == 2
    assert "use it with --json" in capsys.readouterr().err
    assert main(["mrz", *TD3, "--no-tesseract"]) == 2
    assert "--no-tesseract applies to --image only" in capsys.readouterr().err
