#!/usr/bin/env bash
# Install docfraud and everything it and its tests need on a fresh Debian machine (Python 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
if command -v apt-get >/dev/null; then
  $SUDO apt-get update -q
  # tesseract + OCR-B: MRZ reading; DejaVu: synthetic documents; chromium: report tests;
  # postgresql: case-database tests (scripts/start_postgres.sh starts a throw-away server)
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    tesseract-ocr tesseract-ocr-eng fonts-ocr-b fonts-dejavu-core fonts-dejavu-extra \
    chromium postgresql
fi
python3 -m pip install -q --upgrade pip
# The CPU build of torch must come first: a looser requirement pulls a multi-GB CUDA build.
python3 -m pip install -q torch==2.13.0
python3 -m pip install -q -e ".[dev]"
