"""Inline markers L(...) and S(...): what they train, and that Nengo ignores them."""

import copy
import pickle

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengo_dl_trainable
from nengo_dl_trainable import DoubleExp, TrainableParamsError
from nengo_dl_trainable.config.markers import marks
from nengo_dl_trainable.tools.optimizer_step import RELATIVE_STEP


def seed_network(L, S):
    """NengoDL issue #60's marker lines, in one network."""
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(np.zeros(2))
        a = nengo.Ensemble(
            20, 2, neuron_type=nengo.LIF(tau_rc=L(0.02), tau_ref=S(0.002))
        )
        b = nengo.Ensemble(
            20,
            2,
            neuron_type=L(nengo.Default),
            gain=L(nengo.Default),
            bias=S(nengo.Default),
        )
        into_a = nengo.Connection(stim, a.neurons, transform=np.ones((20, 2)))
        a_to_b = nengo.Connection(a, b, transform=S(1))
        b_out = nengo.Node(size_in=2)
        b_to_out = nengo.Connection(b, b_out, synapse=L(0.01))
        probe = nengo.Probe(b_out)
    return net, stim, probe, (a, b, into_a, a_to_b, b_to_out)


def learnable_values(sim, objs):
    """NengoDL's weights and biases, and this package's parameters, by name."""
    a, b, into_a, a_to_b, b_to_out = objs
    values = {
        "a.bias": sim.data[a].bias,
        "b.bias": sim.data[b].bias,
        "into_a.weights": sim.data[into_a].weights,
        "a_to_b.weights": sim.data[a_to_b].weights,
        "b_to_out.weights": sim.data[b_to_out].weights,
    }
    names = {a: "a", b: "b", a.neurons: "a", b.neurons: "b", b_to_out: "b_to_out"}
    for info in nengo_dl_trainable.parameter_info(sim):
        values[f"{names[info.obj]}.{info.name}"] = info.value
    return {k: np.array(v, copy=True) for k, v in values.items()}


@pytest.mark.training
def test_seed_lines_train_what_they_mark(Simulator, rng):
    from nengo_dl import L, S  # the seed's import

    net, stim, probe, objs = seed_network(L, S)
    x = rng.uniform(-1, 1, size=(4, 20, 2))
    with Simulator(net, minibatch_size=4, progress_bar=False) as sim:
        before = learnable_values(sim, objs)
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        sim.fit({stim: x}, {probe: 0.5 * x}, epochs=3, verbose=0)
        after = learnable_values(sim, objs)
    moved = {name for name in before if not np.array_equal(before[name], after[name])}
    assert moved == {
        "a.bias",  # stock: NengoDL trains biases
        "a.neuron_type.tau_rc",  # L
        "b.neuron_type.tau_rc",  # L(Default): every parameter of b's LIF
        "b.neuron_type.tau_ref",
        "b.neuron_type.amplitude",
        "b.gain",  # L(Default)
        "into_a.weights",  # stock
        "b_to_out.weights",  # stock
        "b_to_out.synapse.tau",  # L
    }
    # S: b's bias and a_to_b's weights stay as they were, a's tau_ref is no
    # parameter at all
    assert {"b.bias", "a_to_b.weights"} <= set(before) - moved
    assert "a.neuron_type.tau_ref" not in before


