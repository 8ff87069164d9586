"""NengoDL's test options and ``Simulator`` fixture, for this package's tests.

NengoDL's own suite runs every test through a ``Simulator`` fixture that honours
its command-line options (``--dtype``, ``--unroll-simulation``, ``--device``,
``--inference-only``, ``--simulator-only``) and skips ``@pytest.mark.training``
tests in inference-only mode; NengoDL declares them in the conftest at the root of
its repository, with its ``nengo_dl.tests.make_test_sim``. This file does the same
for this package (here, at the package's root, so that pytest knows the options
before it collects the tests), so that the tests in ``nengo_dl_trainable/tests``
run unchanged inside NengoDL's suite, where NengoDL's conftest provides all this.
"""

import pytest

# before NengoDL, which is imported as the package needs it on every stack
import nengo_dl_trainable  # noqa: F401


def pytest_addoption(parser):
    """Declare NengoDL's test options (names, defaults and help as NengoDL's)."""
    parser.addoption(
        "--simulator-only",
        action="store_true",
        default=False,
        help="Only run tests involving Simulator",
    )
    parser.addoption(
        "--inference-only",
        action="store_true",
        default=False,
        help="Run tests in inference-only mode",
    )
    parser.addoption(
        "--dtype",
        default="float32",
        choices=("float32", "float64"),
        help="Simulator float precision",
    )
    parser.addoption(
        "--unroll-simulation",
        default=1,
        type=int,
        help="`unroll_simulation` parameter for Simulator",
    )
    parser.addoption("--device", default=None, help="`device` parameter for Simulator")


def pytest_runtest_setup(item):
    """Skip as NengoDL does under ``--inference-only`` and ``--simulator-only``."""
    if item.get_closest_marker("training") and item.config.getoption(
        "--inference-only"
    ):
        pytest.skip("a training test, in inference-only mode")
    if "Simulator" not in getattr(item, "fixturenames", ()) and item.config.getoption(
        "--simulator-only"
    ):
        pytest.skip("only tests that use the Simulator fixture run")


@pytest.fixture(scope="session")
def Simulator(request):
    """NengoDL's test simulator: ``nengo_dl.Simulator`` with the options applied.

    Without progress bars; ``dtype``, ``unroll_simulation``, ``device`` and
    ``inference_only`` come from the command line unless a test sets them.
    """
    from nengo_dl.tests import make_test_sim

    return make_test_sim(request)
