"""Import paths and pickles of the layout before the package's folders still work.

``old_layout_nengo3.pkl`` and ``old_layout_nengo4.pkl`` (beside this file) were written
by commit 6292cb3 (the flat layout) on the pinned stack (Nengo 3.2) and on the current
one (Nengo 4.1), with ``pickle.dumps(objects, protocol=4)`` of::

    {
        "DoubleExp": DoubleExp(0.002, 0.01),
        "VectorLowpass": VectorLowpass([0.005, 0.01]),
        "VectorAlpha": VectorAlpha([0.005, 0.01]),
        "Delay": Delay(0.003),
        "DelayedLowpass": DelayedLowpass(0.005, 0.002),
        "PadeDelay": PadeDelay(0.01, order=3),
        "LegendreDelay": LegendreDelay(0.01, order=3),
        "PerNeuron": PerNeuron(nengo.LIF(), tau_rc=[0.02, 0.03]),
        "Network": <a node into a PerNeuron ensemble through a DoubleExp, and
                    out through a DelayedLowpass(0.005, 0.002)>,
    }

so they name ``nengo_dl_trainable.double_exp.DoubleExp``,
``nengo_dl_trainable.vector_synapses``, ``nengo_dl_trainable.delay``,
``nengo_dl_trainable.delay_filters`` and ``nengo_dl_trainable.neuron_types``.
"""

import importlib
import pathlib
import pickle

import nengo
import numpy as np
import pytest

import nengo_dl_trainable
from nengo_dl_trainable._old_paths import MOVED

DATA = pathlib.Path(__file__).parent
OLD_MODULES = (
    "double_exp",
    "vector_synapses",
    "delay",
    "delay_filters",
    "neuron_types",
)


def old_layout_pickle():
    major = nengo.__version__.split(".")[0]
    return (DATA / f"old_layout_nengo{major}.pkl").read_bytes()


def test_the_pickle_names_the_old_modules():
    data = old_layout_pickle()
    for name in OLD_MODULES:
        assert f"nengo_dl_trainable.{name}".encode() in data


def test_old_pickles_unpickle_as_the_same_objects():
    objects = pickle.loads(old_layout_pickle())
    t = nengo_dl_trainable
    expected = {
        "DoubleExp": t.DoubleExp(0.002, 0.01),
        "VectorLowpass": t.VectorLowpass([0.005, 0.01]),
        "VectorAlpha": t.VectorAlpha([0.005, 0.01]),
        "Delay": t.Delay(0.003),
        "DelayedLowpass": t.DelayedLowpass(0.005, 0.002),
        "PadeDelay": t.PadeDelay(0.01, order=3),
        "LegendreDelay": t.LegendreDelay(0.01, order=3),
        "PerNeuron": t.PerNeuron(nengo.LIF(), tau_rc=[0.02, 0.03]),
    }
    for name, obj in expected.items():
        assert type(objects[name]) is type(obj)
        # Nengo's FrozenObject equality compares every parameter's value
        assert objects[name] == obj, name

    net = objects["Network"]
    (into, out) = net.connections
    assert type(into.synapse) is t.DoubleExp
    assert type(out.synapse) is t.DelayedLowpass
    assert type(net.ensembles[0].neuron_type) is t.PerNeuron
    # and it runs in core Nengo
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(5)


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_module_paths_import_the_new_modules(old):
    module = importlib.import_module(f"nengo_dl_trainable.{old}")
    assert module is importlib.import_module(f"nengo_dl_trainable.{MOVED[old]}")


def test_documented_old_imports():
    from nengo_dl_trainable.distribute import local_tf_configs  # noqa: F401
    from nengo_dl_trainable.double_exp import DoubleExp
    from nengo_dl_trainable.neuron_types import PerNeuron

    assert DoubleExp is nengo_dl_trainable.DoubleExp
    assert PerNeuron is nengo_dl_trainable.PerNeuron
    import nengo_dl_trainable.delay_filters as delay_filters

    assert delay_filters.PadeDelay is nengo_dl_trainable.PadeDelay
    assert np.isclose(delay_filters.PadeDelay(0.01, order=2).theta, 0.01)
