"""Build-time errors and warnings: each names the object and says what to do."""

import warnings

import nengo
import nengo_dl
import numpy as np
import pytest
from nengo.exceptions import BuildError
from nengo_dl.graph_optimizer import transitive_planner
from nengo_dl.neuron_builders import LIFRateBuilder

import nengo_dl_trainable
from nengo_dl_trainable import TrainableParamsError
from nengo_dl_trainable.tests.utils import fit, mixed_network


def test_learning_rule_conflict_warns(Simulator):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None)
        a = nengo.Ensemble(10, 1)
        b = nengo.Node(size_in=1)
        conn = nengo.Connection(a, b, learning_rule_type=nengo.PES())
        net.config[conn].trainable_params = {"weights"}
    with pytest.warns(
        UserWarning, match="learning rule and is also set to be trainable"
    ):
        with Simulator(net):
            pass


@pytest.mark.parametrize(
    "make, names, match",
    [
        (
            lambda: nengo.Connection(
                nengo.Node(1), nengo.Node(size_in=1), synapse=None
            ),
            {"synapse"},
            "no synapse",
        ),
        (
            lambda: nengo.Connection(nengo.Node(1), nengo.Node(size_in=1)),
            {"synapse.tau_rise"},
            "unknown trainable attribute 'synapse.tau_rise'.*'synapse.tau'",
        ),
        (
            lambda: nengo.Connection(
                nengo.Node(1),
                nengo.Node(size_in=1),
                synapse=nengo.synapses.Triangle(0.01),
            ),
            {"synapse"},
            "cannot train synapse Triangle",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.Direct()),
            {"bias"},
            "Direct neurons have no bias",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.RectifiedLinear()),
            {"neuron_type.tau_rc"},
            "unknown trainable attribute 'neuron_type.tau_rc'.*'neuron_type.amplitude'",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.Izhikevich()),
            {"neuron_type"},
            "cannot train the parameters of neuron type Izhikevich.*supported: ",
        ),
        (
            lambda: nengo.Ensemble(
                3, 1, neuron_type=nengo.RegularSpiking(nengo.LIFRate())
            ),
            {"neuron_type.tau_rc"},
            "unknown .*'neuron_type.tau_rc'.*'neuron_type.base_type.tau_rc'",
        ),
        (
            lambda: nengo.Ensemble(
                3,
                1,
                neuron_type=nengo_dl_trainable.neurons.PerNeuron(
                    nengo.LIF(), tau_rc=[0.01, 0.02]
                ),
            ),
            None,
            "tau_rc has 2 per-neuron values, for 3 neurons",
        ),
        (
            lambda: (
                nengo.Ensemble(3, 1, neuron_type=nengo.AdaptiveLIF(inc_n=0)).neurons
            ),
            {"neuron_type.inc_n"},
            "cannot train inc_n=0 .*must start positive",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.Direct()),
            {"neuron_type"},
            "cannot train the parameters of neuron type Direct",
        ),
        (
            lambda: nengo.Ensemble(3, 1).neurons,
            {"neuron_type.tau_n"},
            "unknown trainable attribute 'neuron_type.tau_n'.*'neuron_type.tau_rc'",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.LIF(tau_ref=0)),
            {"neuron_type"},
            "must start positive",
        ),
        (
            lambda: nengo.Connection(
                nengo.Node(1), nengo.Node(size_in=1), synapse=nengo.Lowpass(0)
            ),
            {"synapse"},
            "tau must be positive",
        ),
        (
            lambda: nengo.Connection(
                nengo.Node(1),
                nengo.Node(size_in=1),
                synapse=nengo.LinearFilter([1], [1, 0]),
            ),
            {"synapse.den"},
            "poles .* not all strictly inside the left half-plane",
        ),
        (
            lambda: nengo.Connection(
                nengo.Node(1),
                nengo.Node(size_in=1),
                synapse=nengo.LinearFilter([1], [0.01, 1], method="euler"),
            ),
            {"synapse"},
            "forward Euler",
        ),
    ],
)
def test_build_time_errors_name_object(seed, Simulator, make, names, match):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        obj = make()
    net.config[obj].trainable_params = names
    with pytest.raises(TrainableParamsError, match=match) as info:
        with Simulator(net):
            pass
    assert str(obj) in str(info.value)


def test_failed_build_restores_nengo_precision(seed, Simulator):
    """NengoDL alone would leave nengo.rc at 32 bits after a failed build."""
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        conn = nengo.Connection(nengo.Node(1), nengo.Node(size_in=1), synapse=None)
    net.config[conn].trainable_params = {"synapse"}
    bits = nengo.rc.get("precision", "bits")
    assert bits == "64"
    with pytest.raises(TrainableParamsError):
        with Simulator(net):
            pass
    assert nengo.rc.get("precision", "bits") == bits


