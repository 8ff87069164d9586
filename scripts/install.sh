#!/usr/bin/env bash
# Create a virtual environment (if missing) and install nengo-dl-trainable with the
# given extras, on Python 3.11 (the pinned stack) or 3.12/3.13 (the current stack).
#
#   bash scripts/install.sh [EXTRAS]        e.g. bash scripts/install.sh examples
#   EDITABLE=1 bash scripts/install.sh tests,docs
#
# PYTHON: the interpreter (default python3), a command or a path; a pyenv shim that
#   needs PYENV_VERSION is resolved to the installed version's binary.
# VENV: the environment's directory (default .venv).
# SOURCE: what to install (default ``.``, this checkout), e.g. a built wheel.
#
# Why not a plain `pip install .`: NengoDL 3.6.0 is published only as a source
# distribution whose build pins setuptools<64, which fails on Python >= 3.12
# (pkgutil.ImpImporter is gone), and its setup.py imports pkg_resources, which
# setuptools >= 76 no longer ships. So setuptools 64-70 and wheel go into the
# environment first, and the packages build there (--no-build-isolation); this
# works on every supported Python, so there is one way for all of them. Not 71
# to 75: from 71 setuptools exposes its vendored typeguard, whose pytest plugin
# needs a newer typing_extensions than TensorFlow 2.12 allows, which breaks every
# pytest run in the pinned stack's environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
EXTRAS=${1:-}

resolve_python() {
    if "$1" --version >/dev/null 2>&1; then
        echo "$1"
        return
    fi
    if command -v pyenv >/dev/null 2>&1; then
        for candidate in "$(pyenv root)"/versions/*/bin/"$1"; do
            if [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
                echo "$candidate"
                return
            fi
        done
    fi
    echo "install.sh: no working $1 (set PYTHON to an interpreter's path)" >&2
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    "$(resolve_python "$PYTHON")" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade "pip>=23.2" "setuptools>=64,<71" wheel
SOURCE=${SOURCE:-.}
TARGET="$SOURCE"
if [ -n "$EXTRAS" ]; then
    TARGET="$SOURCE[$EXTRAS]"
fi
if [ "${EDITABLE:-0}" = "1" ]; then
    "$VENV/bin/python" -m pip install --quiet --no-build-isolation -e "$TARGET"
else
    "$VENV/bin/python" -m pip install --quiet --no-build-isolation "$TARGET"
fi
"$VENV/bin/python" -c "import sys; print('installed in $VENV, Python', sys.version.split()[0])"
