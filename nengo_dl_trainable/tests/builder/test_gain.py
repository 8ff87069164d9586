"""An ensemble's gain trained on its own (``"gain"``, ``gain=L(...)``)."""

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import BuildError

import nengo_dl_trainable
from nengo_dl_trainable import TrainableParamsError
from nengo_dl_trainable.tests.utils import run_core

N_NEURONS = 12
DT = 0.001


def gain_net(trainable=("gain",), gain=None, weight_solver=True, seed=0):
    """Input node -> ensemble, also into its neurons (sliced and indexed), and a
    decoded connection solved for full weights from a second ensemble.

    Gains, biases and encoders are given, so that core Nengo rebuilds exactly the
    same ensemble with a shifted ``gain``. NengoDL cannot freeze connections
    solved for full weights (stock NengoDL 3.6.0 writes their weights as a
    transform), so ``weight_solver=False`` leaves that connection out.
    """
    rng = np.random.RandomState(seed)
    built_gain = rng.uniform(1, 3, size=N_NEURONS)
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(2))
        pre = nengo.Ensemble(8, 1, neuron_type=nengo.LIFRate())
        ens = nengo.Ensemble(
            N_NEURONS,
            2,
            neuron_type=nengo.LIFRate(),
            gain=built_gain if gain is None else gain,
            bias=rng.uniform(0.5, 2, size=N_NEURONS),
            encoders=rng.choice([-1, 1], size=(N_NEURONS, 2)),
            normalize_encoders=False,
        )
        nengo.Connection(stim, ens, synapse=None)
        nengo.Connection(stim[0], pre, synapse=None)
        nengo.Connection(
            stim, ens.neurons[2:7], transform=rng.uniform(-1, 1, (5, 2)), synapse=None
        )
        nengo.Connection(
            stim[1], ens.neurons[[0, 3, 11]], transform=[[0.5], [-1], [1]], synapse=None
        )
        if weight_solver:
            nengo.Connection(
                pre,
                ens,
                transform=[[1], [0.5]],
                solver=nengo.solvers.LstsqL2(weights=True),
                synapse=0.005,
            )
        if trainable is not None:
            net.config[ens].trainable_params = set(trainable)
        probe = nengo.Probe(ens.neurons)
        probe_input = nengo.Probe(ens.neurons, "input")
    return net, stim, ens, (probe, probe_input)


def inputs(rng, n_steps, batch=None):
    shape = (n_steps, 2) if batch is None else (batch, n_steps, 2)
    return rng.uniform(-1, 1, size=shape)


@pytest.mark.parametrize(
    "dtype, minibatch_size, unroll", [("float32", 1, 1), ("float64", 3, 4)]
)
def test_untrained_gain_matches_stock_nengo_dl(
    Simulator, dtype, minibatch_size, unroll, rng, allclose
):
    x = inputs(rng, 32, batch=minibatch_size)
    outputs = {}
    for trainable in (("gain",), None):
        net, stim, _, probes = gain_net(trainable=trainable)
        with net:
            nengo_dl.configure_settings(dtype=dtype)
        with Simulator(
            net,
            minibatch_size=minibatch_size,
            unroll_simulation=unroll,
            progress_bar=False,
        ) as sim:
            outputs[trainable] = sim.predict({stim: x})
    for probe in probes:
        assert np.abs(outputs[None][probe]).max() > 1  # active, with input
    tolerance = {"atol": 1e-4, "rtol": 1e-5} if dtype == "float32" else {"atol": 1e-9}
    for ours, stock in zip(
        outputs[("gain",)].values(), outputs[None].values(), strict=True
    ):
        assert allclose(ours, stock, **tolerance)


@pytest.mark.training
def test_gain_gradient_matches_core_nengo_finite_differences(Simulator, rng):
    """The gradient of the gain factor equals core Nengo's finite differences."""
    n_steps, lr = 20, 1e-6
    x = inputs(rng, n_steps)
    target = rng.uniform(0, 200, size=(n_steps, N_NEURONS))
    net, stim, ens, (probe, _) = gain_net()
    with net:
        nengo_dl.configure_settings(dtype="float64")
    with Simulator(net, progress_bar=False) as sim:
        built_gain = sim.data[ens].gain.copy()
        sim.compile(optimizer=tf.optimizers.SGD(lr), loss={probe: "mse"})
        sim.fit({stim: x[None]}, {probe: target[None]}, epochs=1, verbose=0)
        signal = sim.model.sig[ens]["gain"]
        after = sim.tensor_graph.get_tensor(signal).numpy()
    gradients = (signal.initial_value - after) / lr

    eps = 1e-6
    for neuron in (0, 3, 9):  # indexed + encoded, sliced + encoded, encoded only
        losses = []
        for sign in (1, -1):
            gain = built_gain.copy()
            gain[neuron] *= 1 + sign * eps
            net, stim, _, (probe, _) = gain_net(trainable=None, gain=gain)
            (output,) = run_core(net, stim, [probe], x)
            losses.append(np.mean((output - target) ** 2))
        numeric = (losses[0] - losses[1]) / (2 * eps)
        assert abs(numeric) > 1e-3
        assert gradients[neuron] == pytest.approx(numeric, rel=1e-4)


def train(sim, stim, probe, x, epochs=10, lr=0.05):
    sim.compile(optimizer=tf.optimizers.Adam(lr), loss={probe: "mse"})
    target = np.full(x.shape[:2] + (N_NEURONS,), 40.0)
    sim.fit({stim: x}, {probe: target}, epochs=epochs, verbose=0)


