"""Differential test against PassportEye's MRZ text parser on 10,000 generated MRZs."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from docfraud.mrz import FORMATS, generate, parse
from docfraud.mrz.generate import random_fields

text = pytest.importorskip("passporteye.mrz.text", reason="PassportEye is a dev dependency")

TODAY = dt.date(2026, 11, 28)
MRZ_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
# PassportEye knows ICAO formats only; the French national ID card is ours alone
SHARED = sorted(set(FORMATS) - {"FRA_ID"})


def _corrupt(rng: random.Random, lines: list[str]) -> list[str]:
    li, pos = rng.randrange(len(lines)), rng.randrange(len(lines[0]))
    lines = list(lines)
    lines[li] = lines[li][:pos] + rng.choice(MRZ_CHARS) + lines[li][pos + 1 :]
    return lines


def test_fields_and_checks_agree_with_passporteye() -> None:
    rng = random.Random(20261128)
    compared = 0
    for _ in range(10_000):
        fmt = rng.choice(SHARED)
        lines = generate(random_fields(rng, fmt, today=TODAY), format=fmt)
        if rng.random() < 0.25:
            lines = _corrupt(rng, lines)
        ours = parse(lines, today=TODAY)
        theirs = text.MRZ(lines)
        if theirs.mrz_type is None:
            continue
        compared += 1
        ctx = (lines, ours.fields)
        assert theirs.mrz_type == ours.format, ctx
        raw = {f.name: lines[f.line][f.start : f.stop] for f in FORMATS[ours.format].fields}
        assert theirs.type == raw["document_code"], ctx
        assert theirs.country == raw["issuing_state"], ctx
        assert theirs.nationality == raw["nationality"], ctx
        assert theirs.date_of_birth == raw["birth_date"], ctx
        assert theirs.expiration_date == raw["expiry_date"], ctx
        assert theirs.sex == raw["sex"], ctx
        if "MRZ_FILLER_MISPLACED" not in {f.code for f in ours.findings}:
            assert theirs.surname == ours.fields["surname"], ctx
            # we collapse repeated separators inside given names ('KIM<<X' -> 'KIM X')
            assert " ".join(theirs.names.split()) == ours.fields["given_names"], ctx
        checks = ours.checks
        long_number = ours.format in ("TD1", "TD2") and raw["document_number"].rstrip(
            "<") != ours.fields["document_number"]
        if not long_number:  # PassportEye does not know ICAO's long document numbers
            assert theirs.number.rstrip("<") == ours.fields["document_number"], ctx
            assert theirs.valid_number == checks["check_digit.document_number"], ctx
        # PassportEye validates dates with strptime, which also takes unpadded or partly
        # non-digit text; compare only where the field is six digits
        if raw["birth_date"].isdigit():
            assert theirs.valid_date_of_birth == (
                checks["check_digit.birth_date"] and checks["birth_date"]), ctx
        if raw["expiry_date"].isdigit():
            assert theirs.valid_expiration_date == (
                checks["check_digit.expiry_date"] and checks["expiry_date"]), ctx
        if ours.format in ("TD1", "TD2", "TD3"):
            assert theirs.valid_composite == checks["check_digit.composite"], ctx
        if ours.format == "TD3":
            assert theirs.valid_personal_number == checks["check_digit.optional_data"], ctx
    assert compared >= 9_000
