#!/usr/bin/env bash
# Set up (once) and run every check of nengo-dl-trainable, on two stacks:
#
# pinned (Python 3.11, TensorFlow 2.12, Nengo 3.2, numpy 1.24; in .venv):
#   formatting and lint (ruff), the documentation build (Sphinx, warnings as
#   errors), the upstream NengoDL 3.6.0 suite with the extension active, Nengo's
#   own core tests run through NengoDL (nothing configured, and a default that
#   selects synapses and neuron types everywhere), and this package's tests.
# current (Python 3.12, TensorFlow 2.21 + tf-keras, Nengo 4.1, numpy 2; in
#   .venv-current): this package's tests (examples and doctests included).
#
# PYTHON and CURRENT_PYTHON pick the interpreters (default python3.11, python3.12).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
CURRENT_PYTHON=${CURRENT_PYTHON:-python3.12}
# TensorFlow's C++ start-up chatter (no GPU, no TensorRT) would bury the results
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1

echo "== pinned stack: install ($PYTHON)"
PYTHON=$PYTHON EDITABLE=1 bash scripts/install.sh tests,docs,keras-spiking

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

echo "== nengo-dl-trainable tests (pinned stack)"
.venv/bin/python -m pytest -n 2 --doctest-modules nengo_dl_trainable

echo "== current stack: install ($CURRENT_PYTHON)"
VENV=.venv-current PYTHON=$CURRENT_PYTHON EDITABLE=1 \
    bash scripts/install.sh tests,keras-spiking

echo "== nengo-dl-trainable tests (current stack)"
# TensorFlow 2.21 logs CUDA probing through absl before TF_CPP_MIN_LOG_LEVEL
# applies; keep those lines out so that pytest's summary closes the output
TF_CPP_MIN_LOG_LEVEL=3 .venv-current/bin/python -m pytest -n 2 --doctest-modules \
    nengo_dl_trainable \
    2> >(grep -v -E "^(I0000|E0000|W0000|WARNING: All log messages before absl)" >&2)