@pytest.mark.training
def test_only_the_gain_trains(Simulator, rng):
    x = inputs(rng, 30, batch=2)
    net, stim, ens, (probe, _) = gain_net()
    with net:
        nengo_dl.configure_settings(trainable_params=set())  # only ens's own setting
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        before = sim.data[ens]
        weighted = [c for c in net.all_connections if sim.data[c].weights is not None]
        weights_before = [sim.data[c].weights.copy() for c in weighted]
        train(sim, stim, probe, x)
        after = sim.data[ens]
        weights_after = [sim.data[c].weights for c in weighted]
        (info,) = nengo_dl_trainable.parameter_info(sim)
    factor = after.gain / before.gain
    assert np.all(np.abs(factor - 1) > 1e-3)  # every neuron's gain moved
    assert np.array_equal(after.bias, before.bias)
    assert np.allclose(after.encoders, before.encoders, atol=1e-6)
    for w_before, w_after in zip(weights_before, weights_after, strict=True):
        assert np.array_equal(w_before, w_after)
    # sim.data is consistent: scaled encoders follow the learned gain
    assert np.allclose(
        after.scaled_encoders, before.scaled_encoders * factor[:, None], rtol=1e-6
    )
    assert (info.obj, info.name, info.shape, info.trains) == (
        ens,
        "gain",
        "per neuron",
        True,
    )
    assert np.allclose(info.value, after.gain)


@pytest.mark.training
def test_frozen_gain_runs_in_core_nengo(Simulator, rng, allclose):
    """Trained, frozen: core Nengo reproduces NengoDL, neuron input included."""
    x = inputs(rng, 40)
    net, stim, ens, probes = gain_net(weight_solver=False)
    with Simulator(net, progress_bar=False) as sim:
        train(sim, stim, probes[0], x[None])
        trained = sim.predict({stim: x[None]})
        learned_gain = sim.data[ens].gain
        sim.freeze_params(net)
    assert np.allclose(ens.gain, learned_gain)
    assert not np.allclose(ens.gain, gain_net()[2].gain, rtol=1e-3)
    core = run_core(net, stim, probes, x)
    for probe, output in zip(probes, core, strict=True):
        assert allclose(output, trained[probe][0], atol=1e-3, rtol=1e-4)


@pytest.mark.training
def test_gain_save_load_round_trip(Simulator, rng, tmp_path):
    x = inputs(rng, 30, batch=1)
    net, stim, ens, (probe, _) = gain_net()
    with Simulator(net, progress_bar=False) as sim:
        built_gain = sim.data[ens].gain.copy()
        train(sim, stim, probe, x, epochs=3)
        learned_gain = sim.data[ens].gain
        sim.save_params(tmp_path / "params")
    assert not np.allclose(learned_gain, built_gain)
    with Simulator(net, progress_bar=False) as sim:
        assert np.allclose(sim.data[ens].gain, built_gain)
        sim.load_params(tmp_path / "params")
        assert np.allclose(sim.data[ens].gain, learned_gain)


def test_stock_does_not_include_the_gain(Simulator):
    net, _, ens, _ = gain_net(trainable=("stock",))
    with Simulator(net, progress_bar=False) as sim:
        assert nengo_dl_trainable.parameter_info(sim) == []
        assert sim.model.sig[ens]["encoders"].trainable


def test_gain_of_direct_neurons(Simulator, seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params={"gain"})
        direct = nengo.Ensemble(3, 1, neuron_type=nengo.Direct())
        lif = nengo.Ensemble(3, 1)
    # a default passes over the Direct ensemble
    with Simulator(net, progress_bar=False) as sim:
        infos = nengo_dl_trainable.parameter_info(sim)
    assert [(info.obj, info.name) for info in infos] == [(lif, "gain")]
    # set on it, or marked, it is an error
    net.config[direct].trainable_params = {"gain"}
    with pytest.raises(TrainableParamsError, match="Direct neurons have no gain"):
        Simulator(net, progress_bar=False)
    with nengo.Network(seed=seed) as net:
        nengo.Ensemble(
            3, 1, neuron_type=nengo.Direct(), gain=nengo_dl_trainable.L(None)
        )
    with pytest.raises(TrainableParamsError, match="Direct neurons have no gain"):
        Simulator(net, progress_bar=False)


def test_inference_only_keeps_the_built_gain(Simulator, rng, allclose):
    x = inputs(rng, 20, batch=1)
    outputs = []
    for trainable in (("gain",), None):
        net, stim, _, probes = gain_net(trainable=trainable)
        with net:
            nengo_dl.configure_settings(inference_only=True)
        with Simulator(net, progress_bar=False) as sim:
            outputs.append(sim.predict({stim: x})[probes[0]])
    assert allclose(outputs[0], outputs[1], atol=1e-4, rtol=1e-5)


def test_connection_to_an_unbuilt_ensemble_fails_as_in_stock(Simulator, seed):
    """Looking for a gain input must not make the post look built."""
    with nengo.Network(seed=seed):
        outside = nengo.Ensemble(3, 1)
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(np.zeros(3))
        nengo.Connection(stim, outside.neurons)
    with pytest.raises(BuildError, match="is not in the model"):
        Simulator(net, progress_bar=False)
