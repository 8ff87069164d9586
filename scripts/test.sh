#!/usr/bin/env bash
# Set up (once) and run every check of nengo-dl-trainable:
#   formatting and lint (ruff), this package's tests (pytest, 2 workers),
#   the documentation build (Sphinx, warnings as errors),
#   and the upstream NengoDL 3.6.0 suite with the extension active.
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
.venv/bin/python -m pip install --quiet -e ".[tests,docs]"

echo "== ruff format --check / ruff check"
.venv/bin/ruff format --check .
.venv/bin/ruff check .

echo "== documentation (sphinx-build -W)"
.venv/bin/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

echo "== upstream NengoDL suite"
# measured against its stock baseline, which has no keras_spiking: with it, our
# converter converts trainable KerasSpiking layers that NengoDL's test_lowpass_alpha
# expects to be refused (see scripts/upstream_suite.py)
.venv/bin/python -m pip uninstall --quiet --yes keras-spiking 2>/dev/null || true
.venv/bin/python scripts/upstream_suite.py

echo "== nengo-dl-trainable tests"
.venv/bin/python -m pip install --quiet -e ".[keras-spiking]"
.venv/bin/python -m pytest -n 2 --doctest-modules nengo_dl_trainable
