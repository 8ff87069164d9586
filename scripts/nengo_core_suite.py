"""Run Nengo's own core tests through NengoDL, as NengoDL's setup.cfg does.

Installing nengo-dl-trainable must change nothing for networks that configure
nothing, and a default that selects synapses and neuron types everywhere must
build and behave as stock wherever it applies. Nengo's core suite builds far more
kinds of networks than NengoDL's own (it found a swallowed ``BuildError`` that
NengoDL's suite missed), so this script runs a subset of it through NengoDL with
NengoDL 3.6.0's ``setup.cfg`` (its ``nengo_simloader``, its list of unsupported
tests and its tolerances) in one of three modes:

``stock``
    NengoDL without this package (``NENGO_DL_TRAINABLE_DISABLE=1``).
``installed``
    The package active, nothing configured.
``default``
    The package active, and every network given
    ``configure_settings(trainable_params={"synapse", "neuron_type"})`` through
    ``nengo_dl_trainable.tests.nengo_core_loader``.

A mode passes if no test fails or errors that fails in ``stock`` too
(`STOCK`, measured per stack), and as many tests ran as in stock.

Usage: ``python scripts/nengo_core_suite.py [--mode M ...] [--workers N]``
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _sdist import extract_sdist, failed_tests, parse_summary, stack

#: The Nengo test modules run (those that simulate synapses, neurons, ensembles,
#: connections, learning rules, processes, probes, nodes, transforms, copies and
#: networks).
MODULES = [
    "nengo.tests.test_synapses",
    "nengo.tests.test_neurons",
    "nengo.tests.test_ensemble",
    "nengo.tests.test_connection",
    "nengo.tests.test_learning_rules",
    "nengo.tests.test_processes",
    "nengo.tests.test_probe",
    "nengo.tests.test_node",
    "nengo.tests.test_simulator",
    "nengo.tests.test_transforms",
    "nengo.tests.test_copy",
    "nengo.tests.test_network",
    "nengo.networks.tests.test_networks",
]

#: Stock NengoDL per stack (Nengo, TensorFlow), measured with ``--mode stock``
#: (pytest 7.4.4): the counts, and the tests that fail in stock.
STOCK = {
    # NengoDL 3.6.0, Nengo 3.2.0, TF 2.12.1, numpy 1.24.3 (2026-11-29)
    ("3.2", "2.12"): {"counts": {"passed": 371, "skipped": 22}, "failures": set()},
    # NengoDL 3.6.0, Nengo 4.1.0, TF 2.21.0 + tf-keras 2.21.0, numpy 2.5.5,
    # Python 3.12.1 (2026-11-29)
    ("4.1", "2.21"): {
        "counts": {"passed": 370, "failed": 1, "skipped": 22},
        "failures": {
            # Nengo 4.1's Synapse.filt of a 1-D signal assigns an array to an
            # element under numpy 2 ("setting an array element with a sequence");
            # fails with core Nengo's own simulator too. Since the hook's
            # Synapse.filt fix (issue 28) it passes with the extension active
            # (371 passed, 2026-12-02); the fix applies with it switched off as
            # well, but stock was not re-measured (a stock failure that passes
            # here is no regression)
            "nengo/tests/test_synapses.py::test_triangle",
        },
    },
}

LOADER = "nengo_dl_trainable.tests.nengo_core_loader.make_test_sim"


def run(mode, workers, stock):
    with tempfile.TemporaryDirectory() as tmp:
        root = extract_sdist(tmp)
        # wide enough that -rfE's summary lines carry the failure's reason
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", COLUMNS="400")
        env.pop("NENGO_DL_TRAINABLE_DISABLE", None)
        if mode == "stock":
            env["NENGO_DL_TRAINABLE_DISABLE"] = "1"
        # node ids relative to site-packages ("nengo/tests/test_x.py::..."), which
        # NengoDL's unsupported list and tolerances are written against
        site_packages = Path(importlib.util.find_spec("nengo").origin).parents[1]
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            "setup.cfg",
            f"--rootdir={site_packages}",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rfE",
            "-n",
            str(workers),
        ]
        if mode == "default":
            command += ["-o", f"nengo_simloader={LOADER}"]
        command += ["--pyargs", *MODULES]
        print(f"[{mode}] running", " ".join(command), flush=True)
        start = time.time()
        result = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, check=False
        )
    output = result.stdout + result.stderr
    try:
        counts = parse_summary(result.stdout)
    except IndexError:
        print(output[-5000:])
        print(f"[{mode}] no pytest summary line found")
        return False
    failures = failed_tests(result.stdout)
    new = sorted(failures - stock["failures"])
    ran = counts["passed"] + counts["failed"] + counts["skipped"] + counts["error"]
    stock_ran = sum(stock["counts"].values())
    ok = not new and ran == stock_ran
    print(
        f"[{mode}] {time.time() - start:.0f} s: {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['error']} errors, "
        f"{counts['skipped']} skipped (stock: "
        + ", ".join(f"{n} {key}" for key, n in stock["counts"].items())
        + ")"
    )
    for test in new:
        print(f"[{mode}] fails here, not in stock: {test}")
    if ran != stock_ran:
        print(f"[{mode}] {ran} tests ran, stock ran {stock_ran}")
    print(f"[{mode}] " + ("no failure stock does not have" if ok else "REGRESSION"))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mode",
        nargs="+",
        choices=("stock", "installed", "default"),
        default=["installed", "default"],
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if stack() not in STOCK:
        # still run, so that --mode stock shows what to add
        print(
            "Nengo core suite: no stock baseline for Nengo {} with TensorFlow {}; "
            "measure it with --mode stock and add it to STOCK".format(*stack())
        )
    no_baseline = {"counts": {}, "failures": set()}
    stock = STOCK.get(stack(), no_baseline)
    results = [run(mode, args.workers, stock) for mode in args.mode]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