@pytest.mark.training
def test_markers_equal_the_names_they_stand_for(Simulator, rng):
    """The marked network and the same network configured by name train alike."""
    x = rng.uniform(-1, 1, size=(2, 20, 2))
    learned = []
    for use_markers in (True, False):
        if use_markers:
            net, stim, probe, objs = seed_network(
                nengo_dl_trainable.L, S=nengo_dl_trainable.S
            )
        else:
            net, stim, probe, objs = seed_network(lambda v: v, lambda v: v)
            a, b, _, a_to_b, b_to_out = objs
            with net:
                nengo_dl.configure_settings(trainable_params=None)
            net.config[a.neurons].trainable_params = {"bias", "neuron_type.tau_rc"}
            net.config[b].trainable_params = {"encoders", "gain"}
            net.config[b.neurons].trainable_params = {"neuron_type"}
            net.config[a_to_b].trainable_params = set()
            net.config[b_to_out].trainable_params = {"weights", "synapse"}
        with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
            sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
            sim.fit({stim: x}, {probe: 0.5 * x}, epochs=2, verbose=0)
            learned.append(learnable_values(sim, objs))
    assert learned[0].keys() == learned[1].keys()
    for name in learned[0]:
        assert np.allclose(learned[0][name], learned[1][name], atol=1e-6), name


def core_output(net, probe):
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(50)
    return sim.data[probe]


def seed_network_with_input(L, S):
    net, stim, probe, objs = seed_network(L, S)
    stim.output = lambda t: [np.sin(10 * t), np.cos(7 * t)]
    return net, probe, objs


def test_core_nengo_ignores_markers(allclose):
    marked, marked_probe, objs = seed_network_with_input(
        nengo_dl_trainable.L, nengo_dl_trainable.S
    )
    plain, plain_probe, _ = seed_network_with_input(lambda v: v, lambda v: v)
    output = core_output(marked, marked_probe)
    assert np.abs(output).max() > 0.01
    assert allclose(output, core_output(plain, plain_probe), atol=0)
    a, b, _, a_to_b, b_to_out = objs
    # the values stored are the plain values, with the marks beside them
    assert type(a.neuron_type.tau_rc) is float and a.neuron_type.tau_rc == 0.02
    assert b_to_out.synapse == nengo.Lowpass(0.01)
    assert marks(b_to_out) == {"synapse": True}
    assert marks(a.neuron_type) == {"tau_rc": True, "tau_ref": False}
    assert marks(b) == {"neuron_type": True, "gain": True, "bias": False}
    assert b.gain is None  # Default: computed from max_rates and intercepts


@pytest.mark.parametrize(
    "copier", [lambda net: pickle.loads(pickle.dumps(net)), copy.deepcopy]
)
def test_marks_survive_pickling_and_copies(copier):
    net, _, _, objs = seed_network(nengo_dl_trainable.L, nengo_dl_trainable.S)
    copied = copier(net)
    by_label = {}
    for original, new in zip(
        net.all_connections + net.all_ensembles,
        copied.all_connections + copied.all_ensembles,
        strict=True,
    ):
        assert marks(new) == marks(original)
        by_label[id(original)] = new
    a, b = objs[:2]
    assert marks(by_label[id(a)].neuron_type) == {"tau_rc": True, "tau_ref": False}


@pytest.mark.training
def test_freezing_writes_plain_values(Simulator, rng):
    net, stim, probe, objs = seed_network(nengo_dl_trainable.L, nengo_dl_trainable.S)
    x = rng.uniform(-1, 1, size=(1, 20, 2))
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05, epsilon=1e-12), loss="mse")
        sim.fit({stim: x}, {probe: 0.5 * x}, epochs=1, verbose=0)
        sim.freeze_params(net)
    a, b, _, _, b_to_out = objs
    assert isinstance(b.gain, np.ndarray) and b.gain.shape == (20,)
    assert type(b_to_out.synapse) is nengo.Lowpass
    assert type(a.neuron_type) is nengo.LIF
    # Adam's first step (epsilon negligible): each log(tau) moves by the rate
    # times the multiplier that makes it follow the rate, RELATIVE_STEP in all
    step = RELATIVE_STEP
    assert abs(np.log(b_to_out.synapse.tau / 0.01)) == pytest.approx(step, rel=1e-4)
    assert abs(np.log(a.neuron_type.tau_rc / 0.02)) == pytest.approx(step, rel=1e-4)
    core_output(net, probe)  # runs in core Nengo


