"""Pytest plugin for the upstream NengoDL suite: prove which NengoDL it tests.

Loaded with ``-p upstream_check`` (this directory on ``PYTHONPATH``) by
``scripts/upstream_suite.py``. It lives outside the package and does not import
``nengo_dl_trainable``, so the suite only sees the extension if ``import nengo_dl``
activated it; with ``NENGO_DL_TRAINABLE_DISABLE=1`` (measuring stock NengoDL's
baseline) it checks that the extension is off.

On Nengo 4 it also gives the suite a stand-in for ``nengo.networks.Oscillator``
(see `oscillator`), the one name from Nengo 3 the suite needs to be collected.
"""

import sys


def oscillator(recurrent_tau, frequency, n_neurons, **kwargs):
    """A two-dimensional oscillator: a test network for NengoDL's suite on Nengo 4.

    NengoDL 3.6.0's ``test_simulator.py`` builds ``nengo.networks.Oscillator(0.01,
    10, 100)`` while collecting its tests (``test_freeze_network``); Nengo 4.0
    removed that network, so the whole module failed to collect. This stands in
    for it: an ensemble representing a 2-D state that rotates at ``frequency``
    (radians per second) through a recurrent connection with synapse
    ``recurrent_tau`` (seconds), with an ``input`` node.
    """
    import nengo

    rotation = recurrent_tau * frequency
    with nengo.Network(**kwargs) as net:
        net.input = nengo.Node(size_in=2)
        net.ensemble = nengo.Ensemble(n_neurons, dimensions=2)
        nengo.Connection(net.input, net.ensemble, synapse=None)
        nengo.Connection(
            net.ensemble,
            net.ensemble,
            transform=[[1, -rotation], [rotation, 1]],
            synapse=recurrent_tau,
        )
    return net


def pytest_configure(config):
    import nengo.networks

    if not hasattr(nengo.networks, "Oscillator"):
        nengo.networks.Oscillator = oscillator


def _stock_run():
    """Whether the run measures stock NengoDL (the extension switched off)."""
    import _nengo_dl_trainable_hook

    return _nengo_dl_trainable_hook.activation_disabled()


def pytest_sessionstart(session):
    import nengo_dl

    active = "nengo_dl_trainable" in sys.modules and hasattr(
        nengo_dl, "trainable_params"
    )
    if _stock_run() and active:
        raise RuntimeError(
            "nengo_dl_trainable is active although the run should measure stock NengoDL"
        )
    if not _stock_run() and not active:
        raise RuntimeError(
            "nengo_dl_trainable was not activated by `import nengo_dl`; the upstream "
            "suite would run against stock NengoDL"
        )


def pytest_report_header(config):
    import nengo_dl

    if _stock_run():
        return (
            f"stock nengo_dl {nengo_dl.__version__} (nengo_dl_trainable switched off)"
        )
    return (
        f"nengo_dl_trainable {nengo_dl.trainable_params.__version__} active "
        f"(nengo_dl {nengo_dl.__version__} from {nengo_dl.__file__})"
    )
