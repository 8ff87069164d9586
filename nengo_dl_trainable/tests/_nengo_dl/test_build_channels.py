"""The doors of `.build_channels` still lead where the package uses them.

Each test runs core Nengo's own build functions (not this package's) and fails
when an upstream change closes a door: the synapse build no longer called from
the connection build, connections into neurons no longer read
``model.sig[neurons]["in"]``, or the ensemble and neuron builds no longer emit
the operators this package replaces.
"""

import nengo
import numpy as np
import pytest
from nengo.builder import Builder, Model, Signal
from nengo.builder.network import seed_network
from nengo.builder.neurons import SimNeurons
from nengo.builder.operator import DotInc

from nengo_dl_trainable._nengo_dl.build_channels import (
    built_operator_index,
    handed_to_synapse,
    handing_to_synapse,
    model_attribute,
    neuron_input_redirected,
)


class _SeenLowpass(nengo.Lowpass):
    """A lowpass whose build function records what was handed to it."""


SEEN = []


@Builder.register(_SeenLowpass)
def _build_seen_lowpass(model, synapse, sig_in, sig_out=None, mode="set"):
    SEEN.append(handed_to_synapse(model, synapse))
    return Builder.build(model, nengo.Lowpass(synapse.tau), sig_in, mode=mode)


class _Handed:
    def __init__(self, synapse):
        self.synapse = synapse


def _built_then_connected(net, connect, seed):
    """Build ``net`` in core Nengo; return the model and a network of connections.

    ``connect()`` makes connections between ``net``'s objects in a network of
    their own, so that each can be built (once, as Nengo allows) where a test
    opens a door.
    """
    model = Model(dt=0.001)
    model.build(net)
    with nengo.Network(seed=seed) as connections:
        made = connect()
    # seeds are given at the top-level network's build only
    seed_network(connections, seeds=model.seeds, seeded=model.seeded)
    return model, connections, made


def test_connection_build_calls_the_synapse_build_with_the_model(seed):
    SEEN.clear()
    with nengo.Network(seed=seed) as net:
        a = nengo.Node([0.5])
        b = nengo.Node(size_in=1)
    model, connections, (conn, other) = _built_then_connected(
        net,
        lambda: (
            nengo.Connection(a, b, synapse=_SeenLowpass(0.01)),
            nengo.Connection(a, b, synapse=_SeenLowpass(0.02)),
        ),
        seed,
    )
    handed = _Handed(conn.synapse)
    with handing_to_synapse(model, handed):
        model.build(connections)
    # taken once, by its own synapse only, and the context closed the door
    assert SEEN == [handed, None]
    assert handed_to_synapse(model, conn.synapse) is None
    assert handed_to_synapse(model, other.synapse) is None


def test_connections_into_neurons_read_the_neuron_input(seed):
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(np.ones(3))
        ens = nengo.Ensemble(3, 1)
    model, _, conns = _built_then_connected(
        net,
        lambda: (
            nengo.Connection(stim, ens.neurons, synapse=None),
            nengo.Connection(ens, ens.neurons, synapse=None, transform=np.ones((3, 1))),
        ),
        seed,
    )
    redirected = Signal(np.zeros(3), name="redirected")
    for conn in conns:
        first = len(model.operators)
        with neuron_input_redirected(model, ens.neurons, redirected):
            Builder.build(model, conn)
        writes = [
            op for op in model.operators[first:] if redirected in op.incs + op.sets
        ]
        assert writes, f"{conn} does not write the neurons' input entry"
    assert model.sig[ens.neurons]["in"] is not redirected  # restored


@pytest.mark.parametrize("neuron_type", [nengo.LIF(), nengo.RectifiedLinear()])
def test_ensemble_build_emits_the_operators_replaced(neuron_type, seed):
    with nengo.Network(seed=seed) as net:
        ens = nengo.Ensemble(4, 2, neuron_type=neuron_type)
    model = Model(dt=0.001)
    model.build(net)
    encoders = model.sig[ens]["encoders"]
    index = built_operator_index(
        model, 0, lambda op: isinstance(op, DotInc) and op.A is encoders
    )
    assert model.operators[index].Y is model.sig[ens.neurons]["in"]
    index = built_operator_index(model, 0, lambda op: isinstance(op, SimNeurons))
    assert model.operators[index].neurons is neuron_type
    with pytest.raises(RuntimeError, match="core Nengo's build functions differ"):
        built_operator_index(model, len(model.operators), lambda op: True)


def test_model_attribute_is_made_once():
    model = Model(dt=0.001)
    made = []
    first = model_attribute(
        model, "nengo_dl_trainable_test", lambda: made.append(1) or []
    )
    assert model_attribute(model, "nengo_dl_trainable_test", list) is first
    assert made == [1]
