"""Settings that never fail silently: explicit beats default, defaults skip loudly."""

import warnings
from types import SimpleNamespace

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import BuildError, SimulatorClosed
from nengo_dl.graph_optimizer import transitive_planner
from nengo_dl.neuron_builders import LIFRateBuilder

import nengo_dl_trainable
from nengo_dl_trainable import TrainableParamsError, TrainableParamsWarning
from nengo_dl_trainable.parameters import model_parameters
from nengo_dl_trainable.resolution import selected_attributes
from nengo_dl_trainable.tests.nengo_core_loader import make_test_sim


def trainable_names(sim):
    """Names of the Keras variables that train, and their values now."""
    return {w.name: w.numpy().copy() for w in sim.keras_model.trainable_weights}


def fit(sim, inp, probe, n_steps=5, epochs=2, lr=0.05, target=2.0):
    sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
    sim.fit(
        {inp: np.ones((sim.minibatch_size, n_steps, 1))},
        {probe: np.full((sim.minibatch_size, n_steps, probe.size_in), target)},
        epochs=epochs,
        verbose=0,
    )


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


@pytest.mark.training
@pytest.mark.parametrize("where", ["ensemble", "neurons"])
def test_freeze_everything_then_opt_in(Simulator, where):
    """``trainable=False`` as default must not silently beat an object setting."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(
            trainable=False, trainable_params=None, stateful=False
        )
        inp = nengo.Node([0])
        ens = nengo.Ensemble(10, 1, neuron_type=nengo.LIFRate())
        nengo.Connection(inp, ens)
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(ens, out)
        probe = nengo.Probe(out)
    obj = ens if where == "ensemble" else ens.neurons
    net.config[obj].trainable_params = {"neuron_type"}

    with Simulator(net, minibatch_size=2) as sim:
        variables = {id(w) for w in sim.keras_model.trainable_weights}
        signals = sim.tensor_graph.signals
        parameter_variables = {
            id(sim.tensor_graph.base_params[signals.sig_map[p.signal].key])
            for p in model_parameters(sim.model)
        }
        before = {
            "encoders": sim.data[ens].scaled_encoders.copy(),
            "bias": sim.data[ens].bias.copy(),
            "weights": sim.data[conn].weights.copy(),
        }
        fit(sim, inp, probe)
        after = {
            "encoders": sim.data[ens].scaled_encoders,
            "bias": sim.data[ens].bias,
            "weights": sim.data[conn].weights,
        }
        sim.freeze_params(net)
    # exactly the neuron parameters train: the variables holding them, no other
    assert len(model_parameters(sim.model)) == 3  # tau_rc, tau_ref, amplitude
    assert variables == parameter_variables
    for key in before:
        assert np.array_equal(before[key], after[key]), key
    lif = ens.neuron_type
    assert type(lif) is nengo.LIFRate
    assert lif.tau_rc != 0.02 and lif.tau_ref != 0.002 and lif.amplitude != 1


def test_object_setting_beats_lower_network_default(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None)
        with nengo.Network(seed=seed) as sub:
            nengo_dl.configure_settings(trainable=False, trainable_params=None)
            sub.config[nengo.Connection].trainable_params = set()
            a = nengo.Ensemble(5, 1)
            conn = nengo.Connection(a, a)
    net.config[conn].trainable_params = {"synapse"}
    configs = [net.config, sub.config]
    names = selected_attributes(configs, conn)
    assert names == {"synapse"} and names.explicit


def test_neurons_and_ensemble_settings_contradict(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None)
        ens = nengo.Ensemble(5, 1)
    net.config[ens].trainable_params = {"encoders", "neuron_type"}
    net.config[ens.neurons].trainable_params = {"bias"}
    with pytest.raises(TrainableParamsError, match="leaves it out") as info:
        Simulator(net)
    message = str(info.value)
    assert "neuron_type" in message and str(ens.neurons) in message

    # agreeing (or adding to it) is fine
    net.config[ens.neurons].trainable_params = {"bias", "neuron_type.tau_rc"}
    with pytest.raises(TrainableParamsError, match="neuron_type"):
        Simulator(net)  # "neuron_type" asks for all, the neurons give tau_rc only
    net.config[ens.neurons].trainable_params = {"bias", "neuron_type"}
    with Simulator(net):
        pass


def test_stock_plus_synapse(Simulator):
    """``"stock"`` is what NengoDL trains by default; names add to it."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params={"stock", "synapse"})
        inp = nengo.Node([0])
        ens = nengo.Ensemble(10, 1)
        into = nengo.Connection(inp, ens)  # no weights: a Node's NoTransform
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(ens, out)
        nengo.Probe(out)
    with Simulator(net) as sim:
        sig = sim.model.sig
        marks = {
            "encoders": sig[ens]["encoders"].trainable,
            "bias": sig[ens.neurons]["bias"].trainable,
            "weights": sig[conn]["weights"].trainable,
            "into.synapse": sig[into]["synapse.tau"].trainable,
            "conn.synapse": sig[conn]["synapse.tau"].trainable,
        }
    assert marks == dict.fromkeys(marks, True)

    # "stock" alone on an object is exactly stock NengoDL's choice
    with nengo.Network(seed=0) as net2:
        nengo_dl.configure_settings(trainable_params=None)
        a = nengo.Ensemble(10, 1)
        c = nengo.Connection(a, nengo.Node(size_in=1))
        node_conn = nengo.Connection(nengo.Node([0]), a)
    for obj in (a, c, node_conn):
        net2.config[obj].trainable_params = {"stock"}
    with Simulator(net2) as sim:
        assert sim.model.sig[a]["encoders"].trainable
        assert sim.model.sig[a.neurons]["bias"].trainable
        assert sim.model.sig[c]["weights"].trainable


