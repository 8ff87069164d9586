"""``nengo_simloader`` for Nengo's core tests with parameters selected everywhere.

Used by ``scripts/nengo_core_suite.py --mode default``: every network a Nengo test
simulates gets ``configure_settings(trainable_params={"synapse", "neuron_type"})``
before NengoDL builds it, so every synapse and neuron type that can train is
built with this package's operators (untrained, they must behave as stock), and
everything else must be skipped quietly. The `.TrainableParamsWarning` listing
what was skipped is expected here (the test did not ask for the default) and is
filtered, so that tests that check for warnings see only their own.
"""

import warnings

from nengo_dl.tests import make_test_sim as make_nengo_dl_test_sim

from nengo_dl_trainable import TrainableParamsWarning, configure_settings

#: The default that every network gets.
DEFAULT = frozenset({"synapse", "neuron_type"})


def make_test_sim(request):
    """NengoDL's test simulator factory, adding `DEFAULT` to every network.

    Parameters
    ----------
    request : pytest request
        As for ``nengo_dl.tests.make_test_sim``.

    Returns
    -------
    callable
        ``TestSimulator(net, *args, **kwargs)``.
    """
    make = make_nengo_dl_test_sim(request)

    def TestSimulator(net, *args, **kwargs):
        if net is not None:
            with net:
                configure_settings(trainable_params=DEFAULT)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=TrainableParamsWarning)
            return make(net, *args, **kwargs)

    return TestSimulator
