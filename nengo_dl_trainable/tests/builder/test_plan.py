"""NengoDL plans a network with learned parameters as it plans the stock network.

The cost of a training step grows with what NengoDL's plan does per group and
per base array, so the plan is what must not change with the network's size
(issue 38): the same groups, in the same order, as stock NengoDL's, with this
package's operators where stock has Nengo's.
"""

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf

import nengo_dl_trainable
from nengo_dl_trainable._nengo_dl import signal_values
from nengo_dl_trainable.builder.record import model_parameters

#: This package's operators and the Nengo operators they stand for.
STANDS_FOR = {
    "SimTrainableLowpass": "SimProcess",
    "SimTrainableLinearFilter": "SimProcess",
    "SimTrainableNeurons": "SimNeurons",
    "SimSpikingAwareNeurons": "SimNeurons",
}


def chain(n_ensembles, trained, synapse=nengo.Lowpass):
    """A chain fed from a node into every ensemble, as in benchmarks/scaling.py."""
    with nengo.Network(seed=0) as net:
        if trained:
            nengo_dl.configure_settings(
                trainable_params=None, spiking_aware_training=False
            )
            net.config[nengo.Connection].trainable_params = {"weights", "synapse"}
            net.config[nengo.Ensemble].trainable_params = {
                "encoders",
                "bias",
                "neuron_type.tau_rc",
            }
        stim = nengo.Node(np.zeros(2))
        ensembles = [nengo.Ensemble(10, 2) for _ in range(n_ensembles)]
        pairs = [(stim, ens) for ens in ensembles]
        pairs += list(zip(ensembles[:-1], ensembles[1:], strict=True))
        pairs.append((ensembles[-1], nengo.Node(size_in=2)))
        for i, (pre, post) in enumerate(pairs):
            nengo.Connection(pre, post, synapse=synapse(0.005 + 0.001 * i))
        nengo.Probe(ensembles[-1])
    return net


def plan(sim):
    return [
        (STANDS_FOR.get(type(ops[0]).__name__, type(ops[0]).__name__), len(ops))
        for ops in sim.tensor_graph.plan
    ]


@pytest.mark.parametrize("n_ensembles", [2, 16])
def test_plan_is_stock_nengo_dls(Simulator, n_ensembles):
    with Simulator(chain(n_ensembles, trained=False), progress_bar=False) as sim:
        stock = plan(sim)
    net = chain(n_ensembles, trained=True)
    with Simulator(net, progress_bar=False) as sim:
        trained = plan(sim)
        # a tau_rc per ensemble, a tau per connection (two per ensemble)
        assert len(model_parameters(sim.model)) == 3 * n_ensembles
    assert trained == stock


def test_plan_with_double_exponentials_is_stock_nengo_dls(Simulator):
    def double_exp(tau):
        return nengo_dl_trainable.DoubleExp(tau, 0.002)

    with Simulator(chain(8, False, double_exp), progress_bar=False) as sim:
        stock = plan(sim)
    with Simulator(chain(8, True, double_exp), progress_bar=False) as sim:
        assert plan(sim) == stock


@pytest.mark.parametrize("n_ensembles", [2, 16])
def test_signal_values_reads_each_base_array_once(Simulator, n_ensembles, monkeypatch):
    net = chain(n_ensembles, trained=True)
    with Simulator(net, progress_bar=False) as sim:
        signals = [p.signal for p in model_parameters(sim.model)]
        expected = [sim.tensor_graph.get_tensor(signal).numpy() for signal in signals]
        reads = []
        batch_get_value = tf.keras.backend.batch_get_value

        def counting(tensors):
            reads.append(len(tensors))
            return batch_get_value(tensors)

        monkeypatch.setattr(tf.keras.backend, "batch_get_value", counting)
        values = signal_values(sim, signals)
        keys = {sim.tensor_graph.signals[s].key for s in signals}
    # one read, of the arrays NengoDL merged the parameters into: as many
    # whatever the number of parameters
    assert reads == [len(keys)]
    assert reads[0] <= 3
    for value, reference in zip(values, expected, strict=True):
        assert np.array_equal(value, reference)