class SpikingTanh(nengo.RegularSpiking):
    """A subclass of a supported type, as in Nengo's own test suite."""

    def __init__(self, tau_ref=0.0025, **kwargs):
        super().__init__(nengo.Tanh(tau_ref=tau_ref), **kwargs)


def mixed_network(default):
    """One object of each kind a default cannot (fully) train."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=default, stateful=False)
        inp = nengo.Node([0.5])
        objects = {
            "lif": nengo.Ensemble(10, 1, neuron_type=nengo.LIF(tau_ref=0)),
            "direct": nengo.Ensemble(1, 1, neuron_type=nengo.Direct()),
            "izhikevich": nengo.Ensemble(10, 1, neuron_type=nengo.Izhikevich()),
            "relu": nengo.Ensemble(10, 1, neuron_type=nengo.RectifiedLinear()),
            "subclass": nengo.Ensemble(10, 1, neuron_type=SpikingTanh()),
        }
        out = nengo.Node(size_in=1)
        for ens in objects.values():
            nengo.Connection(inp, ens)
        objects["lowpass"] = nengo.Connection(objects["lif"], out, synapse=0.01)
        objects["triangle"] = nengo.Connection(
            objects["relu"], out, synapse=nengo.synapses.Triangle(0.01)
        )
        objects["integrator"] = nengo.Connection(
            objects["direct"], out, synapse=nengo.LinearFilter([1], [1, 0])
        )
        objects["zero"] = nengo.Connection(objects["izhikevich"], out, synapse=0)
        objects["subclass_conn"] = nengo.Connection(objects["subclass"], out)
        probe = nengo.Probe(out)
    return net, inp, probe, objects


@pytest.mark.training
def test_default_skips_what_cannot_train_and_reports(Simulator):
    net, inp, probe, objects = mixed_network({"synapse", "neuron_type"})
    with pytest.warns(TrainableParamsWarning) as record:
        sim = Simulator(net)
    with sim:
        messages = [
            str(w.message) for w in record if w.category is TrainableParamsWarning
        ]
        assert len(messages) == 1  # once, in one place
        message = messages[0]
        for key in ("triangle", "integrator", "zero", "direct", "izhikevich"):
            assert (
                str(
                    objects[key].neurons
                    if key in ("direct", "izhikevich")
                    else objects[key]
                )
                in message
            ), key
        assert "tau_ref=0" in message and "neuron_type.tau_ref" in message
        assert "SpikingTanh" in message and "subclass" in message

        trains = {
            (p.obj, p.name) for p in nengo_dl_trainable.parameter_info(sim) if p.trains
        }
        lif, relu = objects["lif"], objects["relu"]
        assert (lif, "neuron_type.tau_rc") in trains
        assert (lif, "neuron_type.amplitude") in trains
        assert (lif, "neuron_type.tau_ref") not in trains
        assert (relu, "neuron_type.amplitude") in trains
        assert (objects["lowpass"], "synapse.tau") in trains
        assert (objects["subclass_conn"], "synapse.tau") in trains
        # and the five input connections' default Lowpass
        assert len(trains) == 10
        text = nengo_dl_trainable.summary(sim, print_fn=None)
        assert "skipped by defaults (" in text and "Triangle" in text
        before = trainable_names(sim)
        fit(sim, inp, probe, lr=0.01, epochs=1)
        after = trainable_names(sim)
        assert any(not np.allclose(before[k], after[k]) for k in before)


def test_default_names_a_parameter_some_types_lack(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params={"neuron_type.tau_rc"})
        lif = nengo.Ensemble(5, 1, neuron_type=nengo.LIFRate())
        relu = nengo.Ensemble(5, 1, neuron_type=nengo.RectifiedLinear())
    with pytest.warns(TrainableParamsWarning, match="neuron_type.tau_rc"):
        sim = Simulator(net)
    with sim:
        trains = {(p.obj, p.name) for p in nengo_dl_trainable.parameter_info(sim)}
    assert trains == {(lif, "neuron_type.tau_rc")}
    assert relu not in {obj for obj, _ in trains}


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


@pytest.mark.training
def test_nonfinite_parameter_warns_in_fit_and_refuses_freeze(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([1])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(inp, out, synapse=0.01)
        probe = nengo.Probe(out)
    net.config[conn].trainable_params = {"synapse"}
    with Simulator(net) as sim:
        with pytest.warns(TrainableParamsWarning, match="after epoch 1.*not finite"):
            fit(sim, inp, probe, target=np.nan, epochs=1)
        with pytest.raises(
            TrainableParamsError, match="synapse.tau is not finite"
        ) as e:
            sim.freeze_params(net)
        assert str(conn) in str(e.value)
    assert conn.synapse == nengo.Lowpass(0.01)  # left as it was
    # a closed simulator still gives NengoDL's own error
    with pytest.raises(SimulatorClosed, match="Cannot call fit"):
        sim.fit(n_steps=5)


@pytest.mark.training
def test_passthrough_tau_warns(seed, Simulator):
    """A time constant trained to 0.03 dt or below gets no gradient: say so."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([1])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(inp, out, synapse=0.001)
        probe = nengo.Probe(out)
    net.config[conn].trainable_params = {"synapse"}
    # a set step scale (the step does not follow the rate): Adam(1.0) then
    # drives tau to 0 in a few steps
    net.config[conn].tau_step_scale = 1
    with Simulator(net) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(1.0), loss="mse")
        x = np.ones((1, 20, 1))
        with pytest.warns(TrainableParamsWarning, match="passes its input through"):
            # the target is the input itself: tau is driven to 0
            sim.fit({inp: x}, {probe: x}, epochs=12, verbose=0)
        (tau,) = [p.value for p in nengo_dl_trainable.parameter_info(sim)]
    assert tau[0] <= 0.03 * 0.001