def test_weights_without_weights_error(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        a = nengo.Ensemble(3, 1)
        conn = nengo.Connection(a.neurons, a.neurons, transform=None)
    net.config[conn].trainable_params = {"weights"}
    with pytest.raises(TrainableParamsError, match="no weights"):
        with Simulator(net):
            pass


def test_custom_process_synapse_error(seed, Simulator):
    class MySynapse(nengo.synapses.Synapse):
        def make_state(self, shape_in, shape_out, dt, dtype=None, y0=None):
            return {}

        def make_step(self, shape_in, shape_out, dt, rng, state):
            return lambda t, x: x

    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        conn = nengo.Connection(
            nengo.Node(1), nengo.Node(size_in=1), synapse=MySynapse()
        )
    net.config[conn].trainable_params = {"synapse"}
    with pytest.raises(TrainableParamsError, match="cannot train synapse.*MySynapse"):
        with Simulator(net):
            pass


def test_build_error_in_connection_is_not_retried(seed, Simulator):
    """Nengo's test_pes_adv_idx: NengoDL's retry swallowed this BuildError."""
    with nengo.Network(seed=seed) as net:
        pre = nengo.Ensemble(10, 1)
        post = nengo.Ensemble(10, 1)
        nengo.Connection(
            pre.neurons,
            post.neurons[[0, 2, 3]],
            learning_rule_type=nengo.PES(),
            transform=np.ones((3, pre.n_neurons)),
        )
    with warnings.catch_warnings():
        # the half-built rule was "already built" on the retry
        warnings.filterwarnings("error", message=".*already been built")
        with pytest.raises(BuildError, match="does not support advanced indexing"):
            Simulator(net)


@pytest.mark.parametrize(
    "key, name, match",
    [
        ("triangle", "synapse", "cannot train synapse"),
        ("integrator", "synapse", "not all strictly"),
        ("zero", "synapse", "tau must be positive"),
        ("izhikevich", "neuron_type", "cannot train the parameters"),
        ("subclass", "neuron_type", "subclasses RegularSpiking"),
        ("lif", "neuron_type.tau_ref", "must start positive"),
        ("relu", "neuron_type.tau_rc", "unknown trainable attribute"),
    ],
)
def test_explicit_setting_on_such_objects_raises(Simulator, key, name, match):
    net, _, _, objects = mixed_network(None)
    obj = objects[key]
    target = obj.neurons if isinstance(obj, nengo.Ensemble) else obj
    net.config[target].trainable_params = {name}
    with pytest.raises(TrainableParamsError, match=match) as info:
        Simulator(net)
    assert str(target) in str(info.value)


def test_transitive_planner_refuses_clearly(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(
            trainable_params={"synapse"}, planner=transitive_planner
        )
        nengo.Connection(nengo.Node([1]), nengo.Node(size_in=1))
    with pytest.raises(BuildError, match="transitive_planner.*use another planner"):
        Simulator(net)

    # nothing selected: the planner runs as in stock NengoDL
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(planner=transitive_planner)
        nengo.Connection(nengo.Node([1]), nengo.Node(size_in=1))
    with Simulator(net) as sim:
        sim.run_steps(3)


def test_neuron_builder_attribute_check(seed, Simulator, monkeypatch):
    """A NengoDL builder without the attribute we set must not train nothing."""
    build_pre = LIFRateBuilder.build_pre

    def without_tau_rc(self, signals, config):
        build_pre(self, signals, config)
        del self.tau_rc

    monkeypatch.setattr(LIFRateBuilder, "build_pre", without_tau_rc)
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None)
        ens = nengo.Ensemble(5, 1, neuron_type=nengo.LIFRate())
    net.config[ens].trainable_params = {"neuron_type.tau_rc"}
    with pytest.raises(BuildError, match="no attribute 'tau_rc'"):
        Simulator(net)


@pytest.mark.training
@pytest.mark.parametrize("analog", [True, False])
def test_untrained_coefficients_stay_exact(Simulator, analog):
    """Training only ``den`` keeps ``num`` as given, in the original's scale."""
    if analog:
        synapse = nengo.LinearFilter([0.0, 3.0], [2e-4, 0.03, 2.0])
    else:
        synapse = nengo.LinearFilter([0.0, 0.2], [2.0, -1.2, 0.36], analog=False)
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([1])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(inp, out, synapse=synapse)
        probe = nengo.Probe(out)
    net.config[conn].trainable_params = {"synapse.den"}
    with Simulator(net, minibatch_size=1) as sim:
        fit(sim, inp, probe, n_steps=50, epochs=3, lr=0.01, target=0.5)
        trained = sim.predict({inp: np.ones((1, 50, 1))})[probe]
        sim.freeze_params(net)
    frozen = conn.synapse
    assert frozen.num is synapse.num or np.array_equal(frozen.num, synapse.num)
    # rescaled to the original leading coefficient: a few eps
    assert frozen.den[0] == pytest.approx(synapse.den[0], rel=1e-12)
    assert not np.allclose(frozen.den, synapse.den)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(50)
    assert np.allclose(ref.data[probe], trained[0], atol=1e-5)
