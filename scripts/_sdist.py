"""NengoDL 3.6.0's source distribution, and pytest summaries, for the gate scripts.

The sdist (from the package index, cached in ``.upstream/``, which git ignores)
carries NengoDL's test suite, its ``conftest.py`` and the ``setup.cfg`` that says
how NengoDL runs Nengo's own core tests.
"""

import importlib.metadata
import re
import subprocess
import sys
import tarfile
from pathlib import Path

NENGO_DL_VERSION = "3.6.0"
CACHE = Path(__file__).resolve().parent.parent / ".upstream"


def stack():
    """The installed stack the baselines are keyed by: Nengo's and TensorFlow's
    major.minor versions, e.g. ``("3.2", "2.12")``."""
    return tuple(
        ".".join(importlib.metadata.version(name).split(".")[:2])
        for name in ("nengo", "tensorflow")
    )


def fetch_sdist():
    """Download the sdist once; return its path."""
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


def extract_sdist(directory):
    """Extract the sdist into ``directory``; return the source tree's root."""
    with tarfile.open(fetch_sdist()) as tar:
        tar.extractall(directory, filter="data")
    return Path(directory) / f"nengo-dl-{NENGO_DL_VERSION}"


def parse_summary(output):
    """Counts from pytest's closing line (``passed``, ``failed``, ...)."""
    line = [ln for ln in output.splitlines() if re.search(r"\d+ (passed|failed)", ln)][
        -1
    ]
    counts = {
        k: 0 for k in ("passed", "failed", "skipped", "xfailed", "xpassed", "error")
    }
    for number, word in re.findall(r"(\d+) (\w+)", line):
        word = "error" if word.startswith("error") else word
        if word in counts:
            counts[word] = int(number)
    return counts


def failed_tests(output):
    """The test ids of the ``FAILED``/``ERROR`` lines of ``pytest -rfE``."""
    ids = set()
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            test = line.split(" ", 1)[1].split(" - ", 1)[0].strip()
            # node ids of installed packages start with a path to site-packages
            ids.add(test[test.find("nengo/") :] if "nengo/" in test else test)
    return ids