def test_core_suite_loader_selects_parameters(seed):
    """Mode ``default`` of scripts/nengo_core_suite.py is not vacuous."""
    options = {
        "--dtype": "float32",
        "--unroll-simulation": 1,
        "--device": None,
        "--inference-only": False,
    }
    request = SimpleNamespace(config=SimpleNamespace(getoption=options.get))
    TestSimulator = make_test_sim(request)
    with nengo.Network(seed=seed) as net:
        ens = nengo.Ensemble(5, 1)
        conn = nengo.Connection(ens, ens)
        nengo.Connection(ens, ens, synapse=nengo.synapses.Triangle(0.01))
    with TestSimulator(net) as sim:
        trains = {(p.obj, p.name) for p in nengo_dl_trainable.parameter_info(sim)}
    assert trains == {
        (conn, "synapse.tau"),
        (ens, "neuron_type.tau_rc"),
        (ens, "neuron_type.tau_ref"),
        (ens, "neuron_type.amplitude"),
    }


@pytest.mark.training
@pytest.mark.parametrize(
    "synapse", [nengo.Alpha(0.001), nengo.Lowpass(0.001, method="bilinear")]
)
def test_passthrough_warning_only_for_zoh_lowpass(seed, Simulator, synapse):
    """Other filters have no passthrough case, so no such warning (issue 29)."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([1])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(inp, out, synapse=synapse)
        probe = nengo.Probe(out)
    net.config[conn].trainable_params = {"synapse"}
    # a set step scale (the step does not follow the rate): Adam(1.0) then
    # drives tau to 0 in a few steps
    net.config[conn].tau_step_scale = 1
    with Simulator(net) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(1.0), loss="mse")
        x = np.ones((1, 20, 1))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sim.fit({inp: x}, {probe: x}, epochs=12, verbose=0)
        (tau,) = [p.value for p in nengo_dl_trainable.parameter_info(sim)]
    # driven below the limit, as the lowpass of test_passthrough_tau_warns
    assert tau[0] <= 0.03 * 0.001
    assert not [w for w in caught if "passes its input through" in str(w.message)]
