"""Run NengoDL 3.6.0's own test suite with nengo_dl_trainable active.

The no-op guarantee: with nothing configured, installing this package changes
nothing in NengoDL. This script downloads the NengoDL 3.6.0 source distribution
from the package index (it carries the test suite and its conftest), runs the suite
in the current environment, where ``import nengo_dl`` activates the extension
through the installed hook, and compares the outcome with the baseline measured on
stock NengoDL with the pinned stack (Nengo 3.2, TensorFlow 2.12.1, numpy 1.24.3,
pytest 7.4, no keras_spiking). It exits non-zero on any difference.

One deliberate difference is not part of the baseline: with ``keras_spiking``
installed, NengoDL's ``test_lowpass_alpha`` runs, and its last checks expect the
Converter to refuse trainable KerasSpiking ``Lowpass``/``Alpha`` layers and layers
with different time constants, which this package converts (to trainable and
per-dimension synapses; `nengo_dl_trainable.converter`). Everything before those
checks in that test (output equality and training) passes with our converter.
The test command therefore runs this gate without ``keras_spiking``.

Usage: ``python scripts/upstream_suite.py [--workers N] [-- extra pytest args]``
"""

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

NENGO_DL_VERSION = "3.6.0"
BASELINE = {"passed": 364, "skipped": 20, "xfailed": 2}
CACHE = Path(__file__).resolve().parent.parent / ".upstream"


def fetch_sdist():
    CACHE.mkdir(exist_ok=True)
    sdist = CACHE / f"nengo-dl-{NENGO_DL_VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                f"nengo-dl=={NENGO_DL_VERSION}",
                "--dest",
                str(CACHE),
            ],
            check=True,
        )
    return sdist


def parse_summary(output):
    line = [ln for ln in output.splitlines() if re.search(r"\d+ passed", ln)][-1]
    counts = {
        k: 0 for k in ("passed", "failed", "skipped", "xfailed", "xpassed", "error")
    }
    for number, word in re.findall(r"(\d+) (\w+)", line):
        word = "error" if word.startswith("error") else word
        if word in counts:
            counts[word] = int(number)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="2", help="pytest-xdist workers")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    if importlib.util.find_spec("keras_spiking") is not None:
        print("upstream suite: uninstall keras_spiking first (see the docstring)")
        return 1

    sdist = fetch_sdist()
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp, filter="data")
        root = Path(tmp) / f"nengo-dl-{NENGO_DL_VERSION}"
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        env.pop("NENGO_DL_TRAINABLE_DISABLE", None)
        command = [
            sys.executable,
            "-m",
            "pytest",
            "nengo_dl",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "nengo_dl_trainable.tests.upstream_check",
            "-n",
            args.workers,
            *args.pytest_args,
        ]
        print("running", " ".join(command), "in", root, flush=True)
        start = time.time()
        result = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, check=False
        )
        elapsed = time.time() - start

    output = result.stdout + result.stderr
    failures = [ln for ln in output.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    print("\n".join(failures[:50]))
    try:
        counts = parse_summary(result.stdout)
    except IndexError:
        print(output[-5000:])
        print("upstream suite: no summary line found")
        return 1
    expected = dict(BASELINE, failed=0, xpassed=0, error=0)
    print(
        f"upstream NengoDL {NENGO_DL_VERSION} suite with nengo_dl_trainable active, "
        f"{elapsed:.0f} s:"
    )
    ok = True
    for key, value in expected.items():
        mark = "ok" if counts[key] == value else "DIFFERS"
        ok &= counts[key] == value
        print(f"  {key:8s} {counts[key]:4d}   baseline {value:4d}   {mark}")
    print("upstream suite: " + ("same as baseline" if ok else "REGRESSION"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
