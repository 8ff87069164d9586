"""Run the worked examples in ``examples/`` (each checks its own result)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py")) if EXAMPLES.is_dir() else []


def test_examples_found():
    """The examples run where the repository is checked out (as in CI)."""
    if not EXAMPLES.is_dir():
        pytest.skip("not a source checkout: no examples directory")
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_and_succeeds(script, tmp_path):
    plot = tmp_path / "plot.png"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--plot", str(plot)],
        capture_output=True,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert plot.stat().st_size > 10_000  # the figure was drawn
