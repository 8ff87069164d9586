#!/usr/bin/env bash
# Set up (once) and run every check of nengo-dl-trainable:
#   formatting and lint (ruff), the documentation build (Sphinx, warnings as
#   errors), the upstream NengoDL 3.6.0 suite with the extension active, Nengo's
#   own core tests run through NengoDL (nothing configured, and a default that
#   selects synapses and neuron types everywhere), and this package's tests
#   (pytest, 2 workers).
# Needs only Python 3.11 (set PYTHON to use another interpreter path).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
# TensorFlow's C++ start-up chatter (no GPU, no TensorRT) would bury the results
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=23.2"
.venv/bin/python -m pip install --quiet -e ".[tests,docs,keras-spiking]"

echo "== ruff format --check / ruff check"
.venv/bin/ruff format --check .
.venv/bin/ruff check .

echo "== documentation (sphinx-build -W)"
.venv/bin/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

echo "== upstream NengoDL suite"
# against stock NengoDL's baseline, with one intended difference (see the script)
.venv/bin/python scripts/upstream_suite.py

echo "== Nengo core tests through NengoDL"
.venv/bin/python scripts/nengo_core_suite.py --mode installed default

echo "== nengo-dl-trainable tests"
.venv/bin/python -m pytest -n 2 --doctest-modules nengo_dl_trainable