@pytest.mark.parametrize(
    "marked, config_names",
    [
        (dict(synapse=nengo_dl_trainable.L(0.01)), {"weights"}),
        (dict(synapse=nengo_dl_trainable.S(0.01)), {"synapse"}),
        (dict(transform=nengo_dl_trainable.L(1)), {"synapse"}),
        (dict(synapse=DoubleExp(nengo_dl_trainable.S(0.05), 0.03)), {"synapse"}),
    ],
)
def test_marker_contradicting_config_raises(Simulator, seed, marked, config_names):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None)
        a = nengo.Node(np.zeros(1))
        b = nengo.Node(size_in=1)
        conn = nengo.Connection(a, b, **marked)
        net.config[conn].trainable_params = config_names
    with pytest.raises(TrainableParamsError, match="contradict config"):
        Simulator(net, progress_bar=False)


def test_marker_agreeing_with_config_is_fine(Simulator, seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None)
        a = nengo.Node(np.zeros(1))
        b = nengo.Node(size_in=1)
        conn = nengo.Connection(a, b, synapse=nengo_dl_trainable.L(0.01))
        net.config[conn].trainable_params = {"synapse"}
    with Simulator(net, progress_bar=False) as sim:
        infos = nengo_dl_trainable.parameter_info(sim)
    assert [(info.name, info.trains) for info in infos] == [("synapse.tau", True)]


def test_fixed_parameter_under_a_default(Simulator, seed, rng):
    """S on one parameter removes it from a default that selects the synapse."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params={"synapse"})
        a = nengo.Node(np.zeros(1))
        b = nengo.Node(size_in=1)
        nengo.Connection(a, b, synapse=DoubleExp(nengo_dl_trainable.S(0.05), 0.03))
    with Simulator(net, progress_bar=False) as sim:
        infos = nengo_dl_trainable.parameter_info(sim)
    assert [info.name for info in infos if info.trains] == ["synapse.tau2"]


def test_learned_marker_must_apply(Simulator, seed):
    with nengo.Network(seed=seed) as net:
        a = nengo.Node(np.zeros(1))
        b = nengo.Node(size_in=1)
        nengo.Connection(
            a, b, synapse=nengo_dl_trainable.L(nengo.synapses.Triangle(0.01))
        )
    with pytest.raises(TrainableParamsError, match="cannot train synapse Triangle"):
        Simulator(net, progress_bar=False)
    with nengo.Network(seed=seed) as net:
        nengo.Ensemble(5, 1, neuron_type=nengo.LIF(min_voltage=nengo_dl_trainable.L(0)))
    with pytest.raises(TrainableParamsError, match="neuron_type.min_voltage"):
        Simulator(net, progress_bar=False)


def test_unmarkable_attributes_are_refused_at_once(seed):
    L = nengo_dl_trainable.L
    with nengo.Network(seed=seed):
        with pytest.raises(ValidationError, match="radius cannot be marked"):
            nengo.Ensemble(5, 1, radius=L(1))
        with pytest.raises(ValidationError, match="cannot be marked"):
            nengo.Node(L(0.5))
    with pytest.raises(TypeError, match="marked once"):
        L(nengo_dl_trainable.S(1))
    assert repr(L(0.01)) == "L(0.01)" and repr(nengo_dl_trainable.S([1])) == "S([1])"
    assert L(0.01) * 2 == 0.02  # a marked number is a number
    assert nengo_dl_trainable.learned is L and nengo_dl_trainable.fixed is (
        nengo_dl_trainable.S
    )


def test_markers_contradicting_each_other_raise(Simulator, seed):
    L, S = nengo_dl_trainable.L, nengo_dl_trainable.S
    with nengo.Network(seed=seed) as net:
        a = nengo.Node(np.zeros(1))
        b = nengo.Node(size_in=1)
        nengo.Connection(a, b, synapse=L(nengo.Lowpass(S(0.01))))
    with pytest.raises(TrainableParamsError, match="contradict each other"):
        Simulator(net, progress_bar=False)
