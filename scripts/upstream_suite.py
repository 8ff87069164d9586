"""Run NengoDL 3.6.0's own test suite with nengo_dl_trainable active.

The no-op guarantee: with nothing configured, installing this package changes
nothing in NengoDL. This script runs NengoDL 3.6.0's test suite (from its source
distribution on the package index, which carries the suite and its conftest) in
the current environment, where ``import nengo_dl`` activates the extension through
the installed hook, and compares the outcome with stock NengoDL's on the same
stack (`BASELINES`, measured with ``--stock``, which runs the suite with
``NENGO_DL_TRAINABLE_DISABLE=1``: NengoDL plus the stack fixes it needs to import
and run there, see ``_nengo_dl_trainable_hook``). It exits non-zero on any
difference except this one:

``test_converter.py::test_lowpass_alpha`` (4 cases)
    After checking that converted KerasSpiking ``Lowpass``/``Alpha`` layers give
    the Keras output and train (which passes with this package), the test expects
    NengoDL's Converter to refuse a *trainable* layer (``TypeError``,
    "layer.trainable=False"). This package converts such layers into trainable
    synapses (`nengo_dl_trainable.integrations.converter`), so the check fails with
    "DID NOT RAISE". The gate requires exactly these four failures, each at
    that check.

On Nengo 4 the suite is given a stand-in for ``nengo.networks.Oscillator``
(``upstream_check.py``), which Nengo 4 removed and one test module needs to be
collected.

Usage: ``python scripts/upstream_suite.py [--stock] [--workers N] [-- pytest args]``
"""

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _sdist import NENGO_DL_VERSION, extract_sdist, parse_summary, stack

#: Stock NengoDL 3.6.0 with keras-spiking 0.3.0 and pytest 7.4 installed, per stack
#: (Nengo, TensorFlow): the counts, and the tests that fail in stock (test id
#: pattern: the text its failure line must show, and why it fails).
BASELINES = {
    # Python 3.11, numpy 1.24.3 (2026-11-29; without keras-spiking: 364 passed,
    # 20 skipped, 2 xfailed)
    ("3.2", "2.12"): {
        "counts": {"passed": 370, "skipped": 14, "xfailed": 2},
        "failures": {},
    },
    # Python 3.12.1, tf-keras 2.21.0, numpy 2.5.5, tensorboard 2.21.0 (2026-11-29)
    ("4.1", "2.21"): {
        "counts": {"passed": 369, "skipped": 14, "xfailed": 2, "failed": 1},
        "failures": {
            r"nengo_dl/tests/test_version\.py::test_nengo_version_check": (
                "assert (4, 1, 0) <= (3, 2, 0)",
                "NengoDL 3.6.0 checks that the installed Nengo is at most 3.2.0",
            ),
        },
    },
}

#: The intended differences: test id pattern, and the failure it must show.
INTENDED_FAILURES = {
    r"nengo_dl/tests/test_converter\.py::test_lowpass_alpha\[.*\]": (
        "DID NOT RAISE <class 'TypeError'>"
    ),
}
N_INTENDED = 4


def classify(failure_lines, known):
    """Split ``FAILED``/``ERROR`` lines into those ``known`` lists and the rest."""
    matched, unexpected = [], []
    for line in failure_lines:
        test = line.split(" ", 1)[1]
        if any(re.match(pattern, test) and shows in test for pattern, shows in known):
            matched.append(line)
        else:
            unexpected.append(line)
    return matched, unexpected


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stock",
        action="store_true",
        help="measure stock NengoDL (the extension switched off) against its baseline",
    )
    parser.add_argument("--workers", default="2", help="pytest-xdist workers")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    if importlib.util.find_spec("keras_spiking") is None:
        print("upstream suite: install keras-spiking first (the baseline has it)")
        return 1
    nengo_version, tf_version = stack()
    if stack() not in BASELINES:
        print(
            f"upstream suite: no baseline for Nengo {nengo_version} with TensorFlow "
            f"{tf_version}; measure stock NengoDL with --stock and add it to BASELINES"
        )
        return 1
    baseline = BASELINES[stack()]

    with tempfile.TemporaryDirectory() as tmp:
        root = extract_sdist(tmp)
        # wide enough that -rfE's summary lines carry the failure's reason
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", COLUMNS="400")
        env.pop("NENGO_DL_TRAINABLE_DISABLE", None)
        if args.stock:
            env["NENGO_DL_TRAINABLE_DISABLE"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).parent), *filter(None, [env.get("PYTHONPATH")])]
        )
        command = [
            sys.executable,
            "-m",
            "pytest",
            "nengo_dl",
            "-q",
            "-rfE",
            "-p",
            "no:cacheprovider",
            "-p",
            "upstream_check",
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
    try:
        counts = parse_summary(result.stdout)
    except IndexError:
        print(output[-5000:])
        print("upstream suite: no summary line found")
        return 1

    known = [(pattern, shows) for pattern, (shows, _) in baseline["failures"].items()]
    in_stock, rest = classify(failures, known)
    intended, unexpected = classify(rest, INTENDED_FAILURES.items())
    if args.stock:
        unexpected += intended
        intended = []
    n_intended = 0 if args.stock else N_INTENDED
    expected = dict(baseline["counts"], xpassed=0, error=0)
    expected.setdefault("failed", 0)
    expected["passed"] -= n_intended
    expected["failed"] += n_intended
    which = "stock NengoDL" if args.stock else "nengo_dl_trainable active"
    print(
        f"upstream NengoDL {NENGO_DL_VERSION} suite, {which}, Nengo {nengo_version}, "
        f"TensorFlow {tf_version}, {elapsed:.0f} s:"
    )
    ok = not unexpected and len(intended) == n_intended
    ok &= len(in_stock) == len(baseline["failures"])
    for key, value in expected.items():
        mark = "ok" if counts[key] == value else "DIFFERS"
        ok &= counts[key] == value
        print(f"  {key:8s} {counts[key]:4d}   expected {value:4d}   {mark}")
    if baseline["failures"]:
        print(f"failing in stock on this stack too ({len(in_stock)}, see BASELINES):")
        print("\n".join("  " + line for line in in_stock))
    if not args.stock:
        print(f"intended differences ({len(intended)} of {N_INTENDED}, see docstring):")
        print("\n".join("  " + line for line in intended))
    if unexpected:
        print("unexpected failures:")
        print("\n".join("  " + line for line in unexpected[:50]))
    verdict = "the baseline" if args.stock else "baseline plus the intended differences"
    print("upstream suite: " + (verdict if ok else "REGRESSION"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
