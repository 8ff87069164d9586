#!/usr/bin/env bash
# Set up (once) and run every check of nengo-dl-trainable, on three environments:
#
# pinned (Python 3.11, TensorFlow 2.12, Nengo 3.2, numpy 1.24; in .venv):
#   formatting and lint (ruff), the documentation build (Sphinx, warnings as
#   errors), the upstream NengoDL 3.6.0 suite with the extension active, Nengo's
#   own core tests run through NengoDL (nothing configured, and a default that
#   selects synapses and neuron types everywhere), and this package's tests, with
#   the peer check against keras-lmu (installed on this stack only).
# current (Python 3.12, TensorFlow 2.21 + tf-keras, Nengo 4.1, numpy 2; in
#   .venv-current): the upstream NengoDL suite, Nengo's core tests through
#   NengoDL with the default that selects synapses and neuron types, and this
#   package's tests.
# the wheel (Python 3.12, in .venv-wheel): built, installed into a fresh
#   environment, and NengoDL issue #60's lines run with a plain ``import nengo_dl``.
# current on Python 3.13 (in .venv-current-3.13): this package's tests once more,
#   under NengoDL's test option --dtype float64 (as NengoDL's CI runs its suite
#   under --dtype float64, --unroll-simulation 5 and --inference-only), without
#   the examples (they run on 3.11 and 3.12) and without the tests that train
#   (marked ``training``; they run on 3.11 and 3.12, and the gradient checks
#   among them set float64 themselves): 4 minutes instead of 10.
#
# This package's tests include the doctests everywhere.
# PYTHON, CURRENT_PYTHON and NEWEST_PYTHON pick the interpreters (default
# python3.11, python3.12, python3.13).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
CURRENT_PYTHON=${CURRENT_PYTHON:-python3.12}
NEWEST_PYTHON=${NEWEST_PYTHON:-python3.13}
# TensorFlow's C++ start-up chatter (no GPU, no TensorRT) would bury the results
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1

# TensorFlow 2.21 logs CUDA probing through absl before TF_CPP_MIN_LOG_LEVEL
# applies; keep those lines out so that each step's summary closes its output
without_absl_lines() {
    grep -v -E "^(I0000|E0000|W0000|WARNING: All log messages before absl)" >&2 || true
}

gates() {  # the upstream NengoDL suite and Nengo's core suite, in venv $1, modes $2...
    echo "== upstream NengoDL suite ($1)"
    # against stock NengoDL's baseline on this stack, with one intended
    # difference (see the script)
    "$1/bin/python" scripts/upstream_suite.py
    echo "== Nengo core tests through NengoDL ($1: ${*:2})"
    "$1/bin/python" scripts/nengo_core_suite.py --mode "${@:2}"
}

our_tests() {  # this package's tests in venv $1, with NengoDL's test options $2...
    echo "== nengo-dl-trainable tests ($*)"
    TF_CPP_MIN_LOG_LEVEL=3 "$1/bin/python" -m pytest -n 2 --doctest-modules \
        "${@:2}" nengo_dl_trainable 2> >(without_absl_lines)
}

echo "== pinned stack: install ($PYTHON)"
PYTHON=$PYTHON EDITABLE=1 bash scripts/install.sh tests,docs,keras-spiking,peer

echo "== ruff format --check / ruff check"
.venv/bin/ruff format --check .
.venv/bin/ruff check .

echo "== documentation (sphinx-build -n -W: every reference resolves)"
.venv/bin/python -m sphinx -n -W --keep-going -q -b html docs docs/_build/html

gates .venv installed default
our_tests .venv

echo "== current stack: install ($CURRENT_PYTHON)"
VENV=.venv-current PYTHON=$CURRENT_PYTHON EDITABLE=1 \
    bash scripts/install.sh tests,keras-spiking
# Nengo's core suite with nothing configured ("installed") on the pinned stack
# only: on this stack the upstream NengoDL suite checks the unconfigured package,
# and "default" runs the same code with more selected (about 3 minutes saved)
gates .venv-current default
our_tests .venv-current

echo "== the built wheel, installed (not editable) in a fresh environment ($CURRENT_PYTHON)"
rm -rf dist .venv-wheel
.venv-current/bin/python -m pip wheel --quiet --no-deps --no-build-isolation -w dist .
VENV=.venv-wheel PYTHON=$CURRENT_PYTHON SOURCE="$(ls dist/nengo_dl_trainable-*.whl)" \
    bash scripts/install.sh
# isolated (-I) and from outside the checkout: only the wheel provides the package
(cd "$(mktemp -d)" && "$OLDPWD/.venv-wheel/bin/python" -I "$OLDPWD/scripts/wheel_check.py") \
    2> >(without_absl_lines)

echo "== current stack: install ($NEWEST_PYTHON)"
VENV=.venv-current-3.13 PYTHON=$NEWEST_PYTHON EDITABLE=1 \
    bash scripts/install.sh tests,keras-spiking
# the examples set their own dtype, so under --dtype=float64 they would repeat
# the run on Python 3.12 (same stack) step for step: leave them out here
our_tests .venv-current-3.13 --dtype=float64 -m "not training" \
    --ignore=nengo_dl_trainable/tests/test_examples.py
